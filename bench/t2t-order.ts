/** The tick-to-trade benches' order (bench:venue's JS path, bench:live): one per timed quote. */
import type { Order } from '../schemas/types.generated.ts';

/** An IOC buy of 100 at the ask, named `PREFIX-QUOTE_ID` so the venue's audit ties it to its quote. */
export function iocAtAsk(prefix: string, quoteId: number, symbol: string, ask: number, now: number): Order {
  return {
    ts_event: now,
    ts_known: now,
    order_id: `${prefix}-${quoteId}`,
    symbol,
    side: 'BUY',
    qty: 100,
    order_type: 'LIMIT',
    limit_price: ask,
    ref_price: ask,
    time_in_force: 'IOC',
    action: 'NEW',
    target_order_id: null,
  };
}
