/**
 * One table of matching cases (test/fixtures/execution/broker-conformance.json), two implementations:
 * the simulated broker execution.book-broker, fed what a market-data feed shows, and colo_venue, a real
 * process on loopback, driven through the OUCH client of execution.ouch. Each must give the rules'
 * fills and order states, or, where the table marks a deliberate difference and says why, its own.
 * Rules and differences: docs/execution.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBroker } from './broker-runner.ts';
import { type Case, cases, expected, type FillRow, type Implementation, REJECT_CLASSES, type StateRow } from './cases.ts';
import { VenueRunner } from './venue-runner.ts';

describe('the conformance table', () => {
  it('has cases, each saying how the broker and the venue answer, with their own outcome where they differ', () => {
    expect(cases.length).toBeGreaterThanOrEqual(12);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    for (const c of cases) {
      for (const side of ['broker', 'venue'] as const) {
        expect(c[side], `${c.name}: ${side}`).toMatch(/^(same|differs: .+)/);
        expect(() => expected(c, side), c.name).not.toThrow();
      }
    }
  });
});

/** One implementation behind the table: started once, then each case in turn. */
interface Runner {
  start(): Promise<void>;
  run(c: Case, index: number): Promise<{ fills: FillRow[]; states: StateRow[]; reasons: [string, string][]; auditFills?: FillRow[] }>;
  stop(): Promise<void>;
}

const dir = mkdtempSync(join(tmpdir(), 'alpha-conformance-'));
let venue: VenueRunner | undefined;
const runners: Record<Implementation, Runner> = {
  broker: { start: async () => {}, run: (c) => runBroker(c.steps), stop: async () => {} },
  venue: {
    start: async () => {
      venue = await VenueRunner.start(dir, cases.length);
    },
    run: (c, index) => venue!.run(c, index),
    stop: async () => {
      await venue?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  },
};

describe.each([
  ['execution.book-broker', 'broker'],
  ['colo_venue through OUCH', 'venue'],
] as const)('%s', (_title, side: Implementation) => {
  const runner = runners[side];
  beforeAll(() => runner.start());
  afterAll(() => runner.stop());
  it.each(cases.map((c, i) => [c.name, c, i] as const))('%s', async (_name, c: Case, index: number) => {
    const want = expected(c, side);
    const got = await runner.run(c, index);
    expect(got.fills).toEqual(want.fills);
    expect(got.states).toEqual(want.states);
    expect(got.reasons.map(([id]) => id)).toEqual(want.rejects.map(([id]) => id));
    want.rejects.forEach(([id, kind], i) => expect(got.reasons[i]![1], `${id}: ${kind}`).toMatch(REJECT_CLASSES[kind]));
    // The venue's answers as the client read them are the venue's own record of them.
    if (got.auditFills) expect(got.auditFills).toEqual(got.fills);
  });
});
