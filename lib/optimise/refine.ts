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

/** The problem's data as flat arrays, built once per problem (the refinement runs at every solve). */
interface Flat {
  /** B row-major (n×k), F (k×k), D (n); for the factor form only. */
  readonly B: Float64Array;
  readonly F: Float64Array;
  readonly D: Float64Array;
  readonly k: number;
  /** The rows of the equality constraints on w (dollar neutral or one per sector, beta). */
  readonly eqs: readonly Float64Array[];
}
const flats = new WeakMap<MvoProblem, Flat>();

function flat(problem: MvoProblem): Flat {
  let out = flats.get(problem);
  if (out) return out;
  const { risk } = problem.spec;
  const n = problem.n;
  const c = problem.spec.constraints ?? {};
  const eqs: Float64Array[] = [];
  if (c.dollarNeutral && !c.sectors) eqs.push(new Float64Array(n).fill(1));
  if (c.sectors) for (const sec of new Set(c.sectors)) eqs.push(Float64Array.from(c.sectors, (x) => (x === sec ? 1 : 0)));
  if (c.betas) eqs.push(Float64Array.from(c.betas));
  if (risk.kind === 'factor') {
    const k = risk.F.length;
    const B = new Float64Array(n * k);
    for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) B[i * k + j] = risk.B[i]![j]!;
    const F = new Float64Array(k * k);
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) F[a * k + b] = risk.F[a]![b]!;
    out = { B, F, D: Float64Array.from(risk.D), k, eqs };
  } else {
    out = { B: new Float64Array(0), F: new Float64Array(0), D: new Float64Array(0), k: 0, eqs };
  }
  flats.set(problem, out);
  return out;
}

/**
 * Σv for the problem's risk model, in O(nk) for the factor form; with `only`, just those entries are
 * computed (the others are left 0), each exactly as without it.
 */
function riskTimes(problem: MvoProblem, v: ArrayLike<number>, only?: readonly number[]): Float64Array {
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
  const { B, F, D, k } = flat(problem);
  const y = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const vi = v[i]!;
    if (vi === 0) continue;
    for (let j = 0, o = i * k; j < k; j++) y[j]! += B[o + j]! * vi;
  }
  const Fy = new Float64Array(k);
  for (let a = 0; a < k; a++) {
    let s = 0;
    for (let b = 0; b < k; b++) s += F[a * k + b]! * y[b]!;
    Fy[a] = s;
  }
  const count = only ? only.length : n;
  for (let a = 0; a < count; a++) {
    const i = only ? only[a]! : a;
    let s = D[i]! * v[i]!;
    for (let j = 0, o = i * k; j < k; j++) s += B[o + j]! * Fy[j]!;
    out[i] = s;
  }
  return out;
}

/**
 * The last M = Σ_free Bᵢ Bᵢᵀ / (2γDᵢ) of each problem and its free set. Successive faces differ in a few
 * names, so M is updated by the rank-one terms of the names that changed, and recomputed from scratch
 * when that would be no cheaper, or after n updates (to bound the rounding drift).
 */
const grams = new WeakMap<MvoProblem, { free: Uint8Array; M: Float64Array; updates: number }>();

function freeGram(problem: MvoProblem, free: readonly number[]): Float64Array {
  const { B, D, k } = flat(problem);
  const n = problem.n;
  const g2 = 2 * problem.spec.gamma;
  const mask = new Uint8Array(n);
  for (const i of free) mask[i] = 1;
  const add = (M: Float64Array, i: number, sign: number): void => {
    const o = i * k,
      d = sign / (g2 * D[i]!);
    for (let a = 0; a < k; a++) {
      const ba = B[o + a]! * d;
      for (let b = a; b < k; b++) M[a * k + b]! += ba * B[o + b]!;
    }
  };
  let cached = grams.get(problem);
  const changed: number[] = [];
  if (cached) for (let i = 0; i < n; i++) if (cached.free[i] !== mask[i]) changed.push(i);
  if (!cached || changed.length >= free.length || cached.updates + changed.length > n) {
    const M = new Float64Array(k * k);
    for (const i of free) add(M, i, 1);
    cached = { free: mask, M, updates: 0 };
  } else {
    for (const i of changed) add(cached.M, i, mask[i] ? 1 : -1);
    cached = { free: mask, M: cached.M, updates: cached.updates + changed.length };
  }
  grams.set(problem, cached);
  const M = cached.M.slice();
  for (let a = 0; a < k; a++) for (let b = 0; b < a; b++) M[a * k + b] = M[b * k + a]!;
  return M;
}

/**
 * [v₁ … v_c] ↦ [H⁻¹v₁ … H⁻¹v_c] for H = 2γ(B F Bᵀ + D) restricted to the free names (all with D > 0),
 * by Woodbury: H⁻¹v = Dg⁻¹v − Dg⁻¹ B (I + G M)⁻¹ G Bᵀ Dg⁻¹ v with Dg = 2γD, G = 2γF, M = Bᵀ Dg⁻¹ B.
 * O(f·k²) to set up (less when M is updated, see freeGram), O(f·k) a vector; undefined when I + G M
 * is singular.
 */
function woodbury(problem: MvoProblem, free: readonly number[]): ((vs: readonly Float64Array[]) => Float64Array[]) | undefined {
  const { B, F, D, k } = flat(problem);
  const g2 = 2 * problem.spec.gamma;
  const f = free.length;
  const inv = new Float64Array(f);
  for (let j = 0; j < f; j++) inv[j] = 1 / (g2 * D[free[j]!]!);
  if (k === 0 || f === 0) return (vs) => vs.map((v) => v.map((x, j) => x * inv[j]!));
  const M = freeGram(problem, free);
  const K = new Float64Array(k * k);
  for (let a = 0; a < k; a++) {
    K[a * k + a] = 1;
    for (let c = 0; c < k; c++) {
      const gac = g2 * F[a * k + c]!;
      if (gac === 0) continue;
      for (let b = 0; b < k; b++) K[a * k + b]! += gac * M[c * k + b]!;
    }
  }
  const lu = luFactor(K, k);
  if (!lu) return undefined;
  return (vs) =>
    vs.map((v) => {
      const a = new Float64Array(f);
      const z = new Float64Array(k);
      for (let j = 0; j < f; j++) {
        const aj = (a[j] = v[j]! * inv[j]!);
        if (aj === 0) continue;
        for (let c = 0, o = free[j]! * k; c < k; c++) z[c]! += B[o + c]! * aj;
      }
      const x = new Float64Array(k);
      for (let r = 0; r < k; r++) {
        let sum = 0;
        for (let c = 0; c < k; c++) sum += g2 * F[r * k + c]! * z[c]!;
        x[r] = sum;
      }
      luSolve(lu, x);
      for (let j = 0; j < f; j++) {
        let sum = 0;
        for (let c = 0, o = free[j]! * k; c < k; c++) sum += B[o + c]! * x[c]!;
        a[j]! -= inv[j]! * sum;
      }
      return a;
    });
}

interface Lu {
  readonly a: Float64Array;
  readonly piv: Int32Array;
  readonly k: number;
}

/** LU with partial pivoting of a k×k row-major matrix (k is the number of factors, small); undefined when singular. */
function luFactor(m: Float64Array, k: number): Lu | undefined {
  const a = m.slice();
  const piv = new Int32Array(k);
  let scale = 0;
  for (const v of a) scale = Math.max(scale, Math.abs(v));
  for (let c = 0; c < k; c++) {
    let p = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(a[r * k + c]!) > Math.abs(a[p * k + c]!)) p = r;
    piv[c] = p;
    if (!(Math.abs(a[p * k + c]!) > 1e-14 * scale)) return undefined;
    if (p !== c)
      for (let j = 0; j < k; j++) {
        const t = a[c * k + j]!;
        a[c * k + j] = a[p * k + j]!;
        a[p * k + j] = t;
      }
    const d = a[c * k + c]!;
    for (let r = c + 1; r < k; r++) {
      const l = (a[r * k + c]! /= d);
      if (l !== 0) for (let j = c + 1; j < k; j++) a[r * k + j]! -= l * a[c * k + j]!;
    }
  }
  return { a, piv, k };
}

/** Solves in place with a factorisation from luFactor. */
function luSolve({ a, piv, k }: Lu, x: Float64Array): void {
  // The rows were swapped whole while factorising, so all the swaps come before L.
  for (let c = 0; c < k; c++) {
    const p = piv[c]!;
    if (p !== c) {
      const t = x[c]!;
      x[c] = x[p]!;
      x[p] = t;
    }
  }
  for (let c = 0; c < k; c++) for (let r = c + 1; r < k; r++) x[r]! -= a[r * k + c]! * x[c]!;
  for (let c = k - 1; c >= 0; c--) {
    for (let j = c + 1; j < k; j++) x[c]! -= a[c * k + j]! * x[j]!;
    x[c]! /= a[c * k + c]!;
  }
}

/** x with A x = b, by LU, or by SVD (least squares) when A is singular; undefined when neither is accurate. */
function solveSmall(A: Matrix, b: Matrix): Matrix | undefined {
  // Every name fixed and no limit binding: nothing to solve (ml-matrix refuses empty matrices).
  if (A.rows === 0) return new Matrix(0, 1);
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

interface Row {
  coef: Float64Array;
  rhs: number;
  kind: 'eq' | 'gross' | 'turnover';
  full?: Float64Array;
}

export interface RefineOptions {
  /** Tolerances for guessing the face from the weights, tried in turn. Default 1e-6, 1e-5, 1e-7, 1e-4, 1e-8. */
  readonly tolerances?: readonly number[];
  /** Most changes of the face from each guess. Default 60. */
  readonly maxRounds?: number;
}

/** Tries each tolerance in turn; the first refinement that passes the KKT check wins. */
export function refineSolution(
  problem: MvoProblem,
  mu: ArrayLike<number>,
  wPrev: ArrayLike<number>,
  approx: ArrayLike<number>,
  options: RefineOptions = {},
): Refinement {
  if (!(problem.spec.gamma > 0)) return { certified: false, reason: 'γ = 0: no quadratic term to refine on' };
  for (let i = 0; i < problem.n; i++) if (!Number.isFinite(approx[i])) return { certified: false, reason: 'no approximate solution' };
  let last = '';
  for (const tol of options.tolerances ?? TOLERANCES) {
    const r = refineFrom(problem, mu, wPrev, approx, tol, options.maxRounds ?? MAX_ROUNDS);
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
interface Face {
  fixed: Float64Array;
  s: Float64Array;
  d: Float64Array;
  gross: boolean;
  turnover: boolean;
}

function refineFrom(
  problem: MvoProblem,
  mu: ArrayLike<number>,
  p: ArrayLike<number>,
  w0: ArrayLike<number>,
  tol: number,
  maxRounds: number,
): Refinement {
  const { n, lower: lo, upper: hi, tcost: tc } = problem;
  const c = problem.spec.constraints ?? {};
  let gross0 = 0,
    turn0 = 0;
  for (let i = 0; i < n; i++) {
    gross0 += Math.abs(w0[i]!);
    turn0 += Math.abs(w0[i]! - p[i]!);
  }
  let face: Face = {
    fixed: new Float64Array(n).fill(NaN),
    s: Float64Array.from({ length: n }, (_, i) => Math.sign(w0[i]!)),
    d: Float64Array.from({ length: n }, (_, i) => Math.sign(w0[i]! - p[i]!)),
    gross: c.gross !== undefined && gross0 > c.gross - tol * Math.max(1, c.gross),
    turnover: c.turnover !== undefined && turn0 > c.turnover - tol * Math.max(1, c.turnover),
  };
  for (let i = 0; i < n; i++) {
    const v = w0[i]!;
    let best = NaN,
      dist = tol;
    for (let kink = 0; kink < 4; kink++) {
      const k = kink === 0 ? lo : kink === 1 ? hi : kink === 2 ? (tc[i]! > 0 || face.turnover ? p[i]! : NaN) : face.gross ? 0 : NaN;
      if (Number.isFinite(k) && Math.abs(v - k) <= dist) {
        best = k;
        dist = Math.abs(v - k);
      }
    }
    face.fixed[i] = best;
  }
  let reason = '';
  let previous: Float64Array = Float64Array.from({ length: n }, (_, i) => w0[i]!);
  // After fixing several names at once made the face inconsistent, go back and fix only the first.
  let retry: { face: Face; move: Move; previous: Float64Array } | undefined;
  for (let round = 0; round < maxRounds; round++) {
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
  return { certified: false, reason: `no certified face after ${maxRounds} rounds (last: ${reason})` };
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
  const crossings = firstOnly
    ? move.crossings.reduce<Move['crossings']>((a, c) => (a.length === 0 || c.t < a[0]!.t ? [c] : a), [])
    : move.crossings;
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
function solveFace(
  problem: MvoProblem,
  mu: ArrayLike<number>,
  p: ArrayLike<number>,
  face: Face,
): { w: Float64Array; lambda: Float64Array; rows: Row[] } | { reason: string } {
  const { n, tcost: tc } = problem;
  const { gamma, risk } = problem.spec;
  const c = problem.spec.constraints ?? {};
  const free: number[] = [];
  const wx = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = face.fixed[i]!;
    if (Number.isNaN(v)) free.push(i);
    else wx[i] = v;
  }
  const f = free.length;
  const pick = (a: ArrayLike<number>): Float64Array => {
    const out = new Float64Array(f);
    for (let j = 0; j < f; j++) out[j] = a[free[j]!]!;
    return out;
  };

  const rows: Row[] = flat(problem).eqs.map((a) => {
    let rhs = 0;
    for (let i = 0; i < n; i++) rhs -= a[i]! * wx[i]!;
    return { coef: pick(a), rhs, kind: 'eq', full: a };
  });
  if (face.gross) {
    let used = 0;
    for (let i = 0; i < n; i++) used += Math.abs(wx[i]!);
    rows.push({ coef: pick(face.s), rhs: c.gross! - used, kind: 'gross' });
  }
  if (face.turnover) {
    let used = 0;
    for (let i = 0; i < n; i++) if (!Number.isNaN(face.fixed[i]!)) used += Math.abs(wx[i]! - p[i]!);
    rows.push({ coef: pick(face.d), rhs: c.turnover! - used + free.reduce((a, i) => a + face.d[i]! * p[i]!, 0), kind: 'turnover' });
  }
  const m = rows.length;
  const Sx = riskTimes(problem, wx, risk.kind === 'factor' ? free : undefined);
  const rhsW = new Float64Array(f);
  for (let j = 0; j < f; j++) {
    const i = free[j]!;
    rhsW[j] = mu[i]! - (tc[i]! > 0 ? tc[i]! * face.d[i]! : 0) - 2 * gamma * Sx[i]!;
  }

  let wF: Float64Array, lambda: Float64Array;
  let positiveD = risk.kind === 'factor';
  if (risk.kind === 'factor') for (let j = 0; j < f && positiveD; j++) positiveD = risk.D[free[j]!]! > 0;
  if (positiveD) {
    const hinv = woodbury(problem, free);
    if (!hinv) return { reason: 'singular factor system' };
    const [Hr, ...Y] = hinv([rhsW, ...rows.map((r) => r.coef)]) as [Float64Array, ...Float64Array[]];
    if (m > 0) {
      const S = new Matrix(m, m);
      const t = new Matrix(m, 1);
      for (let a = 0; a < m; a++) {
        const ca = rows[a]!.coef;
        let sr = 0;
        for (let j = 0; j < f; j++) sr += ca[j]! * Hr[j]!;
        t.set(a, 0, sr - rows[a]!.rhs);
        for (let b = 0; b < m; b++) {
          const yb = Y[b]!;
          let sab = 0;
          for (let j = 0; j < f; j++) sab += ca[j]! * yb[j]!;
          S.set(a, b, sab);
        }
      }
      const lam = solveSmall(S, t);
      if (!lam) return { reason: 'inconsistent constraints on the face' };
      lambda = Float64Array.from(lam.getColumn(0));
      wF = Hr;
      for (let b = 0; b < m; b++) {
        const yb = Y[b]!,
          lb = lambda[b]!;
        for (let j = 0; j < f; j++) wF[j]! -= yb[j]! * lb;
      }
    } else {
      lambda = new Float64Array(0);
      wF = Hr;
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
    rows.forEach((r, a) =>
      r.coef.forEach((v, j) => {
        K.set(f + a, j, v);
        K.set(j, f + a, v);
      }),
    );
    const sol = solveSmall(K, Matrix.columnVector([...rhsW, ...rows.map((r) => r.rhs)]));
    if (!sol) return { reason: 'singular face system' };
    const x = sol.getColumn(0);
    wF = Float64Array.from(x.slice(0, f));
    lambda = Float64Array.from(x.slice(f));
  }
  const w = wx;
  for (let j = 0; j < f; j++) w[free[j]!] = wF[j]!;
  return { w, lambda, rows };
}

/**
 * The KKT check of a face's solution: undefined when it holds; otherwise how to move the face (free
 * names that crossed a kink or a bound are fixed there; limits bind when exceeded and stop binding
 * when their multiplier has the wrong sign; fixed names whose gradient leaves their subdifferential
 * are freed in the direction it points), or `stop` when no move can help.
 */
function checkFace(
  problem: MvoProblem,
  mu: ArrayLike<number>,
  p: ArrayLike<number>,
  face: Face,
  w: Float64Array,
  lambda: Float64Array,
  rows: readonly Row[],
  before: Float64Array,
): Move | { stop: string } | undefined {
  const { n, lower: lo, upper: hi, tcost: tc } = problem;
  const { gamma } = problem.spec;
  const c = problem.spec.constraints ?? {};
  const pTol = 1e-10;
  const move: Move = { crossings: [], releases: [], reason: '' };
  const at = (kind: Row['kind']): number => {
    const r = rows.findIndex((x) => x.kind === kind);
    return r >= 0 ? lambda[r]! : 0;
  };
  const lg = at('gross');
  const lt = at('turnover');
  const Sw = riskTimes(problem, w);
  let scale = 1e-300;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(mu[i]!), tc[i]!, Math.abs(2 * gamma * Sw[i]!));
  scale = Math.max(scale, Math.abs(lg), Math.abs(lt));
  const dTol = 1e-8 * scale;

  for (let i = 0; i < n; i++) {
    if (!Number.isNaN(face.fixed[i]!)) continue;
    const from = before[i]!,
      to = w[i]!;
    const crossed: number[] = [];
    if (to > hi + pTol) crossed.push(hi);
    if (to < lo - pTol) crossed.push(lo);
    if (face.gross && face.s[i]! * to < -pTol) crossed.push(0);
    if ((tc[i]! > 0 || face.turnover) && face.d[i]! * (to - p[i]!) < -pTol) crossed.push(p[i]!);
    if (crossed.length === 0) continue;
    const first = crossed.reduce((a, b) => (Math.abs(b - from) < Math.abs(a - from) ? b : a));
    move.crossings.push({ i, at: first, t: to === from ? 0 : Math.max(0, (first - from) / (to - from)) });
  }
  let gross = 0,
    turnover = 0;
  for (let i = 0; i < n; i++) {
    gross += Math.abs(w[i]!);
    turnover += Math.abs(w[i]! - p[i]!);
  }
  if (c.gross !== undefined && !face.gross && gross > c.gross + pTol) move.gross = true;
  if (c.turnover !== undefined && !face.turnover && turnover > c.turnover + pTol) move.turnover = true;
  if (face.gross && lg < -dTol) move.gross = false;
  if (face.turnover && lt < -dTol) move.turnover = false;

  // Dual: ∇ = −μ + 2γΣw + Σ λₑaₑ must be cancelled by an element of each fixed name's subdifferential.
  const eqRows = rows.flatMap((r, a) => (r.full ? [{ full: r.full, lambda: lambda[a]! }] : []));
  for (let i = 0; i < n; i++) {
    const v = face.fixed[i]!;
    if (Number.isNaN(v)) continue;
    let g = -mu[i]! + 2 * gamma * Sw[i]!;
    for (const r of eqRows) g += r.lambda * r.full[i]!;
    // [a, b]: the subdifferential at v of the kinks tc·|w − p| + lt·|w − p| + lg·|w|, widened at a bound.
    let a = 0,
      b = 0;
    for (let kink = 0; kink < 3; kink++) {
      const weight = kink === 0 ? tc[i]! : kink === 1 ? lt : lg;
      const at = kink === 2 ? 0 : p[i]!;
      if (weight === 0) continue;
      if (v === at) {
        a -= weight;
        b += weight;
      } else {
        a += weight * Math.sign(v - at);
        b += weight * Math.sign(v - at);
      }
    }
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
