/**
 * portfolio.proportional on the harness: targets move `blend` of the way from the weights held (read
 * through the feedback port) to the proportional weights, and names held but missing from the signal
 * are closed. Expected values come from proportionalWeights (tested alone) and the blend formula.
 */
import { describe, expect, it } from 'vitest';
import { MINUTE } from '../../../lib/core/time.ts';
import { proportionalWeights } from '../../../lib/portfolio/proportional-weights.ts';
import { proportional } from '../../../operators/portfolio/proportional.ts';
import { runOperator } from '../../../pipelines/harness/harness.ts';
import type { PortfolioState, Signal, TargetWeights } from '../../../schemas/types.generated.ts';

const T0 = Date.UTC(2024, 0, 2, 14, 30) * 1000;
const signal = (at: number, symbol: string, value: number): Signal => ({ ts_event: at, ts_known: at, symbol, value });
const alpha = [1, -1, 0.5, -0.5];
const names = ['A', 'B', 'C', 'D'];
const snapshot = (at: number): Signal[] => names.map((s, i) => signal(at, s, alpha[i]!));

function portfolio(at: number, equity: number, positions: [string, number, number][]): PortfolioState {
  return {
    ts_event: at,
    ts_known: at,
    cash: equity,
    equity,
    realized_pnl: 0,
    unrealized_pnl: 0,
    fees: 0,
    gross_exposure: 0,
    net_exposure: 0,
    traded_notional: 0,
    positions: positions.map(([symbol, qty, mark]) => ({ symbol, qty, avg_price: mark, mark })),
  };
}

describe('portfolio.proportional', () => {
  it('targets the proportional weights when nothing is held and blend is 1', async () => {
    const run = await runOperator(proportional, { gross: 1, max_weight: 0.4, blend: 1 }, { signals: [snapshot(T0)] });
    const [t] = run.outputs['out'] as TargetWeights[];
    expect(t!.symbols).toEqual(names);
    expect(t!.weights).toEqual(proportionalWeights(alpha, 1, 0.4));
  });

  it('moves blend of the way from the held weights, and closes a held name missing from the signal', async () => {
    // Held: A at 0.1 of equity (1,000 shares at 100 of 1,000,000), E at -0.05.
    const held = portfolio(T0 - MINUTE, 1_000_000, [
      ['A', 1000, 100],
      ['E', -500, 100],
    ]);
    const run = await runOperator(
      proportional,
      { gross: 1, max_weight: 0.4, blend: 0.5 },
      {
        signals: [snapshot(T0)],
        portfolio: [[held]],
      },
    );
    const [t] = run.outputs['out'] as TargetWeights[];
    const target = proportionalWeights(alpha, 1, 0.4);
    const now = [0.1, 0, 0, 0];
    expect(t!.symbols).toEqual([...names, 'E']);
    expect(t!.weights).toEqual([...target.map((w, i) => now[i]! + 0.5 * (w - now[i]!)), 0]);
  });
});
