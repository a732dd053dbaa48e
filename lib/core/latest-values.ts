/**
 * The latest number per key (a symbol's last mid, say), updated in place: a Map of numbers boxes a new
 * heap number at every set, which at tick rate is most of what a quote handler allocates.
 */
export class LatestValues {
  private readonly cells = new Map<string, { value: number }>();

  set(key: string, value: number): void {
    const cell = this.cells.get(key);
    if (cell) cell.value = value;
    else this.cells.set(key, { value });
  }

  get(key: string): number | undefined {
    return this.cells.get(key)?.value;
  }
}
