/**
 * The figures of a tear sheet, computed from a run's columns: daily returns and their metrics, the
 * equity curve and its drawdown, rolling Sharpe, exposures, turnover, the cost breakdown, PnL by
 * symbol and sector, fill statistics, and, for every figure the run lacks the data for, what is
 * missing. Pure: the same run gives the same sheet.
 */
import { formatDate } from '../core/dates.ts';
import {
  annualReturn,
  annualVolatility,
  calmarRatio,
  maxDrawdown,
  percentile,
  rollingSharpe,
  sharpeRatio,
  sortinoRatio,
  stability,
  tailRatio,
} from './metrics.ts';
import { type HorizonIc, type MidSeries, predictionIc } from './ic.ts';
import { participation, type VolumeSeries } from './participation.ts';
import { pnlBySymbol as symbolPnl } from './pnl.ts';
import { COST_COLUMNS, type CostColumn, type RunData } from './run-data.ts';

/** Trading days in the rolling Sharpe's window. */
export const ROLLING_DAYS = 5;

export interface Histogram {
  /** Left edge of each bin, then the right edge of the last: bins + 1 values. */
  edges: number[];
  counts: number[];
}

export interface CostLine {
  name: string;
  /** Currency paid over the run (negative: earned). */
  amount: number;
  /** What it is and where it came from. */
  source: string;
}

export interface TearSheet {
  /** UTC dates (YYYY-MM-DD) of the trading days, and the return of each (close over the previous close). */
  days: string[];
  dailyReturns: number[];
  metrics: Record<string, number>;
  /** Every portfolio state: time (ms since the epoch), equity, drawdown from the running peak (≤ 0), gross and net exposure over equity. */
  curve: { t: number[]; equity: number[]; drawdown: number[]; gross: number[]; net: number[] };
  rollingSharpe: { days: string[]; values: number[] };
  returnsHistogram: Histogram;
  /** Traded notional of each day over the equity at the previous close. */
  turnover: number[];
  costs: CostLine[];
  pnlBySymbol: { symbol: string; pnl: number }[];
  pnlBySector?: { sector: string; pnl: number }[];
  /** Mean rank IC of the model's predictions by horizon, when the run has them and prices were given. */
  ic?: HorizonIc[];
  fills: {
    count: number;
    /** Fill price against the arrival mid (the order's ref_price), in bps, + = paid. */
    slippageBps: Histogram;
    meanSlippageBps: number;
    medianSlippageBps: number;
    limitOrders: number;
    /** Shares filled of limit orders over shares ordered (NaN without limit orders). */
    limitFillRatio: number;
    makerShare: number;
    /** Shares filled over shares printed while each order worked (with --data). */
    participation?: { histogram: Histogram; median: number; orders: number; noPrints: number };
  };
  /** What a figure needed and the run did not have, by figure. */
  missing: Record<string, string>;
}

/** `bins` equal bins from the least to the greatest value (one bin when they are all equal). */
export function histogram(values: readonly number[], bins: number): Histogram {
  const xs = values.filter(Number.isFinite);
  if (xs.length === 0) return { edges: [], counts: [] };
  let lo = xs.reduce((a, b) => Math.min(a, b));
  let hi = xs.reduce((a, b) => Math.max(a, b));
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
    bins = 1;
  }
  const width = (hi - lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : lo + i * width));
  const counts = new Array<number>(bins).fill(0);
  for (const x of xs) counts[Math.min(bins - 1, Math.floor((x - lo) / width))]!++;
  return { edges, counts };
}

/** Index of the last state of each UTC day, in time order. */
function dayCloses(ts: Float64Array): { days: string[]; last: number[] } {
  const days: string[] = [];
  const last: number[] = [];
  for (let i = 0; i < ts.length; i++) {
    const d = formatDate(ts[i]!);
    if (days[days.length - 1] === d) last[last.length - 1] = i;
    else {
      days.push(d);
      last.push(i);
    }
  }
  return { days, last };
}

/** "no prediction matched the data: …" when none of the predictions' symbols has mids, else undefined. */
function unmatchedPredictions(symbols: readonly string[], mids: ReadonlyMap<string, MidSeries>): string | undefined {
  const distinct = [...new Set(symbols)];
  if (distinct.length === 0 || distinct.some((s) => mids.has(s))) return undefined;
  return `no prediction matched the data: none of the ${distinct.length} symbols of predictions.parquet (${JSON.stringify(distinct[0]!.slice(0, 60))} first) is quoted in --data DIR`;
}

export interface SheetInputs {
  /** Symbol → sector (the dataset's manifest): PnL by sector. */
  sectors?: ReadonlyMap<string, string>;
  /** Each symbol's mids (the dataset's quotes): the predictions' IC. */
  mids?: ReadonlyMap<string, MidSeries>;
  /** Each symbol's prints (the dataset's trades): participation. */
  volumes?: ReadonlyMap<string, VolumeSeries>;
}

/** The tear sheet of a run; a figure whose input is absent is listed in `missing`. */
export function tearSheet(run: RunData, inputs: SheetInputs = {}): TearSheet {
  const { sectors, mids, volumes } = inputs;
  const { equity: eq, fills, orders } = run;
  const missing: Record<string, string> = {};
  const n = eq.ts.length;
  const base = eq.equity[0]!;

  // Daily returns: each day's last state over the previous day's (the first over the first state).
  const { days, last } = dayCloses(eq.ts);
  const dailyReturns: number[] = [];
  const turnover: number[] = [];
  let prevEquity = base;
  let prevTraded = eq.tradedNotional[0]!;
  for (const i of last) {
    dailyReturns.push(prevEquity === 0 ? 0 : eq.equity[i]! / prevEquity - 1);
    turnover.push(prevEquity === 0 ? 0 : (eq.tradedNotional[i]! - prevTraded) / prevEquity);
    prevEquity = eq.equity[i]!;
    prevTraded = eq.tradedNotional[i]!;
  }

  const curve = { t: [] as number[], equity: [] as number[], drawdown: [] as number[], gross: [] as number[], net: [] as number[] };
  let peak = -Infinity;
  for (let i = 0; i < n; i++) {
    const e = eq.equity[i]!;
    peak = Math.max(peak, e);
    curve.t.push(Math.floor(eq.ts[i]! / 1000));
    curve.equity.push(e);
    curve.drawdown.push(peak > 0 ? e / peak - 1 : 0);
    curve.gross.push(e === 0 ? 0 : eq.gross[i]! / e);
    curve.net.push(e === 0 ? 0 : eq.net[i]! / e);
  }
  const metrics: Record<string, number> = {
    total_return: base === 0 ? Number.NaN : eq.equity[n - 1]! / base - 1,
    annual_return: annualReturn(dailyReturns),
    annual_volatility: annualVolatility(dailyReturns),
    sharpe: sharpeRatio(dailyReturns),
    sortino: sortinoRatio(dailyReturns),
    max_drawdown_daily: maxDrawdown(dailyReturns),
    max_drawdown_intraday: curve.drawdown.reduce((a, b) => Math.min(a, b), 0),
    calmar: calmarRatio(dailyReturns),
    stability: stability(dailyReturns),
    tail_ratio: tailRatio(dailyReturns),
    days: days.length,
    mean_turnover: turnover.length ? turnover.reduce((a, b) => a + b, 0) / turnover.length : Number.NaN,
    mean_gross: curve.gross.reduce((a, b) => a + b, 0) / n,
  };
  if (days.length < ROLLING_DAYS) missing['rolling-sharpe'] = `${ROLLING_DAYS} trading days for one window (the run has ${days.length})`;

  // Orders by id: the arrival mid each fill is measured against, and the limit orders.
  const orderAt = new Map<string, number>();
  orders.orderId.forEach((id, i) => orderAt.set(id, i));
  const slippage: number[] = [];
  let spreadCost = 0;
  let unmatched = 0;
  const filledByOrder = new Map<string, number>();
  for (let i = 0; i < fills.ts.length; i++) {
    const o = orderAt.get(fills.orderId[i]!);
    filledByOrder.set(fills.orderId[i]!, (filledByOrder.get(fills.orderId[i]!) ?? 0) + fills.qty[i]!);
    if (o === undefined || !(orders.refPrice[o]! > 0)) {
      unmatched++;
      continue;
    }
    const ref = orders.refPrice[o]!;
    spreadCost += fills.sign[i]! * (fills.price[i]! - ref) * fills.qty[i]!;
    slippage.push(fills.sign[i]! * (fills.price[i]! / ref - 1) * 1e4);
  }
  let limitOrders = 0;
  let limitOrdered = 0;
  let limitFilled = 0;
  for (let i = 0; i < orders.orderId.length; i++) {
    if (!orders.limit[i] || orders.action[i] === 'CANCEL') continue;
    limitOrders++;
    limitOrdered += orders.qty[i]!;
    limitFilled += filledByOrder.get(orders.orderId[i]!) ?? 0;
  }
  let makers = 0;
  for (const m of fills.maker) makers += m;

  // Costs: fees and the fill-vs-arrival-mid cost always; impact, borrow, financing when the run writes them.
  const fees = fills.fee.reduce((a, b) => a + b, 0);
  const costs: CostLine[] = [
    { name: 'fees', amount: fees, source: 'sum of fills.fee' },
    {
      name: 'spread',
      amount: spreadCost,
      source: `fill price against the arrival mid (orders.ref_price) × shares${fills.costs.impact ? ', less impact' : ''}${
        unmatched ? `; ${unmatched} fill(s) without their order left out` : ''
      }`,
    },
  ];
  const absent: CostColumn[] = [];
  for (const c of COST_COLUMNS) {
    const perFill = fills.costs[c];
    const cumulative = eq.costs[c];
    if (perFill) costs.push({ name: c, amount: perFill.reduce((a, b) => a + b, 0), source: `sum of ${fills.costsFrom ?? 'fills'}.${c}` });
    else if (cumulative) costs.push({ name: c, amount: cumulative[n - 1]!, source: `equity.${c} at the end of the run` });
    else absent.push(c);
  }
  if (fills.costs.impact) costs[1]!.amount -= costs.find((c) => c.name === 'impact')!.amount;
  if (absent.length > 0)
    missing['costs'] = `${absent.join(', ')} (no ${absent.map((c) => `"${c}"`).join(' or ')} column in fills.parquet or equity.parquet)`;

  const pnlBySymbol = [...symbolPnl(eq, fills)]
    .map(([symbol, v]) => ({ symbol, pnl: v }))
    .sort((a, b) => b.pnl - a.pnl || (a.symbol < b.symbol ? -1 : 1));
  let pnlBySector: TearSheet['pnlBySector'];
  if (sectors) {
    const bySector = new Map<string, number>();
    for (const { symbol, pnl: v } of pnlBySymbol) {
      const s = sectors.get(symbol) ?? '(no sector)';
      bySector.set(s, (bySector.get(s) ?? 0) + v);
    }
    pnlBySector = [...bySector].map(([sector, v]) => ({ sector, pnl: v })).sort((a, b) => b.pnl - a.pnl);
  } else missing['pnl-sector'] = "each symbol's sector: pass --data DIR, the dataset the run replayed (its manifest.json lists them)";

  let part: TearSheet['fills']['participation'];
  if (volumes) {
    const p = participation(orders, fills, volumes);
    part = {
      histogram: histogram(
        p.values.map((x) => x * 100),
        Math.max(5, Math.min(40, Math.ceil(Math.sqrt(p.values.length)))),
      ),
      median: percentile(p.values, 50),
      orders: p.values.length,
      noPrints: p.noPrints,
    };
  } else
    missing['participation'] =
      'the market volume printed while each order worked (participation = shares filled / shares printed): pass --data DIR, the dataset the run replayed';
  let ic: HorizonIc[] | undefined;
  if (!run.predictions) missing['ic'] = "the model's predictions (predictions.parquet in the run folder)";
  else if (!mids) missing['ic'] = 'prices to score the predictions against: pass --data DIR, the dataset the run replayed';
  else {
    const scored = predictionIc(run.predictions, mids);
    const unmatched = unmatchedPredictions(run.predictions.symbol, mids);
    if (unmatched) missing['ic'] = unmatched;
    else if (scored.every((h) => h.sections === 0))
      missing['ic'] =
        'no prediction matched the data: at no time the model scored were 3 of its symbols quoted then and later that day in --data DIR';
    else ic = scored;
  }

  const bins = Math.max(5, Math.ceil(Math.sqrt(dailyReturns.length)));
  return {
    days,
    dailyReturns,
    metrics,
    curve,
    rollingSharpe: { days: days.slice(ROLLING_DAYS - 1), values: rollingSharpe(dailyReturns, ROLLING_DAYS) },
    returnsHistogram: histogram(dailyReturns, bins),
    turnover,
    costs,
    pnlBySymbol,
    ...(pnlBySector ? { pnlBySector } : {}),
    ...(ic ? { ic } : {}),
    fills: {
      count: fills.ts.length,
      slippageBps: histogram(slippage, Math.max(5, Math.min(40, Math.ceil(Math.sqrt(slippage.length))))),
      meanSlippageBps: slippage.length ? slippage.reduce((a, b) => a + b, 0) / slippage.length : Number.NaN,
      medianSlippageBps: percentile(slippage, 50),
      limitOrders,
      limitFillRatio: limitOrdered > 0 ? limitFilled / limitOrdered : Number.NaN,
      makerShare: fills.ts.length ? makers / fills.ts.length : Number.NaN,
      ...(part ? { participation: part } : {}),
    },
    missing,
  };
}
