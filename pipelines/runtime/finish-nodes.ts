/**
 * The end of a run's graph: every node's end-of-run hooks in node order (what one emits reaches the
 * nodes after it before their own hooks run), then the files they are writing in the background
 * (OperatorContext.writing), all of them, so none is still being written when the run reports or fails.
 */
import type { NodeContext } from './node-context.ts';

export async function finishNodes(contexts: Iterable<NodeContext>): Promise<void> {
  const all = [...contexts];
  let failure: { err: unknown } | undefined;
  try {
    for (const ctx of all) for (const fn of ctx.finalizers) await fn();
  } catch (err) {
    failure = { err };
  }
  const written = await Promise.allSettled(all.flatMap((ctx) => ctx.writes));
  if (failure) throw failure.err;
  for (const w of written) if (w.status === 'rejected') throw w.reason;
}
