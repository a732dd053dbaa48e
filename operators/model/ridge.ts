/**
 * model.ridge — walk-forward ridge regression of forward returns on the (normalised) features of a
 * cross-section. A training label is the return from one snapshot to the one `horizon` snapshots later
 * in the same session, demeaned across symbols; it is added only when that later snapshot arrives,
 * so every fit uses data known at fit time and nothing else. Refits on a trailing window.
 */
import { z } from 'zod';
import { Matrix, solve } from 'ml-matrix';
import type { CrossSection, Prediction } from '../../schemas/types.generated.ts';
import { defineOperator, definePorts } from '../sdk/spec.ts';
import { handle, on } from '../sdk/handle.ts';
import { sessionIndex } from '../sdk/timers.ts';

const inputs = definePorts({ cross_section: { schema: 'CrossSection', description: 'Normalised features of the universe.' } });

const params = z.strictObject({
  lambda: z.number().min(0).default(10).describe('Ridge penalty on the coefficients (features are rank-gauss, so unit scale).'),
  horizon: z.number().int().min(1).max(100).default(1).describe('Label horizon, in snapshots.'),
  train_days: z.number().int().min(1).max(1000).default(10).describe('Trailing window of sessions whose labels the fit uses.'),
  warmup_days: z.number().int().min(1).max(5).default(2).describe('Sessions to learn from before the first prediction.'),
  refit_every: z.number().int().min(1).default(26).describe('Snapshots between refits.'),
});

interface Snapshot {
  ts: number;
  session: number;
  symbols: string[];
  k: number;
  values: number[];
  prices: Map<string, number>;
}
/** Per-session sufficient statistics: XᵀX and Xᵀy over that session's labelled rows. */
interface SessionStats {
  session: number;
  xtx: Float64Array;
  xty: Float64Array;
  rows: number;
}

export const ridge = defineOperator({
  type: 'model.ridge',
  summary: 'Walk-forward ridge regression of forward returns, refit on a trailing window.',
  inputs,
  output: 'Prediction',
  params,
  create:
    (p, ctx) =>
    ({ cross_section }) => {
      const history: Snapshot[] = [];
      const stats: SessionStats[] = [];
      let beta: number[] | undefined;
      let fittedAt = 0;
      let sinceFit = Infinity;
      let firstSession: number | undefined;
      const fits = ctx.metrics.counter('fits');

      const learn = (now: Snapshot): void => {
        const past = history[history.length - 1 - p.horizon];
        if (!past || past.session !== now.session || past.k !== now.k) return;
        const k = now.k;
        let s = stats[stats.length - 1];
        if (!s || s.session !== now.session)
          stats.push((s = { session: now.session, xtx: new Float64Array(k * k), xty: new Float64Array(k), rows: 0 }));
        const rows: { x: number[]; y: number }[] = [];
        past.symbols.forEach((symbol, i) => {
          const later = now.prices.get(symbol);
          const before = past.prices.get(symbol);
          if (later === undefined || before === undefined) return;
          rows.push({ x: past.values.slice(i * k, (i + 1) * k), y: Math.log(later / before) });
        });
        if (rows.length < 2) return;
        const mean = rows.reduce((a, r) => a + r.y, 0) / rows.length;
        for (const { x, y } of rows) {
          const yc = y - mean;
          for (let a = 0; a < k; a++) {
            s.xty[a]! += x[a]! * yc;
            for (let b = 0; b < k; b++) s.xtx[a * k + b]! += x[a]! * x[b]!;
          }
        }
        s.rows += rows.length;
        while (stats.length > 0 && stats[0]!.session <= now.session - p.train_days) stats.shift();
      };

      const fit = (k: number): void => {
        const xtx = new Matrix(k, k);
        const xty = new Matrix(k, 1);
        for (const s of stats) {
          for (let a = 0; a < k; a++) {
            xty.set(a, 0, xty.get(a, 0) + s.xty[a]!);
            for (let b = 0; b < k; b++) xtx.set(a, b, xtx.get(a, b) + s.xtx[a * k + b]!);
          }
        }
        for (let a = 0; a < k; a++) xtx.set(a, a, xtx.get(a, a) + p.lambda);
        beta = solve(xtx, xty).getColumn(0);
        fits.inc();
      };

      const onSnapshot = (cs: CrossSection): Prediction[] => {
        const session = sessionIndex(ctx.calendar, cs.ts_known);
        const snap: Snapshot = {
          ts: cs.ts_known,
          session,
          symbols: cs.symbols,
          k: cs.features.length,
          values: cs.values,
          prices: new Map(cs.symbols.map((s, i) => [s, cs.prices[i]!])),
        };
        history.push(snap);
        if (history.length > p.horizon + 1) history.shift();
        learn(snap);
        firstSession ??= session;
        if (session - firstSession < p.warmup_days || stats.every((s) => s.rows === 0)) return [];
        if (++sinceFit >= p.refit_every || !beta || beta.length !== snap.k) {
          fit(snap.k);
          fittedAt = cs.ts_known;
          sinceFit = 0;
        }
        const model = `ridge@${fittedAt}`;
        return cs.symbols.map((symbol, i) => {
          let value = 0;
          for (let j = 0; j < snap.k; j++) value += beta![j]! * cs.values[i * snap.k + j]!;
          return { ts_event: cs.ts_event, ts_known: cs.ts_known, symbol, value, model };
        });
      };
      return handle<Prediction>(ctx, [on(cross_section, (batch, emit) => batch.forEach((cs) => emit(onSnapshot(cs))))]);
    },
});
