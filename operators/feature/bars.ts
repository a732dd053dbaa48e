/**
 * feature.bars — time bars per symbol from quotes (mid prices, spread, imbalance) and trades
 * (volume, VWAP), closed by an event-time timer at each bar boundary of the session. Every symbol
 * seen so far gets a bar at each close (a quiet symbol's bar repeats its last price with no volume).
 * A trade correction inside the open bar replaces the original; one for a bar already closed is
 * counted as `late_corrections` (bars are not revised).
 */
import { z } from 'zod';
import type { Bar, Quote, Trade } from '../../schemas/types.generated.ts';
import { defineOperator, definePorts } from '../sdk/spec.ts';
import { handle, on, type Emit } from '../sdk/handle.ts';
import { everySession, MINUTE } from '../sdk/timers.ts';

const inputs = definePorts({
  quotes: { schema: 'Quote', description: 'Quotes to take mid prices, spreads and imbalance from.' },
  trades: { schema: 'Trade', optional: true, description: 'Trades to take volume and VWAP from.' },
});

const params = z.strictObject({
  minutes: z.number().int().min(1).max(390).default(1).describe('Bar length in minutes.'),
});

interface Building {
  symbol: string;
  open: number;
  high: number;
  low: number;
  close: number;
  quotes: number;
  spreadSum: number;
  imbalanceSum: number;
  volume: number;
  notional: number;
  trades: number;
  /** Trades of the open bar by id, so a correction can replace its original. */
  tradeSizes: Map<number, { size: number; price: number }>;
}

export const bars = defineOperator({
  type: 'feature.bars',
  summary: 'Aggregates quotes and trades into time bars per symbol, closed on event-time timers.',
  inputs,
  output: 'Bar',
  partitionable: true,
  params,
  create:
    (p, ctx) =>
    ({ quotes, trades }) => {
      const symbols = new Map<string, Building>();
      const late = ctx.metrics.counter('late_corrections');
      const fresh = (symbol: string, price: number): Building => ({
        symbol,
        open: price,
        high: price,
        low: price,
        close: price,
        quotes: 0,
        spreadSum: 0,
        imbalanceSum: 0,
        volume: 0,
        notional: 0,
        trades: 0,
        tradeSizes: new Map(),
      });
      const onQuotes = (batch: readonly Quote[]): void => {
        for (let i = 0; i < batch.length; i++) {
          const q = batch[i]!;
          const mid = (q.bid + q.ask) / 2;
          let b = symbols.get(q.symbol);
          if (!b) symbols.set(q.symbol, (b = fresh(q.symbol, mid)));
          if (b.quotes === 0) b.open = b.high = b.low = mid;
          else if (mid > b.high) b.high = mid;
          else if (mid < b.low) b.low = mid;
          b.close = mid;
          b.quotes++;
          b.spreadSum += ((q.ask - q.bid) / mid) * 1e4;
          const depth = q.bid_size + q.ask_size;
          b.imbalanceSum += depth > 0 ? (q.bid_size - q.ask_size) / depth : 0;
        }
      };
      const onTrades = (batch: readonly Trade[]): void => {
        for (const t of batch) {
          const b = symbols.get(t.symbol);
          if (!b) continue; // no quote yet: the bar has no price to attach volume to
          if (t.version > 1) {
            const original = b.tradeSizes.get(t.id);
            if (!original) {
              late.inc();
              continue;
            }
            b.volume -= original.size;
            b.notional -= original.size * original.price;
          } else b.trades++;
          b.volume += t.size;
          b.notional += t.size * t.price;
          b.tradeSizes.set(t.id, { size: t.size, price: t.price });
        }
      };
      const close = (at: number, emit: Emit<Bar>): void => {
        const out: Bar[] = [];
        for (const b of symbols.values()) {
          out.push({
            ts_event: at,
            ts_known: at,
            symbol: b.symbol,
            open: b.open,
            high: b.high,
            low: b.low,
            close: b.close,
            volume: b.volume,
            vwap: b.volume > 0 ? b.notional / b.volume : b.close,
            trades: b.trades,
            quotes: b.quotes,
            spread_bps: b.quotes > 0 ? b.spreadSum / b.quotes : NaN,
            imbalance: b.quotes > 0 ? b.imbalanceSum / b.quotes : NaN,
          });
          b.open = b.high = b.low = b.close;
          b.quotes = b.trades = 0;
          b.spreadSum = b.imbalanceSum = b.volume = b.notional = 0;
          if (b.tradeSizes.size > 0) b.tradeSizes.clear();
        }
        emit(out);
      };
      return handle<Bar>(ctx, [on(quotes, onQuotes), on(trades, onTrades)], {
        start: (emit) => everySession(ctx, p.minutes * MINUTE, p.minutes * MINUTE, (at) => close(at, emit)),
      });
    },
});
