#include "colo/ouch42.h"

#include <array>
#include <utility>

namespace colo::ouch42 {
namespace {

template <class Variant, size_t... I>
constexpr bool all_lengths_match(std::index_sequence<I...>) {
  return ((wire_size<std::variant_alternative_t<I, Variant>>() ==
           std::variant_alternative_t<I, Variant>::kLength) &&
          ...);
}
static_assert(all_lengths_match<Inbound>(std::make_index_sequence<std::variant_size_v<Inbound>>{}),
              "an OUCH inbound field list disagrees with the spec length of its message");
static_assert(all_lengths_match<Outbound>(std::make_index_sequence<std::variant_size_v<Outbound>>{}),
              "an OUCH outbound field list disagrees with the spec length of its message");

template <class Variant, size_t... I>
constexpr std::array<uint8_t, 256> make_lengths(std::index_sequence<I...>) {
  std::array<uint8_t, 256> t{};
  ((t[uint8_t(std::variant_alternative_t<I, Variant>::kType)] =
        uint8_t(std::variant_alternative_t<I, Variant>::kLength)),
   ...);
  return t;
}
constexpr auto kInboundLengths =
    make_lengths<Inbound>(std::make_index_sequence<std::variant_size_v<Inbound>>{});
constexpr auto kOutboundLengths =
    make_lengths<Outbound>(std::make_index_sequence<std::variant_size_v<Outbound>>{});

}  // namespace

size_t inbound_length(uint8_t type) { return kInboundLengths[type]; }
size_t outbound_length(uint8_t type) { return kOutboundLengths[type]; }

DecodeStatus decode_inbound(const uint8_t* p, size_t len, Inbound& out) {
  return dispatch_inbound(p, len, [&](const auto& m) { out = m; });
}
DecodeStatus decode_outbound(const uint8_t* p, size_t len, Outbound& out) {
  return dispatch_outbound(p, len, [&](const auto& m) { out = m; });
}

size_t encode(const Inbound& m, uint8_t* out) {
  return std::visit([&](const auto& v) { return write_wire(v, out); }, m);
}
size_t encode(const Outbound& m, uint8_t* out) {
  return std::visit([&](const auto& v) { return write_wire(v, out); }, m);
}

}  // namespace colo::ouch42
