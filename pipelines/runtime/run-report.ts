/**
 * What a run reports, backtest or live: it watches the graph's edges for the figures of the summary
 * (the portfolio's states, the fills, the orders sent to a broker), the taps and the observers, then
 * writes dead_letters.jsonl, topology.resolved.yaml, taps/ and returns the summary.
 */
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { writeOwnFile } from '../../lib/io/own-file.ts';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { rowsOf } from '../../lib/core/column-batch.ts';
import { formatDate } from '../../lib/core/dates.ts';
import type { DataHashOf } from '../data/data-hash.ts';
import type { Session } from '../../operators/sdk/context.ts';
import type { ExecutionCost, PortfolioState } from '../../schemas/types.generated.ts';
import { edgeId, type Topology } from '../topology/model.ts';
import { type CostBreakdown, CostTally, grossReturn } from './cost-breakdown.ts';
import type { DeadLetterLog } from './dead-letter-log.ts';
import { JsonLinesFile } from '../io/json-lines-file.ts';
import type { BuiltGraph } from './graph.ts';
import { GaugeImpl, toJson } from './node-context.ts';
import { KILL_MODES, type KillMode } from '../../lib/portfolio/kill-switch.ts';
import { type EquityPoint, equityPoint, performance as stats, type PerformanceStats } from './performance.ts';

export interface RunSummary extends Omit<PerformanceStats, 'daily_returns'> {
  topology: string;
  events: number;
  events_per_sec: number;
  wall_seconds: number;
  fills: number;
  orders: number;
  dead_letters: number;
  /** How many of them dead_letters.jsonl holds (the first ones; see DeadLetterLog). */
  dead_letters_written: number;
  dead_letter_reasons: Record<string, number>;
  seed: number;
  git_commit: string | null;
  topology_sha256: string;
  data_sha256: string;
  /**
   * What `data_sha256` is the hash of: a data folder (its manifest and files, pipelines/data/data-hash.ts),
   * a data folder and the lake reads of `store: lake` sources, or a live run's capture (a live run, and
   * a replay of its capture).
   */
  data_sha256_of: DataHashOf;
  /**
   * The UTC dates of the first session's open and the last session's close: every portfolio state
   * of the run lies on or between them (alpha report refuses an equity.parquet that does not).
   */
  first_day?: string;
  last_day?: string;
  peak_rss_mb: number;
  nodes: Record<string, Record<string, number>>;
  /** With a broker that reports its costs (an ExecutionCost port): the return before them, … */
  gross_return?: number;
  /** … and their sums by kind over the run, in currency. */
  costs?: CostBreakdown;
}

export class RunObserver {
  /** The portfolio's states as the summary reads them (without their positions, which sinks keep). */
  readonly states: EquityPoint[] = [];
  fills = 0;
  orders = 0;
  /** Set when a node of this process reports costs. */
  private costs: CostTally | undefined;
  /** The taps' files, written while the run goes (see JsonLinesFile). */
  private readonly taps: JsonLinesFile[] = [];

  /** `outDir`: where the taps are written (`taps/NODE.jsonl`). */
  constructor(
    private readonly topology: Topology,
    private readonly graph: BuiltGraph,
    outDir: string,
    observers?: Readonly<Record<string, (batch: readonly unknown[]) => void>>,
  ) {
    const accounting = topology.nodes.find((n) => n.output === 'PortfolioState');
    for (const node of topology.nodes) {
      if (!graph.contexts.has(node.name)) continue; // another process group's node
      const out = graph.outputs.get(node.name)!;
      if (node === accounting) out.subscribe((b) => this.states.push(...(rowsOf(b) as PortfolioState[]).map(equityPoint)));
      if (node.output === 'Fill') out.subscribe((b) => (this.fills += b.length));
      for (const [port, schema] of Object.entries(node.ports)) {
        if (schema !== 'ExecutionCost') continue;
        const tally = (this.costs ??= new CostTally());
        graph.outputs.get(edgeId(node.name, port))!.subscribe((b) => tally.add(rowsOf(b) as ExecutionCost[]));
      }
      // Orders sent to a broker (a node emitting fills), not every Order edge (risk checks re-emit them).
      const feedsBroker = topology.nodes.some((n) => n.output === 'Fill' && Object.values(n.inputs).some((ps) => ps.includes(node.name)));
      if (node.output === 'Order' && feedsBroker) out.subscribe((b) => (this.orders += b.length));
      const observer = observers?.[node.name];
      if (observer) out.subscribe((b) => observer(rowsOf(b)));
      if (topology.taps.includes(node.name)) {
        const file = new JsonLinesFile(join(outDir, 'taps', `${node.name}.jsonl`));
        this.taps.push(file);
        out.subscribe((b) => {
          for (const r of rowsOf(b)) file.add(toJson(r));
        });
      }
    }
  }

  /** Closes the taps' files (the run ended, or failed); a second call does nothing. */
  close(): void {
    for (const tap of this.taps) tap.close();
  }

  /** Writes the run's files (the taps were written as the run went) to `metaDir` and returns its summary. */
  finish(
    metaDir: string,
    run: {
      events: number;
      wall: number;
      deadLetters: DeadLetterLog;
      sessions: readonly Session[];
      commit: string | null;
      dataSha256: string;
      dataSha256Of: DataHashOf;
    },
  ): RunSummary {
    const { topology, graph } = this;
    writeOwnFile(join(metaDir, 'dead_letters.jsonl'), run.deadLetters.text());
    const resolvedText = resolvedTopologyYaml(topology);
    writeOwnFile(join(metaDir, 'topology.resolved.yaml'), resolvedText);
    this.close();
    const perf = stats(this.states, run.sessions);
    const costs = this.costs?.breakdown();
    const [first, last] = [this.states[0], this.states.at(-1)];
    return {
      topology: topology.name,
      events: run.events,
      events_per_sec: Math.round(run.events / run.wall),
      wall_seconds: round(run.wall, 3),
      fills: this.fills,
      orders: this.orders,
      total_return: round(perf.total_return, 8),
      sharpe: round(perf.sharpe, 6),
      max_drawdown: round(perf.max_drawdown, 8),
      turnover: round(perf.turnover, 6),
      fees: round(perf.fees, 2),
      days: perf.days,
      ...sessionDays(run.sessions),
      dead_letters: run.deadLetters.count,
      dead_letters_written: run.deadLetters.written,
      dead_letter_reasons: run.deadLetters.byReason(),
      seed: topology.seed,
      git_commit: run.commit,
      topology_sha256: topologySha256(topology),
      data_sha256: run.dataSha256,
      data_sha256_of: run.dataSha256Of,
      peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
      nodes: Object.fromEntries([...graph.contexts].map(([name, ctx]) => [name, ctx.metrics.snapshot()])),
      ...(costs && first && last ? { gross_return: round(grossReturn(first, last, costs), 8) } : {}),
      ...(costs ? { costs: Object.fromEntries(Object.entries(costs).map(([k, v]) => [k, round(v, 2)])) as CostBreakdown } : {}),
    };
  }
}

function sessionDays(sessions: readonly Session[]): Pick<RunSummary, 'first_day' | 'last_day'> {
  const [first, last] = [sessions[0], sessions.at(-1)];
  return first && last ? { first_day: formatDate(first.open), last_day: formatDate(last.close) } : {};
}

/** summary.json's topology_sha256: the SHA-256 of the resolved topology (topology.resolved.yaml's text). */
export function topologySha256(topology: Topology): string {
  return sha256(resolvedTopologyYaml(topology));
}

function resolvedTopologyYaml(topology: Topology): string {
  return stringify({
    name: topology.name,
    seed: topology.seed,
    ...(topology.taps.length ? { taps: topology.taps } : {}),
    ...(topology.groups.length
      ? { groups: Object.fromEntries(topology.groups.map((g) => [g.name, { nodes: g.nodes, replicas: g.replicas }])) }
      : {}),
    nodes: topology.nodes.map((n) => ({
      name: n.name,
      type: n.type,
      inputs: n.inputs,
      params: n.params,
      ...(n.transport.kind === 'kafka' ? { transport: n.transport } : {}),
    })),
  });
}

/** The checkout's commit, or null outside a git checkout (or without git). */
export function gitCommit(): Promise<string | null> {
  return new Promise((done) => {
    execFile('git', ['rev-parse', 'HEAD'], (err, stdout) => done(err ? null : stdout.trim()));
  });
}

export function sha256(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** The most severe kill-switch mode among the graph's pre-trade nodes (undefined without one). */
export function killSwitchMode(graph: BuiltGraph): KillMode | undefined {
  let worst = -1;
  for (const ctx of graph.contexts.values()) {
    const g = ctx.metrics.counters.get('kill_switch_mode');
    if (g instanceof GaugeImpl && g.value > worst) worst = g.value;
  }
  return worst < 0 ? undefined : KILL_MODES[worst];
}
