/**
 * Durable live state: `alpha live` trading examples/live-venue.yaml against colo_venue is killed with
 * SIGKILL mid-session, then `alpha live --resume` on the same folder rebuilds the graph from the dead
 * run's capture, reconciles with the venue's OUCH session and trades on; killed again, it resumes
 * again from both lives, the second time past a tail of zeros (what a power loss leaves). Checked
 * against the venue's audit trail: no order token was entered twice, every execution the venue sent
 * is a fill of the run, and the run's positions (its accounting's last state) are the venue's
 * executions summed by symbol.
 * The resumed capture then replays to the same orders and fills, byte for byte.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readParquetFile } from '../../lib/io/parquet.ts';
import { colo } from '../../native/colo/index.ts';
import { readCapture } from '../../pipelines/io/capture-log.ts';
import { ROOT, runAlpha, startAlpha } from '../helpers/cli.ts';
import { startVenueDay, type VenueProcess, venueSets } from '../helpers/venue-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'alpha-live-resume-'));
let data: string;
let venue: VenueProcess;
let date: string;
let topology: string;

beforeAll(async () => {
  ({ venue, date, data } = await startVenueDay(dir, {
    symbols: 12,
    seed: 5,
    users: ['alpha:alpha', 'halted:halted'],
    args: ['--speed', '600'],
  }));
  // The example, plus its accounting's states (positions) in equity.parquet.
  const example = readFileSync(join(ROOT, 'examples/live-venue.yaml'), 'utf8');
  topology = join(dir, 'live-venue.yaml');
  writeFileSync(
    topology,
    example.replace(
      '  - name: orders_out\n',
      '  - name: equity_out\n    type: sink.parquet\n    inputs: accounting\n    params: { file: equity.parquet }\n  - name: orders_out\n',
    ),
  );
}, 60_000);
afterAll(async () => {
  await venue?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const rows = <T>(file: string): T[] =>
  readParquetFile(file)
    .toArray()
    .map((r) => r.toJSON() as T);

describe('alpha live --resume', () => {
  it('rebuilds the run after kill -9, sends no order twice, loses no execution, and its positions agree with the venue', async () => {
    const out = join(dir, 'live');
    // Limits at the mid rest at the venue and fill there while the process is dead: executions it must not lose.
    const resting = ['--set', 'orders.order_type=LIMIT', '--set', 'orders.limit_offset_bps=0'];
    const args = ['live', topology, '--data', data, '--date', date, '--speed', '600', '--out', out, ...venueSets(venue), ...resting];
    const first = startAlpha([...args, '--status-every', '1']);
    const deadline = Date.now() + 40_000;
    while (!/ (\d{2,}|[3-9]\d) orders/.test(first.output.stderr) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    first.child.kill('SIGKILL');
    const killed = await first.exited;
    expect(killed.code, killed.stderr).toBeNull();
    const dead = readCapture(join(out, 'capture.alog'));
    expect(dead.ended).toBe(false);
    const sentBefore = enteredTokens().length;
    expect(sentBefore).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 2000)); // 20 minutes of the session at 600×: the venue trades on

    // The resumed process dies too, after it reconciled and traded on; the second resume starts from both.
    const second = startAlpha([...args, '--resume', '--status-every', '1']);
    const again = Date.now() + 40_000;
    while (!/resumed: .*\n(.*\n)*live .*\n(.*\n)*live .*\n/.test(second.output.stderr) && Date.now() < again)
      await new Promise((r) => setTimeout(r, 100));
    second.child.kill('SIGKILL');
    expect((await second.exited).code, second.output.stderr).toBeNull();
    const [, handledFirst, missedFirst] =
      /resumed: (\d+) venue message\(s\) the dead run had handled, (\d+) it had not/.exec(second.output.stderr) ?? [];
    expect(Number(handledFirst), second.output.stderr).toBeGreaterThan(0);
    expect(Number(missedFirst), second.output.stderr).toBeGreaterThan(0); // executions of its resting limits while it was dead
    const twiceDead = readCapture(join(out, 'capture.alog'));
    expect(twiceDead.arrivals.length).toBeGreaterThan(dead.arrivals.length);
    // Then a power loss: the file system had grown the capture past its last whole arrival and never
    // wrote the data (zeros). The resume cuts them off as it cuts a torn frame, and says so.
    truncateSync(join(out, 'capture.alog'), twiceDead.bytes);
    appendFileSync(join(out, 'capture.alog'), Buffer.alloc(4096));

    const resumed = await runAlpha([...args, '--resume', '--seconds', '12', '--quiet'], 90_000);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/resumed: [\d,]+ arrivals of the run that died taken again/);
    expect(resumed.stderr).toMatch(/capture\.alog: the last 4096 bytes were zeros after the last whole arrival \(.*\): cut off/);
    expect(resumed.stderr).toMatch(/resumed: \d+ venue message\(s\) the dead run had handled, \d+ it had not/);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as {
      resumed: { arrivals: number; duplicates: number };
      orders: number;
    };
    expect(summary.resumed.arrivals).toBe(twiceDead.arrivals.length);
    expect(summary.resumed.duplicates).toBeGreaterThan(0); // the feed re-delivered what the dead run saw

    // No order sent twice: each Enter Order token once in the venue's audit, and orders went out after the restart.
    const tokens = enteredTokens();
    expect(new Set(tokens).size).toBe(tokens.length);
    expect(tokens.length).toBeGreaterThan(sentBefore);
    const orders = rows<{ order_id: string; action: string }>(join(out, 'orders.parquet'));
    expect(orders.length).toBeGreaterThanOrEqual(50);

    // No execution lost: the venue's executions are the run's fills, one for one.
    const executions = venue
      .audit()
      .filter((l) => l.dir === 'out' && l.proto === 'ouch' && l.session === 'alpha' && l.type === 'E')
      .map((l) => `${String(l.fields!['order_token'])}#${String(l.fields!['match_number'])}`)
      .sort();
    const fills = rows<{ order_id: string; fill_id: string; symbol: string; side: string; qty: number }>(join(out, 'fills.parquet'));
    const token = colo().ouchToken;
    expect(fills.map((f) => `${token(f.order_id)}#${f.fill_id.split('#')[1]}`).sort()).toEqual(executions);
    expect(executions.length).toBeGreaterThan(0);

    // Positions: the accounting's last state against the venue's executions summed by symbol.
    const symbolOf = new Map(
      venue
        .audit()
        .filter((l) => l.dir === 'in' && l.proto === 'ouch' && l.session === 'alpha' && l.type === 'O')
        .map((l) => [String(l.fields!['order_token']), { symbol: String(l.fields!['stock']), sign: l.fields!['side'] === 'B' ? 1 : -1 }]),
    );
    const atVenue = new Map<string, number>();
    for (const l of venue.audit())
      if (l.dir === 'out' && l.proto === 'ouch' && l.session === 'alpha' && l.type === 'E') {
        const o = symbolOf.get(String(l.fields!['order_token']))!;
        atVenue.set(o.symbol, (atVenue.get(o.symbol) ?? 0) + o.sign * Number(l.fields!['executed_shares']));
      }
    const equity = readParquetFile(join(out, 'equity.parquet'));
    const last = equity.getChild('positions')!.get(equity.numRows - 1) as Iterable<{ symbol: string; qty: number }>;
    const held = new Map(Array.from(last, (p) => [p.symbol, p.qty] as const));
    const nonZero = (m: Map<string, number>) => [...m].filter(([, q]) => q !== 0).sort(([a], [b]) => a.localeCompare(b));
    expect(nonZero(held)).toEqual(nonZero(atVenue));

    // The cardinal rule holds across the restart: the resumed capture replays to the same orders and fills.
    const replay = join(dir, 'replay');
    const r = await runAlpha(
      ['backtest', topology, '--capture', join(out, 'capture.alog'), '--out', replay, ...venueSets(venue), ...resting],
      60_000,
    );
    expect(r.code, r.stderr).toBe(0);
    for (const file of ['orders.parquet', 'fills.parquet'])
      expect(readFileSync(join(replay, file)).equals(readFileSync(join(out, file))), file).toBe(true);
  }, 150_000);

  it('keeps the kill switch halted across kill -9: the resumed run sends no new order', async () => {
    const out = join(dir, 'halted');
    const login = ['--set', 'broker.username=halted', '--set', 'broker.password=halted'];
    const args = ['live', topology, '--data', data, '--date', date, '--speed', '600', '--out', out, ...venueSets(venue), ...login];
    const first = startAlpha([...args, '--status-every', '1']);
    const deadline = Date.now() + 40_000;
    while (!/ [1-9]\d* orders/.test(first.output.stderr) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const kill = await runAlpha(['kill', out, '--reason', 'test: halt before the crash'], 20_000);
    expect(kill.code, kill.stderr).toBe(0);
    await new Promise((r) => setTimeout(r, 500));
    first.child.kill('SIGKILL');
    await first.exited;
    const before = enteredTokens('halted').length;
    expect(before).toBeGreaterThan(0);

    const resumed = await runAlpha([...args, '--resume', '--seconds', '6', '--quiet'], 60_000);
    expect(resumed.code, resumed.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { nodes: Record<string, Record<string, number>> };
    expect(summary.nodes['pretrade']).toMatchObject({ kill_switch_mode: 2 });
    expect(enteredTokens('halted').length).toBe(before);
  }, 120_000);
});

/** The Order Tokens of the Enter Orders the venue took from `session`, in order. */
function enteredTokens(session = 'alpha'): string[] {
  return venue
    .audit()
    .filter((l) => l.dir === 'in' && l.proto === 'ouch' && l.session === session && l.type === 'O')
    .map((l) => String(l.fields!['order_token']));
}
