/**
 * `alpha live examples/live-venue.yaml --metrics 127.0.0.1:0` against colo_venue playing a small
 * generated day at 3000× (7.8 s of wall time), two of its feed's packets dropped, run for 16 s: the graph trades, goes quiet once the
 * day is over, and ends at --seconds. Its /metrics is scraped every 250 ms while it runs; the scrapes
 * and the run's own summary.json come back for the tests to compare.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAlpha } from './cli.ts';
import { parseExposition, type Exposition } from './prometheus-text.ts';
import { liveVenueArgs, startVenueDay } from './venue-process.ts';

export interface MetricsRun {
  code: number | null;
  stderr: string;
  url: string;
  /** Each scrape that answered, in order, with its raw text and content type. */
  scrapes: { at: number; text: string; contentType: string; parsed: Exposition }[];
  summary: LiveSummaryJson;
}

export interface LiveSummaryJson {
  events: number;
  orders: number;
  fills: number;
  dead_letters: number;
  dead_letter_reasons: Record<string, number>;
  lag_ms: { p50: number; p99: number; max: number };
  nodes: Record<string, Record<string, number>>;
  metrics?: string;
}

export const SPEED = 3000;
export const SECONDS = 16;
/** Packets of the venue's feed it drops on purpose: the feed finds and re-requests them (its `gaps`). */
export const DROPPED = [400, 900];

export async function runLiveWithMetrics(dir: string, onUrl: (url: string) => void = () => {}): Promise<MetricsRun> {
  mkdirSync(dir, { recursive: true });
  const { venue, date, data } = await startVenueDay(dir, {
    symbols: 4,
    seed: 3,
    users: ['alpha:alpha'],
    args: ['--speed', String(SPEED), '--drop', DROPPED.join(',')],
  });
  try {
    const out = join(dir, 'live');
    const { output, exited } = startAlpha(
      liveVenueArgs({ venue, date, data }, SPEED, out, '--seconds', String(SECONDS), '--quiet', '--metrics', '127.0.0.1:0'),
    );
    let ended = false;
    void exited.then(() => (ended = true));
    const t0 = Date.now();
    let url: string | undefined;
    while (!url && !ended && Date.now() - t0 < 30_000) {
      await new Promise((r) => setTimeout(r, 50));
      url = /^metrics: (http:\/\/\S+)$/m.exec(output.stderr)?.[1];
    }
    if (!url) throw new Error(`alpha live printed no metrics line in 30 s: ${output.stderr}`);
    onUrl(url);
    const scrapes: MetricsRun['scrapes'] = [];
    while (!ended && Date.now() - t0 < (SECONDS + 40) * 1000) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
        const text = await res.text();
        if (res.status === 200)
          scrapes.push({ at: Date.now() - t0, text, contentType: res.headers.get('content-type') ?? '', parsed: parseExposition(text) });
      } catch {
        // the run ended between two scrapes (its endpoint closes with it)
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    const { code, stderr } = await Promise.race([
      exited,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('alpha live did not exit')), (SECONDS + 60) * 1000)),
    ]);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as LiveSummaryJson;
    return { code, stderr, url, scrapes, summary };
  } finally {
    await venue.stop();
  }
}
