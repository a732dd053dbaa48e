/**
 * Reads a run folder (what `alpha backtest` writes) into plain columns for the tear sheet: the
 * portfolio states, fills, orders and order states, summary.json, and the optional files and columns
 * a run may add (model predictions, cost columns, the broker's costs.parquet). Every file must be a regular file inside the folder
 * (symlinks resolved); a missing folder, a folder that is not a run, a damaged Parquet file or a column
 * of the wrong type is an AlphaError naming the file and what was expected.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type RecordBatch, type Table, tableFromIPC } from 'apache-arrow';
import { AlphaError, DataError } from '../../lib/core/errors.ts';
import { float64Column, int64Column, stringColumn } from '../../lib/io/arrow-columns.ts';
import { checkDataFile, readDataFileBytes } from '../../lib/io/data-file.ts';
import { parquetToIpc, unreadableParquet } from '../../lib/io/parquet.ts';
import {
  COST_COLUMNS,
  type CostColumn,
  type EquityColumns,
  type FillColumns,
  type OrderColumns,
  type OrderStateColumns,
  type PredictionColumns,
  type RunData,
} from '../../lib/report/run-data.ts';

/** The files without which a folder is not a run folder. */
export const RUN_FILES = ['summary.json', 'equity.parquet', 'fills.parquet', 'orders.parquet'] as const;

const EXPECTED = `a run folder written by alpha backtest (${RUN_FILES.join(', ')})`;

/** The run folder `dir`, read whole. */
export function readRunFolder(dir: string): RunData {
  if (!existsSync(dir)) throw new AlphaError(`report: no such folder "${dir}": expected ${EXPECTED}`);
  if (!statSync(dir).isDirectory()) throw new AlphaError(`report: "${dir}" is not a folder: expected ${EXPECTED}`);
  const missing = RUN_FILES.filter((f) => checkDataFile(dir, f) === 'file not found');
  if (missing.length > 0) throw new AlphaError(`report: "${dir}" is not a run folder: ${missing.join(', ')} missing; expected ${EXPECTED}`);
  const has = (f: string): boolean => checkDataFile(dir, f) !== 'file not found';
  return {
    summary: readSummary(dir),
    equity: readEquity(dir),
    fills: readFills(dir, has('costs.parquet')),
    orders: readOrders(dir),
    ...(has('order_states.parquet') ? { orderStates: readOrderStates(dir) } : {}),
    ...(has('predictions.parquet') ? { predictions: readPredictions(dir) } : {}),
  };
}

/** The bytes of `file` of the run folder: a regular file that resolves (symlinks followed) inside it. */
function runFileBytes(dir: string, file: string): Uint8Array {
  const problem = checkDataFile(dir, file);
  if (problem) throw new DataError(join(dir, file), problem.replaceAll('data folder', 'run folder'));
  return readDataFileBytes(dir, file);
}

function readSummary(dir: string): Record<string, unknown> {
  const bytes = runFileBytes(dir, 'summary.json');
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new DataError(
      join(dir, 'summary.json'),
      `not JSON (${err instanceof Error ? err.message : String(err)}): expected the summary alpha backtest writes`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new DataError(join(dir, 'summary.json'), 'expected a JSON object (the summary alpha backtest writes)');
  return parsed as Record<string, unknown>;
}

/** A Parquet file of the run folder as one Arrow table. */
function readTable(dir: string, file: string): Table {
  const bytes = runFileBytes(dir, file);
  try {
    return tableFromIPC(parquetToIpc(bytes));
  } catch (err) {
    throw new DataError(join(dir, file), unreadableParquet(err));
  }
}

type Kind = 'time' | 'number' | 'string';

/** Reads column `name` of every batch; a missing or mistyped column is a DataError naming the file. */
function column<TKind extends Kind>(
  dir: string,
  file: string,
  table: Table,
  name: string,
  kind: TKind,
): TKind extends 'string' ? string[] : Float64Array {
  const field = table.schema.fields.find((f) => f.name === name);
  const what = kind === 'time' ? 'a timestamp or 64-bit integer' : kind === 'number' ? 'a floating-point number' : 'a string';
  if (!field) throw new DataError(join(dir, file), `column "${name}" missing: expected ${what} column, as alpha backtest writes`);
  const type = String(field.type);
  const ok = kind === 'time' ? /^(Timestamp|Int64)/.test(type) : kind === 'number' ? /^Float/.test(type) : /^(Utf8|Dictionary)/.test(type);
  if (!ok) throw new DataError(join(dir, file), `column "${name}" is ${type}: expected ${what}`);
  try {
    const parts = table.batches.map((b: RecordBatch) => read(b, name, kind));
    if (kind === 'string') return (parts as string[][]).flat() as never;
    const out = new Float64Array(table.numRows);
    let at = 0;
    for (const p of parts as Float64Array[]) {
      out.set(p, at);
      at += p.length;
    }
    return out as never;
  } catch (err) {
    throw new DataError(join(dir, file), `column "${name}": ${err instanceof Error ? err.message : String(err)}`);
  }
}

function read(b: RecordBatch, name: string, kind: Kind): Float64Array | string[] {
  if (kind === 'time') return int64Column(b, name);
  if (kind === 'number') {
    const v = b.getChild(name)!;
    if (v.nullCount > 0) throw new Error(`${v.nullCount} null value(s): expected a number in every row`);
    return float64Column(b, name);
  }
  const { indices, dictionary } = stringColumn(b, name);
  return Array.from(indices, (i) => dictionary[i] ?? '');
}

const has = (table: Table, name: string): boolean => table.schema.fields.some((f) => f.name === name);

function costs(dir: string, file: string, table: Table): Partial<Record<CostColumn, Float64Array>> {
  const out: Partial<Record<CostColumn, Float64Array>> = {};
  for (const c of COST_COLUMNS) if (has(table, c)) out[c] = column(dir, file, table, c, 'number');
  return out;
}

function readEquity(dir: string): EquityColumns {
  const f = 'equity.parquet';
  const t = readTable(dir, f);
  if (t.numRows === 0)
    throw new DataError(join(dir, f), 'no rows: expected the portfolio states of a run (a run that never started has none)');
  const num = (name: string): Float64Array => column(dir, f, t, name, 'number');
  const last = t.get(t.numRows - 1)?.toJSON() as { positions?: Iterable<{ toJSON(): unknown }> } | undefined;
  const lastPositions: EquityColumns['lastPositions'] = [];
  for (const p of last?.positions ?? []) {
    const { symbol, qty, mark } = p.toJSON() as { symbol: unknown; qty: unknown; mark: unknown };
    if (
      typeof symbol !== 'string' ||
      typeof qty !== 'number' ||
      typeof mark !== 'number' ||
      !Number.isFinite(qty) ||
      !Number.isFinite(mark)
    )
      throw new DataError(join(dir, f), 'column "positions" of the last row: expected { symbol: string, qty: number, mark: number } items');
    lastPositions.push({ symbol, qty, mark });
  }
  return {
    ts: column(dir, f, t, 'ts_known', 'time'),
    equity: num('equity'),
    gross: num('gross_exposure'),
    net: num('net_exposure'),
    tradedNotional: num('traded_notional'),
    fees: num('fees'),
    costs: costs(dir, f, t),
    lastPositions,
  };
}

function readFills(dir: string, withCostsFile: boolean): FillColumns {
  const f = 'fills.parquet';
  const t = readTable(dir, f);
  const str = (name: string): string[] => column(dir, f, t, name, 'string');
  const side = str('side');
  const liquidity = str('liquidity');
  const own = costs(dir, f, t);
  const fromFile = withCostsFile && !own.impact ? { impact: fillImpact(dir, str('fill_id')), costsFrom: 'costs' } : undefined;
  return {
    ts: column(dir, f, t, 'ts_known', 'time'),
    orderId: str('order_id'),
    symbol: str('symbol'),
    sign: Int8Array.from(side, (s, i) => {
      if (s === 'BUY') return 1;
      if (s === 'SELL') return -1;
      throw new DataError(join(dir, f), `row ${i}: side "${s}": expected BUY or SELL`);
    }),
    qty: column(dir, f, t, 'qty', 'number'),
    price: column(dir, f, t, 'price', 'number'),
    fee: column(dir, f, t, 'fee', 'number'),
    maker: Uint8Array.from(liquidity, (l) => (l === 'MAKER' ? 1 : 0)),
    costs: fromFile ? { ...own, impact: fromFile.impact } : own,
    ...(fromFile ? { costsFrom: fromFile.costsFrom } : {}),
  };
}

/**
 * Each fill's impact from costs.parquet (execution.book-broker's `costs` port: one row per fill, and
 * carry rows with no fill_id, which the books already hold), in fills.parquet's row order.
 */
function fillImpact(dir: string, fillIds: readonly string[]): Float64Array {
  const f = 'costs.parquet';
  const t = readTable(dir, f);
  column(dir, f, t, 'fill_id', 'string'); // its type, checked
  const impact = column(dir, f, t, 'impact', 'number');
  const ids = t.getChild('fill_id')!;
  const byFill = new Map<string, number>();
  for (let i = 0; i < t.numRows; i++) {
    const id = ids.get(i) as string | null;
    if (id === null) continue;
    if (byFill.has(id)) throw new DataError(join(dir, f), `row ${i}: fill_id "${id}" again: expected one row per fill`);
    byFill.set(id, impact[i]!);
  }
  return Float64Array.from(fillIds, (id, i) => {
    const x = byFill.get(id);
    if (x === undefined)
      throw new DataError(
        join(dir, f),
        `no row for fill "${id}" (fills.parquet row ${i}): expected one row per fill, as the broker's costs port writes`,
      );
    return x;
  });
}

function readOrders(dir: string): OrderColumns {
  const f = 'orders.parquet';
  const t = readTable(dir, f);
  const str = (name: string): string[] => column(dir, f, t, name, 'string');
  return {
    ts: column(dir, f, t, 'ts_known', 'time'),
    orderId: str('order_id'),
    symbol: str('symbol'),
    qty: column(dir, f, t, 'qty', 'number'),
    limit: Uint8Array.from(str('order_type'), (o) => (o === 'LIMIT' ? 1 : 0)),
    refPrice: column(dir, f, t, 'ref_price', 'number'),
    action: has(t, 'action') ? str('action') : new Array<string>(t.numRows).fill('NEW'),
  };
}

function readOrderStates(dir: string): OrderStateColumns {
  const f = 'order_states.parquet';
  const t = readTable(dir, f);
  return {
    orderId: column(dir, f, t, 'order_id', 'string'),
    status: column(dir, f, t, 'status', 'string'),
    filledQty: column(dir, f, t, 'filled_qty', 'number'),
  };
}

function readPredictions(dir: string): PredictionColumns {
  const f = 'predictions.parquet';
  const t = readTable(dir, f);
  return {
    ts: column(dir, f, t, 'ts_known', 'time'),
    symbol: column(dir, f, t, 'symbol', 'string'),
    value: column(dir, f, t, 'value', 'number'),
  };
}
