/**
 * Real data from a fresh clone: fBasics' DowJones30 and usdthb (Debian's r-cran-fbasics, read with
 * Rscript by scripts/data/r-datasets.sh into cached CSVs), ingested into a lake with `alpha data ingest`,
 * then the daily-bar example (examples/dowjones30.yaml) backtested on DowJones30 exported from the
 * lake, all through the real command line. Expected counts come from the CSV files; every fill is
 * checked against the close of its stock on its day, read from the CSV, and fills come no earlier than
 * their orders. Bounded: each step has its own timeout.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAlpha, ROOT } from '../helpers/cli.ts';
import { tempLake } from '../helpers/lake.ts';

const tmp = tempLake('dowjones30');
afterAll(() => tmp.remove());
const lake = join(tmp.dir, 'lake');
let csvDir = '';
const csv = (name: string): string[][] =>
  readFileSync(join(csvDir, name), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(','));

beforeAll(() => {
  const r = spawnSync('bash', [join(ROOT, 'scripts/data/r-datasets.sh')], { encoding: 'utf8', timeout: 10 * 60_000 });
  if (r.status !== 0) throw new Error(`scripts/data/r-datasets.sh exited with ${r.status ?? r.signal}: ${r.stderr}`);
  csvDir = r.stdout.trim();
}, 10 * 60_000);

/** 16:00 in New York on `date`, as µs (EST UTC-5, EDT UTC-4; the US rules of 1987–2006 and since 2007). */
function closeOf(date: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const nthSunday = (month: number, n: number): number => {
    const first = new Date(Date.UTC(y, month - 1, 1)).getUTCDay();
    return 1 + ((7 - first) % 7) + 7 * (n - 1);
  };
  const lastSunday = (month: number): number => {
    const last = new Date(Date.UTC(y, month, 0));
    return last.getUTCDate() - last.getUTCDay();
  };
  const [startM, startD, endM, endD] = y < 2007 ? [4, nthSunday(4, 1), 10, lastSunday(10)] : [3, nthSunday(3, 2), 11, nthSunday(11, 1)];
  const summer = (m > startM || (m === startM && d >= startD)) && (m < endM || (m === endM && d < endD));
  return Date.UTC(y, m - 1, d, summer ? 20 : 21) * 1000;
}

describe('DowJones30 and usdthb from r-cran-fbasics', () => {
  it('holds what the docs say: 2529 days × 30 stocks of closes, 2984 USD/THB quotes of June 1997', () => {
    const dj = csv('dowjones30.csv');
    expect(dj[0]).toEqual(['date', 'symbol', 'close']);
    const days = [...new Set(dj.slice(1).map((r) => r[0]))].sort();
    expect([days.length, days[0], days[days.length - 1]]).toEqual([2529, '1990-12-31', '2001-01-02']);
    expect(new Set(dj.slice(1).map((r) => r[1])).size).toBe(30);
    const fx = csv('usdthb.csv');
    expect(fx[0]).toEqual(['time', 'symbol', 'bid', 'ask']);
    expect([fx.length - 1, fx[1]![0], fx[fx.length - 1]![0]]).toEqual([2984, '1997-06-01 19:28', '1997-06-30 23:44']);
  });

  it('ingests DowJones30 as daily bars known at 16:00 New York, once', async () => {
    const file = join(csvDir, 'dowjones30.csv');
    const args = [
      'data',
      'ingest',
      file,
      '--dataset',
      'dowjones30',
      '--format',
      'ohlcv',
      '--tz',
      'America/New_York',
      '--lake',
      lake,
      '--rejects',
      join(tmp.dir, 'dj.rejects'),
    ];
    const first = await runAlpha(args, 180_000);
    expect(first.stderr).toContain('75870 rows read, 75870 added, 0 already there, 0 rejected');
    expect(first.code).toBe(0);
    const again = await runAlpha(args, 180_000);
    expect(again.stderr).toContain('75870 rows read, 0 added, 75870 already there, 0 rejected');
    expect(again.stderr).toContain('version 1 → 1');
    const q = await runAlpha(['data', 'query', 'dowjones30', '--lake', lake, '--symbols', 'MSFT', '--format', 'json'], 60_000);
    const msft = q.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, number>);
    const want = csv('dowjones30.csv').filter((r) => r[1] === 'MSFT');
    expect(msft.map((b) => [b['ts_known'], b['close']])).toEqual(want.map((r) => [closeOf(r[0]!), Number(r[2])]));
  }, 400_000);

  it('ingests usdthb as quotes in UTC, its one quote with a zero ask in the reject file', async () => {
    const file = join(csvDir, 'usdthb.csv');
    const rejects = join(tmp.dir, 'fx.rejects');
    const run = await runAlpha(
      ['data', 'ingest', file, '--dataset', 'usdthb', '--format', 'quotes', '--lake', lake, '--rejects', rejects],
      180_000,
    );
    const rows = csv('usdthb.csv').slice(1);
    const bad = rows.flatMap((r, i) => (Number(r[2]) > 0 && Number(r[3]) > 0 && Number(r[2]) <= Number(r[3]) ? [] : [i + 2]));
    expect(bad).toHaveLength(1);
    expect(run.stderr).toContain(`2984 rows read, ${2984 - bad.length} added`);
    expect(readFileSync(rejects, 'utf8')).toBe(`${file}:${bad[0]}: ask 0: expected a price above 0 and at most 1e+9\n`);
  }, 200_000);

  it("backtests examples/dowjones30.yaml on the exported dataset: every fill at its stock's close of the day, no earlier than its order", async () => {
    const data = join(tmp.dir, 'data');
    const exp = await runAlpha(['data', 'lake', 'export', 'dowjones30', '--lake', lake, '--out', data], 180_000);
    expect(exp.stderr).toContain('75870 rows, 30 symbols, 2529 dates');
    const out = join(tmp.dir, 'out');
    const run = await runAlpha(['backtest', 'examples/dowjones30.yaml', '--data', data, '--out', out, '--quiet'], 300_000);
    expect(run.code).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Record<string, unknown>;
    expect(summary['dead_letters']).toBe(0);
    expect(summary['fills']).toBeGreaterThan(1000);
    const close = new Map(
      csv('dowjones30.csv')
        .slice(1)
        .map((r) => [`${r[1]} ${closeOf(r[0]!)}`, Number(r[2])]),
    );
    const read = async (name: string) => parquetReadObjects({ file: (await readFile(join(out, name))).buffer as ArrayBuffer });
    const fills = await read('fills.parquet');
    const orders = new Map((await read('orders.parquet')).map((o) => [String(o['order_id']), o]));
    for (const f of fills) {
      const at = micros(f['ts_known']);
      const c = close.get(`${f['symbol']} ${at}`);
      expect(c, `a bar of ${f['symbol']} at ${at}`).toBeDefined();
      // 5 bps of slippage: a buy above the close, a sell below.
      expect(Number(f['price'])).toBeCloseTo(c! * (f['side'] === 'BUY' ? 1.0005 : 0.9995), 9);
      expect(at).toBeGreaterThanOrEqual(micros(orders.get(String(f['order_id']))!['ts_known']));
    }
  }, 500_000);
});

/** hyparquet reads TIMESTAMP(MICROS) as a Date (ms); these times are whole seconds. */
const micros = (t: unknown): number => (t instanceof Date ? t.getTime() * 1000 : Number(t));

async function readFile(path: string): Promise<Uint8Array> {
  return new Uint8Array(readFileSync(path));
}
