/**
 * How a group's process tells `--split` whether starting it again can help
 * (pipelines/runtime/group/exit-code.ts): its input refused or its disk full would fail every
 * attempt alike, so the supervisor does not restart it (a full disk had it started three more times,
 * each failing the same way).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { AlphaError, DataError } from '../../lib/core/errors.ts';
import {
  EXIT_CANNOT_WRITE,
  EXIT_INPUT_REFUSED,
  exitCodeOfFailure,
  failsEveryAttempt,
  groupFailure,
  processEnd,
} from '../../pipelines/runtime/group/exit-code.ts';

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

describe('how a group process that failed is reported', () => {
  it('a process killed by a signal: the signal, and exit 128 + its number, as a shell says', () => {
    // A real process killed by SIGKILL (9 on every POSIX system) and by SIGTERM (15).
    const killed = spawnSync(process.execPath, ['-e', "process.kill(process.pid, 'SIGKILL')"]);
    expect(killed.signal).toBe('SIGKILL');
    expect(processEnd(killed.status, killed.signal)).toEqual({ code: 137, how: 'killed by SIGKILL (exit 137)' });
    expect(processEnd(null, 'SIGTERM')).toEqual({ code: 143, how: 'killed by SIGTERM (exit 143)' });
    expect(processEnd(3, null)).toEqual({ code: 3, how: 'exited with 3' });
  });

  it('the reason is on the one line: the last line the process wrote, or that it wrote none', () => {
    expect(groupFailure('features', 'killed by SIGKILL (exit 137)', ['', ''])).toBe(
      'group "features" failed: its process killed by SIGKILL (exit 137), with nothing on stderr',
    );
    expect(groupFailure('trading', 'exited with 1', ['[progress] 10%', 'alpha: source.kafka feed: topic "t" was deleted', ''])).toBe(
      'group "trading" failed: its process exited with 1: source.kafka feed: topic "t" was deleted',
    );
  });
});
