/**
 * Helper for per-symbol feature operators: keeps one state per symbol, resets it at each new session
 * when asked, and turns each batch of bars into a batch of FeatureVectors.
 *
 * Tick-rate code (DESIGN.md §4, "Two rates"): it runs once per bar per feature operator, so it avoids
 * per-bar hashing and allocation where it can: bars arrive in the same symbol order at every close,
 * so the state of the bar at position i is looked up first in a slot per position; values arrays are
 * allocated at their final size; the session of a time is looked up from the last one found.
 */
import type { Bar, FeatureVector } from '../../schemas/types.generated.ts';
import type { Calendar, Micros, OperatorContext } from './context.ts';
import { sessionIndex } from './timers.ts';

interface Entry<TState> {
  symbol: string;
  state: TState;
  session: number;
  replaced: boolean;
}

export function perSymbolFeatures<TState>(
  ctx: OperatorContext,
  options: {
    resetEachSession: boolean;
    init: () => TState;
    /**
     * Computes one bar's values into `out`. Without `width`, `out` starts empty and `update` pushes
     * the values; with `width`, `out` already has that many elements and `update` sets each of them.
     */
    update: (state: TState, bar: Bar, out: number[]) => void;
    width?: number;
  },
): (bars: readonly Bar[]) => FeatureVector[] {
  const states = new Map<string, Entry<TState>>();
  /** The entry last used at each position of a batch. */
  const slots: (Entry<TState> | undefined)[] = [];
  const session = options.resetEachSession ? sessionLookup(ctx.calendar) : () => 0;
  const { init, update } = options;
  const blank = options.width === undefined ? undefined : doubles(options.width);
  return (bars) => {
    const out: FeatureVector[] = new Array(bars.length);
    for (let i = 0; i < bars.length; i++) {
      const bar = bars[i]!;
      const symbol = bar.symbol;
      const s = session(bar.ts_event);
      let entry = slots[i];
      if (entry === undefined || entry.symbol !== symbol || entry.replaced) {
        entry = states.get(symbol);
        slots[i] = entry;
      }
      if (entry === undefined || entry.session !== s) {
        if (entry !== undefined) entry.replaced = true;
        states.set(symbol, (entry = { symbol, state: init(), session: s, replaced: false }));
        slots[i] = entry;
      }
      const values = blank === undefined ? [] : blank.slice();
      update(entry.state, bar, values);
      out[i] = { ts_event: bar.ts_event, ts_known: bar.ts_known, symbol, values };
    }
    return out;
  };
}

/** A packed array of `n` doubles (NaN), whose copies are packed arrays of doubles of exactly that size. */
function doubles(n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(NaN);
  return out;
}

/**
 * `sessionIndex(calendar, t)` for times that mostly fall in the session of the previous call: the
 * session last found is tried first, then the next one. Same results as sessionIndex (it falls back
 * to it whenever sessions are not in strictly increasing, non-overlapping order).
 */
export function sessionLookup(calendar: Calendar): (t: Micros) => number {
  const sessions = calendar.sessions;
  let ordered = true;
  for (let i = 0; i < sessions.length; i++) {
    const s = sessions[i]!;
    if (!(s.open < s.close) || (i > 0 && !(sessions[i - 1]!.close <= s.open))) ordered = false;
  }
  if (!ordered) return (t) => sessionIndex(calendar, t);
  let last = 0;
  return (t) => {
    if (sessions !== calendar.sessions) return sessionIndex(calendar, t);
    const s = sessions[last];
    if (s !== undefined && t > s.open && t <= s.close) return last;
    const next = sessions[last + 1];
    if (next !== undefined && t > next.open && t <= next.close) return ++last;
    const found = sessionIndex(calendar, t);
    if (found >= 0) last = found;
    return found;
  };
}
