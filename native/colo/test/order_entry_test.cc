// Order -> OUCH 4.2: tokens against values computed outside this code, tick rounding toward the
// passive side, the market collar, TIF, cancel/replace, and the rejections.
#include "colo/order_entry.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "test_bytes.h"

namespace colo::order_entry {
namespace {

// Expected tokens computed with Python 3 (hashlib), independently of this code:
//   n = int.from_bytes(hashlib.sha256(order_id.encode()).digest()[:9], 'big')
//   14 base-36 digits of n, 0-9A-Z, most significant first, zero-padded.
TEST(OrderEntry, TokensMatchAnIndependentComputation) {
  EXPECT_EQ(order_token("").view(), "OMER9TNTHY35I2");  // sha256 e3b0c44298fc1c149a...
  EXPECT_EQ(order_token("a").view(), "LWP6N79K9T8U0Q");
  EXPECT_EQ(order_token("ord-1").view(), "NMF7LTULQFQQC5");
  EXPECT_EQ(order_token("ord-2").view(), "6M11BB6KE7AKG0");  // leading digit
  EXPECT_EQ(order_token("mom-AAPL-20240102-0001").view(), "CNMVH2SJEHEVQC");
  EXPECT_EQ(order_token("ord-1-r1").view(), "7IOEBIIAA5AX2C");
}

Order limit(const char* id, Side side, double qty, double px) {
  Order o;
  o.order_id = id;
  o.symbol = "AAPL";
  o.side = side;
  o.qty = qty;
  o.order_type = OrderType::kLimit;
  o.limit_price = px;
  o.ref_price = px;
  return o;
}

ouch42::EnterOrder enter(const Mapped& m) {
  EXPECT_TRUE(m.ok) << m.error;
  EXPECT_TRUE(std::holds_alternative<ouch42::EnterOrder>(m.message));
  return m.ok ? std::get<ouch42::EnterOrder>(m.message) : ouch42::EnterOrder{};
}

TEST(OrderEntry, LimitBuyDayEncodesToTheSpecBytes) {
  auto m = to_ouch(limit("ord-1", Side::kBuy, 100, 150.25));
  std::vector<uint8_t> out(ouch42::kMaxMessageLength);
  out.resize(ouch42::encode(m.message, out.data()));
  // 'O', token, B, 100, "AAPL    ", $150.2500, TIF 99998, Firm blank, Display Y, Capacity P,
  // ISO N, Min Qty 0, Cross N, Customer Type ' '.
  EXPECT_EQ(out, test::hex(test::ascii("ONMF7LTULQFQQC5B") + "00000064" + test::ascii("AAPL    ") +
                           "0016ED24 0001869E" + test::ascii("    YPN") + "00000000" +
                           test::ascii("N ")));
}

TEST(OrderEntry, LimitPricesRoundToTheTickTowardThePassiveSide) {
  struct Case {
    Side side;
    double px;
    uint32_t p4;
  };
  for (Case k : {Case{Side::kBuy, 10.077, 100700}, Case{Side::kSell, 10.071, 100800},
                 Case{Side::kBuy, 10.07, 100700}, Case{Side::kSell, 10.07, 100700},
                 Case{Side::kBuy, 0.12345, 1234}, Case{Side::kSell, 0.12341, 1235},
                 Case{Side::kBuy, 1.00005, 10000}, Case{Side::kSell, 0.99995, 10000},
                 Case{Side::kSell, 1.001, 10100}, Case{Side::kBuy, 0.9999, 9999}}) {
    EXPECT_EQ(enter(to_ouch(limit("x", k.side, 1, k.px))).price, k.p4) << k.px;
  }
}

// The venue refuses a fraction of a cent at or above $1.00 (Reg NMS Rule 612): every price the
// mapping sends is on that grid, on the passive side of the price asked, within one tick of it.
TEST(OrderEntry, EveryPriceSentIsWholeCentsFromOneDollar) {
  std::mt19937_64 rng(612);
  std::uniform_real_distribution<double> log_price(std::log(0.00005), std::log(199'999.99));
  for (int i = 0; i < 200'000; ++i) {
    // Prices over every decade, and some a hair off a tick (10.07 is 100699.99999999999 in Price(4)).
    double px = std::exp(log_price(rng));
    if (i % 4 == 0) px = std::round(px * 100) / 100 + (i % 8 == 0 ? 1e-9 : -1e-9);
    for (Side side : {Side::kBuy, Side::kSell}) {
      auto p4 = passive_tick(px, side);
      if (!p4) continue;  // below $0.0001 for a buy, above $199,999.99 for a sell: refused, not sent
      ASSERT_TRUE(*p4 < 10'000 || *p4 % 100 == 0) << px << " became " << *p4;
      const double tick = *p4 < 10'000 ? 0.0001 : 0.01;
      const double sent = *p4 / 1e4;
      if (side == Side::kBuy) {
        ASSERT_LE(sent, px + 1e-6) << px;
        ASSERT_GT(sent, px - tick - 1e-6) << px;
      } else {
        ASSERT_GE(sent, px - 1e-6) << px;
        ASSERT_LT(sent, px + tick + 1e-6) << px;
      }
    }
  }
}

TEST(OrderEntry, MarketOrdersBecomeCollaredIocLimits) {
  Order o = limit("m", Side::kBuy, 10, 0);
  o.order_type = OrderType::kMarket;
  o.limit_price.reset();
  o.ref_price = 100;
  auto e = enter(to_ouch(o));
  EXPECT_EQ(e.price, 1050000u);  // $105.00
  EXPECT_EQ(e.time_in_force, ouch42::kTifImmediateOrCancel);
  o.side = Side::kSell;
  EXPECT_EQ(enter(to_ouch(o)).price, 950000u);  // $95.00
  o.ref_price = 10.01;                          // 9.5095 -> up to 9.51
  EXPECT_EQ(enter(to_ouch(o)).price, 95100u);
  o.side = Side::kBuy;  // 10.5105 -> down to 10.51
  EXPECT_EQ(enter(to_ouch(o)).price, 105100u);
  Config c;
  c.market_collar = 0.10;
  EXPECT_EQ(enter(to_ouch(o, c)).price, 110100u);  // 11.011 -> 11.01
}

TEST(OrderEntry, TimeInForce) {
  Order o = limit("t", Side::kBuy, 1, 5);
  EXPECT_EQ(enter(to_ouch(o)).time_in_force, 99998u);
  o.time_in_force = TimeInForce::kIoc;
  EXPECT_EQ(enter(to_ouch(o)).time_in_force, 0u);
}

TEST(OrderEntry, CancelAndReplaceUseTheTargetsToken) {
  Order cancel;
  cancel.order_id = "ord-1-c";
  cancel.action = Action::kCancel;
  cancel.target_order_id = "ord-1";
  auto m = to_ouch(cancel);
  ASSERT_TRUE(m.ok) << m.error;
  auto x = std::get<ouch42::CancelOrder>(m.message);
  EXPECT_EQ(x.order_token.view(), "NMF7LTULQFQQC5");
  EXPECT_EQ(x.shares, 0u);

  Order rep = limit("ord-1-r1", Side::kBuy, 200, 123.456);
  rep.action = Action::kReplace;
  rep.target_order_id = "ord-1";
  m = to_ouch(rep);
  ASSERT_TRUE(m.ok) << m.error;
  auto u = std::get<ouch42::ReplaceOrder>(m.message);
  EXPECT_EQ(u.existing_order_token.view(), "NMF7LTULQFQQC5");
  EXPECT_EQ(u.replacement_order_token.view(), "7IOEBIIAA5AX2C");
  EXPECT_EQ(u.shares, 200u);
  EXPECT_EQ(u.price, 1234500u);
  EXPECT_EQ(u.time_in_force, 99998u);
}

TEST(OrderEntry, Rejections) {
  auto err = [](const Order& o) {
    auto m = to_ouch(o);
    EXPECT_FALSE(m.ok);
    return m.error;
  };
  EXPECT_EQ(err(limit("o1", Side::kBuy, 12.5, 10)),
            "alpha: order o1: qty 12.5 is not a whole number of shares; OUCH takes 1..999999");
  EXPECT_EQ(err(limit("o1", Side::kBuy, 1000000, 10)),
            "alpha: order o1: qty 1000000 is outside OUCH's 1..999999 shares");
  EXPECT_EQ(err(limit("o1", Side::kBuy, 0, 10)),
            "alpha: order o1: qty 0 is outside OUCH's 1..999999 shares");
  EXPECT_TRUE(to_ouch(limit("o1", Side::kBuy, 999999, 10)).ok);
  Order bad = limit("o2", Side::kBuy, 1, 10);
  bad.symbol = "aapl";
  EXPECT_EQ(err(bad), "alpha: order o2: symbol \"aapl\" is not 1..8 characters of A-Z 0-9 .");
  bad.symbol = "ABCDEFGHI";
  EXPECT_NE(err(bad), "");
  bad.symbol = "BRK.A";
  EXPECT_TRUE(to_ouch(bad).ok);
  bad.limit_price.reset();
  EXPECT_EQ(err(bad), "alpha: order o2: LIMIT order needs a positive limit_price");
  bad.limit_price = 0.00004;  // a buy rounds down to nothing
  EXPECT_EQ(err(bad), "alpha: order o2: price 4e-05 is not on OUCH's $0.0001..$199999.99 tick grid");
  bad.limit_price = 250000;
  EXPECT_FALSE(to_ouch(bad).ok);
  bad.order_type = OrderType::kMarket;
  bad.ref_price = std::nan("");
  EXPECT_EQ(err(bad), "alpha: order o2: MARKET order needs a positive ref_price to set its collar");
  Order cancel;
  cancel.order_id = "o3";
  cancel.action = Action::kCancel;
  EXPECT_EQ(err(cancel), "alpha: order o3: CANCEL needs target_order_id");
}

}  // namespace
}  // namespace colo::order_entry
