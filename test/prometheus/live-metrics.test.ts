/**
 * A real Prometheus (Debian's package, started by scripts/services/prometheus.sh through the test
 * setup) scrapes `alpha live --metrics 127.0.0.1:0` while it trades against colo_venue: the run is
 * named to it in a file_sd targets file as soon as it prints its endpoint. Once the run has ended,
 * Prometheus's HTTP API (/api/v1/query) must hold, as the last value it stored, the run's own figures
 * from summary.json: node counters, the orders, the fills and the events, and its feed lag's
 * buckets must give a p99 next to the summary's. Its `promtool check
 * metrics` also finds nothing wrong with the run's families in a scrape.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MetricsRun, runLiveWithMetrics } from '../helpers/live-metrics-run.ts';

const PROMETHEUS = process.env['PROMETHEUS_URL']!;
const TARGETS = process.env['PROMETHEUS_TARGETS_DIR']!;
const runLabel = `test-${process.pid}-${Date.now()}`;
const targetFile = join(TARGETS, `${runLabel}.json`);
const dir = mkdtempSync(join(tmpdir(), 'alpha-prometheus-'));
let run: MetricsRun;

/** An instant query's single value, or undefined when the result is empty. */
async function query(promql: string): Promise<number | undefined> {
  const res = await fetch(`${PROMETHEUS}/api/v1/query?query=${encodeURIComponent(promql)}`, { signal: AbortSignal.timeout(5000) });
  const body = (await res.json()) as { status: string; data: { result: { value: [number, string] }[] }; error?: string };
  if (body.status !== 'success') throw new Error(`${promql}: ${body.error}`);
  if (body.data.result.length > 1) throw new Error(`${promql}: ${body.data.result.length} series`);
  const v = body.data.result[0]?.value[1];
  return v === undefined ? undefined : Number(v);
}

beforeAll(async () => {
  expect(PROMETHEUS, 'PROMETHEUS_URL (set by test/helpers/services-setup.ts)').toBeDefined();
  run = await runLiveWithMetrics(dir, (url) => {
    const { host } = new URL(url);
    writeFileSync(targetFile, JSON.stringify([{ targets: [host], labels: { run: runLabel } }]));
  });
}, 180_000);
afterAll(() => {
  rmSync(targetFile, { force: true });
  rmSync(dir, { recursive: true, force: true });
});

describe('Prometheus scraping alpha live --metrics', () => {
  it('stores the run’s figures as summary.json has them', async () => {
    expect(run.code, run.stderr).toBe(0);
    // Scraped while it ran: `up` was 1 at some point (file_sd picks the file up within a second or two).
    const up = await query(`max_over_time(up{run="${runLabel}"}[10m])`);
    expect(up, 'Prometheus never scraped the run').toBe(1);
    const samples = await query(`count_over_time(alpha_orders_total{run="${runLabel}"}[10m])`);
    expect(samples).toBeGreaterThan(5);
    // The graph was quiet for seconds before the end (the day ended), so the last stored value is the final one.
    const last = (m: string): Promise<number | undefined> => query(`last_over_time(${m}[10m])`);
    const { summary } = run;
    expect(await last(`alpha_node_total{run="${runLabel}",node="orders",name="in"}`)).toBe(summary.nodes['orders']!['in']);
    expect(await last(`alpha_node_total{run="${runLabel}",node="bars",name="out"}`)).toBe(summary.nodes['bars']!['out']);
    expect(await last(`alpha_orders_total{run="${runLabel}"}`)).toBe(summary.orders);
    expect(await last(`alpha_fills_total{run="${runLabel}"}`)).toBe(summary.fills);
    expect(await last(`alpha_live_events_total{run="${runLabel}"}`)).toBe(summary.events);
    expect(summary.orders).toBeGreaterThan(20);
    // The feed lag's buckets, as an operator queries them: the run's p99 from Prometheus's own
    // interpolation lies within the bucket holding the summary's p99 (bounds 25 µs … 10 s, lag-histogram.ts).
    const p99 = await query(`histogram_quantile(0.99, last_over_time(alpha_live_feed_lag_seconds_bucket{run="${runLabel}"}[10m]))`);
    const bounds = [0, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 1e6, 2.5e6, 1e7];
    const bucket = (ms: number) => bounds.findIndex((b) => b / 1000 >= ms);
    expect(p99, 'histogram_quantile over the lag buckets').toBeDefined();
    expect(Math.abs(bucket(p99! * 1000) - bucket(summary.lag_ms.p99))).toBeLessThanOrEqual(1);
  });

  it('passes promtool check metrics', () => {
    // The run's families; prom-client's own defaults break one of promtool's naming rules
    // (nodejs_active_handles_total is a gauge), which is prom-client's to fix.
    const text = run.scrapes
      .at(-1)!
      .text.split('\n')
      .filter((l) => /^(# (HELP|TYPE) )?alpha_/.test(l))
      .join('\n')
      .concat('\n');
    expect(text).toMatch(/^alpha_node_total\{/m);
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 10_000 });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  });
});
