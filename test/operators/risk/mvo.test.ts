import { describe, expect, it } from 'vitest';
import { registry } from '../../../operators/index.ts';
import { mvo } from '../../../operators/risk/mvo.ts';
import type { UniverseMember } from '../../../operators/sdk/context.ts';
import { Rng } from '../../../lib/core/rng.ts';
import { stepOperator } from '../../../pipelines/harness/harness.ts';
import { loadTopology } from '../../../pipelines/topology/load.ts';
import { formatProblem } from '../../../pipelines/topology/problems.ts';
import { validateTopology } from '../../../pipelines/topology/validate.ts';
import type { Bar, PortfolioState, Signal, TargetWeights } from '../../../schemas/types.generated.ts';
import { MINUTE, T0, runInMemory } from '../../helpers/memory-graph.ts';
import * as records from '../../helpers/records.ts';
import { bar, portfolio, quote, session, weighted } from '../../helpers/records.ts';

const UNIVERSE: UniverseMember[] = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'].map((symbol, i) => ({ symbol, sector: i < 4 ? 'X' : 'Y' }));
const SYMBOLS = UNIVERSE.map((u) => u.symbol);

/** Bar closes every minute of one session: a market factor, a sector factor and noise. */
function bars(seed: number, start = T0, minutes = 390): Bar[] {
  const rng = new Rng(seed);
  const prices = SYMBOLS.map(() => 100);
  const out: Bar[] = [];
  for (let m = 1; m <= minutes; m++) {
    const market = 0.0008 * rng.normal();
    const sector = [0.0005 * rng.normal(), 0.0005 * rng.normal()];
    SYMBOLS.forEach((symbol, i) => {
      prices[i]! *= Math.exp((0.8 + 0.05 * i) * market + sector[i < 4 ? 0 : 1]! + 0.0006 * rng.normal());
      out.push(bar(symbol, start + m * MINUTE, prices[i]!, { volume: 100, trades: 1 }));
    });
  }
  return out;
}

const signals = (at: number, values: number[], symbols = SYMBOLS): Signal[] => records.signals(at, symbols, values);

const ALPHA = [1.5, -1, 0.5, -0.2, 1, -1.5, 0.3, -0.6];

function harness(params: Record<string, unknown>, universe = UNIVERSE) {
  const op = stepOperator(mvo, params, { sessions: [{ open: T0, close: T0 + 390 * MINUTE }], universe, node: 'sizing' });
  return {
    out: op.outputs['out'] as TargetWeights[],
    letters: op.deadLetters,
    metrics: () => op.ctx.metrics.snapshot(),
    bars: (b: Bar[]) => {
      for (const x of b) op.push('bars', [x], x.ts_known);
    },
    signal: (t: number, values: number[], symbols?: string[]) => op.push('signals', signals(t, values, symbols), t),
    portfolio: (state: PortfolioState) => op.push('portfolio', [state]),
  };
}

/** At mark 100, a weight w is w × equity / 100 shares. */
const holding = (t: number, positions: { symbol: string; weight: number }[], equity = 1_000_000): PortfolioState =>
  portfolio(
    t,
    equity,
    positions.map((p) => weighted(p.symbol, p.weight, equity)),
  );

function expectWithin(t: TargetWeights, c: { gross: number; max: number; min: number }): void {
  const w = t.weights;
  expect(Math.abs(w.reduce((a, b) => a + b, 0))).toBeLessThan(1e-9);
  expect(w.reduce((a, b) => a + Math.abs(b), 0)).toBeLessThanOrEqual(c.gross + 1e-9);
  w.forEach((x) => {
    expect(x).toBeLessThanOrEqual(c.max + 1e-9);
    expect(x).toBeGreaterThanOrEqual(c.min - 1e-9);
  });
}

const FAST = { min_history: 20, return_minutes: 5, risk_window: 100, factors: 2, gamma: 50, alpha_scale: 0.001 };

describe('risk.mvo params', () => {
  it('has described defaults that match the drop-in for portfolio.proportional', () => {
    const p = mvo.params.parse({});
    expect(p.constraints).toEqual({
      dollar_neutral: true,
      gross: 2,
      max_weight: 0.05,
      min_weight: -0.05,
      long_only: false,
      sector_neutral: false,
      beta_neutral: false,
    });
    expect(p.tcost_bps).toBe(5);
    expect(registry.get('risk.mvo')).toBe(mvo);
  });

  it.each([
    [{ constraints: { min_weight: 0.1, max_weight: 0.05 } }, ['constraints', 'min_weight'], /must be <= max_weight/],
    [{ constraints: { long_only: true } }, ['constraints', 'long_only'], /set dollar_neutral: false/],
    [{ constraints: { dollar_neutral: true, min_weight: 0.01 } }, ['constraints', 'dollar_neutral'], /min_weight <= 0 <= max_weight/],
    [{ constraints: { gross: 0 } }, ['constraints', 'gross'], /expected number to be >0/i],
    [{ min_history: 500, risk_window: 100 }, ['min_history'], /<= risk_window/],
  ])('refuses %j', (params, path, message) => {
    const r = mvo.params.safeParse(params);
    expect(r.success).toBe(false);
    const issue = r.error!.issues[0]!;
    expect(issue.path).toEqual(path);
    expect(issue.message).toMatch(message);
  });

  it('accepts long_only with a negative min_weight (read as 0) once dollar_neutral is off', () => {
    expect(mvo.params.safeParse({ constraints: { long_only: true, dollar_neutral: false, min_weight: -0.05 } }).success).toBe(true);
  });

  it('the validator locates a refused constraint in topology.yaml', () => {
    const yaml = [
      'nodes:',
      '  - { name: q, type: source.replay }',
      '  - { name: b, type: feature.bars, inputs: { quotes: q } }',
      '  - name: s',
      '    type: risk.mvo',
      '    inputs: { signals: b, bars: b }',
      '    params: { constraints: { min_weight: 0.2, max_weight: 0.1 } }',
    ].join('\n');
    const { problems } = validateTopology(loadTopology('t.yaml', [], yaml), registry);
    expect(problems.map(formatProblem).join('\n')).toMatch(
      /t\.yaml:7:\d+ node "s": param "constraints.min_weight" is 0.2 — min_weight \(0.2\) must be <= max_weight \(0.1\)/,
    );
  });
});

describe('risk.mvo', () => {
  it('emits nothing until the risk window holds min_history returns', () => {
    const h = harness({ ...FAST, min_history: 50 });
    h.bars(bars(1, T0, 100)); // 20 five-minute returns
    h.signal(T0 + 100 * MINUTE, ALPHA);
    expect(h.out).toEqual([]);
    expect(h.metrics()['warming_up']).toBe(1);
    expect(h.letters).toEqual([]);
  });

  it('then emits TargetWeights for the universe within the constraints, warm-starting between refits', () => {
    const h = harness({ ...FAST, refit_every: 3, constraints: { gross: 1, max_weight: 0.2, min_weight: -0.2 } });
    const b = bars(2);
    h.bars(b.filter((x) => x.ts_known <= T0 + 200 * MINUTE));
    for (let k = 0; k < 6; k++) {
      const t = T0 + (200 + 15 * k) * MINUTE;
      h.bars(b.filter((x) => x.ts_known > t - 15 * MINUTE && x.ts_known <= t));
      h.signal(
        t,
        ALPHA.map((a, i) => a + 0.1 * Math.sin(k + i)),
      );
    }
    expect(h.out).toHaveLength(6);
    for (const t of h.out) {
      expect(t.symbols).toEqual(SYMBOLS);
      expectWithin(t, { gross: 1, max: 0.2, min: -0.2 });
    }
    // Weights follow the alpha: the best name is long, the worst short.
    expect(h.out[0]!.weights[0]).toBeGreaterThan(0);
    expect(h.out[0]!.weights[5]).toBeLessThan(0);
    const m = h.metrics();
    expect(m['solves']).toBe(6);
    expect(m['refits']).toBe(2);
    expect(m['warm_starts']).toBe(5);
    expect(m['iterations']).toBeGreaterThan(0);
    expect(m['solve_failed'] ?? 0).toBe(0);
    expect(h.letters).toEqual([]);
  });

  it('keeps sectors and beta neutral when asked, with sectors from the universe', () => {
    const h = harness({
      ...FAST,
      factor_model: 'sectors',
      constraints: { sector_neutral: true, beta_neutral: true, gross: 1, max_weight: 0.3, min_weight: -0.3 },
    });
    h.bars(bars(3));
    h.signal(T0 + 390 * MINUTE, ALPHA);
    const w = h.out[0]!.weights;
    expect(Math.abs(w.slice(0, 4).reduce((a, b) => a + b, 0))).toBeLessThan(1e-9);
    expect(Math.abs(w.slice(4).reduce((a, b) => a + b, 0))).toBeLessThan(1e-9);
    expect(w.some((x) => Math.abs(x) > 0.01)).toBe(true);
  });

  it('reads w_prev from the portfolio: costs and a turnover cap keep it close, names outside the universe are closed', () => {
    const h = harness({ ...FAST, tcost_bps: 5, constraints: { turnover: 0.1, gross: 1, max_weight: 0.2, min_weight: -0.2 } });
    h.bars(bars(4));
    const now = T0 + 390 * MINUTE;
    const prev = [0.1, -0.1, 0.05, -0.05, 0.1, -0.1, 0, 0];
    h.portfolio(holding(now - MINUTE, [...SYMBOLS.map((symbol, i) => ({ symbol, weight: prev[i]! })), { symbol: 'ZZZ', weight: 0.01 }]));
    h.signal(now, ALPHA);
    const t = h.out[0]!;
    expect(t.symbols).toEqual([...SYMBOLS, 'ZZZ']);
    expect(t.weights.at(-1)).toBe(0);
    const traded = t.weights.slice(0, 8).reduce((a, w, i) => a + Math.abs(w - prev[i]!), 0);
    expect(traded).toBeLessThanOrEqual(0.1 + 1e-9);
  });

  it('an infeasible solve is a dead letter with the status; the previous targets are emitted again', () => {
    const h = harness({ ...FAST, constraints: { turnover: 0.1, gross: 1, max_weight: 0.05, min_weight: -0.05 } });
    h.bars(bars(5));
    const t1 = T0 + 380 * MINUTE;
    h.signal(t1, ALPHA);
    expect(h.out).toHaveLength(1);
    // A 50% position in A: getting back under max_weight needs 0.45 of turnover > 0.1.
    h.portfolio(holding(t1 + MINUTE, [{ symbol: 'A', weight: 0.5 }]));
    const t2 = T0 + 390 * MINUTE;
    h.signal(t2, ALPHA);
    expect(h.out).toHaveLength(2);
    expect(h.out[1]).toEqual({ ...h.out[0]!, ts_event: t2, ts_known: t2 });
    expect(h.letters).toHaveLength(1);
    expect(h.letters[0]!.reason).toMatch(/^solver status primal_infeasible.*previous targets kept$/);
    expect(h.letters[0]!.ts_known).toBe(t2);
    expect(h.metrics()['solve_failed']).toBe(1);
  });

  it('a NaN alpha is a dead letter, not a crash; the run goes on', () => {
    const h = harness(FAST);
    h.bars(bars(6));
    h.signal(T0 + 370 * MINUTE, ALPHA);
    h.signal(
      T0 + 380 * MINUTE,
      ALPHA.map((a, i) => (i === 1 ? NaN : a)),
    );
    h.signal(T0 + 390 * MINUTE, ALPHA);
    expect(h.out).toHaveLength(3);
    expect(h.out[1]!.weights).toEqual(h.out[0]!.weights);
    expect(h.letters.map((l) => l.reason)).toEqual(['non-finite alpha for B (NaN): previous targets kept']);
    expect(h.metrics()['errors']).toBe(0);
  });

  it('dead-letters a signal for a symbol outside the universe and solves the rest', () => {
    const h = harness(FAST);
    h.bars(bars(7));
    h.signal(T0 + 390 * MINUTE, [...ALPHA, 2], [...SYMBOLS, 'NOPE']);
    expect(h.out[0]!.symbols).toEqual(SYMBOLS);
    expect(h.letters.map((l) => l.reason)).toEqual(['symbol NOPE is not in the universe']);
  });
});

describe('risk.mvo in a graph', () => {
  it('replaces portfolio.proportional end to end: quotes → … → signal → risk.mvo → orders → fills → portfolio', async () => {
    const rng = new Rng(11);
    const sessions = [0, 1].map((d) => session(d));
    const prices = SYMBOLS.map(() => 50 + 10 * rng.next());
    const quotes = [];
    let seq = 0;
    for (const s of sessions) {
      for (let m = 0; m < 390; m++) {
        const market = 0.0005 * rng.normal();
        for (const [i, symbol] of SYMBOLS.entries()) {
          prices[i]! *= Math.exp(market + 0.0008 * rng.normal());
          const mid = prices[i]!;
          quotes.push(quote(symbol, s.open + m * MINUTE + 1000 * (i + 1), mid - 0.01, mid + 0.01, seq++));
        }
      }
    }
    const yaml = `
name: mvo
nodes:
  - { name: quotes, type: test.memory-quotes, params: { batch: 64 } }
  - { name: bars, type: feature.bars, inputs: { quotes: quotes } }
  - { name: returns, type: feature.lagged-returns, inputs: bars, params: { horizons: [1, 5] } }
  - { name: snapshot, type: feature.cross-section, inputs: { features: [returns], bars: bars }, params: { every_minutes: 15, first_after_minutes: 30 } }
  - { name: model, type: model.ridge, inputs: snapshot, params: { warmup_days: 1, train_days: 1, refit_every: 5 } }
  - { name: alpha, type: signal.cross-sectional, inputs: model }
  - name: sizing
    type: risk.mvo
    inputs: { signals: alpha, bars: bars, portfolio: accounting }
    params: { min_history: 30, return_minutes: 5, risk_window: 150, factors: 2, gamma: 200, constraints: { gross: 1, max_weight: 0.2, min_weight: -0.2, sector_neutral: true } }
  - { name: orders, type: execution.orders, inputs: { targets: sizing, quotes: quotes, portfolio: accounting } }
  - { name: broker, type: execution.sim-broker, inputs: { orders: orders, quotes: quotes } }
  - { name: accounting, type: portfolio.accounting, inputs: { fills: broker, quotes: quotes } }
  - { name: out, type: test.probe, inputs: sizing }
`;
    const { probes, deadLetters, metrics } = await runInMemory(yaml, { quotes, sessions, universe: UNIVERSE });
    const targets = probes.get('out')!.records as TargetWeights[];
    expect(targets.length).toBeGreaterThan(10);
    for (const t of targets) {
      expect(t.symbols).toEqual(SYMBOLS);
      expectWithin(t, { gross: 1, max: 0.2, min: -0.2 });
      expect(Math.abs(t.weights.slice(0, 4).reduce((a, b) => a + b, 0))).toBeLessThan(1e-9);
    }
    expect(targets.some((t) => t.weights.some((w) => Math.abs(w) > 0.01))).toBe(true);
    expect(deadLetters.filter((d) => d.node === 'sizing')).toEqual([]);
    const m = metrics.get('sizing')!;
    expect(m['solves']).toBe(targets.length);
    expect(m['warm_starts']).toBeGreaterThan(0);
    expect(metrics.get('broker')!['out']).toBeGreaterThan(0);
  });
});
