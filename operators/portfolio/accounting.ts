/**
 * portfolio.accounting — books fills into positions and cash, marks positions to the latest mid, and
 * emits the portfolio state after every batch of fills and every N minutes of the session (the equity
 * curve). Its output feeds back into sizing and order generation.
 */
import { z } from 'zod';
import type { Fill, PortfolioState } from '../../schemas/types.generated.ts';
import { defineOperator, definePorts } from '../sdk/spec.ts';
import { handle, on, onColumns } from '../sdk/handle.ts';
import { forEachMid } from '../sdk/quote-columns.ts';
import { Ledger } from '../../lib/portfolio/ledger.ts';
import { everySession, MINUTE } from '../sdk/timers.ts';

const inputs = definePorts({
  fills: { schema: 'Fill', description: 'Executions to book.' },
  quotes: { schema: 'Quote', description: 'Quotes, to mark positions at the mid.' },
});

const params = z.strictObject({
  initial_cash: z.number().positive().default(10_000_000).describe('Starting cash, in currency.'),
  mark_every_minutes: z.number().int().min(1).max(390).default(5).describe('Minutes between marks of the equity curve.'),
});

export const accounting = defineOperator({
  type: 'portfolio.accounting',
  summary: 'Positions, cash and PnL from fills, marked to market; the equity curve.',
  inputs,
  output: 'PortfolioState',
  params,
  create:
    (p, ctx) =>
    ({ fills, quotes }) => {
      const ledger = new Ledger(p.initial_cash);
      const now = (): PortfolioState => ledger.state(ctx.clock.now(), ctx.clock.now());
      return handle<PortfolioState>(
        ctx,
        [
          onColumns(quotes, (batch) => forEachMid(batch, (symbol, mid) => ledger.mark(symbol, mid))),
          on(fills, (batch: readonly Fill[], emit) => {
            for (const f of batch) ledger.apply(f);
            const last = batch[batch.length - 1]!;
            emit([ledger.state(last.ts_event, last.ts_known)]);
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
