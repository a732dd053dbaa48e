/**
 * Validation of topology.yaml: every problem is located (file:line:col) and says what is wrong and
 * what would be accepted. Texts are inline, so that positions can be checked exactly.
 */
import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { formatProblem } from '../../pipelines/topology/problems.ts';
import { locate, onlyProblem, validate, where, yaml } from './helpers.ts';

const DEFAULT_TOPOLOGY = new URL('../../topology.yaml', import.meta.url);
const defaultText = readFileSync(DEFAULT_TOPOLOGY, 'utf8');

/** 1-based number of the first line of `text` that contains `needle`, after line `after`. */
function lineOf(text: string, needle: string, after = 0): number {
  const index = text.split('\n').findIndex((l, i) => i >= after && l.includes(needle));
  if (index < 0) throw new Error(`no line contains ${needle}`);
  return index + 1;
}

describe('the default topology.yaml', () => {
  it('is valid and resolves every node', () => {
    const { topology, problems } = validate(defaultText, [], 'topology.yaml');
    expect(problems).toEqual([]);
    expect(topology?.nodes.map((n) => n.name).sort()).toEqual([
      'accounting', 'alpha', 'bar_stats', 'bars', 'broker', 'equity_out', 'fills_out', 'microstructure', 'model', 'normalised',
      'orders', 'orders_out', 'pretrade', 'quotes', 'relative', 'returns', 'sizing', 'snapshot', 'trades', 'volatility',
    ]);
    expect(topology?.name).toBe('default');
    expect(topology?.seed).toBe(42);
    expect(topology?.data).toBe('data/sample');
  });

  it('does not count the feedback ports (sizing.portfolio, orders.portfolio, pretrade.portfolio/fills) as a cycle', () => {
    const { topology } = validate(defaultText, [], 'topology.yaml');
    const order = topology?.nodes.map((n) => n.name) ?? [];
    const sizing = topology?.nodes.find((n) => n.name === 'sizing');
    const orders = topology?.nodes.find((n) => n.name === 'orders');
    // The feedback edges are bound…
    expect(sizing?.inputs).toEqual({ signals: ['alpha'], bars: ['bars'], portfolio: ['accounting'] });
    expect(orders?.inputs).toEqual({ targets: ['sizing'], quotes: ['quotes'], portfolio: ['accounting'] });
    expect(topology?.nodes.find((n) => n.name === 'pretrade')?.inputs)
      .toEqual({ orders: ['orders'], quotes: ['quotes'], portfolio: ['accounting'], fills: ['broker'] });
    // …but excluded from the order: accounting (fed by the broker, fed by orders) comes after them.
    expect(order.indexOf('sizing')).toBeLessThan(order.indexOf('orders'));
    expect(order.indexOf('orders')).toBeLessThan(order.indexOf('broker'));
    expect(order.indexOf('broker')).toBeLessThan(order.indexOf('accounting'));
    expect(order.indexOf('alpha')).toBeLessThan(order.indexOf('sizing'));
  });

  it('applies the param defaults of each operator', () => {
    const { topology } = validate(defaultText, [], 'topology.yaml');
    const model = topology?.nodes.find((n) => n.name === 'model');
    expect(model?.params).toEqual({ model: 'models/default' });
    const returns = topology?.nodes.find((n) => n.name === 'returns');
    expect(returns?.params).toMatchObject({ intraday: true, scaled: true, scale_window: 60 });
    const quotes = topology?.nodes.find((n) => n.name === 'quotes');
    expect(quotes?.params).toEqual({ dataset: 'quotes', schema: 'Quote', batch_size: 8192 });
  });

  it('reports a real cycle made in it (relative reads normalised, which reads relative)', () => {
    const text = defaultText.replace(/(type: feature\.relative\n\s+inputs: )snapshot/, '$1normalised');
    expect(text).not.toBe(defaultText);
    const relativeInputs = lineOf(text, 'inputs: normalised');
    expect(relativeInputs).toBe(lineOf(text, 'type: feature.relative') + 1);
    const p = onlyProblem(text);
    expect(p.node).toBe('relative');
    expect(where(p)).toEqual({ file: 'bad.yaml', ...locate(text, relativeInputs, 'normalised') });
    expect(p.message).toBe('cycle relative → normalised → relative');
    expect(p.hint).toContain('feedback port');
  });
});

describe('operator types', () => {
  it('reports an unknown type at its value, with the closest valid name', () => {
    const text = yaml(
      'nodes:',
      '  - name: quotes',
      '    type: source.replay',
      '  - name: bars',
      '    type: feature.bars',
      '    inputs: quotes',
      '  - name: returns',
      '    type: feature.lagged-return',
      '    inputs: bars',
    );
    const p = onlyProblem(text);
    expect(formatProblem(p)).toBe(
      'bad.yaml:8:11 node "returns": unknown operator type "feature.lagged-return" — did you mean "feature.lagged-returns"?');
  });

  it('points to `alpha ops` when no type is close', () => {
    const text = yaml(
      'nodes:',
      '  - name: quotes',
      '    type: kafka.consumer',
    );
    const p = onlyProblem(text);
    expect(where(p)).toEqual({ file: 'bad.yaml', ...locate(text, 3, 'kafka.consumer') });
    expect(p.node).toBe('quotes');
    expect(p.message).toBe('unknown operator type "kafka.consumer"');
    expect(p.hint).toContain('alpha ops');
    expect(p.hint).not.toContain('did you mean');
  });

  it('reports a node without a type at the node', () => {
    const text = yaml(
      'nodes:',
      '  - name: quotes',
      '    type: source.replay',
      '  - name: bars',
      '    inputs: quotes',
    );
    const p = onlyProblem(text);
    expect(where(p)).toEqual({ file: 'bad.yaml', ...locate(text, 4, 'name') });
    expect(p.node).toBe('bars');
    expect(p.message).toBe('missing operator type');
  });
});

describe('inputs', () => {
  it('reports an unknown input (a plain name) with the closest node name', () => {
    const text = yaml(
      'nodes:',
      '  - name: quotes',
      '    type: source.replay',
      '  - name: bars',
      '    type: feature.bars',
      '    inputs: quotse',
    );
    const p = onlyProblem(text);
    expect(formatProblem(p)).toBe('bad.yaml:6:13 node "bars": unknown input "quotse" — did you mean "quotes"?');
  });

  it('reports an unknown input inside a port mapping at that value', () => {
    const text = yaml(
      'nodes:',
      '  - name: quotes',
      '    type: source.replay',
      '  - name: trades',
      '    type: source.replay',
      '  - name: bars',
      '    type: feature.bars',
      '    inputs: { quotes: quotes, trades: trade }',
    );
    const p = onlyProblem(text);
    expect(where(p)).toEqual({ file: 'bad.yaml', ...locate(text, 8, 'trade }') });
    expect(p.node).toBe('bars');
    expect(p.message).toBe('unknown input "trade"');
    expect(p.hint).toBe('did you mean "trades"?');
  });

  it('reports an unknown input inside a list, listing the nodes when none is close', () => {
    const text = yaml(
      'nodes:',
      '  - name: quotes',
      '    type: source.replay',
      '  - name: bars',
      '    type: feature.bars',
      '    inputs:',
      '      - quotes',
      '      - fills',
    );
    const p = onlyProblem(text);
    expect(where(p)).toEqual({ file: 'bad.yaml', ...locate(text, 8, 'fills') });
    expect(p.message).toBe('unknown input "fills"');
    expect(p.hint).toBe('expected one of: quotes, bars');
  });

  it('reports an edge whose producer emits another schema than the port accepts (bars → model.ridge)', () => {
    const text = yaml(
      'nodes:',
      '  - name: quotes',
      '    type: source.replay',
      '  - name: bars',
      '    type: feature.bars',
      '    inputs: quotes',
      '  - name: model',
      '    type: model.ridge',
      '    inputs: bars',
    );
    const p = onlyProblem(text);
    expect(formatProblem(p)).toBe(
      'bad.yaml:9:13 node "model": input "bars" emits Bar but port "cross_section" accepts CrossSection'
      + ' — connect a node whose output is CrossSection');
  });

  it('checks each producer of a variadic port', () => {
    const text = yaml(
      'nodes:',
      '  - name: quotes',
      '    type: source.replay',
      '  - name: bars',
      '    type: feature.bars',
      '    inputs: quotes',
      '  - name: returns',
      '    type: feature.lagged-returns',
      '    inputs: bars',
      '  - name: snapshot',
      '    type: feature.cross-section',
      '    inputs: { features: [returns, quotes], bars: bars }',
    );
    const p = onlyProblem(text);
    expect(where(p)).toEqual({ file: 'bad.yaml', ...locate(text, 12, 'quotes') });
    expect(p.node).toBe('snapshot');
    expect(p.message).toBe('input "quotes" emits Quote but port "features" accepts FeatureVector');
  });

  it('accepts any schema on a sink, and leaves optional ports unbound', () => {
    const { topology, problems } = validate(yaml(
      'nodes:',
      '  - name: quotes',
      '    type: source.replay',
      '  - name: bars',
      '    type: feature.bars',
      '    inputs: quotes',
      '  - name: quotes_out',
      '    type: sink.parquet',
      '    inputs: quotes',
      '    params: { file: q.parquet }',
      '  - name: bars_out',
      '    type: sink.parquet',
      '    inputs: bars',
      '    params: { file: b.parquet }',
    ));
    expect(problems).toEqual([]);
    expect(topology?.nodes.find((n) => n.name === 'bars')?.inputs).toEqual({ quotes: ['quotes'] });
  });

  it('reports a node without inputs whose port is required, at the node', () => {
    const text = yaml(
      'nodes:',
      '  - name: quotes',
      '    type: source.replay',
      '  - name: bars',
      '    type: feature.bars',
    );
    const p = onlyProblem(text);
    expect(where(p)).toEqual({ file: 'bad.yaml', ...locate(text, 4, 'name') });
    expect(p.node).toBe('bars');
    expect(p.message).toBe('input port "quotes" is not connected');
    expect(p.hint).toContain('connect a node whose output is Quote');
  });

  it('reports a required port left out of an inputs mapping, at "inputs"', () => {
    const text = yaml(
      'nodes:',
      '  - name: trades',
      '    type: source.replay',
      '    params: { schema: Trade }',
      '  - name: bars',
      '    type: feature.bars',
      '    inputs: { trades: trades }',
    );
    const p = onlyProblem(text);
    expect(where(p)).toEqual({ file: 'bad.yaml', ...locate(text, 7, 'inputs') });
    expect(p.message).toBe('input port "quotes" is not connected');
    expect(p.hint).toContain('Quote');
  });

  it('reports an unknown port name in a mapping at that port name, listing the ports', () => {
    const text = yaml(
      'nodes:',
      '  - name: quotes',
      '    type: source.replay',
      '  - name: bars',
      '    type: feature.bars',
      '    inputs: { quotes: quotes, trade: quotes }',
    );
    const p = onlyProblem(text);
    expect(p.node).toBe('bars');
    expect(p.message).toBe('unknown input port "trade"');
    expect(p.hint).toBe('ports are: quotes (Quote), trades (Trade, optional)');
    expect(where(p)).toEqual({ file: 'bad.yaml', ...locate(text, 6, 'trade:') });
  });

  it('reports a sink used as an input', () => {
    const text = yaml(
      'nodes:',
      '  - name: quotes',
      '    type: source.replay',
      '  - name: out',
      '    type: sink.parquet',
      '    inputs: quotes',
      '    params: { file: q.parquet }',
      '  - name: again',
      '    type: sink.parquet',
      '    inputs: out',
      '    params: { file: r.parquet }',
    );
    const p = onlyProblem(text);
    expect(formatProblem(p)).toBe(
      'bad.yaml:10:13 node "again": input "out" is a sink.parquet, which has no output — connect a node that emits records');
  });

  it('reports inputs given to a source', () => {
    const text = yaml(
      'nodes:',
      '  - name: quotes',
      '    type: source.replay',
      '  - name: trades',
      '    type: source.replay',
      '    inputs: quotes',
    );
    const p = onlyProblem(text);
    expect(where(p)).toEqual({ file: 'bad.yaml', ...locate(text, 6, 'quotes') });
    expect(p.message).toBe('source.replay takes no inputs');
  });
});

describe('cycles', () => {
  const cycleOf = (a: string, b: string, c: string): string => yaml(
    'nodes:',
    '  - name: quotes',
    '    type: source.replay',
    '  - name: a',
    '    type: feature.relative',
    `    inputs: ${a}`,
    '  - name: b',
    '    type: feature.rank-gauss',
    `    inputs: ${b}`,
    '  - name: c',
    '    type: feature.relative',
    `    inputs: ${c}`,
  );

  it('reports a cycle of two nodes once, at the inputs of the node it was found from', () => {
    const text = cycleOf('b', 'a', 'b');
    const p = onlyProblem(text);
    expect(where(p)).toEqual({ file: 'bad.yaml', ...locate(text, 6, 'b') });
    expect(p.node).toBe('a');
    expect(p.message).toBe('cycle a → b → a');
    expect(p.hint).toBe('remove an edge, or read the later node through a feedback port');
  });

  it('reports a cycle of three nodes, naming them all', () => {
    const p = onlyProblem(cycleOf('c', 'a', 'b'));
    expect(p.line).toBe(6);
    expect(p.message).toMatch(/^cycle a → . → . → a$/);
    expect(p.message).toContain('b');
    expect(p.message).toContain('c');
  });

  it('reports a node reading itself', () => {
    const text = cycleOf('a', 'c', 'b');
    const { problems } = validate(text);
    expect(problems.map((p) => [p.node, p.line, p.message])).toContainEqual(['a', 6, 'cycle a → a']);
  });

  it('accepts the same chain without the back edge', () => {
    const { topology, problems } = validate(yaml(
      'nodes:',
      '  - name: quotes',
      '    type: source.replay',
      '  - name: bars',
      '    type: feature.bars',
      '    inputs: quotes',
      '  - name: returns',
      '    type: feature.lagged-returns',
      '    inputs: bars',
      '  - name: snapshot',
      '    type: feature.cross-section',
      '    inputs: { features: [returns], bars: bars }',
      '  - name: a',
      '    type: feature.relative',
      '    inputs: snapshot',
      '  - name: b',
      '    type: feature.rank-gauss',
      '    inputs: a',
    ));
    expect(problems).toEqual([]);
    expect(topology?.nodes.map((n) => n.name)).toEqual(['quotes', 'bars', 'returns', 'snapshot', 'a', 'b']);
  });
});

describe('params', () => {
  const withSink = (params: string): string => yaml(
    'nodes:',
    '  - name: quotes',
    '    type: source.replay',
    '  - name: out',
    '    type: sink.parquet',
    '    inputs: quotes',
    ...(params ? [params] : []),
  );

  it('reports a missing required param (sink.parquet file) at the node when it has no params', () => {
    const text = withSink('');
    const p = onlyProblem(text);
    expect(where(p)).toEqual({ file: 'bad.yaml', ...locate(text, 4, 'name') });
    expect(p.node).toBe('out');
    expect(p.message).toBe('missing param "file"');
    expect(p.hint).toContain('File name in the output folder.');
  });

  it('reports a missing required param at the params mapping when it has other keys', () => {
    const text = withSink('    params: { compression: zstd }');
    const { problems } = validate(text);
    const missing = problems.find((p) => p.message === 'missing param "file"');
    expect(missing && where(missing)).toEqual({ file: 'bad.yaml', ...locate(text, 7, '{') });
    expect(problems.map((p) => p.message)).toContain('unknown param "compression"');
  });

  it('reports an ill-typed param (a string for a number) at its value', () => {
    const text = yaml(
      'nodes:',
      '  - name: quotes',
      '    type: source.replay',
      '  - name: bars',
      '    type: feature.bars',
      '    inputs: quotes',
      '    params: { minutes: five }',
    );
    const p = onlyProblem(text);
    expect(where(p)).toEqual({ file: 'bad.yaml', ...locate(text, 7, 'five') });
    expect(p.node).toBe('bars');
    expect(p.message).toBe('param "minutes" is "five"');
    expect(p.hint).toMatch(/expected number, received string/);
    expect(p.hint).toContain('(Bar length in minutes.)');
  });

  const ridge = (params: string): string => yaml(
    'nodes:',
    '  - name: quotes',
    '    type: source.replay',
    '  - name: bars',
    '    type: feature.bars',
    '    inputs: quotes',
    '  - name: returns',
    '    type: feature.lagged-returns',
    '    inputs: bars',
    '  - name: snapshot',
    '    type: feature.cross-section',
    '    inputs: { features: [returns], bars: bars }',
    '  - name: model',
    '    type: model.ridge',
    '    inputs: snapshot',
    '    params:',
    ...params.split('\n'),
  );

  it('accepts the ridge fixture when its params are in range', () => {
    const { topology, problems } = validate(ridge('      lambda: 0\n      warmup_days: 5'));
    expect(problems).toEqual([]);
    expect(topology?.nodes.find((n) => n.name === 'model')?.params).toMatchObject({ lambda: 0, warmup_days: 5 });
  });

  it('reports a negative param (below its minimum) at its value', () => {
    const text = ridge('      lambda: -1');
    const p = onlyProblem(text);
    expect(where(p)).toEqual({ file: 'bad.yaml', ...locate(text, 17, '-1') });
    expect(p.node).toBe('model');
    expect(p.message).toBe('param "lambda" is -1');
    expect(p.hint).toMatch(/too small.*>=\s?0/i);
  });

  it('reports a param above its maximum at its value', () => {
    const text = ridge('      lambda: 1\n      warmup_days: 6');
    const p = onlyProblem(text);
    expect(where(p)).toEqual({ file: 'bad.yaml', ...locate(text, 18, '6') });
    expect(p.message).toBe('param "warmup_days" is 6');
    expect(p.hint).toMatch(/too big.*<=\s?5/i);
  });

  it('reports a bad element of a list param with its index', () => {
    const text = yaml(
      'nodes:',
      '  - name: quotes',
      '    type: source.replay',
      '  - name: bars',
      '    type: feature.bars',
      '    inputs: quotes',
      '  - name: returns',
      '    type: feature.lagged-returns',
      '    inputs: bars',
      '    params: { horizons: [1, 20000] }',
    );
    const p = onlyProblem(text);
    expect(where(p)).toEqual({ file: 'bad.yaml', ...locate(text, 10, '20000') });
    expect(p.message).toBe('param "horizons[1]" is 20000');
    expect(p.hint).toMatch(/<=\s?10000/);
  });

  it('reports a value outside an enum', () => {
    const text = yaml(
      'nodes:',
      '  - name: quotes',
      '    type: source.replay',
      '  - name: orders',
      '    type: execution.orders',
      '    params: { order_type: STOP }',
    );
    const { problems } = validate(text);
    const p = problems.find((q) => q.message.startsWith('param "order_type"'));
    expect(p && where(p)).toEqual({ file: 'bad.yaml', ...locate(text, 6, 'STOP') });
    expect(p?.message).toBe('param "order_type" is "STOP"');
    expect(p?.hint).toContain('MARKET');
  });

  it('reports an unknown param at its key, with the closest param name', () => {
    const text = yaml(
      'nodes:',
      '  - name: quotes',
      '    type: source.replay',
      '  - name: bars',
      '    type: feature.bars',
      '    inputs: quotes',
      '  - name: returns',
      '    type: feature.lagged-returns',
      '    inputs: bars',
      '    params:',
      '      horizon: 3',
    );
    const p = onlyProblem(text);
    expect(p.node).toBe('returns');
    expect(p.message).toBe('unknown param "horizon"');
    expect(p.hint).toBe('did you mean "horizons"?');
    expect(where(p)).toEqual({ file: 'bad.yaml', ...locate(text, 11, 'horizon') });
  });

  it('reports an unknown param with a list value at its key', () => {
    const text = yaml(
      'nodes:',
      '  - name: quotes',
      '    type: source.replay',
      '  - name: bars',
      '    type: feature.bars',
      '    inputs: quotes',
      '  - name: volatility',
      '    type: feature.volatility',
      '    inputs: bars',
      '    params: { window: [10, 30] }',
    );
    const p = onlyProblem(text);
    expect(formatProblem(p)).toBe(
      `bad.yaml:10:${locate(text, 10, 'window').col} node "volatility": unknown param "window" — did you mean "windows"?`);
  });
});

describe('duplicate node names', () => {
  it('reports the second occurrence, pointing at the line of the first', () => {
    const text = yaml(
      'nodes:',
      '  - name: quotes',
      '    type: source.replay',
      '  - name: trades',
      '    type: source.replay',
      '  - name: quotes',
      '    type: source.replay',
    );
    const p = onlyProblem(text);
    expect(where(p)).toEqual({ file: 'bad.yaml', ...locate(text, 6, 'quotes') });
    expect(p.node).toBe('quotes');
    expect(p.message).toBe('duplicate node name');
    expect(p.hint).toBe('node names must be unique (first defined at line 2)');
  });

  it('reports every later occurrence against the first', () => {
    const { problems } = validate(yaml(
      'nodes:',
      '  - name: quotes',
      '    type: source.replay',
      '  - name: quotes',
      '    type: source.replay',
      '  - name: quotes',
      '    type: source.replay',
    ));
    expect(problems.map((p) => [p.line, p.hint])).toEqual([
      [4, 'node names must be unique (first defined at line 2)'],
      [6, 'node names must be unique (first defined at line 2)'],
    ]);
  });
});

describe('YAML syntax errors', () => {
  it('reports a duplicate key at the line:col the YAML parser gives', () => {
    const text = yaml(
      'nodes:',
      '  - name: quotes',
      '    type: source.replay',
      '    type: source.replay',
    );
    const p = onlyProblem(text);
    expect(p.message).toMatch(/^YAML syntax error: Map keys must be unique/);
    expect(p.hint).toBe('fix the YAML syntax');
    expect(p.node).toBeUndefined();
    expect(where(p)).toEqual({ file: 'bad.yaml', line: 4, col: 5 });
  });

  it('reports an unclosed flow mapping where the parser stops', () => {
    const text = yaml(
      'name: x',
      'nodes:',
      '  - name: quotes',
      '    type: source.replay',
      '    params: { batch_size: 5',
      '  - name: out',
    );
    const { problems } = validate(text);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]?.message).toMatch(/^YAML syntax error: Flow map .* end with a \}/);
    expect(where(problems[0]!)).toEqual({ file: 'bad.yaml', line: 6, col: 3 });
  });

  it('reports a tab used as indentation at its line', () => {
    const p = onlyProblem('nodes:\n\t- name: quotes\n');
    expect(p.message).toMatch(/^YAML syntax error: Tabs are not allowed/);
    expect(where(p)).toEqual({ file: 'bad.yaml', line: 2, col: 1 });
  });

  it('stops at syntax errors: no validation problem and no --set is reported on top', () => {
    const { topology, problems } = validate(yaml(
      'nodes:',
      '  - name: quotes',
      '    type: source.replai',
      '    type: source.replay',
    ), ['nobody.x=1']);
    expect(topology).toBeUndefined();
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((p) => p.message.startsWith('YAML syntax error:') && p.file === 'bad.yaml')).toBe(true);
  });
});

describe('unknown keys', () => {
  it('reports an unknown top-level key at that key, with the closest key', () => {
    const text = yaml(
      'name: x',
      'sed: 3',
      'nodes:',
      '  - name: quotes',
      '    type: source.replay',
    );
    const p = onlyProblem(text);
    expect(p.node).toBeUndefined();
    expect(p.message).toBe('unknown key "sed"');
    expect(p.hint).toBe('did you mean "seed"?');
    expect(formatProblem(p)).toBe('bad.yaml:2:1: unknown key "sed" — did you mean "seed"?');
  });

  it('lists the top-level keys when none is close', () => {
    const p = onlyProblem(yaml('nodes:', '  - name: quotes', '    type: source.replay', 'description:', '  - a graph'));
    expect(formatProblem(p)).toBe('bad.yaml:4:1: unknown key "description" — expected one of: name, seed, data, taps, groups, nodes');
  });

  it('reports an unknown node key (with a mapping value) at that key', () => {
    const text = yaml(
      'nodes:',
      '  - name: quotes',
      '    type: source.replay',
      '    param: { dataset: q }',
    );
    const p = onlyProblem(text);
    expect(formatProblem(p)).toBe('bad.yaml:4:5 node "quotes": unknown key "param" — did you mean "params"?');
  });

  it('reports an unknown node key (with a scalar value) at that key', () => {
    const text = yaml(
      'nodes:',
      '  - name: quotes',
      '    type: source.replay',
      '  - name: bars',
      '    type: feature.bars',
      '    inputs: quotes',
      '    input: quotes',
    );
    const p = onlyProblem(text);
    expect(p.node).toBe('bars');
    expect(p.message).toBe('unknown key "input"');
    expect(p.hint).toBe('did you mean "inputs"?');
    expect(where(p)).toEqual({ file: 'bad.yaml', line: 7, col: 5 });
  });
});

describe('several problems in one file', () => {
  it('reports all of them, each at its own line', () => {
    const text = yaml(
      'name: many',                                   // 1
      'sed: 3',                                       // 2  unknown key
      'nodes:',                                       // 3
      '  - name: quotes',                             // 4
      '    type: source.replay',                      // 5
      '  - name: bars',                               // 6
      '    type: feature.bars',                       // 7
      '    inputs: quotse',                           // 8  unknown input
      '  - name: returns',                            // 9
      '    type: feature.lagged-return',              // 10 unknown type
      '    inputs: bars',                             // 11
      '  - name: model',                              // 12
      '    type: model.ridge',                        // 13
      '    inputs: quotes',                           // 14 schema mismatch
      '  - name: quotes',                             // 15 duplicate
      '    type: source.replay',                      // 16
      '  - name: out',                                // 17
      '    type: sink.parquet',                       // 18
      '    inputs: model',                            // 19
      '    params: { file: out.parquet, rows: 5 }',   // 20 unknown param
      '  - name: vol',                                // 21
      '    type: feature.volatility',                 // 22
      '    inputs: bars',                             // 23
      '    params: { windows: [1] }',                 // 24 out of range
    );
    const { topology, problems } = validate(text);
    expect(topology).toBeUndefined();
    const found = problems.map((p) => `${p.line} ${p.node ?? '-'} ${p.message}`).sort();
    expect(found).toEqual([
      '10 returns unknown operator type "feature.lagged-return"',
      '14 model input "quotes" emits Quote but port "cross_section" accepts CrossSection',
      '15 quotes duplicate node name',
      '2 - unknown key "sed"',
      '20 out unknown param "rows"',
      '24 vol param "windows[0]" is 1',
      '8 bars unknown input "quotse"',
    ]);
  });

  it('still checks the inputs of a node whose params are wrong', () => {
    const text = yaml(
      'nodes:',
      '  - name: quotes',
      '    type: source.replay',
      '  - name: bars',
      '    type: feature.bars',
      '    inputs: quotse',
      '    params: { minutes: 0 }',
    );
    const { problems } = validate(text);
    expect(problems.map((p) => `${p.line}:${p.col} ${p.message}`)).toEqual(expect.arrayContaining([
      `7:${locate(text, 7, '0').col} param "minutes" is 0`,
      '6:13 unknown input "quotse"',
    ]));
  });
});

describe('formatProblem', () => {
  it('prints FILE:LINE:COL node "NAME": message — hint, and leaves out what is absent', () => {
    expect(formatProblem({ file: 'a.yaml', line: 3, col: 7, node: 'n', message: 'bad', hint: 'good' }))
      .toBe('a.yaml:3:7 node "n": bad — good');
    expect(formatProblem({ file: 'a.yaml', line: 1, col: 2, message: 'bad' })).toBe('a.yaml:1:2: bad');
  });
});
