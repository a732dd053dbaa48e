/**
 * Hostile input to `alpha data ingest`, through the real command line: each refusal is exit 1 and one
 * line `alpha: <what, where, what would be accepted>`, never a stack trace, and nothing is written to
 * the lake; files outside their place (inside the lake, devices, folders) are refused.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTable } from '../../lib/io/lake/create.ts';
import { literal, openDuck } from '../../lib/io/lake/duckdb.ts';
import { MAX_INGEST_ROWS } from '../../pipelines/ingest/read-input.ts';
import { runAlpha } from '../helpers/cli.ts';
import { tempLake } from '../helpers/lake.ts';

const tmp = tempLake('ingest-hostile');
afterAll(() => tmp.remove());
const lake = join(tmp.dir, 'lake');
const f = (name: string): string => join(tmp.dir, name);
const rejects = f('rejects.txt');

beforeAll(async () => {
  await createTable(lake, 'quotes', 'Quote');
  writeFileSync(f('good.csv'), 'time,symbol,bid,ask\n2024-01-02 15:00,AAA,1,2\n');
  writeFileSync(f('notes.txt'), 'my notes\n');
  writeFileSync(f('cut.itch'), Buffer.from([0x00, 0x03, 0x41, 0x42])); // a record of 3 bytes with 2 left
  // 150,000 rows to refuse, and one field of 1 MB: the reject file held every line whole (a 32 MB
  // file of bad rows ended the ingest with "Invalid string length" after 1.5 GB).
  writeFileSync(f('manybad.csv'), `time,symbol,bid,ask\n2024-01-02 15:00,${'S'.repeat(1 << 20)},1,2\n${'x,y,z,w\n'.repeat(150_000)}`);
  writeFileSync(f('unknown.csv'), 'time,symbol,bid,ask,mood\n2024-01-02 15:00,AAA,1,2,calm\n');
  writeFileSync(f('noask.csv'), 'time,symbol,bid\n2024-01-02 15:00,AAA,1\n');
  writeFileSync(f('twice.csv'), 'time,timestamp,symbol,bid,ask\n');
  writeFileSync(f('empty.csv'), '');
  writeFileSync(f('unreported.csv'), 'symbol,item,period_end,value\nAAA,eps,2023-12-31,1\n');
  writeFileSync(f('latin1.csv'), Buffer.from([0x74, 0x69, 0x6d, 0x65, 0xe9, 0x0a]));
  writeFileSync(f('allbad.csv'), 'time,symbol,bid,ask\n2024-01-02 15:00,AAA,-1,2\n2024-01-02 15:00,../x,1,2\n');
  writeFileSync(f('map-header.csv'), 'source,target\nA,B\n');
  writeFileSync(f('map-symbol.csv'), 'from,to\nA,"B C"\n');
  writeFileSync(f('map-twice.csv'), 'from,to\nA,B\nA,C\n');
  mkdirSync(f('folder.csv'));
  execFileSync('mkfifo', [f('fifo.csv')]);
  mkdirSync(join(lake, 'stash'), { recursive: true });
  writeFileSync(join(lake, 'stash', 'in-lake.csv'), 'time,symbol,bid,ask\n2024-01-02 15:00,AAA,1,2\n');
  symlinkSync(join(lake, 'stash', 'in-lake.csv'), f('link.csv'));
  // One row more than an ingest takes, of repeated values: a few hundred kilobytes of Parquet.
  const duck = await openDuck();
  try {
    await duck.connection.run(
      `COPY (SELECT TIMESTAMP '2024-01-02 15:00:00' AS time, 'AAA' AS symbol, 1.0 AS bid, 2.0 AS ask FROM range(${MAX_INGEST_ROWS + 1})) TO ${literal(f('many.parquet'))} (FORMAT parquet)`,
    );
  } finally {
    duck.close();
  }
});

const ingest = (...args: string[]): string[] => ['data', 'ingest', '--lake', lake, '--rejects', rejects, ...args];
const q = (file: string, ...args: string[]): string[] => ingest(f(file), '--dataset', 'quotes', '--format', 'quotes', ...args);

const refusals: [string[], RegExp][] = [
  [
    ingest(f('good.csv'), '--dataset', 'quotes', '--format', 'ticks'),
    /--format is "ticks": expected quotes, trades, ohlcv, itch, fundamentals, corporate-actions/,
  ],
  [ingest(f('good.csv'), '--dataset', '../etc', '--format', 'quotes'), /--dataset "\.\.\/etc" is not a name: expected a letter/],
  [q('good.csv', '--records', 'trades'), /--records is for --format itch only/],
  [ingest(f('good.csv'), '--dataset', 'q2', '--format', 'itch', '--records', 'bars'), /--records is "bars": expected quotes or trades/],
  [ingest(f('good.csv'), '--dataset', 'q2', '--format', 'itch', '--date', '2024-02-30'), /--date is "2024-02-30": expected a real date/],
  [q('good.csv', '--tz', 'Mars/Olympus'), /--tz is "Mars\/Olympus": not a time zone: expected an IANA zone/],
  [q('good.csv', '--day-time', '4pm'), /--day-time is "4pm": expected a time of day HH:MM/],
  [q('missing.csv'), /missing\.csv: file not found/],
  [q('folder.csv'), /folder\.csv: not a regular file \(a folder\)/],
  [q('fifo.csv'), /fifo\.csv: not a regular file \(a device, pipe or socket\)/],
  [
    ['data', 'ingest', '/dev/zero', '--dataset', 'quotes', '--format', 'quotes', '--lake', lake, '--rejects', rejects],
    /\/dev\/zero: not a regular file/,
  ],
  [q('link.csv'), /link\.csv: resolves to .*in-lake\.csv, inside the lake folder/],
  [q('unknown.csv'), /unknown\.csv:1: unknown column "mood" for --format quotes: expected columns among ts_event\|time/],
  [q('noask.csv'), /noask\.csv:1: no column ask: --format quotes needs it/],
  [q('twice.csv'), /twice\.csv:1: column "timestamp" repeats ts_event: expected each column once/],
  [q('empty.csv'), /empty\.csv: empty: expected a header line/],
  [
    ingest(f('unreported.csv'), '--dataset', 'q2', '--format', 'fundamentals'),
    /unreported\.csv:1: no column ts_known\|report_date: --format fundamentals needs it/,
  ],
  [q('latin1.csv'), /latin1\.csv: not UTF-8 text/],
  [q('allbad.csv'), /no row of .*allbad\.csv could be ingested: 2 rejected, see .*rejects\.txt/],
  [q('many.parquet'), /many\.parquet: 20000001 rows: more than the 20,000,000 an ingest takes from one file; split it by day/],
  [q('good.csv', '--symbol-map', f('map-header.csv')), /--symbol-map .*map-header\.csv:1: the header is "source,target": expected from,to/],
  [q('good.csv', '--symbol-map', f('map-symbol.csv')), /--symbol-map .*map-symbol\.csv:2: symbol "B C": expected 1 to 16 letters/],
  [q('good.csv', '--symbol-map', f('map-twice.csv')), /map-twice\.csv:3: "A" is mapped twice/],
  [q('good.csv', '--symbol-map', f('nowhere.csv')), /--symbol-map .*nowhere\.csv: file not found/],
  [
    ingest(f('good.csv'), '--dataset', 'quotes', '--format', 'trades'),
    /--dataset quotes: its table holds Quote records: --format trades gives Trade/,
  ],
  [
    ['data', 'ingest', f('good.csv'), '--dataset', 'quotes', '--format', 'quotes', '--lake', lake, '--rejects', join(lake, 'r.txt')],
    /--rejects .*r\.txt: inside the lake folder/,
  ],
  [
    ['data', 'ingest', f('good.csv'), '--dataset', 'quotes', '--format', 'quotes', '--lake', lake, '--rejects', f('no/such/r.txt')],
    /--rejects .*: the folder .* does not exist/,
  ],
  [
    ['data', 'ingest', f('good.csv'), '--dataset', 'quotes', '--format', 'quotes', '--lake', lake, '--rejects', f('good.csv')],
    /--rejects .*good\.csv: is the input file/,
  ],
  // The converter's refusal named its temporary folder ("nothing written to /tmp/alpha-ingest-itch-…/day").
  [
    ingest(f('cut.itch'), '--dataset', 'q2', '--format', 'itch', '--date', '2024-01-02'),
    /cut\.itch: 1 × record runs past the end of the file \(first at byte 0\)[^\n]*\nalpha: nothing ingested\n$/,
  ],
  // Written whole: it replaced any file (a topology, a manifest) given by mistake.
  [
    ['data', 'ingest', f('allbad.csv'), '--dataset', 'quotes', '--format', 'quotes', '--lake', lake, '--rejects', f('notes.txt')],
    /--rejects .*notes\.txt: exists and is not a reject file: expected a new file, or one whose name holds "rejects"/,
  ],
];

describe('alpha data ingest refuses hostile input', () => {
  it.each(refusals.map(([args, message]) => [message.source, args, message] as const))('%s', async (_name, args, message) => {
    const run = await runAlpha(args, 60_000);
    expect(run.code).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines[lines.length - 1]).toMatch(/^alpha: /);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(lake, 'q2'))).toBe(false);
  });

  it('leaves the table at its version after every refusal', async () => {
    const run = await runAlpha(['data', 'lake', 'info', 'quotes', '--lake', lake], 60_000);
    expect(JSON.parse(run.stdout).version).toBe(0);
  });
});

describe('the reject file', () => {
  it('keeps its first 100,000 lines, each cut at 500 characters, and counts the rest; a file of notes is left as it was', async () => {
    const out = f('many.rejects.txt');
    const run = await runAlpha(
      q('manybad.csv').map((a) => (a === rejects ? out : a)),
      120_000,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no row of .*manybad\.csv could be ingested: 150001 rejected, see .*many\.rejects\.txt/);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(100_001);
    expect(lines.at(-1)).toBe('… and 50001 more line(s), not listed (the first 100000 are above)');
    expect(lines[0]).toMatch(/manybad\.csv:2: .*SSSS…$/);
    expect(Math.max(...lines.map((l) => l.length))).toBe(500);
    expect(readFileSync(f('notes.txt'), 'utf8')).toBe('my notes\n');
  });
});

describe('the default reject file', () => {
  it('a refused ingest leaves no empty out/ingest/ in the working folder (it made one)', async () => {
    const cwd = f('cwd');
    mkdirSync(cwd);
    const run = await runAlpha(
      ['data', 'ingest', '--lake', lake, '--dataset', 'quotes', '--format', 'quotes', f('missing.csv')],
      60_000,
      cwd,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`alpha: ${f('missing.csv')}: file not found\n`);
    expect(existsSync(join(cwd, 'out'))).toBe(false);
  });
});
