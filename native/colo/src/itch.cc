#include "colo/itch.h"

#include <array>

namespace colo::itch {
namespace {

template <class M>
constexpr bool length_matches_spec() {
  return wire_size<M>() == M::kLength;
}

template <size_t... I>
constexpr bool all_lengths_match(std::index_sequence<I...>) {
  return (length_matches_spec<std::variant_alternative_t<I, Message>>() && ...);
}
static_assert(all_lengths_match(std::make_index_sequence<kMessageTypeCount>{}),
              "an ITCH field list disagrees with the spec length of its message");

struct TypeTable {
  std::array<int8_t, 256> index{};
  std::array<uint8_t, 256> length{};
  std::array<char, kMessageTypeCount> type{};
  std::array<std::string_view, kMessageTypeCount> name{};
};

template <size_t... I>
constexpr TypeTable make_table(std::index_sequence<I...>) {
  TypeTable t;
  t.index.fill(-1);
  ((t.index[uint8_t(std::variant_alternative_t<I, Message>::kType)] = int8_t(I),
    t.length[uint8_t(std::variant_alternative_t<I, Message>::kType)] =
        uint8_t(std::variant_alternative_t<I, Message>::kLength),
    t.type[I] = std::variant_alternative_t<I, Message>::kType,
    t.name[I] = std::variant_alternative_t<I, Message>::kName),
   ...);
  return t;
}
constexpr TypeTable kTable = make_table(std::make_index_sequence<kMessageTypeCount>{});

}  // namespace

size_t message_length(uint8_t type) { return kTable.length[type]; }
int message_index(uint8_t type) { return kTable.index[type]; }
char message_type_at(size_t index) { return kTable.type[index]; }
std::string_view message_name_at(size_t index) { return kTable.name[index]; }

DecodeStatus decode(const uint8_t* p, size_t len, Message& out) {
  return dispatch(p, len, [&](const auto& m) { out = m; });
}

size_t encode(const Message& m, uint8_t* out) {
  return std::visit([&](const auto& v) { return write_wire(v, out); }, m);
}

StockDirectory common_stock(uint16_t locate, uint16_t tracking, uint64_t timestamp, std::string_view symbol) {
  StockDirectory d;
  d.h = Header{locate, tracking, timestamp};
  d.stock = Symbol::of(symbol);
  d.market_category = 'Q';
  d.financial_status = 'N';
  d.round_lot_size = 100;
  d.round_lots_only = 'N';
  d.issue_classification = 'C';
  d.issue_sub_type = Alpha<2>::of("Z");
  d.authenticity = 'P';
  d.short_sale_threshold = 'N';
  d.ipo_flag = 'N';
  d.luld_reference_price_tier = '1';
  d.etp_flag = 'N';
  d.inverse_indicator = 'N';
  return d;
}

}  // namespace colo::itch
