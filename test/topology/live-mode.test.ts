/**
 * The `live:` section of a topology (pipelines/topology/load.ts): one file, two graphs. In live mode
 * the named nodes take the given type, params and inputs, keeping their names (so every edge stays);
 * in backtest mode the section is only checked. A name that is not a node, an unknown key, or a
 * section that is not a mapping is a problem at its line in both modes.
 */
import { describe, expect, it } from 'vitest';
import { registry } from '../../operators/index.ts';
import { loadTopology } from '../../pipelines/topology/load.ts';
import { validateTopology } from '../../pipelines/topology/validate.ts';

const BASE = `name: t
nodes:
  - { name: quotes, type: source.replay }
  - { name: orders, type: test.none }
`;

const FILE = `name: t
data: data/sample
nodes:
  - name: quotes
    type: source.replay
  - name: out
    type: sink.parquet
    inputs: quotes
    params: { file: quotes.parquet }
live:
  quotes: { type: source.itch, params: { rerequest_port: 9101 } }
`;

describe('the live: section', () => {
  it('replaces the named node in live mode and leaves the backtest graph as written', () => {
    const backtest = validateTopology(loadTopology('t.yaml', [], FILE), registry);
    const live = validateTopology(loadTopology('t.yaml', [], FILE, 'live'), registry);
    expect(backtest.problems).toEqual([]);
    expect(live.problems).toEqual([]);
    expect(backtest.topology!.nodes.map((n) => n.type)).toEqual(['source.replay', 'sink.parquet']);
    expect(live.topology!.nodes.map((n) => n.type)).toEqual(['source.itch', 'sink.parquet']);
    expect(live.topology!.nodes[0]!.params).toMatchObject({ rerequest_port: 9101 });
    expect(live.topology!.nodes[1]!.inputs).toEqual({ records: ['quotes'] });
  });

  it('lets --set reach the live replacement', () => {
    const live = validateTopology(loadTopology('t.yaml', ['quotes.rerequest_port=9200'], FILE, 'live'), registry);
    expect(live.topology!.nodes[0]!.params).toMatchObject({ rerequest_port: 9200 });
  });

  it('checks the live graph like any other: a bad live param is a problem at its line', () => {
    const bad = FILE.replace('rerequest_port: 9101', 'rerequest_port: 0');
    const live = validateTopology(loadTopology('t.yaml', [], bad, 'live'), registry);
    expect(live.problems.map((p) => [p.line, p.message])).toEqual([[11, expect.stringMatching(/rerequest_port/)]]);
  });

  it.each([
    ['a name that is not a node', 'live:\n  qoutes: { type: source.itch }\n', 6, /live: no node named "qoutes"/],
    ['an unknown key', 'live:\n  quotes: { kind: source.itch }\n', 6, /live.quotes: unknown key "kind"/],
    ['a section that is not a mapping', 'live: [quotes]\n', 5, /live: is not a mapping/],
    ['a replacement that is not a mapping', 'live:\n  quotes: source.itch\n', 6, /live.quotes is not a mapping/],
  ])('refuses %s, in both modes', (_what, section, line, message) => {
    for (const mode of ['backtest', 'live'] as const) {
      const { problems } = validateTopology(
        loadTopology('t.yaml', [], BASE.replace('test.none', 'sink.parquet') + section, mode),
        registry,
      );
      const p = problems.find((x) => message.test(x.message));
      expect(p, `${mode}: ${JSON.stringify(problems)}`).toBeDefined();
      expect(p!.line, mode).toBe(line);
    }
  });
});
