// The project's Order record (schemas: Order) mapped to OUCH 4.2 inbound messages. NEW becomes
// Enter Order, CANCEL a Cancel Order of the whole order (shares 0), REPLACE a Replace Order;
// see native/colo/README.md ("OUCH 4.2 and SoupBinTCP") for the table.
//
// Order Tokens come from the order id alone: the 14-digit base-36 (0-9A-Z, most significant
// first, zero-padded) of the first 9 bytes (72 bits, big-endian) of SHA-256(order_id), so a
// replayed session sends the same tokens.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "colo/ouch42.h"

namespace colo::order_entry {

enum class Side : uint8_t { kBuy, kSell };
enum class OrderType : uint8_t { kMarket, kLimit };
enum class TimeInForce : uint8_t { kDay, kIoc };
enum class Action : uint8_t { kNew, kCancel, kReplace };

struct Order {
  std::string order_id;
  std::string symbol;
  Side side = Side::kBuy;
  double qty = 0;
  OrderType order_type = OrderType::kLimit;
  std::optional<double> limit_price;
  double ref_price = 0;
  TimeInForce time_in_force = TimeInForce::kDay;
  Action action = Action::kNew;
  std::string target_order_id;  // CANCEL, REPLACE: the order acted on
};

struct Config {
  double market_collar = 0.05;  // MARKET: BUY limit ref*(1+collar), SELL ref*(1-collar)
  std::string firm;             // Enter Order Firm (blank: the port's default)
  char display = 'Y';           // anonymous, price to comply
  char capacity = 'P';          // principal
  char intermarket_sweep = 'N';
  char cross_type = 'N';
  char customer_type = ' ';     // the port's default
};

constexpr uint32_t kMaxShares = 999'999;
constexpr uint32_t kMaxPrice4 = 1'999'999'900;  // $199,999.99, OUCH's largest limit price

struct Mapped {
  bool ok = false;
  ouch42::Inbound message;
  std::string error;  // "alpha: order <id>: ..." when !ok
};

Mapped to_ouch(const Order& o, const Config& c = {});

ouch42::Token order_token(std::string_view order_id);

// A price in Price(4) units on the tick ($0.01 from $1, $0.0001 below), rounded toward the
// passive side (down for a buy, up for a sell); nullopt when not positive, not finite, or over
// kMaxPrice4 once rounded.
std::optional<uint32_t> passive_tick(double price, Side side);

}  // namespace colo::order_entry
