/**
 * What a tear sheet is made from: a run folder's files as plain columns (pipelines/report/run-folder.ts
 * reads them). Times are µs since the epoch; money is in the run's currency.
 */

/**
 * Optional cost columns the tear sheet shows when a run writes them, in currency, positive = paid:
 * per fill in fills.parquet, or cumulative in equity.parquet (its last value is the run's total).
 */
export const COST_COLUMNS = ['impact', 'borrow', 'financing'] as const;
export type CostColumn = (typeof COST_COLUMNS)[number];

export interface EquityColumns {
  ts: Float64Array;
  equity: Float64Array;
  gross: Float64Array;
  net: Float64Array;
  tradedNotional: Float64Array;
  fees: Float64Array;
  /** The cost columns present, cumulative. */
  costs: Partial<Record<CostColumn, Float64Array>>;
  /** Positions of the last state: symbol → (qty, mark). */
  lastPositions: { symbol: string; qty: number; mark: number }[];
}

export interface FillColumns {
  ts: Float64Array;
  orderId: string[];
  symbol: string[];
  /** +1 buy, −1 sell. */
  sign: Int8Array;
  qty: Float64Array;
  price: Float64Array;
  fee: Float64Array;
  maker: Uint8Array;
  costs: Partial<Record<CostColumn, Float64Array>>;
  /** The file (stem) the per-fill costs came from when not fills.parquet: `costs` (the broker's costs.parquet). */
  costsFrom?: string;
}

export interface OrderColumns {
  /** When the order was known (its arrival), µs. */
  ts: Float64Array;
  orderId: string[];
  symbol: string[];
  qty: Float64Array;
  limit: Uint8Array;
  refPrice: Float64Array;
  /** NEW, CANCEL or REPLACE (NEW for files written before the field existed). */
  action: string[];
}

export interface OrderStateColumns {
  orderId: string[];
  status: string[];
  filledQty: Float64Array;
}

export interface PredictionColumns {
  ts: Float64Array;
  symbol: string[];
  value: Float64Array;
}

/** A run folder's contents, as the tear sheet reads them. */
export interface RunData {
  summary: Record<string, unknown>;
  equity: EquityColumns;
  fills: FillColumns;
  orders: OrderColumns;
  orderStates?: OrderStateColumns;
  predictions?: PredictionColumns;
}
