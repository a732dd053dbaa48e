/**
 * Mean-variance portfolio construction as an OSQP problem (minimise ½xᵀPx + qᵀx s.t. l ≤ Ax ≤ u):
 *
 *   maximise μᵀw − γ·wᵀΣw − Σᵢ cᵢ·|wᵢ − w_prevᵢ|
 *   subject to Σw = 0 (dollar neutral), Σ|w| ≤ L (gross), lo ≤ wᵢ ≤ hi, Σ|w − w_prev| ≤ T (turnover),
 *              Σ_{i∈s} wᵢ = 0 for each sector s, βᵀw = 0, w ≥ 0 (long only) — each optional.
 *
 * Variables x = [w (n) | y (k, factor risk only) | t (n, gross when not long-only) | u (n, turnover or
 * costs)]. With a factor model the risk is yᵀFy + wᵀDw with the rows Bᵀw − y = 0, so P is
 * block-diagonal (2γD on w, 2γF on y) and A has O(nk) entries; t ≥ |w| and u ≥ |w − w_prev| are two
 * rows each. P and A depend only on γ, Σ and the constraint set; μ enters q and w_prev enters l/u of
 * the u rows, so successive rebalances of one universe reuse one factorised solver (see optimizer.ts).
 */
import type { CscMatrix } from '../../native/osqp/index.ts';
import { portfolioVariance, riskSize, type RiskModel } from './factor-model.ts';

export interface MvoConstraints {
  /** Σw = 0. */
  dollarNeutral?: boolean | undefined;
  /** Σ|w| ≤ gross. */
  gross?: number | undefined;
  /** wᵢ ≤ maxWeight. */
  maxWeight?: number | undefined;
  /** wᵢ ≥ minWeight. */
  minWeight?: number | undefined;
  /** Σ|w − w_prev| ≤ turnover. */
  turnover?: number | undefined;
  /** wᵢ ≥ 0; a negative minWeight is raised to 0. */
  longOnly?: boolean | undefined;
  /** Sector of each name: with them, every sector is neutral (Σ_{i∈s} wᵢ = 0). */
  sectors?: readonly string[] | undefined;
  /** Beta of each name: with them, βᵀw = 0. */
  betas?: readonly number[] | undefined;
}

export interface MvoSpec {
  /** Risk aversion γ ≥ 0. */
  gamma: number;
  risk: RiskModel;
  /** Cost per unit of weight traded (0.0005 = 5 bps), one for every name or one per name. */
  tcost?: number | readonly number[] | undefined;
  constraints?: MvoConstraints | undefined;
}

/** The parts of q, l and u that change between rebalances. */
export interface MvoVectors {
  q: Float64Array;
  l: Float64Array;
  u: Float64Array;
}

/**
 * Entries of a sparse matrix as (row, col, value) triplets in typed arrays, turned into CSC by one
 * counting sort on the column. The sort is stable, so entries added in increasing row order within
 * each column stay sorted. Zeros are dropped.
 */
class Triplets {
  #rows: Int32Array;
  #cols: Int32Array;
  #values: Float64Array;
  #nnz = 0;
  constructor(capacity: number) {
    const c = Math.max(16, capacity);
    this.#rows = new Int32Array(c);
    this.#cols = new Int32Array(c);
    this.#values = new Float64Array(c);
  }
  add(row: number, col: number, value: number): void {
    if (value === 0) return;
    if (this.#nnz === this.#rows.length) {
      const grow = <TArray extends Int32Array | Float64Array>(a: TArray, b: TArray): TArray => {
        b.set(a);
        return b;
      };
      const c = 2 * this.#rows.length;
      this.#rows = grow(this.#rows, new Int32Array(c));
      this.#cols = grow(this.#cols, new Int32Array(c));
      this.#values = grow(this.#values, new Float64Array(c));
    }
    this.#rows[this.#nnz] = row;
    this.#cols[this.#nnz] = col;
    this.#values[this.#nnz] = value;
    this.#nnz++;
  }
  build(nrows: number, ncols: number): CscMatrix {
    const nnz = this.#nnz;
    const cols = this.#cols;
    const colptr = new Int32Array(ncols + 1);
    for (let e = 0; e < nnz; e++) colptr[cols[e]! + 1]!++;
    for (let j = 0; j < ncols; j++) colptr[j + 1]! += colptr[j]!;
    const next = colptr.slice(0, ncols);
    const rowind = new Int32Array(nnz);
    const values = new Float64Array(nnz);
    for (let e = 0; e < nnz; e++) {
      const at = next[cols[e]!]!++;
      rowind[at] = this.#rows[e]!;
      values[at] = this.#values[e]!;
    }
    return { nrows, ncols, colptr, rowind, values };
  }
}

/** Consecutive rows of A that share a label, named on demand (only error messages need the names). */
interface RowGroup {
  readonly start: number;
  readonly count: number;
  readonly name: (i: number) => string;
}

export class MvoProblem {
  readonly n: number;
  /** Offsets of each block of variables in x; -1 when the block is absent. */
  readonly offsets: { readonly w: 0; readonly y: number; readonly t: number; readonly u: number };
  readonly nvars: number;
  readonly P: CscMatrix;
  readonly A: CscMatrix;
  /** Per-name trading cost. */
  readonly tcost: Float64Array;
  /** Bounds on each wᵢ after long-only is applied. */
  readonly lower: number;
  readonly upper: number;
  readonly #l: Float64Array;
  readonly #u: Float64Array;
  /** First of the 2n rows u ± w ≥ ±w_prev (−1 when absent). */
  readonly #changeRows: number;
  /** The rows of A in labelled groups; see rowName. */
  readonly #groups: readonly RowGroup[];

  constructor(readonly spec: MvoSpec) {
    const { gamma, risk } = spec;
    const c = spec.constraints ?? {};
    const n = riskSize(risk);
    this.n = n;
    if (!(gamma >= 0) || !Number.isFinite(gamma)) throw new RangeError(`gamma is ${gamma}: expected a finite number >= 0`);
    if (risk.kind === 'factor' && (risk.B.length !== n || risk.B.some((r) => r.length !== risk.F.length))) {
      throw new RangeError(`risk.B must be ${n}×${risk.F.length}`);
    }
    const k = risk.kind === 'factor' ? risk.F.length : 0;
    const tc = spec.tcost ?? 0;
    this.tcost = typeof tc === 'number' ? new Float64Array(n).fill(tc) : Float64Array.from(tc);
    if (this.tcost.length !== n) throw new RangeError(`tcost has ${this.tcost.length} entries, expected ${n}`);
    if (c.sectors && c.sectors.length !== n) throw new RangeError(`sectors has ${c.sectors.length} entries, expected ${n}`);
    if (c.betas && c.betas.length !== n) throw new RangeError(`betas has ${c.betas.length} entries, expected ${n}`);

    const hasGross = c.gross !== undefined && Number.isFinite(c.gross);
    const needT = hasGross && !c.longOnly;
    const needU = c.turnover !== undefined || this.tcost.some((x) => x !== 0);
    let next = n;
    const y = k > 0 ? next : -1;
    next += k;
    const t = needT ? next : -1;
    next += needT ? n : 0;
    const u = needU ? next : -1;
    next += needU ? n : 0;
    this.offsets = { w: 0, y, t, u };
    this.nvars = next;
    this.lower = c.longOnly ? Math.max(0, c.minWeight ?? 0) : (c.minWeight ?? -Infinity);
    this.upper = c.maxWeight ?? Infinity;

    // P: upper triangle of blockdiag(2γΣ or 2γD, 2γF, 0, 0), added column by column.
    const P = new Triplets(risk.kind === 'dense' ? (n * (n + 1)) / 2 : n + (k * (k + 1)) / 2);
    if (risk.kind === 'dense') {
      for (let j = 0; j < n; j++) for (let i = 0; i <= j; i++) P.add(i, j, gamma * (risk.sigma[i]![j]! + risk.sigma[j]![i]!));
    } else {
      for (let i = 0; i < n; i++) P.add(i, i, 2 * gamma * risk.D[i]!);
      for (let j = 0; j < k; j++) for (let i = 0; i <= j; i++) P.add(y + i, y + j, gamma * (risk.F[i]![j]! + risk.F[j]![i]!));
    }
    this.P = P.build(next, next);

    // A, row by row (so entries land in increasing row order in each column).
    const A = new Triplets(n * (k + 10) + k);
    const l: number[] = [];
    const uu: number[] = [];
    const groups: RowGroup[] = [];
    /** Appends `count` rows with bounds lo..hi (hi may differ per row), labelled name(i), whose entries `fill(i, r)` adds to row r. */
    const rows = (
      count: number,
      lo: number,
      hi: number | ((i: number) => number),
      name: (i: number) => string,
      fill: (i: number, r: number) => void,
    ): number => {
      const start = l.length;
      for (let i = 0; i < count; i++) {
        fill(i, start + i);
        l.push(lo);
        uu.push(typeof hi === 'number' ? hi : hi(i));
      }
      groups.push({ start, count, name });
      return start;
    };
    const all =
      (col0: number, coef: (i: number) => number) =>
      (_: number, r: number): void => {
        for (let i = 0; i < n; i++) A.add(r, col0 + i, coef(i));
      };
    const one = (): number => 1;
    if (risk.kind === 'factor') {
      const B = risk.B;
      rows(
        k,
        0,
        0,
        (j) => `factor ${j}`,
        (j, r) => {
          for (let i = 0; i < n; i++) A.add(r, i, B[i]![j]!);
          A.add(r, y + j, -1);
        },
      );
    }
    // Neutral sectors covering every name already make the book dollar neutral: a duplicate row
    // would make the active set of the polish step degenerate.
    if (c.dollarNeutral && !c.sectors) rows(1, 0, 0, () => 'dollar neutral', all(0, one));
    if (c.sectors) {
      const sectors = c.sectors;
      for (const s of [...new Set(sectors)])
        rows(
          1,
          0,
          0,
          () => `sector ${s} neutral`,
          all(0, (i) => (sectors[i] === s ? 1 : 0)),
        );
    }
    if (c.betas) {
      const betas = c.betas;
      rows(
        1,
        0,
        0,
        () => 'beta neutral',
        all(0, (i) => betas[i]!),
      );
    }
    // With t ≥ |w| in the problem and bounds around 0, the bounds ride on the t rows: t − w ≤ −2·lower
    // and t + w ≤ 2·upper, with t ≥ |w|, allow exactly lower ≤ w ≤ upper (t = |w| meets them, a larger
    // t only tightens them). n rows fewer for OSQP to factorise and iterate on.
    const boundsOnT = needT && this.lower <= 0 && this.upper >= 0;
    if (!boundsOnT && (Number.isFinite(this.lower) || Number.isFinite(this.upper))) {
      rows(
        n,
        this.lower,
        this.upper,
        (i) => `bounds of w[${i}]`,
        (i, r) => A.add(r, i, 1),
      );
    }
    if (hasGross && c.longOnly) rows(1, -Infinity, c.gross!, () => 'gross', all(0, one));
    if (needT) {
      // Two rows per name: t[i] >= w[i] (even), t[i] >= -w[i] (odd); with boundsOnT, also the bounds.
      const hi = boundsOnT ? (r: number): number => (r % 2 === 0 ? -2 * this.lower : 2 * this.upper) : Infinity;
      const name = boundsOnT
        ? (r: number): string =>
            r % 2 === 0
              ? `t[${r >> 1}] >= w[${r >> 1}] and w[${r >> 1}] >= ${this.lower}`
              : `t[${r >> 1}] >= -w[${r >> 1}] and w[${r >> 1}] <= ${this.upper}`
        : (r: number): string => (r % 2 === 0 ? `t[${r >> 1}] >= w[${r >> 1}]` : `t[${r >> 1}] >= -w[${r >> 1}]`);
      rows(2 * n, 0, hi, name, (r, row) => {
        A.add(row, r >> 1, r % 2 === 0 ? -1 : 1);
        A.add(row, t + (r >> 1), 1);
      });
      rows(1, -Infinity, c.gross!, () => 'gross', all(t, one));
    }
    this.#changeRows = -1;
    if (needU) {
      this.#changeRows = rows(
        2 * n,
        0,
        Infinity,
        (r) => (r % 2 === 0 ? `u[${r >> 1}] >= w[${r >> 1}] - w_prev[${r >> 1}]` : `u[${r >> 1}] >= w_prev[${r >> 1}] - w[${r >> 1}]`),
        (r, row) => {
          A.add(row, r >> 1, r % 2 === 0 ? -1 : 1);
          A.add(row, u + (r >> 1), 1);
        },
      );
      if (c.turnover !== undefined) rows(1, -Infinity, c.turnover, () => 'turnover', all(u, one));
    }
    this.A = A.build(l.length, next);
    this.#l = Float64Array.from(l);
    this.#u = Float64Array.from(uu);
    this.#groups = groups;
  }

  /** The label of row r of A, for error messages. */
  rowName(r: number): string {
    const g = this.#groups.find((x) => r >= x.start && r < x.start + x.count);
    return g ? g.name(r - g.start) : `row ${r}`;
  }

  /** q, l and u for expected returns μ and current weights w_prev. */
  vectors(mu: ArrayLike<number>, wPrev: ArrayLike<number>): MvoVectors {
    const q = new Float64Array(this.nvars);
    for (let i = 0; i < this.n; i++) q[i] = -mu[i]!;
    const l = this.#l.slice();
    if (this.offsets.u >= 0) {
      for (let i = 0; i < this.n; i++) {
        q[this.offsets.u + i] = this.tcost[i]!;
        l[this.#changeRows + 2 * i] = -wPrev[i]!;
        l[this.#changeRows + 2 * i + 1] = wPrev[i]!;
      }
    }
    return { q, l, u: this.#u.slice() };
  }

  /**
   * The point x of OSQP's variables that stands for weights w when the book holds w_prev: the factor
   * exposures y = Bᵀw, t = |w| and u = |w − w_prev|, so a warm start from a previous solution stays
   * consistent when w_prev moves.
   */
  primal(w: ArrayLike<number>, wPrev: ArrayLike<number>): Float64Array {
    const x = new Float64Array(this.nvars);
    const { y, t, u } = this.offsets;
    const risk = this.spec.risk;
    for (let i = 0; i < this.n; i++) {
      const wi = w[i]!;
      x[i] = wi;
      if (t >= 0) x[t + i] = Math.abs(wi);
      if (u >= 0) x[u + i] = Math.abs(wi - wPrev[i]!);
      if (y >= 0 && risk.kind === 'factor') {
        const row = risk.B[i]!;
        for (let j = 0; j < row.length; j++) x[y + j]! += row[j]! * wi;
      }
    }
    return x;
  }

  /** μᵀw − γ·wᵀΣw − Σ cᵢ|wᵢ − w_prevᵢ|, evaluated exactly at w (not from the auxiliary variables). */
  objective(mu: ArrayLike<number>, wPrev: ArrayLike<number>, w: ArrayLike<number>): number {
    let alpha = 0;
    let cost = 0;
    for (let i = 0; i < this.n; i++) {
      alpha += mu[i]! * w[i]!;
      cost += this.tcost[i]! * Math.abs(w[i]! - wPrev[i]!);
    }
    return alpha - this.spec.gamma * portfolioVariance(this.spec.risk, w) - cost;
  }

  /** The constraint that w breaks the most, and by how much (0 when all hold). */
  violation(w: ArrayLike<number>, wPrev: ArrayLike<number>): { constraint: string; by: number } {
    const c = this.spec.constraints ?? {};
    let sum = 0,
      gross = 0,
      turnover = 0,
      beta = 0;
    const sectors = new Map<string, number>();
    // The worst bound of a single name, labelled only at the end (n labels would cost more than the checks).
    let boundBy = 0,
      boundAt = -1,
      boundUpper = false;
    const { lower, upper } = this;
    for (let i = 0; i < this.n; i++) {
      const wi = w[i]!;
      if (!Number.isFinite(wi)) return { constraint: `w[${i}] is ${wi}`, by: Infinity };
      sum += wi;
      gross += Math.abs(wi);
      turnover += Math.abs(wi - wPrev[i]!);
      if (c.betas) beta += c.betas[i]! * wi;
      if (c.sectors) sectors.set(c.sectors[i]!, (sectors.get(c.sectors[i]!) ?? 0) + wi);
      if (lower - wi > boundBy) {
        boundBy = lower - wi;
        boundAt = i;
        boundUpper = false;
      }
      if (wi - upper > boundBy) {
        boundBy = wi - upper;
        boundAt = i;
        boundUpper = true;
      }
    }
    let worst =
      boundAt < 0
        ? { constraint: '', by: 0 }
        : { constraint: boundUpper ? `w[${boundAt}] <= ${upper}` : `w[${boundAt}] >= ${lower}`, by: boundBy };
    const check = (constraint: string, by: number): void => {
      if (by > worst.by) worst = { constraint, by };
    };
    if (c.dollarNeutral) check('dollar neutral', Math.abs(sum));
    if (c.gross !== undefined) check('gross', gross - c.gross);
    if (c.turnover !== undefined) check('turnover', turnover - c.turnover);
    if (c.betas) check('beta neutral', Math.abs(beta));
    for (const [s, v] of sectors) check(`sector ${s} neutral`, Math.abs(v));
    return worst;
  }
}
