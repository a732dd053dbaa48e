/**
 * The hybrid topology live (examples/hybrid.yaml): the colo group (the venue's feed, bars, orders,
 * pre-trade risk, order entry) and the cloud group (features, model, signal, sizing), each its own
 * `alpha live --group` process, joined only by Kafka topics, against colo_venue at 600×. Checked: the
 * bars went up and the targets came down through Kafka (each group's summary), the cloud process
 * opened no feed, the colo group traded (the venue's audit trail holds exactly its orders), and each
 * group's capture replays to its own live outputs byte for byte (colo: orders and fills; cloud: the
 * targets it sent).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readParquetFile } from '../../lib/io/parquet.ts';
import { colo as colo_ } from '../../native/colo/index.ts';
import { readCapture } from '../../pipelines/io/capture-log.ts';
import { type CliRun, runAlpha, startAlpha } from '../helpers/cli.ts';
import { startVenueDay, type VenueDay, type VenueProcess, venueSets } from '../helpers/venue-process.ts';
import { writeHybridReplicas } from '../helpers/hybrid-replicas.ts';
import { partitionOf } from '../../lib/io/kafka/murmur2.ts';
import type { Bar } from '../../schemas/types.generated.ts';

const dir = mkdtempSync(join(tmpdir(), 'alpha-live-hybrid-'));
let data: string;
let venue: VenueProcess;
let date: string;

beforeAll(async () => {
  ({ venue, date, data } = await startVenueDay(dir, {
    symbols: 10,
    seed: 9,
    users: ['alpha:alpha'],
    days: 3,
    args: ['--speed', '600'],
  }));
}, 60_000);
afterAll(async () => {
  await venue?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const runId = `hybrid${process.pid}`;

function groupArgs(group: string, run = runId, out = join(dir, group), at: VenueDay = { venue, date, data, symbols: [] }): string[] {
  const day = ['--data', at.data, '--date', at.date, '--speed', '600'];
  return ['live', 'examples/hybrid.yaml', '--group', group, '--run-id', run, ...day, '--out', out, ...venueSets(at.venue)];
}

function liveGroup(group: string, seconds: number, extra: string[] = []): Promise<CliRun> {
  return startAlpha([...groupArgs(group), '--seconds', String(seconds), '--quiet', ...extra]).exited;
}

interface GroupSummary {
  orders: number;
  group: { name: string; replica?: number; replicas?: number; read: string[]; published: string[] };
  nodes: Record<string, Record<string, number>>;
  captured: number;
  warm_up?: { dates: string[]; events: number; held_decisions: number };
}
const summaryOf = (group: string): GroupSummary => JSON.parse(readFileSync(join(dir, group, 'summary.json'), 'utf8')) as GroupSummary;

describe('alpha live --group (the hybrid topology)', () => {
  it('runs colo and cloud as two processes joined by Kafka, and each group replays to its own outputs', async () => {
    // The cloud group outlives the colo group, so it takes every bar colo sent.
    // The cloud warms up on the two days before the session: its bars computed from the data folder as
    // colo would have sent them, so its features and sizing are ready at the open.
    const [colo, cloud] = await Promise.all([liveGroup('colo', 25), liveGroup('cloud', 30, ['--warm', '2'])]);
    expect(colo.code, colo.stderr).toBe(0);
    expect(cloud.code, cloud.stderr).toBe(0);

    const c = summaryOf('colo');
    const k = summaryOf('cloud');
    expect(k.warm_up!.dates).toHaveLength(2);
    expect(k.warm_up!.events).toBeGreaterThan(0);
    expect(k.warm_up!.held_decisions).toBeGreaterThan(0); // features, model and sizing ran on the history
    const goLive = readCapture(join(dir, 'cloud', 'capture.alog')).arrivals.findIndex(
      (a) => a.kind === 'command' && a.command === 'go-live',
    );
    expect(goLive).toBeGreaterThan(0);
    expect(c.group).toMatchObject({ name: 'colo', read: ['sizing'], published: ['bars'] });
    expect(k.group).toMatchObject({ name: 'cloud', read: ['bars'], published: ['sizing'] });
    // The cloud process opened no feed: its capture holds only what Kafka brought.
    expect(readCapture(join(dir, 'cloud', 'capture.alog')).header.nodes.map((n) => n.node)).toEqual(['bars']);
    expect(readCapture(join(dir, 'colo', 'capture.alog')).header.nodes.map((n) => n.node)).toEqual([
      'quotes',
      'trades',
      'sizing',
      'broker',
    ]);
    // Targets went down: what colo's orders node took is what cloud's sizing sent (some, at least).
    const targets = readParquetFile(join(dir, 'cloud', 'targets.parquet')).numRows;
    expect(targets).toBeGreaterThan(0);
    const coloCapture = readCapture(join(dir, 'colo', 'capture.alog'));
    const targetsIn = coloCapture.arrivals.reduce((n, a) => n + (a.kind === 'source' && a.node === 'sizing' ? a.records.length : 0), 0);
    expect(targetsIn).toBeGreaterThan(0);
    expect(targetsIn).toBeLessThanOrEqual(targets);
    // Colo traded, and the venue received exactly the orders it wrote.
    const orders = readParquetFile(join(dir, 'colo', 'orders.parquet')).numRows;
    expect(orders).toBeGreaterThan(0);
    const inbound = venue
      .audit()
      .filter((l) => l.dir === 'in' && l.proto === 'ouch' && l.session === 'alpha' && (l.type === 'O' || l.type === 'X'));
    expect(inbound.length).toBe(orders);

    // `alpha tap --run` shows what the run sent: the Kafka edges between the groups, and colo's tap
    // (pretrade, under taps:) mirrored in emission order, the same records as its taps/ file.
    const tapped = async (node: string): Promise<{ key: string | null; value: Record<string, unknown> }[]> => {
      const r = await runAlpha(
        ['tap', node, '--topology', 'examples/hybrid.yaml', '--run', runId, '--from-beginning', '--format', 'json'],
        30_000,
      );
      expect(r.code, r.stderr).toBe(0);
      return r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { key: string | null; value: Record<string, unknown> });
    };
    const [sizing, bars, pretrade] = await Promise.all([tapped('sizing'), tapped('bars'), tapped('pretrade')]);
    expect(sizing.length).toBe(targets);
    const cloudCapture = readCapture(join(dir, 'cloud', 'capture.alog'));
    // Live, after the warm-up's go-live: the bars Kafka brought.
    const barsIn = cloudCapture.arrivals
      .slice(goLive)
      .reduce((n, a) => n + (a.kind === 'source' && a.node === 'bars' ? a.records.length : 0), 0);
    expect(bars.length).toBe(barsIn);
    // The warm-up's bars: one per symbol and minute of the two days (the generator quotes every minute).
    const warm = cloudCapture.arrivals
      .slice(0, goLive)
      .reduce((n, a) => n + (a.kind === 'source' && a.node === 'bars' ? a.records.length : 0), 0);
    expect(warm).toBe(k.warm_up!.events);
    expect(warm).toBe(2 * 10 * 390);
    expect(new Set(bars.map((b) => b.key))).toEqual(new Set(bars.map((b) => b.value['symbol'])));
    const tapFile = readFileSync(join(dir, 'colo', 'taps', 'pretrade.jsonl'), 'utf8')
      .trim()
      .split('\n');
    expect(pretrade.length).toBe(orders);
    expect(pretrade.map((o) => o.value['order_id'])).toEqual(tapFile.map((l) => (JSON.parse(l) as { order_id: unknown }).order_id));

    // Each group's capture replays that group alone to its own outputs.
    const replays: [string, string[]][] = [
      ['colo', ['orders.parquet', 'fills.parquet']],
      ['cloud', ['targets.parquet']],
    ];
    for (const [group, files] of replays) {
      const out = join(dir, `${group}-replay`);
      const r = await runAlpha(['backtest', 'examples/hybrid.yaml', '--capture', join(dir, group, 'capture.alog'), '--out', out], 90_000);
      expect(r.code, r.stderr).toBe(0);
      for (const file of files)
        expect(readFileSync(join(out, file)).equals(readFileSync(join(dir, group, file))), `${group}: ${file}`).toBe(true);
    }
  }, 150_000);

  it('resumes the colo process after kill -9: no order sent twice, no execution lost, no bar sent twice, and its capture replays', async () => {
    // A venue of its own: the first case's day is over by now (the venue plays it at 600×).
    const here = join(dir, 'resume');
    mkdirSync(here);
    const day = await startVenueDay(here, { symbols: 10, seed: 4, users: ['colo2:colo2'], args: ['--speed', '600'] });
    const args = (group: string, run: string, out: string): string[] => groupArgs(group, run, out, day);
    const run = `resume${process.pid}`;
    const login = ['--set', 'broker.username=colo2', '--set', 'broker.password=colo2'];
    const coloOut = join(dir, 'colo-resumed');
    const cloud = startAlpha([...args('cloud', run, join(dir, 'cloud-resumed')), '--seconds', '40', '--quiet']).exited;
    const colo = startAlpha([...args('colo', run, coloOut), ...login, '--status-every', '1']);
    const deadline = Date.now() + 40_000;
    while (!/ [1-9]\d* orders/.test(colo.output.stderr) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    colo.child.kill('SIGKILL');
    expect((await colo.exited).code).toBeNull();
    const dead = readCapture(join(coloOut, 'capture.alog'));
    expect(dead.ended).toBe(false);
    await new Promise((r) => setTimeout(r, 1500));
    // The same flags; a resume of another group's or run's capture is refused.
    const wrongGroup = await runAlpha([...args('cloud', run, coloOut), '--resume'], 30_000);
    expect(wrongGroup.stderr).toMatch(/^alpha: --resume: .* is the capture of group "colo": resume it with --group colo \(not cloud\)/m);
    const wrongRun = await runAlpha([...args('colo', `other${process.pid}`, coloOut), ...login, '--resume'], 30_000);
    expect(wrongRun.stderr).toMatch(/^alpha: --resume --run-id other\d+: the run of .* had --run-id resume\d+: give the same/m);

    const resumed = await runAlpha([...args('colo', run, coloOut), ...login, '--resume', '--seconds', '15', '--quiet'], 90_000);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resumed: \d+ venue message\(s\) the dead run had handled/);
    expect((await cloud).code).toBe(0);

    // The venue's audit trail: each Order Token entered once, and its executions are colo's fills.
    const audit = day.venue.audit().filter((l) => l.proto === 'ouch' && l.session === 'colo2');
    const tokens = audit.filter((l) => l.dir === 'in' && l.type === 'O').map((l) => String(l.fields!['order_token']));
    expect(tokens.length).toBeGreaterThan(0);
    expect(new Set(tokens).size).toBe(tokens.length);
    const executions = audit
      .filter((l) => l.dir === 'out' && l.type === 'E')
      .map((l) => `${String(l.fields!['order_token'])}#${String(l.fields!['match_number'])}`)
      .sort();
    const fills = readParquetFile(join(coloOut, 'fills.parquet'))
      .toArray()
      .map((r) => r.toJSON() as { order_id: string; fill_id: string });
    expect(fills.map((f) => `${colo_().ouchToken(f.order_id)}#${f.fill_id.split('#')[1]}`).sort()).toEqual(executions);

    // The bars topic holds each bar once: what the restart took again was not sent again.
    const tap = await runAlpha(
      ['tap', 'bars', '--topology', 'examples/hybrid.yaml', '--run', run, '--from-beginning', '--format', 'json'],
      30_000,
    );
    expect(tap.code, tap.stderr).toBe(0);
    const bars = tap.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { value: { symbol: string; ts_event: number } }).value);
    expect(bars.length).toBeGreaterThan(0);
    expect(new Set(bars.map((b) => `${b.symbol}@${b.ts_event}`)).size).toBe(bars.length);

    const replay = join(dir, 'colo-resumed-replay');
    const r = await runAlpha(
      ['backtest', 'examples/hybrid.yaml', '--capture', join(coloOut, 'capture.alog'), '--out', replay, ...login],
      90_000,
    );
    expect(r.code, r.stderr).toBe(0);
    for (const file of ['orders.parquet', 'fills.parquet'])
      expect(readFileSync(join(replay, file)).equals(readFileSync(join(coloOut, file))), file).toBe(true);
    await day.venue.stop();
  }, 150_000);

  it('runs a per-symbol group as replicas, each on its share of the symbols, resumes one after kill -9, and each replica replays to its own outputs', async () => {
    // examples/hybrid.yaml with its bars in a group of two replicas: four processes and the venue.
    const here = join(dir, 'replicas');
    mkdirSync(here);
    const topology = writeHybridReplicas(here);
    const day = await startVenueDay(here, { symbols: 10, seed: 6, users: ['alpha:alpha'], args: ['--speed', '600'] });
    const run = `replicas${process.pid}`;
    const out = (name: string): string => join(here, name);
    const args = (group: string, name: string, extra: string[]): string[] => [
      ...['live', topology, '--group', group, '--run-id', run, '--data', day.data, '--date', day.date, '--speed', '600'],
      ...['--out', out(name), ...venueSets(day.venue), ...extra],
    ];
    const live = (group: string, name: string, seconds: number, extra: string[] = []): Promise<CliRun> =>
      startAlpha(args(group, name, ['--seconds', String(seconds), '--quiet', ...extra])).exited;
    // The cloud takes the bars of both replicas. Replica 1 is killed (kill -9) once it has sent bars,
    // and resumed: the topic must hold its bars once each, none lost.
    const others = Promise.all([live('bars', 'bars.0', 14, ['--replica', '0']), live('cloud', 'cloud', 22), live('colo', 'colo', 18)]);
    const killed = startAlpha(args('bars', 'bars.1', ['--replica', '1', '--status-every', '1']));
    const deadline = Date.now() + 30_000;
    while (!/ [1-9]\d{3,} events/.test(killed.output.stderr) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 2000)); // some bars sent (a minute of the day is 0.1 s)
    killed.child.kill('SIGKILL');
    expect((await killed.exited).code).toBeNull();
    const wrong = await runAlpha([...args('bars', 'bars.1', ['--replica', '0']), '--resume'], 30_000);
    expect(wrong.stderr).toMatch(/^alpha: --resume --replica 0: the run of .* was replica 1 of group "bars": give the same --replica/m);
    const resumed = await runAlpha(args('bars', 'bars.1', ['--replica', '1', '--resume', '--seconds', '6', '--quiet']), 60_000);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/resumed: [1-9][\d,]* arrivals of the run that died taken again/);
    for (const r of await others) expect(r.code, r.stderr).toBe(0);

    const symbolsOf = (capture: ReturnType<typeof readCapture>, node: string): Set<string> =>
      new Set(
        capture.arrivals.flatMap((a) =>
          a.kind === 'source' && a.node === node ? a.records.map((r) => (r as { symbol: string }).symbol) : [],
        ),
      );
    const shares: Set<string>[] = [];
    const tapped = await runAlpha(['tap', 'bars', '--topology', topology, '--run', run, '--from-beginning', '--format', 'json'], 30_000);
    expect(tapped.code, tapped.stderr).toBe(0);
    const key = (b: Bar): string => `${b.symbol}@${b.ts_event}`;
    const topic = tapped.stdout
      .trim()
      .split('\n')
      .map((l) => key((JSON.parse(l) as { value: Bar }).value));
    for (const replica of [0, 1]) {
      const summary = JSON.parse(readFileSync(join(out(`bars.${replica}`), 'summary.json'), 'utf8')) as GroupSummary;
      expect(summary.group).toMatchObject({ name: 'bars', replica, replicas: 2, read: [], published: ['bars'] });
      const capture = readCapture(join(out(`bars.${replica}`), 'capture.alog'));
      expect(capture.header.replica).toEqual({ index: replica, of: 2 });
      // Each replica took its share of the feed: the symbols Kafka's partitioner gives it of two.
      const share = symbolsOf(capture, 'quotes');
      expect(share.size).toBeGreaterThan(0);
      for (const symbol of share) expect(partitionOf(symbol, 2), symbol).toBe(replica);
      for (const symbol of symbolsOf(capture, 'trades')) expect(share.has(symbol), symbol).toBe(true);
      shares.push(share);
      // The bars topic holds each bar the replica emitted (its taps/ file) once: the resumed replica
      // sent none twice and lost none.
      const emitted = readFileSync(join(out(`bars.${replica}`), 'taps', 'bars.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => key(JSON.parse(l) as Bar));
      expect(topic.filter((k) => share.has(k.split('@')[0]!)).sort(), `replica ${replica}`).toEqual(emitted.sort());
    }
    // Between them the replicas cover the universe, each symbol once.
    expect([...shares[0]!, ...shares[1]!].sort()).toEqual([...day.symbols].sort());
    // The cloud took bars of both replicas, once each, and sized from them: colo traded on its targets.
    const cloud = readCapture(join(out('cloud'), 'capture.alog'));
    expect(symbolsOf(cloud, 'bars')).toEqual(new Set(day.symbols));
    const taken = cloud.arrivals.flatMap((a) => (a.kind === 'source' && a.node === 'bars' ? a.records.map((r) => key(r as Bar)) : []));
    expect(new Set(taken).size).toBe(taken.length);
    const published = new Set(topic);
    expect(taken.every((k) => published.has(k))).toBe(true);
    expect(readParquetFile(join(out('colo'), 'orders.parquet')).numRows).toBeGreaterThan(0);

    // Each replica's capture replays that replica alone: the bars it emitted, byte for byte.
    for (const replica of [0, 1]) {
      const replay = join(here, `bars.${replica}-replay`);
      const r = await runAlpha(['backtest', topology, '--capture', join(out(`bars.${replica}`), 'capture.alog'), '--out', replay], 90_000);
      expect(r.code, r.stderr).toBe(0);
      const file = join('taps', 'bars.jsonl');
      expect(readFileSync(join(replay, file)).equals(readFileSync(join(out(`bars.${replica}`), file))), `replica ${replica}`).toBe(true);
    }
    await day.venue.stop();
  }, 150_000);

  it.each([
    [
      'a group the topology does not have',
      ['live', 'examples/hybrid.yaml', '--group', 'edge'],
      /^alpha: --group edge: .* has no group "edge" \(groups: colo, cloud\)/m,
    ],
    [
      '--group on a topology without groups',
      ['live', 'examples/live-venue.yaml', '--group', 'colo'],
      /^alpha: --group colo: .* has no groups:/m,
    ],
    [
      '--run-id without --group',
      ['live', 'examples/hybrid.yaml', '--run-id', 'x'],
      /^alpha: --run-id names a group run: give --group too/m,
    ],
    [
      'a run id that is not a name',
      ['live', 'examples/hybrid.yaml', '--group', 'colo', '--run-id', '../x'],
      /^alpha: --run-id "\.\.\/x": expected 1–64 letters/m,
    ],
    [
      'a tap of a node the topology does not have',
      ['tap', 'nope', '--topology', 'examples/hybrid.yaml', '--run', runId],
      /^alpha: examples\/hybrid\.yaml: no node "nope" \(nodes: /m,
    ],
    [
      'a tap of a run that never ran',
      ['tap', 'sizing', '--topology', 'examples/hybrid.yaml', '--run', `never${process.pid}`],
      /^alpha: topic "hybrid\.sizing\.never\d+" \(node "sizing"\) does not exist on .*: no run "never\d+" published or mirrored this node/m,
    ],
    [
      'a tap of a run id that is not a name',
      ['tap', 'sizing', '--topology', 'examples/hybrid.yaml', '--run', '../x'],
      /^alpha: --run "\.\.\/x": expected a run id/m,
    ],
    [
      '--resume with no capture in --out',
      ['live', 'examples/hybrid.yaml', '--group', 'colo', '--resume'],
      /^alpha: --resume: .*capture\.alog does not exist/m,
    ],
    [
      'a split backtest of groups in a cycle',
      ['backtest', 'examples/hybrid.yaml', '--split'],
      /^alpha: --split: the groups of .* form a cycle, colo → cloud → colo/m,
    ],
  ])('refuses %s', async (_what, args, message) => {
    const run = args[0] === 'tap' ? [] : ['--data', data, '--out', join(dir, `bad-${args.join('-').replace(/\W/g, '')}`)];
    const r = await runAlpha([...args, ...run], 30_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.match(/^alpha:/gm)).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
