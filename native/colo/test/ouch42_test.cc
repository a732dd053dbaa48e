// OUCH 4.2: each message type decoded from bytes written here from the spec's field tables
// (offset, length, meaning), then re-encoded to the same bytes; the status of short, long,
// empty and unknown input; and that 'U' and 'M' decode by direction.
#include "colo/ouch42.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_bytes.h"

namespace colo::ouch42 {
namespace {

// Timestamp of the outbound vectors: 09:30:00.000000000 = 34,200,000,000,000 ns since midnight.
constexpr const char* kTs = "00001F1ACED9F000";
constexpr uint64_t kTsNs = 34'200'000'000'000ULL;

template <class M>
M inbound_as(const std::vector<uint8_t>& bytes) {
  Inbound m;
  EXPECT_EQ(decode_inbound(bytes.data(), bytes.size(), m), DecodeStatus::kOk) << M::kName;
  EXPECT_TRUE(std::holds_alternative<M>(m)) << M::kName;
  std::vector<uint8_t> again(kMaxMessageLength);
  again.resize(encode(m, again.data()));
  EXPECT_EQ(again, bytes) << "re-encoding " << M::kName;
  EXPECT_EQ(bytes.size(), M::kLength);
  EXPECT_EQ(inbound_length(uint8_t(M::kType)), M::kLength);
  return std::holds_alternative<M>(m) ? std::get<M>(m) : M{};
}

template <class M>
M outbound_as(const std::vector<uint8_t>& bytes) {
  Outbound m;
  EXPECT_EQ(decode_outbound(bytes.data(), bytes.size(), m), DecodeStatus::kOk) << M::kName;
  EXPECT_TRUE(std::holds_alternative<M>(m)) << M::kName;
  std::vector<uint8_t> again(kMaxMessageLength);
  again.resize(encode(m, again.data()));
  EXPECT_EQ(again, bytes) << "re-encoding " << M::kName;
  EXPECT_EQ(bytes.size(), M::kLength);
  EXPECT_EQ(outbound_length(uint8_t(M::kType)), M::kLength);
  M out = std::holds_alternative<M>(m) ? std::get<M>(m) : M{};
  EXPECT_EQ(out.timestamp, kTsNs);
  return out;
}

std::vector<uint8_t> in(char type, const std::string& body) {
  return test::hex(test::ascii(std::string(1, type)) + body);
}
std::vector<uint8_t> out(char type, const std::string& body) {
  return test::hex(test::ascii(std::string(1, type)) + kTs + " " + body);
}

TEST(Ouch42, EnterOrder) {
  // Token "ORD00000000001", Buy, 100 shares, "AAPL    ", $150.2500, TIF 99998 (market hours),
  // Firm GSCO, Display Y, Capacity P, ISO N, Min Qty 0, Cross N, Customer Type R.
  auto m = inbound_as<EnterOrder>(in('O', test::ascii("ORD00000000001B") + "00000064" +
                                              test::ascii("AAPL    ") + "0016ED24 0001869E" +
                                              test::ascii("GSCOYPN") + "00000000" + test::ascii("NR")));
  EXPECT_EQ(m.order_token.view(), "ORD00000000001");
  EXPECT_EQ(m.side, 'B');
  EXPECT_EQ(m.shares, 100u);
  EXPECT_EQ(m.stock.view(), "AAPL");
  EXPECT_EQ(m.price, 1502500u);
  EXPECT_DOUBLE_EQ(price4_to_double(m.price), 150.25);
  EXPECT_EQ(m.time_in_force, kTifMarketHours);
  EXPECT_EQ(m.firm.view(), "GSCO");
  EXPECT_EQ(m.display, 'Y');
  EXPECT_EQ(m.capacity, 'P');
  EXPECT_EQ(m.intermarket_sweep, 'N');
  EXPECT_EQ(m.minimum_quantity, 0u);
  EXPECT_EQ(m.cross_type, 'N');
  EXPECT_EQ(m.customer_type, 'R');
}

TEST(Ouch42, ReplaceOrder) {
  // Existing "ORD00000000001", replacement "ORD00000000002", 200 shares, $123.4500, IOC,
  // Display Y, ISO N, Min Qty 5.
  auto m = inbound_as<ReplaceOrder>(in('U', test::ascii("ORD00000000001ORD00000000002") +
                                                "000000C8 0012D644 00000000" + test::ascii("YN") +
                                                "00000005"));
  EXPECT_EQ(m.existing_order_token.view(), "ORD00000000001");
  EXPECT_EQ(m.replacement_order_token.view(), "ORD00000000002");
  EXPECT_EQ(m.shares, 200u);
  EXPECT_EQ(m.price, 1234500u);
  EXPECT_EQ(m.time_in_force, kTifImmediateOrCancel);
  EXPECT_EQ(m.display, 'Y');
  EXPECT_EQ(m.minimum_quantity, 5u);
}

TEST(Ouch42, CancelOrder) {
  auto m = inbound_as<CancelOrder>(in('X', test::ascii("ORD00000000001") + "00000000"));
  EXPECT_EQ(m.order_token.view(), "ORD00000000001");
  EXPECT_EQ(m.shares, 0u);
}

TEST(Ouch42, ModifyOrder) {
  auto m = inbound_as<ModifyOrder>(in('M', test::ascii("ORD00000000001S") + "00000032"));
  EXPECT_EQ(m.side, 'S');
  EXPECT_EQ(m.shares, 50u);
}

TEST(Ouch42, SystemEvent) {
  auto m = outbound_as<SystemEvent>(out('S', test::ascii("S")));
  EXPECT_EQ(m.event_code, 'S');
}

TEST(Ouch42, Accepted) {
  // Token, Buy, 100, "AAPL", $150.2500, TIF 99999, Firm GSCO, Display Y, Ref 0x25, Capacity P,
  // ISO N, Min Qty 0, Cross N, State L, BBO weight '2'.
  auto m = outbound_as<Accepted>(out('A', test::ascii("ORD00000000001B") + "00000064" +
                                              test::ascii("AAPL    ") + "0016ED24 0001869F" +
                                              test::ascii("GSCOY") + "0000000000000025" +
                                              test::ascii("PN") + "00000000" + test::ascii("NL2")));
  EXPECT_EQ(m.order_token.view(), "ORD00000000001");
  EXPECT_EQ(m.shares, 100u);
  EXPECT_EQ(m.time_in_force, kTifSystemHours);
  EXPECT_EQ(m.order_reference_number, 37u);
  EXPECT_EQ(m.capacity, 'P');
  EXPECT_EQ(m.order_state, 'L');
  EXPECT_EQ(m.bbo_weight_indicator, '2');
}

TEST(Ouch42, Replaced) {
  auto m = outbound_as<Replaced>(out('U', test::ascii("ORD00000000002S") + "000000C8" +
                                              test::ascii("MSFT    ") + "0012D644 00000000" +
                                              test::ascii("GSCOY") + "0000000000000026" +
                                              test::ascii("AY") + "00000000" +
                                              test::ascii("NLORD00000000001 ")));
  EXPECT_EQ(m.replacement_order_token.view(), "ORD00000000002");
  EXPECT_EQ(m.side, 'S');
  EXPECT_EQ(m.stock.view(), "MSFT");
  EXPECT_EQ(m.order_reference_number, 38u);
  EXPECT_EQ(m.intermarket_sweep, 'Y');
  EXPECT_EQ(m.previous_order_token.view(), "ORD00000000001");
  EXPECT_EQ(m.bbo_weight_indicator, ' ');
}

TEST(Ouch42, Canceled) {
  auto m = outbound_as<Canceled>(out('C', test::ascii("ORD00000000001") + "00000064" + test::ascii("U")));
  EXPECT_EQ(m.decrement_shares, 100u);
  EXPECT_EQ(m.reason, 'U');
}

TEST(Ouch42, AiqCanceled) {
  auto m = outbound_as<AiqCanceled>(out('D', test::ascii("ORD00000000001") + "00000064" +
                                                 test::ascii("Q") + "00000032 0012D5E0" +
                                                 test::ascii("R")));
  EXPECT_EQ(m.reason, 'Q');
  EXPECT_EQ(m.quantity_prevented_from_trading, 50u);
  EXPECT_EQ(m.execution_price, 1234400u);
  EXPECT_EQ(m.liquidity_flag, 'R');
}

TEST(Ouch42, Executed) {
  auto m = outbound_as<Executed>(out('E', test::ascii("ORD00000000001") + "00000032 0012D5E0" +
                                              test::ascii("A") + "0000000000BC614E"));
  EXPECT_EQ(m.executed_shares, 50u);
  EXPECT_EQ(m.execution_price, 1234400u);
  EXPECT_EQ(m.liquidity_flag, 'A');
  EXPECT_EQ(m.match_number, 12345678u);
}

TEST(Ouch42, BrokenTrade) {
  auto m = outbound_as<BrokenTrade>(out('B', test::ascii("ORD00000000001") + "0000000000BC614E" +
                                                 test::ascii("E")));
  EXPECT_EQ(m.match_number, 12345678u);
  EXPECT_EQ(m.reason, 'E');
}

TEST(Ouch42, Rejected) {
  auto m = outbound_as<Rejected>(out('J', test::ascii("ORD00000000001H")));
  EXPECT_EQ(m.order_token.view(), "ORD00000000001");
  EXPECT_EQ(m.reason, 'H');
}

TEST(Ouch42, CancelPendingAndCancelReject) {
  auto p = outbound_as<CancelPending>(out('P', test::ascii("ORD00000000001")));
  EXPECT_EQ(p.order_token.view(), "ORD00000000001");
  auto r = outbound_as<CancelReject>(out('I', test::ascii("ORD00000000001")));
  EXPECT_EQ(r.order_token.view(), "ORD00000000001");
}

TEST(Ouch42, OrderPriorityUpdate) {
  auto m = outbound_as<OrderPriorityUpdate>(out('T', test::ascii("ORD00000000001") + "0012D644" +
                                                         test::ascii("Y") + "0000000000000025"));
  EXPECT_EQ(m.price, 1234500u);
  EXPECT_EQ(m.display, 'Y');
  EXPECT_EQ(m.order_reference_number, 37u);
}

TEST(Ouch42, OrderModified) {
  auto m = outbound_as<OrderModified>(out('M', test::ascii("ORD00000000001S") + "00000032"));
  EXPECT_EQ(m.side, 'S');
  EXPECT_EQ(m.shares, 50u);
}

TEST(Ouch42, DirectionDecidesWhatUAndMMean) {
  EXPECT_EQ(inbound_length('U'), 47u);
  EXPECT_EQ(outbound_length('U'), 80u);
  EXPECT_EQ(inbound_length('M'), 20u);
  EXPECT_EQ(outbound_length('M'), 28u);
  EXPECT_EQ(inbound_length('A'), 0u);   // Accepted is outbound only
  EXPECT_EQ(outbound_length('O'), 0u);  // Enter Order is inbound only
  // A Modify Order's 20 bytes are a truncated Order Modified when read as outbound.
  auto modify = in('M', test::ascii("ORD00000000001S") + "00000032");
  Outbound o;
  EXPECT_EQ(decode_outbound(modify.data(), modify.size(), o), DecodeStatus::kTruncated);
}

TEST(Ouch42, Statuses) {
  Inbound m;
  auto cancel = in('X', test::ascii("ORD00000000001") + "00000000");
  EXPECT_EQ(decode_inbound(cancel.data(), 0, m), DecodeStatus::kEmpty);
  EXPECT_EQ(decode_inbound(cancel.data(), cancel.size() - 1, m), DecodeStatus::kTruncated);
  cancel.push_back(0);
  EXPECT_EQ(decode_inbound(cancel.data(), cancel.size(), m), DecodeStatus::kOverlong);
  cancel[0] = 'Q';
  EXPECT_EQ(decode_inbound(cancel.data(), cancel.size(), m), DecodeStatus::kUnknownType);
  EXPECT_EQ(status_name(DecodeStatus::kOverlong), "over-long");
}

TEST(Ouch42, DispatchCallsTheTypedHandler) {
  auto bytes = out('E', test::ascii("ORD00000000001") + "00000032 0012D5E0" + test::ascii("A") +
                            "0000000000BC614E");
  int calls = 0;
  auto st = dispatch_outbound(bytes.data(), bytes.size(), [&](const auto& m) {
    using M = std::decay_t<decltype(m)>;
    if constexpr (std::is_same_v<M, Executed>) {
      EXPECT_EQ(m.match_number, 12345678u);
      ++calls;
    } else {
      ADD_FAILURE() << "dispatched as " << M::kName;
    }
  });
  EXPECT_EQ(st, DecodeStatus::kOk);
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace colo::ouch42
