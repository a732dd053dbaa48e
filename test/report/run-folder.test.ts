/**
 * `alpha report` on a run folder whose files a run cannot have written: a real backtest's folder (12
 * symbols × 6 days of the default topology), copied and damaged one way per test. Each damage is
 * refused as a DataError naming the file, the column, the row and what is accepted (through
 * readRunFolder), never read as fact; the memory bombs and a sample of the others go through the
 * real command line, which must print one `alpha: …` line, exit 1 and write no report. The expected
 * rows and values are the ones each test planted.
 */
import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Dictionary,
  Float64,
  Int8,
  Int32,
  Int64,
  makeData,
  makeVector,
  Table,
  TimestampMicrosecond,
  Utf8,
  type Vector,
  vectorFromArray,
} from 'apache-arrow';
import { parquetMetadata } from 'hyparquet';
import { beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../../lib/core/errors.ts';
import { readParquetFile, writeParquetFile } from '../../lib/io/parquet.ts';
import { MAX_RUN_FILE_DECODED_BYTES, MAX_RUN_FILE_ROWS, parquetSize } from '../../pipelines/report/parquet-size.ts';
import { MAX_SUMMARY_BYTES, readRunFolder } from '../../pipelines/report/run-folder.ts';
import { runBacktest } from '../../pipelines/runtime/backtest.ts';
import { ROOT, runAlpha } from '../helpers/cli.ts';
import { dataset, tempDir } from '../helpers/datasets.ts';

let run: string;
let data: string;

beforeAll(async () => {
  data = await dataset({ symbols: 12, days: 6, seed: 5 });
  run = tempDir('report-folder-run');
  await runBacktest({ topologyFile: join(ROOT, 'topology.yaml'), dataDir: data, outDir: run });
}, 120_000);

/** A copy of the run folder, changed by `damage`. */
function damaged(damage: (dir: string) => void): string {
  const dir = join(tempDir('report-folder'), 'run');
  cpSync(run, dir, { recursive: true });
  damage(dir);
  return dir;
}

/** `file` of `dir` rewritten with its column `name` replaced by `make(the column)`. */
function withColumn(dir: string, file: string, name: string, make: (old: Vector, rows: number) => Vector): void {
  const t = readParquetFile(join(dir, file));
  const columns: Record<string, Vector> = {};
  for (const f of t.schema.fields) columns[f.name] = f.name === name ? make(t.getChild(f.name)!, t.numRows) : t.getChild(f.name)!;
  writeParquetFile(join(dir, file), new Table(columns));
}

/** `file` of `dir` rewritten with only its first `n` rows. */
function firstRows(dir: string, file: string, n: number): void {
  const t = readParquetFile(join(dir, file));
  writeParquetFile(join(dir, file), t.slice(0, n));
}

const floats = (values: (number | null)[]): Vector => vectorFromArray(values, new Float64());
const strings = (values: (string | null)[]): Vector => vectorFromArray(values, new Utf8());

/** The DataError readRunFolder throws for `dir`. */
function refusal(dir: string): DataError {
  try {
    readRunFolder(dir);
  } catch (err) {
    expect(err).toBeInstanceOf(DataError);
    return err as DataError;
  }
  throw new Error(`${dir} was read as a run folder`);
}

async function refusedByCli(dir: string, ...words: (string | RegExp)[]): Promise<void> {
  const r = await runAlpha(['report', dir], 120_000);
  expect(r.code, r.stderr).toBe(1);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^alpha: /);
  expect(r.stderr).not.toMatch(/\n\s+at |unexpected error/);
  for (const w of words) expect(r.stderr).toMatch(w);
  expect(readdirSync(dir).filter((f) => f.endsWith('.html') || f.endsWith('.tmp'))).toEqual([]);
}

describe('the undamaged run', () => {
  it('is read, with fills, orders and a position at the end (so the damages below have something to break)', () => {
    const data = readRunFolder(run);
    expect(data.fills.ts.length).toBeGreaterThan(0);
    expect(data.orders.orderId.length).toBeGreaterThan(0);
    expect(data.equity.lastPositions.length).toBeGreaterThan(0);
  });
});

describe('equity.parquet in ts_known order (issue 1)', () => {
  it('times reversed are refused, naming the first row earlier than the one before it', () => {
    let ms: number[] = [];
    const dir = damaged((d) =>
      withColumn(d, 'equity.parquet', 'ts_known', (old, n) => {
        // The same times, last first (the run's last states share a time, so the first fall is a row or two in).
        ms = Array.from({ length: n }, (_, i) => old.get(n - 1 - i) as number);
        return vectorFromArray(ms, new TimestampMicrosecond());
      }),
    );
    const row = ms.findIndex((x, i) => i > 0 && x < ms[i - 1]!);
    expect(row).toBeGreaterThan(0);
    const e = refusal(dir);
    expect(e.file).toBe(join(dir, 'equity.parquet'));
    expect(e.detail).toBe(
      `column "ts_known" row ${row} is ${new Date(ms[row]!).toISOString()}, before row ${row - 1} (${new Date(ms[row - 1]!).toISOString()}): expected the portfolio states in time order, as alpha backtest writes them`,
    );
  });

  it('a null ts_known is refused (it read as 1970, and gave "sharpe NaN")', async () => {
    const dir = damaged((d) =>
      withColumn(d, 'equity.parquet', 'ts_known', (old, n) =>
        vectorFromArray(
          Array.from({ length: n }, (_, i) => (i === 3 ? null : (old.get(i) as number))),
          new TimestampMicrosecond(),
        ),
      ),
    );
    expect(refusal(dir).detail).toBe('column "ts_known" row 3 is null: expected a timestamp or 64-bit integer in every row');
    await refusedByCli(dir, 'equity.parquet', 'column "ts_known" row 3 is null');
  });
});

describe("equity.parquet on the run's days (docs walkthrough)", () => {
  const DAY_MS = 86_400_000;
  /** The dataset's trading dates, as its manifest lists them. */
  const dates = (): string[] => (JSON.parse(readFileSync(join(data, 'manifest.json'), 'utf8')) as { dates: string[] }).dates;
  const range = (): string => `${dates()[0]} … ${dates().at(-1)}`;

  it("summary.json names the run's first and last day: the dataset's first and last dates (its sessions are within one UTC day)", () => {
    const summary = readRunFolder(run).summary;
    expect([summary['first_day'], summary['last_day']]).toEqual([dates()[0], dates().at(-1)]);
  });

  it("a portfolio state a year after the last day is refused, naming the file, the row and the run's days", async () => {
    let ms: number[] = [];
    const dir = damaged((d) =>
      withColumn(d, 'equity.parquet', 'ts_known', (old, n) => {
        // The last state moved 365 days on: still in time order, same equity, same positions.
        ms = Array.from({ length: n }, (_, i) => (old.get(i) as number) + (i === n - 1 ? 365 * DAY_MS : 0));
        return vectorFromArray(ms, new TimestampMicrosecond());
      }),
    );
    const row = ms.length - 1;
    const e = refusal(dir);
    expect(e.file).toBe(join(dir, 'equity.parquet'));
    expect(e.detail).toBe(
      `column "ts_known" row ${row} is ${new Date(ms[row]!).toISOString()}, outside the run's days ${range()} (summary.json's first_day and last_day): expected the portfolio states of the run, each on one of its days`,
    );
    await refusedByCli(dir, 'equity.parquet', `row ${row} is`, range());
  });

  it('a portfolio state the day before the first day is refused', () => {
    let ms: number[] = [];
    const dir = damaged((d) =>
      withColumn(d, 'equity.parquet', 'ts_known', (old, n) => {
        ms = Array.from({ length: n }, (_, i) => (old.get(i) as number) - (i === 0 ? DAY_MS : 0));
        return vectorFromArray(ms, new TimestampMicrosecond());
      }),
    );
    expect(refusal(dir).detail).toMatch(
      new RegExp(`^column "ts_known" row 0 is ${new Date(ms[0]!).toISOString()}, outside the run's days`),
    );
  });

  it("a summary whose days end before the run's states is refused the same way (the range is the summary's)", () => {
    const dir = damaged((d) => {
      const summary = JSON.parse(readFileSync(join(d, 'summary.json'), 'utf8')) as Record<string, unknown>;
      writeFileSync(join(d, 'summary.json'), JSON.stringify({ ...summary, last_day: dates()[0] }));
    });
    expect(refusal(dir).detail).toMatch(new RegExp(`, outside the run's days ${dates()[0]} … ${dates()[0]} \\(summary.json's`));
  });

  it('a summary whose first day is after its last is refused as the summary, not as the states', () => {
    const dir = damaged((d) => {
      const summary = JSON.parse(readFileSync(join(d, 'summary.json'), 'utf8')) as Record<string, unknown>;
      writeFileSync(join(d, 'summary.json'), JSON.stringify({ ...summary, first_day: '2099-01-01' }));
    });
    const e = refusal(dir);
    expect(e.file).toBe(join(dir, 'summary.json'));
    expect(e.detail).toBe(
      `first_day 2099-01-01 is after last_day ${dates().at(-1)}: expected the run's first day on or before its last, as alpha backtest writes`,
    );
  });
});

describe('a run that lost everything', () => {
  it('is reported: equity at or below 0 after the start is a result, not damage', () => {
    // Every state's equity less what the run ended with, and 5: the same fills and PnL from a smaller
    // start (still above 0), ending at -5, so PnL by symbol still adds up to the change in equity.
    const dir = damaged((d) =>
      withColumn(d, 'equity.parquet', 'equity', (old, n) => {
        const shift = (old.get(n - 1) as number) + 5;
        return floats(Array.from({ length: n }, (_, i) => (old.get(i) as number) - shift));
      }),
    );
    const equity = readRunFolder(dir).equity.equity;
    expect(equity[0]).toBeGreaterThan(0);
    expect(equity.at(-1)).toBeCloseTo(-5, 6);
  });
});

describe('values a run cannot have written (issue 2)', () => {
  /** [what, file, the damage, the refusal's detail]. */
  const cases: [string, string, (dir: string) => void, RegExp][] = [
    [
      'equity all NaN',
      'equity.parquet',
      (d) => withColumn(d, 'equity.parquet', 'equity', (_, n) => floats(new Array(n).fill(Number.NaN))),
      /^column "equity" row 0 is NaN: expected a finite number$/,
    ],
    [
      'equity +Infinity in row 2',
      'equity.parquet',
      (d) =>
        withColumn(d, 'equity.parquet', 'equity', (old, n) =>
          floats(Array.from({ length: n }, (_, i) => (i === 2 ? Infinity : old.get(i)))),
        ),
      /^column "equity" row 2 is Infinity: expected a finite number$/,
    ],
    [
      'equity -Infinity in the last row',
      'equity.parquet',
      (d) =>
        withColumn(d, 'equity.parquet', 'equity', (old, n) =>
          floats(Array.from({ length: n }, (_, i) => (i === n - 1 ? -Infinity : old.get(i)))),
        ),
      /^column "equity" row \d+ is -Infinity: expected a finite number$/,
    ],
    [
      'equity 0 in every row',
      'equity.parquet',
      (d) => withColumn(d, 'equity.parquet', 'equity', (_, n) => floats(new Array(n).fill(0))),
      /^column "equity" row 0 is 0: expected the starting equity, a finite number above 0/,
    ],
    [
      'fills.qty NaN',
      'fills.parquet',
      (d) => withColumn(d, 'fills.parquet', 'qty', (_, n) => floats(new Array(n).fill(Number.NaN))),
      /^column "qty" row 0 is NaN: expected a number of shares above 0 and at most 2\^53$/,
    ],
    [
      'fills.qty 1e308',
      'fills.parquet',
      (d) => withColumn(d, 'fills.parquet', 'qty', (_, n) => floats(new Array(n).fill(1e308))),
      /^column "qty" row 0 is 1e\+308: expected a number of shares above 0 and at most 2\^53$/,
    ],
    [
      'fills.price 0',
      'fills.parquet',
      (d) => withColumn(d, 'fills.parquet', 'price', (_, n) => floats(new Array(n).fill(0))),
      /^column "price" row 0 is 0: expected a finite number above 0$/,
    ],
    [
      'fills.symbol null',
      'fills.parquet',
      (d) => withColumn(d, 'fills.parquet', 'symbol', (_, n) => strings(new Array(n).fill(null))),
      /^column "symbol" row 0 is null: expected a string in every row$/,
    ],
    [
      'orders.ref_price 0',
      'orders.parquet',
      (d) => withColumn(d, 'orders.parquet', 'ref_price', (_, n) => floats(new Array(n).fill(0))),
      /^column "ref_price" row 0 is 0: expected a finite number above 0 \(a NEW order\)$/,
    ],
    [
      'orders.order_id null',
      'orders.parquet',
      (d) => withColumn(d, 'orders.parquet', 'order_id', (_, n) => strings(new Array(n).fill(null))),
      /^column "order_id" row 0 is null: expected a string in every row$/,
    ],
    [
      'orders.order_id the same twice',
      'orders.parquet',
      (d) =>
        withColumn(d, 'orders.parquet', 'order_id', (old, n) =>
          strings(Array.from({ length: n }, (_, i) => (i === 1 ? old.get(0) : old.get(i)))),
        ),
      /^column "order_id" row 1 is ".*", as row 0 is: expected each order once \(a unique order_id\)$/,
    ],
    [
      'no orders, with fills',
      'orders.parquet',
      (d) => firstRows(d, 'orders.parquet', 0),
      /^no rows, while fills.parquet holds \d+ fills: expected the orders the run sent/,
    ],
    [
      'order_states.status null',
      'order_states.parquet',
      (d) => withColumn(d, 'order_states.parquet', 'status', (_, n) => strings(new Array(n).fill(null))),
      /^column "status" row 0 is null: expected a string in every row$/,
    ],
    [
      'positions null in every row',
      'equity.parquet',
      (d) =>
        withColumn(d, 'equity.parquet', 'positions', (old, n) =>
          makeVector(
            makeData({
              type: old.type,
              length: n,
              nullCount: n,
              nullBitmap: new Uint8Array(Math.ceil(n / 8)),
              valueOffsets: new Int32Array(n + 1),
              child: old.data[0]!.children[0]!.slice(0, 0),
            }),
          ),
        ),
      /^column "positions" row 0 is null: expected a list of \{ symbol: string, qty: number, mark: number \}/,
    ],
    [
      'predictions.value NaN in row 2 (review D7: it was left out of the IC without a word)',
      'predictions.parquet',
      (d) =>
        withColumn(d, 'predictions.parquet', 'value', (old, n) =>
          floats(Array.from({ length: n }, (_, i) => (i === 2 ? Number.NaN : old.get(i)))),
        ),
      /^column "value" row 2 is NaN: expected a finite number$/,
    ],
  ];

  it.each(cases)('%s is refused, naming the file, the column and the row', (_, file, damage, detail) => {
    const dir = damaged(damage);
    const e = refusal(dir);
    expect(e.file).toBe(join(dir, file));
    expect(e.detail).toMatch(detail);
  });

  it('through the command line: one line, exit 1, no report', async () => {
    await Promise.all([
      refusedByCli(damaged(cases[0]![2]), 'equity.parquet: column "equity" row 0 is NaN'),
      refusedByCli(damaged(cases[10]![2]), 'orders.parquet: column "order_id" row 1'),
    ]);
  });
});

describe('a positions column of another type (issue 3)', () => {
  it('strings are refused by their type, not "p.toJSON is not a function"', async () => {
    const dir = damaged((d) => withColumn(d, 'equity.parquet', 'positions', (_, n) => strings(new Array(n).fill('x'))));
    expect(refusal(dir).detail).toMatch(/^column "positions" is Utf8: expected a list of \{ symbol: string, qty: number, mark: number \}/);
    await refusedByCli(dir, 'equity.parquet: column "positions" is Utf8');
  });
});

describe('summary.json (issues 4 and 5)', () => {
  const summary = (): Record<string, unknown> => JSON.parse(JSON.stringify(readRunFolder(run).summary)) as Record<string, unknown>;

  it(`is refused above ${MAX_SUMMARY_BYTES} bytes before it is parsed, even when it is a valid summary`, async () => {
    const dir = damaged((d) => {
      // A real summary with 2 MiB of padding in a field the report does not show.
      writeFileSync(join(d, 'summary.json'), JSON.stringify({ ...summary(), padding: 'x'.repeat(2 * 1024 * 1024) }));
    });
    expect(refusal(dir).detail).toMatch(/^\d+ bytes: larger than the limit of 1048576 bytes for a run's summary/);
    await refusedByCli(dir, 'summary.json', 'larger than the limit of 1048576 bytes');
  });

  const mistyped: [string, unknown, RegExp][] = [
    ['topology', 123, /^field "topology" is 123: expected the topology's name/],
    ['topology', '', /^field "topology" is "": expected the topology's name/],
    ['events', 'lots', /^field "events" is "lots": expected a count/],
    ['fills', -1, /^field "fills" is -1: expected a count/],
    ['orders', 1.5, /^field "orders" is 1.5: expected a count/],
    ['dead_letters', null, /^field "dead_letters" is null: expected a count/],
    ['git_commit', true, /^field "git_commit" is true: expected a git commit id/],
    ['seed', { a: 1 }, /^field "seed" is \{"a":1\}: expected an integer/],
    ['data_sha256', '<script>alert(1)</script>', /^field "data_sha256" is "<script>alert\(1\)<\/script>": expected a SHA-256/],
    ['last_day', '2024-02-30', /^field "last_day" is "2024-02-30": expected a date YYYY-MM-DD/],
  ];
  it.each(mistyped)('a mistyped %s (%j) is refused', (key, value, detail) => {
    const dir = damaged((d) => writeFileSync(join(d, 'summary.json'), JSON.stringify({ ...summary(), [key]: value })));
    const e = refusal(dir);
    expect(e.file).toBe(join(dir, 'summary.json'));
    expect(e.detail).toMatch(detail);
  });

  it('orders 1e400 (Infinity once parsed) and {} are refused; null git_commit (a run outside git) is read', async () => {
    const inf = damaged((d) => writeFileSync(join(d, 'summary.json'), `{"topology": "default", "orders": 1e400}`));
    expect(refusal(inf).detail).toMatch(/^field "orders" is Infinity: expected a count/);
    // JSON.parse's message quotes the text, line breaks and all: kept on one line.
    const lines = damaged((d) => writeFileSync(join(d, 'summary.json'), '{\n"a":\n x\nalpha: all good'));
    expect(refusal(lines).detail).toMatch(/^not JSON \(Unexpected token .*\\nalpha: a.*\): expected the summary alpha backtest writes$/);
    expect(refusal(lines).detail).not.toContain('\n');
    const empty = damaged((d) => writeFileSync(join(d, 'summary.json'), '{}'));
    expect(refusal(empty).detail).toMatch(/^field "topology" is missing: expected the topology's name/);
    await refusedByCli(empty, 'summary.json: field "topology" is missing');
    const noGit = damaged((d) => writeFileSync(join(d, 'summary.json'), JSON.stringify({ ...summary(), git_commit: null })));
    expect(readRunFolder(noGit).summary['git_commit']).toBeNull();
  });
});

describe('Parquet files that decode to far more than they weigh (issue 6)', () => {
  it('the footer bounds hold a 40-symbol × 250-day run: this run (12 × 6) scaled by 139 stays under them', () => {
    // Every file's rows and decoded size grow at most with symbols × days (equity's rows with days,
    // its positions with symbols): (40 × 250) / (12 × 6) = 138.9.
    for (const file of readdirSync(run).filter((f) => f.endsWith('.parquet'))) {
      const size = parquetSize(readFileSync(join(run, file)))!;
      expect(size.rows * 139, file).toBeLessThan(MAX_RUN_FILE_ROWS);
      expect(size.decodedBytes * 139, file).toBeLessThan(MAX_RUN_FILE_DECODED_BYTES);
    }
  });

  it("counts a string column's values at its dictionary's longest entry, not at the dictionary page's size", () => {
    // 500 entries of 10 bytes and one of 3,000: the page holds about 8 KB, the longest entry 3,000.
    const entries = [...Array.from({ length: 500 }, (_, i) => `id-${String(i).padStart(7, '0')}`), 'L'.repeat(3000)];
    const n = 1000;
    const ids = makeVector(
      makeData({
        type: new Dictionary(new Utf8(), new Int32()),
        length: n,
        data: Int32Array.from({ length: n }, (_, i) => i % entries.length),
        dictionary: vectorFromArray(entries, new Utf8()),
      }),
    );
    const file = join(tempDir('dictionary'), 'x.parquet');
    const size = parquetSize(writeParquetFile(file, new Table({ order_id: ids })))!;
    expect(size.rows).toBe(n);
    expect(size.decodedBytes).toBeGreaterThanOrEqual(n * 3000);
    expect(size.decodedBytes).toBeLessThan(n * 3000 + 50_000);
  });

  it('counts a file whose footer puts a dictionary page outside it at the whole file for every value, never less', () => {
    const n = 1000;
    const dict = (entries: string[]): Vector =>
      makeVector(
        makeData({
          type: new Dictionary(new Utf8(), new Int32()),
          length: n,
          data: Int32Array.from({ length: n }, (_, i) => i % entries.length),
          dictionary: vectorFromArray(entries, new Utf8()),
        }),
      );
    const file = join(tempDir('lying-footer'), 'x.parquet');
    const bytes = writeParquetFile(file, new Table({ id: dict(['a', 'b']) }));
    const offset = Number(parquetMetadata(Uint8Array.from(bytes).buffer).row_groups[0]!.columns[0]!.meta_data!.dictionary_page_offset);
    // The footer's dictionary_page_offset (field 11, an i64: compact type 6) set to 2^40.
    const zigzag = (v: bigint): number[] => {
      const out: number[] = [];
      for (let z = v << 1n; ; z >>= 7n) {
        if (z < 0x80n) return [...out, Number(z)];
        out.push(Number(z & 0x7fn) | 0x80);
      }
    };
    const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(bytes.length - 8, true);
    const start = bytes.length - 8 - length;
    const footer = [...bytes.subarray(start, bytes.length - 8)];
    const was = zigzag(BigInt(offset));
    const at = footer.findIndex((b, i) => (b & 0x0f) === 6 && was.every((x, k) => footer[i + 1 + k] === x));
    expect(at).toBeGreaterThan(0);
    const lying = [...footer.slice(0, at + 1), ...zigzag(1n << 40n), ...footer.slice(at + 1 + was.length)];
    const tail = new Uint8Array(8);
    new DataView(tail.buffer).setUint32(0, lying.length, true);
    tail.set([0x50, 0x41, 0x52, 0x31], 4);
    const patched = Uint8Array.from([...bytes.subarray(0, start), ...lying, ...tail]);
    expect(Number(parquetMetadata(patched.buffer).row_groups[0]!.columns[0]!.meta_data!.dictionary_page_offset)).toBe(2 ** 40);
    expect(parquetSize(patched)!.decodedBytes).toBeGreaterThanOrEqual(n * patched.length);
  });

  it(`a ${MAX_RUN_FILE_ROWS + 1}-row equity.parquet of a few KB is refused by its footer`, async () => {
    const rows = MAX_RUN_FILE_ROWS + 1;
    const dir = damaged((d) =>
      writeParquetFile(
        join(d, 'equity.parquet'),
        new Table({ flag: makeVector(makeData({ type: new Int8(), length: rows, data: new Int8Array(rows) })) }),
      ),
    );
    expect(refusal(dir).detail).toMatch(/^10000001 rows by its footer: expected at most 10000000 in a run file/);
    await refusedByCli(dir, 'equity.parquet: 10000001 rows by its footer');
  });

  it('fills.parquet of 200,000 rows repeating one 20 KB order id (4 GB decoded) is refused before it is decoded', async () => {
    const n = 200_000;
    const t = readParquetFile(join(run, 'fills.parquet'));
    const long = 'X'.repeat(20_000);
    // One real fill, repeated: every string column a dictionary of one value, order_id's 20 KB long.
    const dict = (value: string): Vector =>
      makeVector(
        makeData({
          type: new Dictionary(new Utf8(), new Int32()),
          length: n,
          data: new Int32Array(n),
          dictionary: vectorFromArray([value], new Utf8()),
        }),
      );
    const first = t.get(0)!.toJSON() as Record<string, unknown>;
    const micros = BigInt(first['ts_known'] as number) * 1000n;
    const columns: Record<string, Vector> = {};
    for (const f of t.schema.fields) {
      const v = first[f.name];
      columns[f.name] =
        f.name === 'order_id'
          ? dict(long)
          : typeof v === 'string'
            ? dict(v)
            : f.name.startsWith('ts_')
              ? makeVector(makeData({ type: new Int64(), length: n, data: new BigInt64Array(n).fill(micros) }))
              : makeVector(new Float64Array(n).fill(v as number));
    }
    const dir = damaged((d) => writeParquetFile(join(d, 'fills.parquet'), new Table(columns)));
    expect(statSync(join(dir, 'fills.parquet')).size).toBeLessThan(1 << 20); // a small file
    expect(refusal(dir).detail).toMatch(
      /^its columns would decode to \d+ MiB or more \(by its footer and dictionary pages\): expected at most 1024 MiB/,
    );
    const started = Date.now();
    await refusedByCli(dir, 'fills.parquet: its columns would decode to');
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});

describe('fills.parquet against the other files of the run (review D6, D10)', () => {
  /** Column `name` of `file` of the undamaged run, as plain values. */
  const values = (file: string, name: string): unknown[] => readParquetFile(join(run, file)).getChild(name)!.toArray() as unknown[];

  it('a fill_id twice is refused, as an order_id twice is', async () => {
    const ids = values('fills.parquet', 'fill_id') as string[];
    const dir = damaged((d) =>
      withColumn(d, 'fills.parquet', 'fill_id', (_, n) => strings(Array.from({ length: n }, (_, i) => ids[i === 1 ? 0 : i]!))),
    );
    const e = refusal(dir);
    expect(e.file).toBe(join(dir, 'fills.parquet'));
    expect(e.detail).toBe(`column "fill_id" row 1 is ${JSON.stringify(ids[0])}, as row 0 is: expected each fill once (a unique fill_id)`);
    await refusedByCli(dir, 'fills.parquet: column "fill_id" row 1');
  });

  it('costs.parquet rows naming a fill fills.parquet lacks are refused (the last fill dropped)', () => {
    const ids = values('fills.parquet', 'fill_id') as string[];
    const costIds = values('costs.parquet', 'fill_id') as (string | null)[];
    const dir = damaged((d) => firstRows(d, 'fills.parquet', ids.length - 1));
    const e = refusal(dir);
    expect(e.file).toBe(join(dir, 'costs.parquet'));
    expect(e.detail).toBe(
      `row ${costIds.indexOf(ids.at(-1)!)}: fill_id ${JSON.stringify(ids.at(-1))} is no fill of fills.parquet (rows naming no fill: 1): expected one row per fill, as the broker's costs port writes`,
    );
  });

  it("a fill count other than summary.json's is refused", () => {
    const n = values('fills.parquet', 'fill_id').length;
    const summary = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8')) as Record<string, unknown>;
    const dir = damaged((d) => writeFileSync(join(d, 'summary.json'), JSON.stringify({ ...summary, fills: n + 1 })));
    const e = refusal(dir);
    expect(e.file).toBe(join(dir, 'fills.parquet'));
    expect(e.detail).toBe(`${n} rows, while summary.json's "fills" is ${n + 1}: expected one row per fill the run counted`);
  });

  it("a fill whose order no order has is refused; a child of an order (ORDER/N, an execution algo's) is read", () => {
    const orders = values('fills.parquet', 'order_id') as string[];
    const rename = (id: string) => (d: string) =>
      withColumn(d, 'fills.parquet', 'order_id', (_, n) => strings(Array.from({ length: n }, (_, i) => (i === 0 ? id : orders[i]!))));
    const orphan = damaged(rename(`nope-${orders[0]}`));
    const e = refusal(orphan);
    expect(e.file).toBe(join(orphan, 'fills.parquet'));
    expect(e.detail).toBe(
      `column "order_id" row 0 is ${JSON.stringify(`nope-${orders[0]}`.slice(0, 60))}, which no row of orders.parquet has: expected the order the fill filled or its parent's (PARENT/N), as a run writes them`,
    );
    expect(readRunFolder(damaged(rename(`${orders[0]}/3`))).fills.orderId[0]).toBe(`${orders[0]}/3`);
  });

  it('a fill whose side is flipped is refused: PnL by symbol no longer adds up to the change in equity', async () => {
    // The run's books balance: PnL by symbol less the carry is the change in equity. Flipping fill 0
    // adds 2 × sign × qty × price to its cash flow (−sign × qty × price), so to PnL by symbol.
    const side = values('fills.parquet', 'side') as string[];
    const [qty, price] = [values('fills.parquet', 'qty')[0] as number, values('fills.parquet', 'price')[0] as number];
    const equity = values('equity.parquet', 'equity') as number[];
    const change = equity.at(-1)! - equity[0]!;
    const expectedPnl = change + 2 * (side[0] === 'BUY' ? 1 : -1) * qty * price;
    const dir = damaged((d) =>
      withColumn(d, 'fills.parquet', 'side', (_, n) =>
        strings(Array.from({ length: n }, (_, i) => (i === 0 ? (side[0] === 'BUY' ? 'SELL' : 'BUY') : side[i]!))),
      ),
    );
    const e = refusal(dir);
    expect(e.file).toBe(join(dir, 'fills.parquet'));
    const m =
      /^PnL by symbol \(these fills, .*\) is (-?\d+\.\d\d), while equity.parquet's equity changed by (-?\d+\.\d\d): expected the two equal within (\S+) \(rounding\)/.exec(
        e.detail,
      );
    expect(m, e.detail).not.toBeNull();
    expect(Number(m![1])).toBeCloseTo(expectedPnl, 1);
    expect(Number(m![2])).toBeCloseTo(change, 2);
    // The rounding allowed is far below a cent and far above what the clean run differs by (it is read).
    expect(Number(m![3])).toBeLessThan(0.01);
    await refusedByCli(dir, 'fills.parquet: PnL by symbol');
  });
});
