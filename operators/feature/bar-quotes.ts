/**
 * feature.bar-quotes — the close of each bar as a quote with no spread (bid = ask = close, sizes 0),
 * for the operators that price from quotes (execution.orders sizes at the mid, portfolio.accounting
 * marks at it) in a graph whose data are bars only, such as daily closes.
 */
import { z } from 'zod';
import type { Bar, Quote } from '../../schemas/types.generated.ts';
import { handle, on } from '../sdk/handle.ts';
import { defineOperator, definePorts } from '../sdk/spec.ts';

const inputs = definePorts({ bars: { schema: 'Bar', description: 'Bars whose closes become quotes.' } });

export const barQuotes = defineOperator({
  type: 'feature.bar-quotes',
  summary: 'Each bar close as a zero-spread quote, for sizing and marking on bar-only data.',
  inputs,
  output: 'Quote',
  params: z.strictObject({}),
  create:
    (_p, ctx) =>
    ({ bars }) => {
      let seq = 0;
      return handle<Quote>(ctx, [
        on(bars, (batch: readonly Bar[], emit) =>
          emit(
            batch.map((b) => {
              seq++;
              return {
                ts_event: b.ts_event,
                ts_known: b.ts_known,
                symbol: b.symbol,
                seq,
                id: seq,
                version: 1,
                bid: b.close,
                ask: b.close,
                bid_size: 0,
                ask_size: 0,
              };
            }),
          ),
        ),
      ]);
    },
});
