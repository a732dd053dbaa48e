// ITCH 5.0: each message type decoded from bytes written here from the spec's field table
// (offset, length, meaning), then re-encoded to the same bytes.
#include "colo/itch.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_bytes.h"

namespace colo::itch {
namespace {

// Common header of the vectors: type, Stock Locate 0x0102, Tracking Number 0x0304,
// Timestamp 0x0000_3A4B_5C6D (48-bit ns since midnight).
constexpr const char* kHdr = "0102 0304 00003A4B5C6D";
constexpr uint64_t kTs = 0x3A4B5C6DULL;

template <class M>
M decode_as(const std::vector<uint8_t>& bytes) {
  Message m;
  EXPECT_EQ(decode(bytes.data(), bytes.size(), m), DecodeStatus::kOk);
  EXPECT_TRUE(std::holds_alternative<M>(m));
  M out = std::get<M>(m);
  EXPECT_EQ(out.h.stock_locate, 0x0102);
  EXPECT_EQ(out.h.tracking_number, 0x0304);
  EXPECT_EQ(out.h.timestamp, kTs);
  std::vector<uint8_t> again(kMaxMessageLength);
  again.resize(encode(m, again.data()));
  EXPECT_EQ(again, bytes) << "re-encoding " << M::kName;
  EXPECT_EQ(bytes.size(), M::kLength);
  return out;
}

std::vector<uint8_t> msg(char type, const std::string& body) {
  return test::hex(test::ascii(std::string(1, type)) + kHdr + " " + body);
}

TEST(Itch, SystemEvent) {
  auto m = decode_as<SystemEvent>(msg('S', test::ascii("O")));
  EXPECT_EQ(m.event_code, 'O');
}

TEST(Itch, StockDirectory) {
  // Stock "AAPL    ", Market Category Q, Financial Status N, Round Lot 100, Round Lots Only N,
  // Issue Classification C, Sub-Type "Z ", Authenticity P, SSTI N, IPO N, LULD tier 1, ETP N,
  // ETP Leverage 0, Inverse N.
  auto m = decode_as<StockDirectory>(
      msg('R', test::ascii("AAPL    ") + test::ascii("QN") + "00000064" + test::ascii("NCZ PNN1N") +
                   "00000000" + test::ascii("N")));
  EXPECT_EQ(m.stock.view(), "AAPL");
  EXPECT_EQ(m.market_category, 'Q');
  EXPECT_EQ(m.round_lot_size, 100u);
  EXPECT_EQ(m.issue_sub_type.view(), "Z");
  EXPECT_EQ(m.luld_reference_price_tier, '1');
  EXPECT_EQ(m.inverse_indicator, 'N');
}

TEST(Itch, StockTradingAction) {
  auto m = decode_as<StockTradingAction>(msg('H', test::ascii("MSFT    T ") + test::ascii("    ")));
  EXPECT_EQ(m.stock.view(), "MSFT");
  EXPECT_EQ(m.trading_state, 'T');
  EXPECT_EQ(m.reason.view(), "");
}

TEST(Itch, RegShoRestriction) {
  auto m = decode_as<RegShoRestriction>(msg('Y', test::ascii("ZVZZT   1")));
  EXPECT_EQ(m.stock.view(), "ZVZZT");
  EXPECT_EQ(m.reg_sho_action, '1');
}

TEST(Itch, MarketParticipantPosition) {
  auto m = decode_as<MarketParticipantPosition>(msg('L', test::ascii("GSCOIBM     YNA")));
  EXPECT_EQ(m.mpid.view(), "GSCO");
  EXPECT_EQ(m.stock.view(), "IBM");
  EXPECT_EQ(m.primary_market_maker, 'Y');
  EXPECT_EQ(m.market_maker_mode, 'N');
  EXPECT_EQ(m.market_participant_state, 'A');
}

TEST(Itch, MwcbDeclineLevelUsesPrice8) {
  // Levels 3,861.49 / 3,617.75 / 3,235.26 with 8 implied decimals.
  auto m = decode_as<MwcbDeclineLevel>(
      msg('V', "00000059E8462340 000000543B7869C0 0000004B53A6FD80"));
  EXPECT_EQ(m.level1, 386149000000ULL);
  EXPECT_DOUBLE_EQ(price8_to_double(m.level1), 3861.49);
  EXPECT_DOUBLE_EQ(price8_to_double(m.level2), 3617.75);
  EXPECT_DOUBLE_EQ(price8_to_double(m.level3), 3235.26);
}

TEST(Itch, MwcbStatus) {
  auto m = decode_as<MwcbStatus>(msg('W', test::ascii("2")));
  EXPECT_EQ(m.breached_level, '2');
}

TEST(Itch, IpoQuotingPeriod) {
  // Release 10:30:00 = 37800 s, qualifier A, IPO price $17.5000.
  auto m = decode_as<IpoQuotingPeriod>(msg('K', test::ascii("NEWCO   ") + "000093A8" + test::ascii("A") + "0002AB98"));
  EXPECT_EQ(m.release_time, 37800u);
  EXPECT_EQ(m.release_qualifier, 'A');
  EXPECT_EQ(m.ipo_price, 175000u);
}

TEST(Itch, LuldAuctionCollar) {
  auto m = decode_as<LuldAuctionCollar>(
      msg('J', test::ascii("TSLA    ") + "000F4240 0010C8E0 000DBBA0 00000002"));
  EXPECT_EQ(m.reference_price, 1000000u);  // $100.0000
  EXPECT_EQ(m.upper_price, 1100000u);
  EXPECT_EQ(m.lower_price, 900000u);
  EXPECT_EQ(m.extension, 2u);
}

TEST(Itch, OperationalHalt) {
  auto m = decode_as<OperationalHalt>(msg('h', test::ascii("QQQ     QH")));
  EXPECT_EQ(m.market_code, 'Q');
  EXPECT_EQ(m.action, 'H');
}

TEST(Itch, AddOrder) {
  // Ref 0x0000000000A1B2C3, Buy, 300 shares, "AMD     ", $123.4500 = 1,234,500.
  auto m = decode_as<AddOrder>(msg('A', "0000000000A1B2C3" + test::ascii("B") + "0000012C" +
                                            test::ascii("AMD     ") + "0012D644"));
  EXPECT_EQ(m.order_ref, 0xA1B2C3u);
  EXPECT_EQ(m.side, 'B');
  EXPECT_EQ(m.shares, 300u);
  EXPECT_EQ(m.stock.view(), "AMD");
  EXPECT_EQ(m.price, 1234500u);
  EXPECT_DOUBLE_EQ(price4_to_double(m.price), 123.45);
}

TEST(Itch, AddOrderMpid) {
  auto m = decode_as<AddOrderMpid>(msg('F', "0000000000000007" + test::ascii("S") + "00000064" +
                                                test::ascii("AMD     ") + "00000001" +
                                                test::ascii("VIRT")));
  EXPECT_EQ(m.order_ref, 7u);
  EXPECT_EQ(m.side, 'S');
  EXPECT_EQ(m.price, 1u);
  EXPECT_EQ(m.attribution.view(), "VIRT");
}

TEST(Itch, OrderExecuted) {
  auto m = decode_as<OrderExecuted>(msg('E', "0000000000000007 00000032 0000000000BC614E"));
  EXPECT_EQ(m.order_ref, 7u);
  EXPECT_EQ(m.executed_shares, 50u);
  EXPECT_EQ(m.match_number, 12345678u);
}

TEST(Itch, OrderExecutedWithPrice) {
  auto m = decode_as<OrderExecutedWithPrice>(
      msg('C', "0000000000000007 00000032 0000000000BC614F" + test::ascii("N") + "0012D5E0"));
  EXPECT_EQ(m.match_number, 12345679u);
  EXPECT_EQ(m.printable, 'N');
  EXPECT_EQ(m.execution_price, 1234400u);
}

TEST(Itch, OrderCancel) {
  auto m = decode_as<OrderCancel>(msg('X', "0000000000000007 0000000A"));
  EXPECT_EQ(m.cancelled_shares, 10u);
}

TEST(Itch, OrderDelete) {
  auto m = decode_as<OrderDelete>(msg('D', "FFFFFFFFFFFFFFFF"));
  EXPECT_EQ(m.order_ref, ~0ULL);
}

TEST(Itch, OrderReplace) {
  auto m = decode_as<OrderReplace>(msg('U', "0000000000000007 0000000000000009 000000C8 0012D644"));
  EXPECT_EQ(m.original_order_ref, 7u);
  EXPECT_EQ(m.new_order_ref, 9u);
  EXPECT_EQ(m.shares, 200u);
  EXPECT_EQ(m.price, 1234500u);
}

TEST(Itch, TradeNonCross) {
  auto m = decode_as<TradeNonCross>(msg('P', "0000000000000000" + test::ascii("B") + "00000190" +
                                                 test::ascii("NVDA    ") + "004C4B40" +
                                                 "0000000000000063"));
  EXPECT_EQ(m.shares, 400u);
  EXPECT_EQ(m.price, 5000000u);  // $500.0000
  EXPECT_EQ(m.match_number, 99u);
}

TEST(Itch, CrossTradeHasEightByteShares) {
  auto m = decode_as<CrossTrade>(msg('Q', "0000000100000000" + test::ascii("SPY     ") +
                                              "002DC6C0 0000000000000064" + test::ascii("O")));
  EXPECT_EQ(m.shares, 1ULL << 32);
  EXPECT_EQ(m.cross_price, 3000000u);
  EXPECT_EQ(m.cross_type, 'O');
}

TEST(Itch, BrokenTrade) {
  auto m = decode_as<BrokenTrade>(msg('B', "0000000000000063"));
  EXPECT_EQ(m.match_number, 99u);
}

TEST(Itch, Noii) {
  auto m = decode_as<Noii>(msg('I', "00000000000003E8 0000000000000064" + test::ascii("B") +
                                        test::ascii("AAPL    ") + "001E8480 001E8548 001E84E4" +
                                        test::ascii("C") + test::ascii("L")));
  EXPECT_EQ(m.paired_shares, 1000u);
  EXPECT_EQ(m.imbalance_shares, 100u);
  EXPECT_EQ(m.imbalance_direction, 'B');
  EXPECT_EQ(m.far_price, 2000000u);
  EXPECT_EQ(m.near_price, 2000200u);
  EXPECT_EQ(m.current_reference_price, 2000100u);
  EXPECT_EQ(m.cross_type, 'C');
  EXPECT_EQ(m.price_variation_indicator, 'L');
}

TEST(Itch, Rpii) {
  auto m = decode_as<Rpii>(msg('N', test::ascii("AAPL    A")));
  EXPECT_EQ(m.interest_flag, 'A');
}

TEST(Itch, DirectListingPriceDiscovery) {
  auto m = decode_as<DirectListingPriceDiscovery>(
      msg('O', test::ascii("DLST    Y") + "000186A0 000493E0 0002BF20 0000221B8B4E9A00 000249F0 0002DC6C"));
  EXPECT_EQ(m.open_eligibility_status, 'Y');
  EXPECT_EQ(m.minimum_allowable_price, 100000u);
  EXPECT_EQ(m.maximum_allowable_price, 300000u);
  EXPECT_EQ(m.near_execution_price, 180000u);
  EXPECT_EQ(m.near_execution_time, 0x221B8B4E9A00ULL);
  EXPECT_EQ(m.lower_price_range_collar, 150000u);
  EXPECT_EQ(m.upper_price_range_collar, 187500u);
}

TEST(Itch, SpecLengthsOfEveryType) {
  // The table of the issue / spec: type → total length.
  const std::vector<std::pair<char, size_t>> spec = {
      {'S', 12}, {'R', 39}, {'H', 25}, {'Y', 20}, {'L', 26}, {'V', 35}, {'W', 12}, {'K', 28},
      {'J', 35}, {'h', 21}, {'A', 36}, {'F', 40}, {'E', 31}, {'C', 36}, {'X', 23}, {'D', 19},
      {'U', 35}, {'P', 44}, {'Q', 40}, {'B', 19}, {'I', 50}, {'N', 20}, {'O', 48}};
  EXPECT_EQ(spec.size(), kMessageTypeCount);
  for (auto [type, len] : spec) EXPECT_EQ(message_length(uint8_t(type)), len) << type;
  EXPECT_EQ(message_length('Z'), 0u);
  EXPECT_EQ(message_length('a'), 0u);
}

TEST(Itch, BadLengthsAndTypesAreStatusesNotCrashes) {
  auto add = msg('A', "0000000000A1B2C3" + test::ascii("B") + "0000012C" + test::ascii("AMD     ") + "0012D644");
  Message m;
  EXPECT_EQ(decode(add.data(), 35, m), DecodeStatus::kTruncated);
  add.push_back(0);
  EXPECT_EQ(decode(add.data(), add.size(), m), DecodeStatus::kOverlong);
  uint8_t unknown[] = {'Z', 0, 0};
  EXPECT_EQ(decode(unknown, sizeof unknown, m), DecodeStatus::kUnknownType);
  EXPECT_EQ(decode(unknown, 0, m), DecodeStatus::kEmpty);
}

}  // namespace
}  // namespace colo::itch
