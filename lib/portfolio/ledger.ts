/**
 * Portfolio accounting, pure: positions at average cost, cash, realised and unrealised PnL, fees, and
 * the carry a broker charges outside its fills (short borrow, financing of the gross).
 * Invariant (property-tested): cash + Σ qty·mark = initial cash + realised + unrealised − fees − borrow − financing.
 */
import type { ExecutionCost, Fill, PortfolioState, Position } from '../../schemas/types.generated.ts';

interface Holding {
  qty: number;
  avgPrice: number;
  mark: number;
  /** The Position last reported for it: the next state reuses it while qty, avg price and mark are the same. */
  reported?: Position;
}

export class Ledger {
  cash: number;
  realized = 0;
  fees = 0;
  borrow = 0;
  financing = 0;
  tradedNotional = 0;
  private readonly holdings = new Map<string, Holding>();
  /**
   * The latest mark of every symbol quoted so far, held or not (a new position starts at it), with
   * the symbol's holding: a mark, once per quote, is one lookup.
   */
  private readonly marks = new Map<string, { price: number | undefined; holding: Holding | undefined }>();
  /** The held symbols in sorted order, until a position opens or closes. */
  private sorted: string[] | undefined;

  constructor(readonly initialCash: number) {
    this.cash = initialCash;
  }

  apply(fill: Pick<Fill, 'symbol' | 'side' | 'qty' | 'price' | 'fee'>): void {
    const signed = fill.side === 'BUY' ? fill.qty : -fill.qty;
    this.cash -= signed * fill.price + fill.fee;
    this.fees += fill.fee;
    this.tradedNotional += fill.qty * fill.price;
    let m = this.marks.get(fill.symbol);
    const h = this.holdings.get(fill.symbol) ?? { qty: 0, avgPrice: 0, mark: m?.price ?? fill.price };
    if (h.qty === 0 || Math.sign(h.qty) === Math.sign(signed)) {
      const qty = h.qty + signed;
      h.avgPrice = (h.avgPrice * Math.abs(h.qty) + fill.price * Math.abs(signed)) / Math.abs(qty);
      h.qty = qty;
    } else {
      const closed = Math.min(Math.abs(signed), Math.abs(h.qty));
      this.realized += closed * (fill.price - h.avgPrice) * Math.sign(h.qty);
      const qty = h.qty + signed;
      if (qty !== 0 && Math.sign(qty) !== Math.sign(h.qty)) h.avgPrice = fill.price;
      h.qty = qty;
    }
    if (h.qty === 0) h.avgPrice = 0;
    h.mark = h.mark || fill.price;
    if (m === undefined) this.marks.set(fill.symbol, (m = { price: undefined, holding: undefined }));
    if (h.qty === 0) {
      if (this.holdings.delete(fill.symbol)) this.sorted = undefined;
      m.holding = undefined;
    } else {
      if (m.holding !== h) this.sorted = undefined;
      this.holdings.set(fill.symbol, h);
      m.holding = h;
    }
  }

  /**
   * Pays a cost record's carry (borrow and financing) out of cash; returns whether cash moved. Its
   * spread, impact and fee are not charged: they are already in its fill's price and fee.
   */
  charge(cost: Pick<ExecutionCost, 'borrow' | 'financing'>): boolean {
    if (cost.borrow === 0 && cost.financing === 0) return false;
    this.cash -= cost.borrow + cost.financing;
    this.borrow += cost.borrow;
    this.financing += cost.financing;
    return true;
  }

  /** Records the latest mark of a symbol; returns false when the symbol is not held. */
  mark(symbol: string, price: number): boolean {
    const m = this.marks.get(symbol);
    if (m === undefined) {
      this.marks.set(symbol, { price, holding: undefined });
      return false;
    }
    m.price = price;
    const h = m.holding;
    if (!h) return false;
    h.mark = price;
    return true;
  }

  state(ts_event: number, ts_known: number): PortfolioState {
    let unrealized = 0;
    let gross = 0;
    let net = 0;
    const positions: Position[] = [];
    this.sorted ??= [...this.holdings.keys()].sort();
    for (const symbol of this.sorted) {
      const h = this.holdings.get(symbol)!;
      const value = h.qty * h.mark;
      unrealized += h.qty * (h.mark - h.avgPrice);
      gross += Math.abs(value);
      net += value;
      // States are kept (the equity curve holds thousands) and most positions do not move between
      // two of them: an unchanged one is the same (immutable) record, not a copy.
      let pos = h.reported;
      if (pos === undefined || !Object.is(pos.qty, h.qty) || !Object.is(pos.avg_price, h.avgPrice) || !Object.is(pos.mark, h.mark)) {
        h.reported = pos = { symbol, qty: h.qty, avg_price: h.avgPrice, mark: h.mark };
      }
      positions.push(pos);
    }
    return {
      ts_event,
      ts_known,
      cash: this.cash,
      equity: this.cash + net,
      realized_pnl: this.realized,
      unrealized_pnl: unrealized,
      fees: this.fees,
      borrow: this.borrow,
      financing: this.financing,
      gross_exposure: gross,
      net_exposure: net,
      traded_notional: this.tradedNotional,
      positions,
    };
  }
}
