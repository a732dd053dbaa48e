/**
 * A cross-section stream as one wide table, the layout research reads: one row per (snapshot, symbol)
 * with `ts_event`, `ts_known` (TIMESTAMP(MICROS, UTC)), `symbol`, `price`, then one double column per
 * feature, in feature order. Every snapshot must carry the same feature names.
 */
import * as arrow from 'apache-arrow';
import type { CrossSection } from '../../schemas/types.generated.ts';

const TIMESTAMP = new arrow.Timestamp(arrow.TimeUnit.MICROSECOND, 'UTC');
/** The columns every row has before the features: no feature may take one of these names. */
export const FIXED_COLUMNS: readonly string[] = ['ts_event', 'ts_known', 'symbol', 'price'];

export function crossSectionTable(snapshots: readonly CrossSection[], features: readonly string[]): arrow.Table {
  const clash = features.find((f) => FIXED_COLUMNS.includes(f));
  if (clash) throw new Error(`feature "${clash}" has the name of a fixed column (${FIXED_COLUMNS.join(', ')})`);
  const rows = snapshots.reduce((n, cs) => n + cs.symbols.length, 0);
  const tsEvent = new BigInt64Array(rows);
  const tsKnown = new BigInt64Array(rows);
  const price = new Float64Array(rows);
  const dictionary: string[] = [];
  const codes = new Map<string, number>();
  const symbol = new Int32Array(rows);
  const columns = features.map(() => new Float64Array(rows));
  let r = 0;
  for (const cs of snapshots) {
    const k = cs.features.length;
    if (k !== features.length || cs.features.some((f, j) => f !== features[j])) {
      throw new Error(`snapshot at ts_known ${cs.ts_known} has features [${cs.features.join(', ')}], expected [${features.join(', ')}]`);
    }
    cs.symbols.forEach((s, i) => {
      let code = codes.get(s);
      if (code === undefined) codes.set(s, (code = dictionary.push(s) - 1));
      tsEvent[r] = BigInt(cs.ts_event);
      tsKnown[r] = BigInt(cs.ts_known);
      symbol[r] = code;
      price[r] = cs.prices[i]!;
      for (let j = 0; j < k; j++) columns[j]![r] = cs.values[i * k + j]!;
      r++;
    });
  }
  const symbolType = new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32());
  const fields = [
    new arrow.Field('ts_event', TIMESTAMP, false),
    new arrow.Field('ts_known', TIMESTAMP, false),
    new arrow.Field('symbol', symbolType, false),
    new arrow.Field('price', new arrow.Float64(), false),
    ...features.map((f) => new arrow.Field(f, new arrow.Float64(), false)),
  ];
  const schema = new arrow.Schema(fields);
  const children = [
    arrow.makeData({ type: TIMESTAMP, length: rows, data: tsEvent }),
    arrow.makeData({ type: TIMESTAMP, length: rows, data: tsKnown }),
    arrow.makeData({ type: symbolType, length: rows, data: symbol, dictionary: arrow.vectorFromArray(dictionary, new arrow.Utf8()) }),
    arrow.makeData({ type: new arrow.Float64(), length: rows, data: price }),
    ...columns.map((c) => arrow.makeData({ type: new arrow.Float64(), length: rows, data: c })),
  ];
  const struct = arrow.makeData({ type: new arrow.Struct(fields), length: rows, nullCount: 0, children });
  return new arrow.Table(schema, new arrow.RecordBatch(schema, struct));
}
