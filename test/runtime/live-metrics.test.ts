/**
 * The live metrics' registry (pipelines/runtime/live-metrics.ts) over a run's objects made by hand:
 * what an operator calls its metric (spaces, quotes, a backslash, a newline, unicode) is a label
 * value, read back unchanged by an independent reader of the text format; the family names stay
 * valid whatever the names. Values are read at each scrape from the objects themselves.
 */
import { describe, expect, it } from 'vitest';
import { LiveMetrics, type LiveRunState } from '../../pipelines/runtime/live-metrics.ts';
import { DeadLetterLog } from '../../pipelines/runtime/dead-letter-log.ts';
import { FeedStats } from '../../pipelines/runtime/feed-stats.ts';
import { NodeMetrics } from '../../pipelines/runtime/node-context.ts';
import { parseExposition, sampleValue } from '../helpers/prometheus-text.ts';

const HOSTILE = ['rejected max order', 'überlauf ✓', 'say "hi"', 'back\\slash', 'two\nlines', '0starts_with_a_digit', 'a:b{c}=d,'];

function fakeRun(): {
  run: LiveRunState;
  nodes: Map<string, { metrics: NodeMetrics }>;
  observed: { orders: number; fills: number; states: { equity: number }[] };
} {
  const nodes = new Map<string, { metrics: NodeMetrics }>([
    ['pretrade', { metrics: new NodeMetrics() }],
    ['nœud "x"', { metrics: new NodeMetrics() }],
  ]);
  const observed = { orders: 0, fills: 0, states: [] as { equity: number }[] };
  const clock = { wallNow: () => 5_000_000, now: () => 2_000_000 };
  const run = {
    topology: 'test',
    graph: { contexts: nodes },
    observed,
    deadLetters: new DeadLetterLog(),
    feed: new FeedStats(['quotes']),
    clock,
    speed: 2,
  } as unknown as LiveRunState;
  return { run, nodes, observed };
}

describe('live metrics', () => {
  it('keeps any metric name as a label value, under valid family names', async () => {
    const { run, nodes } = fakeRun();
    const m = nodes.get('nœud "x"')!.metrics;
    HOSTILE.forEach((name, i) => m.counter(name).inc(i + 1));
    m.gauge('ratio ½').set(-0.25);
    const metrics = new LiveMetrics();
    metrics.attach(run);
    const e = parseExposition(await metrics.metrics());
    HOSTILE.forEach((name, i) => expect(sampleValue(e, 'alpha_node_total', { node: 'nœud "x"', name }), name).toBe(i + 1));
    expect(sampleValue(e, 'alpha_node_value', { node: 'nœud "x"', name: 'ratio ½' })).toBe(-0.25);
    for (const name of e.types.keys()) expect(name).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/);
  });

  it('reads the run at each scrape: no copy to fall behind', async () => {
    const { run, nodes, observed } = fakeRun();
    const metrics = new LiveMetrics();
    // Before the run is attached: the process metrics only.
    const before = parseExposition(await metrics.metrics());
    expect(before.samples.some((s) => s.name.startsWith('alpha_'))).toBe(false);
    expect(before.types.get('process_cpu_user_seconds_total')).toBe('counter');
    metrics.attach(run);
    const pre = nodes.get('pretrade')!.metrics;
    pre.gauge('kill_switch_mode').set(0);
    pre.counter('in').inc(3);
    observed.orders = 7;
    observed.states.push({ equity: 1_000_000 });
    run.deadLetters.add({ ts_event: 1, ts_known: 1, node: 'pretrade', reason: 'halted: the kill switch', input: {} });
    run.feed.read('quotes', 40);
    run.feed.stepped(1500);
    let e = parseExposition(await metrics.metrics());
    expect(sampleValue(e, 'alpha_node_total', { node: 'pretrade', name: 'in' })).toBe(3);
    expect(sampleValue(e, 'alpha_orders_total')).toBe(7);
    expect(sampleValue(e, 'alpha_kill_switch_mode')).toBe(0);
    expect(sampleValue(e, 'alpha_portfolio_equity')).toBe(1_000_000);
    expect(sampleValue(e, 'alpha_dead_letters_total', { node: 'pretrade', reason: 'halted' })).toBe(1);
    expect(sampleValue(e, 'alpha_live_events_total')).toBe(40);
    expect(sampleValue(e, 'alpha_live_source_events_total', { source: 'quotes' })).toBe(40);
    expect(sampleValue(e, 'alpha_live_feed_lag_max_seconds')).toBe(0.0015);
    // The lag's buckets: 1.5 ms is over 1 ms and under 2.5 ms.
    expect(e.types.get('alpha_live_feed_lag_seconds')).toBe('histogram');
    expect(sampleValue(e, 'alpha_live_feed_lag_seconds_bucket', { le: '0.001' })).toBe(0);
    expect(sampleValue(e, 'alpha_live_feed_lag_seconds_bucket', { le: '0.0025' })).toBe(1);
    expect(sampleValue(e, 'alpha_live_feed_lag_seconds_bucket', { le: '+Inf' })).toBe(1);
    expect(sampleValue(e, 'alpha_live_feed_lag_seconds_count')).toBe(1);
    expect(sampleValue(e, 'alpha_live_feed_lag_seconds_sum')).toBe(0.0015);
    // 3 s of the run's time behind the wall at 2×: 1.5 s of wall time.
    expect(sampleValue(e, 'alpha_live_clock_behind_seconds')).toBe(1.5);
    pre.gauge('kill_switch_mode').set(2);
    pre.counter('in').inc();
    observed.orders = 9;
    run.feed.stepped(30);
    e = parseExposition(await metrics.metrics());
    expect(sampleValue(e, 'alpha_live_feed_lag_seconds_bucket', { le: '0.00005' })).toBe(1);
    expect(sampleValue(e, 'alpha_live_feed_lag_seconds_count')).toBe(2);
    expect(sampleValue(e, 'alpha_node_total', { node: 'pretrade', name: 'in' })).toBe(4);
    expect(sampleValue(e, 'alpha_orders_total')).toBe(9);
    expect(sampleValue(e, 'alpha_kill_switch_mode')).toBe(2);
    expect(sampleValue(e, 'alpha_node_value', { node: 'pretrade', name: 'kill_switch_mode' })).toBe(2);
  });

  it('leaves out a counter a Prometheus counter cannot carry, and keeps a gauge whatever its value', async () => {
    const { run, nodes } = fakeRun();
    const m = nodes.get('pretrade')!.metrics;
    m.counter('went negative').inc(-1);
    m.counter('not a number').inc(Number.NaN);
    m.gauge('nan').set(Number.NaN);
    m.gauge('inf').set(Number.POSITIVE_INFINITY);
    const metrics = new LiveMetrics();
    metrics.attach(run);
    const e = parseExposition(await metrics.metrics());
    expect(sampleValue(e, 'alpha_node_total', { name: 'went negative' })).toBeUndefined();
    expect(sampleValue(e, 'alpha_node_total', { name: 'not a number' })).toBeUndefined();
    expect(sampleValue(e, 'alpha_node_value', { name: 'nan' })).toBeNaN();
    expect(sampleValue(e, 'alpha_node_value', { name: 'inf' })).toBe(Number.POSITIVE_INFINITY);
  });
});
