/**
 * The conformance table (broker-conformance.json) against execution.book-broker fed the levels beyond
 * the top as well (broker-runner.ts with `depth`): the cases the broker differed on because the Quote
 * schema has one level now give the rules' outcome, as the venue does; every other case gives what
 * the broker gives without depth. docs/execution.md, "Depth".
 */
import { describe, expect, it } from 'vitest';
import { runBroker } from './broker-runner.ts';
import { type Case, cases, expected } from './cases.ts';

/** The cases whose difference is the missing depth, by what the table says of them. */
const isDepthCase = (c: Case): boolean => /one level|no depth/.test(c.broker);

describe('execution.book-broker with depth, on the conformance table', () => {
  it('has the two depth cases the table names', () => {
    expect(cases.filter(isDepthCase).map((c) => c.name)).toEqual([
      'a market order larger than the touch takes the next level',
      'an IOC limit larger than the top level takes the levels within its limit',
    ]);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c: Case) => {
    const want = expected(c, isDepthCase(c) ? 'venue' : 'broker');
    const got = await runBroker(c.steps, { depth: true });
    expect(got.fills).toEqual(want.fills);
    expect(got.states).toEqual(want.states);
    expect(got.reasons.map(([id]) => id)).toEqual(want.rejects.map(([id]) => id));
  });
});
