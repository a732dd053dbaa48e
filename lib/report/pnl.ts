/**
 * PnL by symbol, and how it balances against the change in equity. A symbol's PnL is the cash flow of
 * its fills (less fees and the per-fill costs paid beside the price; impact is in the price) plus its
 * last position at its mark. The carry the books paid out of cash (equity.parquet's cumulative borrow
 * and financing, when the fills do not carry them) belongs to no symbol: PnL by symbol less the carry
 * is the change in equity, up to rounding.
 */
import { COST_COLUMNS, type EquityColumns, type FillColumns } from './run-data.ts';

/** Symbol → PnL over the run, in currency. */
export function pnlBySymbol(equity: EquityColumns, fills: FillColumns): Map<string, number> {
  const pnl = new Map<string, number>();
  const add = (s: string, x: number): void => void pnl.set(s, (pnl.get(s) ?? 0) + x);
  for (let i = 0; i < fills.ts.length; i++) add(fills.symbol[i]!, -fills.sign[i]! * fills.qty[i]! * fills.price[i]! - paid(fills, i));
  for (const p of equity.lastPositions) add(p.symbol, p.qty * p.mark);
  return pnl;
}

/** What fill i paid beside its price: its fee and per-fill costs other than impact. */
function paid(fills: FillColumns, i: number): number {
  let x = fills.fee[i]!;
  for (const c of COST_COLUMNS) if (c !== 'impact') x += fills.costs[c]?.[i] ?? 0;
  return x;
}

export interface PnlBalance {
  /** The sum of PnL by symbol. */
  bySymbol: number;
  /** Borrow and financing paid out of cash (equity.parquet's, at the end), which no symbol's PnL holds. */
  carry: number;
  /** The last state's equity less the first's. */
  equityChange: number;
  /**
   * How far bySymbol − carry and equityChange may differ by rounding alone: 2·n·ε·Σ|x|, the bound on
   * the rounding error of a sum of n doubles (Higham, Accuracy and Stability of Numerical Algorithms,
   * §4.2), for the run's books and this sum, over every amount either adds (starting and last equity,
   * each fill's notional, fee and costs, each position's value, the carry) and n counting those and
   * every portfolio state the books stepped through.
   */
  tolerance: number;
}

export function pnlBalance(equity: EquityColumns, fills: FillColumns): PnlBalance {
  let bySymbol = 0;
  for (const v of pnlBySymbol(equity, fills).values()) bySymbol += v;
  let carry = 0;
  for (const c of ['borrow', 'financing'] as const) if (!fills.costs[c]) carry += equity.costs[c]?.at(-1) ?? 0;
  const first = equity.equity[0]!;
  const last = equity.equity[equity.equity.length - 1]!;
  let magnitude = Math.abs(first) + Math.abs(last) + Math.abs(carry);
  for (let i = 0; i < fills.ts.length; i++)
    magnitude += fills.qty[i]! * fills.price[i]! + Math.abs(fills.fee[i]!) + Math.abs(paid(fills, i));
  for (const p of equity.lastPositions) magnitude += Math.abs(p.qty * p.mark);
  const n = equity.ts.length + 3 * fills.ts.length + equity.lastPositions.length + 4;
  return { bySymbol, carry, equityChange: last - first, tolerance: 2 * n * Number.EPSILON * magnitude };
}
