/**
 * What each `--format` of `alpha data ingest` reads: the columns a file may have (by name, case
 * insensitive, a few aliases), which are required, and how a row of text fields becomes a record of
 * the dataset's schema (Quote, Trade, Bar, Fundamental or CorporateAction), or the reason it cannot.
 */
import { AlphaError } from '../../lib/core/errors.ts';
import { isPrice, isStubQuote, MAX_PRICE, stubQuoteReason } from '../../lib/core/prices.ts';
import type { TimeParser } from './times.ts';

export const FORMATS = ['quotes', 'trades', 'ohlcv', 'itch', 'fundamentals', 'corporate-actions'] as const;
export type IngestFormat = (typeof FORMATS)[number];
export type RowFormat = Exclude<IngestFormat, 'itch'>;

export type IngestSchema = 'Quote' | 'Trade' | 'Bar' | 'Fundamental' | 'CorporateAction';
export const SCHEMA_OF: Record<RowFormat, IngestSchema> = {
  quotes: 'Quote',
  trades: 'Trade',
  ohlcv: 'Bar',
  fundamentals: 'Fundamental',
  'corporate-actions': 'CorporateAction',
};

interface ColumnSpec {
  /** The record field. */
  field: string;
  /** Header names accepted for it (lower case); the first is the field's own name. */
  names: readonly string[];
  required: boolean;
  kind:
    | 'time'
    | 'symbol'
    | 'price'
    | 'size'
    | 'count'
    | 'id'
    | 'version'
    | 'real'
    | 'aggressor'
    | 'item'
    | 'period'
    | 'number'
    | 'positive'
    | 'action';
}

const common: ColumnSpec[] = [
  { field: 'ts_event', names: ['ts_event', 'time', 'timestamp', 'datetime', 'date'], required: true, kind: 'time' },
  { field: 'ts_known', names: ['ts_known'], required: false, kind: 'time' },
  { field: 'symbol', names: ['symbol', 'ticker'], required: true, kind: 'symbol' },
];
const identity: ColumnSpec[] = [
  { field: 'seq', names: ['seq'], required: false, kind: 'count' },
  { field: 'id', names: ['id'], required: false, kind: 'id' },
  { field: 'version', names: ['version'], required: false, kind: 'version' },
];

export const COLUMNS: Record<RowFormat, readonly ColumnSpec[]> = {
  quotes: [
    ...common,
    ...identity,
    { field: 'bid', names: ['bid'], required: true, kind: 'price' },
    { field: 'ask', names: ['ask'], required: true, kind: 'price' },
    { field: 'bid_size', names: ['bid_size'], required: false, kind: 'size' },
    { field: 'ask_size', names: ['ask_size'], required: false, kind: 'size' },
  ],
  trades: [
    ...common,
    ...identity,
    { field: 'price', names: ['price'], required: true, kind: 'price' },
    { field: 'size', names: ['size', 'volume', 'qty'], required: true, kind: 'size' },
    { field: 'aggressor', names: ['aggressor', 'side'], required: false, kind: 'aggressor' },
  ],
  ohlcv: [
    ...common,
    { field: 'open', names: ['open'], required: false, kind: 'price' },
    { field: 'high', names: ['high'], required: false, kind: 'price' },
    { field: 'low', names: ['low'], required: false, kind: 'price' },
    { field: 'close', names: ['close'], required: true, kind: 'price' },
    { field: 'volume', names: ['volume'], required: false, kind: 'size' },
    { field: 'vwap', names: ['vwap'], required: false, kind: 'price' },
    { field: 'trades', names: ['trades'], required: false, kind: 'count' },
  ],
  // ts_known is required: a period's end or an ex date is not when it became known.
  fundamentals: [
    { field: 'ts_event', names: ['ts_event', 'period_end'], required: true, kind: 'time' },
    { field: 'ts_known', names: ['ts_known', 'report_date'], required: true, kind: 'time' },
    { field: 'symbol', names: ['symbol', 'ticker'], required: true, kind: 'symbol' },
    { field: 'item', names: ['item'], required: true, kind: 'item' },
    { field: 'period', names: ['period'], required: false, kind: 'period' },
    { field: 'value', names: ['value'], required: true, kind: 'number' },
  ],
  'corporate-actions': [
    { field: 'ts_event', names: ['ts_event', 'ex_date', 'effective_date'], required: true, kind: 'time' },
    { field: 'ts_known', names: ['ts_known', 'announced', 'announcement_date'], required: true, kind: 'time' },
    { field: 'symbol', names: ['symbol', 'ticker'], required: true, kind: 'symbol' },
    { field: 'kind', names: ['kind', 'type'], required: true, kind: 'action' },
    { field: 'ratio', names: ['ratio'], required: false, kind: 'positive' },
    { field: 'amount', names: ['amount'], required: false, kind: 'positive' },
  ],
};

/** For each record field, the index of its column in the header. */
export type ColumnMap = ReadonlyMap<string, number>;

/** Maps a header to the format's fields, or refuses it: an unknown, repeated or missing column. */
export function mapHeader(file: string, format: RowFormat, header: readonly string[]): ColumnMap {
  const specs = COLUMNS[format];
  const accepted = specs.map((s) => s.names.join('|')).join(', ');
  const map = new Map<string, number>();
  header.forEach((raw, i) => {
    const name = raw.trim().toLowerCase();
    const spec = specs.find((s) => s.names.includes(name));
    if (!spec)
      throw new AlphaError(`${file}:1: unknown column ${JSON.stringify(raw)} for --format ${format}: expected columns among ${accepted}`);
    if (map.has(spec.field))
      throw new AlphaError(`${file}:1: column ${JSON.stringify(raw)} repeats ${spec.field}: expected each column once`);
    map.set(spec.field, i);
  });
  const missing = specs.filter((s) => s.required && !map.has(s.field)).map((s) => s.names.join('|'));
  if (missing.length > 0)
    throw new AlphaError(`${file}:1: no column ${missing.join(', ')}: --format ${format} needs it (columns: ${accepted})`);
  return map;
}

const SYMBOL = /^[A-Za-z0-9][A-Za-z0-9._/^+=-]{0,15}$/;
export const symbolProblem = (s: string): string | undefined =>
  SYMBOL.test(s) ? undefined : `symbol ${JSON.stringify(s)}: expected 1 to 16 letters, digits or ._/^+=-, starting with a letter or digit`;

const ITEM = /^[a-z][a-z0-9_]{0,63}$/;
const PERIOD = /^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$/;

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export interface RowContext {
  times: TimeParser;
  symbols: ReadonlyMap<string, string>;
}

export type Row = Record<string, string | number>;

/** The record of one row (the fields the file gave, the others defaulted), or why it is refused. */
export function toRecord(format: RowFormat, map: ColumnMap, fields: readonly string[], ctx: RowContext): Row | string {
  const out: Row = {};
  for (const spec of COLUMNS[format]) {
    const at = map.get(spec.field);
    if (at === undefined) continue;
    const text = (fields[at] ?? '').trim();
    if (text === '') {
      if (spec.required) return `${spec.field} is empty`;
      continue;
    }
    const v = value(spec, text, ctx);
    if (typeof v === 'string' && !TEXT_KINDS.has(spec.kind)) return v;
    const label = textField(spec, text);
    if (label !== undefined) {
      if ('problem' in label) return label.problem;
      out[spec.field] = label.value;
    } else if (spec.kind === 'symbol') {
      const mapped = ctx.symbols.get(text) ?? text;
      const problem = symbolProblem(mapped);
      if (problem) return problem;
      out[spec.field] = mapped;
    } else if (spec.kind === 'aggressor') {
      const a = text.toUpperCase();
      const side = a === 'BUY' || a === 'B' ? 'BUY' : a === 'SELL' || a === 'S' ? 'SELL' : a === 'UNKNOWN' ? 'UNKNOWN' : undefined;
      if (!side) return `aggressor ${JSON.stringify(text)}: expected BUY, SELL, UNKNOWN (or B, S)`;
      out[spec.field] = side;
    } else {
      out[spec.field] = v;
    }
  }
  return complete(format, out);
}

const TEXT_KINDS: ReadonlySet<ColumnSpec['kind']> = new Set(['symbol', 'aggressor', 'item', 'period', 'action']);

/** A fundamental's item or period, a corporate action's kind: the value, or why not; undefined for other kinds. */
function textField(spec: ColumnSpec, text: string): { value: string } | { problem: string } | undefined {
  if (spec.kind === 'item') {
    const item = text.toLowerCase();
    return ITEM.test(item)
      ? { value: item }
      : { problem: `item ${JSON.stringify(text)}: expected a letter, then up to 63 letters, digits or _` };
  }
  if (spec.kind === 'period')
    return PERIOD.test(text) ? { value: text } : { problem: `period ${JSON.stringify(text)}: expected 1 to 16 letters, digits, _ or -` };
  if (spec.kind === 'action') {
    const kind = text.toUpperCase();
    return kind === 'SPLIT' || kind === 'DIVIDEND'
      ? { value: kind }
      : { problem: `kind ${JSON.stringify(text)}: expected SPLIT or DIVIDEND` };
  }
  return undefined;
}

function value(spec: ColumnSpec, text: string, ctx: RowContext): number | string {
  if (TEXT_KINDS.has(spec.kind)) return text;
  if (spec.kind === 'time') {
    const t = ctx.times.parse(text);
    return typeof t === 'string' ? `${spec.field}: ${t}` : t;
  }
  if (!NUMBER.test(text)) return `${spec.field} ${JSON.stringify(text)}: expected a number`;
  const x = Number(text);
  if (!Number.isFinite(x)) return `${spec.field} ${text}: expected a finite number`;
  switch (spec.kind) {
    case 'price':
      return isPrice(x) ? x : `${spec.field} ${text}: expected a price above 0 and at most ${MAX_PRICE.toExponential()}`;
    case 'size':
    case 'real':
      return x >= 0 ? x : `${spec.field} ${text}: expected a size ≥ 0`;
    case 'count':
    case 'id':
      return Number.isSafeInteger(x) && x >= 0 ? x : `${spec.field} ${text}: expected a whole number ≥ 0`;
    case 'version':
      return Number.isInteger(x) && x >= 1 && x <= 2 ** 31 - 1 ? x : `${spec.field} ${text}: expected a whole number from 1`;
    case 'positive':
      return x > 0 ? x : `${spec.field} ${text}: expected a positive number`;
    default:
      return x;
  }
}

/** Defaults and the checks across fields. */
function complete(format: RowFormat, r: Row): Row | string {
  r['ts_known'] ??= r['ts_event']!;
  // A corporate action is announced before it takes effect; every other record is known after it happens.
  if (format !== 'corporate-actions' && (r['ts_known'] as number) < (r['ts_event'] as number))
    return `ts_known ${r['ts_known']} is before ts_event ${r['ts_event']}: a record cannot be known before it happens`;
  if (format === 'quotes') {
    r['bid_size'] ??= 0;
    r['ask_size'] ??= 0;
    const [bid, ask] = [r['bid'] as number, r['ask'] as number];
    if (bid > ask) return `crossed quote: bid ${bid} > ask ${ask}`;
    // The replay refuses it (operators/sdk/replay.ts): kept, it would be a dead letter in every run.
    if (isStubQuote(bid, ask)) return stubQuoteReason(bid, ask);
  } else if (format === 'trades') {
    if (!((r['size'] as number) > 0)) return `size ${r['size']}: expected a positive trade size`;
    r['aggressor'] ??= 'UNKNOWN';
  } else if (format === 'fundamentals') {
    r['period'] ??= '';
  } else if (format === 'corporate-actions') {
    const problem = corporateAction(r);
    if (problem) return problem;
  } else {
    const close = r['close'] as number;
    r['open'] ??= close;
    const hi = Math.max(r['open'] as number, close);
    const lo = Math.min(r['open'] as number, close);
    r['high'] ??= hi;
    r['low'] ??= lo;
    if ((r['high'] as number) < hi || (r['low'] as number) > lo || (r['low'] as number) > (r['high'] as number))
      return `bar high ${r['high']} / low ${r['low']} do not hold open ${r['open']} and close ${close}: expected low ≤ open, close ≤ high`;
    r['volume'] ??= 0;
    r['vwap'] ??= close;
    r['trades'] ??= 0;
    r['quotes'] = 0;
    r['spread_bps'] = 0;
    r['imbalance'] = 0;
  }
  if (format === 'quotes' || format === 'trades') r['version'] ??= 1;
  return r;
}

/** A split has a ratio (shares after per share before) and no amount; a dividend an amount (cash per share) and ratio 1. */
function corporateAction(r: Row): string | undefined {
  if (r['kind'] === 'SPLIT') {
    if (r['ratio'] === undefined) return 'SPLIT without a ratio: expected the shares after per share before (2-for-1: 2)';
    if (r['amount'] !== undefined) return `SPLIT with amount ${r['amount']}: expected no amount (a split pays no cash)`;
    if (r['ratio'] === 1) return 'SPLIT with ratio 1: expected a ratio other than 1 (it changes nothing)';
    r['amount'] = 0;
  } else {
    if (r['amount'] === undefined) return 'DIVIDEND without an amount: expected the cash per share';
    if (r['ratio'] !== undefined && r['ratio'] !== 1) return `DIVIDEND with ratio ${r['ratio']}: expected no ratio (or 1)`;
    r['ratio'] = 1;
  }
  return undefined;
}
