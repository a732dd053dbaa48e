// NASDAQ TotalView-ITCH 5.0: every message type of the specification, decoded and encoded
// through one field list per type (colo/wire.h). Integers are big-endian; timestamps are
// 48-bit nanoseconds since midnight; Price(4) has 4 implied decimals, Price(8) has 8; stock
// symbols are 8 characters, space-padded. Each length below is the spec's and is checked
// against the field list at compile time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "colo/wire.h"

namespace colo::itch {

// Stock Locate, Tracking Number and Timestamp: bytes 1..10 of every message.
struct Header {
  uint16_t stock_locate = 0;
  uint16_t tracking_number = 0;
  uint64_t timestamp = 0;  // ns since midnight, 48 bits on the wire
  friend bool operator==(const Header&, const Header&) = default;
};

#define COLO_ITCH_HEADER(io, m) \
  io.tag(kType);                \
  io.u16(m.h.stock_locate, "stock_locate");     \
  io.u16(m.h.tracking_number, "tracking_number");  \
  io.u48(m.h.timestamp, "timestamp")

struct SystemEvent {
  COLO_MESSAGE(SystemEvent, 'S', 12);
  Header h;
  char event_code = 0;  // O S Q M E C
  static constexpr void fields(auto& io, auto& m) {
    COLO_ITCH_HEADER(io, m);
    io.ch(m.event_code, "event_code");
  }
  friend bool operator==(const SystemEvent&, const SystemEvent&) = default;
};

struct StockDirectory {
  COLO_MESSAGE(StockDirectory, 'R', 39);
  Header h;
  Symbol stock;
  char market_category = 0;
  char financial_status = 0;
  uint32_t round_lot_size = 0;
  char round_lots_only = 0;
  char issue_classification = 0;
  Alpha<2> issue_sub_type;
  char authenticity = 0;
  char short_sale_threshold = 0;
  char ipo_flag = 0;
  char luld_reference_price_tier = 0;
  char etp_flag = 0;
  uint32_t etp_leverage_factor = 0;
  char inverse_indicator = 0;
  static constexpr void fields(auto& io, auto& m) {
    COLO_ITCH_HEADER(io, m);
    io.alpha(m.stock, "stock");
    io.ch(m.market_category, "market_category");
    io.ch(m.financial_status, "financial_status");
    io.u32(m.round_lot_size, "round_lot_size");
    io.ch(m.round_lots_only, "round_lots_only");
    io.ch(m.issue_classification, "issue_classification");
    io.alpha(m.issue_sub_type, "issue_sub_type");
    io.ch(m.authenticity, "authenticity");
    io.ch(m.short_sale_threshold, "short_sale_threshold");
    io.ch(m.ipo_flag, "ipo_flag");
    io.ch(m.luld_reference_price_tier, "luld_reference_price_tier");
    io.ch(m.etp_flag, "etp_flag");
    io.u32(m.etp_leverage_factor, "etp_leverage_factor");
    io.ch(m.inverse_indicator, "inverse_indicator");
  }
  friend bool operator==(const StockDirectory&, const StockDirectory&) = default;
};

struct StockTradingAction {
  COLO_MESSAGE(StockTradingAction, 'H', 25);
  Header h;
  Symbol stock;
  char trading_state = 0;  // H P Q T
  char reserved = 0;
  Alpha<4> reason;
  static constexpr void fields(auto& io, auto& m) {
    COLO_ITCH_HEADER(io, m);
    io.alpha(m.stock, "stock");
    io.ch(m.trading_state, "trading_state");
    io.ch(m.reserved, "reserved");
    io.alpha(m.reason, "reason");
  }
  friend bool operator==(const StockTradingAction&, const StockTradingAction&) = default;
};

struct RegShoRestriction {
  COLO_MESSAGE(RegShoRestriction, 'Y', 20);
  Header h;
  Symbol stock;
  char reg_sho_action = 0;  // 0 1 2
  static constexpr void fields(auto& io, auto& m) {
    COLO_ITCH_HEADER(io, m);
    io.alpha(m.stock, "stock");
    io.ch(m.reg_sho_action, "reg_sho_action");
  }
  friend bool operator==(const RegShoRestriction&, const RegShoRestriction&) = default;
};

struct MarketParticipantPosition {
  COLO_MESSAGE(MarketParticipantPosition, 'L', 26);
  Header h;
  Alpha<4> mpid;
  Symbol stock;
  char primary_market_maker = 0;
  char market_maker_mode = 0;
  char market_participant_state = 0;
  static constexpr void fields(auto& io, auto& m) {
    COLO_ITCH_HEADER(io, m);
    io.alpha(m.mpid, "mpid");
    io.alpha(m.stock, "stock");
    io.ch(m.primary_market_maker, "primary_market_maker");
    io.ch(m.market_maker_mode, "market_maker_mode");
    io.ch(m.market_participant_state, "market_participant_state");
  }
  friend bool operator==(const MarketParticipantPosition&, const MarketParticipantPosition&) =
      default;
};

struct MwcbDeclineLevel {
  COLO_MESSAGE(MwcbDeclineLevel, 'V', 35);
  Header h;
  uint64_t level1 = 0;  // Price(8)
  uint64_t level2 = 0;
  uint64_t level3 = 0;
  static constexpr void fields(auto& io, auto& m) {
    COLO_ITCH_HEADER(io, m);
    io.u64(m.level1, "level1");
    io.u64(m.level2, "level2");
    io.u64(m.level3, "level3");
  }
  friend bool operator==(const MwcbDeclineLevel&, const MwcbDeclineLevel&) = default;
};

struct MwcbStatus {
  COLO_MESSAGE(MwcbStatus, 'W', 12);
  Header h;
  char breached_level = 0;  // 1 2 3
  static constexpr void fields(auto& io, auto& m) {
    COLO_ITCH_HEADER(io, m);
    io.ch(m.breached_level, "breached_level");
  }
  friend bool operator==(const MwcbStatus&, const MwcbStatus&) = default;
};

struct IpoQuotingPeriod {
  COLO_MESSAGE(IpoQuotingPeriod, 'K', 28);
  Header h;
  Symbol stock;
  uint32_t release_time = 0;  // seconds since midnight
  char release_qualifier = 0;
  uint32_t ipo_price = 0;  // Price(4)
  static constexpr void fields(auto& io, auto& m) {
    COLO_ITCH_HEADER(io, m);
    io.alpha(m.stock, "stock");
    io.u32(m.release_time, "release_time");
    io.ch(m.release_qualifier, "release_qualifier");
    io.u32(m.ipo_price, "ipo_price");
  }
  friend bool operator==(const IpoQuotingPeriod&, const IpoQuotingPeriod&) = default;
};

struct LuldAuctionCollar {
  COLO_MESSAGE(LuldAuctionCollar, 'J', 35);
  Header h;
  Symbol stock;
  uint32_t reference_price = 0;  // Price(4)
  uint32_t upper_price = 0;
  uint32_t lower_price = 0;
  uint32_t extension = 0;
  static constexpr void fields(auto& io, auto& m) {
    COLO_ITCH_HEADER(io, m);
    io.alpha(m.stock, "stock");
    io.u32(m.reference_price, "reference_price");
    io.u32(m.upper_price, "upper_price");
    io.u32(m.lower_price, "lower_price");
    io.u32(m.extension, "extension");
  }
  friend bool operator==(const LuldAuctionCollar&, const LuldAuctionCollar&) = default;
};

struct OperationalHalt {
  COLO_MESSAGE(OperationalHalt, 'h', 21);
  Header h;
  Symbol stock;
  char market_code = 0;  // Q B X
  char action = 0;       // H T
  static constexpr void fields(auto& io, auto& m) {
    COLO_ITCH_HEADER(io, m);
    io.alpha(m.stock, "stock");
    io.ch(m.market_code, "market_code");
    io.ch(m.action, "action");
  }
  friend bool operator==(const OperationalHalt&, const OperationalHalt&) = default;
};

struct AddOrder {
  COLO_MESSAGE(AddOrder, 'A', 36);
  Header h;
  uint64_t order_ref = 0;
  char side = 0;  // B S
  uint32_t shares = 0;
  Symbol stock;
  uint32_t price = 0;  // Price(4)
  static constexpr void fields(auto& io, auto& m) {
    COLO_ITCH_HEADER(io, m);
    io.u64(m.order_ref, "order_ref");
    io.ch(m.side, "side");
    io.u32(m.shares, "shares");
    io.alpha(m.stock, "stock");
    io.u32(m.price, "price");
  }
  friend bool operator==(const AddOrder&, const AddOrder&) = default;
};

struct AddOrderMpid {
  COLO_MESSAGE(AddOrderMpid, 'F', 40);
  Header h;
  uint64_t order_ref = 0;
  char side = 0;
  uint32_t shares = 0;
  Symbol stock;
  uint32_t price = 0;
  Alpha<4> attribution;
  static constexpr void fields(auto& io, auto& m) {
    COLO_ITCH_HEADER(io, m);
    io.u64(m.order_ref, "order_ref");
    io.ch(m.side, "side");
    io.u32(m.shares, "shares");
    io.alpha(m.stock, "stock");
    io.u32(m.price, "price");
    io.alpha(m.attribution, "attribution");
  }
  friend bool operator==(const AddOrderMpid&, const AddOrderMpid&) = default;
};

struct OrderExecuted {
  COLO_MESSAGE(OrderExecuted, 'E', 31);
  Header h;
  uint64_t order_ref = 0;
  uint32_t executed_shares = 0;
  uint64_t match_number = 0;
  static constexpr void fields(auto& io, auto& m) {
    COLO_ITCH_HEADER(io, m);
    io.u64(m.order_ref, "order_ref");
    io.u32(m.executed_shares, "executed_shares");
    io.u64(m.match_number, "match_number");
  }
  friend bool operator==(const OrderExecuted&, const OrderExecuted&) = default;
};

struct OrderExecutedWithPrice {
  COLO_MESSAGE(OrderExecutedWithPrice, 'C', 36);
  Header h;
  uint64_t order_ref = 0;
  uint32_t executed_shares = 0;
  uint64_t match_number = 0;
  char printable = 0;  // Y N
  uint32_t execution_price = 0;
  static constexpr void fields(auto& io, auto& m) {
    COLO_ITCH_HEADER(io, m);
    io.u64(m.order_ref, "order_ref");
    io.u32(m.executed_shares, "executed_shares");
    io.u64(m.match_number, "match_number");
    io.ch(m.printable, "printable");
    io.u32(m.execution_price, "execution_price");
  }
  friend bool operator==(const OrderExecutedWithPrice&, const OrderExecutedWithPrice&) = default;
};

struct OrderCancel {
  COLO_MESSAGE(OrderCancel, 'X', 23);
  Header h;
  uint64_t order_ref = 0;
  uint32_t cancelled_shares = 0;
  static constexpr void fields(auto& io, auto& m) {
    COLO_ITCH_HEADER(io, m);
    io.u64(m.order_ref, "order_ref");
    io.u32(m.cancelled_shares, "cancelled_shares");
  }
  friend bool operator==(const OrderCancel&, const OrderCancel&) = default;
};

struct OrderDelete {
  COLO_MESSAGE(OrderDelete, 'D', 19);
  Header h;
  uint64_t order_ref = 0;
  static constexpr void fields(auto& io, auto& m) {
    COLO_ITCH_HEADER(io, m);
    io.u64(m.order_ref, "order_ref");
  }
  friend bool operator==(const OrderDelete&, const OrderDelete&) = default;
};

struct OrderReplace {
  COLO_MESSAGE(OrderReplace, 'U', 35);
  Header h;
  uint64_t original_order_ref = 0;
  uint64_t new_order_ref = 0;
  uint32_t shares = 0;
  uint32_t price = 0;
  static constexpr void fields(auto& io, auto& m) {
    COLO_ITCH_HEADER(io, m);
    io.u64(m.original_order_ref, "original_order_ref");
    io.u64(m.new_order_ref, "new_order_ref");
    io.u32(m.shares, "shares");
    io.u32(m.price, "price");
  }
  friend bool operator==(const OrderReplace&, const OrderReplace&) = default;
};

struct TradeNonCross {
  COLO_MESSAGE(TradeNonCross, 'P', 44);
  Header h;
  uint64_t order_ref = 0;
  char side = 0;
  uint32_t shares = 0;
  Symbol stock;
  uint32_t price = 0;
  uint64_t match_number = 0;
  static constexpr void fields(auto& io, auto& m) {
    COLO_ITCH_HEADER(io, m);
    io.u64(m.order_ref, "order_ref");
    io.ch(m.side, "side");
    io.u32(m.shares, "shares");
    io.alpha(m.stock, "stock");
    io.u32(m.price, "price");
    io.u64(m.match_number, "match_number");
  }
  friend bool operator==(const TradeNonCross&, const TradeNonCross&) = default;
};

struct CrossTrade {
  COLO_MESSAGE(CrossTrade, 'Q', 40);
  Header h;
  uint64_t shares = 0;
  Symbol stock;
  uint32_t cross_price = 0;
  uint64_t match_number = 0;
  char cross_type = 0;  // O C H I
  static constexpr void fields(auto& io, auto& m) {
    COLO_ITCH_HEADER(io, m);
    io.u64(m.shares, "shares");
    io.alpha(m.stock, "stock");
    io.u32(m.cross_price, "cross_price");
    io.u64(m.match_number, "match_number");
    io.ch(m.cross_type, "cross_type");
  }
  friend bool operator==(const CrossTrade&, const CrossTrade&) = default;
};

struct BrokenTrade {
  COLO_MESSAGE(BrokenTrade, 'B', 19);
  Header h;
  uint64_t match_number = 0;
  static constexpr void fields(auto& io, auto& m) {
    COLO_ITCH_HEADER(io, m);
    io.u64(m.match_number, "match_number");
  }
  friend bool operator==(const BrokenTrade&, const BrokenTrade&) = default;
};

struct Noii {
  COLO_MESSAGE(Noii, 'I', 50);
  Header h;
  uint64_t paired_shares = 0;
  uint64_t imbalance_shares = 0;
  char imbalance_direction = 0;  // B S N O P
  Symbol stock;
  uint32_t far_price = 0;
  uint32_t near_price = 0;
  uint32_t current_reference_price = 0;
  char cross_type = 0;
  char price_variation_indicator = 0;
  static constexpr void fields(auto& io, auto& m) {
    COLO_ITCH_HEADER(io, m);
    io.u64(m.paired_shares, "paired_shares");
    io.u64(m.imbalance_shares, "imbalance_shares");
    io.ch(m.imbalance_direction, "imbalance_direction");
    io.alpha(m.stock, "stock");
    io.u32(m.far_price, "far_price");
    io.u32(m.near_price, "near_price");
    io.u32(m.current_reference_price, "current_reference_price");
    io.ch(m.cross_type, "cross_type");
    io.ch(m.price_variation_indicator, "price_variation_indicator");
  }
  friend bool operator==(const Noii&, const Noii&) = default;
};

struct Rpii {
  COLO_MESSAGE(Rpii, 'N', 20);
  Header h;
  Symbol stock;
  char interest_flag = 0;  // B S A N
  static constexpr void fields(auto& io, auto& m) {
    COLO_ITCH_HEADER(io, m);
    io.alpha(m.stock, "stock");
    io.ch(m.interest_flag, "interest_flag");
  }
  friend bool operator==(const Rpii&, const Rpii&) = default;
};

// Direct Listing with Capital Raise Price Discovery ('O').
struct DirectListingPriceDiscovery {
  COLO_MESSAGE(DirectListingPriceDiscovery, 'O', 48);
  Header h;
  Symbol stock;
  char open_eligibility_status = 0;  // N Y
  uint32_t minimum_allowable_price = 0;
  uint32_t maximum_allowable_price = 0;
  uint32_t near_execution_price = 0;
  uint64_t near_execution_time = 0;  // ns since midnight
  uint32_t lower_price_range_collar = 0;
  uint32_t upper_price_range_collar = 0;
  static constexpr void fields(auto& io, auto& m) {
    COLO_ITCH_HEADER(io, m);
    io.alpha(m.stock, "stock");
    io.ch(m.open_eligibility_status, "open_eligibility_status");
    io.u32(m.minimum_allowable_price, "minimum_allowable_price");
    io.u32(m.maximum_allowable_price, "maximum_allowable_price");
    io.u32(m.near_execution_price, "near_execution_price");
    io.u64(m.near_execution_time, "near_execution_time");
    io.u32(m.lower_price_range_collar, "lower_price_range_collar");
    io.u32(m.upper_price_range_collar, "upper_price_range_collar");
  }
  friend bool operator==(const DirectListingPriceDiscovery&,
                         const DirectListingPriceDiscovery&) = default;
};

#undef COLO_ITCH_HEADER

using Message =
    std::variant<SystemEvent, StockDirectory, StockTradingAction, RegShoRestriction,
                 MarketParticipantPosition, MwcbDeclineLevel, MwcbStatus, IpoQuotingPeriod,
                 LuldAuctionCollar, OperationalHalt, AddOrder, AddOrderMpid, OrderExecuted,
                 OrderExecutedWithPrice, OrderCancel, OrderDelete, OrderReplace, TradeNonCross,
                 CrossTrade, BrokenTrade, Noii, Rpii, DirectListingPriceDiscovery>;

constexpr size_t kMessageTypeCount = std::variant_size_v<Message>;

// The Stock Directory entry of an ordinary NASDAQ common stock (category Q, round lot 100, no
// flags): what the simulator, the venue and tests announce a symbol with.
StockDirectory common_stock(uint16_t locate, uint16_t tracking, uint64_t timestamp, std::string_view symbol);
constexpr size_t kMaxMessageLength = 50;

// The spec length of a message type byte, 0 for a type ITCH 5.0 does not define.
size_t message_length(uint8_t type);
// The index of a type byte in Message (its alternative), or -1.
int message_index(uint8_t type);
// The type byte of Message alternative `index`.
char message_type_at(size_t index);
std::string_view message_name_at(size_t index);


// Decodes one message that occupies exactly `len` bytes (a framed message: MoldUDP64 block,
// SoupBinTCP payload, or a record of a length-prefixed file).
DecodeStatus decode(const uint8_t* p, size_t len, Message& out);

// Encodes into `out` (at least kMaxMessageLength bytes); returns the bytes written.
size_t encode(const Message& m, uint8_t* out);

// Calls handler(const T&) with the typed message, without building a variant: the hot path.
// Returns the status; the handler is called only for kOk.
template <class Handler>
inline DecodeStatus dispatch(const uint8_t* p, size_t len, Handler&& handler) {
  if (len == 0) return DecodeStatus::kEmpty;
  auto go = [&]<class M>() { return read_exact<M>(p, len, handler); };
  switch (p[0]) {
    case 'S': return go.template operator()<SystemEvent>();
    case 'R': return go.template operator()<StockDirectory>();
    case 'H': return go.template operator()<StockTradingAction>();
    case 'Y': return go.template operator()<RegShoRestriction>();
    case 'L': return go.template operator()<MarketParticipantPosition>();
    case 'V': return go.template operator()<MwcbDeclineLevel>();
    case 'W': return go.template operator()<MwcbStatus>();
    case 'K': return go.template operator()<IpoQuotingPeriod>();
    case 'J': return go.template operator()<LuldAuctionCollar>();
    case 'h': return go.template operator()<OperationalHalt>();
    case 'A': return go.template operator()<AddOrder>();
    case 'F': return go.template operator()<AddOrderMpid>();
    case 'E': return go.template operator()<OrderExecuted>();
    case 'C': return go.template operator()<OrderExecutedWithPrice>();
    case 'X': return go.template operator()<OrderCancel>();
    case 'D': return go.template operator()<OrderDelete>();
    case 'U': return go.template operator()<OrderReplace>();
    case 'P': return go.template operator()<TradeNonCross>();
    case 'Q': return go.template operator()<CrossTrade>();
    case 'B': return go.template operator()<BrokenTrade>();
    case 'I': return go.template operator()<Noii>();
    case 'N': return go.template operator()<Rpii>();
    case 'O': return go.template operator()<DirectListingPriceDiscovery>();
    default: return DecodeStatus::kUnknownType;
  }
}

}  // namespace colo::itch
