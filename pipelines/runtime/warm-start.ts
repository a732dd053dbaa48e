/**
 * A live run's warm start (`alpha live --warm N`): before the first live record, the same graph
 * replays the N trading days of the data folder before the live session, so rolling features, the
 * models' inputs and the risk model's return history are ready when the live feed takes over.
 *
 * - Each live source is fed by its backtest counterpart (the node of the same name in the topology's
 *   backtest graph: the replay source that `live:` replaces), merged in (ts_known, source, seq)
 *   order as in a backtest.
 * - The warm-up decides nothing: a DecisionGate holds back target weights and orders (graph.ts), so
 *   nothing is sized, ordered or sent to the venue, and the portfolio starts flat.
 * - Every warm-up batch is an arrival of the capture, like a live one, and the switch is a `go-live`
 *   command: the replay of the capture takes the same steps without reading the data folder.
 */
import { AlphaError } from '../../lib/core/errors.ts';
import { rowsOf } from '../../lib/core/column-batch.ts';
import type { Logger, Session, UniverseMember } from '../../operators/sdk/context.ts';
import type { AnySpec } from '../../operators/sdk/spec.ts';
import { type DatasetManifest, manifestWindow } from '../data/manifest.ts';
import type { CaptureWriter } from '../io/capture-log.ts';
import { openDataset } from '../io/dataset.ts';
import type { ArrivalSteps } from './arrivals.ts';
import { resolveTopology } from './backtest.ts';
import type { SourceReader, SourceRecord } from '../../operators/sdk/spec.ts';
import { edgeEnds, type Topology } from '../topology/model.ts';
import { driveGraph } from './drive.ts';
import { EventClock } from './event-clock.ts';
import { type BuiltGraph, type BuiltSource, buildGraph, DECISION_SCHEMAS, type GraphClock } from './graph.ts';
import type { RefusedInput, RunServices } from './node-context.ts';
import { prepareNodes } from './prepare.ts';
import { SourceMerger } from './merge.ts';

/** The most trading days a warm-up replays. */
export const MAX_WARM_SESSIONS = 60;

export interface WarmUpPlan {
  /** The data folder the warm-up reads. */
  dataDir: string;
  /** Its trading days replayed, oldest first (the sessions before the live one). */
  dates: string[];
  sessions: Session[];
  manifest: DatasetManifest;
}

/** The `sessions` trading days of `dataDir` (its `manifest`) before `liveDate`; refused when the data has fewer. */
export function planWarmUp(
  dataDir: string | undefined,
  manifest: DatasetManifest | undefined,
  liveDate: string,
  sessions: number,
): WarmUpPlan {
  if (!Number.isInteger(sessions) || sessions < 1 || sessions > MAX_WARM_SESSIONS)
    throw new AlphaError(`--warm ${sessions}: expected a whole number of trading days from 1 to ${MAX_WARM_SESSIONS}`);
  if (!dataDir || !manifest)
    throw new AlphaError(`--warm ${sessions}: no data folder to warm up from: pass --data DIR or set "data:" in the topology`);
  const before = manifest.dates.filter((d) => d < liveDate);
  if (before.length < sessions)
    throw new AlphaError(
      `--warm ${sessions}: ${dataDir} has ${before.length} trading day(s) before ${liveDate} (${manifest.dates[0]} … ${manifest.dates.at(-1)}); ask for at most ${before.length}, or give a later --date`,
    );
  const dates = before.slice(-sessions);
  const window = manifestWindow(dataDir, manifest, dates[0], dates.at(-1));
  return { dataDir, dates, sessions: window.sessions.map(({ open, close }) => ({ open, close })), manifest: window };
}

/**
 * The warm-up's readers, one per live source, each its backtest counterpart reading the plan's days,
 * delivering into the live graph's edge of that source.
 */
export function openWarmSources(o: {
  topologyFile: string;
  registry: ReadonlyMap<string, AnySpec>;
  plan: WarmUpPlan;
  live: BuiltGraph;
  liveSchemas: ReadonlyMap<string, string>;
  clock: GraphClock;
  calendar: { sessions: readonly Session[]; live: Session };
  universe: readonly UniverseMember[];
  outDir: string;
  log: Logger;
  onDeadLetter: (d: RefusedInput) => void;
  /** A group's Kafka inputs (live-group.ts): warmed up from the backtest nodes that compute them. */
  kafkaInputs?: ReadonlySet<string>;
}): BuiltSource[] {
  // As written: --set names the live graph's params (a venue's port), which its twins may not have.
  const backtest = resolveTopology(o.topologyFile, [], o.registry, 'backtest');
  const inputs = o.kafkaInputs ?? new Set<string>();
  const derived: BuiltSource[] = [];
  for (const s of o.live.sources.filter((x) => inputs.has(x.name))) {
    // Decisions (target weights, orders) are held back through the warm-up anyway: nothing to compute.
    if (DECISION_SCHEMAS.includes(o.liveSchemas.get(s.name) ?? '')) continue;
    derived.push({
      name: s.name,
      reader: computedHistory(backtest, s.name, o),
      subject: o.live.outputs.get(s.name)! as BuiltSource['subject'],
    });
  }
  for (const s of o.live.sources.filter((x) => !inputs.has(x.name))) {
    const twin = backtest.nodes.find((n) => n.name === s.name);
    if (twin?.spec.kind !== 'source')
      throw new AlphaError(
        `--warm: the live source "${s.name}" has no source of that name in the backtest graph of ${o.topologyFile}: the warm-up replays each live source's backtest counterpart (the node its live: entry replaces)`,
      );
    const schema = twin.ports['out'];
    if (schema !== o.liveSchemas.get(s.name))
      throw new AlphaError(
        `--warm: source "${s.name}" emits ${o.liveSchemas.get(s.name)} live but ${schema} in the backtest graph: a warm-up needs the same records`,
      );
  }
  const names = new Set(o.live.sources.filter((s) => !inputs.has(s.name)).map((s) => s.name));
  const historic = buildGraph(
    { ...backtest, nodes: backtest.nodes.filter((n) => names.has(n.name)) },
    o.clock,
    { ...warmServices(o), calendar: o.calendar },
    new Set(),
  );
  return [
    ...historic.sources.map((s) => ({ name: s.name, reader: s.reader, subject: o.live.outputs.get(s.name)! as BuiltSource['subject'] })),
    ...derived,
  ];
}

/** What a warm-up's graphs are given: the plan's data folder (never the lake) and the run's outputs. */
function warmServices(o: Parameters<typeof openWarmSources>[0]): Omit<RunServices, 'calendar'> {
  const { plan } = o;
  return {
    universe: o.universe,
    outDir: o.outDir,
    log: o.log,
    onDeadLetter: o.onDeadLetter,
    openDataset: (name, schema, from) => {
      if (from?.store === 'lake')
        throw new AlphaError(`--warm: a warm-up reads the data folder ${plan.dataDir}; dataset "${name}" is read from the lake`);
      return openDataset(plan.dataDir, plan.manifest, name, schema);
    },
  };
}

/**
 * A group's Kafka input warmed up: what its producer (a node of another group) would have sent over
 * the warm days, computed here by a backtest of that producer and every node it depends on, over
 * the plan's days, then delivered in the order it was emitted (ts_known order: the backtest's clock).
 */
function computedHistory(backtest: Topology, node: string, o: Parameters<typeof openWarmSources>[0]): SourceReader<SourceRecord> {
  const needed = new Set<string>();
  const visit = (name: string): void => {
    if (needed.has(name)) return;
    needed.add(name);
    const n = backtest.nodes.find((x) => x.name === name)!;
    for (const edges of Object.values(n.inputs)) for (const e of edges) visit(edgeEnds(e).node);
  };
  visit(node);
  const sub: Topology = { ...backtest, nodes: backtest.nodes.filter((n) => needed.has(n.name)) };
  const { plan } = o;
  let records: SourceRecord[] | undefined;
  return {
    async next() {
      if (records) return null;
      const prepared = await prepareNodes(sub, plan.sessions);
      const clock = new EventClock(plan.sessions[0]?.open ?? 0);
      const graph = buildGraph(sub, clock, { ...warmServices(o), prepared, calendar: { sessions: plan.sessions } });
      const out: SourceRecord[] = [];
      graph.outputs.get(node)!.subscribe((batch) => {
        for (const r of rowsOf(batch) as SourceRecord[]) out.push({ ...r, seq: out.length });
      });
      await driveGraph(graph, clock, plan.sessions);
      records = out.sort((a, b) => a.ts_known - b.ts_known || a.seq - b.seq);
      return out.length > 0 ? out : null;
    },
    async close() {},
  };
}

/**
 * Replays the warm-up's sources through the live graph as arrivals (captured), then fires the timers
 * due by the last warm session's close. Returns the records delivered.
 */
export async function driveWarmUp(
  sources: readonly BuiltSource[],
  steps: ArrivalSteps,
  end: number,
  capture: CaptureWriter | undefined,
  /** A stop asked for meanwhile (Ctrl-C) ends the warm-up early; the switch to live still follows. */
  stopped: () => boolean = () => false,
): Promise<number> {
  const merger = new SourceMerger(sources);
  while (!stopped()) {
    if (!merger.ready()) await merger.refill();
    const slice = merger.take(Infinity);
    if (slice === null || slice === 'timer') break;
    capture?.source(slice.source.name, rowsOf(slice.records));
    await steps.deliver(slice.records, (records) => slice.source.subject.next(records));
  }
  for (const s of sources) await s.reader.close();
  capture?.wake(end);
  await steps.advance(end);
  return merger.events;
}
