/**
 * A tear sheet as one self-contained HTML page: the charting library's source inlined, the figures as
 * ECharts options in a JSON block, and a panel saying "not in this run: …" for each figure the run
 * lacks data for. Every string that comes from the data (symbols, sectors, the topology's name) is
 * escaped: as HTML text where the page shows it, and as JSON (with `<` written `\u003c`) where the
 * charts read it; the charts draw names on a canvas and escape them in their tooltips.
 */
import { shortJson } from '../core/short-json.ts';
import type { Histogram, TearSheet } from './tear-sheet.ts';

/** `s` as HTML text or a double-quoted attribute value. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that is safe inside a `<script>` element: no `<` (so no `</script>` or `<!--`), no line separators. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** A script's source made safe to inline: `</script` cannot end the element early. */
export function inlineScript(source: string): string {
  return source.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

const round = (x: number, digits = 6): number | null => (Number.isFinite(x) ? Number(x.toPrecision(digits)) : null);
const pct = (x: number): number | null => round(x * 100);

interface Chart {
  id: string;
  title: string;
  note?: string;
  option: Record<string, unknown>;
}

const grid = { left: 64, right: 24, top: 36, bottom: 40 };
const tooltip = { trigger: 'axis' };
/** Time axes labelled by day, in UTC as the run's dates are (every option sets useUTC). */
const dayLabel = { formatter: '{MM}-{dd}' };

function histogramBars(h: Histogram, unit: string, digits: number): { categories: string[]; counts: number[] } {
  const categories = h.counts.map((_, i) => `${h.edges[i]!.toFixed(digits)}…${h.edges[i + 1]!.toFixed(digits)}${unit}`);
  return { categories, counts: h.counts };
}

function charts(s: TearSheet): Chart[] {
  const out: Chart[] = [];
  const time = s.curve.t;
  const series = (ys: number[], f: (y: number) => number | null): (number | null)[][] => ys.map((y, i) => [time[i]!, f(y)]);
  out.push({
    id: 'equity',
    title: 'Equity and drawdown',
    option: {
      tooltip,
      legend: { top: 0 },
      grid: [
        { ...grid, height: '52%' },
        { ...grid, top: '72%', bottom: 28 },
      ],
      xAxis: [
        { type: 'time', gridIndex: 0, axisLabel: dayLabel },
        { type: 'time', gridIndex: 1, axisLabel: dayLabel },
      ],
      yAxis: [
        { type: 'value', scale: true, gridIndex: 0, name: 'equity' },
        { type: 'value', gridIndex: 1, name: 'drawdown', axisLabel: { formatter: '{value}%' } },
      ],
      series: [
        { name: 'equity', type: 'line', showSymbol: false, data: series(s.curve.equity, (y) => round(y, 9)) },
        {
          name: 'drawdown %',
          type: 'line',
          showSymbol: false,
          xAxisIndex: 1,
          yAxisIndex: 1,
          areaStyle: {},
          data: series(s.curve.drawdown, pct),
        },
      ],
    },
  });
  if (s.rollingSharpe.values.length > 0)
    out.push({
      id: 'rolling-sharpe',
      title: `Rolling Sharpe (${s.days.length - s.rollingSharpe.values.length + 1}-day window, annualised)`,
      option: {
        tooltip,
        grid,
        xAxis: { type: 'category', data: s.rollingSharpe.days },
        yAxis: { type: 'value', scale: true },
        series: [{ name: 'Sharpe', type: 'line', data: s.rollingSharpe.values.map((v) => round(v)) }],
      },
    });
  const rh = histogramBars({ edges: s.returnsHistogram.edges.map((e) => e * 100), counts: s.returnsHistogram.counts }, '%', 2);
  out.push({
    id: 'returns-histogram',
    title: 'Daily returns',
    option: {
      tooltip,
      grid,
      xAxis: { type: 'category', data: rh.categories, name: 'return' },
      yAxis: { type: 'value', name: 'days', minInterval: 1 },
      series: [{ name: 'days', type: 'bar', data: rh.counts }],
    },
  });
  out.push({
    id: 'exposure',
    title: 'Gross and net exposure (fraction of equity)',
    option: {
      tooltip,
      legend: { top: 0 },
      grid,
      xAxis: { type: 'time', axisLabel: dayLabel },
      yAxis: { type: 'value' },
      series: [
        { name: 'gross', type: 'line', showSymbol: false, data: series(s.curve.gross, (y) => round(y, 5)) },
        { name: 'net', type: 'line', showSymbol: false, data: series(s.curve.net, (y) => round(y, 5)) },
      ],
    },
  });
  out.push({
    id: 'turnover',
    title: 'Turnover (traded notional / equity at the previous close)',
    option: {
      tooltip,
      grid,
      xAxis: { type: 'category', data: s.days },
      yAxis: { type: 'value', axisLabel: { formatter: '{value}%' } },
      series: [{ name: 'turnover %', type: 'bar', data: s.turnover.map(pct) }],
    },
  });
  out.push({
    id: 'costs',
    title: 'Cost breakdown (currency paid over the run)',
    ...(s.missing['costs'] ? { note: s.missing['costs'] } : {}),
    option: {
      tooltip,
      grid: { ...grid, left: 96 },
      xAxis: { type: 'category', data: s.costs.map((c) => c.name) },
      yAxis: { type: 'value' },
      series: [{ name: 'paid', type: 'bar', data: s.costs.map((c) => round(c.amount, 9)) }],
    },
  });
  const bySymbol = (rows: { name: string; pnl: number }[], id: string, title: string): Chart => ({
    id,
    title,
    option: {
      tooltip,
      grid: { ...grid, bottom: 72 },
      xAxis: { type: 'category', data: rows.map((r) => r.name), axisLabel: { rotate: 60, interval: 0, fontSize: 9 } },
      yAxis: { type: 'value' },
      series: [{ name: 'PnL', type: 'bar', data: rows.map((r) => round(r.pnl, 9)) }],
    },
  });
  out.push(
    bySymbol(
      s.pnlBySymbol.map((r) => ({ name: r.symbol, pnl: r.pnl })),
      'pnl-symbol',
      'PnL by symbol (after fees)',
    ),
  );
  if (s.pnlBySector)
    out.push(
      bySymbol(
        s.pnlBySector.map((r) => ({ name: r.sector, pnl: r.pnl })),
        'pnl-sector',
        'PnL by sector (after fees)',
      ),
    );
  if (s.ic)
    out.push({
      id: 'ic',
      title: `Prediction IC by horizon (mean rank IC over ${Math.max(...s.ic.map((x) => x.sections))} cross-sections)`,
      option: {
        tooltip,
        legend: { top: 0 },
        grid,
        xAxis: { type: 'category', data: s.ic.map((x) => `${x.minutes} min`), name: 'horizon' },
        yAxis: [
          { type: 'value', name: 'IC' },
          { type: 'value', name: 't', splitLine: { show: false } },
        ],
        series: [
          { name: 'mean IC', type: 'bar', data: s.ic.map((x) => round(x.mean, 5)) },
          { name: 't-stat', type: 'line', yAxisIndex: 1, data: s.ic.map((x) => round(x.t, 4)) },
        ],
      },
    });
  const part = s.fills.participation;
  if (part) {
    const ph = histogramBars(part.histogram, '%', 1);
    out.push({
      id: 'participation',
      title: `Participation: shares filled / shares printed while the order worked (${part.orders} orders)`,
      option: {
        tooltip,
        grid,
        xAxis: { type: 'category', data: ph.categories, name: 'of prints' },
        yAxis: { type: 'value', name: 'orders', minInterval: 1 },
        series: [{ name: 'orders', type: 'bar', data: ph.counts }],
      },
    });
  }
  const sh = histogramBars(s.fills.slippageBps, '', 1);
  out.push({
    id: 'slippage',
    title: 'Fill price against the arrival mid (bps, + = paid)',
    option: {
      tooltip,
      grid,
      xAxis: { type: 'category', data: sh.categories, name: 'bps' },
      yAxis: { type: 'value', name: 'fills', minInterval: 1 },
      series: [{ name: 'fills', type: 'bar', data: sh.counts }],
    },
  });
  return out;
}

const MISSING_TITLES: Record<string, string> = {
  'rolling-sharpe': 'Rolling Sharpe',
  'pnl-sector': 'PnL by sector',
  ic: 'Prediction IC and its decay by horizon',
  participation: 'Participation',
};

function formatMetric(name: string, x: number): string {
  if (Number.isNaN(x)) return 'n/a';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  if (/return|drawdown|volatility|turnover|gross/.test(name)) return `${(x * 100).toFixed(2)}%`;
  if (name === 'days') return String(x);
  return x.toFixed(3);
}

export interface PageOptions {
  /** The charting library's browser build (ECharts' dist/echarts.min.js), inlined. */
  chartLibrary: string;
  /** The run folder's name as the user gave it (shown, escaped). */
  runName: string;
}

/** The whole page. */
export function tearSheetHtml(s: TearSheet, summary: Record<string, unknown>, options: PageOptions): string {
  const list = charts(s);
  // A summary field as text, cut at 2,000 characters (a hostile summary.json may nest a value 200k deep).
  const text = (v: unknown): string => escapeHtml(typeof v === 'string' ? v.slice(0, 2000) : v === undefined ? '' : shortJson(v, 2000));
  const metricRows = Object.entries(s.metrics)
    .map(([k, v]) => `<tr><th>${escapeHtml(k.replaceAll('_', ' '))}</th><td>${escapeHtml(formatMetric(k, v))}</td></tr>`)
    .join('');
  const fillRows = [
    ['fills', String(s.fills.count)],
    ['mean slippage vs arrival', `${formatMetric('bps', s.fills.meanSlippageBps)} bps`],
    ['median slippage vs arrival', `${formatMetric('bps', s.fills.medianSlippageBps)} bps`],
    [
      'participation (median)',
      s.fills.participation
        ? `${(s.fills.participation.median * 100).toFixed(1)}% of prints (${s.fills.participation.noPrints} orders with none)`
        : 'n/a (pass --data)',
    ],
    ['maker share of fills', Number.isNaN(s.fills.makerShare) ? 'n/a' : `${(s.fills.makerShare * 100).toFixed(1)}%`],
    [
      'fill ratio of limit orders',
      s.fills.limitOrders === 0
        ? 'no limit orders in this run'
        : `${(s.fills.limitFillRatio * 100).toFixed(1)}% of shares (${s.fills.limitOrders} orders)`,
    ],
  ]
    .map(([k, v]) => `<tr><th>${escapeHtml(k!)}</th><td>${escapeHtml(v!)}</td></tr>`)
    .join('');
  const costRows = s.costs
    .map((c) => `<tr><th>${escapeHtml(c.name)}</th><td>${escapeHtml(c.amount.toFixed(2))}</td><td>${escapeHtml(c.source)}</td></tr>`)
    .join('');
  const panels = list
    .map(
      (c) =>
        `<section class="panel" id="panel-${c.id}"><h2>${escapeHtml(c.title)}</h2><div class="chart" id="chart-${c.id}" data-chart="${c.id}"></div>${
          c.note ? `<p class="not-in-run">not in this run: ${escapeHtml(c.note)}</p>` : ''
        }</section>`,
    )
    .join('\n');
  const missingPanels = Object.entries(s.missing)
    .filter(([k]) => MISSING_TITLES[k])
    .map(
      ([k, what]) =>
        `<section class="panel missing" id="panel-${k}"><h2>${escapeHtml(MISSING_TITLES[k]!)}</h2><p class="not-in-run">not in this run: ${escapeHtml(what)}</p></section>`,
    )
    .join('\n');
  const facts = ['topology', 'git_commit', 'seed', 'data_sha256', 'events', 'orders', 'fills', 'dead_letters']
    .filter((k) => summary[k] !== undefined)
    .map((k) => `<tr><th>${escapeHtml(k.replaceAll('_', ' '))}</th><td>${text(summary[k])}</td></tr>`)
    .join('');
  const data = list.map((c) => ({ id: `chart-${c.id}`, option: { useUTC: true, animation: false, ...c.option } }));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tear sheet: ${text(summary['topology'])} (${escapeHtml(options.runName)})</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;max-width:1280px;padding:16px;color:#222}
h1{font-size:20px;margin:0 0 8px}h2{font-size:15px;margin:0 0 6px}
.tables{display:flex;flex-wrap:wrap;align-items:flex-start;gap:24px;margin-bottom:16px}
table{border-collapse:collapse}th,td{padding:2px 8px;text-align:left;border-bottom:1px solid #eee;font-weight:normal}th{color:#555}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:16px}
.panel{border:1px solid #ddd;border-radius:6px;padding:10px}.chart{width:100%;height:320px}
#panel-equity .chart{height:420px}.not-in-run{color:#a33;margin:6px 0 0}
</style></head><body>
<h1>Tear sheet: ${text(summary['topology'])} <small>(${escapeHtml(options.runName)})</small></h1>
<div class="tables">
<table id="metrics"><caption>daily returns (close to close), as empyrical computes them</caption>${metricRows}</table>
<table id="fill-stats"><caption>fills</caption>${fillRows}</table>
<table id="costs"><caption>costs</caption>${costRows}</table>
<table id="run"><caption>run</caption>${facts}</table>
</div>
<div class="grid">
${panels}
${missingPanels}
</div>
<script>${inlineScript(options.chartLibrary)}</script>
<script type="application/json" id="tear-sheet-charts">${scriptJson(data)}</script>
<script>
(function () {
  var specs = JSON.parse(document.getElementById('tear-sheet-charts').textContent);
  window.tearSheet = { charts: specs.length, drawn: 0 };
  specs.forEach(function (spec) {
    var el = document.getElementById(spec.id);
    var chart = echarts.init(el, null, { renderer: 'canvas' });
    chart.on('finished', function () {
      if (el.getAttribute('data-drawn')) return;
      el.setAttribute('data-drawn', '1');
      window.tearSheet.drawn++;
    });
    chart.setOption(spec.option);
    window.addEventListener('resize', function () { chart.resize(); });
  });
})();
</script>
</body></html>
`;
}
