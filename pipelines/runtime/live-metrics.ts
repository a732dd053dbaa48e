/**
 * The Prometheus metrics of a live run (`alpha live --metrics HOST:PORT`, served by metrics-server.ts):
 * a prom-client registry whose families are read, at each scrape, from the objects the run's
 * summary.json is made of — the nodes' `ctx.metrics`, the RunObserver's orders and fills, the dead
 * letter log, the feed's statistics, the kill switch's gauges and the clock. Nothing is counted twice:
 * a scrape taken once the run went quiet shows what summary.json then says.
 *
 * Operators name their metrics freely (`rejected_max order`, `überlauf`): the name is a label value,
 * which Prometheus takes in any UTF-8, not part of the metric's name, so no name has to be rewritten
 * and two names can never collide. The families:
 *
 * | family | type | labels | from |
 * |---|---|---|---|
 * | `alpha_node_total` | counter | node, name | each node's counters (`in`, `out`, `errors`, `dead_letters`, …) |
 * | `alpha_node_value` | gauge | node, name | each node's gauges (`kill_switch_mode`, …) |
 * | `alpha_dead_letters_total` | counter | node, reason | summary `dead_letter_reasons` |
 * | `alpha_orders_total`, `alpha_fills_total` | counter | | summary `orders`, `fills` |
 * | `alpha_live_events_total` | counter | | summary `events` (records the sources delivered) |
 * | `alpha_live_source_events_total` | counter | source | the same, by source |
 * | `alpha_kill_switch_mode` | gauge | | the most severe pre-trade node's mode: 0 ACTIVE, 1 REDUCING, 2 HALTED |
 * | `alpha_portfolio_equity` | gauge | | the portfolio's last equity (the status line's) |
 * | `alpha_live_feed_lag_max_seconds` | gauge | | summary `lag_ms.max`: the longest a source batch waited for its step |
 * | `alpha_live_feed_lag_seconds` | histogram | | every batch's wait for its step, in buckets of 25 µs … 10 s (lag-histogram.ts) |
 * | `alpha_live_clock_behind_seconds` | gauge | | the wall clock minus the run's time, in wall seconds |
 * | `alpha_live_info` | gauge (1) | topology, group, replica | the run |
 *
 * plus prom-client's default process and Node.js metrics (`process_cpu_seconds_total`,
 * `nodejs_eventloop_lag_seconds`, …).
 */
import { collectDefaultMetrics, Counter, Gauge, type Histogram, Registry } from 'prom-client';
import type { DeadLetterLog } from './dead-letter-log.ts';
import type { FeedStats } from './feed-stats.ts';
import type { BuiltGraph } from './graph.ts';
import { GaugeImpl } from './node-context.ts';
import { killSwitchMode, type RunObserver } from './run-report.ts';
import type { WallClock } from './wall-clock.ts';
import { KILL_MODES } from '../../lib/portfolio/kill-switch.ts';

/** What the families read: the run's own objects, attached once the graph is built. */
export interface LiveRunState {
  topology: string;
  group?: { name: string; replica?: number };
  graph: BuiltGraph;
  observed: RunObserver;
  deadLetters: DeadLetterLog;
  feed: FeedStats;
  clock: WallClock;
  /** The run's clock speed factor (1 without --date). */
  speed: number;
}

/**
 * The registry of one live run. Until `attach`, only the process metrics are there (the endpoint is
 * bound before the run starts, so a port in use stops it before anything is read).
 */
export class LiveMetrics {
  readonly registry = new Registry();
  private run: LiveRunState | undefined;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    const runOf = (): LiveRunState | undefined => this.run;
    type Put = (labels: Record<string, string>, value: number) => void;
    // Each family is rebuilt from the run's objects at each scrape (reset, then filled), so a series
    // stands for exactly what those objects hold then.
    const refill = (family: Counter | Gauge, fill: (put: Put, run: LiveRunState) => void, put: Put): void => {
      family.reset();
      family.remove({}); // a family without labels has no sample until it is given one (reset leaves a 0)
      const run = runOf();
      if (run) fill(put, run);
    };
    const counter = (name: string, help: string, labelNames: readonly string[], fill: (put: Put, run: LiveRunState) => void): void => {
      new Counter({
        name,
        help,
        labelNames,
        registers,
        collect() {
          // A Prometheus counter carries a finite value ≥ 0; an operator's counter is only ever incremented, but a negative `by` is not refused.
          refill(this, fill, (labels, value) => {
            if (Number.isFinite(value) && value >= 0) this.inc(labels, value);
          });
        },
      });
    };
    const gauge = (name: string, help: string, labelNames: readonly string[], fill: (put: Put, run: LiveRunState) => void): void => {
      new Gauge({
        name,
        help,
        labelNames,
        registers,
        collect() {
          refill(this, fill, (labels, value) => this.set(labels, value));
        },
      });
    };

    counter(
      'alpha_node_total',
      "Each node's counters (ctx.metrics.counter(name)): records in and out, errors, dead letters, what the operator counts.",
      ['node', 'name'],
      (put, run) => {
        for (const [node, ctx] of run.graph.contexts)
          for (const [name, c] of ctx.metrics.counters) if (!(c instanceof GaugeImpl)) put({ node, name }, c.value);
      },
    );
    gauge('alpha_node_value', "Each node's gauges (ctx.metrics.gauge(name)), e.g. kill_switch_mode.", ['node', 'name'], (put, run) => {
      for (const [node, ctx] of run.graph.contexts)
        for (const [name, g] of ctx.metrics.counters) if (g instanceof GaugeImpl) put({ node, name }, g.value);
    });
    counter(
      'alpha_dead_letters_total',
      'Inputs refused by a node, by node and reason (the reason up to its first colon: summary.json dead_letter_reasons).',
      ['node', 'reason'],
      (put, run) => {
        for (const r of run.deadLetters.reasonCounts()) put({ node: r.node, reason: r.reason }, r.count);
      },
    );
    counter('alpha_orders_total', 'Orders sent to a broker (summary.json orders).', [], (put, run) => put({}, run.observed.orders));
    counter('alpha_fills_total', 'Fills (summary.json fills).', [], (put, run) => put({}, run.observed.fills));
    counter('alpha_live_events_total', 'Records the live sources delivered (summary.json events).', [], (put, run) =>
      put({}, run.feed.events),
    );
    counter('alpha_live_source_events_total', 'Records each live source delivered.', ['source'], (put, run) => {
      for (const [source, n] of run.feed.sources) put({ source }, n);
    });
    gauge(
      'alpha_kill_switch_mode',
      `The most severe kill-switch mode of the pre-trade nodes: ${KILL_MODES.map((k, i) => `${i} ${k}`).join(', ')} (absent without one).`,
      [],
      (put, run) => {
        const mode = killSwitchMode(run.graph);
        if (mode !== undefined) put({}, KILL_MODES.indexOf(mode));
      },
    );
    gauge('alpha_portfolio_equity', "The portfolio's last equity (absent before its first state).", [], (put, run) => {
      const equity = run.observed.states.at(-1)?.equity;
      if (equity !== undefined) put({}, equity);
    });
    gauge(
      'alpha_live_feed_lag_max_seconds',
      'The longest a source batch waited between its receipt and its step, so far (summary.json lag_ms.max).',
      [],
      (put, run) => put({}, run.feed.maxLagMicros / 1e6),
    );
    // prom-client's Histogram only counts what it observes itself; this one shows the buckets the run
    // keeps (FeedStats.lagBuckets), through the shape the registry reads from any metric.
    const lagName = 'alpha_live_feed_lag_seconds';
    const lagHelp = 'How long each source batch waited between its receipt and its step.';
    const lag = {
      name: lagName,
      help: lagHelp,
      type: 'histogram',
      aggregator: 'sum',
      get: async () => {
        const run = runOf();
        const values = [];
        if (run) {
          const { buckets, sumSeconds, count } = run.feed.lagBuckets.read();
          for (const b of buckets)
            values.push({
              metricName: `${lagName}_bucket`,
              labels: { le: b.le === Number.POSITIVE_INFINITY ? '+Inf' : String(b.le) },
              value: b.count,
            });
          values.push({ metricName: `${lagName}_sum`, labels: {}, value: sumSeconds });
          values.push({ metricName: `${lagName}_count`, labels: {}, value: count });
        }
        return { name: lagName, help: lagHelp, type: 'histogram', aggregator: 'sum', values };
      },
    };
    this.registry.registerMetric(lag as unknown as Histogram);
    gauge(
      'alpha_live_clock_behind_seconds',
      "The wall clock minus the run's time (the last record's ts_known, or timer), in wall seconds: grows while the loop falls behind, and while nothing arrives.",
      [],
      (put, run) => put({}, Math.max(0, run.clock.wallNow() - run.clock.now()) / 1e6 / run.speed),
    );
    gauge(
      'alpha_live_info',
      'The live run: its topology, and its group and replica (alpha live --group).',
      ['topology', 'group', 'replica'],
      (put, run) =>
        put(
          {
            topology: run.topology,
            group: run.group?.name ?? '',
            replica: run.group?.replica === undefined ? '' : String(run.group.replica),
          },
          1,
        ),
    );
  }

  /** From now on the families read `run`. */
  attach(run: LiveRunState): void {
    this.run = run;
  }

  /** The exposition (Prometheus text format 0.0.4). */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}
