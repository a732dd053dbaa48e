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
import type { ColumnBatch } from '../../lib/core/column-batch.ts';
import { handle, onColumns, type Emit } from '../sdk/handle.ts';
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
      /** The bar of each code of a dictionary (built once per dictionary, which a file's batches share). */
      let dictionary: readonly string[] | undefined;
      let byCode: (Building | undefined)[] = [];
      const building = (symbols_: readonly string[], code: number, price: number): Building => {
        if (symbols_ !== dictionary) {
          dictionary = symbols_;
          byCode = symbols_.map((s) => symbols.get(s));
        }
        let b = byCode[code];
        if (!b) {
          const symbol = symbols_[code]!;
          b = symbols.get(symbol);
          if (!b) symbols.set(symbol, (b = fresh(symbol, price)));
          byCode[code] = b;
        }
        return b;
      };
      const onQuotes = (batch: ColumnBatch<Quote>): void => {
        const { bid, ask, bid_size: bidSize, ask_size: askSize, symbol } = batch.columns;
        const { codes, dictionary: names } = symbol;
        for (let i = batch.start; i < batch.end; i++) {
          const qb = bid[i]!;
          const qa = ask[i]!;
          const mid = (qb + qa) / 2;
          const b = building(names, codes[i]!, mid);
          if (b.quotes === 0) b.open = b.high = b.low = mid;
          else if (mid > b.high) b.high = mid;
          else if (mid < b.low) b.low = mid;
          b.close = mid;
          b.quotes++;
          b.spreadSum += ((qa - qb) / mid) * 1e4;
          const bs = bidSize[i]!;
          const as = askSize[i]!;
          const depth = bs + as;
          b.imbalanceSum += depth > 0 ? (bs - as) / depth : 0;
        }
      };
      const onTrades = (batch: ColumnBatch<Trade>): void => {
        const { symbol, version, id, size, price } = batch.columns;
        for (let i = batch.start; i < batch.end; i++) {
          const b = symbols.get(symbol.dictionary[symbol.codes[i]!]!);
          if (!b) continue; // no quote yet: the bar has no price to attach volume to
          const tid = id[i]!;
          const tsize = size[i]!;
          const tprice = price[i]!;
          if (version[i]! > 1) {
            const original = b.tradeSizes.get(tid);
            if (!original) {
              late.inc();
              continue;
            }
            b.volume -= original.size;
            b.notional -= original.size * original.price;
          } else b.trades++;
          b.volume += tsize;
          b.notional += tsize * tprice;
          b.tradeSizes.set(tid, { size: tsize, price: tprice });
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
      return handle<Bar>(ctx, [onColumns(quotes, onQuotes), onColumns(trades, onTrades)], {
        start: (emit) => everySession(ctx, p.minutes * MINUTE, p.minutes * MINUTE, (at) => close(at, emit)),
      });
    },
});
