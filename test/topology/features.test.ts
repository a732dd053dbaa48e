import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { resolveFeatures } from '../../pipelines/topology/features.ts';
import { featureEdge, featuresTopologyYaml } from '../../pipelines/model/features-topology.ts';
import { locate, onlyProblem, validate, where, yaml } from './helpers.ts';

const head = ['nodes:', '  - { name: quotes, type: source.replay }', '  - { name: bars, type: feature.bars, inputs: { quotes: quotes } }'];

describe('feature names at validation', () => {
  it("refuses a cross-section that would hold a column name twice, at the node's inputs", () => {
    const text = yaml(
      ...head,
      '  - { name: short, type: feature.lagged-returns, inputs: bars, params: { horizons: [1, 5] } }',
      '  - { name: long, type: feature.lagged-returns, inputs: bars, params: { horizons: [5, 30] } }',
      '  - { name: snap, type: feature.cross-section, inputs: { features: [short, long], bars: bars } }',
      '  - { name: out, type: sink.parquet, inputs: snap, params: { file: x.parquet } }',
    );
    const p = onlyProblem(text);
    expect(p.node).toBe('snap');
    expect(p.message).toBe('feature names occur more than once in the cross-section: ret_5');
    expect(where(p)).toEqual({ file: 'bad.yaml', ...locate(text, 6, 'inputs') });
  });

  it('expands feature.relative\'s ["*"] to every column, sector variants only when market is off', () => {
    const text = yaml(
      ...head,
      '  - { name: r, type: feature.lagged-returns, inputs: bars, params: { horizons: [1, 5] } }',
      '  - { name: m, type: feature.microstructure, inputs: bars }',
      '  - { name: snap, type: feature.cross-section, inputs: { features: [r, m], bars: bars } }',
      '  - { name: rel, type: feature.relative, inputs: snap, params: { columns: ["*"], market: false } }',
      '  - { name: out, type: sink.parquet, inputs: rel, params: { file: x.parquet } }',
    );
    const { topology, problems } = validate(text);
    expect(problems).toEqual([]);
    expect(resolveFeatures(topology!.nodes).get('rel')).toEqual([
      'ret_1',
      'ret_5',
      'spread_bps',
      'imbalance',
      'volume_ratio',
      'ret_1_sec',
      'ret_5_sec',
      'spread_bps_sec',
      'imbalance_sec',
      'volume_ratio_sec',
    ]);
  });

  it('the default topology feeds its model at least 100 distinct features', () => {
    const { topology } = validate(readFileSync('topology.yaml', 'utf8'), [], 'topology.yaml');
    const names = resolveFeatures(topology!.nodes).get('normalised')!;
    expect(names.length).toBeGreaterThanOrEqual(100);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('the features topology of `alpha model train`', () => {
  it("keeps exactly the nodes behind the model's input, in order, and adds a Parquet sink on it", () => {
    const { topology } = validate(readFileSync('topology.yaml', 'utf8'), [], 'topology.yaml');
    const edge = featureEdge(topology!);
    expect(edge).toBe('normalised');
    const derived = parse(featuresTopologyYaml(topology!, edge)) as { nodes: { name: string; type: string; inputs?: unknown }[] };
    expect(derived.nodes.map((n) => n.name)).toEqual([
      'quotes',
      'trades',
      'bars',
      'returns',
      'volatility',
      'microstructure',
      'bar_stats',
      'snapshot',
      'relative',
      'normalised',
      'normalised_features_out',
    ]);
    expect(derived.nodes.at(-1)).toMatchObject({ type: 'sink.parquet', inputs: { records: 'normalised' } });
    // It is itself a valid topology, with the same features on the edge.
    const again = validate(featuresTopologyYaml(topology!, edge), [], 'features.yaml');
    expect(again.problems).toEqual([]);
    expect(resolveFeatures(again.topology!.nodes).get('normalised')).toEqual(resolveFeatures(topology!.nodes).get('normalised'));
  });

  it('refuses an --edge that is not a cross-section', () => {
    const { topology } = validate(readFileSync('topology.yaml', 'utf8'), [], 'topology.yaml');
    expect(() => featureEdge(topology!, 'bars')).toThrow('--edge bars: the node emits Bar, not a CrossSection');
    expect(() => featureEdge(topology!, 'nope')).toThrow('--edge nope: no such node');
  });
});
