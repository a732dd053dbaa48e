/** How the CLI prints an error it did not anticipate: one line with the hint, then the notes added on the way out. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AlphaError } from '../../lib/core/errors.ts';
import { report } from '../../pipelines/cli/report-error.ts';

describe('report', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });

  function printed(err: unknown): string {
    let text = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      text += String(chunk);
      return true;
    });
    report(err);
    return text;
  }

  it('ends the first line of an unexpected error with the --debug hint, before the notes under it', () => {
    const err = new Error('spawn ENOMEM\n  (out/x left as it was; the run wrote nothing)');
    expect(printed(err)).toBe(
      'alpha: unexpected error: spawn ENOMEM (run again with --debug for the stack trace)\n  (out/x left as it was; the run wrote nothing)\n',
    );
    expect(process.exitCode).toBe(1);
  });

  it('prints a one-line unexpected error with the hint, and a refusal as it is', () => {
    expect(printed(new Error('boom'))).toBe('alpha: unexpected error: boom (run again with --debug for the stack trace)\n');
    expect(printed(new AlphaError('data/x: file not found'))).toBe('alpha: data/x: file not found\n');
  });

  it('says what a system error on a file means and what to do, keeping the notes, with no --debug hint', () => {
    const full = Object.assign(new Error("ENOSPC: no space left on device, write '/data/out/fills.parquet'\n  (out/x left as it was)"), {
      code: 'ENOSPC',
      syscall: 'write',
      path: '/data/out/fills.parquet',
    });
    expect(printed(full)).toBe(
      'alpha: cannot write /data/out/fills.parquet: the disk is full (ENOSPC): free some space, or write elsewhere\n  (out/x left as it was)\n',
    );
    const files = Object.assign(new Error("EMFILE: too many open files, open 'o/orders.parquet'"), {
      code: 'EMFILE',
      syscall: 'open',
      path: 'o/orders.parquet',
    });
    expect(printed(files)).toBe(
      'alpha: cannot open o/orders.parquet: this process has too many files open (EMFILE): raise its limit (ulimit -n)\n',
    );
    // Another code stays an unexpected error.
    expect(printed(Object.assign(new Error('EBADF: bad file descriptor'), { code: 'EBADF' }))).toMatch(/^alpha: unexpected error: EBADF/);
  });
});
