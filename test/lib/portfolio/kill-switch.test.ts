import { describe, expect, it } from 'vitest';
import {
  initialKillState,
  stepKillSwitch,
  type KillEvent,
  type KillState,
  type KillTransition,
} from '../../../lib/portfolio/kill-switch.ts';

const limits = { reduceAtLoss: 0.02, haltAtLoss: 0.05 };

/** Runs events through the machine; returns the final state and every transition. */
function run(events: KillEvent[], from: KillState = initialKillState()): { state: KillState; transitions: KillTransition[] } {
  let state = from;
  const transitions: KillTransition[] = [];
  for (const e of events) {
    const r = stepKillSwitch(state, e, limits);
    state = r.state;
    if (r.transition) transitions.push(r.transition);
  }
  return { state, transitions };
}

const open = (at: number, equity: number | null = 1_000_000): KillEvent => ({ kind: 'session_start', at, equity });
const equity = (at: number, value: number): KillEvent => ({ kind: 'equity', at, equity: value });

describe('kill switch', () => {
  it('starts ACTIVE and stays so while the loss is below the reduce limit', () => {
    const { state, transitions } = run([open(1), equity(2, 980_001), equity(3, 1_200_000)]);
    expect(state.mode).toBe('ACTIVE');
    expect(transitions).toEqual([]);
    expect(state.startEquity).toBe(1_000_000);
  });

  it('ACTIVE → REDUCING at the reduce limit, REDUCING → HALTED at the halt limit, with reasons', () => {
    const { state, transitions } = run([open(1), equity(2, 980_000), equity(3, 960_000), equity(4, 950_000)]);
    expect(transitions.map((t) => [t.from, t.to, t.at])).toEqual([
      ['ACTIVE', 'REDUCING', 2],
      ['REDUCING', 'HALTED', 4],
    ]);
    expect(transitions[0]!.reason).toBe('daily loss 2.00% of session start equity 1,000,000 (equity now 980,000) >= reduce limit 2.00%');
    expect(transitions[1]!.reason).toBe('daily loss 5.00% of session start equity 1,000,000 (equity now 950,000) >= halt limit 5.00%');
    expect(state).toMatchObject({ mode: 'HALTED', manual: false });
  });

  it('ACTIVE → HALTED directly on a loss past the halt limit', () => {
    const { transitions } = run([open(1), equity(2, 900_000)]);
    expect(transitions.map((t) => `${t.from}→${t.to}`)).toEqual(['ACTIVE→HALTED']);
  });

  it('only escalates within a session: recovery does not bring REDUCING back to ACTIVE', () => {
    const { state, transitions } = run([open(1), equity(2, 970_000), equity(3, 1_100_000)]);
    expect(state.mode).toBe('REDUCING');
    expect(transitions).toHaveLength(1);
  });

  it('the next session start resets to ACTIVE and re-bases the loss on the new starting equity', () => {
    const { state, transitions } = run([open(1), equity(2, 900_000), open(10, 900_000), equity(11, 890_000), equity(12, 882_000)]);
    expect(transitions.map((t) => `${t.from}→${t.to}@${t.at}`)).toEqual(['ACTIVE→HALTED@2', 'HALTED→ACTIVE@10', 'ACTIVE→REDUCING@12']);
    expect(transitions[1]!.reason).toBe('session start: reset (start equity 900,000)');
    // 890,000 is a 1.1% loss on 900,000: still ACTIVE; 882,000 is 2%.
    expect(state.mode).toBe('REDUCING');
  });

  it('takes the first equity as the reference when no session start carried one', () => {
    const { state, transitions } = run([open(1, null), equity(2, 500_000), equity(3, 490_000)]);
    expect(state.startEquity).toBe(500_000);
    expect(transitions.map((t) => t.to)).toEqual(['REDUCING']);
  });

  it('a manual halt is sticky: a session start does not release it', () => {
    const { state, transitions } = run([open(1), { kind: 'manual_halt', at: 2, reason: 'desk call' }, open(10), equity(11, 2_000_000)]);
    expect(transitions).toEqual([{ from: 'ACTIVE', to: 'HALTED', at: 2, reason: 'manual halt: desk call' }]);
    expect(state).toMatchObject({ mode: 'HALTED', manual: true, startEquity: 1_000_000 });
    const started = run([open(1)], initialKillState('start_halted param'));
    expect(started.state).toMatchObject({ mode: 'HALTED', manual: true, reason: 'manual halt: start_halted param' });
    expect(started.transitions).toEqual([]);
  });

  it('an order over the rate limit halts from ACTIVE or REDUCING; the next session start releases it (not a manual halt)', () => {
    const rate = (at: number): KillEvent => ({ kind: 'rate_limit', at, reason: 'order x refused (3 in 1 s, limit 3)' });
    const fromActive = run([open(1), rate(2), rate(3), open(4)]);
    expect(fromActive.transitions.map((t) => [t.from, t.to, t.at, t.reason])).toEqual([
      ['ACTIVE', 'HALTED', 2, 'rate limit: order x refused (3 in 1 s, limit 3)'],
      ['HALTED', 'ACTIVE', 4, 'session start: reset (start equity 1,000,000)'],
    ]);
    // 2% down: REDUCING; then the rate limit.
    const fromReducing = run([open(1), equity(2, 980_000), rate(3)]);
    expect(fromReducing.transitions.map((t) => [t.from, t.to])).toEqual([
      ['ACTIVE', 'REDUCING'],
      ['REDUCING', 'HALTED'],
    ]);
    expect(fromReducing.state.manual).toBe(false);
    // A manual halt stays manual (sticky) when the rate limit comes after it.
    const manual = run([open(1), { kind: 'manual_halt', at: 2, reason: 'desk' }, rate(3), open(4)]);
    expect(manual.state).toMatchObject({ mode: 'HALTED', manual: true, reason: 'manual halt: desk' });
  });

  it('fails closed: a non-finite equity or a non-positive starting equity halts', () => {
    expect(run([open(1), equity(2, Number.NaN)]).state).toMatchObject({ mode: 'HALTED', reason: 'equity NaN is not a finite number' });
    expect(run([open(1, 0), equity(2, 0)]).state).toMatchObject({ mode: 'HALTED', reason: 'session start equity 0 is not positive' });
  });

  it('is pure: stepping does not modify the state given', () => {
    const s0 = stepKillSwitch(initialKillState(), open(1), limits).state;
    const copy = { ...s0 };
    stepKillSwitch(s0, equity(2, 1), limits);
    expect(s0).toEqual(copy);
  });
});
