/**
 * Reads a run folder (what `alpha backtest` writes) into plain columns for the tear sheet: the
 * portfolio states, fills, orders and order states, summary.json, and the optional files and columns
 * a run may add (model predictions, cost columns, the broker's costs.parquet). Every file must be a regular file inside the folder
 * (symlinks resolved); a missing folder, a folder that is not a run, a damaged Parquet file, one whose
 * footer says it would decode to more than a run writes, a column of the wrong type, a null where the
 * schema has none, a value the run cannot have written (a NaN, a price of 0, an order id twice, portfolio
 * states out of time order) or a mistyped summary field the page shows is an AlphaError naming the file,
 * the column and row, and what was expected.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DataType, type RecordBatch, type Table, tableFromIPC } from 'apache-arrow';
import { formatDate, isDate } from '../../lib/core/dates.ts';
import { AlphaError, DataError } from '../../lib/core/errors.ts';
import { float64Column, int64Column, stringColumn } from '../../lib/io/arrow-columns.ts';
import { parseJsonBytes } from '../../lib/core/json-text.ts';
import { checkDataFile, readDataBytes, readDataFileBytes } from '../../lib/io/data-file.ts';
import { parquetToIpc, unreadableParquet } from '../../lib/io/parquet.ts';
import { parquetSizeProblem } from './parquet-size.ts';
import { pnlBalance } from '../../lib/report/pnl.ts';
import { DATA_HASH_OF, type DataHashOf } from '../data/data-hash.ts';
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
  const summary = readSummary(dir);
  const equity = readEquity(dir);
  checkEquityDays(dir, summary, equity.ts);
  const fills = readFills(dir, has('costs.parquet'));
  checkFillCount(dir, summary, fills.ts.length);
  checkPnlBalance(dir, equity, fills);
  return {
    summary,
    equity,
    fills,
    orders: readOrders(dir, fills.orderId),
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

/**
 * The largest summary.json read: 1 MiB. alpha backtest writes about 3 KB (one entry per node and per
 * dead-letter reason); a larger file is not one, and parsing it would take many times its size.
 */
export const MAX_SUMMARY_BYTES = 1024 * 1024;

function readSummary(dir: string): Record<string, unknown> {
  const file = 'summary.json';
  const problem = checkDataFile(dir, file);
  if (problem) throw new DataError(join(dir, file), problem.replaceAll('data folder', 'run folder'));
  const bytes = readDataBytes(realpathSync(join(dir, file)), {
    bytes: MAX_SUMMARY_BYTES,
    of: "a run's summary (alpha backtest writes a few KB)",
  });
  const read = parseJsonBytes(bytes);
  if ('error' in read) throw new DataError(join(dir, file), `not JSON (${read.error}): expected the summary alpha backtest writes`);
  const parsed = read.value;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new DataError(join(dir, file), 'expected a JSON object (the summary alpha backtest writes)');
  const summary = parsed as Record<string, unknown>;
  for (const [key, accepted, ok] of SUMMARY_FIELDS) {
    const v = summary[key];
    if (v === undefined && key !== 'topology') continue;
    if (!ok(v))
      throw new DataError(
        join(dir, file),
        `field "${key}" is ${v === undefined ? 'missing' : shortValue(v)}: expected ${accepted}, as alpha backtest writes`,
      );
  }
  return summary;
}

/**
 * The portfolio states lie on the run's days (summary.json's first_day … last_day, UTC dates, when
 * given: a run written before they were has no range to check against).
 */
function checkEquityDays(dir: string, summary: Record<string, unknown>, ts: Float64Array): void {
  const first = summary['first_day'] as string | undefined;
  const last = summary['last_day'] as string | undefined;
  if (first === undefined && last === undefined) return;
  if (first !== undefined && last !== undefined && first > last)
    throw new DataError(
      join(dir, 'summary.json'),
      `first_day ${first} is after last_day ${last}: expected the run's first day on or before its last, as alpha backtest writes`,
    );
  const i = ts.findIndex((t) => (first !== undefined && formatDate(t) < first) || (last !== undefined && formatDate(t) > last));
  if (i < 0) return;
  const range = `${first ?? 'the start'} … ${last ?? 'the end'}`;
  throw new DataError(
    join(dir, 'equity.parquet'),
    `column "ts_known" row ${i} is ${iso(ts[i]!)}, outside the run's days ${range} (summary.json's first_day and last_day): expected the portfolio states of the run, each on one of its days`,
  );
}

/** fills.parquet holds a row per fill the run counted (summary.json's `fills`, when given). */
function checkFillCount(dir: string, summary: Record<string, unknown>, rows: number): void {
  const counted = summary['fills'];
  if (counted !== undefined && counted !== rows)
    throw new DataError(
      join(dir, 'fills.parquet'),
      `${rows} rows, while summary.json's "fills" is ${counted}: expected one row per fill the run counted`,
    );
}

/**
 * PnL by symbol less the carry is the change in equity (lib/report/pnl.ts), as the run's books make
 * it; beyond rounding, the fills are not those the books booked (a side flipped, a fill dropped).
 */
function checkPnlBalance(dir: string, equity: EquityColumns, fills: FillColumns): void {
  const b = pnlBalance(equity, fills);
  const gap = b.bySymbol - b.carry - b.equityChange;
  if (!(Math.abs(gap) <= b.tolerance))
    throw new DataError(
      join(dir, 'fills.parquet'),
      `PnL by symbol (these fills, with equity.parquet's last positions at their marks${b.carry ? `, less borrow and financing ${b.carry.toFixed(2)}` : ''}) is ${(b.bySymbol - b.carry).toFixed(2)}, while equity.parquet's equity changed by ${b.equityChange.toFixed(2)}: expected the two equal within ${b.tolerance.toPrecision(2)} (rounding), as the run's books make them`,
    );
}

const count = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;

/** The summary's fields the page shows (lib/report/html.ts) or the checks read, what each must be, and its check; only "topology" is required. */
const SUMMARY_FIELDS: readonly [string, string, (v: unknown) => boolean][] = [
  ['topology', "the topology's name (a non-empty string)", (v) => typeof v === 'string' && v.trim() !== ''],
  [
    'git_commit',
    'a git commit id (40 or 64 hexadecimal digits) or null',
    (v) => v === null || (typeof v === 'string' && /^([0-9a-f]{40}|[0-9a-f]{64})$/.test(v)),
  ],
  ['seed', 'an integer', (v) => Number.isSafeInteger(v)],
  ['data_sha256', 'a SHA-256 (64 hexadecimal digits)', (v) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v)],
  ['data_sha256_of', DATA_HASH_OF.join(' or '), (v) => DATA_HASH_OF.includes(v as DataHashOf)],
  ['first_day', 'a date YYYY-MM-DD', (v) => typeof v === 'string' && isDate(v)],
  ['last_day', 'a date YYYY-MM-DD', (v) => typeof v === 'string' && isDate(v)],
  ['events', 'a count (a whole number, 0 or more)', count],
  ['orders', 'a count (a whole number, 0 or more)', count],
  ['fills', 'a count (a whole number, 0 or more)', count],
  ['dead_letters', 'a count (a whole number, 0 or more)', count],
];

/** A JSON value as a short text for a refusal. */
function shortValue(v: unknown): string {
  let text: string;
  try {
    text = typeof v === 'number' ? String(v) : JSON.stringify(v);
  } catch {
    text = String(v);
  }
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

/** A Parquet file of the run folder as one Arrow table. */
function readTable(dir: string, file: string): Table {
  const bytes = runFileBytes(dir, file);
  // Judged from the footer before anything is decoded: a few KB may declare gigabytes of columns.
  const tooBig = parquetSizeProblem(bytes);
  if (tooBig) throw new DataError(join(dir, file), tooBig);
  try {
    return tableFromIPC(parquetToIpc(bytes));
  } catch (err) {
    throw new DataError(join(dir, file), unreadableParquet(err));
  }
}

type Kind = 'time' | 'number' | 'string';

/** What every value of a column must be: the words of the refusal, and the test. */
interface Rule {
  accepted: string;
  ok: (x: number) => boolean;
}
const FINITE: Rule = { accepted: 'a finite number', ok: Number.isFinite };
const POSITIVE: Rule = { accepted: 'a finite number above 0', ok: (x) => Number.isFinite(x) && x > 0 };
const NON_NEGATIVE: Rule = { accepted: 'a finite number, 0 or more', ok: (x) => Number.isFinite(x) && x >= 0 };
/** Shares: positive and exact as a double (Order.qty: a positive whole number, exact up to 2^53). */
const SHARES: Rule = { accepted: 'a number of shares above 0 and at most 2^53', ok: (x) => x > 0 && x <= 2 ** 53 };

/** Checks that column `name` is there and of `kind`; returns how the kind reads in a refusal. */
function checkColumnType(dir: string, file: string, table: Table, name: string, kind: Kind): string {
  const field = table.schema.fields.find((f) => f.name === name);
  const what = kind === 'time' ? 'a timestamp or 64-bit integer' : kind === 'number' ? 'a floating-point number' : 'a string';
  if (!field) throw new DataError(join(dir, file), `column "${name}" missing: expected ${what} column, as alpha backtest writes`);
  const type = String(field.type);
  const ok = kind === 'time' ? /^(Timestamp|Int64)/.test(type) : kind === 'number' ? /^Float/.test(type) : /^(Utf8|Dictionary)/.test(type);
  if (!ok) throw new DataError(join(dir, file), `column "${name}" is ${type}: expected ${what}`);
  return what;
}

/**
 * Reads column `name` of every batch; a missing or mistyped column, a null in it, or a value that
 * fails `rule` is a DataError naming the file, the column and the row.
 */
function column<TKind extends Kind>(
  dir: string,
  file: string,
  table: Table,
  name: string,
  kind: TKind,
  rule?: Rule,
): TKind extends 'string' ? string[] : Float64Array {
  const what = checkColumnType(dir, file, table, name, kind);
  const nullAt = firstNull(table, name);
  if (nullAt !== undefined) throw new DataError(join(dir, file), `column "${name}" row ${nullAt} is null: expected ${what} in every row`);
  let out: Float64Array | string[];
  try {
    const parts = table.batches.map((b: RecordBatch) => read(b, name, kind));
    if (kind === 'string') out = (parts as string[][]).flat();
    else {
      const values = new Float64Array(table.numRows);
      let at = 0;
      for (const p of parts as Float64Array[]) {
        values.set(p, at);
        at += p.length;
      }
      out = values;
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new DataError(join(dir, file), message.startsWith(`column "${name}"`) ? message : `column "${name}": ${message}`);
  }
  if (rule && out instanceof Float64Array) {
    const i = out.findIndex((x) => !rule.ok(x));
    if (i >= 0) throw new DataError(join(dir, file), `column "${name}" row ${i} is ${out[i]}: expected ${rule.accepted}`);
  }
  return out as never;
}

/** The first row whose value of column `name` is null, or undefined. */
function firstNull(table: Table, name: string): number | undefined {
  let base = 0;
  for (const b of table.batches) {
    const v = b.getChild(name);
    if (v && v.nullCount > 0) for (let i = 0; i < v.length; i++) if (!v.isValid(i)) return base + i;
    base += b.numRows;
  }
  return undefined;
}

function read(b: RecordBatch, name: string, kind: Kind): Float64Array | string[] {
  if (kind === 'time') return int64Column(b, name);
  if (kind === 'number') return float64Column(b, name);
  const { indices, dictionary } = stringColumn(b, name);
  return Array.from(indices, (i) => dictionary[i] ?? '');
}

/** Column `name` as strings, each one of `values` (an Avro enum's symbols). */
function enumColumn(dir: string, file: string, table: Table, name: string, values: readonly string[]): string[] {
  const out = column(dir, file, table, name, 'string');
  const i = out.findIndex((v) => !values.includes(v));
  if (i >= 0)
    throw new DataError(
      join(dir, file),
      `column "${name}" row ${i} is ${JSON.stringify(out[i]!.slice(0, 60))}: expected ${values.join(' or ')}`,
    );
  return out;
}

const has = (table: Table, name: string): boolean => table.schema.fields.some((f) => f.name === name);

function costs(dir: string, file: string, table: Table): Partial<Record<CostColumn, Float64Array>> {
  const out: Partial<Record<CostColumn, Float64Array>> = {};
  for (const c of COST_COLUMNS) if (has(table, c)) out[c] = column(dir, file, table, c, 'number', FINITE);
  return out;
}

const iso = (micros: number): string => new Date(micros / 1000).toISOString();

function readEquity(dir: string): EquityColumns {
  const f = 'equity.parquet';
  const t = readTable(dir, f);
  if (t.numRows === 0)
    throw new DataError(join(dir, f), 'no rows: expected the portfolio states of a run (a run that never started has none)');
  const num = (name: string, rule: Rule): Float64Array => column(dir, f, t, name, 'number', rule);
  const ts = column(dir, f, t, 'ts_known', 'time');
  // Days, returns and drawdowns are read in row order: the states must be in time order.
  for (let i = 1; i < ts.length; i++)
    if (ts[i]! < ts[i - 1]!)
      throw new DataError(
        join(dir, f),
        `column "ts_known" row ${i} is ${iso(ts[i]!)}, before row ${i - 1} (${iso(ts[i - 1]!)}): expected the portfolio states in time order, as alpha backtest writes them`,
      );
  // A run may lose everything and more (equity at or below 0 later on is reported, not refused); it starts with something.
  const equity = num('equity', FINITE);
  if (equity.length > 0 && !(equity[0]! > 0))
    throw new DataError(join(dir, f), `column "equity" row 0 is ${equity[0]}: expected the starting equity, a finite number above 0`);
  return {
    ts,
    equity,
    gross: num('gross_exposure', NON_NEGATIVE),
    net: num('net_exposure', FINITE),
    tradedNotional: num('traded_notional', NON_NEGATIVE),
    fees: num('fees', FINITE),
    costs: costs(dir, f, t),
    lastPositions: lastPositions(dir, f, t),
  };
}

/** The positions of the last portfolio state: a list of { symbol, qty, mark } in every row, as PortfolioState has. */
function lastPositions(dir: string, f: string, t: Table): EquityColumns['lastPositions'] {
  const expected = 'expected a list of { symbol: string, qty: number, mark: number } (PortfolioState.positions)';
  const field = t.schema.fields.find((x) => x.name === 'positions');
  if (!field) throw new DataError(join(dir, f), `column "positions" missing: ${expected}`);
  const item = DataType.isList(field.type) ? field.type.children[0]?.type : undefined;
  const sub = (name: string): DataType | undefined =>
    item && DataType.isStruct(item) ? item.children.find((c) => c.name === name)?.type : undefined;
  const symbolType = sub('symbol');
  const qtyType = sub('qty');
  const markType = sub('mark');
  if (
    !symbolType ||
    !(DataType.isUtf8(symbolType) || (DataType.isDictionary(symbolType) && DataType.isUtf8(symbolType.dictionary))) ||
    !qtyType ||
    !DataType.isFloat(qtyType) ||
    !markType ||
    !DataType.isFloat(markType)
  )
    throw new DataError(join(dir, f), `column "positions" is ${String(field.type).slice(0, 200)}: ${expected}`);
  const nullAt = firstNull(t, 'positions');
  if (nullAt !== undefined)
    throw new DataError(join(dir, f), `column "positions" row ${nullAt} is null: ${expected} in every row (empty when flat)`);
  const row = t.numRows - 1;
  const last = t.getChild('positions')!.get(row) as Iterable<{ toJSON(): unknown } | null>;
  const out: EquityColumns['lastPositions'] = [];
  for (const p of last) {
    const { symbol, qty, mark } = (p?.toJSON() ?? {}) as { symbol?: unknown; qty?: unknown; mark?: unknown };
    if (
      typeof symbol !== 'string' ||
      typeof qty !== 'number' ||
      typeof mark !== 'number' ||
      !Number.isFinite(qty) ||
      !(mark > 0 && Number.isFinite(mark))
    )
      throw new DataError(
        join(dir, f),
        `column "positions" row ${row} (the last) holds ${shortValue(p?.toJSON() ?? null)}: expected items { symbol: string, qty: finite number, mark: finite number above 0 }`,
      );
    out.push({ symbol, qty, mark });
  }
  return out;
}

function readFills(dir: string, withCostsFile: boolean): FillColumns {
  const f = 'fills.parquet';
  const t = readTable(dir, f);
  const str = (name: string): string[] => column(dir, f, t, name, 'string');
  const side = enumColumn(dir, f, t, 'side', ['BUY', 'SELL']);
  const liquidity = enumColumn(dir, f, t, 'liquidity', ['TAKER', 'MAKER']);
  const fillId = str('fill_id');
  checkUnique(dir, f, 'fill_id', fillId, 'fill');
  const own = costs(dir, f, t);
  const fromFile = withCostsFile && !own.impact ? { impact: fillImpact(dir, fillId), costsFrom: 'costs' } : undefined;
  const qty = column(dir, f, t, 'qty', 'number', SHARES);
  const price = column(dir, f, t, 'price', 'number', POSITIVE);
  const i = qty.findIndex((q, k) => !Number.isFinite(q * price[k]!));
  if (i >= 0)
    throw new DataError(
      join(dir, f),
      `row ${i}: qty ${qty[i]} × price ${price[i]} is not a finite amount: expected a fill a run could make`,
    );
  return {
    ts: column(dir, f, t, 'ts_known', 'time'),
    orderId: str('order_id'),
    symbol: str('symbol'),
    sign: Int8Array.from(side, (s) => (s === 'BUY' ? 1 : -1)),
    qty,
    price,
    fee: column(dir, f, t, 'fee', 'number', FINITE),
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
  checkColumnType(dir, f, t, 'fill_id', 'string'); // null in a carry row
  const impact = column(dir, f, t, 'impact', 'number', FINITE);
  const ids = t.getChild('fill_id')!;
  const byFill = new Map<string, number>();
  for (let i = 0; i < t.numRows; i++) {
    const id = ids.get(i) as string | null;
    if (id === null) continue;
    if (byFill.has(id)) throw new DataError(join(dir, f), `row ${i}: fill_id "${id}" again: expected one row per fill`);
    byFill.set(id, i);
  }
  const out = Float64Array.from(fillIds, (id, i) => {
    const row = byFill.get(id);
    if (row === undefined)
      throw new DataError(
        join(dir, f),
        `no row for fill "${id}" (fills.parquet row ${i}): expected one row per fill, as the broker's costs port writes`,
      );
    byFill.delete(id);
    return impact[row]!;
  });
  // What is left names no fill of fills.parquet: the first such row, in file order.
  let extra = -1;
  for (const row of byFill.values()) if (extra < 0 || row < extra) extra = row;
  if (extra >= 0)
    throw new DataError(
      join(dir, f),
      `row ${extra}: fill_id "${ids.get(extra) as string}" is no fill of fills.parquet (rows naming no fill: ${byFill.size}): expected one row per fill, as the broker's costs port writes`,
    );
  return out;
}

/** Refuses the first id of column `name` that an earlier row has: each `what` is once in the file. */
function checkUnique(dir: string, file: string, name: string, ids: readonly string[], what: string): void {
  const seen = new Map<string, number>();
  ids.forEach((id, i) => {
    const before = seen.get(id);
    if (before !== undefined)
      throw new DataError(
        join(dir, file),
        `column "${name}" row ${i} is ${JSON.stringify(id.slice(0, 60))}, as row ${before} is: expected each ${what} once (a unique ${name})`,
      );
    seen.set(id, i);
  });
}

/** The orders, which must hold the order of every fill (`fillOrders`: fills.parquet's order_id). */
function readOrders(dir: string, fillOrders: readonly string[]): OrderColumns {
  const f = 'orders.parquet';
  const t = readTable(dir, f);
  const str = (name: string): string[] => column(dir, f, t, name, 'string');
  if (t.numRows === 0 && fillOrders.length > 0)
    throw new DataError(
      join(dir, f),
      `no rows, while fills.parquet holds ${fillOrders.length} fills: expected the orders the run sent, those fills' among them`,
    );
  const orderId = str('order_id');
  checkUnique(dir, f, 'order_id', orderId, 'order');
  // An execution algo's child order is its parent's id and "/N" (lib/execution/parent-book.ts): a
  // run that writes its parents to orders.parquet has its children's fills.
  const known = new Set(orderId);
  const orphan = fillOrders.findIndex((id) => !known.has(id) && !known.has(/^(.*)\/[1-9][0-9]*$/.exec(id)?.[1] ?? ''));
  if (orphan >= 0)
    throw new DataError(
      join(dir, 'fills.parquet'),
      `column "order_id" row ${orphan} is ${JSON.stringify(fillOrders[orphan]!.slice(0, 60))}, which no row of orders.parquet has: expected the order the fill filled or its parent's (PARENT/N), as a run writes them`,
    );
  const action = has(t, 'action')
    ? enumColumn(dir, f, t, 'action', ['NEW', 'CANCEL', 'REPLACE'])
    : new Array<string>(t.numRows).fill('NEW');
  // A CANCEL's qty and prices are ignored (Order.action): only finite there.
  const sized = (name: string, rule: Rule): Float64Array => {
    const values = column(dir, f, t, name, 'number', FINITE);
    const i = values.findIndex((x, k) => action[k] !== 'CANCEL' && !rule.ok(x));
    if (i >= 0)
      throw new DataError(join(dir, f), `column "${name}" row ${i} is ${values[i]}: expected ${rule.accepted} (a ${action[i]} order)`);
    return values;
  };
  return {
    ts: column(dir, f, t, 'ts_known', 'time'),
    orderId,
    symbol: str('symbol'),
    qty: sized('qty', SHARES),
    limit: Uint8Array.from(enumColumn(dir, f, t, 'order_type', ['MARKET', 'LIMIT']), (o) => (o === 'LIMIT' ? 1 : 0)),
    refPrice: sized('ref_price', POSITIVE),
    action,
  };
}

function readOrderStates(dir: string): OrderStateColumns {
  const f = 'order_states.parquet';
  const t = readTable(dir, f);
  return {
    orderId: column(dir, f, t, 'order_id', 'string'),
    status: enumColumn(dir, f, t, 'status', ['NEW', 'PARTIALLY_FILLED', 'FILLED', 'CANCELLED', 'REJECTED', 'EXPIRED']),
    filledQty: column(dir, f, t, 'filled_qty', 'number', NON_NEGATIVE),
  };
}

function readPredictions(dir: string): PredictionColumns {
  const f = 'predictions.parquet';
  const t = readTable(dir, f);
  return {
    ts: column(dir, f, t, 'ts_known', 'time'),
    symbol: column(dir, f, t, 'symbol', 'string'),
    // model.onnx dead-letters a non-finite score: a run never writes one.
    value: column(dir, f, t, 'value', 'number', FINITE),
  };
}
