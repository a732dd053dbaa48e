// The venue's matching engine: price-time priority, partial fills across levels, IOC, cancel,
// replace (losing priority), every rejection, background trades that fill a client order priced
// better than the flow's order or queued ahead of it, and — property — a colo::book::Book fed the engine's published ITCH
// equals the engine's own book after a random stream of operations.
#include "colo/venue_engine.h"

#include <gtest/gtest.h>

#include "test_orders.h"

#include <random>
#include <string>
#include <vector>

#include "colo/book.h"

namespace colo::venue {
namespace {

constexpr uint32_t usd(double d) { return uint32_t(d * 10000 + 0.5); }

ouch42::EnterOrder order(const std::string& token, char side, uint32_t shares, const std::string& stock,
                         uint32_t price, uint32_t tif = ouch42::kTifMarketHours) {
  return test::enter_order(token, side, shares, stock, price, tif);
}

// Encodes one background ITCH message (the flow's bytes).
std::vector<uint8_t> bytes(const itch::Message& m) {
  std::vector<uint8_t> b(itch::kMaxMessageLength);
  b.resize(itch::encode(m, b.data()));
  return b;
}
itch::Message bg_add(uint64_t ref, char side, uint32_t shares, const std::string& stock, uint32_t price) {
  itch::AddOrder a;
  a.order_ref = ref;
  a.side = side;
  a.shares = shares;
  a.stock = Symbol::of(stock);
  a.price = price;
  return a;
}
itch::Message bg_exec(uint64_t ref, uint32_t shares) {
  itch::OrderExecuted e;
  e.order_ref = ref;
  e.executed_shares = shares;
  return e;
}

template <class M>
std::vector<M> ouch_of(const Output& o, SessionId s) {
  std::vector<M> v;
  for (const auto& x : o.ouch) {
    if (x.session == s) {
      if (auto* m = std::get_if<M>(&x.message)) v.push_back(*m);
    }
  }
  return v;
}
template <class M>
std::vector<M> itch_of(const Output& o) {
  std::vector<M> v;
  for (const auto& x : o.itch) {
    if (auto* m = std::get_if<M>(&x)) v.push_back(*m);
  }
  return v;
}

struct EngineTest : ::testing::Test {
  Engine e{Engine::Config{{"AAPL", "MSFT"}, {"HALT"}}};
  Output out;
  uint64_t ts = 34'200'000'000'000ULL;
  void SetUp() override {
    e.add_symbol("HALT", ts, out);
    e.start(ts, out);
    out.clear();
  }
  void bg(const itch::Message& m) {
    auto b = bytes(m);
    e.background(b.data(), b.size(), ++ts, out);
  }
  Output enter(SessionId s, const ouch42::EnterOrder& m) {
    out.clear();
    e.enter(s, m, ++ts, out);
    return out;
  }
};

TEST_F(EngineTest, StartPublishesSystemEventsAndADirectoryPerSymbolWithItsLocate) {
  Engine f{Engine::Config{{"AAPL", "MSFT"}, {}}};
  Output o;
  f.start(5, o);
  ASSERT_EQ(o.itch.size(), 4u);
  EXPECT_EQ(std::get<itch::SystemEvent>(o.itch[0]).event_code, 'O');
  EXPECT_EQ(std::get<itch::StockDirectory>(o.itch[1]).stock.view(), "AAPL");
  EXPECT_EQ(std::get<itch::StockDirectory>(o.itch[1]).h.stock_locate, 1);
  EXPECT_EQ(std::get<itch::StockDirectory>(o.itch[2]).h.stock_locate, 2);
  EXPECT_EQ(std::get<itch::SystemEvent>(o.itch[3]).event_code, 'S');
  EXPECT_EQ(f.locate("MSFT"), 2);
  EXPECT_FALSE(f.market_open()) << "market hours open apart from the start (the flow's 'Q', or the venue's clock)";
}

std::string event_codes(const Output& o) {
  std::string s;
  for (const auto& m : itch_of<itch::SystemEvent>(o)) s += m.event_code;
  return s;
}

TEST_F(EngineTest, TheFlowsOwnMarketHoursAreTheVenuesOnceEach) {
  itch::SystemEvent q;
  q.event_code = 'Q';
  bg(q);
  EXPECT_EQ(event_codes(out), "Q");
  EXPECT_EQ(itch_of<itch::SystemEvent>(out)[0].h.timestamp, ts);
  EXPECT_TRUE(e.market_open());
  out.clear();
  bg(q);  // a second one is not published again
  itch::SystemEvent other;
  other.event_code = 'E';  // the flow's other events are the venue's own to send
  bg(other);
  EXPECT_EQ(event_codes(out), "");
  itch::SystemEvent m;
  m.event_code = 'M';
  bg(m);
  EXPECT_EQ(event_codes(out), "M");
  out.clear();
  e.end(++ts, out);
  EXPECT_EQ(event_codes(out), "EC") << "End of Market Hours was the flow's";
}

TEST_F(EngineTest, AnEndBeforeMarketHoursOpenedStillSendsThemInOrder) {
  e.end(++ts, out);
  EXPECT_EQ(event_codes(out), "QMEC");
  out.clear();
  e.open_market(++ts, out);
  e.close_market(++ts, out);
  EXPECT_TRUE(out.itch.empty()) << "nothing after End of Messages";
}

TEST_F(EngineTest, TwoClientsAtALevelFillFirstInFirstOut) {
  auto a = enter(1, order("A1", 'B', 100, "AAPL", usd(10)));
  ASSERT_EQ(ouch_of<ouch42::Accepted>(a, 1).size(), 1u);
  const uint64_t ref_a = ouch_of<ouch42::Accepted>(a, 1)[0].order_reference_number;
  ASSERT_EQ(itch_of<itch::AddOrder>(a).size(), 1u);
  EXPECT_EQ(itch_of<itch::AddOrder>(a)[0].order_ref, ref_a);
  auto b = enter(2, order("B1", 'B', 100, "AAPL", usd(10)));
  const uint64_t ref_b = ouch_of<ouch42::Accepted>(b, 2)[0].order_reference_number;
  EXPECT_NE(ref_a, ref_b);

  auto c = enter(3, order("C1", 'S', 150, "AAPL", usd(9.99)));
  auto ex = itch_of<itch::OrderExecuted>(c);
  ASSERT_EQ(ex.size(), 2u);
  EXPECT_EQ(ex[0].order_ref, ref_a);
  EXPECT_EQ(ex[0].executed_shares, 100u);
  EXPECT_EQ(ex[1].order_ref, ref_b);
  EXPECT_EQ(ex[1].executed_shares, 50u);
  EXPECT_LT(ex[0].match_number, ex[1].match_number);
  auto fa = ouch_of<ouch42::Executed>(c, 1);
  auto fb = ouch_of<ouch42::Executed>(c, 2);
  auto fc = ouch_of<ouch42::Executed>(c, 3);
  ASSERT_EQ(fa.size(), 1u);
  ASSERT_EQ(fb.size(), 1u);
  ASSERT_EQ(fc.size(), 2u);
  EXPECT_EQ(fa[0].liquidity_flag, 'A');
  EXPECT_EQ(fa[0].execution_price, usd(10));  // the resting order's price
  EXPECT_EQ(fb[0].executed_shares, 50u);
  EXPECT_EQ(fc[0].liquidity_flag, 'R');
  EXPECT_EQ(fc[0].match_number, fa[0].match_number);
  EXPECT_EQ(fc[1].match_number, fb[0].match_number);
  EXPECT_EQ(e.top(1), (book::Top{usd(10), 0, 50, 0}));
  EXPECT_EQ(e.client_shares(2, "B1"), 50u);
}

TEST_F(EngineTest, AnOrderFillsPartlyAcrossLevelsAndRestsTheRest) {
  bg(bg_add(11, 'S', 100, "AAPL", usd(10.01)));
  bg(bg_add(12, 'S', 100, "AAPL", usd(10.02)));
  bg(bg_add(13, 'S', 100, "AAPL", usd(10.03)));
  auto o = enter(1, order("X", 'B', 250, "AAPL", usd(10.02)));
  auto fills = ouch_of<ouch42::Executed>(o, 1);
  ASSERT_EQ(fills.size(), 2u);
  EXPECT_EQ(fills[0].execution_price, usd(10.01));
  EXPECT_EQ(fills[1].execution_price, usd(10.02));
  EXPECT_EQ(fills[0].executed_shares + fills[1].executed_shares, 200u);
  auto adds = itch_of<itch::AddOrder>(o);
  ASSERT_EQ(adds.size(), 1u);
  EXPECT_EQ(adds[0].shares, 50u);
  EXPECT_EQ(adds[0].price, usd(10.02));
  EXPECT_EQ(e.top(1), (book::Top{usd(10.02), usd(10.03), 50, 100}));
  EXPECT_TRUE(ouch_of<ouch42::Canceled>(o, 1).empty());
}

TEST_F(EngineTest, ImmediateOrCancelCancelsWhatDidNotMatch) {
  bg(bg_add(11, 'S', 100, "AAPL", usd(10.01)));
  auto o = enter(1, order("X", 'B', 250, "AAPL", usd(10.02), ouch42::kTifImmediateOrCancel));
  ASSERT_EQ(ouch_of<ouch42::Executed>(o, 1).size(), 1u);
  auto c = ouch_of<ouch42::Canceled>(o, 1);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].decrement_shares, 150u);
  EXPECT_EQ(c[0].reason, 'I');
  EXPECT_TRUE(itch_of<itch::AddOrder>(o).empty());
  EXPECT_EQ(e.top(1), (book::Top{}));
  // Nothing crossing: accepted dead.
  auto d = enter(1, order("Y", 'B', 10, "AAPL", usd(9), 0));
  EXPECT_EQ(ouch_of<ouch42::Accepted>(d, 1)[0].order_state, 'D');
  EXPECT_EQ(ouch_of<ouch42::Canceled>(d, 1)[0].decrement_shares, 10u);
}

TEST_F(EngineTest, CancelToAnIntendedSizeThenAll) {
  enter(1, order("X", 'B', 300, "AAPL", usd(10)));
  out.clear();
  e.cancel(1, ouch42::CancelOrder{ouch42::Token::of("X"), 100}, ++ts, out);
  auto c = ouch_of<ouch42::Canceled>(out, 1);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].decrement_shares, 200u);
  EXPECT_EQ(c[0].reason, 'U');
  ASSERT_EQ(itch_of<itch::OrderCancel>(out).size(), 1u);
  EXPECT_EQ(itch_of<itch::OrderCancel>(out)[0].cancelled_shares, 200u);
  EXPECT_EQ(e.client_shares(1, "X"), 100u);

  out.clear();
  e.cancel(1, ouch42::CancelOrder{ouch42::Token::of("X"), 100}, ++ts, out);  // not below: no change
  EXPECT_TRUE(out.ouch.empty());
  ASSERT_EQ(out.notes.size(), 1u);

  out.clear();
  e.cancel(1, ouch42::CancelOrder{ouch42::Token::of("X"), 0}, ++ts, out);
  EXPECT_EQ(ouch_of<ouch42::Canceled>(out, 1)[0].decrement_shares, 100u);
  EXPECT_EQ(itch_of<itch::OrderDelete>(out).size(), 1u);
  EXPECT_EQ(e.live_orders(), 0u);

  out.clear();  // gone, or another session's token: ignored with a note
  e.cancel(1, ouch42::CancelOrder{ouch42::Token::of("X"), 0}, ++ts, out);
  e.cancel(2, ouch42::CancelOrder{ouch42::Token::of("X"), 0}, ++ts, out);
  EXPECT_TRUE(out.ouch.empty());
  EXPECT_EQ(out.notes.size(), 2u);
}

TEST_F(EngineTest, AtTheEndRestingOrdersExpireAndNothingIsPublishedAfterEndOfMessages) {
  // ITCH 5.0: System Event 'C' is the last message of the day. The clients' resting orders expire
  // with the session (Canceled 'T', an Order Delete each, before 'C'); a cancel that arrives after
  // the end is ignored with a note (it published an Order Delete after End of Messages).
  enter(1, order("LATE", 'B', 300, "AAPL", usd(10)));
  enter(2, order("OTHER", 'S', 200, "MSFT", usd(20)));
  out.clear();
  e.end(++ts, out);
  ASSERT_EQ(ouch_of<ouch42::Canceled>(out, 1).size(), 1u);
  EXPECT_EQ(ouch_of<ouch42::Canceled>(out, 1)[0].decrement_shares, 300u);
  EXPECT_EQ(ouch_of<ouch42::Canceled>(out, 1)[0].reason, 'T');
  EXPECT_EQ(ouch_of<ouch42::Canceled>(out, 2)[0].decrement_shares, 200u);
  EXPECT_EQ(e.live_orders(), 0u);
  EXPECT_EQ(itch_of<itch::OrderDelete>(out).size(), 2u);
  // The deletes come before End of Messages, the day's last message.
  ASSERT_FALSE(out.itch.empty());
  const auto* last = std::get_if<itch::SystemEvent>(&out.itch.back());
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(last->event_code, 'C');
  out.clear();
  e.cancel(1, ouch42::CancelOrder{ouch42::Token::of("LATE"), 0}, ++ts, out);
  e.cancel(1, ouch42::CancelOrder{ouch42::Token::of("LATE"), 100}, ++ts, out);
  EXPECT_TRUE(out.itch.empty());
  EXPECT_TRUE(out.ouch.empty());
  ASSERT_EQ(out.notes.size(), 2u);
  EXPECT_NE(out.notes[0].text.find("the session has ended"), std::string::npos) << out.notes[0].text;
}

// A Replace Order of `old` by `token` (displayed, no intermarket sweep).
ouch42::ReplaceOrder replacement(const std::string& old, const std::string& token, uint32_t shares, uint32_t price, uint32_t tif) {
  ouch42::ReplaceOrder r;
  r.existing_order_token = ouch42::Token::of(old);
  r.replacement_order_token = ouch42::Token::of(token);
  r.shares = shares;
  r.price = price;
  r.time_in_force = tif;
  r.display = 'Y';
  r.intermarket_sweep = 'N';
  return r;
}

TEST_F(EngineTest, AnImmediateOrCancelReplacementThatDoesNotCrossIsCancelledNotRested) {
  enter(1, order("A1", 'B', 100, "AAPL", usd(10)));
  enter(2, order("S1", 'S', 100, "AAPL", usd(11)));
  out.clear();
  // $10.01: below the $11 ask.
  e.replace(1, replacement("A1", "A2", 100, usd(10) + 100, ouch42::kTifImmediateOrCancel), ++ts, out);
  ASSERT_EQ(ouch_of<ouch42::Replaced>(out, 1).size(), 1u);
  const auto cancelled = ouch_of<ouch42::Canceled>(out, 1);
  ASSERT_EQ(cancelled.size(), 1u) << "an IOC rested on the book";
  EXPECT_EQ(cancelled[0].order_token.view(), "A2");
  EXPECT_EQ(cancelled[0].decrement_shares, 100u);
  EXPECT_EQ(cancelled[0].reason, 'I');
  EXPECT_EQ(e.client_shares(1, "A1"), 0u);
  EXPECT_EQ(e.client_shares(1, "A2"), 0u);
  EXPECT_EQ(itch_of<itch::OrderDelete>(out).size(), 1u) << "the replaced order leaves the feed's book";
  EXPECT_TRUE(itch_of<itch::OrderReplace>(out).empty());
  EXPECT_TRUE(itch_of<itch::AddOrder>(out).empty());
  EXPECT_EQ(e.top(e.locate("AAPL")).bid_size, 0u);
}

TEST_F(EngineTest, ReplaceLosesTimePriority) {
  enter(1, order("A1", 'B', 100, "AAPL", usd(10)));
  enter(2, order("B1", 'B', 100, "AAPL", usd(10)));
  out.clear();
  ouch42::ReplaceOrder r = replacement("A1", "A2", 100, usd(10), ouch42::kTifMarketHours);
  e.replace(1, r, ++ts, out);
  auto rep = ouch_of<ouch42::Replaced>(out, 1);
  ASSERT_EQ(rep.size(), 1u);
  EXPECT_EQ(rep[0].previous_order_token.view(), "A1");
  ASSERT_EQ(itch_of<itch::OrderReplace>(out).size(), 1u);
  EXPECT_EQ(itch_of<itch::OrderReplace>(out)[0].new_order_ref, rep[0].order_reference_number);
  EXPECT_EQ(e.client_shares(1, "A1"), 0u);
  EXPECT_EQ(e.client_shares(1, "A2"), 100u);

  auto s = enter(3, order("S1", 'S', 100, "AAPL", usd(10)));
  EXPECT_EQ(ouch_of<ouch42::Executed>(s, 2).size(), 1u);  // B1 first now
  EXPECT_TRUE(ouch_of<ouch42::Executed>(s, 1).empty());

  // Refusals: an existing token not live, a replacement token already used.
  out.clear();
  e.replace(1, r, ++ts, out);  // A1 is gone
  r.existing_order_token = ouch42::Token::of("A2");
  r.replacement_order_token = ouch42::Token::of("A1");  // used
  e.replace(1, r, ++ts, out);
  auto rej = ouch_of<ouch42::Rejected>(out, 1);
  ASSERT_EQ(rej.size(), 2u);
  EXPECT_EQ(rej[0].reason, reject::kOther);
  EXPECT_EQ(rej[1].reason, reject::kOther);
  EXPECT_NE(out.ouch[0].reason.find("not a live order"), std::string::npos);
  EXPECT_NE(out.ouch[1].reason.find("already used"), std::string::npos);
  EXPECT_EQ(e.client_shares(1, "A2"), 100u);
}

TEST_F(EngineTest, EveryRejectionHasItsOuchReasonAndAHumanOne) {
  enter(1, order("DUP", 'B', 1, "AAPL", usd(1)));
  struct Case {
    ouch42::EnterOrder m;
    char reason;
    std::string words;
  };
  auto o = [](const std::string& t) { return order(t, 'B', 100, "AAPL", usd(10)); };
  std::vector<Case> cases;
  cases.push_back({o("DUP"), reject::kOther, "duplicate order token"});
  cases.push_back({order("U", 'B', 100, "ZZZZ", usd(10)), reject::kInvalidStock, "unknown symbol"});
  cases.push_back({order("H", 'B', 100, "HALT", usd(10)), reject::kHalted, "halted"});
  cases.push_back({order("P0", 'B', 100, "AAPL", 0), reject::kInvalidPrice, "price"});
  cases.push_back({order("P1", 'B', 100, "AAPL", kMaxPrice + 1), reject::kInvalidPrice, "price"});
  cases.push_back({order("Z0", 'B', 0, "AAPL", usd(10)), reject::kInvalidShares, "shares"});
  cases.push_back({order("Z1", 'B', kMaxShares + 1, "AAPL", usd(10)), reject::kInvalidShares, "shares"});
  // OUCH 4.2's Shares must be below 1,000,000 (written here, not as kMaxShares + 1, so that a
  // kMaxShares of 1,000,000 fails this case).
  cases.push_back({order("Z2", 'B', 1'000'000, "AAPL", usd(10)), reject::kInvalidShares, "shares"});
  cases.push_back({order("SD", 'Q', 100, "AAPL", usd(10)), reject::kOther, "side"});
  auto disp = o("D");
  disp.display = 'N';
  cases.push_back({disp, reject::kInvalidDisplay, "display"});
  auto minq = o("N");
  minq.minimum_quantity = 5;
  cases.push_back({minq, reject::kInvalidMinimumQuantity, "minimum quantity"});
  for (const auto& c : cases) {
    auto r = enter(1, c.m);
    ASSERT_EQ(r.ouch.size(), 1u) << c.words;
    auto* j = std::get_if<ouch42::Rejected>(&r.ouch[0].message);
    ASSERT_NE(j, nullptr) << c.words;
    EXPECT_EQ(j->reason, c.reason) << c.words;
    EXPECT_EQ(j->order_token, c.m.order_token);
    EXPECT_NE(r.ouch[0].reason.find(c.words), std::string::npos) << r.ouch[0].reason;
    EXPECT_TRUE(r.itch.empty());
  }
  out.clear();
  e.modify(1, ouch42::ModifyOrder{ouch42::Token::of("DUP"), 'B', 0}, ++ts, out);
  ASSERT_EQ(ouch_of<ouch42::Rejected>(out, 1).size(), 1u);
  EXPECT_NE(out.ouch[0].reason.find("not supported"), std::string::npos);
  EXPECT_EQ(e.client_shares(1, "DUP"), 1u);  // untouched

  out.clear();
  uint8_t junk[3] = {'O', 1, 2};
  e.client(1, junk, sizeof junk, ++ts, out);
  EXPECT_EQ(e.stats().bad_client_messages, 1u);
  EXPECT_EQ(out.notes.size(), 1u);

  out.clear();
  e.end(++ts, out);
  EXPECT_EQ(ouch_of<ouch42::SystemEvent>(out, 1).size(), 1u);
  auto closed = enter(1, o("LATE"));
  EXPECT_EQ(std::get<ouch42::Rejected>(closed.ouch[0].message).reason, reject::kClosed);
  EXPECT_EQ(e.stats().rejects, cases.size() + 2);
}

// Reg NMS Rule 612: an order priced at $1.00 or more is in whole cents; below $1.00, $0.0001 steps.
TEST_F(EngineTest, FractionsOfACentAtOrAboveOneDollarAreRefusedAsAnInvalidPrice) {
  struct Case {
    std::string token;
    uint32_t price;  // Price(4)
    bool taken;
  };
  // Written as Price(4) integers, not usd(): 300.0001 is 3'000'001.
  for (const Case& c : {Case{"S1", 3'000'001, false}, Case{"S2", 10'001, false}, Case{"S3", 10'050, false},
                        Case{"S4", 1'999'999'899, false}, Case{"OK1", 10'000, true}, Case{"OK2", 9'999, true},
                        Case{"OK3", 1, true}, Case{"OK4", 3'000'100, true}}) {
    auto r = enter(1, order(c.token, 'B', 100, "AAPL", c.price));
    ASSERT_FALSE(r.ouch.empty()) << c.token;
    if (c.taken) {
      EXPECT_TRUE(std::holds_alternative<ouch42::Accepted>(r.ouch[0].message)) << c.token << ": " << r.ouch[0].reason;
      continue;
    }
    ASSERT_EQ(r.ouch.size(), 1u) << c.token;
    auto* j = std::get_if<ouch42::Rejected>(&r.ouch[0].message);
    ASSERT_NE(j, nullptr) << c.token;
    EXPECT_EQ(j->reason, reject::kInvalidPrice) << c.token;
    EXPECT_NE(r.ouch[0].reason.find("Rule 612"), std::string::npos) << r.ouch[0].reason;
    EXPECT_TRUE(r.itch.empty()) << c.token << ": a sub-penny price reached the feed";
    EXPECT_EQ(e.client_shares(1, c.token), 0u);
  }
  EXPECT_NE(enter(1, order("S5", 'B', 100, "AAPL", 3'000'001)).ouch[0].reason.find("300.0001"), std::string::npos)
      << "the reason shows the price in dollars";
  // A Replace Order to a fraction of a cent is refused for its replacement token; the order stays.
  out.clear();
  e.replace(1, replacement("OK1", "OK1B", 100, 10'001, ouch42::kTifMarketHours), ++ts, out);
  auto rej = ouch_of<ouch42::Rejected>(out, 1);
  ASSERT_EQ(rej.size(), 1u);
  EXPECT_EQ(rej[0].reason, reject::kInvalidPrice);
  EXPECT_EQ(rej[0].order_token.view(), "OK1B");
  EXPECT_TRUE(out.itch.empty());
  EXPECT_EQ(e.client_shares(1, "OK1"), 100u);
}

// 14 bytes as a token: `s`, then spaces.
ouch42::Token raw_token(std::string_view s) {
  ouch42::Token t;
  t.bytes.fill(' ');
  std::copy(s.begin(), s.end(), t.bytes.begin());
  return t;
}

// OUCH 4.2: messages are printable ASCII; a token is left-justified and space-padded.
TEST_F(EngineTest, TokensThatAreNotPrintableAsciiLeftJustifiedAreRefused) {
  struct Case {
    std::string bytes;
    std::string words;  // in the reason
  };
  using namespace std::string_literals;
  const std::vector<Case> bad = {
      {"AB\0CD"s, R"(order token "AB\x00CD         " (byte 0x00 at offset 2))"},
      {"AB\xff"s, "byte 0xFF at offset 2"},
      {"AB\n"s, "byte 0x0A at offset 2"},
      {"\x01"s, "byte 0x01 at offset 0"},
      {"AB\0\0\0\0\0\0\0\0\0\0\0\0"s, "byte 0x00 at offset 2"},  // NUL-padded
      {"A B"s, "a space at offset 1 before its end"},
      {" AB"s, "a space at offset 0 before its end"},
      {""s, "it is blank"},
  };
  for (const Case& c : bad) {
    ouch42::EnterOrder m = order("", 'B', 100, "AAPL", usd(10));
    m.order_token = raw_token(c.bytes);
    auto r = enter(1, m);
    ASSERT_EQ(r.ouch.size(), 1u) << c.words;
    auto* j = std::get_if<ouch42::Rejected>(&r.ouch[0].message);
    ASSERT_NE(j, nullptr) << c.words << ": accepted";
    EXPECT_EQ(j->reason, reject::kOther);
    EXPECT_EQ(j->order_token, m.order_token) << "the Rejected names the token as sent";
    EXPECT_NE(r.ouch[0].reason.find(c.words), std::string::npos) << r.ouch[0].reason;
    EXPECT_NE(r.ouch[0].reason.find("printable ASCII"), std::string::npos) << r.ouch[0].reason;
    EXPECT_TRUE(r.itch.empty());
  }
  EXPECT_EQ(e.live_orders(), 0u);
  // A refused token is not taken: "AB" (once sent NUL-padded) is still free, and every printable
  // character but the space may be in a token.
  for (const char* t : {"AB", "a-b_c.d~!{}|@Z", "x"}) {
    auto r = enter(1, order(t, 'B', 100, "AAPL", usd(10)));
    ASSERT_FALSE(r.ouch.empty());
    EXPECT_TRUE(std::holds_alternative<ouch42::Accepted>(r.ouch[0].message)) << t << ": " << r.ouch[0].reason;
  }
  // A Replace Order's replacement token likewise; the order it names stays as it was.
  out.clear();
  ouch42::ReplaceOrder r = replacement("AB", "", 50, usd(10), ouch42::kTifMarketHours);
  r.replacement_order_token = raw_token("N\x7f");
  e.replace(1, r, ++ts, out);
  auto rej = ouch_of<ouch42::Rejected>(out, 1);
  ASSERT_EQ(rej.size(), 1u);
  EXPECT_EQ(rej[0].reason, reject::kOther);
  EXPECT_EQ(rej[0].order_token, r.replacement_order_token);
  EXPECT_NE(out.ouch[0].reason.find("Replace Order: replacement order token \"N\\x7F"), std::string::npos)
      << out.ouch[0].reason;
  EXPECT_TRUE(out.itch.empty());
  EXPECT_EQ(e.client_shares(1, "AB"), 100u);
}

TEST_F(EngineTest, BackgroundTradeFillsAClientOrderQueuedAheadFirst) {
  enter(1, order("C1", 'B', 100, "AAPL", usd(10)));  // queued first
  bg(bg_add(77, 'B', 200, "AAPL", usd(10)));           // the flow's order behind it
  out.clear();
  bg(bg_exec(77, 150));  // the flow says 150 traded against 77
  auto fills = ouch_of<ouch42::Executed>(out, 1);
  ASSERT_EQ(fills.size(), 1u);
  EXPECT_EQ(fills[0].executed_shares, 100u);
  EXPECT_EQ(fills[0].liquidity_flag, 'A');
  auto ex = itch_of<itch::OrderExecuted>(out);
  ASSERT_EQ(ex.size(), 2u);
  EXPECT_EQ(ex[1].executed_shares, 50u);
  EXPECT_EQ(e.top(1), (book::Top{usd(10), 0, 150, 0}));

  out.clear();
  bg(bg_exec(77, 500));  // more than the level holds: what is there
  EXPECT_EQ(itch_of<itch::OrderExecuted>(out)[0].executed_shares, 150u);
  EXPECT_EQ(e.top(1), (book::Top{}));
  bg(bg_exec(77, 1));  // gone: counted
  bg(bg_exec(999, 1));
  EXPECT_EQ(e.stats().unknown_flow_refs, 2u);
}

TEST_F(EngineTest, BackgroundTradeThroughABetterClientPriceMeetsTheClientFirst) {
  bg(bg_add(77, 'S', 500, "AAPL", usd(10.30)));
  bg(bg_add(78, 'B', 100, "AAPL", usd(10.00)));
  enter(1, order("C1", 'S', 100, "AAPL", usd(10.20)));  // better than the flow's 10.30
  out.clear();
  bg(bg_exec(77, 50));  // the flow's buyer of 50 at 10.30 would have paid 10.20 to the client
  auto fills = ouch_of<ouch42::Executed>(out, 1);
  ASSERT_EQ(fills.size(), 1u);
  EXPECT_EQ(fills[0].executed_shares, 50u);
  EXPECT_EQ(fills[0].execution_price, usd(10.20));
  EXPECT_EQ(fills[0].liquidity_flag, 'A');
  EXPECT_EQ(e.top(1), (book::Top{usd(10.00), usd(10.20), 100, 50}));

  out.clear();
  bg(bg_exec(77, 80));  // the client's last 50, then 30 of 77 at its own price
  fills = ouch_of<ouch42::Executed>(out, 1);
  ASSERT_EQ(fills.size(), 1u);
  EXPECT_EQ(fills[0].executed_shares, 50u);
  auto ex = itch_of<itch::OrderExecuted>(out);
  ASSERT_EQ(ex.size(), 2u);
  EXPECT_EQ(ex[1].executed_shares, 30u);
  EXPECT_EQ(e.top(1), (book::Top{usd(10.00), usd(10.30), 100, 470}));
}

TEST_F(EngineTest, BackgroundAddThatCrossesAClientOrderTradesWithIt) {
  enter(1, order("C1", 'B', 100, "AAPL", usd(10.05)));
  out.clear();
  bg(bg_add(5, 'S', 300, "AAPL", usd(10.04)));
  auto f = ouch_of<ouch42::Executed>(out, 1);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].execution_price, usd(10.05));
  EXPECT_EQ(e.top(1), (book::Top{0, usd(10.04), 0, 200}));
}

// Property: whatever the stream, the ITCH the engine publishes rebuilds the engine's book.
TEST(EngineProperty, ABookFedThePublishedItchEqualsTheEnginesBook) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    std::mt19937_64 rng(seed);
    Engine e{Engine::Config{{"AAA", "BBB", "CCC"}, {}}};
    book::Book b;
    struct NoSink {
      void on_quote(const book::QuoteChange&) {}
      void on_trade(const book::TradePrint&) {}
    } sink;
    Output out;
    uint64_t ts = 1;
    e.start(ts, out);
    std::vector<uint64_t> flow_refs;
    uint64_t next_flow = 1, next_token = 1;
    std::vector<std::pair<SessionId, std::string>> tokens;
    const char* syms[] = {"AAA", "BBB", "CCC"};
    auto price = [&] { return uint32_t(100000 + 100 * (rng() % 11)); };  // 10.00 .. 10.10
    for (int step = 0; step < 3000; ++step) {
      ++ts;
      const int op = int(rng() % 10);
      if (op < 4) {  // background add, both sides around the same prices: they cross and trade
        const char side = rng() % 2 ? 'B' : 'S';
        auto m = bg_add(next_flow, side, uint32_t(1 + rng() % 300), syms[rng() % 3], price());
        flow_refs.push_back(next_flow++);
        auto by = bytes(m);
        e.background(by.data(), by.size(), ts, out);
      } else if (op < 6 && !flow_refs.empty()) {  // background E / X / D / U
        const uint64_t ref = flow_refs[rng() % flow_refs.size()];
        itch::Message m;
        switch (rng() % 4) {
          case 0: m = bg_exec(ref, uint32_t(1 + rng() % 200)); break;
          case 1: m = itch::OrderCancel{{}, ref, uint32_t(1 + rng() % 200)}; break;
          case 2: m = itch::OrderDelete{{}, ref}; break;
          default:
            m = itch::OrderReplace{{}, ref, next_flow, uint32_t(1 + rng() % 300), price()};
            flow_refs.push_back(next_flow++);
        }
        auto by = bytes(m);
        e.background(by.data(), by.size(), ts, out);
      } else if (op < 8) {  // client enter (some IOC)
        const SessionId s = SessionId(1 + rng() % 3);
        std::string t = "T";
        t += std::to_string(next_token++);
        e.enter(s, order(t, rng() % 2 ? 'B' : 'S', uint32_t(1 + rng() % 300), syms[rng() % 3], price(),
                         rng() % 4 == 0 ? 0 : ouch42::kTifMarketHours),
                ts, out);
        tokens.push_back({s, t});
      } else if (!tokens.empty()) {  // client cancel / replace
        auto [s, t] = tokens[rng() % tokens.size()];
        if (rng() % 2) {
          e.cancel(s, ouch42::CancelOrder{ouch42::Token::of(t), uint32_t(rng() % 100)}, ts, out);
        } else {
          ouch42::ReplaceOrder r;
          r.existing_order_token = ouch42::Token::of(t);
          std::string nt = "T";
          nt += std::to_string(next_token++);
          r.replacement_order_token = ouch42::Token::of(nt);
          r.shares = uint32_t(1 + rng() % 300);
          r.price = price();
          r.time_in_force = ouch42::kTifMarketHours;
          r.display = 'Y';
          e.replace(s, r, ts, out);
          tokens.push_back({s, nt});
        }
      }
      for (const auto& m : out.itch) b.apply(m, sink);
      out.clear();
      if (step % 100 == 99 || step == 2999) {
        for (uint16_t loc = 1; loc <= 3; ++loc) {
          const book::SymbolBook* sb = b.symbol_book(loc);
          ASSERT_NE(sb, nullptr);
          ASSERT_EQ(sb->top(), e.top(loc)) << "seed " << seed << " step " << step;
          auto same = [](const std::vector<book::Level>& x, const std::vector<book::Level>& y) {
            if (x.size() != y.size()) return false;
            for (size_t i = 0; i < x.size(); ++i) {
              if (x[i].price != y[i].price || x[i].shares != y[i].shares || x[i].orders != y[i].orders) return false;
            }
            return true;
          };
          ASSERT_TRUE(same(sb->bids.depth(SIZE_MAX), e.depth(loc, 'B'))) << "seed " << seed;
          ASSERT_TRUE(same(sb->asks.depth(SIZE_MAX), e.depth(loc, 'S'))) << "seed " << seed;
          // Never crossed.
          const auto t = e.top(loc);
          if (t.bid && t.ask) {
            ASSERT_LT(t.bid, t.ask);
          }
        }
      }
    }
    for (auto n : b.stats().errors) ASSERT_EQ(n, 0u) << "seed " << seed;
    EXPECT_GT(e.stats().executions, 100u);
  }
}

// A session keeps at most max_live_orders_per_session orders resting: past it an order that could
// rest is refused 'O' with the count; one immediate or cancel, a replace (one for one) and the other
// sessions are untouched; a fill or a cancel frees a place.
TEST(EngineLimits, ASessionsRestingOrdersAreBounded) {
  Engine::Config cfg{{"AAPL"}, {}};
  cfg.max_live_orders_per_session = 3;
  Engine e{cfg};
  Output out;
  uint64_t ts = 1;
  e.start(ts, out);
  auto enter = [&](SessionId s, const ouch42::EnterOrder& m) {
    out.clear();
    e.enter(s, m, ++ts, out);
    return out;
  };
  auto first = [](const Output& o) { return o.ouch.at(0).message; };
  for (const char* t : {"A1", "A2", "A3"}) {
    ASSERT_TRUE(std::holds_alternative<ouch42::Accepted>(first(enter(1, order(t, 'B', 100, "AAPL", usd(10))))));
  }
  EXPECT_EQ(e.live_orders_of(1), 3u);
  auto r = enter(1, order("A4", 'B', 100, "AAPL", usd(10)));
  ASSERT_EQ(r.ouch.size(), 1u);
  auto* j = std::get_if<ouch42::Rejected>(&r.ouch[0].message);
  ASSERT_NE(j, nullptr) << "a fourth order rested";
  EXPECT_EQ(j->reason, reject::kOther);
  EXPECT_NE(r.ouch[0].reason.find("the session has 3 orders resting, the most this venue keeps for one session"),
            std::string::npos)
      << r.ouch[0].reason;
  EXPECT_TRUE(r.itch.empty());
  EXPECT_EQ(e.live_orders(), 3u);
  // Immediate or cancel never rests: still taken (here nothing crosses, so all of it is cancelled).
  r = enter(1, order("I1", 'B', 100, "AAPL", usd(10), ouch42::kTifImmediateOrCancel));
  EXPECT_TRUE(std::holds_alternative<ouch42::Accepted>(first(r)));
  // Another session has its own bound.
  EXPECT_TRUE(std::holds_alternative<ouch42::Accepted>(first(enter(2, order("B1", 'S', 100, "AAPL", usd(11))))));
  // A replace swaps one resting order for another.
  out.clear();
  e.replace(1, replacement("A1", "A1R", 100, usd(10), ouch42::kTifMarketHours), ++ts, out);
  EXPECT_EQ(ouch_of<ouch42::Replaced>(out, 1).size(), 1u);
  EXPECT_EQ(e.live_orders_of(1), 3u);
  // A fill frees a place: session 2 sells into A2's level, taking A2 whole (A1R lost its priority).
  enter(2, order("B2", 'S', 100, "AAPL", usd(10), ouch42::kTifImmediateOrCancel));
  EXPECT_EQ(e.live_orders_of(1), 2u);
  EXPECT_TRUE(std::holds_alternative<ouch42::Accepted>(first(enter(1, order("A5", 'B', 100, "AAPL", usd(10))))));
  // So does a cancel.
  out.clear();
  e.cancel(1, ouch42::CancelOrder{ouch42::Token::of("A3"), 0}, ++ts, out);
  EXPECT_EQ(e.live_orders_of(1), 2u);
  EXPECT_TRUE(std::holds_alternative<ouch42::Accepted>(first(enter(1, order("A6", 'B', 100, "AAPL", usd(10))))));
  EXPECT_EQ(e.live_orders_of(1), 3u);
}

// The documented bound, 100 000, met by a session that rests that many orders.
TEST(EngineLimits, TheDefaultBoundIs100000RestingOrdersASession) {
  Engine e{Engine::Config{{"AAPL"}, {}}};
  Output out;
  uint64_t ts = 1;
  e.start(ts, out);
  for (int i = 0; i < 100'000; ++i) {
    out.clear();
    std::string t = "R";  // (not "R" + std::to_string(i): GCC 12's -Wrestrict false positive)
    t += std::to_string(i);
    e.enter(1, order(t, 'B', 1, "AAPL", usd(10)), ++ts, out);
    ASSERT_TRUE(std::holds_alternative<ouch42::Accepted>(out.ouch.at(0).message)) << i;
  }
  EXPECT_EQ(e.live_orders(), 100'000u);
  out.clear();
  e.enter(1, order("OVER", 'B', 1, "AAPL", usd(10)), ++ts, out);
  auto* j = std::get_if<ouch42::Rejected>(&out.ouch.at(0).message);
  ASSERT_NE(j, nullptr) << "the 100 001st order rested";
  EXPECT_EQ(j->reason, reject::kOther);
  out.clear();
  e.enter(2, order("OTHER", 'B', 1, "AAPL", usd(10)), ++ts, out);
  EXPECT_TRUE(std::holds_alternative<ouch42::Accepted>(out.ouch.at(0).message)) << "another session";
  EXPECT_EQ(e.live_orders(), 100'001u);
}

}  // namespace
}  // namespace colo::venue
