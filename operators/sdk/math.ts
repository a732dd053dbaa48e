/** Small numeric helpers shared by operators. */

// Acklam's coefficients, once per module: the function runs for every rank of every column, and
// array literals inside it were allocated on each call. Same doubles, same expressions.
const A0 = -39.69683028665376,
  A1 = 220.9460984245205,
  A2 = -275.9285104469687,
  A3 = 138.357751867269,
  A4 = -30.66479806614716,
  A5 = 2.506628277459239;
const B0 = -54.47609879822406,
  B1 = 161.5858368580409,
  B2 = -155.6989798598866,
  B3 = 66.80131188771972,
  B4 = -13.28068155288572;
const C0 = -0.007784894002430293,
  C1 = -0.3223964580411365,
  C2 = -2.400758277161838,
  C3 = -2.549732539343734,
  C4 = 4.374664141464968,
  C5 = 2.938163982698783;
const D0 = 0.007784695709041462,
  D1 = 0.3224671290700398,
  D2 = 2.445134137142996,
  D3 = 3.754408661907416;
const P_LOW = 0.02425;

/** Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  if (p < P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((C0 * q + C1) * q + C2) * q + C3) * q + C4) * q + C5) / ((((D0 * q + D1) * q + D2) * q + D3) * q + 1);
  }
  if (p <= 1 - P_LOW) {
    const q = p - 0.5;
    const r = q * q;
    return ((((((A0 * r + A1) * r + A2) * r + A3) * r + A4) * r + A5) * q) / (((((B0 * r + B1) * r + B2) * r + B3) * r + B4) * r + 1);
  }
  const q = Math.sqrt(-2 * Math.log(1 - p));
  return -(((((C0 * q + C1) * q + C2) * q + C3) * q + C4) * q + C5) / ((((D0 * q + D1) * q + D2) * q + D3) * q + 1);
}

/** Fixed-capacity ring of numbers with O(1) push and running sums. */
export class RollingWindow {
  private readonly buf: Float64Array;
  private start = 0;
  private count = 0;
  sum = 0;
  sumSq = 0;

  constructor(readonly capacity: number) {
    this.buf = new Float64Array(capacity);
  }

  push(x: number): void {
    if (this.count === this.capacity) {
      const old = this.buf[this.start]!;
      this.sum -= old;
      this.sumSq -= old * old;
      this.buf[this.start] = x;
      // start < capacity and start + count < 2 * capacity: a compare instead of a modulo.
      const next = this.start + 1;
      this.start = next === this.capacity ? 0 : next;
    } else {
      const at = this.start + this.count;
      this.buf[at >= this.capacity ? at - this.capacity : at] = x;
      this.count++;
    }
    this.sum += x;
    this.sumSq += x * x;
  }

  get size(): number {
    return this.count;
  }
  get full(): boolean {
    return this.count === this.capacity;
  }

  /** The value pushed `lag` pushes ago (0 = latest). */
  back(lag: number): number {
    if (lag >= this.count) return NaN;
    const at = this.start + this.count - 1 - lag;
    if (lag >= 0) return this.buf[at >= this.capacity ? at - this.capacity : at]!;
    return this.buf[at % this.capacity]!;
  }

  mean(): number {
    return this.count === 0 ? NaN : this.sum / this.count;
  }

  std(): number {
    if (this.count < 2) return NaN;
    const m = this.sum / this.count;
    return Math.sqrt(Math.max(0, (this.sumSq - this.count * m * m) / (this.count - 1)));
  }
}
