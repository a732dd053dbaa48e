/**
 * Hostile input, what a run reads: malformed dataset manifests and data files are refused with a
 * DataError that names the manifest entry or the file, what was found and what would be accepted —
 * never read outside the data folder, never a hang, never a run of zero days. Most cases go through
 * readManifest/openDataset/runBacktest directly; a few representative ones through the real command
 * line (exit code 1, `error: …`, no stack trace). Property tests flip bytes of a small Parquet file
 * and mutate a valid manifest, each bounded in time.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, linkSync, mkdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as arrow from 'apache-arrow';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlphaError, DataError } from '../../lib/core/errors.ts';
import { MAX_DATA_FILE_BYTES } from '../../lib/io/data-file.ts';
import { isoMicros } from '../../lib/core/instant.ts';
import { parquetBytes, readParquetFile, writeRecordsParquet } from '../../lib/io/parquet.ts';
import type { Trade } from '../../schemas/types.generated.ts';
import { tradingDays } from '../../pipelines/data/calendar.ts';
import { generateDataset } from '../../pipelines/data/generate.ts';
import { type DatasetManifest, manifestWindow, readManifest, validateManifest } from '../../pipelines/data/manifest.ts';
import { openDataset } from '../../pipelines/io/dataset.ts';
import { dataset, tempDir } from '../helpers/datasets.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const topologyFile = join(ROOT, 'topology.yaml');
const folders: string[] = [];
let clean: string;
let cleanManifest: DatasetManifest;

beforeAll(async () => {
  clean = await dataset({ symbols: 4, days: 3, seed: 5 });
  cleanManifest = JSON.parse(readFileSync(join(clean, 'manifest.json'), 'utf8')) as DatasetManifest;
});
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

function folder(prefix: string): string {
  const dir = tempDir(prefix);
  folders.push(dir);
  return dir;
}

/**
 * A copy of the clean dataset, its manifest rewritten by `edit` (which may return any JSON value).
 * Its sha256 lists are dropped (as in a manifest written by hand), so the files can be edited.
 */
function copyWith(edit: (m: DatasetManifest) => unknown = (m) => m, keepHashes = false): string {
  const dir = folder('hostile');
  cpSync(clean, dir, { recursive: true });
  const m = structuredClone(cleanManifest);
  if (!keepHashes) for (const d of Object.values(m.datasets)) delete d.sha256;
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(edit(m)));
  return dir;
}

function errorOf(f: () => unknown): Error {
  try {
    f();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

async function rejectionOf(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

/** Reads every batch of a dataset; returns the row count. */
async function readAll(dir: string, manifest: DatasetManifest, name: string, schema: 'Quote' | 'Trade'): Promise<number> {
  const reader = openDataset(dir, manifest, name, schema);
  let rows = 0;
  for (let b = await reader.next(); b; b = await reader.next()) rows += b.length;
  await reader.close();
  return rows;
}

/** The clean quotes file of day `day` with its columns edited (an Arrow table in, one out). */
function rewriteQuotes(dir: string, day: number, edit: (columns: Record<string, arrow.Vector>) => Record<string, arrow.Vector>): string {
  const file = cleanManifest.datasets['quotes']!.files[day]!;
  const table = readParquetFile(join(clean, file));
  const columns = Object.fromEntries(table.schema.fields.map((f) => [f.name, table.getChild(f.name)!]));
  writeFileSync(join(dir, file), parquetBytes(new arrow.Table(edit(columns))));
  return file;
}

const M = 'manifest.json';
/** A manifest edit made in place, as an edit that returns the manifest. */
const change =
  (f: (m: DatasetManifest) => void) =>
  (m: DatasetManifest): DatasetManifest => {
    f(m);
    return m;
  };
// Each case: a manifest edit, and the words its error must hold (after `DIR/manifest.json: `).
const manifestCases: [string, (m: DatasetManifest) => unknown, RegExp][] = [
  ['null', () => null, /is null: expected an object/],
  ['an array', () => [], /is \[\]: expected an object/],
  ['another format', (m) => ({ ...m, format: 2 }), /format is 2: expected 1/],
  ['dates not a list', (m) => ({ ...m, dates: '2024-01-02' }), /dates is "2024-01-02": /],
  [
    'an impossible date',
    change((m) => {
      m.dates[1] = '2024-02-30';
    }),
    /dates\[1\] is "2024-02-30": expected a real date YYYY-MM-DD/,
  ],
  [
    'a date in another form',
    change((m) => {
      m.dates[0] = '01/02/2024';
    }),
    /dates\[0\] is "01\/02\/2024": expected a real date/,
  ],
  [
    'dates out of order',
    change((m) => {
      [m.dates[0], m.dates[1]] = [m.dates[1]!, m.dates[0]!];
    }),
    /dates\[1\] is "2024-01-02": expected a date after 2024-01-03/,
  ],
  ['no dates', (m) => ({ ...m, dates: [], sessions: [], datasets: {} }), /dates is \[\]: expected at least one trading day/],
  ['a missing field', (m) => ({ ...m, sessions: undefined }), /sessions is missing/],
  ['a session missing', (m) => ({ ...m, sessions: m.sessions.slice(1) }), /expected one session per date: 2 session\(s\) for 3 date\(s\)/],
  [
    'a session of another date',
    change((m) => {
      m.sessions[2]!.date = '2024-01-05';
    }),
    /sessions\[2\]\.date is "2024-01-05": expected 2024-01-04/,
  ],
  [
    'a session closing before it opens',
    change((m) => {
      m.sessions[1]!.close = m.sessions[1]!.open - 1;
    }),
    /sessions\[1\]\.close is \d+: expected a close after the open/,
  ],
  [
    // The bar timers ticked once a minute until such a close: a run that never ended.
    'the last session closing in years',
    change((m) => {
      m.sessions[2]!.close = Number.MAX_SAFE_INTEGER;
    }),
    /sessions\[2\]\.close is \d+: expected a close within a day of the open/,
  ],
  [
    'a session opening on another day',
    change((m) => {
      m.sessions[0]!.open -= 86_400_000_000;
    }),
    /sessions\[0\]\.open is \d+: expected a time on 2024-01-02/,
  ],
  [
    'a session open as text',
    change((m) => {
      m.sessions[0]!.open = '1704205800000000' as unknown as number;
    }),
    /sessions\[0\]\.open is "1704205800000000": .*number/,
  ],
  [
    'a fractional time',
    change((m) => {
      m.sessions[0]!.close += 0.5;
    }),
    /sessions\[0\]\.close is [\d.]+: expected whole microseconds/,
  ],
  [
    'a start that is not the first day',
    (m) => ({ ...m, start: '2023-12-30' }),
    /start is "2023-12-30": expected the first trading day, dates\[0\] \(2024-01-02\)/,
  ],
  [
    'a symbol count that is not the universe',
    (m) => ({ ...m, symbols: 5 }),
    /symbols is 5: expected the number of symbols in the universe \(4\)/,
  ],
  [
    'a sha256 missing',
    change((m) => {
      m.datasets['quotes']!.sha256 = ['0'.repeat(64)];
    }),
    /datasets\.quotes\.sha256 is \["0+…: expected one sha256 per file: 1 for 3 file\(s\)/,
  ],
  [
    'a sha256 that is not hex',
    change((m) => {
      m.datasets['quotes']!.sha256 = ['x', 'y', 'z'];
    }),
    /datasets\.quotes\.sha256\[0\] is "x": expected a sha256 in 64 lowercase hex digits/,
  ],
  ['an empty universe', (m) => ({ ...m, universe: [] }), /universe is \[\]: expected at least one symbol/],
  [
    'a symbol twice',
    change((m) => {
      m.universe[3]!.symbol = m.universe[0]!.symbol;
    }),
    /universe\[3\]\.symbol is "\w+": expected each symbol once/,
  ],
  ['no datasets', (m) => ({ ...m, datasets: {} }), /datasets is \{\}: expected at least one dataset/],
  [
    'an unknown schema',
    change((m) => {
      m.datasets['quotes']!.schema = 'Quotes';
    }),
    /datasets\.quotes\.schema is "Quotes": expected a schema name/,
  ],
  [
    'files for one day of three',
    change((m) => {
      m.datasets['quotes']!.files = m.datasets['quotes']!.files.slice(0, 1);
    }),
    /datasets\.quotes\.files is \["quotes\/2024-01-02\.parquet"\]: expected one file per date: 1 file\(s\) for 3 date\(s\)/,
  ],
  [
    'a surplus file',
    change((m) => {
      m.datasets['trades']!.files.push('trades/2024-01-05.parquet');
    }),
    /datasets\.trades\.files is .*: expected one file per date: 4 file\(s\) for 3 date\(s\)/,
  ],
  [
    'a file that is not text',
    change((m) => {
      m.datasets['quotes']!.files[1] = 7 as unknown as string;
    }),
    /datasets\.quotes\.files\[1\] is 7: .*string/,
  ],
  [
    'rows negative',
    change((m) => {
      m.datasets['quotes']!.rows = -1;
    }),
    /datasets\.quotes\.rows is -1: /,
  ],
  [
    'rows as text',
    change((m) => {
      m.datasets['quotes']!.rows = '12' as unknown as number;
    }),
    /datasets\.quotes\.rows is "12": .*number/,
  ],
  [
    'a file above the folder',
    change((m) => {
      m.datasets['quotes']!.files[2] = '../../etc/passwd';
    }),
    /datasets\.quotes\.files\[2\] is "\.\.\/\.\.\/etc\/passwd": outside the data folder/,
  ],
  [
    'an absolute file',
    change((m) => {
      m.datasets['trades']!.files[0] = '/dev/zero';
    }),
    /datasets\.trades\.files\[0\] is "\/dev\/zero": outside the data folder/,
  ],
  [
    'a file that climbs out and back',
    change((m) => {
      m.datasets['trades']!.files[0] = 'trades/../../x/trades/2024-01-02.parquet';
    }),
    /datasets\.trades\.files\[0\] is .*: outside the data folder/,
  ],
  [
    'a file listed twice',
    change((m) => {
      const q = m.datasets['quotes']!;
      q.files[1] = `./${q.files[0]}`;
    }),
    /datasets\.quotes\.files\[1\] is "\.\/quotes\/2024-01-02\.parquet": expected each file once: datasets\.quotes\.files\[0\] lists it already/,
  ],
  [
    'a file listed by two datasets',
    change((m) => {
      m.datasets['trades']!.files[0] = m.datasets['quotes']!.files[0]!;
    }),
    /datasets\.trades\.files\[0\] is "quotes\/2024-01-02\.parquet": expected each file once: datasets\.quotes\.files\[0\] lists it already/,
  ],
];

describe('dataset manifests', () => {
  it.each(manifestCases)('refuses %s, naming the field', (_, edit, words) => {
    const dir = copyWith(edit);
    const err = errorOf(() => readManifest(dir));
    expect(err).toBeInstanceOf(DataError);
    expect(err.message.startsWith(`${join(dir, M)}: `)).toBe(true);
    expect(err.message).toMatch(words);
  });

  it('refuses a key given twice (JSON.parse would keep the second rows count without a word)', () => {
    const dir = copyWith();
    const text = readFileSync(join(dir, M), 'utf8');
    writeFileSync(join(dir, M), text.replace('"rows":', '"rows":1,"rows":'));
    const err = errorOf(() => readManifest(dir));
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toMatch(
      /^.*manifest\.json: not valid JSON \(line 1: key "rows" is given twice in one object \(at \$\.datasets\.\w+\)/,
    );
  });

  it('refuses a file whose sha256 is not the one in the manifest, naming it', async () => {
    const dir = copyWith((m) => m, true);
    const file = cleanManifest.datasets['quotes']!.files[1]!;
    const bytes = readFileSync(join(dir, file));
    bytes[bytes.length >> 1]! ^= 1;
    writeFileSync(join(dir, file), bytes);
    await expect(readAll(dir, readManifest(dir), 'quotes', 'Quote')).rejects.toThrow(
      new RegExp(
        `^${join(dir, file)}: sha256 is [0-9a-f]{64}, the manifest says ${cleanManifest.datasets['quotes']!.sha256![1]}: the file was changed or is corrupt`,
      ),
    );
    // Through a window too: the hashes follow their files.
    await expect(readAll(dir, manifestWindow(dir, readManifest(dir), '2024-01-03'), 'quotes', 'Quote')).rejects.toThrow(/sha256 is/);
    expect(await readAll(dir, manifestWindow(dir, readManifest(dir), undefined, '2024-01-02'), 'quotes', 'Quote')).toBeGreaterThan(0);
  });

  it("refuses a copy of one day's file under another day's name, each with its own hash right", async () => {
    const q = cleanManifest.datasets['quotes']!;
    const dir = copyWith(
      change((m) => {
        m.datasets['quotes']!.sha256![1] = q.sha256![0]!;
        delete m.datasets['quotes']!.rows;
      }),
      true,
    );
    writeFileSync(join(dir, q.files[1]!), readFileSync(join(dir, q.files[0]!)));
    await expect(readAll(dir, readManifest(dir), 'quotes', 'Quote')).rejects.toThrow(
      new RegExp(
        `^${join(dir, q.files[1]!)}: holds the same bytes as ${q.files[0]} \\(sha256 ${q.sha256![0]}\\): expected each file once, not a copy$`,
      ),
    );
  });

  it('reports a malformed date once, not again in the checks that compare with it', () => {
    const dir = copyWith(
      change((m) => {
        m.dates[1] = '2024-02-30';
      }),
    );
    expect(errorOf(() => readManifest(dir)).message).toBe(`${join(dir, M)}: dates[1] is "2024-02-30": expected a real date YYYY-MM-DD`);
  });

  it('reads the clean manifest as it is', () => {
    expect(readManifest(clean)).toEqual(cleanManifest);
  });

  it('refuses files that resolve outside the folder or are not regular files, naming the entry', async () => {
    const dir = copyWith((m) => {
      m.datasets['quotes']!.files = ['link-out.parquet', 'fifo.parquet', 'quotes'];
      m.datasets['trades']!.files = ['link-zero.parquet', 'big.parquet', 'trades/2024-01-04.parquet'];
      return m;
    });
    symlinkSync('/etc/passwd', join(dir, 'link-out.parquet'));
    symlinkSync('/dev/zero', join(dir, 'link-zero.parquet'));
    execFileSync('mkfifo', [join(dir, 'fifo.parquet')]);
    // A sparse file: one byte over the limit without writing it.
    writeFileSync(join(dir, 'big.parquet'), '');
    truncateSync(join(dir, 'big.parquet'), MAX_DATA_FILE_BYTES + 1);
    writeFileSync(join(dir, 'empty.parquet'), '');
    const check = (files: Record<string, string[]>, words: RegExp): void => {
      writeFileSync(
        join(dir, M),
        JSON.stringify({
          ...cleanManifest,
          datasets: Object.fromEntries(
            Object.entries(files).map(([k, f]) => [k, { schema: k === 'quotes' ? 'Quote' : 'Trade', files: f }]),
          ),
        }),
      );
      const err = errorOf(() => readManifest(dir));
      expect(err).toBeInstanceOf(DataError);
      expect(err.message).toMatch(words);
    };
    const q = cleanManifest.datasets['quotes']!.files;
    check(
      { quotes: ['link-out.parquet', q[1]!, q[2]!] },
      /datasets\.quotes\.files\[0\] is "link-out\.parquet": outside the data folder \(it resolves to \/etc\/passwd/,
    );
    check(
      { quotes: [q[0]!, 'link-zero.parquet', q[2]!] },
      /datasets\.quotes\.files\[1\] is "link-zero\.parquet": outside the data folder \(it resolves to \/dev\/zero/,
    );
    check(
      { quotes: [q[0]!, q[1]!, 'fifo.parquet'] },
      /datasets\.quotes\.files\[2\] is "fifo\.parquet": not a regular file \(a device, pipe or socket\)/,
    );
    check({ quotes: ['quotes', q[1]!, q[2]!] }, /datasets\.quotes\.files\[0\] is "quotes": not a regular file \(a folder\)/);
    check(
      { quotes: [q[0]!, 'big.parquet', q[2]!] },
      /datasets\.quotes\.files\[1\] is "big\.parquet": 536870913 bytes: larger than the limit of 536870912 bytes/,
    );
    check(
      { quotes: [q[0]!, 'empty.parquet', q[2]!] },
      /datasets\.quotes\.files\[1\] is "empty\.parquet": empty \(0 bytes\): expected a Parquet file$/,
    );
    // Read directly (a manifest not checked before), the reader refuses them too, naming the file.
    for (const [f, words] of [
      ['empty.parquet', /empty\.parquet: empty \(0 bytes\): expected a Parquet file$/],
      ['link-zero.parquet', /link-zero\.parquet: outside the data folder/],
      ['fifo.parquet', /fifo\.parquet: not a regular file/],
      ['big.parquet', /big\.parquet: 536870913 bytes: larger than the limit/],
      ['../../etc/passwd', /etc\/passwd: outside the data folder/],
    ] as const) {
      const manifest = { ...cleanManifest, datasets: { quotes: { schema: 'Quote', files: [f] } } } as DatasetManifest;
      await expect(readAll(dir, manifest, 'quotes', 'Quote')).rejects.toThrow(words);
    }
  });

  it('a symlink that stays inside the folder is read', async () => {
    const dir = copyWith(
      change((m) => {
        m.datasets['quotes']!.files[0] = 'alias.parquet';
      }),
    );
    symlinkSync(join(dir, 'quotes', '2024-01-02.parquet'), join(dir, 'alias.parquet'));
    const manifest = readManifest(dir);
    expect(await readAll(dir, manifest, 'quotes', 'Quote')).toBe(await readAll(clean, cleanManifest, 'quotes', 'Quote'));
  });

  it('refuses one file listed under two names, through a symlink or a hard link', () => {
    for (const link of [symlinkSync, linkSync]) {
      const dir = copyWith(
        change((m) => {
          m.datasets['quotes']!.files[1] = 'alias.parquet';
        }),
      );
      link(join(dir, 'quotes', '2024-01-02.parquet'), join(dir, 'alias.parquet'));
      expect(() => readManifest(dir)).toThrow(
        /manifest\.json: datasets\.quotes\.files\[1\] is "alias\.parquet": the same file as datasets\.quotes\.files\[0\] \(a link\): expected each file once$/,
      );
    }
  });

  it('refuses a window of no trading day, dates that do not exist, and --from after --to', () => {
    const m = readManifest(clean);
    expect(() => manifestWindow(clean, m, '2024-01-06', '2024-01-07')).toThrow(
      /no trading day from 2024-01-06 to 2024-01-07 \(the dataset has 2024-01-02 … 2024-01-04\)/,
    );
    expect(() => manifestWindow(clean, m, '2025-01-01')).toThrow(/no trading day from 2025-01-01 to the end/);
    expect(() => manifestWindow(clean, m, '2024-02-30')).toThrow(/--from is "2024-02-30": expected a real date YYYY-MM-DD/);
    expect(() => manifestWindow(clean, m, undefined, '2024-1-3')).toThrow(/--to is "2024-1-3": expected a real date/);
    expect(() => manifestWindow(clean, m, '2024-01-04', '2024-01-02')).toThrow(/--from 2024-01-04 is after --to 2024-01-02/);
    expect(manifestWindow(clean, m, '2024-01-03', '2024-01-03').datasets['quotes']!.files).toEqual(['quotes/2024-01-03.parquet']);
  });

  it('a weekend start day is refused, with the next trading day as the hint', () => {
    expect(() => tradingDays('2024-01-06', 3)).toThrow(
      /start day 2024-01-06 is a Saturday, not a trading day: start on a weekday \(the next is 2024-01-08\)/,
    );
    expect(() => tradingDays('2024-01-07', 3)).toThrow(/2024-01-07 is a Sunday.*the next is 2024-01-08/);
    expect(() => tradingDays('2024-02-30', 3)).toThrow(/invalid date "2024-02-30": expected a real date YYYY-MM-DD/);
    expect(tradingDays('2024-01-05', 3)).toEqual(['2024-01-05', '2024-01-08', '2024-01-09']);
  });
});

describe('data files', () => {
  const quotesFiles = (): string[] => cleanManifest.datasets['quotes']!.files;

  it('refuses a missing column before reading rows, naming the file and the column', async () => {
    const dir = copyWith();
    const file = rewriteQuotes(dir, 1, ({ bid: _bid, ...rest }) => rest);
    await expect(readAll(dir, readManifest(dir), 'quotes', 'Quote')).rejects.toThrow(
      new RegExp(`${join(dir, file)}: column "bid" missing: field bid of Quote \\(columns: ts_event, `),
    );
  });

  it('refuses timestamps in milliseconds or nanoseconds instead of reinterpreting them', async () => {
    for (const type of [new arrow.TimestampMillisecond(), new arrow.TimestampNanosecond()]) {
      const dir = copyWith();
      const file = rewriteQuotes(dir, 0, (c) => ({
        ...c,
        ts_known: arrow.vectorFromArray(
          // Arrow's getter and builder speak milliseconds, whatever the unit stored.
          Array.from(c['ts_known']!, (v) => Math.floor(Number(v))),
          type,
        ),
      }));
      await expect(readAll(dir, readManifest(dir), 'quotes', 'Quote')).rejects.toThrow(
        new RegExp(`${join(dir, file)}: column "ts_known" is Timestamp<\\w+>, expected a timestamp in microseconds`),
      );
    }
  });

  it('refuses strings where numbers belong, and nulls where the schema has none', async () => {
    const dir = copyWith();
    const file = rewriteQuotes(dir, 2, (c) => ({ ...c, ask: arrow.vectorFromArray(Array.from(c['ask']!, (v) => String(v))) }));
    await expect(readAll(dir, readManifest(dir), 'quotes', 'Quote')).rejects.toThrow(
      new RegExp(`${join(dir, file)}: column "ask" is Dictionary<Int32, Utf8>, expected a floating-point number`),
    );
    const dir2 = copyWith();
    const file2 = rewriteQuotes(dir2, 2, (c) => ({
      ...c,
      bid: arrow.vectorFromArray(
        Array.from(c['bid']!, (v, i) => (i === 3 ? null : Number(v))),
        new arrow.Float64(),
      ),
    }));
    await expect(readAll(dir2, readManifest(dir2), 'quotes', 'Quote')).rejects.toThrow(
      new RegExp(`${join(dir2, file2)}: column "bid" has 1 null value`),
    );
  });

  it('refuses files that hold another number of rows than the manifest says, once all are read', async () => {
    const rows = cleanManifest.datasets['quotes']!.rows!;
    const dir = copyWith(
      change((m) => {
        m.datasets['quotes']!.rows = rows + 1;
      }),
    );
    await expect(readAll(dir, readManifest(dir), 'quotes', 'Quote')).rejects.toThrow(
      new RegExp(`manifest\\.json: datasets\\.quotes\\.rows is ${rows + 1}: its files hold ${rows} rows`),
    );
    // A window reads some days only: the count of every day does not apply.
    const m = manifestWindow(dir, readManifest(dir), '2024-01-03', '2024-01-03');
    expect(await readAll(dir, m, 'quotes', 'Quote')).toBeLessThan(rows);
  });

  it("refuses a row known away from its file's day, and a manifest whose dates are not its files'", async () => {
    // One quote of 2030 at the end of the first day: every later quote of the run was refused as out of order.
    const dir = copyWith();
    const file = rewriteQuotes(dir, 0, (c) => {
      const n = c['ts_known']!.length;
      const at2030 = Date.UTC(2030, 0, 1); // Arrow's builder takes milliseconds
      return {
        ...c,
        ts_known: arrow.vectorFromArray(
          Array.from(c['ts_known']!, (v, i) => (i === n - 1 ? at2030 : Math.floor(Number(v)))),
          new arrow.TimestampMicrosecond(),
        ),
      };
    });
    const rows = cleanManifest.datasets['quotes']!.rows! / 3;
    await expect(readAll(dir, readManifest(dir), 'quotes', 'Quote')).rejects.toThrow(
      new RegExp(
        `${join(dir, file)}: row \\d+ has ts_known 2030-01-01T00:00:00.000000Z: expected a time from .* \\(around 2024-01-02's session`,
      ),
    );
    expect(rows).toBeGreaterThan(0);
    // The last two days' sessions a week later than their files' rows: replayed outside any session.
    const week = 7 * 86_400_000_000;
    const shifted = copyWith(
      change((m) => {
        m.dates = ['2024-01-02', '2024-01-10', '2024-01-11'];
        m.sessions.forEach((s, i) => {
          if (i === 0) return;
          s.date = m.dates[i]!;
          s.open += week;
          s.close += week;
        });
      }),
    );
    await expect(readAll(shifted, readManifest(shifted), 'quotes', 'Quote')).rejects.toThrow(
      new RegExp(`${join(shifted, quotesFiles()[1]!)}: row 0 has ts_known 2024-01-03T.*\\(around 2024-01-10's session`),
    );
  });

  it('refuses a print given again at a later ts_known, naming the file, both rows and both ts_known; a correction passes', async () => {
    const file = cleanManifest.datasets['trades']!.files[0]!;
    const reader = openDataset(clean, cleanManifest, 'trades', 'Trade');
    const trades: Trade[] = [];
    for (let b = await reader.next(); b && trades.length < 50; b = await reader.next()) trades.push(...b.toRecords());
    await reader.close();
    // The first 50 trades of the day, then trade 0 again at the last one's ts_known + 1 µs: only ts_known and seq differ.
    const kept = trades.slice(0, 50);
    const last = kept.at(-1)!;
    const again = (edit: Partial<Trade>): Trade[] => [...kept, { ...kept[0]!, ts_known: last.ts_known + 1, seq: last.seq + 1, ...edit }];
    const withRows = (rows: Trade[]): string => {
      const dir = copyWith(change((m) => delete m.datasets['trades']!.rows));
      writeRecordsParquet(join(dir, file), 'Trade', rows as unknown as Record<string, unknown>[]);
      return dir;
    };
    const repeated = withRows(again({}));
    const t = kept[0]!;
    await expect(readAll(repeated, readManifest(repeated), 'trades', 'Trade')).rejects.toThrow(
      `${join(repeated, file)}: rows 0 and 50 give the same print (${t.symbol} trade ${t.id} version ${t.version}, ts_event ${isoMicros(t.ts_event)}, ` +
        `price ${t.price}, size ${t.size}) at ts_known ${isoMicros(t.ts_known)} and ${isoMicros(last.ts_known + 1)}: expected a correction to be a new version of the trade, not the print again`,
    );
    // A correction is a new version: read as it is.
    const corrected = withRows(again({ version: t.version + 1 }));
    expect(await readAll(corrected, readManifest(corrected), 'trades', 'Trade')).toBeGreaterThan(51);
  });

  it('refuses a quotes file with no rows: a day without a market, as a missing file is', async () => {
    const dir = copyWith();
    const file = rewriteQuotes(dir, 1, (c) => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, v.slice(0, 0)])));
    await expect(readAll(dir, readManifest(dir), 'quotes', 'Quote')).rejects.toThrow(
      new RegExp(`${join(dir, file)}: no rows: expected the quotes of 2024-01-03`),
    );
  });

  it('refuses a dataset read as another schema than its manifest says', async () => {
    const dir = copyWith(
      change((m) => {
        m.datasets['quotes']!.schema = 'Trade';
      }),
    );
    expect(() => openDataset(dir, readManifest(dir), 'quotes', 'Quote')).toThrow(
      /datasets\.quotes\.schema is "Trade": the replay reads it as Quote/,
    );
  });

  it('refuses truncated and empty Parquet files, naming them', async () => {
    for (const cut of [0, 4, 100, 0.5, -8]) {
      const dir = copyWith();
      const file = quotesFiles()[1]!;
      const bytes = readFileSync(join(clean, file));
      const keep = cut > 0 && cut < 1 ? Math.floor(bytes.length * cut) : cut < 0 ? bytes.length + cut : cut;
      writeFileSync(join(dir, file), bytes.subarray(0, keep));
      if (keep === 0) {
        // Empty: refused with the manifest's other file checks, before a row is read.
        expect(() => readManifest(dir)).toThrow(/datasets\.quotes\.files\[1\] is .*: empty \(0 bytes\): expected a Parquet file$/);
        continue;
      }
      const err = await rejectionOf(readAll(dir, readManifest(dir), 'quotes', 'Quote'));
      expect(err).toBeInstanceOf(DataError);
      expect(err.message).toMatch(new RegExp(`^${join(dir, file)}: not a readable Parquet file`));
    }
  });

  it('property: flipped bytes in a Parquet file give a DataError naming it or the same rows (with a sha256), never a crash or hang', async () => {
    const dir = folder('flips');
    mkdirSync(join(dir, 'q'));
    // A small file: the first 300 quotes of a day.
    const table = readParquetFile(join(clean, quotesFiles()[0]!)).slice(0, 300);
    const original = parquetBytes(table);
    const sha256 = createHash('sha256').update(original).digest('hex');
    const path = join(dir, 'q/x.parquet');
    const manifestOf = (hashed: boolean) =>
      ({
        datasets: { quotes: { schema: 'Quote', files: ['q/x.parquet'], ...(hashed ? { sha256: [sha256] } : {}) } },
      }) as unknown as DatasetManifest;
    const recordsOf = async (manifest: DatasetManifest): Promise<unknown[]> => {
      const reader = openDataset(dir, manifest, 'quotes', 'Quote');
      const out: unknown[] = [];
      for (let b = await reader.next(); b; b = await reader.next()) out.push(...b.toRecords());
      return out;
    };
    writeFileSync(path, original);
    const rows = await recordsOf(manifestOf(true));
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(original.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        async (flips, hashed) => {
          const bytes = Uint8Array.from(original);
          for (const [at, x] of flips) bytes[at]! ^= x;
          writeFileSync(path, bytes);
          try {
            const read = await recordsOf(manifestOf(hashed));
            // With the manifest's sha256 only the same rows may come out. Without it (a manifest written
            // by hand) a flipped value byte can decode to another value, as Parquet pages carry no
            // checksum here: what must hold is that whatever is read has the schema's columns and the
            // file's row count.
            if (hashed) expect(read).toEqual(rows);
            else expect(read.length).toBe(300);
          } catch (err) {
            if (!(err instanceof DataError)) throw err;
            expect(err.message.startsWith(`${path}: `)).toBe(true);
            refused++;
          }
        },
      ),
      { numRuns: 300, interruptAfterTimeLimit: 8_000, seed: 7 },
    );
    expect(refused).toBeGreaterThan(0);
    // The decoder is still sound after the corrupt files: the original reads whole.
    writeFileSync(path, original);
    expect(await recordsOf(manifestOf(false))).toEqual(rows);
  }, 30_000);
});

describe('property: random manifests', () => {
  /** Replaces the value at a random path of the clean manifest with a random JSON value. */
  const mutated = fc.tuple(fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), fc.jsonValue({ maxDepth: 2 })).map(([choices, value]) => {
    const m = JSON.parse(JSON.stringify(cleanManifest)) as Record<string, unknown>;
    let at: Record<string, unknown> | unknown[] = m;
    for (const [i, c] of choices.entries()) {
      const keys = Object.keys(at);
      if (keys.length === 0) break;
      const key = keys[c % keys.length]!;
      const next = (at as Record<string, unknown>)[key];
      if (i === choices.length - 1 || next === null || typeof next !== 'object') {
        (at as Record<string, unknown>)[key] = value;
        break;
      }
      at = next as Record<string, unknown>;
    }
    return m as unknown;
  });

  it('a mutated or arbitrary manifest is either valid (and consistent) or refused with a message naming the file', () => {
    const file = 'data/x/manifest.json';
    fc.assert(
      fc.property(fc.oneof({ weight: 4, arbitrary: mutated }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) }), (json) => {
        let m: DatasetManifest;
        try {
          m = validateManifest(file, json);
        } catch (err) {
          expect(err).toBeInstanceOf(DataError);
          for (const line of (err as Error).message.split('\n')) expect(line.startsWith(`${file}: `)).toBe(true);
          return;
        }
        // Valid: the invariants a replay relies on hold.
        expect(m.dates.length).toBeGreaterThan(0);
        expect(m.sessions.map((s) => s.date)).toEqual(m.dates);
        expect([...m.dates].sort()).toEqual(m.dates);
        for (const [i, s] of m.sessions.entries()) {
          expect(s.open).toBeLessThan(s.close);
          if (i > 0) expect(s.open).toBeGreaterThanOrEqual(m.sessions[i - 1]!.close);
        }
        expect(m.universe.length).toBeGreaterThan(0);
        for (const d of Object.values(m.datasets)) expect(d.files.length).toBe(m.dates.length);
      }),
      { numRuns: 2_000, interruptAfterTimeLimit: 5_000, seed: 11 },
    );
  });
});

describe('through the command line', () => {
  function alpha(args: string[]): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, ['bin/alpha.mjs', ...args], { cwd: ROOT, timeout: 30_000 }, (err, _stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stderr }),
      );
    });
  }

  it('exits 1 with the reason and no stack trace', async () => {
    const nullManifest = copyWith(() => null);
    const outside = copyWith(
      change((m) => {
        m.datasets['quotes']!.files[2] = '../../etc/passwd';
      }),
    );
    const zero = copyWith(
      change((m) => {
        m.datasets['trades']!.files[0] = 'zero.parquet';
      }),
    );
    symlinkSync('/dev/zero', join(zero, 'zero.parquet'));
    const noColumn = copyWith();
    rewriteQuotes(noColumn, 0, ({ ask: _ask, ...rest }) => rest);
    // Terminal escapes (retitle, clear the screen, a C1 CSI) that JSON.parse's message quotes back.
    const escapes = copyWith();
    writeFileSync(join(escapes, 'manifest.json'), '\x1b]0;pwned\x07\x1b[2J\u009b31m');
    // Line breaks JSON.parse's message quotes back would print lines of the file's choosing.
    const lines = copyWith();
    writeFileSync(join(lines, 'manifest.json'), '{\n"a":\n x\nalpha: all good\n');
    const cases: [string[], RegExp][] = [
      [['backtest', topologyFile, '--data', nullManifest], /manifest\.json: is null: expected an object/],
      [
        ['backtest', topologyFile, '--data', escapes],
        /manifest\.json: not valid JSON \(Unexpected token '\\x1b', "\\x1b]0;pwned\\x07\\x1b\[2J\\x9b31m"/,
      ],
      [['backtest', topologyFile, '--data', lines], /manifest\.json: not valid JSON \(.*\\nalpha: a/],
      [['backtest', topologyFile, '--data', outside], /datasets\.quotes\.files\[2\] is "\.\.\/\.\.\/etc\/passwd": outside the data folder/],
      [['backtest', topologyFile, '--data', zero], /datasets\.trades\.files\[0\] is "zero\.parquet": outside the data folder/],
      [['backtest', topologyFile, '--data', noColumn], /quotes\/2024-01-02\.parquet: column "ask" missing/],
      [
        ['backtest', topologyFile, '--data', clean, '--from', '2024-01-06', '--to', '2024-01-07'],
        /no trading day from 2024-01-06 to 2024-01-07/,
      ],
      [
        ['data', 'generate', '--out', join(folder('gen'), 'd'), '--symbols', '2', '--days', '2', '--start', '2024-01-06'],
        /2024-01-06 is a Saturday.*the next is 2024-01-08/,
      ],
    ];
    const runs = await Promise.all(
      cases.map(([args]) => alpha([...args, ...(args[0] === 'backtest' ? ['--out', join(folder('out'), 'o')] : [])])),
    );
    for (const [i, run] of runs.entries()) {
      expect(run.stderr, cases[i]![0].join(' ')).toMatch(cases[i]![1]);
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toMatch(/^(error|alpha): /);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: no control character but the line ends reaches the terminal.
      expect(run.stderr).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
      expect(run.stderr).not.toMatch(/\n\s+at |unexpected error/);
      // One alpha: line: none made of a quoted file's own lines.
      expect(run.stderr.split('\n').filter((l) => l.startsWith('alpha:'))).toHaveLength(1);
    }
  }, 60_000);
});

describe('generator arguments', () => {
  it.each([
    [{ symbols: 1_000_000_000 }, '--symbols is 1000000000: expected an integer from 1 to 10,000'],
    [{ symbols: 0 }, '--symbols is 0: expected an integer from 1 to 10,000'],
    [{ days: 2.5 }, '--days is 2.5: expected an integer from 1 to 2,520'],
    [{ symbols: 1000, days: 100 }, '--symbols 1000 × --days 100 is 100,000 symbol-days: expected at most 20,000'],
    [{ alpha: Number.NaN }, '--alpha is NaN: expected a number >= 0'],
    [{ seed: 1.5 }, '--seed is 1.5: expected an integer'],
    [{ ic: 0.3 }, '--ic is 0.3: expected a number from 0 to 0.15'],
    [{ ic: -0.01 }, '--ic is -0.01: expected a number from 0 to 0.15'],
    [{ ic: Number.NaN }, '--ic is NaN: expected a number from 0 to 0.15'],
    [{ ic: 0.05, alpha: 1 }, '--ic and --alpha both set the planted alpha: expected one of them'],
    [{ tradePrices: 'mid' as 'last-touch' }, '--trade-prices is "mid": expected one of quote-in-force, last-touch'],
    ...[-1, 1, 2.5, 11, 1e9, Number.NaN, Number.POSITIVE_INFINITY].map((depth): [{ depth: number }, string] => [
      { depth },
      `--depth is ${depth}: expected 0 (no depth dataset) or a whole number of levels from 2 to 10, the top included`,
    ]),
    [
      { symbols: 1000, days: 10, depth: 4 },
      '--depth 4 on 10,000 symbol-days is 30,000 symbol-days × levels beyond the top: expected at most 20,000 (fewer levels, symbols or days)',
    ],
  ])('refuses %j before writing anything', async (args, message) => {
    const out = join(tempDir('hostile-gen'), 'out');
    await expect(generateDataset({ out, ...args })).rejects.toThrow(message);
    await expect(generateDataset({ out, ...args })).rejects.toBeInstanceOf(AlphaError);
    expect(existsSync(out)).toBe(false);
  });
});
