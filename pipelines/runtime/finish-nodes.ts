/**
 * The end of a run's graph: every node's end-of-run hooks in node order (what one emits reaches the
 * nodes after it before their own hooks run), the work they started off the graph thread running
 * meanwhile (OperatorContext.writing), at most IN_FLIGHT at a time, and its results written in node
 * order. Returns, or fails with the first failure in node order, only once nothing is being written.
 * Which failure that is does not depend on timing: writes are awaited oldest first, at points fixed by
 * their count.
 */
import type { NodeContext } from './node-context.ts';

/**
 * Writes whose work may run at once: two cores here, and each holds a copy of its output until it is
 * written (the default backtest's equity stream alone is 31.5 MB).
 */
const IN_FLIGHT = 2;

export async function finishNodes(contexts: Iterable<NodeContext>): Promise<void> {
  const all = [...contexts];
  const queue: { node: number; work: Promise<unknown>; write: (result: unknown) => void }[] = [];
  let failure: { node: number; err: unknown } | undefined;
  const fail = (node: number, err: unknown): void => {
    if (!failure || node < failure.node) failure = { node, err };
  };
  const writeOldest = async (): Promise<void> => {
    const w = queue.shift()!;
    try {
      w.write(await w.work);
    } catch (err) {
      fail(w.node, err);
    }
  };
  for (let k = 0; k < all.length && !failure; k++) {
    const ctx = all[k]!;
    try {
      for (const fn of ctx.finalizers) await fn();
    } catch (err) {
      fail(k, err);
    }
    ctx.writesTaken = true;
    for (const w of ctx.writes) queue.push({ node: k, ...w });
    while (queue.length > IN_FLIGHT) await writeOldest();
  }
  for (const ctx of all) ctx.writesTaken = true;
  while (queue.length > 0) await writeOldest();
  if (failure) throw failure.err;
}
