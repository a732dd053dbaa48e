/**
 * The replay of a capture (pipelines/runtime/drive-capture.ts) delivers a source's records of a symbol
 * outside the header's universe as the live run delivered them. An honest live run captures such
 * records: source.itch in a run without a universe takes every symbol the feed names (colo's filter
 * selects all when given none), and source.kafka checks the universe only for quotes, trades and
 * depth (in a run without one, only a symbol's length), so a group's Kafka input of bars or features
 * takes whatever the other group published. The capture is refused for none of them, and the
 * replay's edges are the live run's, record for record.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SECOND } from '../../lib/core/time.ts';
import { registry } from '../../operators/index.ts';
import type { AnySpec } from '../../operators/sdk/spec.ts';
import { runCapture, runLive } from '../../pipelines/harness/harness.ts';
import { readCapture } from '../../pipelines/io/capture-log.ts';
import { loadTopology } from '../../pipelines/topology/load.ts';
import { validateTopology } from '../../pipelines/topology/validate.ts';
import type { Quote } from '../../schemas/types.generated.ts';
import { quote, session, T0 } from '../helpers/records.ts';
import { wallQuotes } from '../helpers/wall-quotes.ts';

const dir = mkdtempSync(join(tmpdir(), 'alpha-drive-capture-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TOPOLOGY = `
name: outside
nodes:
  - name: quotes
    type: test.wall-quotes
  - name: bars
    type: feature.bars
    inputs: { quotes: quotes }
`;

/** Quotes of A and of Z, one batch each, then one of both. */
const batches: Quote[][] = [
  [quote('A', T0 + 10 * SECOND, 99, 101, 1)],
  [quote('Z', T0 + 20 * SECOND, 49, 51, 2)],
  [quote('A', T0 + 30 * SECOND, 100, 102, 3), quote('Z', T0 + 40 * SECOND, 50, 52, 4)],
];

describe('the replay of a capture', () => {
  it.each([
    ['a universe without Z', [{ symbol: 'A', sector: 'X' }]],
    ['no universe', []],
  ])("delivers a source's records of a symbol outside the universe as the live run did (%s)", async (name, universe) => {
    const { spec, time } = wallQuotes(batches);
    const specs = new Map<string, AnySpec>([...registry, ['test.wall-quotes', spec]]);
    const { topology, problems } = validateTopology(loadTopology('outside.yaml', [], TOPOLOGY), specs);
    if (!topology) throw new Error(problems.map((p) => p.message).join('\n'));
    const capture = join(dir, `${name.replaceAll(' ', '-')}.alog`);
    const options = { sessions: [session()], universe };
    const live = await runLive(topology, time, { ...options, capture });
    const read = readCapture(capture);
    expect(read.header.universe).toEqual(universe);
    const captured = read.arrivals.flatMap((a) => (a.kind === 'source' ? (a.records as { symbol: string }[]) : []));
    expect(captured.map((r) => r.symbol)).toEqual(['A', 'Z', 'A', 'Z']);
    const replay = await runCapture(topology, capture, options);
    // Z's quotes reach the graph, and Z gets its bar, live and in the replay alike.
    const symbols = (edge: string) => (live.edges.get(edge) ?? []).flatMap((b) => (b.records as { symbol: string }[]).map((r) => r.symbol));
    expect(symbols('quotes')).toEqual(['A', 'Z', 'A', 'Z']);
    expect(new Set(symbols('bars'))).toEqual(new Set(['A', 'Z']));
    expect(replay.edges.get('quotes')).toEqual(live.edges.get('quotes'));
    expect(replay.edges.get('bars')).toEqual(live.edges.get('bars'));
    expect(replay.deadLetters).toEqual(live.deadLetters);
    expect(replay.events).toBe(live.events);
  });
});
