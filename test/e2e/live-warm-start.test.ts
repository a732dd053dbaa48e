/**
 * A warm start (`alpha live --warm 2`): before the venue's day, the live graph replays the two days of
 * the data folder before it, through the same operators, deciding nothing. Checked: every warm record
 * went through (the dataset's own row counts), the graph did decide during the warm-up and the gate
 * held each decision back (no order is stamped before the live open, and the venue received exactly
 * the orders the run wrote), and the capture, warm-up included, replays to the same orders and fills.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { regularSession } from '../../lib/core/exchange-time.ts';
import { readParquetFile } from '../../lib/io/parquet.ts';
import { readManifest } from '../../pipelines/data/manifest.ts';
import { readCapture } from '../../pipelines/io/capture-log.ts';
import { type CliRun, runAlpha, startAlpha } from '../helpers/cli.ts';
import { liveVenueArgs, startVenueDay, type VenueProcess } from '../helpers/venue-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'alpha-live-warm-'));
let data: string;
let venue: VenueProcess;
let date: string;

beforeAll(async () => {
  ({ venue, date, data } = await startVenueDay(dir, {
    symbols: 8,
    seed: 5,
    days: 3,
    users: ['alpha:alpha'],
    args: ['--speed', '600'],
  }));
}, 90_000);
afterAll(async () => {
  await venue?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function runLive(out: string, extra: string[]): Promise<CliRun> {
  return startAlpha(liveVenueArgs({ venue, date, data }, 600, out, '--quiet', ...extra)).exited;
}

describe('alpha live --warm', () => {
  it('replays the days before the session first, decides nothing meanwhile, and its capture replays to the same orders', async () => {
    const live = join(dir, 'live');
    const r = await runLive(live, ['--warm', '2', '--seconds', '20']);
    expect(r.code, r.stderr).toBe(0);

    const manifest = readManifest(data);
    const warmDates = manifest.dates.slice(0, 2);
    const summary = JSON.parse(readFileSync(join(live, 'summary.json'), 'utf8')) as {
      orders: number;
      warm_up: { dates: string[]; events: number; held_decisions: number };
    };
    expect(summary.warm_up.dates).toEqual(warmDates);
    // Every quote and trade of the two days went through the graph: the dataset's files, counted here.
    const rows = (dataset: string): number =>
      manifest.datasets[dataset]!.files.slice(0, 2).reduce((n, f) => n + readParquetFile(join(data, f)).numRows, 0);
    expect(summary.warm_up.events).toBe(rows('quotes') + rows('trades'));
    // The graph sized portfolios on history (target weights, orders), and none of it passed the gate.
    expect(summary.warm_up.held_decisions).toBeGreaterThan(0);
    expect(r.stdout).toMatch(/^ {2}warm-up: [\d,]+ records of \d{4}-\d\d-\d\d, \d{4}-\d\d-\d\d, [\d,]+ decisions held back$/m);

    const open = regularSession(date).open;
    const orders = readParquetFile(join(live, 'orders.parquet'))
      .toArray()
      .map((o) => o.toJSON() as { ts_known: number });
    expect(orders.length).toBe(summary.orders);
    expect(orders.length).toBeGreaterThan(0);
    // Parquet keeps the stamps as timestamps (ms).
    expect(Math.min(...orders.map((o) => Number(o.ts_known)))).toBeGreaterThanOrEqual(open / 1000);
    const inbound = venue
      .audit()
      .filter((l) => l.dir === 'in' && l.proto === 'ouch' && l.session === 'alpha' && (l.type === 'O' || l.type === 'X'));
    expect(inbound.length).toBe(orders.length);

    // The capture starts with the warm days' records, then the switch to live.
    const capture = readCapture(join(live, 'capture.alog'));
    const goLive = capture.arrivals.findIndex((a) => a.kind === 'command' && a.command === 'go-live');
    expect(goLive).toBeGreaterThan(0);
    const warmRecords = capture.arrivals
      .slice(0, goLive)
      .flatMap((a) => (a.kind === 'source' ? (a.records as { ts_known: number }[]) : []));
    expect(warmRecords.length).toBe(summary.warm_up.events);
    expect(Math.max(...warmRecords.map((x) => x.ts_known))).toBeLessThan(open);
    expect(capture.header.sessions).toHaveLength(3);

    const replay = join(dir, 'replay');
    const b = await runAlpha(['backtest', 'examples/live-venue.yaml', '--capture', join(live, 'capture.alog'), '--out', replay], 90_000);
    expect(b.code, b.stderr).toBe(0);
    for (const file of ['orders.parquet', 'fills.parquet'])
      expect(readFileSync(join(replay, file)).equals(readFileSync(join(live, file))), file).toBe(true);
  }, 150_000);

  it.each([
    ['more days than the data has before the session', ['--warm', '3'], /^alpha: --warm 3: .* has 2 trading day\(s\) before /m],
    ['a count that is not one', ['--warm', 'two'], /^alpha: --warm "two": expected a whole number of trading days/m],
    ['zero', ['--warm', '0'], /^alpha: --warm 0: expected a whole number of trading days from 1 to 60/m],
  ])('refuses %s', async (_what, extra, message) => {
    const r = await runLive(join(dir, `bad-${extra[1]}`), [...extra, '--seconds', '5']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
