/**
 * The end of a run's graph (finishNodes): end-of-run hooks in node order, background writes waited
 * for, and a failure of either reported only once nothing is still being written.
 */
import { describe, expect, it } from 'vitest';
import { standaloneContext } from '../../pipelines/harness/harness.ts';
import { finishNodes } from '../../pipelines/runtime/finish-nodes.ts';

/** A promise and the functions that settle it. */
function deferred<T = void>() {
  let resolve!: (v: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const context = (node: string) => standaloneContext({ node }).ctx;

describe('finishNodes', () => {
  it("runs a later node's hook while an earlier node's write goes on, and returns only once the write is done", async () => {
    const [a, b] = [context('a'), context('b')];
    const write = deferred();
    const seen: string[] = [];
    a.atEnd(() => {
      seen.push('a hook');
      a.writing(write.promise.then(() => seen.push('a written')));
    });
    b.atEnd(() => {
      seen.push('b hook');
    });
    let finished = false;
    const done = finishNodes([a, b]).then(() => {
      finished = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual(['a hook', 'b hook']);
    expect(finished).toBe(false);
    write.resolve();
    await done;
    expect(seen).toEqual(['a hook', 'b hook', 'a written']);
  });

  it('fails with the first failed write in node order, once every write has settled', async () => {
    const [a, b, c] = [context('a'), context('b'), context('c')];
    const slow = deferred();
    const events: string[] = [];
    a.atEnd(() => a.writing(slow.promise.then(() => events.push('a written'))));
    b.atEnd(() => b.writing(Promise.reject(new Error('b: disk full'))));
    c.atEnd(() => c.writing(Promise.reject(new Error('c: disk full'))));
    const done = finishNodes([a, b, c]).catch((err: unknown) => {
      events.push(`failed: ${(err as Error).message}`);
    });
    await new Promise((r) => setImmediate(r));
    expect(events).toEqual([]); // a's write still runs: the failure waits for it
    slow.resolve();
    await done;
    expect(events).toEqual(['a written', 'failed: b: disk full']);
  });

  it("reports a hook's failure after the writes already started have settled, and runs no later hook", async () => {
    const [a, b, c] = [context('a'), context('b'), context('c')];
    const write = deferred();
    const events: string[] = [];
    a.atEnd(() => a.writing(write.promise.then(() => events.push('a written'))));
    b.atEnd(() => {
      throw new Error('b: cannot flush');
    });
    c.atEnd(() => {
      events.push('c hook');
    });
    const done = finishNodes([a, b, c]).catch((err: unknown) => {
      events.push(`failed: ${(err as Error).message}`);
    });
    await new Promise((r) => setImmediate(r));
    expect(events).toEqual([]);
    write.resolve();
    await done;
    expect(events).toEqual(['a written', 'failed: b: cannot flush']);
  });
});
