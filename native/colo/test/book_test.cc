// The order book against a reference written here: a std::map per side rebuilt from the
// orders the test itself tracks, over hand-made sequences and random streams.
#include "colo/book.h"

#include <gtest/gtest.h>

#include "colo/itch_file.h"
#include "colo/itch_replay.h"

#include <map>
#include <random>

namespace colo::book {
namespace {

using namespace colo::itch;

struct Recorder {
  std::vector<QuoteChange> quotes;
  std::vector<TradePrint> trades;
  void on_quote(const QuoteChange& q) { quotes.push_back(q); }
  void on_trade(const TradePrint& t) { trades.push_back(t); }
};

Header hdr(uint16_t locate, uint64_t ts) { return Header{locate, 0, ts}; }

AddOrder add(uint16_t loc, uint64_t ts, uint64_t ref, char side, uint32_t shares, uint32_t price) {
  AddOrder a;
  a.h = hdr(loc, ts);
  a.order_ref = ref;
  a.side = side;
  a.shares = shares;
  a.stock = Symbol::of(loc == 1 ? "AAPL" : "MSFT");
  a.price = price;
  return a;
}

TEST(Book, TopOfBookThroughAddExecuteCancelDeleteReplace) {
  Book book;
  Recorder r;
  book.apply(Message{add(1, 10, 1, 'B', 100, 1000000)}, r);  // bid 100 @ 100.00
  book.apply(Message{add(1, 11, 2, 'B', 200, 1000000)}, r);  // bid 300 @ 100.00
  book.apply(Message{add(1, 12, 3, 'S', 50, 1001000)}, r);   // ask 50 @ 100.10
  book.apply(Message{add(1, 13, 4, 'B', 10, 999000)}, r);    // deeper bid: no quote
  ASSERT_EQ(r.quotes.size(), 3u);
  EXPECT_EQ(r.quotes.back().top, (Top{1000000, 1001000, 300, 50}));
  EXPECT_EQ(r.quotes.back().timestamp, 12u);

  OrderExecuted e;
  e.h = hdr(1, 20);
  e.order_ref = 1;
  e.executed_shares = 40;
  e.match_number = 7;
  book.apply(Message{e}, r);
  ASSERT_EQ(r.trades.size(), 1u);
  EXPECT_EQ(r.trades[0].price, 1000000u);
  EXPECT_EQ(r.trades[0].shares, 40u);
  EXPECT_EQ(r.trades[0].aggressor, 'S');  // a resting bid was hit
  EXPECT_EQ(r.quotes.back().top.bid_size, 260u);

  OrderCancel x;
  x.h = hdr(1, 21);
  x.order_ref = 2;
  x.cancelled_shares = 200;  // all of order 2
  book.apply(Message{x}, r);
  EXPECT_EQ(r.quotes.back().top, (Top{1000000, 1001000, 60, 50}));
  EXPECT_EQ(book.order(2), nullptr);

  OrderReplace u;
  u.h = hdr(1, 22);
  u.original_order_ref = 1;
  u.new_order_ref = 5;
  u.shares = 70;
  u.price = 1000500;  // improves the bid to 100.05
  book.apply(Message{u}, r);
  EXPECT_EQ(r.quotes.back().top, (Top{1000500, 1001000, 70, 50}));
  EXPECT_EQ(book.order(1), nullptr);
  ASSERT_NE(book.order(5), nullptr);
  EXPECT_EQ(book.order(5)->side, 'B');

  OrderDelete d;
  d.h = hdr(1, 23);
  d.order_ref = 5;
  book.apply(Message{d}, r);
  EXPECT_EQ(r.quotes.back().top, (Top{999000, 1001000, 10, 50}));

  OrderExecutedWithPrice c;
  c.h = hdr(1, 24);
  c.order_ref = 3;
  c.executed_shares = 50;
  c.match_number = 8;
  c.printable = 'Y';
  c.execution_price = 1000900;
  book.apply(Message{c}, r);
  EXPECT_EQ(r.trades.back().price, 1000900u);
  EXPECT_EQ(r.trades.back().aggressor, 'B');
  EXPECT_EQ(r.quotes.back().top, (Top{999000, 0, 10, 0}));
  EXPECT_EQ(book.instrument(1)->traded_shares, 90u);
  EXPECT_EQ(book.instrument(1)->symbol, "AAPL");
}

TEST(Book, BadMessagesAreCountedAndLeaveTheBookConsistent) {
  Book book;
  Recorder r;
  book.apply(Message{add(1, 1, 1, 'B', 100, 10000)}, r);
  book.apply(Message{add(1, 2, 1, 'B', 100, 10000)}, r);  // duplicate ref
  book.apply(Message{add(1, 3, 2, 'Z', 100, 10000)}, r);  // bad side
  book.apply(Message{add(1, 4, 3, 'B', 0, 10000)}, r);    // zero shares
  OrderExecuted e;
  e.h = hdr(1, 5);
  e.order_ref = 99;  // unknown
  e.executed_shares = 1;
  book.apply(Message{e}, r);
  e.order_ref = 1;
  e.executed_shares = 500;  // more than the order has: clamped to 100
  book.apply(Message{e}, r);
  const auto& errs = book.stats().errors;
  EXPECT_EQ(errs[size_t(BookError::kDuplicateOrder)], 1u);
  EXPECT_EQ(errs[size_t(BookError::kBadSide)], 1u);
  EXPECT_EQ(errs[size_t(BookError::kZeroShares)], 1u);
  EXPECT_EQ(errs[size_t(BookError::kUnknownOrder)], 1u);
  EXPECT_EQ(errs[size_t(BookError::kOverExecution)], 1u);
  EXPECT_EQ(r.trades.back().shares, 100u);
  EXPECT_EQ(book.live_orders(), 0u);
  EXPECT_EQ(book.symbol_book(1)->top(), Top{});
}

SystemEvent system_event(uint64_t ts, char code) {
  SystemEvent s;
  s.h = hdr(0, ts);
  s.event_code = code;
  return s;
}

// ITCH 5.0: End of Messages (System Event 'C') is always the last message of the day. What comes
// after it is counted, never applied: the book stays as the day ended.
TEST(Book, MessagesAfterEndOfMessagesAreCountedNotApplied) {
  Book book;
  Recorder r;
  book.apply(Message{add(1, 1, 1, 'B', 100, 10000)}, r);
  book.apply(Message{system_event(2, 'E')}, r);  // End of System Hours: not the end
  book.apply(Message{system_event(3, 'M')}, r);  // End of Market Hours: not the end
  EXPECT_FALSE(book.ended());
  book.apply(Message{system_event(4, 'C')}, r);  // End of Messages
  EXPECT_TRUE(book.ended());
  const Top day_end = book.symbol_book(1)->top();
  const size_t quotes = r.quotes.size();

  book.apply(Message{add(1, 5, 2, 'S', 50, 10100)}, r);  // would make an ask
  OrderExecuted e;
  e.h = hdr(1, 6);
  e.order_ref = 1;
  e.executed_shares = 40;  // would print and shrink the bid
  book.apply(Message{e}, r);
  book.apply(Message{add(2, 7, 3, 'B', 10, 20000)}, r);  // a locate never seen
  EXPECT_EQ(book.stats().after_end, 3u);
  EXPECT_EQ(book.symbol_book(1)->top(), day_end);
  EXPECT_EQ(r.quotes.size(), quotes);
  EXPECT_TRUE(r.trades.empty());
  EXPECT_EQ(book.live_orders(), 1u);
  EXPECT_EQ(book.locates(), (std::vector<uint16_t>{0, 1}));  // the system events' locate 0, and AAPL's
  for (auto n : book.stats().errors) EXPECT_EQ(n, 0u);
}

TEST(ItchReplay, KeepsTheOffsetOfTheFirstMessageAfterEndOfMessages) {
  std::vector<uint8_t> file;
  auto append = [&](const Message& m) {
    uint8_t b[kMaxMessageLength];
    itch_file::append_record(file, b, encode(m, b));
  };
  append(Message{add(1, 1, 1, 'B', 100, 10000)});
  append(Message{system_event(2, 'C')});
  const uint64_t first_late = file.size();
  append(Message{add(1, 3, 2, 'S', 100, 10100)});
  append(Message{system_event(4, 'C')});  // a second End of Messages is after the first, too

  ItchReplay replay(file.data(), file.size());
  QuoteRows q;
  TradeRows t;
  EXPECT_TRUE(replay.step(100, &q, &t));
  EXPECT_EQ(replay.frames().messages, 4u);  // well-formed, so framed and counted as messages
  EXPECT_EQ(replay.book().stats().after_end, 2u);
  EXPECT_EQ(replay.first_after_end(), first_late);
  ASSERT_EQ(q.size(), 1u);  // the bid before the end; no ask after it
  EXPECT_EQ(replay.book().symbol_book(1)->top(), (Top{10000, 0, 100, 0}));
}

// Reference: orders tracked in a std::map by ref; levels recomputed from scratch.
struct RefBook {
  struct O {
    uint16_t loc;
    char side;
    uint32_t shares, price;
  };
  std::map<uint64_t, O> orders;
  Top top(uint16_t loc) const {
    std::map<uint32_t, uint64_t> bids, asks;
    for (auto& [ref, o] : orders)
      if (o.loc == loc) (o.side == 'B' ? bids : asks)[o.price] += o.shares;
    Top t;
    if (!bids.empty()) t.bid = bids.rbegin()->first, t.bid_size = bids.rbegin()->second;
    if (!asks.empty()) t.ask = asks.begin()->first, t.ask_size = asks.begin()->second;
    return t;
  }
};

TEST(Book, RandomStreamsMatchAReferenceBookAfterEveryMessage) {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 20; ++round) {
    Book book;
    RefBook ref;
    Recorder r;
    uint64_t next_ref = 1;
    std::vector<uint64_t> live;
    for (int i = 0; i < 2000; ++i) {
      const uint16_t loc = uint16_t(1 + rng() % 3);
      const int kind = int(rng() % 10);
      Message m;
      if (kind < 4 || live.empty()) {
        const char side = rng() % 2 ? 'B' : 'S';
        const uint32_t price = uint32_t(1000000 + (side == 'B' ? -1 : 1) * int(rng() % 20) * 100);
        const uint32_t shares = uint32_t(1 + rng() % 500);
        m = add(loc, uint64_t(i), next_ref, side, shares, price);
        ref.orders[next_ref] = {loc, side, shares, price};
        live.push_back(next_ref++);
      } else {
        const size_t k = rng() % live.size();
        const uint64_t id = live[k];
        RefBook::O& o = ref.orders[id];
        const uint32_t part = uint32_t(1 + rng() % o.shares);
        auto drop = [&] {
          ref.orders.erase(id);
          live[k] = live.back();
          live.pop_back();
        };
        if (kind < 6) {
          OrderExecuted e;
          e.h = hdr(o.loc, uint64_t(i));
          e.order_ref = id;
          e.executed_shares = part;
          m = e;
          if ((o.shares -= part) == 0) drop();
        } else if (kind < 7) {
          OrderCancel x;
          x.h = hdr(o.loc, uint64_t(i));
          x.order_ref = id;
          x.cancelled_shares = part;
          m = x;
          if ((o.shares -= part) == 0) drop();
        } else if (kind < 8) {
          OrderDelete d;
          d.h = hdr(o.loc, uint64_t(i));
          d.order_ref = id;
          m = d;
          drop();
        } else {
          OrderReplace u;
          u.h = hdr(o.loc, uint64_t(i));
          u.original_order_ref = id;
          u.new_order_ref = next_ref;
          u.shares = uint32_t(1 + rng() % 500);
          u.price = o.price + (rng() % 2 ? 100 : 0);
          m = u;
          RefBook::O n{o.loc, o.side, u.shares, u.price};
          drop();
          ref.orders[next_ref] = n;
          live.push_back(next_ref++);
        }
      }
      const uint16_t at = std::visit([](const auto& v) { return v.h.stock_locate; }, m);
      book.apply(m, r);
      ASSERT_EQ(book.symbol_book(at)->top(), ref.top(at)) << "round " << round << " message " << i;
    }
    EXPECT_EQ(book.live_orders(), ref.orders.size());
    for (auto e : book.stats().errors) EXPECT_EQ(e, 0u);
    // Each quote told to the sink is a change of that symbol's top.
    std::map<uint16_t, Top> last;
    for (const QuoteChange& q : r.quotes) {
      EXPECT_NE(last[q.locate], q.top);
      last[q.locate] = q.top;
    }
    for (uint16_t loc = 1; loc <= 3; ++loc) EXPECT_EQ(last[loc], ref.top(loc));
  }
}

}  // namespace
}  // namespace colo::book
