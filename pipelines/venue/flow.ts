/**
 * The venue's background order flow from a dataset (`alpha venue flow`): one trading day of quotes and
 * trades becomes an ITCH 5.0 file of background participants' orders, which `alpha venue` plays so that
 * its top of book follows the dataset while the graph's own orders queue and trade in it for real.
 *
 * Per symbol one level a side is kept: a quote that moves a price deletes the orders at the old level
 * (D) and adds one for the new size (A); a quote that only changes a size adds an order for the increase
 * (it joins the back of the queue) or cancels the newest orders for the decrease (X, D). A trade at the
 * touch becomes executions (E) of the resting orders in time order, which the venue plays as a
 * background aggressor through that level's queue, so an order of the graph that is ahead in the queue
 * fills first. Prints away from the touch, or without an aggressor, become hidden-liquidity prints (P);
 * corrections are left out (a venue cannot take a print back). Timestamps are ns since New York midnight.
 *
 * Quote prices go on the venue's tick grid, the one it holds client orders to (Reg NMS Rule 612: whole
 * cents from $1.00, $0.0001 below): a sub-penny bid at or above $1.00 moves down to the cent, an ask up,
 * toward the passive side as the client's own limits are mapped, so the background shows no price a
 * client could not also quote, and a book that was not crossed does not become crossed. The moves are
 * counted. A print is matched with the touch as the dataset quoted it: at the touch it executes the
 * resting background orders (Order Executed 'E', which carries no price), so its volume shows at the
 * level's price on the grid, not the print's sub-penny one; away from the touch it is a hidden print
 * ('P') at its own price.
 */
import { existsSync } from 'node:fs';
import { writeFileAtomically } from '../io/write-file.ts';
import { AlphaError } from '../../lib/core/errors.ts';
import { columnsOf } from '../../lib/core/column-batch.ts';
import { colo } from '../../native/colo/index.ts';
import type { Quote, Trade } from '../../schemas/types.generated.ts';
import { manifestWindow, readManifest } from '../data/manifest.ts';
import { openDataset } from '../io/dataset.ts';
import { refuseInputs } from '../io/output-folder.ts';
import { newYorkMidnight, regularSession } from '../../lib/core/exchange-time.ts';
import { isoTimeMicros } from '../../lib/core/time.ts';
import { ITCH_DAY_NS } from '../itch/book.ts';

export interface FlowOptions {
  readonly data: string;
  readonly date: string;
  readonly out: string;
  readonly symbols?: readonly string[];
  readonly overwrite?: boolean;
}

export interface FlowResult {
  readonly messages: number;
  readonly quotes: number;
  readonly trades: number;
  /** Prints away from the touch or without an aggressor, written as hidden-liquidity prints. */
  readonly hiddenPrints: number;
  /** Trade corrections left out. */
  readonly corrections: number;
  /** Quote prices (a bid or an ask each) of a fraction of a cent at or above $1.00, moved onto whole cents. */
  readonly pricesMoved: number;
  readonly symbols: readonly string[];
}

type Message = Record<string, string | number>;

interface Resting {
  ref: number;
  shares: number;
}

/** One side of a symbol's background book: a price and its orders, oldest first. */
class Level {
  price = 0; // Price(4) on the tick grid; 0 when empty
  quoted = 0; // Price(4) as the dataset quoted it (what its prints at the touch name)
  orders: Resting[] = [];
  get shares(): number {
    return this.orders.reduce((n, o) => n + o.shares, 0);
  }
}

const ITCH_SYMBOL = /^[A-Z0-9.]{1,8}$/;

/** ITCH Price(4) and share fields are unsigned 32-bit: prices in 1/10,000 dollars, shares whole. */
const ITCH_MAX = 0xffff_ffff;

/** $1.00 in Price(4): from here up the venue takes whole cents only (Reg NMS Rule 612). */
const WHOLE_CENTS_FROM = 10_000;
const CENT = 100;

/** A Price(4) on the venue's tick grid: from $1.00 a bid rounded down to the cent, an ask up. */
function onTickGrid(price: number, side: 'B' | 'S'): number {
  const off = price % CENT;
  if (price < WHOLE_CENTS_FROM || off === 0) return price;
  return side === 'B' ? price - off : price + CENT - off;
}

const dollars = (price: number): string => (price / 1e4).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 4 });

/**
 * A row's values checked against what ITCH can carry, so that the encoder never meets them (it failed
 * as an unexpected error): an AlphaError naming the dataset, the symbol, the row's time and the value.
 */
function itchFields(where: string, symbol: string, tsEvent: number, tNs: number) {
  // Made only for a refusal: the row's time as text costs more than the checks.
  const at = (): string => `${where}: ${symbol} at ${isoTimeMicros(tsEvent)}`;
  const price = (field: string, dollarsSeen: number): number => {
    const p = Math.round(dollarsSeen * 1e4);
    if (!(p >= 1 && p <= ITCH_MAX))
      throw new AlphaError(
        `${at()}: ${field} is ${dollarsSeen}: ITCH prices have 4 decimal places, expected 0.0001 to 429,496.7295 (below 0.00005 rounds to 0)`,
      );
    return p;
  };
  return {
    time(): void {
      if (!(tNs >= 0 && tNs < ITCH_DAY_NS))
        throw new AlphaError(`${at()}: outside the trading day in New York: ITCH timestamps are ns since midnight, from 0 to below 24 h`);
    },
    price,
    /** A quote's price on the tick grid (bid down, ask up), and the dataset's own. */
    quote(field: 'bid' | 'ask', dollarsSeen: number): { price: number; quoted: number } {
      const quoted = price(field, dollarsSeen);
      const onGrid = onTickGrid(quoted, field === 'bid' ? 'B' : 'S');
      if (onGrid > ITCH_MAX)
        throw new AlphaError(
          `${at()}: ${field} is ${dollarsSeen}: from $1.00 the venue quotes whole cents (Reg NMS Rule 612), and the cent above it, ${dollars(onGrid)}, is more than ITCH carries (429,496.7295)`,
        );
      return { price: onGrid, quoted };
    },
    shares(field: string, size: number): number {
      const n = Math.max(0, Math.round(size));
      if (!(n <= ITCH_MAX))
        throw new AlphaError(`${at()}: ${field} is ${size}: ITCH share counts are whole, expected 0 to 4,294,967,295 (2^32 − 1)`);
      return n;
    },
  };
}

export async function writeBackgroundFlow(o: FlowOptions): Promise<FlowResult> {
  if (existsSync(o.out) && !o.overwrite) throw new AlphaError(`--out ${o.out} exists: pass --overwrite to replace it`);
  refuseInputs(o.out, [{ what: 'the data folder', path: o.data, folder: true }], `--out ${o.out}`, 'a file outside it');
  const manifest = readManifest(o.data);
  if (!manifest.dates.includes(o.date)) {
    throw new AlphaError(
      `--date ${o.date} is not a trading day of ${o.data} (${manifest.dates[0]} … ${manifest.dates[manifest.dates.length - 1]})`,
    );
  }
  const day = manifestWindow(o.data, manifest, o.date, o.date);
  const universe = day.universe.map((u) => u.symbol);
  const symbols = o.symbols ? [...o.symbols] : universe;
  for (const s of symbols) {
    if (!universe.includes(s)) throw new AlphaError(`--symbols: ${s} is not in the universe of ${o.data}`);
    if (!ITCH_SYMBOL.test(s)) throw new AlphaError(`symbol "${s}" cannot be an ITCH stock symbol: expected 1 to 8 of A-Z 0-9 .`);
  }
  const locate = new Map(symbols.map((s, i) => [s, i + 1]));
  const midnight = newYorkMidnight(o.date);
  const session = regularSession(o.date);
  const ns = (micros: number): number => (micros - midnight) * 1000;

  // Events of the day in exchange time; at one instant quotes before trades.
  const events: { t: number; order: number; apply: () => void }[] = [];
  const books = new Map(symbols.map((s) => [s, { bid: new Level(), ask: new Level() }]));
  const out: Message[] = [];
  let tracking = 0;
  let ref = 0;
  let match = 0;
  let hiddenPrints = 0;
  let corrections = 0;
  let pricesMoved = 0;
  let quoteCount = 0;
  let tradeCount = 0;
  const header = (type: string, loc: number, t: number): Message => ({
    type,
    stock_locate: loc,
    tracking_number: tracking++ & 0xffff,
    timestamp: t,
  });
  const system = (code: string, t: number): void => void out.push({ ...header('S', 0, t), event_code: code });

  const setLevel = (
    symbol: string,
    side: 'B' | 'S',
    level: Level,
    { price, quoted }: { price: number; quoted: number },
    shares: number,
    t: number,
  ): void => {
    const loc = locate.get(symbol)!;
    level.quoted = quoted;
    if (level.price !== price) {
      for (const r of level.orders) out.push({ ...header('D', loc, t), order_ref: r.ref });
      level.orders = [];
      level.price = price;
    }
    const have = level.shares;
    if (shares > have) {
      const r = { ref: ++ref, shares: shares - have };
      level.orders.push(r);
      out.push({ ...header('A', loc, t), order_ref: r.ref, side, shares: r.shares, stock: symbol, price });
    } else {
      let cut = have - shares;
      while (cut > 0) {
        const newest = level.orders[level.orders.length - 1]!;
        if (newest.shares <= cut) {
          out.push({ ...header('D', loc, t), order_ref: newest.ref });
          cut -= newest.shares;
          level.orders.pop();
        } else {
          out.push({ ...header('X', loc, t), order_ref: newest.ref, cancelled_shares: cut });
          newest.shares -= cut;
          cut = 0;
        }
      }
    }
    if (level.orders.length === 0) level.price = level.quoted = 0;
  };

  const quotes = openDataset(o.data, day, 'quotes', 'Quote');
  for (let batch = await quotes.next(); batch; batch = await quotes.next()) {
    const c = columnsOf<Quote>(batch);
    const { symbol, ts_event: tsEvent, bid, ask, bid_size: bidSize, ask_size: askSize } = c.columns;
    for (let i = c.start; i < c.end; i++) {
      const name = symbol.dictionary[symbol.codes[i]!]!;
      const book = books.get(name);
      if (!book) continue;
      const t = ns(tsEvent[i]!);
      const fields = itchFields(`${o.data}: quotes of ${o.date}`, name, tsEvent[i]!, t);
      fields.time();
      const q = {
        t,
        bid: fields.quote('bid', bid[i]!),
        ask: fields.quote('ask', ask[i]!),
        bidSize: fields.shares('bid_size', bidSize[i]!),
        askSize: fields.shares('ask_size', askSize[i]!),
      };
      quoteCount++;
      if (q.bid.price !== q.bid.quoted) pricesMoved++;
      if (q.ask.price !== q.ask.quoted) pricesMoved++;
      events.push({
        t: q.t,
        order: 0,
        apply: () => {
          // Move the side that would otherwise cross the other first.
          const bidFirst = !(book.ask.price > 0 && q.bid.price >= book.ask.price);
          const sides: (() => void)[] = [
            () => setLevel(name, 'B', book.bid, q.bid, q.bidSize, q.t),
            () => setLevel(name, 'S', book.ask, q.ask, q.askSize, q.t),
          ];
          if (!bidFirst) sides.reverse();
          for (const s of sides) s();
        },
      });
    }
  }
  await quotes.close();

  const trades = openDataset(o.data, day, 'trades', 'Trade');
  for (let batch = await trades.next(); batch; batch = await trades.next()) {
    const c = columnsOf<Trade>(batch);
    const { symbol, ts_event: tsEvent, price, size, aggressor, version } = c.columns;
    for (let i = c.start; i < c.end; i++) {
      const name = symbol.dictionary[symbol.codes[i]!]!;
      const book = books.get(name);
      if (!book) continue;
      if (version[i]! > 1) {
        corrections++;
        continue;
      }
      const t = ns(tsEvent[i]!);
      const fields = itchFields(`${o.data}: trades of ${o.date}`, name, tsEvent[i]!, t);
      fields.time();
      const p = fields.price('price', price[i]!);
      const shares = fields.shares('size', size[i]!);
      const side = aggressor.dictionary[aggressor.codes[i]!];
      tradeCount++;
      events.push({
        t,
        order: 1,
        apply: () => {
          const loc = locate.get(name)!;
          const level = side === 'BUY' ? book.ask : side === 'SELL' ? book.bid : undefined;
          if (!level || level.quoted !== p || level.orders.length === 0 || shares === 0) {
            hiddenPrints++;
            const printSide = side === 'SELL' ? 'B' : 'S';
            out.push({ ...header('P', loc, t), order_ref: 0, side: printSide, shares, stock: name, price: p, match_number: ++match });
            return;
          }
          let left = shares;
          while (left > 0 && level.orders.length > 0) {
            const oldest = level.orders[0]!;
            const take = Math.min(left, oldest.shares);
            out.push({ ...header('E', loc, t), order_ref: oldest.ref, executed_shares: take, match_number: ++match });
            oldest.shares -= take;
            left -= take;
            if (oldest.shares === 0) level.orders.shift();
          }
          if (level.orders.length === 0) level.price = level.quoted = 0;
        },
      });
    }
  }
  await trades.close();

  events.sort((a, b) => a.t - b.t || a.order - b.order);
  const first = Math.min(ns(session.open) - 60e9, events[0]?.t ?? Infinity);
  system('O', first);
  symbols.forEach((s, i) => {
    out.push({
      ...header('R', i + 1, first),
      stock: s,
      market_category: 'Q',
      financial_status: 'N',
      round_lot_size: 100,
      round_lots_only: 'N',
      issue_classification: 'C',
      issue_sub_type: 'Z',
      authenticity: 'P',
      short_sale_threshold: 'N',
      ipo_flag: 'N',
      luld_reference_price_tier: '1',
      etp_flag: 'N',
      etp_leverage_factor: 0,
      inverse_indicator: 'N',
    });
  });
  system('S', first);
  let open = false;
  for (const e of events) {
    if (!open && e.t >= ns(session.open)) {
      system('Q', ns(session.open));
      open = true;
    }
    e.apply();
  }
  const last = Math.max(ns(session.close), events[events.length - 1]?.t ?? 0);
  if (!open) system('Q', ns(session.open));
  system('M', last);
  system('E', last);
  system('C', last);

  const bytes = colo().encodeItch(out);
  writeFileAtomically('--out', o.out, bytes);
  return { messages: out.length, quotes: quoteCount, trades: tradeCount, hiddenPrints, corrections, pricesMoved, symbols };
}
