/**
 * Rows of numbers sorted by their first column, stably (rows with equal keys keep the order they were
 * added in), without holding them all: they are gathered in runs of `runRows`, each run sorted and
 * spilled to one file, and the runs merged as the sorted rows are read. For a day of rows too large
 * for memory that arrives almost in time order (`alpha itch convert` of a file whose clock steps
 * back). Memory: one run, then one read buffer per run while merging (`mergeBytes` in all).
 *
 * @example
 * const sort = new ExternalSort('out/.rows.spill', 2); // columns: key, value
 * sort.add([new Float64Array([3, 1, 3]), new Float64Array([30, 10, 31])], 3);
 * for (const b of sort.blocks(65536)) b.cols; // [[1, 3, 3], [10, 30, 31]], b.n = 3
 * sort.remove();
 */
import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';

/** Read buffers of all runs together while merging (each at least 256 rows, at most 65,536). */
const MERGE_BYTES = 32 << 20;

/** A block of sorted rows: `n` rows in every column of `cols` (each at least `n` long). */
export interface RowBlock {
  readonly cols: readonly Float64Array[];
  readonly n: number;
}

interface Run {
  /** Byte offset of its first column in the spill file; column c follows at c × rows × 8. */
  readonly offset: number;
  readonly rows: number;
}

export class ExternalSort {
  private run: Float64Array[];
  private filled = 0;
  private readonly runs: Run[] = [];
  private fd: number | undefined;
  private spilled = 0;
  private count = 0;

  /** `file`: where runs spill (created when the first run is full; removed by remove()). */
  constructor(
    private readonly file: string,
    private readonly width: number,
    private readonly runRows = 1 << 20,
    private readonly mergeBytes = MERGE_BYTES,
  ) {
    this.run = Array.from({ length: width }, () => new Float64Array(runRows));
  }

  /** Rows added so far. */
  get rows(): number {
    return this.count;
  }

  /** Appends rows 0 … n−1 of `cols` (one array per column, `width` of them). */
  add(cols: readonly Float64Array[], n: number): void {
    for (let from = 0; from < n; ) {
      const take = Math.min(n - from, this.runRows - this.filled);
      for (let c = 0; c < this.width; c++) this.run[c]!.set(cols[c]!.subarray(from, from + take), this.filled);
      this.filled += take;
      from += take;
      this.count += take;
      if (this.filled === this.runRows) this.spill();
    }
  }

  /**
   * Every row added, in key order (stable), as blocks of `blockRows` rows (the last may hold fewer);
   * each block is new. Adding more rows meanwhile is an error.
   */
  *blocks(blockRows: number): Generator<RowBlock> {
    if (this.runs.length === 0) {
      // Everything fit in one run: sorted where it is.
      const n = this.filled;
      sortRun(this.run, n);
      for (let at = 0; at < n; at += blockRows) {
        const m = Math.min(blockRows, n - at);
        yield { cols: this.run.map((col) => col.slice(at, at + m)), n: m };
      }
      return;
    }
    if (this.filled > 0) this.spill();
    this.run = [];
    yield* this.merge(blockRows);
  }

  /** Removes the spill file. */
  remove(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.file, { force: true });
  }

  private spill(): void {
    sortRun(this.run, this.filled);
    this.fd ??= openSync(this.file, 'wx+');
    const offset = this.spilled;
    for (const col of this.run) {
      const bytes = new Uint8Array(col.buffer, col.byteOffset, this.filled * 8);
      for (let at = 0; at < bytes.length; ) at += writeSync(this.fd, bytes, at, bytes.length - at, this.spilled + at);
      this.spilled += bytes.length;
    }
    this.runs.push({ offset, rows: this.filled });
    this.filled = 0;
  }

  /** k-way merge of the spilled runs: a heap of runs by (key of its next row, run number). */
  private *merge(blockRows: number): Generator<RowBlock> {
    const w = this.width;
    const k = this.runs.length;
    const per = Math.max(256, Math.min(65_536, Math.floor(this.mergeBytes / (k * w * 8))));
    const bufs = this.runs.map(() => Array.from({ length: w }, () => new Float64Array(per)));
    const next = new Float64Array(k); // index in its run of the row at the buffer's start
    const pos = new Int32Array(k);
    const len = new Int32Array(k);
    const fill = (r: number): boolean => {
      const run = this.runs[r]!;
      const from = next[r]!;
      const m = Math.min(per, run.rows - from);
      if (m <= 0) return false;
      for (let c = 0; c < w; c++) {
        const bytes = new Uint8Array(bufs[r]![c]!.buffer, 0, m * 8);
        const at0 = run.offset + (c * run.rows + from) * 8;
        for (let at = 0; at < bytes.length; ) {
          const got = readSync(this.fd!, bytes, at, bytes.length - at, at0 + at);
          if (got === 0)
            throw new Error(`${this.file}: ended at byte ${at0 + at}, expected ${bytes.length - at} more (changed while sorting?)`);
          at += got;
        }
      }
      next[r] = from + m;
      pos[r] = 0;
      len[r] = m;
      return true;
    };
    const key = (r: number): number => bufs[r]![0]![pos[r]!]!;
    const before = (a: number, b: number): boolean => {
      const ka = key(a);
      const kb = key(b);
      return ka < kb || (ka === kb && a < b);
    };
    const heap: number[] = [];
    const down = (from: number): void => {
      let i = from;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= heap.length) return;
        const m = l + 1 < heap.length && before(heap[l + 1]!, heap[l]!) ? l + 1 : l;
        if (!before(heap[m]!, heap[i]!)) return;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    };
    for (let r = 0; r < k; r++) if (fill(r)) heap.push(r);
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);

    let out = Array.from({ length: w }, () => new Float64Array(blockRows));
    let n = 0;
    while (heap.length > 0) {
      const r = heap[0]!;
      const b = bufs[r]!;
      const p = pos[r]!;
      for (let c = 0; c < w; c++) out[c]![n] = b[c]![p]!;
      n++;
      pos[r] = p + 1;
      if (p + 1 === len[r]! && !fill(r)) {
        heap[0] = heap[heap.length - 1]!;
        heap.pop();
      }
      down(0);
      if (n === blockRows) {
        yield { cols: out, n };
        out = Array.from({ length: w }, () => new Float64Array(blockRows));
        n = 0;
      }
    }
    if (n > 0) yield { cols: out.map((col) => col.subarray(0, n)), n };
  }
}

/** Sorts rows 0 … n−1 of `cols` by cols[0], stably, in place (nothing to do when they are in order already). */
function sortRun(cols: readonly Float64Array[], n: number): void {
  const key = cols[0]!;
  let inOrder = true;
  for (let i = 1; i < n && inOrder; i++) inOrder = key[i - 1]! <= key[i]!;
  if (inOrder) return;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => key[a]! - key[b]! || a - b);
  const tmp = new Float64Array(n);
  for (const col of cols) {
    for (let i = 0; i < n; i++) tmp[i] = col[order[i]!]!;
    col.set(tmp);
  }
}
