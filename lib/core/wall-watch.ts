/**
 * Wall time for watching a live connection: a feed gone silent, an order-entry session down. What
 * such a watch finds is logged and listed in the run's summary, never a record of the graph, so it
 * may read the wall clock and real timers, which operators otherwise take from their context alone
 * (CONTRIBUTING.md). Nothing an operator emits may depend on it.
 */

/** The wall clock, in ms since the epoch. */
export const wallMs = (): number => Date.now();

/**
 * Calls `look(wall ms)` every `everyMs` of wall time until the returned stop; the timer does not keep
 * the process alive.
 * @example
 * const stop = everyWallInterval((now) => console.log(now), 1_000);
 * stop();
 */
export function everyWallInterval(look: (nowMs: number) => void, everyMs = 1_000): () => void {
  const timer = setInterval(() => look(wallMs()), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
