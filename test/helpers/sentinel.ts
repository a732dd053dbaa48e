/**
 * The look-ahead sentinel, two-sided on PnL before costs: the default topology runs on generated data
 * and is judged by the t-statistic of the daily mark-to-mid PnL of the positions it held
 * (test/helpers/gross-pnl.ts, computed from the run's fills and the data's quotes, not by the code
 * under test). On pure noise a graph without look-ahead shows no edge either way (|t| < 3); on a planted
 * alpha of a stated IC it must find one (t > 3). Net figures (after spread and fees) are kept for the
 * report only: on noise costs make them negative, so they cannot tell a leak from an honest graph.
 */
import { runBacktest } from '../../pipelines/runtime/backtest.ts';
import { dataset, tempDir } from './datasets.ts';
import { grossPnl } from './gross-pnl.ts';

export const SENTINEL_SEEDS = [1, 2, 3];
/** 40 symbols × 20 days: the alpha case's t is far above 3 at this size (test/e2e/lookahead-alpha.test.ts). */
export const SENTINEL_SIZE = { symbols: 40, days: 20 };
/** The planted alpha's IC in the alpha case: strong enough to be seen on 40 symbols × 20 days (the default sample's is 0.03). */
export const SENTINEL_IC = 0.08;

export interface SentinelRun {
  /** t of the daily mark-to-mid PnL before costs. */
  grossT: number;
  /** t = Sharpe × √(days / 252) of the run's own equity (after costs). */
  netT: number;
  days: number;
  fills: number;
}

export async function sentinelRun(planted: { alpha: number } | { ic: number }, seed: number): Promise<SentinelRun> {
  const data = await dataset({ ...SENTINEL_SIZE, seed, ...planted });
  const outDir = tempDir('sentinel');
  const summary = await runBacktest({ topologyFile: new URL('../../topology.yaml', import.meta.url).pathname, dataDir: data, outDir });
  return {
    grossT: grossPnl(data, outDir).t,
    netT: summary.sharpe * Math.sqrt(summary.days / 252),
    days: summary.days,
    fills: summary.fills,
  };
}
