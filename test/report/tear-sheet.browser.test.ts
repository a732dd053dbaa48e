/**
 * `alpha report` end to end in a real browser: a small backtest of the default topology (limit orders,
 * so the limit fill ratio has something to measure; the topology's predictions.parquet gives the IC
 * something to score), its tear sheet written by the command line, then
 * loaded from disk in Debian's chromium driven by playwright-core with every network request refused.
 * The page must log no error, every chart must have drawn (ECharts' `finished` event and a canvas of
 * non-zero size with pixels on it), and the figures it shows must be the run's. A screenshot goes to
 * out/test/report/tear-sheet.png. A second run folder, with a symbol renamed to HTML and script
 * markup, checks that data strings are shown as text and never run.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { writeRecordsParquet } from '../../lib/io/parquet.ts';
import { runBacktest } from '../../pipelines/runtime/backtest.ts';
import { ROOT, runAlpha } from '../helpers/cli.ts';
import { dataset, tempDir } from '../helpers/datasets.ts';

const topologyFile = join(ROOT, 'topology.yaml');
const SHOTS = join(ROOT, 'out/test/report');
const HOSTILE = '<img src=x onerror="window.__pwned=1">SYM</script><script>window.__pwned=2</script>&amp;';

/** The page's globals the tests read (this file is compiled without the DOM library; these run in the page). */
interface PageGlobals {
  tearSheet?: { charts: number; drawn: number };
  __pwned?: number;
  document: { getElementById(id: string): { textContent: string | null } | null };
  echarts: {
    getInstanceByDom(el: unknown): { dispatchAction(action: unknown): void; getOption(): { xAxis: { data: string[] }[] } };
  };
}

let data: string;
let run: string;
let browser: Browser;

async function rows(dir: string, file: string): Promise<Record<string, unknown>[]> {
  const buf = readFileSync(join(dir, file));
  return (await parquetReadObjects({ file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer })) as Record<
    string,
    unknown
  >[];
}

beforeAll(async () => {
  data = await dataset({ symbols: 12, days: 6, seed: 5 });
  run = tempDir('report-run');
  // The model's predictions, as its output edge carried them: predictions.parquet must hold exactly these.
  const predictions: Record<string, unknown>[] = [];
  await runBacktest({
    topologyFile,
    dataDir: data,
    outDir: run,
    sets: ['orders.order_type=LIMIT', 'orders.limit_offset_bps=1'],
    observers: { model: (batch) => predictions.push(...(batch as Record<string, unknown>[])) },
  });
  expect(predictions.length).toBeGreaterThan(0);
  const written = await rows(run, 'predictions.parquet');
  // hyparquet reads a TIMESTAMP(MICROS) as a Date (ms); the snapshots fall on whole minutes.
  expect(written.map((r) => [(r['ts_known'] as Date).getTime() * 1000, r['symbol'], r['value']])).toEqual(
    predictions.map((r) => [r['ts_known'], r['symbol'], r['value']]),
  );
  const executablePath = inject('chromiumPath');
  // As root, Chromium's sandbox cannot start: it must be told to run without it.
  browser = await chromium.launch({ executablePath, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
});

afterAll(async () => {
  await browser?.close();
});

/** Opens a report from disk; every request that is not the file itself is refused and recorded. */
async function open(path: string): Promise<{ page: Page; errors: string[]; requests: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url === `file://${path}`) return route.continue();
    requests.push(url);
    return route.abort();
  });
  await page.goto(`file://${path}`);
  await page.waitForFunction(() => {
    const t = (globalThis as unknown as PageGlobals).tearSheet;
    return t !== undefined && t.drawn === t.charts;
  });
  return { page, errors, requests };
}

describe('alpha report in headless chromium', () => {
  it('draws every chart of a real run, with no console error and no network', async () => {
    const r = await runAlpha(['report', run, '--data', data], 60_000);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`wrote ${join(run, 'report.html')}`);
    const path = join(run, 'report.html');
    const { page, errors, requests } = await open(path);

    const charts = await page.$$eval('[data-chart]', (els) =>
      els.map((el) => {
        const canvas = el.querySelector('canvas');
        let inked = 0;
        if (canvas) {
          const ctx = canvas.getContext('2d')!;
          const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
          for (let i = 3; i < px.length; i += 4) if (px[i]! > 0) inked++;
        }
        return {
          id: el.getAttribute('data-chart'),
          drawn: el.getAttribute('data-drawn'),
          w: canvas?.width ?? 0,
          h: canvas?.height ?? 0,
          inked,
        };
      }),
    );
    // Six days: enough for the 5-day rolling Sharpe; --data gives the sectors, the quotes the IC is
    // scored on and the prints participation is measured against.
    expect(charts.map((c) => c.id)).toEqual([
      'equity',
      'rolling-sharpe',
      'returns-histogram',
      'exposure',
      'turnover',
      'costs',
      'pnl-symbol',
      'pnl-sector',
      'ic',
      'participation',
      'slippage',
    ]);
    for (const c of charts) {
      expect(c.drawn, c.id!).toBe('1');
      expect(c.w * c.h, c.id!).toBeGreaterThan(0);
      // A chart with axes, labels and data inks far more than a few hundred pixels.
      expect(c.inked, c.id!).toBeGreaterThan(2000);
    }
    // The default graph's broker reports every cost: the table lists all five, and the panel says none is missing.
    const rows = await page.$$eval('table#costs th', (ths) => ths.map((th) => th.textContent));
    expect(rows).toEqual(['fees', 'spread', 'impact', 'borrow', 'financing']);
    expect(await page.textContent('#panel-costs')).not.toContain('not in this run');

    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'tear-sheet.png'), fullPage: true });
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });

  it("shows the run's own figures: Sharpe of summary.json, fills, and the limit fill ratio of order_states.parquet", async () => {
    const { page } = await open(join(run, 'report.html'));
    const summary = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8')) as { sharpe: number; fills: number };
    const metrics = await page.textContent('#metrics');
    // summary.json's Sharpe is mean / sample std of the session-close returns × √252, rounded to 6 places.
    expect(metrics).toContain(`sharpe${summary.sharpe.toFixed(3)}`);
    const fillStats = (await page.textContent('#fill-stats'))!;
    expect(fillStats).toContain(`fills${summary.fills}`);
    // Fill ratio derived independently: each limit order's last filled_qty in order_states (read with
    // hyparquet) over the shares it asked for.
    const orders = await rows(run, 'orders.parquet');
    const states = await rows(run, 'order_states.parquet');
    const filled = new Map<string, number>();
    for (const s of states) filled.set(String(s['order_id']), Math.max(filled.get(String(s['order_id'])) ?? 0, Number(s['filled_qty'])));
    let asked = 0;
    let got = 0;
    let limits = 0;
    for (const o of orders)
      if (o['order_type'] === 'LIMIT' && o['action'] !== 'CANCEL') {
        limits++;
        asked += Number(o['qty']);
        got += filled.get(String(o['order_id'])) ?? 0;
      }
    expect(limits).toBeGreaterThan(0);
    expect(fillStats).toContain(`fill ratio of limit orders${((got / asked) * 100).toFixed(1)}% of shares (${limits} orders)`);
    await page.close();
  });

  it('shows a hostile symbol name as text: no markup from the data runs, in the page or a tooltip', async () => {
    const dir = tempDir('report-hostile');
    for (const f of ['summary.json', 'orders.parquet', 'order_states.parquet']) copyFileSync(join(run, f), join(dir, f));
    // Without predictions, the IC is a panel saying so.
    const victim = 'SYM000';
    const rename = (r: Record<string, unknown>): Record<string, unknown> => (r['symbol'] === victim ? { ...r, symbol: HOSTILE } : r);
    // hyparquet gives timestamps as Dates (ms): back to µs, as the run wrote them (taken as µs, they put
    // the run in 1970, which the report now refuses as states outside the run's days).
    const toNumber = (r: Record<string, unknown>): Record<string, unknown> =>
      Object.fromEntries(
        Object.entries(r).map(([k, v]) => [k, v instanceof Date ? v.getTime() * 1000 : typeof v === 'bigint' ? Number(v) : v]),
      );
    writeRecordsParquet(join(dir, 'fills.parquet'), 'Fill', (await rows(run, 'fills.parquet')).map(toNumber).map(rename));
    writeRecordsParquet(join(dir, 'orders.parquet'), 'Order', (await rows(run, 'orders.parquet')).map(toNumber).map(rename));
    const states = (await rows(run, 'equity.parquet')).map(toNumber).map((s) => ({
      ...s,
      positions: (s['positions'] as Record<string, unknown>[]).map(rename),
    }));
    writeRecordsParquet(join(dir, 'equity.parquet'), 'PortfolioState', states);
    writeFileSync(
      join(dir, 'summary.json'),
      JSON.stringify({ ...JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8')), topology: HOSTILE }),
    );

    const r = await runAlpha(['report', dir], 60_000);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html.includes('<img src=x'), 'the name as markup in report.html').toBe(false);
    expect(html.includes('window.__pwned=2</script>'), 'the name as markup in report.html').toBe(false);

    const { page, errors, requests } = await open(join(dir, 'report.html'));
    // The name is shown as the text it is.
    expect(await page.textContent('h1')).toContain(HOSTILE);
    expect(await page.textContent('#panel-ic')).toContain('not in this run: the model');
    expect(await page.textContent('#panel-participation')).toContain('not in this run: the market volume');
    // Hover the hostile symbol's bar of PnL by symbol: the tooltip shows the name and injects nothing.
    const tips = await page.evaluate((name) => {
      const page = globalThis as unknown as PageGlobals;
      const el = page.document.getElementById('chart-pnl-symbol')!;
      const chart = page.echarts.getInstanceByDom(el);
      const categories = chart.getOption().xAxis[0]!.data;
      const at = categories.indexOf(name);
      chart.dispatchAction({ type: 'showTip', seriesIndex: 0, dataIndex: at });
      return { at, text: el.textContent ?? '' };
    }, HOSTILE);
    expect(tips.at).toBeGreaterThanOrEqual(0);
    expect(tips.text).toContain(HOSTILE);
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).__pwned)).toBeUndefined();
    expect(await page.$$('img')).toHaveLength(0);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });
});
