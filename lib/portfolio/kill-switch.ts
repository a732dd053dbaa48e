/**
 * The kill switch of pre-trade risk, as a pure state machine: a state, an event, the limits in, the
 * next state and the transition (with its reason) out. No clock, no I/O, so every transition can be
 * tested alone; `risk.pretrade` feeds it session starts and portfolio equity and logs what it returns.
 *
 *   ACTIVE → REDUCING      the session's loss reaches reduceAtLoss
 *   ACTIVE | REDUCING → HALTED   the loss reaches haltAtLoss, equity is not finite, an order over the
 *                                rate limit (when the operator trips on it), or a manual halt
 *   REDUCING | HALTED → ACTIVE   the next session starts (never after a manual halt)
 *
 * Loss is the fraction of the session's starting equity lost since the session started. The switch
 * only escalates within a session: a recovery of equity does not bring REDUCING back to ACTIVE.
 * A manual halt is sticky: no session start releases it (a person must).
 */
import type { Micros } from '../core/time.ts';

export const KILL_MODES = ['ACTIVE', 'REDUCING', 'HALTED'] as const;
export type KillMode = (typeof KILL_MODES)[number];

export interface KillLimits {
  /** Fraction of the session's starting equity whose loss moves ACTIVE to REDUCING. */
  reduceAtLoss: number;
  /** Fraction of the session's starting equity whose loss moves to HALTED; >= reduceAtLoss. */
  haltAtLoss: number;
}

export interface KillState {
  readonly mode: KillMode;
  readonly reason: string;
  /** Set by a manual halt; only a person releases it. */
  readonly manual: boolean;
  /** Equity when the session started (null until known: then the first equity seen sets it). */
  readonly startEquity: number | null;
}

export type KillEvent =
  | { kind: 'session_start'; at: Micros; equity: number | null }
  | { kind: 'equity'; at: Micros; equity: number }
  | { kind: 'manual_halt'; at: Micros; reason: string }
  /** An order over the rate limit: `reason` names the count and the limit. */
  | { kind: 'rate_limit'; at: Micros; reason: string };

export interface KillTransition {
  from: KillMode;
  to: KillMode;
  at: Micros;
  reason: string;
}

export function initialKillState(manualHalt?: string): KillState {
  return manualHalt === undefined
    ? { mode: 'ACTIVE', reason: 'initial', manual: false, startEquity: null }
    : { mode: 'HALTED', reason: `manual halt: ${manualHalt}`, manual: true, startEquity: null };
}

const RANK: Record<KillMode, number> = { ACTIVE: 0, REDUCING: 1, HALTED: 2 };

/** The next state after `event`, and the transition when the mode changed. */
export function stepKillSwitch(
  state: KillState,
  event: KillEvent,
  limits: KillLimits,
): { state: KillState; transition: KillTransition | null } {
  const move = (next: KillState): { state: KillState; transition: KillTransition | null } => ({
    state: next,
    transition: next.mode === state.mode ? null : { from: state.mode, to: next.mode, at: event.at, reason: next.reason },
  });
  switch (event.kind) {
    case 'manual_halt':
      if (state.mode === 'HALTED' && state.manual) return { state, transition: null };
      return move({ ...state, mode: 'HALTED', reason: `manual halt: ${event.reason}`, manual: true });
    case 'rate_limit':
      if (state.mode === 'HALTED') return { state, transition: null };
      return move({ ...state, mode: 'HALTED', reason: `rate limit: ${event.reason}` });
    case 'session_start': {
      const startEquity = event.equity !== null && Number.isFinite(event.equity) ? event.equity : null;
      if (state.manual || state.mode === 'ACTIVE') return { state: { ...state, startEquity }, transition: null };
      const reason = `session start: reset${startEquity === null ? '' : ` (start equity ${fmt(startEquity)})`}`;
      return move({ mode: 'ACTIVE', reason, manual: false, startEquity });
    }
    case 'equity': {
      if (state.startEquity === null) {
        // No session start seen yet with a known equity: this is the reference.
        if (Number.isFinite(event.equity)) return { state: { ...state, startEquity: event.equity }, transition: null };
      }
      const verdict = assess(state.startEquity, event.equity, limits);
      if (!verdict || RANK[verdict.mode] <= RANK[state.mode]) return { state, transition: null };
      return move({ ...state, mode: verdict.mode, reason: verdict.reason });
    }
  }
}

/** The mode a given equity calls for (undefined: ACTIVE is fine), with the reason. */
function assess(start: number | null, equity: number, limits: KillLimits): { mode: KillMode; reason: string } | undefined {
  if (!Number.isFinite(equity)) return { mode: 'HALTED', reason: `equity ${equity} is not a finite number` };
  if (start === null) return undefined;
  if (!(start > 0)) return { mode: 'HALTED', reason: `session start equity ${fmt(start)} is not positive` };
  const loss = (start - equity) / start;
  // Runs at every equity update: the reason is written only when a limit is reached.
  const what = (): string => `daily loss ${pct(loss)} of session start equity ${fmt(start)} (equity now ${fmt(equity)})`;
  if (loss >= limits.haltAtLoss) return { mode: 'HALTED', reason: `${what()} >= halt limit ${pct(limits.haltAtLoss)}` };
  if (loss >= limits.reduceAtLoss) return { mode: 'REDUCING', reason: `${what()} >= reduce limit ${pct(limits.reduceAtLoss)}` };
  return undefined;
}

function fmt(x: number): string {
  return x.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

function pct(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}
