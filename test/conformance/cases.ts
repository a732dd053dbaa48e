/**
 * The shared conformance table (test/fixtures/execution/broker-conformance.json): its types, and the
 * outcome each implementation is held to — the rules' outcome, or where the table marks a deliberate
 * difference, that side's own.
 */
import { readFileSync } from 'node:fs';

export type Side = 'B' | 'S';
export type Step =
  | { add: { id: number; side: Side; price: number; shares: number } }
  | { execute: { id: number; shares: number } }
  | { reduce: { id: number; shares: number } }
  | { delete: { id: number } }
  | {
      order: {
        id: string;
        side: 'BUY' | 'SELL';
        qty: number;
        type: 'MARKET' | 'LIMIT';
        price?: number;
        tif?: 'DAY' | 'IOC';
        /** ref_price: a market order's collar is set from it (default 100) */
        ref?: number;
      };
    }
  | { cancel: { id: string; target: string } }
  | { replace: { id: string; target: string; qty: number; price: number; side?: 'BUY' | 'SELL' } };

/** [order id, qty, price, liquidity] */
export type FillRow = [string, number, number, 'MAKER' | 'TAKER'];
/** [order id, status, filled, remaining] */
export type StateRow = [string, string, number, number];
/** [order id, reason class] of a REJECTED state */
export type RejectRow = [string, RejectClass];

/** What a rejection's reason must say, by class: the two implementations word it differently. */
export const REJECT_CLASSES = {
  shares: /\b(qty|quantity|shares)\b/i,
  price: /price/i,
  'no such order': /no such working order|not a live order/i,
  side: /\bside\b/i,
} as const;
export type RejectClass = keyof typeof REJECT_CLASSES;

export interface Case {
  name: string;
  steps: Step[];
  fills: FillRow[];
  states: StateRow[];
  /** The reason class of each REJECTED state (none: no rejection). */
  rejects?: RejectRow[];
  broker: string;
  venue: string;
  broker_fills?: FillRow[];
  broker_states?: StateRow[];
  broker_rejects?: RejectRow[];
  venue_fills?: FillRow[];
  venue_states?: StateRow[];
  venue_rejects?: RejectRow[];
}

export type Implementation = 'broker' | 'venue';

export const cases: Case[] = (
  JSON.parse(readFileSync(new URL('../fixtures/execution/broker-conformance.json', import.meta.url), 'utf8')) as { cases: Case[] }
).cases;

/** What `side` must give for `c`: the rules' fills and states unless the table says it differs. */
export function expected(c: Case, side: Implementation): { fills: FillRow[]; states: StateRow[]; rejects: RejectRow[]; differs: boolean } {
  const differs = c[side].startsWith('differs');
  if (!differs) return { fills: c.fills, states: c.states, rejects: c.rejects ?? [], differs };
  const fills = c[`${side}_fills`];
  const states = c[`${side}_states`];
  if (!fills || !states) throw new Error(`case "${c.name}": ${side} differs but gives no ${side}_fills / ${side}_states`);
  return { fills, states, rejects: (side === 'venue' ? c.venue_rejects : c.broker_rejects) ?? [], differs };
}
