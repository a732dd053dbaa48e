/**
 * Work that holds the event clock: an operator that has to await (model inference through an async
 * runtime, say) registers the promise, and the runner delivers no further event and fires no timer
 * until it settles. Its output then keeps its place in event time, so a run stays deterministic.
 */
export class HeldWork {
  private pending: Promise<void>[] = [];

  /** Holds the clock until `work` settles; a rejection is handed to `onError` instead of escaping. */
  hold(work: Promise<unknown>, onError: (err: unknown) => void): void {
    this.pending.push(work.then(() => undefined, onError));
  }

  get size(): number {
    return this.pending.length;
  }

  /** Resolves when every held promise has settled, including any registered while waiting. */
  async settle(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      await Promise.all(batch);
    }
  }
}
