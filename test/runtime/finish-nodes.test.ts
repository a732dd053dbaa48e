/**
 * The end of a run's graph (finishNodes): end-of-run hooks in node order, the work they start off the
 * graph thread running meanwhile (at most two at a time), results written in node order, and the first
 * failure in node order reported only once nothing is still being written. And the release hooks
 * (releaseNodes); release.test.ts has them at each way a run can end.
 */
import { describe, expect, it, vi } from 'vitest';
import { standaloneContext } from '../../pipelines/harness/harness.ts';
import { finishNodes, RELEASE_WITHIN_MS, releaseNodes } from '../../pipelines/runtime/finish-nodes.ts';

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
const turn = () => new Promise((r) => setImmediate(r));

describe('finishNodes', () => {
  it("runs a later node's hook while an earlier node's work goes on, and returns only once its result is written", async () => {
    const [a, b] = [context('a'), context('b')];
    const work = deferred<string>();
    const seen: string[] = [];
    a.atEnd(() => {
      seen.push('a hook');
      a.writing(work.promise, (r) => seen.push(`a wrote ${r}`));
    });
    b.atEnd(() => {
      seen.push('b hook');
    });
    let finished = false;
    const done = finishNodes([a, b]).then(() => {
      finished = true;
    });
    await turn();
    expect(seen).toEqual(['a hook', 'b hook']);
    expect(finished).toBe(false);
    work.resolve('bytes');
    await done;
    expect(seen).toEqual(['a hook', 'b hook', 'a wrote bytes']);
  });

  it('writes the results in node order, whatever order the work finishes in', async () => {
    const nodes = ['a', 'b'].map(context);
    const works = nodes.map(() => deferred<string>());
    const written: string[] = [];
    nodes.forEach((ctx, i) => ctx.atEnd(() => ctx.writing(works[i]!.promise, (r) => written.push(r))));
    const done = finishNodes(nodes);
    works[1]!.resolve('b');
    await turn();
    expect(written).toEqual([]);
    works[0]!.resolve('a');
    await done;
    expect(written).toEqual(['a', 'b']);
  });

  it('keeps at most two pieces of work running: a fourth node finishes once the first one is written', async () => {
    const nodes = ['a', 'b', 'c', 'd'].map(context);
    const works = nodes.map(() => deferred<string>());
    const seen: string[] = [];
    nodes.forEach((ctx, i) =>
      ctx.atEnd(() => {
        seen.push(`${ctx.node} hook`);
        ctx.writing(works[i]!.promise, (r) => seen.push(`wrote ${r}`));
      }),
    );
    const done = finishNodes(nodes);
    await turn();
    expect(seen).toEqual(['a hook', 'b hook', 'c hook']);
    works[0]!.resolve('a');
    await turn();
    expect(seen).toEqual(['a hook', 'b hook', 'c hook', 'wrote a', 'd hook']);
    for (const w of works.slice(1)) w.resolve('x');
    await done;
  });

  it('fails with the first failure in node order, a write before a later hook, once everything started has settled', async () => {
    const [a, b, c] = [context('a'), context('b'), context('c')];
    const slow = deferred<string>();
    const events: string[] = [];
    a.atEnd(() => a.writing(slow.promise, () => events.push('a written')));
    b.atEnd(() => b.writing(Promise.reject(new Error('b: disk full')), () => events.push('b written')));
    c.atEnd(() => {
      throw new Error('c: cannot flush');
    });
    const done = finishNodes([a, b, c]).catch((err: unknown) => {
      events.push(`failed: ${(err as Error).message}`);
    });
    await turn();
    expect(events).toEqual([]); // a's work still runs: the failure waits for it
    slow.resolve('x');
    await done;
    expect(events).toEqual(['a written', 'failed: b: disk full']);
  });

  it("reports a hook's failure after the work already started is written, and runs no later hook", async () => {
    const [a, b, c] = [context('a'), context('b'), context('c')];
    const work = deferred<string>();
    const events: string[] = [];
    a.atEnd(() => a.writing(work.promise, () => events.push('a written')));
    b.atEnd(() => {
      throw new Error('b: cannot flush');
    });
    c.atEnd(() => {
      events.push('c hook');
    });
    const done = finishNodes([a, b, c]).catch((err: unknown) => {
      events.push(`failed: ${(err as Error).message}`);
    });
    await turn();
    expect(events).toEqual([]);
    work.resolve('x');
    await done;
    expect(events).toEqual(['a written', 'failed: b: cannot flush']);
  });

  it('refuses work handed over after the hooks returned: it would not be waited for', async () => {
    const a = context('a');
    a.atEnd(() => undefined);
    await finishNodes([a]);
    expect(() => a.writing(Promise.resolve('late'), () => undefined)).toThrow(
      'a: ctx.writing() after its end-of-run hooks returned; call it from an atEnd hook',
    );
  });
});

describe('releaseNodes', () => {
  it("runs every node's release hooks once, past one that fails (logged) or never settles (after RELEASE_WITHIN_MS)", async () => {
    vi.useFakeTimers();
    try {
      const nodes = ['a', 'b', 'c'].map((node) => standaloneContext({ node }));
      const ran: string[] = [];
      nodes[0]!.ctx.onRelease(() => {
        ran.push('a');
        throw new Error('socket already gone');
      });
      nodes[1]!.ctx.onRelease(() => {
        ran.push('b');
        return new Promise<void>(() => {}); // a close that never answers
      });
      nodes[2]!.ctx.onRelease(async () => {
        ran.push('c');
      });
      const done = releaseNodes(nodes.map((n) => n.ctx));
      await vi.advanceTimersByTimeAsync(RELEASE_WITHIN_MS - 1);
      expect(ran).toEqual(['a', 'b']);
      await vi.advanceTimersByTimeAsync(1);
      await done;
      expect(ran).toEqual(['a', 'b', 'c']);
      expect(nodes[0]!.logs).toEqual(["[a] could not let go of its resources at the run's end: socket already gone"]);
      expect(nodes[1]!.logs).toEqual(["[b] did not let go of its resources within 5 s of the run's end"]);
      await releaseNodes(nodes.map((n) => n.ctx)); // a second end: nothing runs twice
      expect(ran).toEqual(['a', 'b', 'c']);
    } finally {
      vi.useRealTimers();
    }
  });
});
