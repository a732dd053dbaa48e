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
import type { Signal, TargetWeights } from '../../../schemas/types.generated.ts';
import { T0, portfolio, signals } from '../../helpers/records.ts';

const alpha = [1, -1, 0.5, -0.5];
const names = ['A', 'B', 'C', 'D'];
const snapshot = (at: number): Signal[] => signals(at, names, alpha);

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
