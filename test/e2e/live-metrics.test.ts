/**
 * `alpha live --metrics 127.0.0.1:0` as a user runs it, against colo_venue: the endpoint answers while
 * the run goes, in the Prometheus text format, and what it says agrees with the run's own
 * summary.json. The day is played at 3000× and the run lasts 16 s, so the graph has been quiet for
 * seconds when it ends: the last scrapes then hold the final figures, and each must equal the
 * summary's (every node counter and gauge, orders, fills, events, dead letters, the kill switch, the
 * feed's lag). Counters never go back from one scrape to the next, and the endpoint is closed once
 * the process has exited 0.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLiveWithMetrics, type MetricsRun } from '../helpers/live-metrics-run.ts';
import { type Exposition, sampleValue } from '../helpers/prometheus-text.ts';

const dir = mkdtempSync(join(tmpdir(), 'alpha-live-metrics-'));
let run: MetricsRun;

beforeAll(async () => {
  run = await runLiveWithMetrics(dir);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('alpha live --metrics', () => {
  it('serves /metrics while it runs, exits 0, and closes the endpoint', async () => {
    expect(run.code, run.stderr).toBe(0);
    expect(run.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(run.summary.metrics).toBe(run.url);
    // Scraped every 250 ms over about 12 s of run.
    expect(run.scrapes.length).toBeGreaterThan(20);
    expect(run.scrapes[0]!.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    await expect(fetch(run.url, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
  });

  it('exposes the families of the run and the process, each with its type', () => {
    const { types } = run.scrapes.at(-1)!.parsed;
    expect(Object.fromEntries([...types].filter(([name]) => name.startsWith('alpha_')))).toEqual({
      alpha_node_total: 'counter',
      alpha_node_value: 'gauge',
      alpha_dead_letters_total: 'counter',
      alpha_orders_total: 'counter',
      alpha_fills_total: 'counter',
      alpha_live_events_total: 'counter',
      alpha_live_source_events_total: 'counter',
      alpha_kill_switch_mode: 'gauge',
      alpha_portfolio_equity: 'gauge',
      alpha_live_feed_lag_max_seconds: 'gauge',
      alpha_live_feed_lag_seconds: 'histogram',
      alpha_live_clock_behind_seconds: 'gauge',
      alpha_live_info: 'gauge',
    });
    // prom-client's default metrics.
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
    ])
      expect(types.has(name), name).toBe(true);
    expect(sampleValue(run.scrapes.at(-1)!.parsed, 'alpha_live_info', { topology: 'live-venue', group: '' })).toBe(1);
  });

  it('never shows a counter going back', () => {
    const key = (s: { name: string; labels: Record<string, string> }): string => `${s.name}${JSON.stringify(s.labels)}`;
    let before = new Map<string, number>();
    for (const scrape of run.scrapes) {
      const now = new Map<string, number>();
      for (const s of scrape.parsed.samples) {
        if (scrape.parsed.types.get(s.name) !== 'counter' || !s.name.startsWith('alpha_')) continue;
        now.set(key(s), s.value);
        const was = before.get(key(s));
        if (was !== undefined) expect(s.value, key(s)).toBeGreaterThanOrEqual(was);
      }
      before = now;
    }
  });

  it("shows the feed's gaps while the run goes, as the native feed counts them, not only once it closed", () => {
    const gaps = (e: Exposition): number | undefined => sampleValue(e, 'alpha_node_total', { node: 'quotes', name: 'gaps' });
    const messages = (e: Exposition): number | undefined => sampleValue(e, 'alpha_node_total', { node: 'quotes', name: 'messages' });
    // Scrapes taken while the feed was still delivering (fewer messages than it ended with).
    const final = run.summary.nodes['quotes']!;
    const during = run.scrapes.map((s) => s.parsed).filter((e) => (messages(e) ?? 0) > 0 && messages(e)! < final['messages']!);
    expect(during.length).toBeGreaterThan(2);
    expect(Math.max(...during.map((e) => gaps(e) ?? 0))).toBeGreaterThanOrEqual(1);
    expect(final['gaps']).toBeGreaterThanOrEqual(1);
    expect(gaps(run.scrapes.at(-1)!.parsed)).toBe(run.summary.nodes['quotes']!['gaps']);
  });

  it('shows, once the graph is quiet, the figures summary.json ends with', () => {
    const { summary } = run;
    const last = run.scrapes.at(-1)!.parsed;
    // Quiet: the run's last two scrapes agree on every counter (the day ended seconds before the run).
    const counters = (e: typeof last): string =>
      JSON.stringify(e.samples.filter((s) => s.name === 'alpha_node_total' || s.name === 'alpha_orders_total'));
    expect(counters(run.scrapes.at(-2)!.parsed)).toBe(counters(last));
    expect(summary.orders).toBeGreaterThan(20);
    expect(summary.fills).toBeGreaterThan(0);
    expect(sampleValue(last, 'alpha_orders_total')).toBe(summary.orders);
    expect(sampleValue(last, 'alpha_fills_total')).toBe(summary.fills);
    expect(sampleValue(last, 'alpha_live_events_total')).toBe(summary.events);
    const bySource = last.samples.filter((s) => s.name === 'alpha_live_source_events_total');
    expect(bySource.map((s) => s.labels['source']).sort()).toEqual(['quotes', 'trades']);
    expect(bySource.reduce((a, s) => a + s.value, 0)).toBe(summary.events);
    // Every node counter and gauge the endpoint showed is the summary's (node, name) figure.
    const nodeSamples = last.samples.filter((s) => s.name === 'alpha_node_total' || s.name === 'alpha_node_value');
    expect(nodeSamples.length).toBeGreaterThan(30);
    for (const s of nodeSamples) expect(s.value, JSON.stringify(s.labels)).toBe(summary.nodes[s.labels['node']!]?.[s.labels['name']!]);
    expect(sampleValue(last, 'alpha_node_total', { node: 'orders', name: 'out' })).toBe(summary.orders);
    // The kill switch: risk.pretrade's gauge, as the summary has it (0 ACTIVE).
    expect(sampleValue(last, 'alpha_kill_switch_mode')).toBe(summary.nodes['pretrade']!['kill_switch_mode']);
    // Dead letters: the summary's counts by "NODE: reason", node and reason apart.
    const letters = last.samples.filter((s) => s.name === 'alpha_dead_letters_total');
    expect(Object.fromEntries(letters.map((s) => [`${s.labels['node']}: ${s.labels['reason']}`, s.value]))).toEqual(
      summary.dead_letter_reasons,
    );
    // The summary rounds the lag to 10 µs, in ms.
    expect(Math.round(sampleValue(last, 'alpha_live_feed_lag_max_seconds')! * 1e5) / 100).toBe(summary.lag_ms.max);
    // The lag's buckets agree with the summary's quantiles and maximum (ms, rounded to 10 µs): every
    // lag is at or under the first bound past the maximum, none over it is under the bound before,
    // and at least 99% of them are at or under the first bound past the p99.
    const buckets = last.samples
      .filter((s) => s.name === 'alpha_live_feed_lag_seconds_bucket')
      .map((s) => ({ le: Number(s.labels['le']!.replace('+Inf', 'Infinity')) * 1000, count: s.value }));
    const count = sampleValue(last, 'alpha_live_feed_lag_seconds_count')!;
    expect(count).toBeGreaterThan(0);
    expect(buckets.at(-1)!.count).toBe(count);
    const firstAtOrOver = (ms: number) => buckets.find((b) => b.le >= ms + 0.005)!;
    expect(firstAtOrOver(summary.lag_ms.max).count).toBe(count);
    const under = buckets.filter((b) => b.le < summary.lag_ms.max - 0.005).at(-1);
    if (under) expect(under.count).toBeLessThan(count);
    expect(firstAtOrOver(summary.lag_ms.p99).count).toBeGreaterThanOrEqual(0.99 * count);
  });
});
