// NASDAQ OUCH 4.2 order entry: every message of the specification, decoded and encoded through
// one field list per type (colo/wire.h), as colo/itch.h does for ITCH 5.0. Integers are
// big-endian; Price(4) has 4 implied decimals; Time in Force is seconds (0 = immediate or
// cancel, 99998 = market hours, 99999 = system hours); Order Tokens are 14 characters and stocks
// 8, both space-padded on the right. Outbound messages (NASDAQ to the firm) carry an 8-byte
// Timestamp, nanoseconds since midnight, after the type. 'U' and 'M' name different messages in
// each direction (Replace Order / Replaced, Modify Order / Order Modified), so inbound and
// outbound have separate variants, decoders and dispatchers. Each length below is the spec's and
// is checked against the field list at compile time. Fields carry their names (io.u32(m.shares,
// "shares")) for archives that show them by name (the venue's JSON audit trail).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "colo/wire.h"

namespace colo::ouch42 {

using Token = Alpha<14>;
using Firm = Alpha<4>;

// Time in Force values with a meaning of their own.
constexpr uint32_t kTifImmediateOrCancel = 0;
constexpr uint32_t kTifMarketHours = 99998;
constexpr uint32_t kTifSystemHours = 99999;

// ---- Inbound: the firm to NASDAQ -------------------------------------------------------------

struct EnterOrder {
  COLO_MESSAGE(EnterOrder, 'O', 49);
  Token order_token;
  char side = 0;  // B S T (short) E (short exempt)
  uint32_t shares = 0;
  Symbol stock;
  uint32_t price = 0;  // Price(4)
  uint32_t time_in_force = 0;
  Firm firm;
  char display = 0;   // Y A N P R I M W L O T Q ...
  char capacity = 0;  // A P R O
  char intermarket_sweep = 0;  // Y N
  uint32_t minimum_quantity = 0;
  char cross_type = 0;     // N O C H S R
  char customer_type = 0;  // R N ' '
  static constexpr void fields(auto& io, auto& m) {
    io.tag(kType);
    io.alpha(m.order_token, "order_token");
    io.ch(m.side, "side");
    io.u32(m.shares, "shares");
    io.alpha(m.stock, "stock");
    io.u32(m.price, "price");
    io.u32(m.time_in_force, "time_in_force");
    io.alpha(m.firm, "firm");
    io.ch(m.display, "display");
    io.ch(m.capacity, "capacity");
    io.ch(m.intermarket_sweep, "intermarket_sweep");
    io.u32(m.minimum_quantity, "minimum_quantity");
    io.ch(m.cross_type, "cross_type");
    io.ch(m.customer_type, "customer_type");
  }
  friend bool operator==(const EnterOrder&, const EnterOrder&) = default;
};

struct ReplaceOrder {
  COLO_MESSAGE(ReplaceOrder, 'U', 47);
  Token existing_order_token;
  Token replacement_order_token;
  uint32_t shares = 0;
  uint32_t price = 0;
  uint32_t time_in_force = 0;
  char display = 0;
  char intermarket_sweep = 0;
  uint32_t minimum_quantity = 0;
  static constexpr void fields(auto& io, auto& m) {
    io.tag(kType);
    io.alpha(m.existing_order_token, "existing_order_token");
    io.alpha(m.replacement_order_token, "replacement_order_token");
    io.u32(m.shares, "shares");
    io.u32(m.price, "price");
    io.u32(m.time_in_force, "time_in_force");
    io.ch(m.display, "display");
    io.ch(m.intermarket_sweep, "intermarket_sweep");
    io.u32(m.minimum_quantity, "minimum_quantity");
  }
  friend bool operator==(const ReplaceOrder&, const ReplaceOrder&) = default;
};

struct CancelOrder {
  COLO_MESSAGE(CancelOrder, 'X', 19);
  Token order_token;
  uint32_t shares = 0;  // the new intended size: 0 cancels the whole order
  static constexpr void fields(auto& io, auto& m) {
    io.tag(kType);
    io.alpha(m.order_token, "order_token");
    io.u32(m.shares, "shares");
  }
  friend bool operator==(const CancelOrder&, const CancelOrder&) = default;
};

struct ModifyOrder {
  COLO_MESSAGE(ModifyOrder, 'M', 20);
  Token order_token;
  char side = 0;
  uint32_t shares = 0;
  static constexpr void fields(auto& io, auto& m) {
    io.tag(kType);
    io.alpha(m.order_token, "order_token");
    io.ch(m.side, "side");
    io.u32(m.shares, "shares");
  }
  friend bool operator==(const ModifyOrder&, const ModifyOrder&) = default;
};

// ---- Outbound: NASDAQ to the firm ------------------------------------------------------------

struct SystemEvent {
  COLO_MESSAGE(SystemEvent, 'S', 10);
  uint64_t timestamp = 0;
  char event_code = 0;  // S start of day, E end of day
  static constexpr void fields(auto& io, auto& m) {
    io.tag(kType);
    io.u64(m.timestamp, "timestamp");
    io.ch(m.event_code, "event_code");
  }
  friend bool operator==(const SystemEvent&, const SystemEvent&) = default;
};

struct Accepted {
  COLO_MESSAGE(Accepted, 'A', 66);
  uint64_t timestamp = 0;
  Token order_token;
  char side = 0;
  uint32_t shares = 0;
  Symbol stock;
  uint32_t price = 0;
  uint32_t time_in_force = 0;
  Firm firm;
  char display = 0;
  uint64_t order_reference_number = 0;
  char capacity = 0;
  char intermarket_sweep = 0;
  uint32_t minimum_quantity = 0;
  char cross_type = 0;
  char order_state = 0;  // L live, D dead
  char bbo_weight_indicator = 0;
  static constexpr void fields(auto& io, auto& m) {
    io.tag(kType);
    io.u64(m.timestamp, "timestamp");
    io.alpha(m.order_token, "order_token");
    io.ch(m.side, "side");
    io.u32(m.shares, "shares");
    io.alpha(m.stock, "stock");
    io.u32(m.price, "price");
    io.u32(m.time_in_force, "time_in_force");
    io.alpha(m.firm, "firm");
    io.ch(m.display, "display");
    io.u64(m.order_reference_number, "order_reference_number");
    io.ch(m.capacity, "capacity");
    io.ch(m.intermarket_sweep, "intermarket_sweep");
    io.u32(m.minimum_quantity, "minimum_quantity");
    io.ch(m.cross_type, "cross_type");
    io.ch(m.order_state, "order_state");
    io.ch(m.bbo_weight_indicator, "bbo_weight_indicator");
  }
  friend bool operator==(const Accepted&, const Accepted&) = default;
};

struct Replaced {
  COLO_MESSAGE(Replaced, 'U', 80);
  uint64_t timestamp = 0;
  Token replacement_order_token;
  char side = 0;
  uint32_t shares = 0;
  Symbol stock;
  uint32_t price = 0;
  uint32_t time_in_force = 0;
  Firm firm;
  char display = 0;
  uint64_t order_reference_number = 0;
  char capacity = 0;
  char intermarket_sweep = 0;
  uint32_t minimum_quantity = 0;
  char cross_type = 0;
  char order_state = 0;
  Token previous_order_token;
  char bbo_weight_indicator = 0;
  static constexpr void fields(auto& io, auto& m) {
    io.tag(kType);
    io.u64(m.timestamp, "timestamp");
    io.alpha(m.replacement_order_token, "replacement_order_token");
    io.ch(m.side, "side");
    io.u32(m.shares, "shares");
    io.alpha(m.stock, "stock");
    io.u32(m.price, "price");
    io.u32(m.time_in_force, "time_in_force");
    io.alpha(m.firm, "firm");
    io.ch(m.display, "display");
    io.u64(m.order_reference_number, "order_reference_number");
    io.ch(m.capacity, "capacity");
    io.ch(m.intermarket_sweep, "intermarket_sweep");
    io.u32(m.minimum_quantity, "minimum_quantity");
    io.ch(m.cross_type, "cross_type");
    io.ch(m.order_state, "order_state");
    io.alpha(m.previous_order_token, "previous_order_token");
    io.ch(m.bbo_weight_indicator, "bbo_weight_indicator");
  }
  friend bool operator==(const Replaced&, const Replaced&) = default;
};

struct Canceled {
  COLO_MESSAGE(Canceled, 'C', 28);
  uint64_t timestamp = 0;
  Token order_token;
  uint32_t decrement_shares = 0;
  char reason = 0;  // U I T S D Q Z ...
  static constexpr void fields(auto& io, auto& m) {
    io.tag(kType);
    io.u64(m.timestamp, "timestamp");
    io.alpha(m.order_token, "order_token");
    io.u32(m.decrement_shares, "decrement_shares");
    io.ch(m.reason, "reason");
  }
  friend bool operator==(const Canceled&, const Canceled&) = default;
};

struct AiqCanceled {
  COLO_MESSAGE(AiqCanceled, 'D', 37);
  uint64_t timestamp = 0;
  Token order_token;
  uint32_t decrement_shares = 0;
  char reason = 0;
  uint32_t quantity_prevented_from_trading = 0;
  uint32_t execution_price = 0;
  char liquidity_flag = 0;
  static constexpr void fields(auto& io, auto& m) {
    io.tag(kType);
    io.u64(m.timestamp, "timestamp");
    io.alpha(m.order_token, "order_token");
    io.u32(m.decrement_shares, "decrement_shares");
    io.ch(m.reason, "reason");
    io.u32(m.quantity_prevented_from_trading, "quantity_prevented_from_trading");
    io.u32(m.execution_price, "execution_price");
    io.ch(m.liquidity_flag, "liquidity_flag");
  }
  friend bool operator==(const AiqCanceled&, const AiqCanceled&) = default;
};

struct Executed {
  COLO_MESSAGE(Executed, 'E', 40);
  uint64_t timestamp = 0;
  Token order_token;
  uint32_t executed_shares = 0;
  uint32_t execution_price = 0;
  char liquidity_flag = 0;
  uint64_t match_number = 0;
  static constexpr void fields(auto& io, auto& m) {
    io.tag(kType);
    io.u64(m.timestamp, "timestamp");
    io.alpha(m.order_token, "order_token");
    io.u32(m.executed_shares, "executed_shares");
    io.u32(m.execution_price, "execution_price");
    io.ch(m.liquidity_flag, "liquidity_flag");
    io.u64(m.match_number, "match_number");
  }
  friend bool operator==(const Executed&, const Executed&) = default;
};

struct BrokenTrade {
  COLO_MESSAGE(BrokenTrade, 'B', 32);
  uint64_t timestamp = 0;
  Token order_token;
  uint64_t match_number = 0;
  char reason = 0;  // E C S X
  static constexpr void fields(auto& io, auto& m) {
    io.tag(kType);
    io.u64(m.timestamp, "timestamp");
    io.alpha(m.order_token, "order_token");
    io.u64(m.match_number, "match_number");
    io.ch(m.reason, "reason");
  }
  friend bool operator==(const BrokenTrade&, const BrokenTrade&) = default;
};

struct Rejected {
  COLO_MESSAGE(Rejected, 'J', 24);
  uint64_t timestamp = 0;
  Token order_token;
  char reason = 0;
  static constexpr void fields(auto& io, auto& m) {
    io.tag(kType);
    io.u64(m.timestamp, "timestamp");
    io.alpha(m.order_token, "order_token");
    io.ch(m.reason, "reason");
  }
  friend bool operator==(const Rejected&, const Rejected&) = default;
};

struct CancelPending {
  COLO_MESSAGE(CancelPending, 'P', 23);
  uint64_t timestamp = 0;
  Token order_token;
  static constexpr void fields(auto& io, auto& m) {
    io.tag(kType);
    io.u64(m.timestamp, "timestamp");
    io.alpha(m.order_token, "order_token");
  }
  friend bool operator==(const CancelPending&, const CancelPending&) = default;
};

struct CancelReject {
  COLO_MESSAGE(CancelReject, 'I', 23);
  uint64_t timestamp = 0;
  Token order_token;
  static constexpr void fields(auto& io, auto& m) {
    io.tag(kType);
    io.u64(m.timestamp, "timestamp");
    io.alpha(m.order_token, "order_token");
  }
  friend bool operator==(const CancelReject&, const CancelReject&) = default;
};

struct OrderPriorityUpdate {
  COLO_MESSAGE(OrderPriorityUpdate, 'T', 36);
  uint64_t timestamp = 0;
  Token order_token;
  uint32_t price = 0;
  char display = 0;
  uint64_t order_reference_number = 0;
  static constexpr void fields(auto& io, auto& m) {
    io.tag(kType);
    io.u64(m.timestamp, "timestamp");
    io.alpha(m.order_token, "order_token");
    io.u32(m.price, "price");
    io.ch(m.display, "display");
    io.u64(m.order_reference_number, "order_reference_number");
  }
  friend bool operator==(const OrderPriorityUpdate&, const OrderPriorityUpdate&) = default;
};

struct OrderModified {
  COLO_MESSAGE(OrderModified, 'M', 28);
  uint64_t timestamp = 0;
  Token order_token;
  char side = 0;
  uint32_t shares = 0;
  static constexpr void fields(auto& io, auto& m) {
    io.tag(kType);
    io.u64(m.timestamp, "timestamp");
    io.alpha(m.order_token, "order_token");
    io.ch(m.side, "side");
    io.u32(m.shares, "shares");
  }
  friend bool operator==(const OrderModified&, const OrderModified&) = default;
};

using Inbound = std::variant<EnterOrder, ReplaceOrder, CancelOrder, ModifyOrder>;
using Outbound = std::variant<SystemEvent, Accepted, Replaced, Canceled, AiqCanceled, Executed,
                              BrokenTrade, Rejected, CancelPending, CancelReject,
                              OrderPriorityUpdate, OrderModified>;

constexpr size_t kMaxInboundLength = 49;
constexpr size_t kMaxOutboundLength = 80;
constexpr size_t kMaxMessageLength = 80;


// The spec length of a type byte in each direction, 0 for a type OUCH 4.2 does not define.
size_t inbound_length(uint8_t type);
size_t outbound_length(uint8_t type);

// Decodes one message occupying exactly `len` bytes (a SoupBinTCP payload).
DecodeStatus decode_inbound(const uint8_t* p, size_t len, Inbound& out);
DecodeStatus decode_outbound(const uint8_t* p, size_t len, Outbound& out);

// Encode into `out` (at least kMaxMessageLength bytes); return the bytes written.
size_t encode(const Inbound& m, uint8_t* out);
size_t encode(const Outbound& m, uint8_t* out);

// Call handler(const T&) with the typed message, without building a variant. The handler is
// called only for kOk.
template <class Handler>
inline DecodeStatus dispatch_inbound(const uint8_t* p, size_t len, Handler&& handler) {
  if (len == 0) return DecodeStatus::kEmpty;
  switch (p[0]) {
    case 'O': return read_exact<EnterOrder>(p, len, handler);
    case 'U': return read_exact<ReplaceOrder>(p, len, handler);
    case 'X': return read_exact<CancelOrder>(p, len, handler);
    case 'M': return read_exact<ModifyOrder>(p, len, handler);
    default: return DecodeStatus::kUnknownType;
  }
}

template <class Handler>
inline DecodeStatus dispatch_outbound(const uint8_t* p, size_t len, Handler&& handler) {
  if (len == 0) return DecodeStatus::kEmpty;
  switch (p[0]) {
    case 'S': return read_exact<SystemEvent>(p, len, handler);
    case 'A': return read_exact<Accepted>(p, len, handler);
    case 'U': return read_exact<Replaced>(p, len, handler);
    case 'C': return read_exact<Canceled>(p, len, handler);
    case 'D': return read_exact<AiqCanceled>(p, len, handler);
    case 'E': return read_exact<Executed>(p, len, handler);
    case 'B': return read_exact<BrokenTrade>(p, len, handler);
    case 'J': return read_exact<Rejected>(p, len, handler);
    case 'P': return read_exact<CancelPending>(p, len, handler);
    case 'I': return read_exact<CancelReject>(p, len, handler);
    case 'T': return read_exact<OrderPriorityUpdate>(p, len, handler);
    case 'M': return read_exact<OrderModified>(p, len, handler);
    default: return DecodeStatus::kUnknownType;
  }
}

}  // namespace colo::ouch42
