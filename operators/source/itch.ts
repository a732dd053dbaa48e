/**
 * source.itch — quotes (top-of-book changes) or trades of NASDAQ TotalView-ITCH 5.0, through colo's
 * native feed handler and order book: live from a venue's MoldUDP64 feed (`rerequest_port`: it joins,
 * re-requests what it missed, and hands the rows over as column batches without crossing the native
 * boundary per message), or from an ITCH file of the data folder (`file`). Exchange time becomes
 * ts_event on the session's date (New York); ts_known is the feed's receive clock, or ts_event for a
 * file. Only two-sided, uncrossed tops are quotes: the rest are counted as `one_sided`. A quote or a
 * print with a price of 0 (the book takes what the venue sends) is a dead letter with the replay's
 * reason (operators/sdk/replay.ts: soundRows). `spin` trades a
 * core for the wake-up on each datagram (see docs/live.md); `live_orders` sizes the live book ahead of
 * the session (docs/decisions.md).
 */
import { z } from 'zod';
import { formatDate, isDate } from '../../lib/core/dates.ts';
import { AlphaError } from '../../lib/core/errors.ts';
import { newYorkMidnight } from '../../lib/core/exchange-time.ts';
import { colo } from '../../native/colo/index.ts';
import type { Quote, Trade } from '../../schemas/types.generated.ts';
import { openItchFeedReader, openItchFileReader } from '../sdk/itch-feed.ts';
import { MARKET_DATA } from '../sdk/replay.ts';
import { defineSource } from '../sdk/spec.ts';

const params = z
  .strictObject({
    schema: z.enum(MARKET_DATA).default('Quote').describe('Record type of the output: Quote (top-of-book changes) or Trade (prints).'),
    rerequest_port: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .describe("The venue's MoldUDP64 re-request port on 127.0.0.1 (live); give this or `file`."),
    file: z
      .string()
      .min(1)
      .optional()
      .describe('An ITCH 5.0 file (2-byte length before each message), relative to the data folder; give this or `rerequest_port`.'),
    date: z
      .string()
      .refine(isDate, 'expected a real date YYYY-MM-DD')
      .optional()
      .describe("The session's date, for exchange time (default: the date of the run's first session)."),
    spin: z
      .boolean()
      .default(false)
      .describe(
        "Live only: busy-poll the feed. The process's event loop never sleeps, so a datagram is read at the loop's next turn instead of after a wake-up (lower tick-to-trade), at the cost of a whole core.",
      ),
    live_orders: z
      .number()
      .int()
      .min(0)
      .max(100_000_000)
      .optional()
      .describe(
        "Live only: the live orders to size the book's order table for before the first datagram, so that none waits while the table grows (up to 140 ms at a million orders). Default 2097152, a whole market's: the table's largest, 64 MiB. 0: it starts at 4 MiB and grows as orders come.",
      ),
  })
  .superRefine((p, ctx) => {
    if (p.spin && p.file !== undefined && p.rerequest_port === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['spin'],
        message: 'spin busy-polls a live feed: expected it only with rerequest_port, not with file',
      });
    if (p.live_orders !== undefined && p.file !== undefined && p.rerequest_port === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['live_orders'],
        message:
          "live_orders sizes a live feed's book: expected it only with rerequest_port, not with file (a file's replay grows its table as it goes)",
      });
    if ((p.rerequest_port === undefined) !== (p.file === undefined)) return;
    ctx.addIssue({
      code: 'custom',
      path: [p.file === undefined ? 'rerequest_port' : 'file'],
      message: 'expected exactly one of rerequest_port (a live feed) and file (an ITCH file of the data folder)',
    });
  });

export const itch = defineSource({
  type: 'source.itch',
  summary: "ITCH 5.0 quotes or trades through colo's native book: live from a venue's MoldUDP64 feed, or from a file.",
  output: { oneOf: MARKET_DATA, of: (p) => p.schema },
  params,
  open: (p, ctx) => {
    // A live feed is the traded session's; a file, by default, the run's first session's.
    const first = p.file === undefined ? (ctx.calendar.live ?? ctx.calendar.sessions[0]) : ctx.calendar.sessions[0];
    const date = p.date ?? (first ? formatDate(first.open) : undefined);
    if (date === undefined) throw new AlphaError(`source.itch ${ctx.node}: no session to date exchange time by: give params.date`);
    const midnight = newYorkMidnight(date);
    const symbols = ctx.universe.map((u) => u.symbol);
    if (p.file !== undefined) {
      const path = ctx.dataFile(p.file);
      return openItchFileReader<Quote | Trade>(new (colo().ItchFile)(path, symbols), path, p.schema, midnight, ctx);
    }
    const feed = new (colo().ItchFeed)({
      rerequestPort: p.rerequest_port!,
      symbols,
      midnightUs: midnight,
      twoSidedOnly: true,
      rows: p.schema === 'Quote' ? 'quotes' : 'trades',
      spin: p.spin,
      ...(p.live_orders === undefined ? {} : { liveOrders: p.live_orders }),
    });
    return openItchFeedReader<Quote | Trade>(feed, p.schema, ctx);
  },
});
