/**
 * The grid of `alpha sweep`: parsing the --grid flags (pure), and the plan checked against the real
 * topology.yaml and the operator registry (every value through the operator's own param schema).
 */
import { describe, expect, it } from 'vitest';
import { registry } from '../../operators/index.ts';
import { gridPoints, MAX_POINTS, parseGrid, splitValues } from '../../pipelines/sweep/grid.ts';
import { GridError, planSweep } from '../../pipelines/sweep/validate-grid.ts';
import { TopologyError } from '../../pipelines/topology/problems.ts';

const TOPOLOGY = new URL('../../topology.yaml', import.meta.url).pathname;

describe('splitValues', () => {
  it('splits at commas outside brackets, braces and quotes', () => {
    expect(splitValues('1,2,3')).toEqual(['1', '2', '3']);
    expect(splitValues('[10,30],[20,60]')).toEqual(['[10,30]', '[20,60]']);
    expect(splitValues('{a: 1, b: [2,3]},{a: 2}')).toEqual(['{a: 1, b: [2,3]}', '{a: 2}']);
    expect(splitValues(`"a,b",'c,d',e`)).toEqual(['"a,b"', "'c,d'", 'e']);
    expect(splitValues('"a\\",b",c')).toEqual(['"a\\",b"', 'c']);
    expect(splitValues('x')).toEqual(['x']);
  });

  it('says what is wrong with unbalanced brackets and quotes', () => {
    expect(splitValues('[1,2')).toMatch(/bracket is not closed \(missing "\]"\)/);
    expect(splitValues('1]')).toMatch(/unbalanced "\]" at character 2/);
    expect(splitValues('[1}')).toMatch(/unbalanced "}" at character 3/);
    expect(splitValues('"a,b')).toMatch(/" quote is not closed/);
  });
});

describe('parseGrid and gridPoints', () => {
  it('makes every combination, the last axis varying fastest', () => {
    const { axes, problems } = parseGrid(['sizing.gamma=500,1000', 'broker.fee_bps=0.5,1,2', 'sizing.constraints.gross=1.5']);
    expect(problems).toEqual([]);
    expect(axes.map((a) => [a.node, a.param, a.values])).toEqual([
      ['sizing', 'gamma', ['500', '1000']],
      ['broker', 'fee_bps', ['0.5', '1', '2']],
      ['sizing', 'constraints.gross', ['1.5']],
    ]);
    const points = gridPoints(axes);
    // 2 × 3 × 1 points, indexed in order; written out by hand.
    expect(points.map((p) => p.values.join(' '))).toEqual([
      '500 0.5 1.5',
      '500 1 1.5',
      '500 2 1.5',
      '1000 0.5 1.5',
      '1000 1 1.5',
      '1000 2 1.5',
    ]);
    expect(points.map((p) => p.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(points[4]!.sets).toEqual(['sizing.gamma=1000', 'broker.fee_bps=1', 'sizing.constraints.gross=1.5']);
  });

  it('reports every malformed flag at once, one line each', () => {
    const { problems } = parseGrid([
      'sizing',
      'sizing.gamma',
      'sizing.alpha_scale=',
      'sizing.tcost_bps=1,,2',
      'broker.fee_bps=1,1',
      '../x.gamma=1',
      'sizing.gam ma=1',
      'orders.lot_size=[1',
      'orders.lot_size=2',
      'orders.lot_size=3',
      'a\u001b[31m.b=1',
    ]);
    expect(problems).toHaveLength(11);
    expect(problems[0]).toMatch(/^--grid sizing: expected NODE\.PARAM=v1,v2/);
    expect(problems[1]).toMatch(/^--grid sizing\.gamma: expected NODE\.PARAM=v1,v2/);
    expect(problems[2]).toMatch(/value 1 of 1 is empty/);
    expect(problems[3]).toMatch(/value 2 of 3 is empty/);
    expect(problems[4]).toMatch(/the value "1" is listed twice/);
    expect(problems[5]).toMatch(/^--grid \.\.\/x\.gamma=1: "" is not a name/); // the node before the first dot is empty
    expect(problems[6]).toMatch(/"gam ma" is not a name/);
    expect(problems[7]).toMatch(/bracket is not closed/);
    // Naming a param a second time is refused whatever became of the first flag.
    expect(problems[8]).toMatch(/orders\.lot_size is already an axis \(--grid orders\.lot_size=\[1\)/);
    expect(problems[9]).toMatch(/orders\.lot_size is already an axis \(--grid orders\.lot_size=\[1\)/);
    // A control character is shown escaped, never written raw to a terminal.
    expect(problems[10]).toContain('\\u001b[31m');
    expect(problems.join('\n')).not.toContain('\u001b');
  });

  it(`refuses more than ${MAX_POINTS} points`, () => {
    const values = Array.from({ length: 40 }, (_, i) => String(i + 1)).join(',');
    const { problems } = parseGrid([`sizing.gamma=${values}`, `broker.fee_bps=${values}`]);
    expect(problems).toEqual([`--grid: 40 × 40 = 1600 points, expected at most ${MAX_POINTS}: fewer values or axes`]);
  });
});

describe('planSweep against topology.yaml', () => {
  const plan = (flags: string[], sets: string[] = []) => planSweep(TOPOLOGY, sets, flags, registry);
  const problemsOf = (flags: string[], sets: string[] = []): readonly string[] => {
    try {
      plan(flags, sets);
    } catch (err) {
      if (err instanceof GridError) return err.problems;
      throw err;
    }
    throw new Error('expected a GridError');
  };

  it('plans a valid grid', () => {
    const p = plan(['sizing.gamma=500,1000', 'broker.taker_fee_bps=0,1']);
    expect(p.points).toHaveLength(4);
    expect(p.topology.nodes.find((n) => n.name === 'sizing')?.type).toBe('risk.mvo');
  });

  it('names the node and the param, with what would be accepted', () => {
    const problems = problemsOf(['sizng.gamma=1', 'sizing.gama=1', 'sizing.gamma=1']);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(
      /^--grid sizng\.gamma=1: no node "sizng" in .*topology\.yaml \(did you mean "sizing"\?\), expected one of: quotes, trades, /,
    );
    expect(problems[1]).toMatch(
      /^--grid sizing\.gama=1: node "sizing" \(risk\.mvo\) has no param "gama" \(did you mean "gamma"\?\), expected one of: gamma, /,
    );
  });

  it("checks every value with the operator's own param schema, all problems at once", () => {
    const problems = problemsOf(['broker.order_latency_us=1000,1.5,-3,abc', 'sizing.gamma=500']);
    // order_latency_us is a whole number ≥ 0 in execution.book-broker's schema: 1.5, -3 and "abc" fail it.
    expect(problems.map((p) => p.split(':').slice(0, 2).join(''))).toEqual([
      '--grid broker.order_latency_us=1000,1.5,-3,abc value 1.5',
      '--grid broker.order_latency_us=1000,1.5,-3,abc value -3',
      '--grid broker.order_latency_us=1000,1.5,-3,abc value abc',
    ]);
    expect(problems[0]).toMatch(/node "broker": param "order_latency_us" is 1\.5 — .*int/);
  });

  it('checks each combination too (a rule across params)', () => {
    // With dollar_neutral off in the base, long_only=true and dollar_neutral=true are each valid on
    // their own, but risk.mvo refuses the two together: only point 3 (true, true) fails.
    const base = ['sizing.constraints.dollar_neutral=false'];
    const problems = problemsOf(['sizing.constraints.long_only=false,true', 'sizing.constraints.dollar_neutral=false,true'], base);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^--grid point 3 \(sizing\.constraints\.long_only=true, sizing\.constraints\.dollar_neutral=true\): node "sizing": .*long_only with dollar_neutral/,
    );
  });

  it('names a base --set that an axis replaces at every point (the grid won without a word)', () => {
    const p = plan(
      ['sizing.gamma=1,2', 'sizing.constraints.gross=1,2'],
      ['sizing.gamma=5', 'sizing.constraints.gross=1.5', 'sizing.tcost_bps=7'],
    );
    expect(p.overridden).toEqual([
      '--set sizing.gamma=5 is replaced at every point by --grid sizing.gamma=1,2: no point runs it',
      '--set sizing.constraints.gross=1.5 is replaced at every point by --grid sizing.constraints.gross=1,2: no point runs it',
    ]);
    // A --set of the object an axis goes into is the base the grid's value lands in: nothing to say.
    expect(plan(['sizing.constraints.gross=1,2'], ['sizing.constraints.max_weight=0.1']).overridden).toEqual([]);
  });

  it('refuses no --grid, and an invalid base topology as a topology error', () => {
    expect(problemsOf([])).toEqual(['--grid: none given, expected at least one --grid NODE.PARAM=v1,v2,…']);
    expect(() => plan(['sizing.gamma=1'], ['sizing.gamma=oops'])).toThrow(TopologyError);
  });
});
