/**
 * How a group's process tells `--split` whether starting it again can help
 * (pipelines/runtime/group/exit-code.ts): its input refused or its disk full would fail every
 * attempt alike, so the supervisor does not restart it (a full disk had it started three more times,
 * each failing the same way).
 */
import { describe, expect, it } from 'vitest';
import { AlphaError, DataError } from '../../lib/core/errors.ts';
import { EXIT_CANNOT_WRITE, EXIT_INPUT_REFUSED, exitCodeOfFailure, failsEveryAttempt } from '../../pipelines/runtime/group/exit-code.ts';

const full = (code: string) => Object.assign(new Error(`${code}: no space left on device, write`), { code, syscall: 'write' });

describe('a group process failure', () => {
  it('exits with a code that is not restarted when its input is refused or its disk is full', () => {
    expect(exitCodeOfFailure(new DataError('data/x.parquet', 'not Parquet'))).toBe(EXIT_INPUT_REFUSED);
    expect(exitCodeOfFailure(full('ENOSPC'))).toBe(EXIT_CANNOT_WRITE);
    expect(exitCodeOfFailure(new AlphaError('out/fills.parquet: cannot write it', { cause: full('EDQUOT') }))).toBe(EXIT_CANNOT_WRITE);
    expect(failsEveryAttempt(EXIT_INPUT_REFUSED)).toBe(true);
    expect(failsEveryAttempt(EXIT_CANNOT_WRITE)).toBe(true);
  });

  it('leaves anything else to a restart: the broker gone, a crash, a file limit', () => {
    expect(exitCodeOfFailure(new AlphaError('the Kafka broker did not answer'))).toBeUndefined();
    expect(exitCodeOfFailure(full('EMFILE'))).toBeUndefined();
    expect(failsEveryAttempt(1)).toBe(false);
    expect(failsEveryAttempt(137)).toBe(false);
  });
});
