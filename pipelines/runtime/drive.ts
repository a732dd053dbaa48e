/**
 * The backtest's event loop: pulls the merged sources, advances the event clock to each slice (firing
 * due timers first), pushes the slice into its source's edge, and at the end lets the last session's
 * timers fire and completes every stream, then runs the nodes' end-of-run hooks (sinks flush there).
 */
import type { Session } from '../../operators/sdk/context.ts';
import type { EventClock } from './event-clock.ts';
import type { BuiltGraph } from './graph.ts';
import { SourceMerger } from './merge.ts';

export async function driveGraph(
  graph: BuiltGraph,
  clock: EventClock,
  sessions: readonly Session[],
  onProgress?: (fraction: number, events: number) => void,
): Promise<number> {
  const merger = new SourceMerger(graph.sources);
  const first = sessions[0]?.open ?? 0;
  const end = sessions[sessions.length - 1]?.close ?? first;
  const span = Math.max(1, end - first);
  let lastReport = Date.now();
  const held = graph.held;
  /** Fires the timers due by `t` one by one, letting held work settle after each, then sets the time. */
  const advanceTo = async (t: number): Promise<void> => {
    while (clock.fireNext(t)) if (held.size > 0) await held.settle();
    clock.advanceTo(t);
  };
  for (;;) {
    const slice = await merger.next(clock.nextTimerAt());
    if (slice === null) break;
    if (slice === 'timer') {
      await advanceTo(clock.nextTimerAt());
      continue;
    }
    await advanceTo(slice.records[0]!.ts_known);
    slice.source.subject.next(slice.records);
    if (held.size > 0) await held.settle();
    if (onProgress && Date.now() - lastReport > 1000) {
      lastReport = Date.now();
      onProgress((clock.now() - first) / span, merger.events);
    }
  }
  await advanceTo(Math.max(end, clock.now()));
  for (const s of graph.sources) {
    await s.reader.close();
    s.subject.complete();
  }
  for (const ctx of graph.contexts.values()) for (const fn of ctx.finalizers) await fn();
  return merger.events;
}
