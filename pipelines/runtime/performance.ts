/** Performance statistics of an equity curve: what summary.json reports. */
import type { PortfolioState } from '../../schemas/types.generated.ts';
import type { Session } from '../../operators/sdk/context.ts';

export interface PerformanceStats {
  total_return: number;
  sharpe: number;
  max_drawdown: number;
  /** Average daily traded notional as a fraction of average equity. */
  turnover: number;
  fees: number;
  days: number;
  daily_returns: number[];
}

/** What the statistics read of a portfolio state (a run keeps these, not its states with their positions). */
export type EquityPoint = Pick<PortfolioState, 'ts_known' | 'equity' | 'fees' | 'borrow' | 'financing' | 'traded_notional'>;

export function equityPoint(s: PortfolioState): EquityPoint {
  return {
    ts_known: s.ts_known,
    equity: s.equity,
    fees: s.fees,
    borrow: s.borrow,
    financing: s.financing,
    traded_notional: s.traded_notional,
  };
}

/** Sharpe = mean of daily returns / their standard deviation × √252, and 0 when equity never moves. */
export function performance(states: readonly EquityPoint[], sessions: readonly Session[]): PerformanceStats {
  if (states.length === 0) return { total_return: 0, sharpe: 0, max_drawdown: 0, turnover: 0, fees: 0, days: 0, daily_returns: [] };
  const first = states[0]!;
  const last = states[states.length - 1]!;
  // Equity at each session's close: the last state known at or before it.
  const closes: number[] = [];
  let i = 0;
  let latest = first.equity;
  for (const s of sessions) {
    while (i < states.length && states[i]!.ts_known <= s.close) latest = states[i++]!.equity;
    closes.push(latest);
  }
  const daily: number[] = [];
  let prev = first.equity;
  for (const c of closes) {
    daily.push(prev === 0 ? 0 : c / prev - 1);
    prev = c;
  }
  const mean = daily.reduce((a, b) => a + b, 0) / Math.max(1, daily.length);
  const variance = daily.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, daily.length - 1);
  const std = Math.sqrt(variance);
  let peak = -Infinity;
  let maxDrawdown = 0;
  let equitySum = 0;
  for (const s of states) {
    peak = Math.max(peak, s.equity);
    maxDrawdown = Math.max(maxDrawdown, peak > 0 ? 1 - s.equity / peak : 0);
    equitySum += s.equity;
  }
  const avgEquity = equitySum / states.length;
  return {
    total_return: first.equity === 0 ? 0 : last.equity / first.equity - 1,
    sharpe: std > 0 && daily.length > 1 ? (mean / std) * Math.sqrt(252) : 0,
    max_drawdown: maxDrawdown,
    turnover: avgEquity > 0 && sessions.length > 0 ? last.traded_notional / avgEquity / sessions.length : 0,
    fees: last.fees,
    days: sessions.length,
    daily_returns: daily,
  };
}
