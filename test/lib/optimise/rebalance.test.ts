/**
 * MvoRebalancer alone, in event time: warm-up, the refit schedule, the targets within the
 * constraints, w_prev from the portfolio, and the previous targets kept (with the reason) on a bad
 * alpha or a failed solve.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../lib/core/rng.ts';
import { MINUTE } from '../../../lib/core/time.ts';
import { holdings, MvoRebalancer, type Rebalance, type RebalanceConfig } from '../../../lib/optimise/rebalance.ts';
import type { PortfolioState, Signal } from '../../../schemas/types.generated.ts';
import * as records from '../../helpers/records.ts';
import { portfolio, weighted } from '../../helpers/records.ts';

const SYMBOLS = ['A', 'B', 'C', 'D', 'E', 'F'];
const UNIVERSE = new Map(SYMBOLS.map((s, i) => [s, i < 3 ? 'X' : 'Y']));
const ALPHA = [1.5, -1, 0.5, 1, -1.5, 0.3];

/** 5-minute returns, 20 of them needed before the first solve. */
function config(c: Partial<RebalanceConfig> = {}): RebalanceConfig {
  return {
    gamma: 50,
    alphaScale: 0.001,
    factorModel: 'pca',
    factors: 2,
    shrinkage: 0.3,
    specificFloor: 0.1,
    returnPeriod: 5 * MINUTE,
    riskWindow: 100,
    minHistory: 20,
    refitEvery: 3,
    tcostBps: 5,
    constraints: { dollar_neutral: true, gross: 1, max_weight: 0.3, min_weight: -0.3 },
    solver: { epsAbs: 1e-6, epsRel: 1e-6, maxIter: 20_000, polish: true },
    universe: UNIVERSE,
    ...c,
  };
}

/** A rebalancer fed one bar a minute per symbol for `minutes` minutes from 0: a market factor and noise. */
function fed(c: Partial<RebalanceConfig> = {}, minutes = 300): MvoRebalancer {
  const r = new MvoRebalancer(config(c));
  const rng = new Rng(3);
  const prices = SYMBOLS.map(() => 100);
  for (let m = 1; m <= minutes; m++) {
    const market = 0.0008 * rng.normal();
    SYMBOLS.forEach((symbol, i) => {
      prices[i]! *= Math.exp((0.8 + 0.1 * i) * market + 0.0006 * rng.normal());
      r.bar({ symbol, ts_event: m * MINUTE, close: prices[i]! });
    });
  }
  return r;
}

const signals = (values: number[], symbols = SYMBOLS): Signal[] => records.signals(0, symbols, values);

/** At mark 100, a weight w is w × equity / 100 shares. */
const holding = (weights: Record<string, number>, equity = 1_000_000): PortfolioState =>
  portfolio(
    0,
    equity,
    Object.entries(weights).map(([symbol, w]) => weighted(symbol, w, equity)),
  );

function solved(r: Rebalance): Extract<Rebalance, { kind: 'solved' }> {
  if (r.kind !== 'solved') throw new Error(`expected solved, got ${r.kind}${r.kind === 'kept' ? `: ${r.reason}` : ''}`);
  return r;
}

const sum = (w: readonly number[]): number => w.reduce((a, b) => a + b, 0);

describe('MvoRebalancer', () => {
  it('warms up until the window holds minHistory returns', () => {
    // Bars from minute 1 fill 5-minute periods ending at 5, 10, …; a return joins two adjacent periods, so the
    // 20th return ends with the 21st period, at 105 minutes: at 104 there are 19.
    expect(fed({}, 104).rebalance(signals(ALPHA), 104 * MINUTE, undefined)).toEqual({ kind: 'warming_up', outside: [] });
    expect(fed({}, 105).rebalance(signals(ALPHA), 105 * MINUTE, undefined).kind).toBe('solved');
  });

  it('solves over the universe within the constraints; the weights follow the alpha', () => {
    const { targets } = solved(fed().rebalance(signals(ALPHA), 300 * MINUTE, undefined));
    expect(targets.symbols).toEqual(SYMBOLS);
    expect(Math.abs(sum(targets.weights))).toBeLessThan(1e-9);
    expect(sum(targets.weights.map(Math.abs))).toBeLessThanOrEqual(1 + 1e-9);
    for (const w of targets.weights) expect(Math.abs(w)).toBeLessThanOrEqual(0.3 + 1e-9);
    // The best name (A, 1.5) is long, the worst (E, −1.5) short.
    expect(targets.weights[0]).toBeGreaterThan(0);
    expect(targets.weights[4]).toBeLessThan(0);
  });

  it('re-estimates the risk every refitEvery rebalances (bad snapshots count) and warm-starts in between', () => {
    const r = fed();
    const reports = [];
    for (let k = 0; k < 7; k++) {
      const values = k === 2 ? ALPHA.map((a, i) => (i === 0 ? NaN : a)) : ALPHA.map((a, i) => a + 0.1 * Math.sin(k + i));
      const out = r.rebalance(signals(values), (300 + k) * MINUTE, undefined);
      reports.push(out.kind === 'solved' ? [out.solve.refit, out.solve.warmStarted] : out.kind);
    }
    // refitEvery 3: fitted at rebalance 1, again at 4 (4 − 1 >= 3) and 7; rebalance 3 is the NaN one.
    // Every solve after the first starts warm, also from the previous fit.
    expect(reports).toEqual([[true, false], [false, true], 'kept', [true, true], [false, true], [false, true], [true, true]]);
  });

  it('re-estimates when the symbols change (no universe: the symbols of each snapshot)', () => {
    const r = fed({ universe: new Map() });
    expect(solved(r.rebalance(signals(ALPHA), 300 * MINUTE, undefined)).solve.refit).toBe(true);
    expect(solved(r.rebalance(signals(ALPHA), 300 * MINUTE, undefined)).solve.refit).toBe(false);
    const fewer = solved(r.rebalance(signals(ALPHA.slice(0, 4), SYMBOLS.slice(0, 4)), 300 * MINUTE, undefined));
    expect([fewer.solve.refit, fewer.targets.symbols]).toEqual([true, SYMBOLS.slice(0, 4)]);
  });

  it('reports signals outside the universe and gives names without a signal no view', () => {
    const r = fed();
    const out = solved(r.rebalance(signals([1, -1, 2], ['A', 'B', 'NOPE']), 300 * MINUTE, undefined));
    expect(out.outside.map((s) => s.symbol)).toEqual(['NOPE']);
    expect(out.targets.symbols).toEqual(SYMBOLS);
  });

  it('reads w_prev from the portfolio: a turnover cap keeps it close; names held outside the universe are closed', () => {
    const prev = { A: 0.1, B: -0.1, C: 0.05, D: -0.05, E: 0, F: 0 };
    const r = fed({ constraints: { dollar_neutral: true, gross: 1, max_weight: 0.3, min_weight: -0.3, turnover: 0.1 } });
    const { targets } = solved(r.rebalance(signals(ALPHA), 300 * MINUTE, holding({ ...prev, ZZZ: 0.02 })));
    expect(targets.symbols).toEqual([...SYMBOLS, 'ZZZ']);
    expect(targets.weights.at(-1)).toBe(0);
    const traded = SYMBOLS.reduce((a, s, i) => a + Math.abs(targets.weights[i]! - prev[s as keyof typeof prev]), 0);
    expect(traded).toBeLessThanOrEqual(0.1 + 1e-9);
  });

  it('keeps the previous targets, with the reason, on a non-finite alpha and on a failed solve', () => {
    const r = fed({ constraints: { dollar_neutral: true, gross: 1, max_weight: 0.05, min_weight: -0.05, turnover: 0.1 } });
    const first = solved(r.rebalance(signals(ALPHA), 300 * MINUTE, undefined)).targets;
    const nan = r.rebalance(signals(ALPHA.map((a, i) => (i === 1 ? NaN : a))), 300 * MINUTE, undefined);
    expect(nan).toEqual({ kind: 'kept', reason: 'non-finite alpha for B (NaN): previous targets kept', targets: first, outside: [] });
    // A copy: the caller may not change what is kept.
    expect(nan.kind === 'kept' && nan.targets).not.toBe(first);
    // A 50% position in A: back under max_weight 0.05 needs 0.45 of turnover > 0.1, so no solution.
    const failed = r.rebalance(signals(ALPHA), 300 * MINUTE, holding({ A: 0.5 }));
    expect(failed).toMatchObject({ kind: 'kept', targets: first, solve: { status: 'primal_infeasible' } });
    expect(failed.kind === 'kept' && failed.reason).toMatch(/^solver status primal_infeasible.*: previous targets kept$/);
  });

  it('keeps nothing before the first solution', () => {
    const r = fed();
    expect(r.rebalance(signals(ALPHA.map(() => Infinity)), 300 * MINUTE, undefined)).toMatchObject({ kind: 'kept', targets: undefined });
  });
});

describe('holdings', () => {
  it('weighs each position at qty × mark / equity; none without a positive equity', () => {
    // 2,000 × 50 / 1,000,000 = 0.1; −1,000 × 30 / 1,000,000 = −0.03.
    const positions = [
      { symbol: 'A', qty: 2000, avg_price: 1, mark: 50 },
      { symbol: 'B', qty: -1000, avg_price: 1, mark: 30 },
    ];
    const state = { ...holding({}), positions };
    expect([...holdings(state)]).toEqual([
      ['A', 0.1],
      ['B', -0.03],
    ]);
    expect(holdings({ ...state, equity: 0 }).size).toBe(0);
    expect(holdings(undefined).size).toBe(0);
  });
});
