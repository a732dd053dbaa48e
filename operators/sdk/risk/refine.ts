/**
 * Exact refinement of an approximate mean-variance solution. OSQP stops at its tolerance, and its own
 * polish step gives up on degenerate books (names with w = w_prev = a bound, a gross limit that does
 * not bind and leaves the auxiliary t free). From the approximate weights we guess the face of the
 * optimum — names fixed at a bound, at w_prev (not traded) or at 0, the signs of the others, which of
 * gross and turnover bind — and solve the equality-constrained QP on that face exactly (Woodbury on the
 * factor form, O(nk²) a face). The KKT check then either certifies the result (primal feasibility,
 * signs of the multipliers, every fixed name's gradient inside its subdifferential) or says how to move
 * the face: a primal-dual active-set iteration, a few rounds from a good guess. A refinement that is
 * not certified changes nothing: the caller keeps OSQP's answer (or tightens OSQP and tries again).
 */
import { LuDecomposition, Matrix, SingularValueDecomposition } from 'ml-matrix';
import type { MvoProblem } from './problem.ts';

export type Refinement =
  | { readonly certified: true; readonly weights: Float64Array }
  | { readonly certified: false; readonly reason: string };

/** Candidate tolerances for deciding that a weight sits at a bound, at w_prev or at 0. */
const TOLERANCES = [1e-6, 1e-5, 1e-7, 1e-4, 1e-8];

/** Σv for the problem's risk model, in O(nk) for the factor form. */
function riskTimes(problem: MvoProblem, v: ArrayLike<number>): Float64Array {
  const risk = problem.spec.risk;
  const n = problem.n;
  const out = new Float64Array(n);
  if (risk.kind === 'dense') {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += 0.5 * (risk.sigma[i]![j]! + risk.sigma[j]![i]!) * v[j]!;
      out[i] = s;
    }
    return out;
  }
  const k = risk.F.length;
  const y = new Float64Array(k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) y[j]! += risk.B[i]![j]! * v[i]!;
  const Fy = new Float64Array(k);
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) Fy[a]! += risk.F[a]![b]! * y[b]!;
  for (let i = 0; i < n; i++) {
    let s = risk.D[i]! * v[i]!;
    for (let j = 0; j < k; j++) s += risk.B[i]![j]! * Fy[j]!;
    out[i] = s;
  }
  return out;
}

/** x with A x = b, by LU, or by SVD (least squares) when A is singular; undefined when neither is accurate. */
function solveSmall(A: Matrix, b: Matrix): Matrix | undefined {
  const scale = Math.max(1e-300, Matrix.abs(A).max()) * Math.max(1e-300, Matrix.abs(b).max(), 1);
  const good = (x: Matrix): boolean => x.to1DArray().every(Number.isFinite) && A.mmul(x).sub(b).abs().max() <= 1e-9 * scale + 1e-300;
  const lu = new LuDecomposition(A);
  if (!lu.isSingular()) {
    const x = lu.solve(b);
    if (good(x)) return x;
  }
  const x = new SingularValueDecomposition(A, { autoTranspose: true }).solve(b);
  return good(x) ? x : undefined;
}

interface Row { coef: Float64Array; rhs: number; kind: 'eq' | 'gross' | 'turnover'; full?: Float64Array }

/** Tries each tolerance in turn; the first refinement that passes the KKT check wins. */
export function refineSolution(problem: MvoProblem, mu: ArrayLike<number>, wPrev: ArrayLike<number>, approx: ArrayLike<number>): Refinement {
  if (!(problem.spec.gamma > 0)) return { certified: false, reason: 'γ = 0: no quadratic term to refine on' };
  if (!Array.from({ length: problem.n }, (_, i) => approx[i]!).every(Number.isFinite)) return { certified: false, reason: 'no approximate solution' };
  let last = '';
  for (const tol of TOLERANCES) {
    const r = refineFrom(problem, mu, wPrev, approx, tol);
    if (r.certified) return r;
    last = r.reason;
  }
  return { certified: false, reason: last };
}

/** Most changes of the guessed face before giving up. */
const MAX_ROUNDS = 60;

/**
 * The face of the optimum: each name fixed at a value (NaN = free) with, for free names, the sign of w
 * and of w − w_prev; and whether the gross and turnover limits bind.
 */
interface Face { fixed: Float64Array; s: Float64Array; d: Float64Array; gross: boolean; turnover: boolean }

function refineFrom(problem: MvoProblem, mu: ArrayLike<number>, p: ArrayLike<number>, w0: ArrayLike<number>, tol: number): Refinement {
  const { n, lower: lo, upper: hi, tcost: tc } = problem;
  const c = problem.spec.constraints ?? {};
  let gross0 = 0, turn0 = 0;
  for (let i = 0; i < n; i++) { gross0 += Math.abs(w0[i]!); turn0 += Math.abs(w0[i]! - p[i]!); }
  let face: Face = {
    fixed: new Float64Array(n).fill(NaN),
    s: Float64Array.from({ length: n }, (_, i) => Math.sign(w0[i]!)),
    d: Float64Array.from({ length: n }, (_, i) => Math.sign(w0[i]! - p[i]!)),
    gross: c.gross !== undefined && gross0 > c.gross - tol * Math.max(1, c.gross),
    turnover: c.turnover !== undefined && turn0 > c.turnover - tol * Math.max(1, c.turnover),
  };
  for (let i = 0; i < n; i++) {
    const v = w0[i]!;
    const kinks = [lo, hi];
    if (tc[i]! > 0 || face.turnover) kinks.push(p[i]!);
    if (face.gross) kinks.push(0);
    let best = NaN, dist = tol;
    for (const k of kinks) if (Number.isFinite(k) && Math.abs(v - k) <= dist) { best = k; dist = Math.abs(v - k); }
    face.fixed[i] = best;
  }
  let reason = '';
  let previous: Float64Array = Float64Array.from({ length: n }, (_, i) => w0[i]!);
  // After fixing several names at once made the face inconsistent, go back and fix only the first.
  let retry: { face: Face; move: Move; previous: Float64Array } | undefined;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const solved = solveFace(problem, mu, p, face);
    if ('reason' in solved) {
      if (!retry) return { certified: false, reason: solved.reason };
      face = retry.face;
      previous = retry.previous;
      apply(face, retry.move, true);
      retry = undefined;
      continue;
    }
    const move = checkFace(problem, mu, p, face, solved.w, solved.lambda, solved.rows, previous);
    if (move === undefined) return { certified: true, weights: solved.w };
    if ('stop' in move) return { certified: false, reason: move.stop };
    reason = move.reason;
    retry = move.crossings.length > 1 ? { face: cloneFace(face), move, previous: solved.w } : undefined;
    apply(face, move, false);
    previous = solved.w;
  }
  return { certified: false, reason: `no certified face after ${MAX_ROUNDS} rounds (last: ${reason})` };
}

/** A change of face: names to fix at a kink they crossed (t: how far along the step), names to free, limits to switch. */
interface Move {
  crossings: { i: number; at: number; t: number }[];
  releases: { i: number; s: number; d: number }[];
  gross?: boolean;
  turnover?: boolean;
  reason: string;
}

function cloneFace(f: Face): Face {
  return { fixed: f.fixed.slice(), s: f.s.slice(), d: f.d.slice(), gross: f.gross, turnover: f.turnover };
}

function apply(face: Face, move: Move, firstOnly: boolean): void {
  const crossings = firstOnly ? move.crossings.reduce<Move['crossings']>((a, c) => (a.length === 0 || c.t < a[0]!.t ? [c] : a), []) : move.crossings;
  for (const c of crossings) face.fixed[c.i] = c.at;
  if (move.gross !== undefined) face.gross = move.gross;
  if (move.turnover !== undefined) face.turnover = move.turnover;
  for (const r of move.releases) {
    face.fixed[r.i] = NaN;
    face.s[r.i] = r.s;
    face.d[r.i] = r.d;
  }
}

/** Solves the equality-constrained QP on a face: [H Cᵀ; C 0][w; λ] = [−g; e] with H = 2γΣ on the free names. */
function solveFace(problem: MvoProblem, mu: ArrayLike<number>, p: ArrayLike<number>, face: Face):
  { w: Float64Array; lambda: Float64Array; rows: Row[] } | { reason: string } {
  const { n, tcost: tc } = problem;
  const { gamma, risk } = problem.spec;
  const c = problem.spec.constraints ?? {};
  const free: number[] = [];
  for (let i = 0; i < n; i++) if (Number.isNaN(face.fixed[i]!)) free.push(i);
  const f = free.length;
  const wx = Float64Array.from(face.fixed, (v) => (Number.isNaN(v) ? 0 : v));
  const uTerm = (i: number): boolean => tc[i]! > 0 || face.turnover;

  const eqs: Float64Array[] = [];
  if (c.dollarNeutral && !c.sectors) eqs.push(new Float64Array(n).fill(1));
  if (c.sectors) for (const sec of new Set(c.sectors)) eqs.push(Float64Array.from(c.sectors, (x) => (x === sec ? 1 : 0)));
  if (c.betas) eqs.push(Float64Array.from(c.betas));
  const rows: Row[] = eqs.map((a) => {
    let rhs = 0;
    for (let i = 0; i < n; i++) rhs -= a[i]! * wx[i]!;
    return { coef: Float64Array.from(free, (i) => a[i]!), rhs, kind: 'eq', full: a };
  });
  if (face.gross) {
    let used = 0;
    for (let i = 0; i < n; i++) used += Math.abs(wx[i]!);
    rows.push({ coef: Float64Array.from(free, (i) => face.s[i]!), rhs: c.gross! - used, kind: 'gross' });
  }
  if (face.turnover) {
    let used = 0;
    for (let i = 0; i < n; i++) if (!Number.isNaN(face.fixed[i]!)) used += Math.abs(wx[i]! - p[i]!);
    rows.push({ coef: Float64Array.from(free, (i) => face.d[i]!), rhs: c.turnover! - used + free.reduce((a, i) => a + face.d[i]! * p[i]!, 0), kind: 'turnover' });
  }
  const m = rows.length;
  const Sx = riskTimes(problem, wx);
  const rhsW = Float64Array.from(free, (i) => mu[i]! - (uTerm(i) && tc[i]! > 0 ? tc[i]! * face.d[i]! : 0) - 2 * gamma * Sx[i]!);

  let wF: Float64Array, lambda: Float64Array;
  const C = new Matrix(m, f);
  rows.forEach((r, a) => r.coef.forEach((v, j) => C.set(a, j, v)));
  const e = Matrix.columnVector(rows.map((r) => r.rhs));
  if (risk.kind === 'factor' && free.every((i) => risk.D[i]! > 0)) {
    const k = risk.F.length;
    const inv = free.map((i) => 1 / (2 * gamma * risk.D[i]!));
    const BF = new Matrix(free.map((i) => [...risk.B[i]!]));
    const G = new Matrix(risk.F.map((r) => [...r])).mul(2 * gamma);
    // H = Dg + B G Bᵀ; H⁻¹v = Dg⁻¹v − Dg⁻¹ B (I + G M)⁻¹ G Bᵀ Dg⁻¹ v with M = Bᵀ Dg⁻¹ B.
    const Kl = k > 0 && f > 0 ? new LuDecomposition(Matrix.eye(k).add(G.mmul(BF.transpose().mmul(scaleRows(BF, inv))))) : undefined;
    if (Kl?.isSingular()) return { reason: 'singular factor system' };
    const hinv = (v: Matrix): Matrix => {
      const a = scaleRows(v, inv);
      return Kl ? a.sub(scaleRows(BF.mmul(Kl.solve(G.mmul(BF.transpose().mmul(a)))), inv)) : a;
    };
    const Hr = hinv(Matrix.columnVector([...rhsW]));
    if (m > 0) {
      const Y = hinv(C.transpose());
      const lam = solveSmall(C.mmul(Y), C.mmul(Hr).sub(e));
      if (!lam) return { reason: 'inconsistent constraints on the face' };
      lambda = Float64Array.from(lam.getColumn(0));
      wF = Float64Array.from(Hr.sub(Y.mmul(lam)).getColumn(0));
    } else {
      lambda = new Float64Array(0);
      wF = Float64Array.from(Hr.getColumn(0));
    }
  } else {
    if (f + m > 800) return { reason: `face too large for a dense solve (${f} free names)` };
    const K = new Matrix(f + m, f + m);
    const unit = new Float64Array(n);
    free.forEach((i, a) => {
      unit[i] = 1;
      const col = riskTimes(problem, unit);
      unit[i] = 0;
      free.forEach((j, b) => K.set(b, a, 2 * gamma * col[j]!));
    });
    rows.forEach((r, a) => r.coef.forEach((v, j) => { K.set(f + a, j, v); K.set(j, f + a, v); }));
    const sol = solveSmall(K, Matrix.columnVector([...rhsW, ...rows.map((r) => r.rhs)]));
    if (!sol) return { reason: 'singular face system' };
    const x = sol.getColumn(0);
    wF = Float64Array.from(x.slice(0, f));
    lambda = Float64Array.from(x.slice(f));
  }
  const w = Float64Array.from(wx);
  free.forEach((i, j) => { w[i] = wF[j]!; });
  return { w, lambda, rows };
}

/**
 * The KKT check of a face's solution: undefined when it holds; otherwise how to move the face (free
 * names that crossed a kink or a bound are fixed there; limits bind when exceeded and stop binding
 * when their multiplier has the wrong sign; fixed names whose gradient leaves their subdifferential
 * are freed in the direction it points), or `stop` when no move can help.
 */
function checkFace(problem: MvoProblem, mu: ArrayLike<number>, p: ArrayLike<number>, face: Face,
  w: Float64Array, lambda: Float64Array, rows: readonly Row[], before: Float64Array): Move | { stop: string } | undefined {
  const { n, lower: lo, upper: hi, tcost: tc } = problem;
  const { gamma } = problem.spec;
  const c = problem.spec.constraints ?? {};
  const pTol = 1e-10;
  const move: Move = { crossings: [], releases: [], reason: '' };
  const at = (kind: Row['kind']): number => { const r = rows.findIndex((x) => x.kind === kind); return r >= 0 ? lambda[r]! : 0; };
  const lg = at('gross');
  const lt = at('turnover');
  const Sw = riskTimes(problem, w);
  let scale = 1e-300;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(mu[i]!), tc[i]!, Math.abs(2 * gamma * Sw[i]!));
  scale = Math.max(scale, Math.abs(lg), Math.abs(lt));
  const dTol = 1e-8 * scale;

  for (let i = 0; i < n; i++) {
    if (!Number.isNaN(face.fixed[i]!)) continue;
    const from = before[i]!, to = w[i]!;
    const crossed: number[] = [];
    if (to > hi + pTol) crossed.push(hi);
    if (to < lo - pTol) crossed.push(lo);
    if (face.gross && face.s[i]! * to < -pTol) crossed.push(0);
    if ((tc[i]! > 0 || face.turnover) && face.d[i]! * (to - p[i]!) < -pTol) crossed.push(p[i]!);
    if (crossed.length === 0) continue;
    const first = crossed.reduce((a, b) => (Math.abs(b - from) < Math.abs(a - from) ? b : a));
    move.crossings.push({ i, at: first, t: to === from ? 0 : Math.max(0, (first - from) / (to - from)) });
  }
  let gross = 0, turnover = 0;
  for (let i = 0; i < n; i++) { gross += Math.abs(w[i]!); turnover += Math.abs(w[i]! - p[i]!); }
  if (c.gross !== undefined && !face.gross && gross > c.gross + pTol) move.gross = true;
  if (c.turnover !== undefined && !face.turnover && turnover > c.turnover + pTol) move.turnover = true;
  if (face.gross && lg < -dTol) move.gross = false;
  if (face.turnover && lt < -dTol) move.turnover = false;

  // Dual: ∇ = −μ + 2γΣw + Σ λₑaₑ must be cancelled by an element of each fixed name's subdifferential.
  for (let i = 0; i < n; i++) {
    const v = face.fixed[i]!;
    if (Number.isNaN(v)) continue;
    let g = -mu[i]! + 2 * gamma * Sw[i]!;
    rows.forEach((r, a) => { if (r.full) g += lambda[a]! * r.full[i]!; });
    let a = 0, b = 0;
    const kink = (weight: number, k: number): void => {
      if (weight === 0) return;
      if (v === k) { a -= weight; b += weight; } else { a += weight * Math.sign(v - k); b += weight * Math.sign(v - k); }
    };
    kink(tc[i]!, p[i]!);
    kink(lt, p[i]!);
    kink(lg, 0);
    if (v === hi) b = Infinity;
    if (v === lo) a = -Infinity;
    const dir = -g > b + dTol ? 1 : -g < a - dTol ? -1 : 0;
    if (dir !== 0) move.releases.push({ i, s: v === 0 ? dir : Math.sign(v), d: v === p[i] ? dir : Math.sign(v - p[i]!) });
  }
  if (move.crossings.length > 0 || move.releases.length > 0 || move.gross !== undefined || move.turnover !== undefined) {
    move.reason = `${move.crossings.length} names crossed a kink, ${move.releases.length} freed${move.gross !== undefined ? `; gross binds: ${move.gross}` : ''}${move.turnover !== undefined ? `; turnover binds: ${move.turnover}` : ''}`;
    return move;
  }
  const broken = problem.violation(w, p);
  if (broken.by > 1e-9) return { stop: `refined weights break ${broken.constraint} by ${broken.by}` };
  return undefined;
}

function scaleRows(M: Matrix, factors: readonly number[]): Matrix {
  const out = M.clone();
  for (let i = 0; i < out.rows; i++) for (let j = 0; j < out.columns; j++) out.set(i, j, out.get(i, j) * factors[i]!);
  return out;
}
