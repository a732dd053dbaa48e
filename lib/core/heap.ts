/**
 * A binary min-heap under a strict "comes before" relation. Items that compare equal leave in no
 * particular order, so callers that need a stable order put a tie-breaker (a sequence number) in the
 * relation.
 *
 * @example
 * const heap = new Heap<number>((a, b) => a < b);
 * heap.push(3); heap.push(1);
 * heap.pop(); // 1
 */
export class Heap<T> {
  private readonly items: T[] = [];

  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(a[i]!, a[parent]!)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.before(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }

  private swap(i: number, j: number): void {
    const a = this.items;
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}
