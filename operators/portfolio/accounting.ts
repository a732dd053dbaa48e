/**
 * portfolio.accounting — books fills into positions and cash, pays the broker's carry (borrow and
 * financing, from its optional `costs` input) out of cash, marks positions to the latest mid, and
 * emits the portfolio state after every batch of fills or of carry and every N minutes of the session
 * (the equity curve). Its output feeds back into sizing and order generation.
 */
import { z } from 'zod';
import type { ExecutionCost, Fill, PortfolioState } from '../../schemas/types.generated.ts';
import { defineOperator, definePorts } from '../sdk/spec.ts';
import { handle, on, onColumns } from '../sdk/handle.ts';
import { forEachMid } from '../sdk/quote-columns.ts';
import { Ledger } from '../../lib/portfolio/ledger.ts';
import { everySession, MINUTE } from '../sdk/timers.ts';
import { isPrice, PRICE_RULE } from '../../lib/core/prices.ts';

const inputs = definePorts({
  fills: { schema: 'Fill', description: 'Executions to book.' },
  quotes: { schema: 'Quote', description: 'Quotes, to mark positions at the mid.' },
  costs: {
    schema: 'ExecutionCost',
    optional: true,
    description:
      'The broker’s costs (execution.book-broker’s `costs` port): borrow and financing are paid out of cash at their ts_known; spread, impact and fee are not, being in the fills’ prices and fees already.',
  },
});

const params = z.strictObject({
  initial_cash: z.number().positive().default(10_000_000).describe('Starting cash, in currency.'),
  mark_every_minutes: z.number().int().min(1).max(390).default(5).describe('Minutes between marks of the equity curve.'),
});

export const accounting = defineOperator({
  type: 'portfolio.accounting',
  summary: 'Positions, cash and PnL from fills (and the broker’s borrow and financing, from costs), marked to market; the equity curve.',
  inputs,
  output: 'PortfolioState',
  params,
  create:
    (p, ctx) =>
    ({ fills, quotes, costs }) => {
      const ledger = new Ledger(p.initial_cash);
      const now = (): PortfolioState => ledger.state(ctx.clock.now(), ctx.clock.now());
      return handle<PortfolioState>(
        ctx,
        [
          onColumns(quotes, (batch) => forEachMid(batch, (symbol, mid) => ledger.mark(symbol, mid))),
          on(fills, (batch: readonly Fill[], emit) => {
            let last: Fill | undefined;
            for (const f of batch) {
              // A fill from outside the process (a topic of another group) is checked before it is booked:
              // one price of NaN left cash, equity and the run's return NaN for good.
              const why = fillProblem(f);
              if (why) {
                ctx.deadLetter(f, why);
                continue;
              }
              ledger.apply(f);
              last = f;
            }
            if (last) emit([ledger.state(last.ts_event, last.ts_known)]);
          }),
          on(costs, (batch: readonly ExecutionCost[], emit) => {
            let last: ExecutionCost | undefined;
            for (const c of batch) {
              if (!Number.isFinite(c.borrow) || !Number.isFinite(c.financing)) {
                ctx.deadLetter(c, `borrow ${c.borrow}, financing ${c.financing}: expected finite amounts of currency`);
                continue;
              }
              if (ledger.charge(c)) last = c;
            }
            // A state only when cash moved: the cost records of fills (no carry) change nothing here.
            if (last) emit([ledger.state(last.ts_event, last.ts_known)]);
          }),
        ],
        {
          start: (emit) => {
            emit([now()]);
            everySession(ctx, p.mark_every_minutes * MINUTE, p.mark_every_minutes * MINUTE, () => emit([now()]));
          },
        },
      );
    },
});

/** Why a fill cannot be booked (a side other than BUY or SELL, shares or a price not positive and finite, a fee not finite), or undefined. */
export function fillProblem(f: Fill): string | undefined {
  if (f.side !== 'BUY' && f.side !== 'SELL') return `side ${JSON.stringify(f.side)}: expected BUY or SELL`;
  if (!(f.qty > 0 && Number.isFinite(f.qty))) return `qty ${f.qty}: expected a positive finite number of shares`;
  // The market data's ceiling (lib/core/prices.ts): a fill from another group's edge at 1e300 would overflow the ledger.
  if (!isPrice(f.price)) return `price ${f.price}: ${PRICE_RULE}`;
  if (!Number.isFinite(f.fee)) return `fee ${f.fee}: expected a finite amount of currency`;
  return undefined;
}
