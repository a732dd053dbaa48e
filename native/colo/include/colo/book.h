// Order books from ITCH 5.0: L3 (every order by reference number) → L2 (price levels per side)
// → top of book, per stock locate. Applying a message updates the book and tells a sink about
// what a strategy sees: a changed top of book (a quote) or an execution (a trade). Messages
// that cannot apply (an unknown or duplicate order reference, more shares executed than an
// order has) are counted, never trusted: the book stays consistent. So are messages after End of
// Messages (System Event 'C'), which the ITCH 5.0 spec makes the day's last message: the book stays
// as it was at the end of the day.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "colo/itch.h"
#include "colo/order_index.h"

namespace colo::book {

struct Level {
  uint32_t price;   // Price(4)
  uint64_t shares;  // sum over the level's orders
  uint32_t orders;
};

// One side's levels, best last: bids ascending, asks descending, so a change at the touch
// moves no other level.
class Side {
 public:
  explicit Side(bool is_bid) : is_bid_(is_bid) {}
  void add(uint32_t price, uint32_t shares);
  // Removes shares (and the order when `order_gone`) from the level at `price`.
  void reduce(uint32_t price, uint32_t shares, bool order_gone);
  const Level* best() const { return levels_.empty() ? nullptr : &levels_.back(); }
  // Levels best first (for depth views and tests).
  std::vector<Level> depth(size_t max_levels) const;
  size_t level_count() const { return levels_.size(); }

 private:
  // Index of the level at `price`, or where it would be inserted.
  size_t find(uint32_t price) const;
  bool is_bid_;
  std::vector<Level> levels_;
};

struct Top {
  uint32_t bid = 0, ask = 0;  // Price(4); 0 when the side is empty
  uint64_t bid_size = 0, ask_size = 0;
  friend bool operator==(const Top&, const Top&) = default;
};

struct SymbolBook {
  Side bids{true};
  Side asks{false};
  Top top() const;
};

// What the book tells its sink.
struct QuoteChange {
  uint16_t locate;
  uint64_t timestamp;  // exchange ns since midnight
  Top top;
};
struct TradePrint {
  uint16_t locate;
  uint64_t timestamp;
  uint32_t price;
  uint64_t shares;
  char aggressor;  // 'B' buyer crossed, 'S' seller crossed, ' ' unknown (crosses)
  uint64_t match_number;
};

enum class BookError : uint8_t {
  kUnknownOrder,      // E/C/X/D/U for a reference the book does not hold
  kDuplicateOrder,    // A/F/U adding a reference the book already holds
  kOverExecution,     // executed or cancelled more shares than the order has (clamped)
  kBadSide,           // side not 'B' or 'S'
  kZeroShares,        // an add with 0 shares
  kBrokenTrade,       // B: a trade the book already printed was broken (counted, not undone)
  kCount
};
std::string_view book_error_name(BookError e);

struct BookStats {
  std::array<uint64_t, size_t(BookError::kCount)> errors{};
  uint64_t quotes = 0, trades = 0;
  uint64_t after_end = 0;  // messages after End of Messages: counted, not applied
};

// Per-locate metadata learned from Stock Directory messages.
struct Instrument {
  std::string symbol;  // trimmed
  uint64_t traded_shares = 0;
  uint64_t trade_count = 0;
  std::array<uint64_t, itch::kMessageTypeCount> messages{};  // by itch::Message index
};

// Live orders a whole market's feed may hold at once (about a million, and room for twice that): what
// colo_fastpath and source.itch size their book for ahead of the session by default. It takes the
// index's largest table, which never grows (docs/decisions.md, "The feed handlers size the order
// index for a whole market").
inline constexpr size_t kMarketOrders = size_t(1) << 21;

class Book {
 public:
  Book();
  // Sizes the order index for `n` live orders now (OrderIndex::reserve), so that no insert on the
  // hot path stalls while the table grows; 0 leaves it to grow from its smallest as orders come.
  void reserve_orders(size_t n) {
    if (n > 0) orders_.reserve(n);
  }

  // Applies one decoded message; calls sink.on_quote(const QuoteChange&) when the symbol's top
  // changed and sink.on_trade(const TradePrint&) for an execution that prints.
  template <class Sink>
  void apply(const itch::Message& m, Sink& sink) {
    std::visit([&](const auto& msg) { on(msg, sink); }, m);
  }
  // Applies the raw bytes of one framed message (the hot path: no variant).
  template <class Sink>
  DecodeStatus apply_bytes(const uint8_t* p, size_t len, Sink& sink) {
    return itch::dispatch(p, len, [&](const auto& msg) { on(msg, sink); });
  }

  const SymbolBook* symbol_book(uint16_t locate) const;
  const Instrument* instrument(uint16_t locate) const;
  // Locates seen (by a directory message or an order), ascending.
  std::vector<uint16_t> locates() const;
  const BookStats& stats() const { return stats_; }
  // End of Messages (System Event 'C') was applied: every message after it is counted in
  // stats().after_end and not applied. A caller that knows where a message came from (a file
  // offset, a MoldUDP64 sequence) asks this before applying it to say where the first one was.
  bool ended() const { return ended_; }
  size_t live_orders() const { return orders_.size(); }
  // Slots in the order index's table (OrderIndex::slots).
  size_t order_slots() const { return orders_.slots(); }
  const Order* order(uint64_t ref) const;

 private:
  template <class M, class Sink>
  void on(const M& m, Sink& sink);

  SymbolBook& book_for(uint16_t locate);
  Instrument& instrument_for(uint16_t locate);
  template <class M>
  void count(const M& m) {
    instrument_for(m.h.stock_locate).messages[size_t(itch::message_index(uint8_t(M::kType)))]++;
  }
  void error(BookError e) { stats_.errors[size_t(e)]++; }

  template <class Sink>
  void after_change(uint16_t locate, uint64_t ts, Sink& sink);
  template <class Sink>
  void execute(uint64_t ts, uint64_t ref, uint32_t shares,
               const uint32_t* price_override, bool printable, uint64_t match, Sink& sink);
  bool add(uint16_t locate, uint64_t ref, char side, uint32_t shares, uint32_t price);
  // Removes up to `shares` (all when `all`) from the live order `o` (orders_.find(ref)).
  void remove(uint64_t ref, Order* o, uint32_t shares, bool all);

  std::vector<SymbolBook> books_;        // by locate
  std::vector<Top> last_top_;            // by locate: the last top told to the sink
  std::vector<Instrument> instruments_;  // by locate
  OrderIndex orders_;
  BookStats stats_;
  bool ended_ = false;
};

// Which locates' rows a consumer of a book keeps: those whose symbol is one of a set (all when the
// set is empty), decided per locate once the book knows its symbol.
class SymbolFilter {
 public:
  void select(std::unordered_set<std::string> symbols) { names_ = std::move(symbols); }
  bool empty() const { return names_.empty(); }
  bool selected(const Book& book, uint16_t locate) {
    if (names_.empty()) return true;
    if (locate >= decided_.size()) decided_.resize(size_t(locate) + 1, -1);
    int8_t& d = decided_[locate];
    if (d < 0) {
      const Instrument* ins = book.instrument(locate);
      if (!ins || ins->symbol.empty()) return false;  // decided once the symbol is known
      d = names_.contains(ins->symbol) ? 1 : 0;
    }
    return d == 1;
  }

 private:
  std::unordered_set<std::string> names_;
  std::vector<int8_t> decided_;  // by locate: -1 undecided, 0 no, 1 yes
};

// ---------------------------------------------------------------------- template definitions

template <class Sink>
void Book::after_change(uint16_t locate, uint64_t ts, Sink& sink) {
  Top now = books_[locate].top();
  if (now == last_top_[locate]) return;
  last_top_[locate] = now;
  stats_.quotes++;
  sink.on_quote(QuoteChange{locate, ts, now});
}

template <class Sink>
void Book::execute(uint64_t ts, uint64_t ref, uint32_t shares,
                   const uint32_t* price_override, bool printable, uint64_t match, Sink& sink) {
  Order* live = orders_.find(ref);
  if (!live) return error(BookError::kUnknownOrder);
  const Order o = *live;
  if (shares > o.shares) {
    error(BookError::kOverExecution);
    shares = o.shares;
  }
  remove(ref, live, shares, false);
  if (printable && shares > 0) {
    Instrument& ins = instrument_for(o.locate);
    ins.traded_shares += shares;
    ins.trade_count++;
    stats_.trades++;
    // The resting order's side was hit by the other side.
    sink.on_trade(TradePrint{o.locate, ts, price_override ? *price_override : o.price, shares,
                             o.side == 'B' ? 'S' : 'B', match});
  }
  after_change(o.locate, ts, sink);
}

template <class M, class Sink>
void Book::on(const M& m, Sink& sink) {
  if (ended_) [[unlikely]] {
    ++stats_.after_end;
    return;
  }
  count(m);
  const uint16_t loc = m.h.stock_locate;
  const uint64_t ts = m.h.timestamp;
  if constexpr (std::is_same_v<M, itch::SystemEvent>) {
    if (m.event_code == 'C') ended_ = true;  // End of Messages
  } else if constexpr (std::is_same_v<M, itch::StockDirectory>) {
    instrument_for(loc).symbol = std::string(m.stock.view());
  } else if constexpr (std::is_same_v<M, itch::AddOrder> || std::is_same_v<M, itch::AddOrderMpid>) {
    Instrument& ins = instrument_for(loc);
    if (ins.symbol.empty()) ins.symbol = std::string(m.stock.view());
    if (add(loc, m.order_ref, m.side, m.shares, m.price)) after_change(loc, ts, sink);
  } else if constexpr (std::is_same_v<M, itch::OrderExecuted>) {
    execute(ts, m.order_ref, m.executed_shares, nullptr, true, m.match_number, sink);
  } else if constexpr (std::is_same_v<M, itch::OrderExecutedWithPrice>) {
    execute(ts, m.order_ref, m.executed_shares, &m.execution_price, m.printable == 'Y',
            m.match_number, sink);
  } else if constexpr (std::is_same_v<M, itch::OrderCancel>) {
    Order* o = orders_.find(m.order_ref);
    if (!o) return error(BookError::kUnknownOrder);
    if (m.cancelled_shares > o->shares) error(BookError::kOverExecution);
    const uint16_t at = o->locate;
    remove(m.order_ref, o, m.cancelled_shares, false);
    after_change(at, ts, sink);
  } else if constexpr (std::is_same_v<M, itch::OrderDelete>) {
    Order* o = orders_.find(m.order_ref);
    if (!o) return error(BookError::kUnknownOrder);
    const uint16_t at = o->locate;
    remove(m.order_ref, o, 0, true);
    after_change(at, ts, sink);
  } else if constexpr (std::is_same_v<M, itch::OrderReplace>) {
    Order* live = orders_.find(m.original_order_ref);
    if (!live) return error(BookError::kUnknownOrder);
    if (orders_.contains(m.new_order_ref)) return error(BookError::kDuplicateOrder);
    const Order o = *live;
    remove(m.original_order_ref, live, 0, true);
    add(o.locate, m.new_order_ref, o.side, m.shares, m.price);
    after_change(o.locate, ts, sink);
  } else if constexpr (std::is_same_v<M, itch::TradeNonCross>) {
    // An execution against a non-displayed order: a print, no book change.
    if (m.side != 'B' && m.side != 'S') return error(BookError::kBadSide);
    Instrument& ins = instrument_for(loc);
    if (ins.symbol.empty()) ins.symbol = std::string(m.stock.view());
    ins.traded_shares += m.shares;
    ins.trade_count++;
    stats_.trades++;
    sink.on_trade(TradePrint{loc, ts, m.price, m.shares, m.side == 'B' ? 'S' : 'B', m.match_number});
  } else if constexpr (std::is_same_v<M, itch::CrossTrade>) {
    if (m.shares == 0) return;
    Instrument& ins = instrument_for(loc);
    ins.traded_shares += m.shares;
    ins.trade_count++;
    stats_.trades++;
    sink.on_trade(TradePrint{loc, ts, m.cross_price, m.shares, ' ', m.match_number});
  } else if constexpr (std::is_same_v<M, itch::BrokenTrade>) {
    error(BookError::kBrokenTrade);
  }
}

}  // namespace colo::book
