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

/** How long each release hook gets (OperatorContext.onRelease) before the run's end goes on without it. */
export const RELEASE_WITHIN_MS = 5_000;

/**
 * Every node's release hooks (OperatorContext.onRelease), at the end of a run however it ended. A
 * hook that fails or takes longer than RELEASE_WITHIN_MS is logged and passed over: the run's own
 * result or failure is what it reports.
 */
export async function releaseNodes(contexts: Iterable<NodeContext>): Promise<void> {
  for (const ctx of contexts)
    for (const fn of ctx.releasers.splice(0)) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), RELEASE_WITHIN_MS);
        timer.unref();
      });
      try {
        const r = await Promise.race([Promise.resolve().then(fn), late]);
        if (r === 'late') ctx.log.warn(`did not let go of its resources within ${RELEASE_WITHIN_MS / 1000} s of the run's end`);
      } catch (err) {
        ctx.log.warn(`could not let go of its resources at the run's end: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        clearTimeout(timer);
      }
    }
}
