/**
 * Helper for per-symbol feature operators: keeps one state per symbol, resets it at each new session
 * when asked, and turns each batch of bars into a batch of FeatureVectors.
 */
import type { Bar, FeatureVector } from '../../schemas/types.generated.ts';
import type { OperatorContext } from './context.ts';
import { sessionIndex } from './timers.ts';

export function perSymbolFeatures<TState>(
  ctx: OperatorContext,
  options: { resetEachSession: boolean; init: () => TState; update: (state: TState, bar: Bar, out: number[]) => void },
): (bars: readonly Bar[]) => FeatureVector[] {
  const states = new Map<string, { state: TState; session: number }>();
  return (bars) => {
    const out: FeatureVector[] = new Array(bars.length);
    for (let i = 0; i < bars.length; i++) {
      const bar = bars[i]!;
      const session = options.resetEachSession ? sessionIndex(ctx.calendar, bar.ts_event) : 0;
      let entry = states.get(bar.symbol);
      if (!entry || entry.session !== session) states.set(bar.symbol, (entry = { state: options.init(), session }));
      const values: number[] = [];
      options.update(entry.state, bar, values);
      out[i] = { ts_event: bar.ts_event, ts_known: bar.ts_known, symbol: bar.symbol, values };
    }
    return out;
  };
}
