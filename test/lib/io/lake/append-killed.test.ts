/**
 * An append killed with SIGKILL (`alpha data lake append` in its own process) — once as it says
 * "appending", once as its first data file appears in the table's folder, mid-write — leaves the table
 * at its previous version and readable, by DuckDB and by delta-rs; the file it was writing is named by
 * no commit, and vacuum deletes it and nothing else; its lock is taken over; running the same append
 * again adds every row once, and a third run adds nothing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appendFiles } from '../../../../lib/io/lake/append.ts';
import { createTable } from '../../../../lib/io/lake/create.ts';
import { lockPath, tablePath } from '../../../../lib/io/lake/layout.ts';
import { vacuumTable } from '../../../../lib/io/lake/maintain.ts';
import { queryLake } from '../../../../lib/io/lake/query.ts';
import { tableVersion } from '../../../../lib/io/lake/table.ts';
import { writeRecordsParquet } from '../../../../lib/io/parquet.ts';
import type { Trade } from '../../../../schemas/types.generated.ts';
import { runAlpha, ROOT } from '../../../helpers/cli.ts';
import { deltaRs, tempLake } from '../../../helpers/lake.ts';

const lake = tempLake('lake-killed');
afterAll(() => lake.remove());

const T0 = Date.UTC(2024, 0, 2, 14, 30) * 1000;
const trades = (firstId: number, n: number): Trade[] =>
  Array.from({ length: n }, (_, i) => ({
    ts_event: T0 + (firstId + i) * 1000,
    ts_known: T0 + (firstId + i) * 1000 + 300,
    symbol: `S${i % 50}`,
    seq: firstId + i,
    id: firstId + i,
    version: 1,
    price: 50 + (i % 100) / 100,
    size: 100,
    aggressor: 'BUY',
  }));

/** The data files in a table's partition folder. */
const dataFiles = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.parquet')) : []);

/**
 * `alpha data lake append …` killed with SIGKILL when it reports that it is appending, or when a data
 * file appears in `partition` (a folder of the table), polled every millisecond.
 */
function appendAndKill(args: string[], partition?: string): Promise<{ signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/alpha.mjs', ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const before = partition ? dataFiles(partition).length : 0;
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const poll = partition ? setInterval(() => dataFiles(partition).length > before && child.kill('SIGKILL'), 1) : undefined;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (!partition && stderr.includes('appending ')) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      clearTimeout(guard);
      clearInterval(poll);
      resolve({ signal, stderr });
    });
  });
}

describe('an append killed with SIGKILL', () => {
  it('leaves the previous version readable, and a rerun completes it once', async () => {
    const dir = join(lake.dir, 'lake');
    await createTable(dir, 'trades', 'Trade');
    const small = join(lake.dir, 'small.parquet');
    writeRecordsParquet(small, 'Trade', trades(1, 1000) as unknown as Record<string, unknown>[]);
    expect((await appendFiles(dir, 'trades', [small])).version).toBe(1);
    const big = join(lake.dir, 'big.parquet');
    writeRecordsParquet(big, 'Trade', trades(100_001, 300_000) as unknown as Record<string, unknown>[]);

    const args = ['data', 'lake', 'append', 'trades', big, '--lake', dir];
    const table = tablePath(dir, 'trades', true);
    const partition = join(table.dir, 'date=2024-01-02');
    const committed = dataFiles(partition);
    const killed = await appendAndKill(args);
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(killed.stderr).toContain('appending 300000 rows');
    expect(tableVersion(table), 'the kill came after the commit: make the append bigger').toBe(1);
    expect(existsSync(lockPath(table))).toBe(true);
    const midWrite = await appendAndKill(args, partition);
    expect(midWrite.signal, midWrite.stderr).toBe('SIGKILL');
    expect(tableVersion(table), 'the kill came after the commit: make the append bigger').toBe(1);
    const orphans = dataFiles(partition).filter((f) => !committed.includes(f));
    expect(orphans.length).toBeGreaterThan(0);
    // Readable at version 1, by both readers.
    expect((await queryLake({ lake: dir, dataset: 'trades' })).rows.length).toBe(1000);
    const out = join(lake.dir, 'read.parquet');
    expect(deltaRs('read', ['--table', table.dir, '--out', out])).toEqual({ version: 1, rows: 1000 });

    // The rerun takes over the dead process's lock and adds every row, once.
    const rerun = await runAlpha(args, 120_000);
    expect(rerun.stderr).toContain('appended 300000 rows to "trades" (0 already there): version 1 → 2');
    expect(rerun.code).toBe(0);
    const again = await runAlpha(args, 120_000);
    expect(again.stderr).toContain('appended 0 rows to "trades" (300000 already there): version 2 → 2');
    expect(existsSync(lockPath(table))).toBe(false);

    // The files the killed appends wrote are named by no commit: vacuum (no retention) deletes those and no other.
    const vacuumed = await vacuumTable(dir, 'trades', { retainHours: 0 });
    expect(vacuumed.files).toEqual(orphans.map((f) => `date=2024-01-02/${f}`).sort());
    // (delta-rs records a vacuum as two commits, VACUUM START and VACUUM END: versions 3 and 4.)
    expect(deltaRs('read', ['--table', table.dir, '--out', out])).toEqual({ version: 4, rows: 301_000 });
    expect((await queryLake({ lake: dir, dataset: 'trades', version: 1 })).rows.length).toBe(1000);
  });

  it('an append whose data file cannot be written whole (a full disk) removes it, and a rerun adds its rows once', async () => {
    const dir = join(lake.dir, 'lake-failed');
    await createTable(dir, 'trades', 'Trade');
    const table = tablePath(dir, 'trades', true);
    const partition = join(table.dir, 'date=2024-01-02');
    const first = join(lake.dir, 'first.parquet');
    writeRecordsParquet(first, 'Trade', trades(1, 100) as unknown as Record<string, unknown>[]);
    await appendFiles(dir, 'trades', [first]);
    const committed = dataFiles(partition);
    const next = join(lake.dir, 'next.parquet');
    writeRecordsParquet(next, 'Trade', trades(1_001, 200_000) as unknown as Record<string, unknown>[]);
    // Under a file size limit of 200 KiB, DuckDB's data file stops part way (EFBIG, as ENOSPC on a
    // full disk): that file was left, named by no commit, taking the space a rerun needs.
    const limited = spawnSync(
      'bash',
      [
        '-c',
        `ulimit -f 200; trap '' XFSZ; exec "${process.execPath}" bin/alpha.mjs "$@"`,
        'limit',
        'data',
        'lake',
        'append',
        'trades',
        next,
        '--lake',
        dir,
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(limited.status, limited.stderr).toBe(1);
    expect(limited.stderr).toMatch(
      /^alpha: dataset "trades": the append failed, the table stays at version 1 \(its 1 uncommitted data file\(s\) removed\) \(IO Error: Could not write file .*File too large\)$/m,
    );
    expect(dataFiles(partition)).toEqual(committed);
    expect(tableVersion(table)).toBe(1);
    expect(existsSync(lockPath(table))).toBe(false);
    const rerun = await appendFiles(dir, 'trades', [next]);
    expect([rerun.added, rerun.version]).toEqual([200_000, 2]);
  });
});
