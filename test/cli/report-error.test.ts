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
});
