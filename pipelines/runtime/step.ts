/**
 * A step of the event loop and its place in event time. A run is a sequence of steps, each either a
 * timer firing (phase 0, ordered by the node's topological rank) or a slice of source records (phase
 * 1, ordered by source then seq), in increasing key order. Everything a step sets off happens inside
 * it, so two processes that agree on the keys of their steps agree on what happened.
 */
export interface StepKey {
  /** Event time, µs. */
  t: number;
  /** 0: a timer; 1: a slice of source records. Timers at a time fire before data known at that time. */
  phase: 0 | 1;
  /** Timer: the rank of the node that scheduled it. Slice: the source's position among the sources. */
  order: number;
  /** Slice: seq of its first record. Timer: 0. */
  seq: number;
}

export const END_KEY: StepKey = { t: Infinity, phase: 1, order: Infinity, seq: Infinity };

/**
 * Negative, zero or positive as `a` comes before, with or after `b` (END_KEY equals itself). The
 * fields are compared with < and >, not subtracted: Infinity − Infinity is NaN (END_KEY's fields).
 * Written out rather than through a helper taking two numbers: a group asks it several times a step,
 * and passing the times (doubles) to a call that was not inlined boxed each (~180 MB over a split run).
 */
export function compareKeys(a: StepKey, b: StepKey): number {
  if (a.t < b.t) return -1;
  if (a.t > b.t) return 1;
  const phase = a.phase - b.phase;
  if (phase) return phase;
  if (a.order < b.order) return -1;
  if (a.order > b.order) return 1;
  if (a.seq < b.seq) return -1;
  if (a.seq > b.seq) return 1;
  return 0;
}

export function encodeKey(k: StepKey): string {
  return k.t === Infinity ? 'end' : `${k.t}:${k.phase}:${k.order}:${k.seq}`;
}

export function decodeKey(text: string): StepKey {
  if (text === 'end') return END_KEY;
  const parts = text.split(':').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isSafeInteger(p)) || (parts[1] !== 0 && parts[1] !== 1)) {
    throw new Error(`malformed step key "${text}" (expected t:phase:order:seq)`);
  }
  return { t: parts[0]!, phase: parts[1] as 0 | 1, order: parts[2]!, seq: parts[3]! };
}
