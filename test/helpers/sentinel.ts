/**
 * The look-ahead sentinel: t = Sharpe × √(days / 252) of the default topology on generated data.
 * On pure noise a graph without look-ahead cannot show an edge (t < 2); on the default planted alpha
 * it must find one (t > 3). Datasets are 40 symbols × 40 days, as the issue fixes them.
 */
import { runBacktest } from '../../pipelines/runtime/backtest.ts';
import { dataset, tempDir } from './datasets.ts';

export const SENTINEL_SEEDS = [1, 2];

export async function sentinelT(
  alpha: number | undefined,
  seed: number,
): Promise<{ t: number; sharpe: number; days: number; fills: number }> {
  const data = await dataset({ symbols: 40, days: 40, seed, ...(alpha === undefined ? {} : { alpha }) });
  const summary = await runBacktest({
    topologyFile: new URL('../../topology.yaml', import.meta.url).pathname,
    dataDir: data,
    outDir: tempDir('sentinel'),
  });
  return { t: summary.sharpe * Math.sqrt(summary.days / 252), sharpe: summary.sharpe, days: summary.days, fills: summary.fills };
}
