// The in-process tick-to-trade path: MoldUDP64 packets built here from ITCH messages written
// here, through the book and the checks, to OUCH bytes that are compared byte for byte against
// an Enter Order laid out here from the OUCH 4.2 field table, then decoded.
#include "colo/fast_path.h"

#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

#include "colo/itch.h"
#include "colo/ouch42.h"
#include "colo/soupbintcp.h"
#include "test_bytes.h"

namespace colo::fast_path {
namespace {

using namespace colo::itch;
constexpr uint64_t kSec = 1'000'000'000;

// ITCH messages into MoldUDP64 packets, one packet per take().
class Packets {
 public:
  template <class M>
  Packets& add(const M& m) {
    uint8_t buf[64];
    const size_t n = write_wire(m, buf);
    EXPECT_TRUE(b_.append(buf, n));
    return *this;
  }
  std::vector<uint8_t> take() { return b_.take(); }
  uint64_t next_sequence() const { return b_.next_sequence(); }

 private:
  mold::PacketBuilder b_{mold::Session::of("FASTPATH01"), 1};
};

StockDirectory directory(uint16_t loc, const char* sym) { return common_stock(loc, 0, 1000, sym); }

AddOrder add(uint16_t loc, const char* sym, uint64_t ref, char side, uint32_t shares, uint32_t price,
             uint64_t ts = 2000) {
  AddOrder a;
  a.h = Header{loc, 0, ts};
  a.order_ref = ref;
  a.side = side;
  a.shares = shares;
  a.stock = Symbol::of(sym);
  a.price = price;
  return a;
}

OrderDelete del(uint16_t loc, uint64_t ref) {
  OrderDelete d;
  d.h = Header{loc, 0, 3000};
  d.order_ref = ref;
  return d;
}

size_t feed(TickToTrade& t, const std::vector<uint8_t>& pk, uint64_t now = 0) {
  return t.on_packet(pk.data(), pk.size(), now);
}

// A SoupBinTCP 'U' packet around an Enter Order, laid out from the OUCH 4.2 field table.
std::string enter_order_packet(const std::string& token, char side, uint32_t shares, const std::string& stock8,
                               uint32_t price, uint32_t tif) {
  char num[9];
  auto u32 = [&](uint32_t v) {
    std::snprintf(num, sizeof num, "%08X", v);
    return std::string(num) + " ";
  };
  return "0032 55 "                                 // Packet Length 50 (type + 49), type 'U'
         "4F " + test::ascii(token) +               // 'O', Order Token (14)
         test::ascii(std::string(1, side)) +        // Buy/Sell Indicator
         u32(shares) + test::ascii(stock8) +        // Shares, Stock (8)
         u32(price) + u32(tif) +                    // Price(4), Time in Force
         "20202020 "                                // Firm: blank (the port's default)
         "59 50 4E 00000000 4E 20";                 // Display Y, Capacity P, ISO N, Min Qty, Cross N, Customer ' '
}

TEST(FastPath, SpreadNarrowingToOneTickSendsOneEnterOrderAtTheAsk) {
  OneTickSpreadTrigger trig(300);
  TickToTrade t(trig);
  Packets p;
  p.add(directory(1, "AAPL"))
      .add(add(1, "AAPL", 1, 'B', 100, 1'000'000))    // seq 2: bid 100 @ 100.00
      .add(add(1, "AAPL", 2, 'S', 200, 1'000'200));   // seq 3: ask 200 @ 100.02: two ticks
  EXPECT_EQ(feed(t, p.take()), 0u);
  EXPECT_TRUE(t.out().empty());
  EXPECT_EQ(t.stats().evaluated, 1u);  // one symbol changed in that packet: one evaluation

  p.add(add(1, "AAPL", 3, 'S', 50, 1'000'100));      // seq 4: ask 50 @ 100.01: one tick
  ASSERT_EQ(feed(t, p.take()), 1u);
  const std::string token(order_entry::order_token("AAPL-4").view());
  EXPECT_EQ(t.out(), test::hex(enter_order_packet(token, 'B', 300, "AAPL    ", 1'000'100, 0)));

  // The same bytes read back through the framer and the OUCH decoder.
  soup::Framer fr({soup::Direction::kFromClient});
  int packets = 0;
  fr.feed(t.out().data(), t.out().size(), [&](const soup::Packet& pk) {
    ++packets;
    ASSERT_EQ(pk.type, 'U');
    ouch42::Inbound in;
    ASSERT_EQ(ouch42::decode_inbound(pk.payload, pk.size, in), DecodeStatus::kOk);
    const auto& e = std::get<ouch42::EnterOrder>(in);
    EXPECT_EQ(e.order_token.view(), token);
    EXPECT_EQ(e.side, 'B');
    EXPECT_EQ(e.shares, 300u);
    EXPECT_EQ(e.stock.view(), "AAPL");
    EXPECT_EQ(e.price, 1'000'100u);
    EXPECT_EQ(e.time_in_force, ouch42::kTifImmediateOrCancel);
  });
  EXPECT_EQ(packets, 1);

  // Still one tick (a bigger bid): no new narrowing, no order. Wider, then one tick again: one.
  t.clear_out();
  p.add(add(1, "AAPL", 4, 'B', 100, 1'000'000));  // seq 5
  EXPECT_EQ(feed(t, p.take()), 0u);
  p.add(del(1, 3));                                // seq 6: ask back to 100.02
  EXPECT_EQ(feed(t, p.take()), 0u);
  p.add(add(1, "AAPL", 5, 'S', 10, 1'000'100));   // seq 7
  EXPECT_EQ(feed(t, p.take()), 1u);
  EXPECT_EQ(t.stats().orders, 2u);
  EXPECT_EQ(t.stats().rejected_total(), 0u);
  const std::string token7(order_entry::order_token("AAPL-7").view());
  EXPECT_EQ(t.out(), test::hex(enter_order_packet(token7, 'B', 300, "AAPL    ", 1'000'100, 0)));
}

TEST(FastPath, AReplayOfTheSamePacketsSendsTheSameBytes) {
  Packets p;
  std::vector<std::vector<uint8_t>> session;
  p.add(directory(1, "AAPL")).add(directory(2, "MSFT"));
  session.push_back(p.take());
  for (uint64_t i = 0; i < 50; ++i) {
    const uint16_t loc = uint16_t(1 + i % 2);
    const char* sym = loc == 1 ? "AAPL" : "MSFT";
    p.add(add(loc, sym, 1000 + 3 * i, 'B', 100, 500'000))
        .add(add(loc, sym, 1001 + 3 * i, 'S', 100, 500'200))
        .add(add(loc, sym, 1002 + 3 * i, 'S', 100, 500'100));
    session.push_back(p.take());
    p.add(del(loc, 1000 + 3 * i)).add(del(loc, 1001 + 3 * i)).add(del(loc, 1002 + 3 * i));
    session.push_back(p.take());
  }
  auto run = [&] {
    OneTickSpreadTrigger trig(100);
    Config c;
    c.limits.max_orders_per_second = 1000;
    TickToTrade t(trig, c);
    for (const auto& pk : session) feed(t, pk);
    EXPECT_EQ(t.stats().orders, 50u);
    return t.out();
  };
  const auto a = run();
  EXPECT_EQ(a.size(), 50u * 52);
  EXPECT_EQ(a, run());
}

// Asks for the same order on every top it is shown.
class Scripted final : public Trigger {
 public:
  Intent intent;
  std::optional<Intent> on_top(const TopView& v) override {
    Intent in = intent;
    in.symbol = Symbol::of(v.symbol);
    return in;
  }
};

// A book for AAPL at 100.00 × 100.02, then one packet per call that moves its bid size.
struct Rig {
  Scripted trig;
  TickToTrade t;
  Packets p;
  uint64_t ref = 100;
  explicit Rig(Config c) : t(trig, c) {
    trig.intent.shares = 100;
    trig.intent.price = 1'000'100;
    p.add(directory(1, "AAPL")).add(add(1, "AAPL", 1, 'B', 100, 1'000'000)).add(add(1, "AAPL", 2, 'S', 100, 1'000'200));
    auto first = p.take();
    t.set_kill_switch(true);  // the set-up packet is not an order
    feed(t, first);
    t.set_kill_switch(false);
    t.clear_out();
  }
  // Another bid at 100.00: the top changes, the trigger is asked.
  size_t tick(uint64_t now = 0) {
    p.add(add(1, "AAPL", ++ref, 'B', 1, 1'000'000));
    return feed(t, p.take(), now);
  }
  uint64_t rejected(Reject r) const { return t.stats().rejected[size_t(r)]; }
};

TEST(FastPath, EachPreTradeCheckRejectsAndCountsItsReason) {
  Config c;
  c.limits.max_shares = 500;
  c.limits.max_notional = 20'000;  // dollars
  c.limits.collar_bps = 100;       // 1% of the mid (100.01): up to 101.0101
  c.limits.max_orders_per_second = 1000;
  Rig r(c);
  const uint64_t setup_kills = r.rejected(Reject::kKillSwitch);
  EXPECT_EQ(setup_kills, 1u);

  EXPECT_EQ(r.tick(), 1u);  // 100 @ 100.01: inside every limit

  r.trig.intent.shares = 501;
  EXPECT_EQ(r.tick(), 0u);
  EXPECT_EQ(r.rejected(Reject::kMaxShares), 1u);

  r.trig.intent.shares = 200;  // 200 × 100.01 = 20 002 > 20 000
  EXPECT_EQ(r.tick(), 0u);
  EXPECT_EQ(r.rejected(Reject::kMaxNotional), 1u);
  r.trig.intent.shares = 199;  // 19 901.99: fits
  EXPECT_EQ(r.tick(), 1u);

  r.trig.intent.shares = 100;
  r.trig.intent.price = 1'010'200;  // 101.02: 1.01% above the mid
  EXPECT_EQ(r.tick(), 0u);
  EXPECT_EQ(r.rejected(Reject::kPriceCollar), 1u);
  r.trig.intent.price = 990'000;  // 99.00: 1.01% below
  EXPECT_EQ(r.tick(), 0u);
  EXPECT_EQ(r.rejected(Reject::kPriceCollar), 2u);
  r.trig.intent.price = 1'010'100;  // 101.01: 0.9999% above
  EXPECT_EQ(r.tick(), 1u);

  r.trig.intent.price = 1'000'100;
  r.trig.intent.shares = 0;  // passes the limits, but OUCH takes 1..999999 shares
  EXPECT_EQ(r.tick(), 0u);
  EXPECT_EQ(r.rejected(Reject::kMapping), 1u);
  r.trig.intent.shares = 100;

  r.t.set_kill_switch(true);
  EXPECT_EQ(r.tick(), 0u);
  EXPECT_EQ(r.rejected(Reject::kKillSwitch), setup_kills + 1);
  r.t.set_kill_switch(false);
  EXPECT_EQ(r.tick(), 1u);

  // A one-sided book has no mid to collar against.
  r.p.add(del(1, 2));
  EXPECT_EQ(feed(r.t, r.p.take()), 0u);
  EXPECT_EQ(r.rejected(Reject::kNoMid), 1u);

  EXPECT_EQ(r.t.stats().orders, 4u);
  EXPECT_EQ(r.t.stats().rejected_total(), 8u);
  EXPECT_EQ(r.t.out().size(), 4u * 52);
}

TEST(FastPath, RateLimitIsASlidingSecondOnTheInjectedClock) {
  Config c;
  c.limits.max_orders_per_second = 3;
  Rig r(c);
  const uint64_t t0 = 1'000 * kSec;
  EXPECT_EQ(r.tick(t0), 1u);
  EXPECT_EQ(r.tick(t0 + 100'000'000), 1u);
  EXPECT_EQ(r.tick(t0 + 200'000'000), 1u);
  EXPECT_EQ(r.tick(t0 + 300'000'000), 0u);     // a 4th within the second
  EXPECT_EQ(r.tick(t0 + kSec - 1), 0u);        // the first is not yet a second old
  EXPECT_EQ(r.rejected(Reject::kRateLimit), 2u);
  EXPECT_EQ(r.tick(t0 + kSec), 1u);            // now it is: one slot frees
  EXPECT_EQ(r.tick(t0 + kSec + 1), 0u);        // the second order (t0 + 0.1 s) still counts
  EXPECT_EQ(r.tick(t0 + kSec + 100'000'000), 1u);
  EXPECT_EQ(r.rejected(Reject::kRateLimit), 3u);
  EXPECT_EQ(r.t.stats().orders, 5u);

  // Rejected orders do not use up the rate.
  Config z;
  z.limits.max_orders_per_second = 1;
  Rig q(z);
  q.trig.intent.shares = 1'000'000;  // over max_shares
  EXPECT_EQ(q.tick(t0), 0u);
  q.trig.intent.shares = 100;
  EXPECT_EQ(q.tick(t0 + 1), 1u);
  EXPECT_EQ(q.tick(t0 + 2), 0u);
  EXPECT_EQ(q.rejected(Reject::kRateLimit), 1u);
}

TEST(FastPath, NoTradingWhileAGapIsOpenThenTheCaughtUpBookIsUsed) {
  OneTickSpreadTrigger trig(100);
  TickToTrade t(trig);
  Packets p;
  p.add(directory(1, "AAPL")).add(add(1, "AAPL", 1, 'B', 100, 1'000'000));  // seq 1, 2
  auto p1 = p.take();
  p.add(add(1, "AAPL", 2, 'S', 100, 1'000'300));                            // seq 3: 3 ticks
  auto p2 = p.take();  // lost
  p.add(add(1, "AAPL", 3, 'S', 100, 1'000'100));                            // seq 4: 1 tick
  auto p3 = p.take();
  p.add(add(2, "MSFT", 4, 'B', 100, 2'000'000)).add(add(2, "MSFT", 5, 'S', 100, 2'000'100));  // seq 5, 6
  auto p4 = p.take();

  EXPECT_EQ(feed(t, p1, 0), 0u);
  EXPECT_EQ(feed(t, p3, 1), 0u);  // seq 3 missing: seq 4 is held back, the book has not seen it
  EXPECT_EQ(feed(t, p4, 2), 0u);  // MSFT narrows to one tick, but behind the hole
  EXPECT_TRUE(t.out().empty());
  EXPECT_EQ(t.stats().messages, 2u);
  EXPECT_TRUE(t.receiver().has_gap());
  auto req = t.poll(3);
  ASSERT_TRUE(req.has_value());
  EXPECT_EQ(req->sequence, 3u);
  EXPECT_EQ(req->count, 1u);

  // The retransmission fills the hole: the book catches up through seq 6, and the trigger sees
  // each changed symbol's current top once. Tokens name the last message that made each top.
  EXPECT_EQ(feed(t, p2, 4), 2u);
  EXPECT_FALSE(t.receiver().has_gap());
  EXPECT_EQ(t.stats().messages, 6u);
  const std::string aapl(order_entry::order_token("AAPL-4").view());
  const std::string msft(order_entry::order_token("MSFT-6").view());
  EXPECT_EQ(t.out(), test::hex(enter_order_packet(aapl, 'B', 100, "AAPL    ", 1'000'100, 0) +
                               enter_order_packet(msft, 'B', 100, "MSFT    ", 2'000'100, 0)));

  // A retransmission that fills only part of a hole: its changes reach the book but not the
  // trigger (counted as suppressed) until the rest arrives.
  const Stats s0 = t.stats();
  p.add(del(1, 3));                                 // seq 7: AAPL back to 3 ticks (lost)
  auto a = p.take();
  p.add(add(1, "AAPL", 9, 'S', 100, 1'000'200));   // seq 8: 2 ticks (lost)
  auto b = p.take();
  p.add(add(1, "AAPL", 10, 'S', 100, 1'000'100));  // seq 9: one tick
  auto c = p.take();
  EXPECT_EQ(feed(t, c, 5), 0u);
  EXPECT_EQ(feed(t, a, 6), 0u);
  EXPECT_EQ(t.stats().suppressed, s0.suppressed + 1);
  EXPECT_EQ(t.stats().evaluated, s0.evaluated);
  EXPECT_EQ(feed(t, b, 7), 0u);  // the trigger last saw one tick and sees one tick: no narrowing
  EXPECT_EQ(t.stats().evaluated, s0.evaluated + 1);
  EXPECT_EQ(t.book().symbol_book(1)->top(), (book::Top{1'000'000, 1'000'100, 100, 100}));
  EXPECT_EQ(t.stats().itch_errors, 0u);
}

TEST(FastPath, EachSymbolIsShownAfterItsLastMessageAndItsOrderHandedOnAtOnce) {
  OneTickSpreadTrigger trig(100);
  TickToTrade t(trig);
  // Each hand-off: how many messages of the datagram had been applied, and the orders' bytes.
  std::vector<std::pair<uint64_t, std::vector<uint8_t>>> handed;
  uint64_t at_start = 0;
  t.on_orders([&] {
    handed.emplace_back(t.stats().messages - at_start, t.out());
    t.clear_out();
  });
  Packets p;
  p.add(directory(1, "AAA")).add(directory(2, "BBB"))                              // seq 1, 2
      .add(add(1, "AAA", 1, 'B', 100, 1'000'000)).add(add(1, "AAA", 2, 'S', 100, 1'000'200))   // 3, 4
      .add(add(2, "BBB", 3, 'B', 100, 2'000'000)).add(add(2, "BBB", 4, 'S', 100, 2'000'200));  // 5, 6
  EXPECT_EQ(feed(t, p.take()), 0u);  // two ticks each (and the first packet names the session)
  EXPECT_TRUE(handed.empty());

  at_start = t.stats().messages;
  p.add(add(1, "AAA", 5, 'S', 50, 1'000'100))    // seq 7: AAA one tick
      .add(add(2, "BBB", 6, 'S', 50, 2'000'100))  // seq 8: BBB one tick
      .add(add(1, "AAA", 7, 'B', 100, 1'000'000)) // seq 9: AAA's bid grows: its top changes again
      .add(add(2, "BBB", 8, 'B', 10, 1'999'900))  // seq 10: below BBB's bid: BBB's last message
      .add(add(1, "AAA", 9, 'S', 10, 3'000'000)); // seq 11: far from AAA's ask: AAA's last message
  EXPECT_EQ(feed(t, p.take()), 2u);
  // BBB's last message is the datagram's 4th, AAA's its 5th: BBB's order goes first, after 4
  // messages, then AAA's after 5; each named by the last message that changed its top.
  ASSERT_EQ(handed.size(), 2u);
  EXPECT_EQ(handed[0].first, 4u);
  EXPECT_EQ(handed[0].second, test::hex(enter_order_packet(std::string(order_entry::order_token("BBB-8").view()), 'B',
                                                           100, "BBB     ", 2'000'100, 0)));
  EXPECT_EQ(handed[1].first, 5u);
  EXPECT_EQ(handed[1].second, test::hex(enter_order_packet(std::string(order_entry::order_token("AAA-9").view()), 'B',
                                                           100, "AAA     ", 1'000'100, 0)));
  EXPECT_TRUE(t.out().empty());
  EXPECT_EQ(t.stats().evaluated, 4u);  // 2 in the first packet, 2 here

  // A message that names BBB but deletes an order of AAA, after AAA's last message in the datagram:
  // AAA's top changes after it was shown, so it is shown again after the datagram.
  handed.clear();
  at_start = t.stats().messages;
  p.add(add(1, "AAA", 10, 'B', 5, 1'000'000))  // seq 12: AAA's bid grows: AAA's last message, shown
      .add(del(2, 5));                          // seq 13: deletes AAA's ask at 100.01 (order 5)
  EXPECT_EQ(feed(t, p.take()), 0u);
  EXPECT_TRUE(handed.empty());         // one tick, then two: no narrowing, no order
  EXPECT_EQ(t.stats().evaluated, 6u);  // AAA after seq 12, and again after the datagram
  EXPECT_EQ(t.book().symbol_book(1)->top(), (book::Top{1'000'000, 1'000'200, 205, 100}));

  // Behind a gap nothing is shown until the gap is filled; the datagram that fills it is shown
  // after it is applied whole, and its orders wait in out(), not handed on one by one.
  handed.clear();
  p.add(add(1, "AAA", 11, 'S', 10, 1'000'100));  // seq 14: AAA one tick again (lost at first)
  auto lost = p.take();
  p.add(add(2, "BBB", 12, 'B', 10, 2'000'000));  // seq 15
  auto next = p.take();
  EXPECT_EQ(feed(t, next), 0u);
  EXPECT_EQ(feed(t, lost), 1u);
  EXPECT_TRUE(handed.empty());
  EXPECT_EQ(t.out(), test::hex(enter_order_packet(std::string(order_entry::order_token("AAA-14").view()), 'B', 100,
                                                  "AAA     ", 1'000'100, 0)));
}

TEST(FastPath, SampleTriggerUsesTheSubDollarTick) {
  OneTickSpreadTrigger trig(100);
  TopView v{1, "PENNY", 0, 1, book::Top{5'000, 5'001, 100, 100}};  // $0.5000 × $0.5001
  auto in = trig.on_top(v);
  ASSERT_TRUE(in.has_value());
  EXPECT_EQ(in->price, 5'001u);
  EXPECT_EQ(in->symbol.view(), "PENNY");
  EXPECT_FALSE(trig.on_top(v).has_value());  // still one tick: no new narrowing
  v.top = book::Top{10'000, 10'001, 100, 100};  // $1.0000 × $1.0001: the tick is $0.01 here
  EXPECT_FALSE(trig.on_top(v).has_value());
}

TEST(FastPath, TheBookIsSizedForAWholeMarketBeforeTheFirstPacket) {
  // Sized ahead, no insert on the hot path waits while the table grows and every order is placed
  // again; the table has twice as many slots as orders asked for, a power of two within 2^18..2^22.
  OneTickSpreadTrigger trig(100);
  TickToTrade whole(trig);
  EXPECT_EQ(whole.book().order_slots(), size_t(1) << 22) << "2^21 orders by default";
  Config c;
  c.live_orders = 300'000;
  TickToTrade some(trig, c);
  EXPECT_EQ(some.book().order_slots(), size_t(1) << 20);
  c.live_orders = 0;  // no reservation: the smallest table, grown as orders come
  TickToTrade grows(trig, c);
  EXPECT_EQ(grows.book().order_slots(), size_t(1) << 18);
}

}  // namespace
}  // namespace colo::fast_path
