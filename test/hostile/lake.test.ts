/**
 * Hostile input to the lake's commands (`alpha data query`, `alpha data lake …`, `alpha data optimize`),
 * through the real command line: every refusal is exit code 1 and one line `alpha: <what, where, what
 * would be accepted>` (a malformed command line too), never a stack trace;
 * names never reach outside the lake folder; hostile text in the data comes out quoted (csv) or escaped
 * (table). The lake tools are installed by the vitest setup (test/helpers/lake-setup.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFiles } from '../../lib/io/lake/append.ts';
import { createTable } from '../../lib/io/lake/create.ts';
import { writeRecordsParquet } from '../../lib/io/parquet.ts';
import type { Trade } from '../../schemas/types.generated.ts';
import { type CliRun, runAlpha } from '../helpers/cli.ts';
import { tempLake } from '../helpers/lake.ts';

const tmp = tempLake('lake-hostile');
afterAll(() => tmp.remove());
const lake = join(tmp.dir, 'lake');
const outside = join(tmp.dir, 'outside');

const T0 = Date.UTC(2024, 0, 2, 14, 30) * 1000;
const HOSTILE = 'X,"Y\u001b[31m';
const trade = (id: number, symbol: string): Trade => ({
  ts_event: T0 + id,
  ts_known: T0 + id + 300,
  symbol,
  seq: id,
  id,
  version: 1,
  price: 10,
  size: 100,
  aggressor: 'SELL',
});

beforeAll(async () => {
  await createTable(lake, 'trades', 'Trade');
  const file = join(tmp.dir, 'trades.parquet');
  writeRecordsParquet(file, 'Trade', [trade(1, 'AAA'), trade(2, HOSTILE)] as unknown as Record<string, unknown>[]);
  await appendFiles(lake, 'trades', [file]);
  // A table folder that is a symlink to a table outside the lake.
  await createTable(outside, 'elsewhere', 'Trade');
  symlinkSync(join(outside, 'elsewhere'), join(lake, 'escape'));
  writeFileSync(join(tmp.dir, 'not-parquet.parquet'), 'PAR1 this is not Parquet');
  writeRecordsParquet(join(tmp.dir, 'quotes.parquet'), 'Quote', []);
  writeFileSync(join(tmp.dir, 'a-file'), '');
  // A table whose first commit is not one delta-rs can read: its error named neither the table nor a way out.
  mkdirSync(join(lake, 'damaged', '_delta_log'), { recursive: true });
  writeFileSync(join(lake, 'damaged', '_delta_log', '00000000000000000000.json'), '{"commitInfo": [[1]]}\n');
  mkdirSync(join(tmp.dir, 'a-folder.parquet'));
  // A dangling link was replaced by the Parquet output, without --overwrite (the CSV one refused it).
  symlinkSync(join(tmp.dir, 'nowhere'), join(tmp.dir, 'dangling.parquet'));
  // Tables whose latest commit is a FIFO or a symlink: delta-rs and DuckDB passed over the FIFO and
  // answered from the version before it, exit 0.
  for (const [name, plant] of [
    ['piped', (at: string) => execFileSync('mkfifo', [at])],
    ['linked', (at: string) => symlinkSync(join(lake, 'trades', '_delta_log', '00000000000000000001.json'), at)],
  ] as const) {
    await createTable(lake, name, 'Trade');
    plant(join(lake, name, '_delta_log', '00000000000000000001.json'));
  }
  // A table whose whole log is a link to another table's.
  mkdirSync(join(lake, 'loglink'));
  symlinkSync(join(lake, 'trades', '_delta_log'), join(lake, 'loglink', '_delta_log'));
});

const q = (...args: string[]): string[] => ['data', 'query', 'trades', '--lake', lake, ...args];

/** [command line, what the one-line refusal must say]. */
const refusals: [string[], string][] = [
  [['data', 'query', '../etc', '--lake', lake], 'dataset "../etc" is not a name: expected a letter, then letters'],
  [['data', 'query', '', '--lake', lake], 'dataset "" is empty'],
  [['data', 'query', 'a/b', '--lake', lake], 'dataset "a/b" is not a name'],
  [['data', 'query', 'x'.repeat(65), '--lake', lake], 'has 65 characters, more than 64'],
  [['data', 'query', 'escape', '--lake', lake], 'outside the lake folder'],
  [['data', 'query', 'nope', '--lake', lake], 'dataset "nope": no Delta table at'],
  [['data', 'query', 'trades', '--lake', join(tmp.dir, 'missing')], 'no such folder'],
  [['data', 'query', 'trades', '--lake', join(tmp.dir, 'a-file')], 'not a folder'],
  [q('--version=-1'), '--version is "-1": expected a whole number from 0 to'],
  [q('--version', 'abc'), '--version is "abc"'],
  [q('--version', '1.5'), '--version is "1.5"'],
  [q('--version', '99'), '--version 99: dataset "trades" has versions 0 to 1'],
  [q('--as-of', 'yesterday'), '--as-of is "yesterday": expected µs since the epoch'],
  [q('--as-of', '2024-13-01T00:00:00Z'), '--as-of is "2024-13-01T00:00:00Z"'],
  [q('--as-of', '2024-01-02T25:00:00Z'), '--as-of is "2024-01-02T25:00:00Z"'],
  [q('--as-of', '99999999999999999999'), '--as-of is "99999999999999999999"'],
  [q('--symbols', "A';DROP TABLE x;--"), 'is not a symbol: expected 1 to 16 letters'],
  [q('--symbols', ''), '--symbols: "" is not a symbol'],
  [q('--from', '2024-02-30'), '--from is "2024-02-30": expected a real date'],
  [q('--from', '2024-01-05', '--to', '2024-01-02'), '--from 2024-01-05 is after --to 2024-01-02'],
  [q('--format', 'xml'), '--format is "xml": expected table, csv, json, parquet'],
  [q('--format', 'parquet'), '--format parquet: expected --out FILE.parquet'],
  [q('--out', join(lake, 'x.csv')), 'inside the lake folder'],
  [q('--out', join(tmp.dir, 'missing', 'x.csv')), 'does not exist'],
  [q('--out', join(tmp.dir, 'a-folder.parquet'), '--format', 'parquet'), 'exists and is a folder: expected a new file'],
  [q('--out', join(tmp.dir, 'dangling.parquet'), '--format', 'parquet'), 'exists and is a symlink: expected a new file'],
  [q('--limit', 'x'), '--limit is "x"'],
  [['data', 'lake', 'create', 'bad name', '--schema', 'Trade', '--lake', lake], 'dataset "bad name" is not a name'],
  [
    ['data', 'lake', 'create', 'things', '--schema', 'Nope', '--lake', lake],
    '--schema Nope: "Nope" is not a schema: expected one of Bar, BookDepth, CorporateAction, Fill, Fundamental, Prediction, Quote, Signal, Trade',
  ],
  // Not beside an append of trades in runAll's pairs: both take the table's lock, and one would be refused for it.
  [['data', 'lake', 'create', 'trades', '--schema', 'Trade', '--lake', lake], 'a Delta table exists there already'],
  [['data', 'lake', 'create', 'things', '--schema', 'CrossSection', '--lake', lake], 'not a flat column'],
  [['data', 'lake', 'append', 'trades', join(tmp.dir, 'not-parquet.parquet'), '--lake', lake], 'not a readable Parquet file'],
  [['data', 'lake', 'append', 'trades', join(tmp.dir, 'missing.parquet'), '--lake', lake], 'missing.parquet: file not found'],
  [['data', 'lake', 'append', 'trades', join(tmp.dir, 'a-folder.parquet'), '--lake', lake], 'not a regular file'],
  [
    ['data', 'lake', 'append', 'trades', join(tmp.dir, 'quotes.parquet'), '--lake', lake],
    'no column price, size, aggressor: expected the fields of Trade',
  ],
  [['data', 'lake', 'vacuum', 'trades', '--retain-hours=-5', '--lake', lake], '--retain-hours is "-5"'],
  [['data', 'query', 'piped', '--lake', lake], '00000000000000000001.json is a FIFO; each entry of a Delta log must be a regular file'],
  [['data', 'query', 'loglink', '--lake', lake], "loglink/_delta_log is not a folder (a Delta table's log is one, not a link to one)"],
  [
    ['data', 'lake', 'info', 'linked', '--lake', lake],
    '00000000000000000001.json is a symlink; each entry of a Delta log must be a regular file',
  ],
  [['data', 'optimize', '../trades', '--lake', lake], 'is not a name'],
  [
    ['data', 'lake', 'info', 'damaged', '--lake', lake],
    'damaged: DeltaError: Kernel error: No table metadata or protocol found in delta log.: expected a Delta table written by alpha',
  ],
];

/** Runs the command lines two at a time (the machine has two cores). */
async function runAll(lines: string[][]): Promise<CliRun[]> {
  const out: CliRun[] = [];
  for (let i = 0; i < lines.length; i += 2) out.push(...(await Promise.all(lines.slice(i, i + 2).map((l) => runAlpha(l, 60_000)))));
  return out;
}

describe('the lake commands refuse hostile input', () => {
  it('each with one line `alpha: …` naming what and what would be accepted, exit 1, no stack trace', async () => {
    const runs = await runAll(refusals.map(([args]) => args));
    refusals.forEach(([args, says], i) => {
      const r = runs[i]!;
      const label = `alpha ${args.join(' ')}`;
      expect(r.code, `${label}\n${r.stderr}`).toBe(1);
      expect(r.stderr, label).toMatch(/^alpha: /);
      expect(r.stderr, label).toContain(says);
      expect(r.stderr.trim().split('\n'), label).toHaveLength(1);
      expect(r.stderr, label).not.toMatch(/\n\s+at /);
      expect(r.stdout, label).toBe('');
    });
  });

  it('a malformed command line is one alpha: line, exit 1', async () => {
    const [r] = await runAll([q('--version')]);
    expect(r!.code).toBe(1);
    expect(r!.stderr).toMatch(/^alpha: option '--version <n>' argument missing \(--help lists what is accepted\)\n$/);
  });

  it('replaces a file already at --out only with --overwrite (it was replaced silently)', async () => {
    const file = join(tmp.dir, 'keep.csv');
    writeFileSync(file, 'not ours\n');
    const [refused] = await runAll([q('--format', 'csv', '--out', file)]);
    expect(refused).toEqual({ code: 1, stdout: '', stderr: `alpha: --out ${file} exists: pass --overwrite to replace it\n` });
    expect(readFileSync(file, 'utf8')).toBe('not ours\n');
    const [replaced] = await runAll([q('--format', 'csv', '--out', file, '--overwrite')]);
    expect(replaced!.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(/^ts_event,ts_known,symbol,/);
  });

  it('quotes hostile text in csv, escapes it in a table, keeps it exact in json and Parquet', async () => {
    const out = join(tmp.dir, 'answer.parquet');
    const [csv, table, json, parquet] = await runAll([
      q('--format', 'csv'),
      q('--format', 'table'),
      q('--format', 'json'),
      q('--format', 'parquet', '--out', out),
    ]);
    expect(csv!.stdout.split('\n')[2]).toBe(`${T0 + 2},${T0 + 302},"X,""Y\u001b[31m",2,2,1,10,100,SELL`);
    expect(table!.stdout).not.toContain('\u001b');
    expect(table!.stdout).toContain('X,"Y\\x1b[31m');
    expect(table!.stdout.split('\n')[1]).toMatch(/^2024-01-02T14:30:00\.000001Z {2}2024-01-02T14:30:00\.000301Z {2}AAA /);
    expect(
      json!.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>)[1],
    ).toEqual({ ...trade(2, HOSTILE) });
    expect(parquet!.stderr).toContain('wrote 2 rows of "trades" (table version 1)');
    const bytes = readFileSync(out);
    const rows = (await parquetReadObjects({
      file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
      utf8: true,
      parsers: { timestampFromMicroseconds: (v: bigint) => Number(v) } as never,
    })) as Record<string, unknown>[];
    expect(rows.map((r) => ({ ...r, seq: Number(r['seq']), id: Number(r['id']) }))).toEqual([trade(1, 'AAA'), trade(2, HOSTILE)]);
  });
});
