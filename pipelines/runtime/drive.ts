/**
 * The backtest's event loop: takes steps in event-time order (see step.ts) — a due timer, or the
 * next slice of the merged sources pushed into its source's edge — letting held work settle after
 * each. At the end it lets the last session's timers fire, completes every stream, then runs the
 * nodes' end-of-run hooks (sinks flush there).
 *
 * Hooks let a process group take part in a run split across processes: `ready` waits until the
 * steps of other processes that come before a step have arrived (they may schedule timers that then
 * come first), `done` publishes what a step emitted.
 */
import type { Session } from '../../operators/sdk/context.ts';
import type { EventClock } from './event-clock.ts';
import { type BuiltGraph, closeSourcesQuietly } from './graph.ts';
import { SourceMerger } from './merge.ts';
import { END_KEY, type StepKey } from './step.ts';
import { finishNodes, releaseNodes } from './finish-nodes.ts';

export interface DriveHooks {
  /**
   * Before each step: a promise when the step must wait (it may schedule timers that come before it),
   * nothing when it may run now. The loop awaits only a promise: an await per step costs allocation.
   */
  ready?(key: StepKey): Promise<void> | undefined;
  /** After the step and the work it held have finished: a promise when the next step must wait for it. */
  done?(key: StepKey): Promise<void> | undefined;
  /** Before the streams complete: everything emitted has been published or received. */
  finish?(): Promise<void>;
  /** After the sources completed: complete the edges fed from other processes. */
  complete?(): void;
}

/** Drives the graph to its end (see driveSteps); the nodes' release hooks run after it, however it ends. */
export async function driveGraph(
  graph: BuiltGraph,
  clock: EventClock,
  sessions: readonly Session[],
  onProgress?: (fraction: number, events: number) => void,
  hooks: DriveHooks = {},
): Promise<number> {
  try {
    return await driveSteps(graph, clock, sessions, onProgress, hooks);
  } catch (err) {
    // A failed run's sources are let go of too: a Kafka consumer leaves its group (else the broker
    // holds the dead member until its session times out: the next run in the group waits, or is refused).
    await closeSourcesQuietly(graph.sources);
    throw err;
  } finally {
    await releaseNodes(graph.contexts.values()); // however the run ended (OperatorContext.onRelease)
  }
}

async function driveSteps(
  graph: BuiltGraph,
  clock: EventClock,
  sessions: readonly Session[],
  onProgress: ((fraction: number, events: number) => void) | undefined,
  hooks: DriveHooks,
): Promise<number> {
  // The outputs are written at the end: a source acknowledges what it read only once they are.
  for (const s of graph.sources) s.reader.holdAcknowledgements?.();
  const merger = new SourceMerger(graph.sources);
  const first = sessions[0]?.open ?? 0;
  const end = sessions[sessions.length - 1]?.close ?? first;
  const span = Math.max(1, end - first);
  let lastReport = Date.now();
  const held = graph.held;
  const { ready, done } = hooks;

  /** Fires the earliest timer if it is due by `limit`, as one step; says whether it did. */
  const timerStep = async (limit: number): Promise<boolean> => {
    for (;;) {
      const at = clock.nextTimerAt();
      if (at > limit) return false;
      const key: StepKey = { t: at, phase: 0, order: clock.nextTimerRank(), seq: 0 };
      if (ready) {
        const wait = ready(key);
        if (wait) await wait;
        if (clock.nextTimerAt() !== at || clock.nextTimerRank() !== key.order) continue; // an earlier timer arrived
      }
      clock.fireNext(limit);
      if (held.size > 0) await held.settle();
      if (done) {
        const wait = done(key);
        if (wait) await wait;
      }
      return true;
    }
  };

  // Most slices need no read, no hook and no timer: the loop awaits only when one of those is due.
  let sinceReport = 0;
  for (;;) {
    if (!merger.ready()) await merger.refill();
    const t = merger.headTime();
    if (t === Infinity) break;
    if (clock.nextTimerAt() <= t && (await timerStep(t))) continue;
    // The merger is ready here (refilled above, and a timer step reads nothing).
    const key = ready || done ? merger.headKey()! : undefined;
    if (ready) {
      const wait = ready(key!);
      if (wait) await wait;
      if (clock.nextTimerAt() <= t) continue; // a timer before this slice arrived
    }
    const slice = merger.take(clock.nextTimerAt());
    if (slice === null || slice === 'timer') continue;
    clock.advanceTo(t);
    slice.source.subject.next(slice.records);
    if (held.size > 0) await held.settle();
    if (done) {
      const wait = done(key!);
      if (wait) await wait;
    }
    if (onProgress && ++sinceReport >= 4096) {
      sinceReport = 0;
      if (Date.now() - lastReport > 1000) {
        lastReport = Date.now();
        onProgress((clock.now() - first) / span, merger.events);
      }
    }
  }
  const last = Math.max(end, clock.now());
  while (await timerStep(last));
  if (ready) {
    // Other processes' last steps may still schedule timers (up to the end of the last session).
    await ready(END_KEY);
    while (await timerStep(last));
  }
  clock.advanceTo(last);
  if (hooks.finish) await hooks.finish();
  for (const s of graph.sources) {
    await s.reader.close();
    s.subject.complete();
  }
  hooks.complete?.();
  await finishNodes(graph.contexts.values());
  if (done) await done(END_KEY);
  for (const s of graph.sources) await s.reader.outputsWritten?.();
  return merger.events;
}
