/** Small numeric helpers shared by operators. */

/** Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const pLow = 0.02425;
  let x: number;
  if (p < pLow) {
    const q = Math.sqrt(-2 * Math.log(p));
    x =
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else if (p <= 1 - pLow) {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
      (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x =
      -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  return x;
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
