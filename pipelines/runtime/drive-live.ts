/**
 * The live event loop (the wall-clock driver): each source's batches are pushed into its edge as
 * they arrive, one delivery at a time, and timers fire when the wall clock reaches them; after each
 * delivery or timer the held work settles, as in the backtest. The run ends when every source has
 * ended, when `signal` aborts, or at `until`; then, as in the backtest, the timers due by then fire,
 * the streams complete and the nodes' end-of-run hooks run (sinks flush there).
 *
 * Unlike driveGraph, arrival order across sources is the wall clock's, not (ts_known, seq): a live
 * run is reproduced from its capture, not from the sources. `alpha live` builds on this.
 */
import type { Micros } from '../../lib/core/time.ts';
import type { BuiltGraph } from './graph.ts';
import type { TimeSource, WallClock } from './wall-clock.ts';

export interface LiveDriveOptions {
  /** Ends the run: the sources are closed and the run finishes as if they had ended. */
  signal?: AbortSignal;
  /** Ends the run at this time (e.g. the last session's close), whatever the sources do. */
  until?: Micros;
  /** Needed with `until`: the time source of `clock`. */
  time?: TimeSource;
}

/** Drives `graph` on `clock` until the sources end or the run is stopped; returns the records delivered. */
export async function driveLive(graph: BuiltGraph, clock: WallClock, options: LiveDriveOptions = {}): Promise<number> {
  const held = graph.held;
  let events = 0;
  let queue: Promise<void> = Promise.resolve();
  let failure: unknown;
  /** One delivery at a time, each followed by the work it held. */
  const serial = (work: () => void): Promise<void> => {
    queue = queue.then(async () => {
      if (failure !== undefined) return;
      try {
        clock.fireDue();
        work();
        if (held.size > 0) await held.settle();
      } catch (err) {
        failure = err;
      }
    });
    return queue;
  };
  clock.onFired = () => void serial(() => {});

  // The reads a stop must end. Not Promise.race with one long-lived promise: each race leaves a
  // reaction on it that keeps its result (a batch) alive for the rest of the run.
  let halted = false;
  const waiting = new Set<(v: null) => void>();
  const stop = (): void => {
    halted = true;
    for (const w of waiting) w(null);
    waiting.clear();
  };
  const nextOrStop = <T>(read: Promise<T>): Promise<T | null> => {
    if (halted) return Promise.resolve(null);
    return new Promise<T | null>((resolve, reject) => {
      waiting.add(resolve);
      read.then(
        (v) => {
          waiting.delete(resolve);
          resolve(v);
        },
        (e: unknown) => {
          waiting.delete(resolve);
          reject(e);
        },
      );
    });
  };
  options.signal?.addEventListener('abort', stop, { once: true });
  if (options.signal?.aborted) stop();
  const cancelUntil = options.until !== undefined && options.time ? options.time.wakeAt(options.until, stop) : undefined;

  await Promise.all(
    graph.sources.map(async (s) => {
      for (;;) {
        const batch = await nextOrStop(s.reader.next());
        if (batch === null || failure !== undefined) return;
        events += batch.length;
        await serial(() => s.subject.next(batch));
      }
    }),
  );
  await queue;
  cancelUntil?.();
  clock.stop();
  if (failure !== undefined) throw failure;
  clock.fireUntil(options.until !== undefined ? Math.min(options.until, clock.now()) : clock.now());
  if (held.size > 0) await held.settle();
  for (const s of graph.sources) {
    await s.reader.close();
    s.subject.complete();
  }
  for (const ctx of graph.contexts.values()) for (const fn of ctx.finalizers) await fn();
  return events;
}
