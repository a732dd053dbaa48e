/**
 * Validation of topology.yaml: every problem is located (file:line:col) and says what is wrong and
 * what would be accepted. Texts are inline, so that positions can be checked exactly: each expected
 * position is found in the text by plain string search (`locate`), never typed in as a column.
 *
 * Texts with one problem are a table of cases; what does not fit one (valid texts, several problems,
 * the default topology) are ordinary tests below it.
 */
import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { formatProblem, type Problem } from '../../pipelines/topology/problems.ts';
import {
  afterBars,
  afterQuotes,
  afterReturns,
  afterSnapshot,
  lineOf,
  locate,
  onlyLineOf,
  onlyProblem,
  validate,
  where,
  yaml,
} from './helpers.ts';

const DEFAULT_TOPOLOGY = new URL('../../topology.yaml', import.meta.url);
const defaultText = readFileSync(DEFAULT_TOPOLOGY, 'utf8');

/** Where a problem must be: a line (its number, or text found on exactly one line), and text on it. */
type At = [line: number | string, needle: string, nth?: number];
/** The hint, exactly; a pattern it matches; or text it contains (and does not). */
type Hint = string | RegExp | { contains: string[]; lacks?: string[] };

interface Case {
  title: string;
  text: string;
  at: At;
  /** The node the problem names; undefined for file-level problems. */
  node: string | undefined;
  message: string | RegExp;
  /** Left out: not checked. */
  hint?: Hint;
}

function position(text: string, [line, needle, nth]: At): { line: number; col: number } {
  return locate(text, typeof line === 'number' ? line : onlyLineOf(text, line), needle, nth);
}

function expectHint(actual: string | undefined, hint: Hint): void {
  if (typeof hint === 'string') expect(actual).toBe(hint);
  else if (hint instanceof RegExp) expect(actual).toMatch(hint);
  else {
    for (const text of hint.contains) expect(actual).toContain(text);
    for (const text of hint.lacks ?? []) expect(actual).not.toContain(text);
  }
}

/** `cycleOf(a, b, c)`: feature nodes a, b and c reading the named nodes (lines 6, 9 and 12). */
const cycleOf = (a: string, b: string, c: string): string =>
  afterQuotes(
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

/** quotes → sink.parquet, with `params` as its last line when given. */
const withSink = (params: string): string =>
  afterQuotes('  - name: out', '    type: sink.parquet', '    inputs: quotes', ...(params ? [params] : []));

/** quotes → bars → returns → snapshot → model.ridge, whose params block is `params`. */
const ridge = (...params: string[]): string =>
  afterSnapshot('  - name: model', '    type: model.ridge', '    inputs: snapshot', '    params:', ...params);

const CASES: Case[] = [
  // Operator types.
  {
    title: 'an unknown type, at its value, with the closest valid name',
    text: afterBars('  - name: returns', '    type: feature.lagged-return', '    inputs: bars'),
    at: ['type: feature.lagged-return', 'feature.lagged-return'],
    node: 'returns',
    message: 'unknown operator type "feature.lagged-return"',
    hint: 'did you mean "feature.lagged-returns"?',
  },
  {
    title: 'an unknown type with none close: points to `alpha ops`',
    text: yaml('nodes:', '  - name: quotes', '    type: kafka.consumer'),
    at: ['type: kafka.consumer', 'kafka.consumer'],
    node: 'quotes',
    message: 'unknown operator type "kafka.consumer"',
    hint: { contains: ['alpha ops'], lacks: ['did you mean'] },
  },
  {
    title: 'a node without a type, at the node',
    text: afterQuotes('  - name: bars', '    inputs: quotes'),
    at: ['name: bars', 'name'],
    node: 'bars',
    message: 'missing operator type',
  },

  // Inputs.
  {
    title: 'an unknown input (a plain name), with the closest node name',
    text: afterQuotes('  - name: bars', '    type: feature.bars', '    inputs: quotse'),
    at: ['inputs: quotse', 'quotse'],
    node: 'bars',
    message: 'unknown input "quotse"',
    hint: 'did you mean "quotes"?',
  },
  {
    title: 'an unknown input inside a port mapping, at that value',
    text: afterQuotes(
      '  - name: trades',
      '    type: source.replay',
      '  - name: bars',
      '    type: feature.bars',
      '    inputs: { quotes: quotes, trades: trade }',
    ),
    at: ['inputs: {', 'trade }'],
    node: 'bars',
    message: 'unknown input "trade"',
    hint: 'did you mean "trades"?',
  },
  {
    title: 'an unknown input inside a list, listing the nodes when none is close',
    text: afterQuotes('  - name: bars', '    type: feature.bars', '    inputs:', '      - quotes', '      - fills'),
    at: ['- fills', 'fills'],
    node: 'bars',
    message: 'unknown input "fills"',
    hint: 'expected one of: quotes, bars',
  },
  {
    title: 'an edge whose producer emits another schema than the port accepts (bars → model.ridge)',
    text: afterBars('  - name: model', '    type: model.ridge', '    inputs: bars'),
    at: ['inputs: bars', 'bars'],
    node: 'model',
    message: 'input "bars" emits Bar but port "cross_section" accepts CrossSection',
    hint: 'connect a node whose output is CrossSection',
  },
  {
    title: 'each producer of a variadic port is checked',
    text: afterReturns('  - name: snapshot', '    type: feature.cross-section', '    inputs: { features: [returns, quotes], bars: bars }'),
    at: ['features: [returns, quotes]', 'quotes'],
    node: 'snapshot',
    message: 'input "quotes" emits Quote but port "features" accepts FeatureVector',
  },
  {
    title: 'a node without inputs whose port is required, at the node',
    text: afterQuotes('  - name: bars', '    type: feature.bars'),
    at: ['name: bars', 'name'],
    node: 'bars',
    message: 'input port "quotes" is not connected',
    hint: { contains: ['connect a node whose output is Quote'] },
  },
  {
    title: 'a required port left out of an inputs mapping, at "inputs"',
    text: yaml(
      'nodes:',
      '  - name: trades',
      '    type: source.replay',
      '    params: { schema: Trade }',
      '  - name: bars',
      '    type: feature.bars',
      '    inputs: { trades: trades }',
    ),
    at: ['inputs: { trades: trades }', 'inputs'],
    node: 'bars',
    message: 'input port "quotes" is not connected',
    hint: { contains: ['Quote'] },
  },
  {
    title: 'an unknown port name in a mapping, at that port name, listing the ports',
    text: afterQuotes('  - name: bars', '    type: feature.bars', '    inputs: { quotes: quotes, trade: quotes }'),
    at: ['trade: quotes', 'trade:'],
    node: 'bars',
    message: 'unknown input port "trade"',
    hint: 'ports are: quotes (Quote), trades (Trade, optional)',
  },
  {
    title: 'a sink used as an input',
    text: afterQuotes(
      '  - name: out',
      '    type: sink.parquet',
      '    inputs: quotes',
      '    params: { file: q.parquet }',
      '  - name: again',
      '    type: sink.parquet',
      '    inputs: out',
      '    params: { file: r.parquet }',
    ),
    at: ['inputs: out', 'out'],
    node: 'again',
    message: 'input "out" is a sink.parquet, which has no output',
    hint: 'connect a node that emits records',
  },
  {
    title: 'inputs given to a source',
    text: afterQuotes('  - name: trades', '    type: source.replay', '    inputs: quotes'),
    at: ['inputs: quotes', 'quotes'],
    node: 'trades',
    message: 'source.replay takes no inputs',
  },

  // Cycles.
  {
    title: 'a cycle of two nodes, once, at the inputs of the node it was found from',
    text: cycleOf('b', 'a', 'b'),
    at: [6, 'b'],
    node: 'a',
    message: 'cycle a → b → a',
    hint: 'remove an edge, or read the later node through a feedback port',
  },
  {
    title: 'a cycle of three nodes, naming them all',
    text: cycleOf('c', 'a', 'b'),
    at: [6, 'c'],
    node: 'a',
    message: /^cycle a → (b → c|c → b) → a$/,
  },

  // Params.
  {
    title: 'a missing required param (sink.parquet file), at the node when it has no params',
    text: withSink(''),
    at: ['name: out', 'name'],
    node: 'out',
    message: 'missing param "file"',
    hint: { contains: ['File name in the output folder.'] },
  },
  {
    title: 'an ill-typed param (a string for a number), at its value',
    text: afterBars('    params: { minutes: five }'),
    at: ['minutes: five', 'five'],
    node: 'bars',
    message: 'param "minutes" is "five"',
    hint: { contains: ['expected number, received string', '(Bar length in minutes.)'] },
  },
  {
    title: 'a negative param (below its minimum), at its value',
    text: ridge('      lambda: -1'),
    at: ['lambda: -1', '-1'],
    node: 'model',
    message: 'param "lambda" is -1',
    hint: /too small.*>=\s?0/i,
  },
  {
    title: 'a param above its maximum, at its value',
    text: ridge('      lambda: 1', '      warmup_days: 6'),
    at: ['warmup_days: 6', '6'],
    node: 'model',
    message: 'param "warmup_days" is 6',
    hint: /too big.*<=\s?5/i,
  },
  {
    title: 'a bad element of a list param, with its index',
    text: afterReturns('    params: { horizons: [1, 20000] }'),
    at: ['horizons: [1, 20000]', '20000'],
    node: 'returns',
    message: 'param "horizons[1]" is 20000',
    hint: /<=\s?10000/,
  },
  {
    title: 'an unknown param, at its key, with the closest param name',
    text: afterReturns('    params:', '      horizon: 3'),
    at: ['horizon: 3', 'horizon'],
    node: 'returns',
    message: 'unknown param "horizon"',
    hint: 'did you mean "horizons"?',
  },
  {
    title: 'an unknown param with a list value, at its key',
    text: afterBars('  - name: volatility', '    type: feature.volatility', '    inputs: bars', '    params: { window: [10, 30] }'),
    at: ['window: [10, 30]', 'window'],
    node: 'volatility',
    message: 'unknown param "window"',
    hint: 'did you mean "windows"?',
  },

  // Duplicate node names.
  {
    title: 'a duplicate node name, at the second occurrence, pointing at the line of the first',
    text: afterQuotes('  - name: trades', '    type: source.replay', '  - name: quotes', '    type: source.replay'),
    at: [6, 'quotes'],
    node: 'quotes',
    message: 'duplicate node name',
    hint: 'node names must be unique (first defined at line 2)',
  },

  // YAML syntax errors: at the line:col the YAML parser gives.
  {
    title: 'a duplicate key',
    text: afterQuotes('    type: source.replay'),
    at: [4, 'type'],
    node: undefined,
    message: /^YAML syntax error: Map keys must be unique/,
    hint: 'fix the YAML syntax',
  },
  {
    title: 'a tab used as indentation',
    text: 'nodes:\n\t- name: quotes\n',
    at: [2, '\t'],
    node: undefined,
    message: /^YAML syntax error: Tabs are not allowed/,
  },

  // Unknown keys.
  {
    title: 'an unknown top-level key, at that key, with the closest key',
    text: yaml('name: x', 'sed: 3', 'nodes:', '  - name: quotes', '    type: source.replay'),
    at: ['sed: 3', 'sed'],
    node: undefined,
    message: 'unknown key "sed"',
    hint: 'did you mean "seed"?',
  },
  {
    title: 'an unknown top-level key with none close: lists the keys',
    text: afterQuotes('description:', '  - a graph'),
    at: ['description:', 'description'],
    node: undefined,
    message: 'unknown key "description"',
    hint: 'expected one of: name, seed, data, taps, groups, nodes',
  },
  {
    title: 'an unknown node key with a mapping value, at that key',
    text: afterQuotes('    param: { dataset: q }'),
    at: ['param: {', 'param'],
    node: 'quotes',
    message: 'unknown key "param"',
    hint: 'did you mean "params"?',
  },
  {
    title: 'an unknown node key with a scalar value, at that key',
    text: afterBars('    input: quotes'),
    at: ['input: quotes', 'input'],
    node: 'bars',
    message: 'unknown key "input"',
    hint: 'did you mean "inputs"?',
  },
];

describe('a text with one problem reports it where it is, saying what would do', () => {
  it.each(CASES.map((c) => [c.title, c] as const))('%s', (_title, { text, at, node, message, hint }) => {
    const p = onlyProblem(text);
    const { line, col } = position(text, at);
    expect(where(p)).toEqual({ file: 'bad.yaml', line, col });
    expect(p.node).toBe(node);
    if (typeof message === 'string') expect(p.message).toBe(message);
    else expect(p.message).toMatch(message);
    if (hint !== undefined) expectHint(p.hint, hint);
    // The one line printed for it.
    expect(formatProblem(p)).toBe(
      `bad.yaml:${line}:${col}${node === undefined ? ':' : ` node "${node}":`} ${p.message}${p.hint ? ` — ${p.hint}` : ''}`,
    );
  });
});

describe('the default topology.yaml', () => {
  it('is valid and resolves every node', () => {
    const { topology, problems } = validate(defaultText, [], 'topology.yaml');
    expect(problems).toEqual([]);
    expect(topology?.nodes.map((n) => n.name).sort()).toEqual([
      'accounting',
      'alpha',
      'bar_stats',
      'bars',
      'broker',
      'costs_out',
      'equity_out',
      'fills_out',
      'microstructure',
      'model',
      'normalised',
      'order_states_out',
      'orders',
      'orders_out',
      'predictions_out',
      'pretrade',
      'quotes',
      'relative',
      'returns',
      'sizing',
      'snapshot',
      'trades',
      'volatility',
    ]);
    expect(topology?.name).toBe('default');
    expect(topology?.seed).toBe(42);
    expect(topology?.data).toBe('data/sample');
  });

  it('does not count the feedback ports (sizing.portfolio, orders.portfolio, pretrade.portfolio/states) as a cycle', () => {
    const { topology } = validate(defaultText, [], 'topology.yaml');
    const order = topology?.nodes.map((n) => n.name) ?? [];
    const sizing = topology?.nodes.find((n) => n.name === 'sizing');
    const orders = topology?.nodes.find((n) => n.name === 'orders');
    // The feedback edges are bound…
    expect(sizing?.inputs).toEqual({ signals: ['alpha'], bars: ['bars'], portfolio: ['accounting'] });
    expect(orders?.inputs).toEqual({ targets: ['sizing'], quotes: ['quotes'], portfolio: ['accounting'] });
    expect(topology?.nodes.find((n) => n.name === 'pretrade')?.inputs).toEqual({
      orders: ['orders'],
      quotes: ['quotes'],
      portfolio: ['accounting'],
      states: ['broker.states'],
    });
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
    expect(quotes?.params).toEqual({ dataset: 'quotes', schema: 'Quote', batch_size: 8192, store: 'files' });
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

describe('valid texts', () => {
  it('accepts any schema on a sink, and leaves optional ports unbound', () => {
    const { topology, problems } = validate(
      afterBars(
        '  - name: quotes_out',
        '    type: sink.parquet',
        '    inputs: quotes',
        '    params: { file: q.parquet }',
        '  - name: bars_out',
        '    type: sink.parquet',
        '    inputs: bars',
        '    params: { file: b.parquet }',
      ),
    );
    expect(problems).toEqual([]);
    expect(topology?.nodes.find((n) => n.name === 'bars')?.inputs).toEqual({ quotes: ['quotes'] });
  });

  it('accepts a chain of cross-section stages without a back edge, in order', () => {
    const { topology, problems } = validate(
      afterSnapshot(
        '  - name: a',
        '    type: feature.relative',
        '    inputs: snapshot',
        '  - name: b',
        '    type: feature.rank-gauss',
        '    inputs: a',
      ),
    );
    expect(problems).toEqual([]);
    expect(topology?.nodes.map((n) => n.name)).toEqual(['quotes', 'bars', 'returns', 'snapshot', 'a', 'b']);
  });

  it('accepts the ridge fixture when its params are in range', () => {
    const { topology, problems } = validate(ridge('      lambda: 0', '      warmup_days: 5'));
    expect(problems).toEqual([]);
    expect(topology?.nodes.find((n) => n.name === 'model')?.params).toMatchObject({ lambda: 0, warmup_days: 5 });
  });
});

describe('texts with several problems', () => {
  const located = (problems: Problem[], message: string): { file: string; line: number; col: number } | undefined => {
    const p = problems.find((q) => q.message === message);
    return p && where(p);
  };

  it('a node reading itself is a cycle of one (among the others of that text)', () => {
    const { problems } = validate(cycleOf('a', 'c', 'b'));
    expect(problems.map((p) => [p.node, p.line, p.message])).toContainEqual(['a', 6, 'cycle a → a']);
  });

  it('a missing required param is reported at the params mapping when it has other keys', () => {
    const text = withSink('    params: { compression: zstd }');
    const { problems } = validate(text);
    expect(located(problems, 'missing param "file"')).toEqual({ file: 'bad.yaml', ...position(text, ['params: {', '{']) });
    expect(problems.map((p) => p.message)).toContain('unknown param "compression"');
  });

  it('a value outside an enum is reported at that value, listing the values', () => {
    const text = afterQuotes('  - name: orders', '    type: execution.orders', '    params: { order_type: STOP }');
    const { problems } = validate(text);
    const p = problems.find((q) => q.message.startsWith('param "order_type"'));
    expect(p && where(p)).toEqual({ file: 'bad.yaml', ...position(text, ['order_type: STOP', 'STOP']) });
    expect(p?.message).toBe('param "order_type" is "STOP"');
    expect(p?.hint).toContain('MARKET');
  });

  it('every later occurrence of a node name is reported against the first', () => {
    const { problems } = validate(
      afterQuotes('  - name: quotes', '    type: source.replay', '  - name: quotes', '    type: source.replay'),
    );
    expect(problems.map((p) => [p.line, p.hint])).toEqual([
      [4, 'node names must be unique (first defined at line 2)'],
      [6, 'node names must be unique (first defined at line 2)'],
    ]);
  });

  it('an unclosed flow mapping is reported where the parser stops', () => {
    const text = yaml('name: x', 'nodes:', '  - name: quotes', '    type: source.replay', '    params: { batch_size: 5', '  - name: out');
    const { problems } = validate(text);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]?.message).toMatch(/^YAML syntax error: Flow map .* end with a \}/);
    expect(where(problems[0]!)).toEqual({ file: 'bad.yaml', ...position(text, [6, '-']) });
  });

  it('syntax errors stop there: no validation problem and no --set is reported on top', () => {
    const { topology, problems } = validate(yaml('nodes:', '  - name: quotes', '    type: source.replai', '    type: source.replay'), [
      'nobody.x=1',
    ]);
    expect(topology).toBeUndefined();
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((p) => p.message.startsWith('YAML syntax error:') && p.file === 'bad.yaml')).toBe(true);
  });

  it('reports all of them, each at its own line', () => {
    const text = yaml(
      'name: many', // 1
      'sed: 3', // 2  unknown key
      'nodes:', // 3
      '  - name: quotes', // 4
      '    type: source.replay', // 5
      '  - name: bars', // 6
      '    type: feature.bars', // 7
      '    inputs: quotse', // 8  unknown input
      '  - name: returns', // 9
      '    type: feature.lagged-return', // 10 unknown type
      '    inputs: bars', // 11
      '  - name: model', // 12
      '    type: model.ridge', // 13
      '    inputs: quotes', // 14 schema mismatch
      '  - name: quotes', // 15 duplicate
      '    type: source.replay', // 16
      '  - name: out', // 17
      '    type: sink.parquet', // 18
      '    inputs: model', // 19
      '    params: { file: out.parquet, rows: 5 }', // 20 unknown param
      '  - name: vol', // 21
      '    type: feature.volatility', // 22
      '    inputs: bars', // 23
      '    params: { windows: [1] }', // 24 out of range
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
    const text = afterQuotes('  - name: bars', '    type: feature.bars', '    inputs: quotse', '    params: { minutes: 0 }');
    const { problems } = validate(text);
    const at = (a: At): string => {
      const { line, col } = position(text, a);
      return `${line}:${col}`;
    };
    expect(problems.map((p) => `${p.line}:${p.col} ${p.message}`)).toEqual(
      expect.arrayContaining([
        `${at(['minutes: 0', '0'])} param "minutes" is 0`,
        `${at(['inputs: quotse', 'quotse'])} unknown input "quotse"`,
      ]),
    );
  });
});

describe('formatProblem', () => {
  it('prints FILE:LINE:COL node "NAME": message — hint, and leaves out what is absent', () => {
    expect(formatProblem({ file: 'a.yaml', line: 3, col: 7, node: 'n', message: 'bad', hint: 'good' })).toBe(
      'a.yaml:3:7 node "n": bad — good',
    );
    expect(formatProblem({ file: 'a.yaml', line: 1, col: 2, message: 'bad' })).toBe('a.yaml:1:2: bad');
  });
});
