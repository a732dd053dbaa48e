/**
 * source.itch: an ITCH file and the same bytes published live over MoldUDP64 give the same records;
 * and bars over source.itch equal bars over source.replay of the dataset `alpha itch convert` made of
 * the file (the converter and the source share nothing but colo's book).
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { newYorkMidnight } from '../../../lib/core/exchange-time.ts';
import { HOUR, MINUTE } from '../../../lib/core/time.ts';
import { colo } from '../../../native/colo/index.ts';
import { registry } from '../../../operators/index.ts';
import { type AnySpec, defineOperator, defineSource } from '../../../operators/sdk/spec.ts';
import { readManifest } from '../../../pipelines/data/manifest.ts';
import { runGraph, runLive } from '../../../pipelines/harness/harness.ts';
import { openDataset } from '../../../pipelines/io/dataset.ts';
import { convertItch } from '../../../pipelines/itch/convert.ts';
import { systemTime } from '../../../pipelines/runtime/wall-clock.ts';
import { loadTopology } from '../../../pipelines/topology/load.ts';
import { validateTopology } from '../../../pipelines/topology/validate.ts';
import type { Quote } from '../../../schemas/types.generated.ts';
import { loopBusyShare } from '../../helpers/event-loop.ts';
import { ItchWriter } from '../../helpers/itch-writer.ts';
import { probeSpec, type Probe } from '../../helpers/memory-graph.ts';

const DATE = '2024-01-03';
const midnight = newYorkMidnight(DATE);
// The simulated session runs from 09:30 New York on.
const sessions = [{ open: midnight + 9 * HOUR + 30 * MINUTE - MINUTE, close: midnight + 16 * HOUR }];
const universe = ['S0001', 'S0002', 'S0003', 'S0004'].map((symbol) => ({ symbol, sector: 'X' }));
let dir: string;
let bytes: Buffer;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'alpha-source-itch-'));
  bytes = colo().simulateItchSession({ messages: 20_000, symbols: 4, seed: 3 });
  writeFileSync(join(dir, 'day.itch'), bytes);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function topology(yaml: string, probes: Map<string, Probe>) {
  const specs = new Map<string, AnySpec>([...registry, ['test.probe', probeSpec(probes)]]);
  const { topology: t, problems } = validateTopology(loadTopology('test.yaml', [], yaml), specs);
  if (!t) throw new Error(problems.map((p) => p.message).join('\n'));
  return t;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The first `n` messages of a length-prefixed ITCH buffer (2-byte big-endian length, then the message). */
function firstMessages(b: Uint8Array, n: number): Uint8Array {
  let off = 0;
  for (let i = 0; i < n; i++) off += 2 + ((b[off]! << 8) | b[off + 1]!);
  return b.subarray(0, off);
}

const withoutKnown = (records: unknown[]) => (records as Quote[]).map(({ ts_known: _k, ...rest }) => rest);

describe('source.itch', () => {
  it('gives the same quotes from the file and from the same bytes published live over MoldUDP64', async () => {
    const fromFile = new Map<string, Probe>();
    await runGraph(
      topology(
        `name: file\nnodes:\n  - { name: quotes, type: source.itch, params: { file: day.itch } }\n  - { name: probe, type: test.probe, inputs: { records: quotes } }\n`,
        fromFile,
      ),
      { sessions, universe, dataFile: (f) => join(dir, f) },
    );
    const fileQuotes = fromFile.get('probe')!.records as Quote[];
    expect(fileQuotes.length).toBeGreaterThan(1000);
    expect(fileQuotes.every((q) => q.ts_known === q.ts_event && q.bid <= q.ask && q.bid_size > 0)).toBe(true);

    const pub = colo().startMoldPublisher(bytes, { dropSequences: [100, 5000, 12345] });
    try {
      pub.publish(); // the source joins late and re-requests everything
      const live = new Map<string, Probe>();
      const before = Date.now() * 1000;
      await runLive(
        topology(
          `name: live\nnodes:\n  - { name: quotes, type: source.itch, params: { rerequest_port: ${pub.rerequestPort}, date: '${DATE}' } }\n  - { name: probe, type: test.probe, inputs: { records: quotes } }\n`,
          live,
        ),
        systemTime,
        { sessions: [], universe },
      );
      const liveQuotes = live.get('probe')!.records as Quote[];
      expect(withoutKnown(liveQuotes)).toEqual(withoutKnown(fileQuotes));
      expect(liveQuotes.every((q) => q.ts_known >= before && q.ts_known <= Date.now() * 1000)).toBe(true);
      // Busy-polling changes when the feed is read, not what it gives.
      const spun = new Map<string, Probe>();
      await runLive(
        topology(
          `name: spun\nnodes:\n  - { name: quotes, type: source.itch, params: { rerequest_port: ${pub.rerequestPort}, date: '${DATE}', spin: true } }\n  - { name: probe, type: test.probe, inputs: { records: quotes } }\n`,
          spun,
        ),
        systemTime,
        { sessions: [], universe },
      );
      expect(withoutKnown(spun.get('probe')!.records)).toEqual(withoutKnown(fileQuotes));
    } finally {
      pub.stop();
    }
  }, 60_000);

  it('refuses a price of 0 the book took from the venue, from the file and live, as a replay refuses it (it sent such quotes and trades on)', async () => {
    const at = 10n * 3_600_000_000_000n;
    const w = new ItchWriter();
    w.systemEvent(at, 'O');
    w.stockDirectory(1, at, 'S0001');
    w.add(1, at + 1n, 1n, 'S', 100, 'S0001', 1_001_000);
    w.add(1, at + 2n, 2n, 'B', 100, 'S0001', 0); // a bid at $0: a two-sided top of 0 × 100.10
    w.add(1, at + 3n, 3n, 'B', 100, 'S0001', 1_000_000);
    w.trade(1, at + 4n, 'B', 10, 'S0001', 0, 4n);
    w.trade(1, at + 5n, 'B', 10, 'S0001', 1_000_000, 5n);
    const day = w.bytes();
    writeFileSync(join(dir, 'zero.itch'), day);
    const yaml = (source: string) =>
      `name: zero\nnodes:\n  - { name: quotes, type: source.itch, params: { ${source} } }\n  - { name: trades, type: source.itch, params: { ${source}, schema: Trade } }\n  - { name: probe, type: test.probe, inputs: { records: quotes } }\n  - { name: prints, type: test.probe, inputs: { records: trades } }\n`;
    const expected = (run: { deadLetters: { node: string; reason: string }[] }, probes: Map<string, Probe>) => {
      expect(run.deadLetters.map((d) => [d.node, d.reason]).sort()).toEqual([
        ['quotes', 'bad price: bid 0, ask 100.1 (prices must be numbers above 0 and at most 1e+9)'],
        ['trades', 'bad trade price 0 (prices must be numbers above 0 and at most 1e+9)'],
      ]);
      expect((probes.get('probe')!.records as Quote[]).map((q) => [q.bid, q.ask])).toEqual([[100, 100.1]]);
      expect((probes.get('prints')!.records as { price: number }[]).map((t) => t.price)).toEqual([100]);
    };
    const fromFile = new Map<string, Probe>();
    expected(await runGraph(topology(yaml('file: zero.itch'), fromFile), { sessions, universe, dataFile: (f) => join(dir, f) }), fromFile);
    const pub = colo().startMoldPublisher(day, {});
    try {
      pub.publish();
      const live = new Map<string, Probe>();
      const run = await runLive(topology(yaml(`rerequest_port: ${pub.rerequestPort}, date: '${DATE}'`), live), systemTime, {
        sessions: [],
        universe,
      });
      expected(run, live);
    } finally {
      pub.stop();
    }
  }, 60_000);

  it('counts the messages after End of Messages, applies none, and says so once with where the first was, from the file and live', async () => {
    // ITCH 5.0: End of Messages (System Event 'C') is always the day's last message. A feed or a file
    // that goes on after it had its adds and executions applied to the book without a word.
    const at = 10n * 3_600_000_000_000n;
    const w = new ItchWriter();
    w.systemEvent(at, 'O');
    w.stockDirectory(1, at, 'S0001');
    w.add(1, at + 1n, 1n, 'B', 100, 'S0001', 1_000_000);
    w.add(1, at + 2n, 2n, 'S', 100, 'S0001', 1_001_000);
    w.systemEvent(at + 3n, 'C');
    // Its byte offset, and its MoldUDP64 sequence: the sixth message (startMoldPublisher numbers them from 1).
    const firstLate = w.bytes().length;
    w.add(1, at + 4n, 3n, 'B', 100, 'S0001', 1_000_500); // would narrow the bid to 100.05
    w.executed(1, at + 5n, 2n, 100, 7n); // would print, and empty the ask
    const day = w.bytes();
    writeFileSync(join(dir, 'late.itch'), day);
    const yaml = (source: string) =>
      `name: late\nnodes:\n  - { name: quotes, type: source.itch, params: { ${source} } }\n  - { name: trades, type: source.itch, params: { ${source}, schema: Trade } }\n  - { name: probe, type: test.probe, inputs: { records: quotes } }\n  - { name: prints, type: test.probe, inputs: { records: trades } }\n`;
    const expected = (
      run: { metrics: Map<string, Record<string, number>> },
      probes: Map<string, Probe>,
      warnings: string[],
      where: string,
    ) => {
      expect((probes.get('probe')!.records as Quote[]).map((q) => [q.bid, q.ask])).toEqual([[100, 100.1]]);
      expect(probes.get('prints')!.records).toEqual([]);
      expect(run.metrics.get('quotes')!.after_end).toBe(2);
      expect(run.metrics.get('trades')!.after_end).toBe(2);
      const said = warnings.filter((m) => m.includes('End of Messages'));
      expect(said).toHaveLength(2); // once per source
      for (const m of said)
        expect(m).toContain(
          `2 ITCH message(s) after End of Messages (System Event 'C'), ${where}: counted, not applied to the book (no rows from them); ITCH 5.0 sends nothing after End of Messages, the last message of the day`,
        );
    };
    const fileWarnings: string[] = [];
    const fromFile = new Map<string, Probe>();
    const fileRun = await runGraph(topology(yaml('file: late.itch'), fromFile), {
      sessions,
      universe,
      dataFile: (f) => join(dir, f),
      log: { info: () => {}, warn: (m) => fileWarnings.push(m) },
    });
    expected(fileRun, fromFile, fileWarnings, `the first at byte ${firstLate}`);
    expect(fileWarnings.filter((m) => m.includes(`${join(dir, 'late.itch')}: 2 ITCH message(s) after End of Messages`))).toHaveLength(2);

    const pub = colo().startMoldPublisher(day, {});
    try {
      pub.publish();
      const liveWarnings: string[] = [];
      const live = new Map<string, Probe>();
      const run = await runLive(topology(yaml(`rerequest_port: ${pub.rerequestPort}, date: '${DATE}'`), live), systemTime, {
        sessions: [],
        universe,
        log: { info: () => {}, warn: (m) => liveWarnings.push(m) },
      });
      expected(run, live, liveWarnings, 'the first at MoldUDP64 sequence 6');
    } finally {
      pub.stop();
    }
  }, 30_000);

  it('refuses spin on a file: there is no feed to busy-poll', () => {
    const yaml = `name: file\nnodes:\n  - { name: quotes, type: source.itch, params: { file: day.itch, spin: true } }\n  - { name: probe, type: test.probe, inputs: { records: quotes } }\n`;
    const { topology: t, problems } = validateTopology(
      loadTopology('test.yaml', [], yaml),
      new Map([...registry, ['test.probe', probeSpec(new Map())]]),
    );
    expect(t).toBeUndefined();
    expect(problems.map((p) => `${p.message}: ${p.hint}`).join('\n')).toMatch(
      /param "spin" is true: spin busy-polls a live feed: expected it only with rerequest_port/,
    );
  });

  it('refuses live_orders on a file, and a count of live orders out of range', () => {
    const problems = (params: string) => {
      const yaml = `name: sized\nnodes:\n  - { name: quotes, type: source.itch, params: { ${params} } }\n  - { name: probe, type: test.probe, inputs: { records: quotes } }\n`;
      const v = validateTopology(loadTopology('test.yaml', [], yaml), new Map([...registry, ['test.probe', probeSpec(new Map())]]));
      return v.topology ? '' : v.problems.map((p) => `${p.message}: ${p.hint}`).join('\n');
    };
    expect(problems('file: day.itch, live_orders: 1000000')).toMatch(
      /param "live_orders" is 1000000: live_orders sizes a live feed's book: expected it only with rerequest_port/,
    );
    expect(problems('rerequest_port: 9, live_orders: -1')).toMatch(/param "live_orders" is -1: Too small: expected number to be >=0/);
    expect(problems('rerequest_port: 9, live_orders: 200000000')).toMatch(
      /param "live_orders" is 200000000: Too big: expected number to be <=100000000/,
    );
    expect(problems('rerequest_port: 9, live_orders: 0')).toBe('');
    expect(problems('rerequest_port: 9, live_orders: 1000000')).toBe('');
  });

  /**
   * Runs `nodes` (YAML lines) live after a spinning source.itch named `quotes`, with `specs` beside
   * the registry: the run must fail with `error`, and the event loop sleep again afterwards (the
   * feed's idle handle, left open, would keep it polling: utilization near 1).
   */
  async function expectFailedRunClosesSpinningFeed(nodes: string, specs: [string, AnySpec][], error: RegExp): Promise<void> {
    const pub = colo().startMoldPublisher(bytes, {});
    try {
      const yaml = `name: failed\nnodes:\n  - { name: quotes, type: source.itch, params: { rerequest_port: ${pub.rerequestPort}, date: '${DATE}', spin: true } }\n${nodes}`;
      const { topology: t, problems } = validateTopology(loadTopology('failed.yaml', [], yaml), new Map([...registry, ...specs]));
      if (!t) throw new Error(problems.map((p) => p.message).join('\n'));
      await expect(runLive(t, systemTime, { sessions: [], universe })).rejects.toThrow(error);
      expect(await loopBusyShare(300)).toBeLessThan(0.5);
    } finally {
      pub.stop();
    }
  }

  it('a live run that fails to build closes the spinning feed it had opened: the loop sleeps again', async () => {
    const broken = defineOperator({
      type: 'test.broken',
      summary: 'Test operator whose creation fails.',
      inputs: { records: { schema: '*', description: 'Anything.' } },
      output: null,
      params: z.strictObject({}),
      create: () => {
        throw new Error('cannot be made');
      },
    });
    await expectFailedRunClosesSpinningFeed(
      '  - { name: b, type: test.broken, inputs: { records: quotes } }\n',
      [['test.broken', broken as AnySpec]],
      /cannot be made/,
    );
  });

  it('a live run whose other source fails stops, and closes the spinning feed', async () => {
    const failing = defineSource({
      type: 'test.failing',
      summary: 'Test source whose second read fails.',
      output: 'Quote',
      params: z.strictObject({}),
      open: () => {
        let reads = 0;
        return {
          next: async () => {
            await sleep(50);
            if (++reads === 2) throw new Error('the source broke');
            return [];
          },
          close: async () => {},
        };
      },
    });
    // Without the failure ending it, the run would wait for the feed's End of Session: never published.
    await expectFailedRunClosesSpinningFeed(
      '  - { name: other, type: test.failing }\n  - { name: probe, type: test.probe, inputs: { records: quotes } }\n  - { name: probe2, type: test.probe, inputs: { records: other } }\n',
      [
        ['test.failing', failing as AnySpec],
        ['test.probe', probeSpec(new Map())],
      ],
      /the source broke/,
    );
  });

  it('ends at End of Session when it comes in a datagram of its own, after the last rows were taken', async () => {
    // 64 packets of 20 messages: one read turn of the feed, so End of Session is read alone, in the
    // next turn, with no rows (before the fix the feed called back only when rows came: the run hung).
    const cut = firstMessages(bytes, 64 * 20);
    writeFileSync(join(dir, 'cut.itch'), cut);
    const fromFile = new Map<string, Probe>();
    const probeOf = (source: string) =>
      `name: cut\nnodes:\n  - { name: quotes, type: source.itch, params: { ${source} } }\n  - { name: probe, type: test.probe, inputs: { records: quotes } }\n`;
    await runGraph(topology(probeOf('file: cut.itch'), fromFile), { sessions, universe, dataFile: (f) => join(dir, f) });
    const pub = colo().startMoldPublisher(cut, {});
    try {
      const live = new Map<string, Probe>();
      const run = runLive(topology(probeOf(`rerequest_port: ${pub.rerequestPort}, date: '${DATE}'`), live), systemTime, {
        sessions: [],
        universe,
      });
      for (const end = Date.now() + 20_000; pub.stats().subscribers === 0 && Date.now() < end; ) await sleep(2);
      pub.publish();
      await run;
      expect(withoutKnown(live.get('probe')!.records)).toEqual(withoutKnown(fromFile.get('probe')!.records));
    } finally {
      pub.stop();
    }
  }, 30_000);

  it('feeds feature.bars the same quotes as source.replay over the converted dataset', async () => {
    const data = join(dir, 'dataset');
    await convertItch(join(dir, 'day.itch'), { out: data, date: DATE });
    copyFileSync(join(dir, 'day.itch'), join(data, 'day.itch'));
    const manifest = readManifest(data);
    const bars = async (source: string): Promise<unknown[]> => {
      const probes = new Map<string, Probe>();
      await runGraph(
        topology(
          `name: bars\nnodes:\n  - { name: quotes, ${source} }\n  - { name: bars, type: feature.bars, inputs: { quotes: quotes } }\n  - { name: probe, type: test.probe, inputs: { records: bars } }\n`,
          probes,
        ),
        {
          sessions: manifest.sessions,
          universe: manifest.universe,
          dataFile: (f) => join(data, f),
          openDataset: (name, schema) => openDataset(data, manifest, name, schema),
        },
      );
      return probes.get('probe')!.records;
    };
    const fromItch = await bars('type: source.itch, params: { file: day.itch }');
    const fromReplay = await bars('type: source.replay, params: { dataset: quotes }');
    expect(fromItch.length).toBeGreaterThan(100);
    expect(fromItch).toEqual(fromReplay);
  }, 60_000);
});
