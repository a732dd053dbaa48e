/** Small QPs that the OSQP binding's tests and their verbose-output fixture (run as a separate process) both solve. */
import { cscFromDense, type CscMatrix, type QpProblem } from '../../native/osqp/index.ts';

/** minimise (x0−1)² + (x1−2)² s.t. x0 + x1 ≤ u: the projection of (1, 2) onto a half-plane. */
export function halfPlane(u = 1): QpProblem {
  return {
    P: cscFromDense([
      [2, 0],
      [0, 2],
    ]),
    q: [-2, -4],
    A: cscFromDense([[1, 1]]),
    l: [-Infinity],
    u: [u],
  };
}

/** The constraint matrix of a problem in `n` variables with no constraints (m = 0). */
export const noConstraints = (n: number): CscMatrix => ({
  nrows: 0,
  ncols: n,
  colptr: new Array<number>(n + 1).fill(0),
  rowind: [],
  values: [],
});

/** minimise ½xᵀPx + qᵀx, P given dense, with no constraints. */
export function unconstrained(P: number[][], q: number[]): QpProblem {
  return { P: cscFromDense(P), q, A: noConstraints(q.length), l: [], u: [] };
}
