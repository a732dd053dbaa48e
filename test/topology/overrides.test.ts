/**
 * `--set NODE.PARAM=VALUE` overrides: applied to the document before validation, and their problems
 * name the flag rather than a line of the file.
 */
import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { formatProblem } from '../../pipelines/topology/problems.ts';
import { locate, onlyProblem, validate, where, yaml } from './helpers.ts';

const defaultText = readFileSync(new URL('../../topology.yaml', import.meta.url), 'utf8');
const ridgeText = readFileSync(new URL('../../examples/ridge.yaml', import.meta.url), 'utf8');

const small = yaml(
  'nodes:',
  '  - name: quotes',
  '    type: source.replay',
  '  - name: bars',
  '    type: feature.bars',
  '    inputs: quotes',
  '    params: { minutes: 5 }',
  '  - name: out',
  '    type: sink.parquet',
  '    inputs: bars',
  '    params: { file: bars.parquet }',
);

function paramsOf(text: string, sets: string[], node: string): unknown {
  const { topology, problems } = validate(text, sets);
  expect(problems).toEqual([]);
  return topology?.nodes.find((n) => n.name === node)?.params;
}

describe('--set overrides that are valid', () => {
  it('change the resolved params of the default topology', () => {
    expect(paramsOf(defaultText, [], 'sizing')).toMatchObject({ gamma: 1000, tcost_bps: 5 });
    expect(paramsOf(defaultText, ['sizing.gamma=3', 'sizing.tcost_bps=20'], 'sizing')).toMatchObject({
      gamma: 3,
      tcost_bps: 20,
      alpha_scale: 0.001,
    });
  });

  it('parse the value as YAML (numbers, lists, strings)', () => {
    // The ridge example: changing features there needs no retrained model.
    expect(paramsOf(ridgeText, ['volatility.windows=[2, 4]'], 'volatility')).toMatchObject({ windows: [2, 4] });
    expect(paramsOf(defaultText, ['returns.intraday=false'], 'returns')).toMatchObject({ intraday: false });
    expect(paramsOf(defaultText, ['orders_out.file=o.parquet'], 'orders_out')).toEqual({ file: 'o.parquet' });
    expect(paramsOf(defaultText, ['orders.order_type=LIMIT'], 'orders')).toMatchObject({ order_type: 'LIMIT' });
  });

  it("that change the model's features are refused against its card", () => {
    const { problems } = validate(defaultText, ['volatility.windows=[2, 4]']);
    expect(problems.map((p) => p.message)).toEqual([
      expect.stringContaining('the model in models/default expects 116 features, the topology delivers'),
    ]);
  });

  it('add params to a node that declares none', () => {
    expect(paramsOf(small, ['quotes.batch_size=100'], 'quotes')).toEqual({
      dataset: 'quotes',
      schema: 'Quote',
      batch_size: 100,
      store: 'files',
    });
  });

  it('apply in order, the last one winning', () => {
    expect(paramsOf(small, ['bars.minutes=2', 'bars.minutes=30'], 'bars')).toEqual({ minutes: 30 });
  });

  it('leave the other nodes alone', () => {
    const { topology } = validate(small, ['bars.minutes=2']);
    expect(topology?.nodes.find((n) => n.name === 'out')?.params).toEqual({ file: 'bars.parquet' });
    expect(topology?.nodes.find((n) => n.name === 'quotes')?.params).toEqual({
      dataset: 'quotes',
      schema: 'Quote',
      batch_size: 8192,
      store: 'files',
    });
  });
});

describe('--set overrides that are wrong', () => {
  it('report a value out of range under the flag, not a line of the file', () => {
    const p = onlyProblem(small, ['bars.minutes=-5']);
    expect(where(p)).toEqual({ file: '--set bars.minutes=-5', line: 1, col: 1 });
    expect(p.node).toBe('bars');
    expect(p.message).toBe('param "minutes" is -5');
    expect(p.hint).toMatch(/too small.*>=\s?1/i);
    expect(formatProblem(p)).toMatch(/^--set bars\.minutes=-5 node "bars": param "minutes" is -5 — /);
  });

  it('report an ill-typed value under the flag', () => {
    const p = onlyProblem(small, ['bars.minutes=abc']);
    expect(where(p)).toEqual({ file: '--set bars.minutes=abc', line: 1, col: 1 });
    expect(p.message).toBe('param "minutes" is "abc"');
    expect(p.hint).toMatch(/expected number, received string/);
  });

  it('report an unknown param under the flag, with the closest param', () => {
    const p = onlyProblem(small, ['bars.minute=5']);
    expect(where(p)).toEqual({ file: '--set bars.minute=5', line: 1, col: 1 });
    expect(p.message).toBe('unknown param "minute"');
    expect(p.hint).toBe('did you mean "minutes"?');
  });

  it('report an unknown node, listing the nodes', () => {
    const p = onlyProblem(small, ['bras.minutes=5']);
    expect(where(p)).toEqual({ file: '--set bras.minutes=5', line: 1, col: 1 });
    expect(p.node).toBeUndefined();
    expect(p.message).toBe('no node named "bras"');
    expect(p.hint).toBe('nodes are: quotes, bars, out');
  });

  it.each([
    ['bars.minutes', 'no "="'],
    ['minutes=5', 'no node'],
    ['.minutes=5', 'an empty node'],
  ])('report a malformed flag (%s: %s)', (flag) => {
    const p = onlyProblem(small, [flag]);
    expect(where(p)).toEqual({ file: `--set ${flag}`, line: 1, col: 1 });
    expect(p.message).toBe('malformed override');
    expect(p.hint).toContain('NODE.PARAM=VALUE');
  });

  it('are reported together with the problems of the file, each where it belongs', () => {
    const text = small.replace('minutes: 5', 'minutes: 0');
    const { problems } = validate(text, ['out.file=7']);
    expect(problems.map((p) => `${p.file}:${p.line}:${p.col} ${p.message}`).sort()).toEqual([
      '--set out.file=7:1:1 param "file" is 7',
      `bad.yaml:7:${locate(text, 7, '0').col} param "minutes" is 0`,
    ]);
  });

  it('naming an unknown node do not hide the other problems', () => {
    const text = small.replace('minutes: 5', 'minutes: 0');
    const { problems } = validate(text, ['out.file=7', 'nobody.x=1']);
    expect(problems.map((p) => `${p.file}:${p.line}:${p.col} ${p.message}`).sort()).toEqual([
      '--set nobody.x=1:1:1 no node named "nobody"',
      '--set out.file=7:1:1 param "file" is 7',
      `bad.yaml:7:${locate(text, 7, '0').col} param "minutes" is 0`,
    ]);
  });

  it('do not take over the other problems of the node they set', () => {
    const text = yaml('nodes:', '  - name: quotes', '    type: source.replay', '  - name: bars', '    type: feature.bars');
    const p = onlyProblem(text, ['bars.minutes=5']);
    expect(p.message).toBe('input port "quotes" is not connected');
    expect(where(p)).toEqual({ file: 'bad.yaml', ...locate(text, 4, 'name') });
  });

  it('report, rather than throw, a path that goes through a value which is not a mapping', () => {
    const text = yaml('nodes:', '  - name: quotes', '    type: source.replay', '    params: { dataset: quotes }');
    let result: ReturnType<typeof validate> | undefined;
    expect(() => {
      result = validate(text, ['quotes.dataset.name=q']);
    }).not.toThrow();
    expect(result?.topology).toBeUndefined();
    expect(result?.problems.map((p) => p.file)).toContain('--set quotes.dataset.name=q');
  });
});
