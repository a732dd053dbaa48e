/**
 * The table of a sweep: one row per grid point, in grid order, with the point's values and the
 * figures its run reports (summary.json's, less what measures the machine rather than the run: wall
 * time, events/s, peak RSS). Written as Parquet (sweep.parquet) and printed as text. Nothing in it
 * depends on which worker ran a point or when, so the same grid gives the same bytes.
 */
import * as arrow from 'apache-arrow';
import { parse as parseYaml } from 'yaml';
import { parquetBytes } from '../../lib/io/parquet.ts';
import type { BacktestSummary } from '../runtime/backtest.ts';
import { type Axis, type GridPoint, show } from './grid.ts';

export interface PointResult {
  point: GridPoint;
  /** The run's summary, or why the point failed. */
  outcome: { ok: true; summary: BacktestSummary } | { ok: false; error: string };
}

/** The figures of a run, in this order first; any other number of the summary follows, by name. */
export const FIGURES = [
  'total_return',
  'sharpe',
  'max_drawdown',
  'turnover',
  'fees',
  'orders',
  'fills',
  'events',
  'days',
  'dead_letters',
] as const;
/** Not figures of the run: how fast this machine ran it, and the topology's seed (the same at every point). */
const NOT_FIGURES = new Set(['events_per_sec', 'wall_seconds', 'peak_rss_mb', 'seed', 'nodes', 'dead_letter_reasons']);
/** Identity of what ran, kept as text. */
const HASHES = ['topology_sha256', 'data_sha256'] as const;

/** The numbers of a summary by column name: top-level ones, and those one object deep as `object.field`. */
export function figuresOf(summary: BacktestSummary): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, value] of Object.entries(summary)) {
    if (NOT_FIGURES.has(key)) continue;
    if (typeof value === 'number' && Number.isFinite(value)) out.set(key, value);
    else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value as Record<string, unknown>))
        if (typeof v === 'number' && Number.isFinite(v)) out.set(`${key}.${k}`, v);
    }
  }
  return out;
}

/** The figure columns of these results: FIGURES, then the others any point reports, sorted. */
export function figureColumns(results: readonly PointResult[]): string[] {
  const extra = new Set<string>();
  for (const r of results) if (r.outcome.ok) for (const k of figuresOf(r.outcome.summary).keys()) extra.add(k);
  for (const k of FIGURES) extra.delete(k);
  return [...FIGURES, ...[...extra].sort()];
}

/** A value of an axis as the table holds it: a number when every value of the axis is one, else its YAML text. */
function axisColumn(axis: Axis, results: readonly PointResult[], i: number): arrow.Vector {
  const parsed = axis.values.map((v) => {
    try {
      return parseYaml(v) as unknown;
    } catch {
      return undefined;
    }
  });
  if (parsed.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    return arrow.vectorFromArray(
      results.map((r) => Number(parseYaml(r.point.values[i]!))),
      new arrow.Float64(),
    );
  }
  return arrow.vectorFromArray(
    results.map((r) => r.point.values[i]!),
    new arrow.Utf8(),
  );
}

/** The sweep's table as Arrow: point, one column per axis (`NODE.PARAM`), status, error, the figures, the hashes. */
export function sweepTable(axes: readonly Axis[], results: readonly PointResult[]): arrow.Table {
  const columns: Record<string, arrow.Vector> = {
    point: arrow.vectorFromArray(
      results.map((r) => r.point.index),
      new arrow.Int32(),
    ),
  };
  axes.forEach((axis, i) => {
    columns[`${axis.node}.${axis.param}`] = axisColumn(axis, results, i);
  });
  columns['status'] = arrow.vectorFromArray(
    results.map((r) => (r.outcome.ok ? 'ok' : 'failed')),
    new arrow.Utf8(),
  );
  columns['error'] = arrow.vectorFromArray(
    results.map((r) => (r.outcome.ok ? null : r.outcome.error)),
    new arrow.Utf8(),
  );
  for (const name of figureColumns(results)) {
    columns[name] = arrow.vectorFromArray(
      results.map((r) => (r.outcome.ok ? (figuresOf(r.outcome.summary).get(name) ?? null) : null)),
      new arrow.Float64(),
    );
  }
  for (const name of HASHES) {
    columns[name] = arrow.vectorFromArray(
      results.map((r) => (r.outcome.ok ? r.outcome.summary[name] : null)),
      new arrow.Utf8(),
    );
  }
  return new arrow.Table(columns);
}

/** The table as Parquet bytes (snappy). */
export function sweepParquet(axes: readonly Axis[], results: readonly PointResult[]): Uint8Array {
  return parquetBytes(sweepTable(axes, results));
}

/** The table as text, one line per point: the values, the main figures, and failures with their reason. */
export function sweepText(axes: readonly Axis[], results: readonly PointResult[]): string {
  const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
  const head = [
    'point',
    ...axes.map((a) => `${a.node}.${a.param}`),
    'total return',
    'sharpe',
    'max drawdown',
    'turnover/day',
    'fees',
    'fills',
    'status',
  ];
  const rows = results.map((r) => {
    const values = [String(r.point.index), ...r.point.values.map(show)];
    if (!r.outcome.ok) return [...values, '', '', '', '', '', '', `failed: ${r.outcome.error.split('\n')[0]}`];
    const s = r.outcome.summary;
    return [
      ...values,
      pct(s.total_return),
      s.sharpe.toFixed(2),
      pct(s.max_drawdown),
      pct(s.turnover),
      s.fees.toFixed(0),
      String(s.fills),
      'ok',
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (i === head.length - 1 ? 0 : r[i]!.length))));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : i === 0 || i > axes.length ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}
