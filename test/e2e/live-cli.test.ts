/**
 * `alpha live` as a user runs it: examples/live-venue.yaml (bars, features, a model, sizing, orders,
 * pre-trade risk, accounting) with its live: replacements, against colo_venue playing a generated day
 * at 600×, stopped by Ctrl-C (SIGINT). It exits 0 with a summary, then `alpha backtest --capture`
 * writes the live run's orders.parquet and fills.parquet byte for byte, and the venue's audit trail
 * holds exactly the orders the run wrote. Then the same example with limit orders that rest far
 * from the market, ended by --seconds: the stop cancels every one of them at the venue before the run
 * exits, and the replay still writes the same orders (the cancels included).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readParquetFile } from '../../lib/io/parquet.ts';
import { readCapture } from '../../pipelines/io/capture-log.ts';
import { runAlpha, startAlpha } from '../helpers/cli.ts';
import { liveVenueArgs, sleep, startVenue, startVenueDay, type VenueProcess, venueSets } from '../helpers/venue-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'alpha-live-cli-'));
let data: string;
let venue: VenueProcess;
let date: string;

beforeAll(async () => {
  ({ venue, date, data } = await startVenueDay(dir, {
    symbols: 12,
    seed: 3,
    users: ['alpha:alpha', 'rester:rester'],
    args: ['--speed', '600'],
  }));
}, 60_000);
afterAll(async () => {
  await venue?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const ports = (): string[] => venueSets(venue);

describe('alpha live', () => {
  it('trades the example against the venue, stops cleanly on Ctrl-C, and its capture replays to the same orders', async () => {
    const live = join(dir, 'live');
    // On the venue's clock: its day opens when its ready line says; this run starts a second after.
    expect(venue.openAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    await sleep(Math.max(0, Date.parse(venue.openAt!) + 1000 - Date.now()));
    const { child, output, exited } = startAlpha(
      liveVenueArgs({ venue, date, data }, 600, live, '--status-every', '1', '--open-at', venue.openAt!),
    );
    // Wait for orders to flow (status lines every second), then Ctrl-C.
    const deadline = Date.now() + 40_000;
    while (!/ [1-9][\d,]{2,} orders/.test(output.stderr) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    // A manual halt by an operator: pre-trade goes HALTED, cancels what works, passes nothing more.
    const kill = await runAlpha(['kill', live, '--reason', 'test: halt by hand'], 20_000);
    expect(kill.code, kill.stderr).toBe(0);
    expect(kill.stdout).toMatch(/took the halt/);
    await new Promise((r) => setTimeout(r, 1000));
    child.kill('SIGINT');
    const { code, stdout, stderr } = await exited;
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/stopping: sources closed/);
    // The status line: events, orders, fills, equity and PnL, lag, the kill switch.
    expect(stderr).toMatch(
      /^live [\d.]+s {2}[\d,]+ events \([\d,]+\/s\) {2}[\d,]+ orders {2}[\d,]+ fills {2}equity [\d,]+ \(PnL [+-][\d,]+\) {2}lag ≤ [\d.]+ ms {2}kill switch (ACTIVE|REDUCING|HALTED) {2}\d+ dead letters$/m,
    );
    expect(stdout).toMatch(/^live "live-venue": [\d,]+ events/);

    const summary = JSON.parse(readFileSync(join(live, 'summary.json'), 'utf8')) as {
      orders: number;
      fills: number;
      warnings: string[];
      mode: string;
      nodes: Record<string, Record<string, number>>;
    };
    expect(summary.mode).toBe('live');
    expect(summary.nodes['pretrade']).toMatchObject({ kill_switch_mode: 2, kill_switch_halted: 1 });
    expect(stderr).toMatch(/alpha kill: halting \(test: halt by hand\)/);
    // The halt is a step of the capture, and after it only the halt's cancels pass.
    const halt = readCapture(join(live, 'capture.alog')).arrivals.findIndex((a) => a.kind === 'command');
    expect(halt).toBeGreaterThan(0);
    const passed = readParquetFile(join(live, 'orders.parquet'))
      .toArray()
      .map((r) => r.toJSON() as { order_id: string; action: string });
    const firstHaltCancel = passed.findIndex((o) => o.order_id.startsWith('halt-'));
    if (firstHaltCancel >= 0) expect(passed.slice(firstHaltCancel).every((o) => o.action === 'CANCEL')).toBe(true);
    expect(summary.orders).toBeGreaterThanOrEqual(50);
    expect(summary.fills).toBeGreaterThan(0);
    expect(summary.warnings).toEqual([]);
    // On a clock of its own the run would read the open at its start, a second after the venue's, and
    // the venue's stamps would lead it by 600 s or more. On the shared one, by the feed's latency
    // times 600 at the last batch: 3 s (5 ms) in a fresh clone's loaded npm test, so up to 10 s (17 ms).
    expect(summary.nodes['quotes']!['venue_clock_lead_s']!).toBeLessThanOrEqual(10);

    const replay = join(dir, 'replay');
    const r = await runAlpha(
      ['backtest', 'examples/live-venue.yaml', '--capture', join(live, 'capture.alog'), '--out', replay, ...ports()],
      60_000,
    );
    expect(r.code, r.stderr).toBe(0);
    // The capture names the resolved topology that made it: the same here, so no what-if warning.
    expect(readCapture(join(live, 'capture.alog')).header.topology_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(r.stderr).not.toMatch(/captured by another topology/);
    for (const file of ['orders.parquet', 'fills.parquet'])
      expect(readFileSync(join(replay, file)).equals(readFileSync(join(live, file))), file).toBe(true);

    // The venue received exactly the orders the run wrote (Enter Order or Cancel, from alpha's session).
    const orders = readParquetFile(join(live, 'orders.parquet')).numRows;
    const inbound = venue
      .audit()
      .filter((l) => l.dir === 'in' && l.proto === 'ouch' && l.session === 'alpha' && (l.type === 'O' || l.type === 'X'));
    expect(inbound.length).toBe(orders);

    // A capture replayed through another topology is refused, naming what differs.
    const other = await runAlpha(
      ['backtest', 'examples/sim-broker.yaml', '--capture', join(live, 'capture.alog'), '--out', join(dir, 'other')],
      30_000,
    );
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(/^alpha: .*capture was made by another topology/m);
    expect(other.stderr).not.toMatch(/\n\s+at /);
  }, 120_000);

  it('stops at --seconds with nothing left working at the venue: each resting order cancelled, and the replay writes the same orders', async () => {
    const live = join(dir, 'live-rest');
    // Limit orders 1.5% inside the mid rest (the venue's spread is far narrower), under the 2% collar.
    const resting = ['--set', 'orders.order_type=LIMIT', '--set', 'orders.limit_offset_bps=150'];
    const login = ['--set', 'broker.username=rester', '--set', 'broker.password=rester'];
    const args = ['--data', data, '--date', date, '--speed', '600', '--seconds', '5', '--out', live, '--quiet'];
    const r = await runAlpha(['live', 'examples/live-venue.yaml', ...args, ...ports(), ...resting, ...login], 60_000);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(join(live, 'summary.json'), 'utf8')) as {
      nodes: Record<string, Record<string, number>>;
      warnings: string[];
    };
    expect(summary.warnings).toEqual([]);
    const orders = readParquetFile(join(live, 'orders.parquet'))
      .toArray()
      .map((x) => x.toJSON() as { order_id: string; action: string; target_order_id: string | null });
    const cancels = orders.filter((o) => o.order_id.startsWith('stop-'));
    expect(cancels.length).toBeGreaterThan(0);
    expect(summary.nodes['pretrade']?.['cancelled_at_stop']).toBe(cancels.length);
    // The stop's cancels are the last orders the run wrote.
    expect(orders.slice(-cancels.length)).toEqual(cancels);
    expect(cancels.every((c) => c.action === 'CANCEL' && c.target_order_id === c.order_id.slice('stop-'.length))).toBe(true);

    // At the venue, every order this session entered is done: its shares executed or cancelled.
    const audit = venue.audit().filter((l) => l.proto === 'ouch' && l.session === 'rester' && l.dir === 'out');
    const open = new Map<string, number>();
    const take = (token: unknown, n: unknown): void => {
      open.set(String(token), (open.get(String(token)) ?? 0) - Number(n));
    };
    for (const l of audit) {
      const f = l.fields ?? {};
      if (l.type === 'A') open.set(String(f['order_token']), (open.get(String(f['order_token'])) ?? 0) + Number(f['shares']));
      else if (l.type === 'E') take(f['order_token'], f['executed_shares']);
      else if (l.type === 'C') take(f['order_token'], f['decrement_shares']);
    }
    expect(open.size).toBeGreaterThanOrEqual(cancels.length);
    expect([...open].filter(([, left]) => left !== 0)).toEqual([]);
    const canceled = audit.filter((l) => l.type === 'C').length;
    expect(canceled).toBeGreaterThanOrEqual(cancels.length);

    const replay = join(dir, 'replay-rest');
    const b = await runAlpha(
      ['backtest', 'examples/live-venue.yaml', '--capture', join(live, 'capture.alog'), '--out', replay, ...ports(), ...resting, ...login],
      60_000,
    );
    expect(b.code, b.stderr).toBe(0);
    for (const file of ['orders.parquet', 'fills.parquet'])
      expect(readFileSync(join(replay, file)).equals(readFileSync(join(live, file))), file).toBe(true);
  }, 120_000);

  it('started before a shared open, counts --seconds from the open: they ran out before it, and the run saw no market', async () => {
    // A second venue on the same day's flow, its open shared 4 s ahead; the run starts at once.
    const openNs = (BigInt(Date.now()) + 4_000n) * 1_000_000n;
    mkdirSync(join(dir, 'early'));
    const early = await startVenue(join(dir, 'early'), {
      users: ['alpha:alpha'],
      flowPath: join(dir, 'flow.itch'),
      args: ['--speed', '600', '--open-at-ns', String(openNs)],
    });
    try {
      const openAt = early.openAt!;
      const live = join(dir, 'live-early');
      const started = Date.now();
      const r = await runAlpha(
        liveVenueArgs({ venue: early, date, data }, 600, live, '--seconds', '2', '--quiet', '--open-at', openAt),
        60_000,
      );
      expect(r.code, r.stderr).toBe(0);
      const summary = JSON.parse(readFileSync(join(live, 'summary.json'), 'utf8')) as { events: number; warnings: string[] };
      expect(summary.warnings).toEqual([]);
      expect(summary.events).toBeGreaterThan(0);
      // It ran to 2 s after the open, not 2 s after its start.
      expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(openAt) + 2_000);
      expect(Date.parse(openAt) - started).toBeGreaterThan(1_000);
    } finally {
      await early.stop();
    }
  }, 60_000);
});
