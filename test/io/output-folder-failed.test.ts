/**
 * What openOutput (pipelines/io/output-folder.ts) leaves when a run fails: its partial output in
 * OUT.failed, except when the disk ran out of space, where keeping it would keep the disk full; and
 * the error names the run's files by --out, not by the staging folder that is gone by then.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OwnFileError } from '../../lib/io/own-file.ts';
import { openOutput } from '../../pipelines/io/output-folder.ts';

const top = realpathSync(mkdtempSync(join(tmpdir(), 'alpha-out-failed-')));
afterAll(() => rmSync(top, { recursive: true, force: true }));

/** A write that failed with `code`, as Node raises it for a file of the staging folder. */
function systemError(code: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: failed, write '${path}'`), { code, syscall: 'write', path });
}

describe('openOutput when the run fails', () => {
  it('keeps the partial output in OUT.failed, naming the files there', () => {
    // A "$&" in the name: a pattern to String.replaceAll, taken as it is.
    const out = join(top, 'kept$&x');
    const o = openOutput(out, { note: () => {} });
    writeFileSync(join(o.dir, 'fills.parquet'), 'partial');
    const err = o.abort(systemError('EIO', join(o.dir, 'equity.parquet'))) as NodeJS.ErrnoException;
    expect(err.message).toBe(
      `EIO: failed, write '${join(`${out}.failed`, 'equity.parquet')}'\n  (--out ${out} left as it was; this run's partial output and logs are in ${out}.failed)`,
    );
    expect(err.path).toBe(join(`${out}.failed`, 'equity.parquet'));
    expect(readFileSync(join(`${out}.failed`, 'fills.parquet'), 'utf8')).toBe('partial');
    expect(existsSync(out)).toBe(false);
  });

  it("names a file of the staging folder where it will be once committed (a sweep point's error)", () => {
    const out = join(top, 'sweep$$');
    const o = openOutput(out, { note: () => {} });
    expect(o.named(`${join(o.dir, 'points', '0', 'equity.parquet')}: cannot write it`)).toBe(
      `${join(out, 'points', '0', 'equity.parquet')}: cannot write it`,
    );
    o.abort();
  });

  it.each(['ENOSPC', 'EDQUOT'])('removes the partial output when the disk ran out of space (%s)', (code) => {
    const out = join(top, `full-${code}`);
    const o = openOutput(out, { note: () => {} });
    writeFileSync(join(o.dir, 'fills.parquet'), 'partial');
    // As a run's own file reports it: the writer's error, the system's code kept.
    const err = o.abort(new OwnFileError(join(o.dir, 'equity.parquet'), systemError(code, join(o.dir, 'equity.parquet')))) as Error;
    expect(err.message).toMatch(new RegExp(`^${join(out, 'equity.parquet')}: cannot write it: .*\\(${code}\\)`));
    expect(err.message).toMatch(
      new RegExp(`\\(--out ${out} left as it was; this run's partial output removed, to give the space back\\)$`),
    );
    expect(err.message).not.toContain('.staging-');
    expect(readdirSync(top).filter((e) => e.startsWith(`full-${code}`) || e.startsWith(`.full-${code}`))).toEqual([]);
  });

  it('finds the out-of-space error among the causes of the one raised', () => {
    const out = join(top, 'caused');
    const o = openOutput(out, { note: () => {} });
    writeFileSync(join(o.dir, 'orders.parquet'), 'partial');
    o.abort(new Error('the Parquet writer failed', { cause: systemError('ENOSPC', join(o.dir, 'orders.parquet')) }));
    expect(existsSync(`${out}.failed`)).toBe(false);
  });
});
