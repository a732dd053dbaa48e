// The Order → OUCH 4.2 mapping for JS: orderToOuch(order, config?) → { ok, bytes | error }, its
// positional form encodeOrder(out, ...fields) for the live path, and ouchToken(orderId). The
// execution sink of the venue issue sends these bytes over SoupBinTCP.
#include <napi.h>

#include <cmath>
#include <string>
#include <utility>

#include "colo/order_entry.h"

namespace {

namespace oe = colo::order_entry;

// The Order fields JS gives, in the order they are read (the first bad one is the one reported):
// by name from an object (orderToOuch), or as arguments in this order (encodeOrder).
constexpr const char* kFields[] = {"order_id", "symbol",    "side",        "action",      "time_in_force",
                                   "order_type", "qty",     "ref_price",   "limit_price", "target_order_id"};
enum Field { kOrderId, kSymbol, kSide, kAction, kTif, kType, kQty, kRefPrice, kLimitPrice, kTarget };

Napi::TypeError bad(Napi::Env env, Field f, const std::string& what) {
  return Napi::TypeError::New(env, std::string("orderToOuch: order.") + kFields[f] + " " + what);
}

// An enum field: its name (orderToOuch) or its index in `options` (encodeOrder, `indexed`); absent,
// the first option.
template <class E, size_t N>
E choice(Napi::Env env, Napi::Value v, Field f, const std::pair<const char*, E> (&options)[N], bool indexed) {
  if (v.IsUndefined()) return options[0].second;
  if (indexed && v.IsNumber()) {
    const double d = v.As<Napi::Number>().DoubleValue();
    if (d >= 0 && d < double(N) && d == std::floor(d)) return options[size_t(d)].second;
  } else if (!indexed && v.IsString()) {
    const std::string s = v.As<Napi::String>().Utf8Value();
    for (const auto& [name, value] : options)
      if (s == name) return value;
  }
  std::string accepted;
  for (const auto& [name, value] : options) accepted += (accepted.empty() ? "" : ", ") + std::string(name);
  throw bad(env, f, "must be one of " + accepted);
}

constexpr std::pair<const char*, oe::Side> kSides[] = {{"BUY", oe::Side::kBuy}, {"SELL", oe::Side::kSell}};
constexpr std::pair<const char*, oe::Action> kActions[] = {
    {"NEW", oe::Action::kNew}, {"CANCEL", oe::Action::kCancel}, {"REPLACE", oe::Action::kReplace}};
constexpr std::pair<const char*, oe::TimeInForce> kTifs[] = {{"DAY", oe::TimeInForce::kDay}, {"IOC", oe::TimeInForce::kIoc}};
constexpr std::pair<const char*, oe::OrderType> kTypes[] = {{"MARKET", oe::OrderType::kMarket}, {"LIMIT", oe::OrderType::kLimit}};

// The order from `field(f)`, each field checked; a TypeError names the first bad one.
template <class Get>
oe::Order read_order(Napi::Env env, Get field, bool indexed) {
  auto text = [&](Field f, bool required) -> std::string {
    Napi::Value v = field(f);
    if (v.IsString()) return v.As<Napi::String>().Utf8Value();
    if (!required && (v.IsUndefined() || v.IsNull())) return {};
    throw bad(env, f, "must be a string");
  };
  auto number = [&](Field f) {
    Napi::Value v = field(f);
    if (!v.IsNumber()) throw bad(env, f, "must be a number");
    return v.As<Napi::Number>().DoubleValue();
  };
  oe::Order order;
  order.order_id = text(kOrderId, true);
  order.symbol = text(kSymbol, false);
  order.side = choice(env, field(kSide), kSide, kSides, indexed);
  order.action = choice(env, field(kAction), kAction, kActions, indexed);
  order.time_in_force = choice(env, field(kTif), kTif, kTifs, indexed);
  order.order_type = choice(env, field(kType), kType, kTypes, indexed);
  if (order.action != oe::Action::kCancel) {
    order.qty = number(kQty);
    order.ref_price = number(kRefPrice);
    Napi::Value limit = field(kLimitPrice);
    if (limit.IsNumber()) order.limit_price = limit.As<Napi::Number>().DoubleValue();
  }
  order.target_order_id = text(kTarget, false);
  return order;
}

// The mapping, with the market collar when `collar` is a number.
oe::Mapped map_order(Napi::Env env, const oe::Order& order, Napi::Value collar) {
  oe::Config config;
  if (collar.IsNumber()) {
    config.market_collar = collar.As<Napi::Number>().DoubleValue();
    if (!(config.market_collar > 0 && config.market_collar < 1))
      throw Napi::TypeError::New(env, "orderToOuch: config.market_collar must be a fraction in (0, 1)");
  }
  return oe::to_ouch(order, config);
}

Napi::Value OrderToOuch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "orderToOuch(order, config?): order must be an object");
  const auto o = info[0].As<Napi::Object>();
  const oe::Order order = read_order(env, [&](Field f) { return o.Get(kFields[f]); }, false);
  const Napi::Value collar = info.Length() > 1 && info[1].IsObject() ? info[1].As<Napi::Object>().Get("market_collar") : env.Undefined();
  const oe::Mapped m = map_order(env, order, collar);
  Napi::Object out = Napi::Object::New(env);
  out.Set("ok", Napi::Boolean::New(env, m.ok));
  if (!m.ok) {
    out.Set("error", m.error);
    return out;
  }
  uint8_t buf[64];
  const size_t n = colo::ouch42::encode(m.message, buf);
  out.Set("bytes", Napi::Buffer<uint8_t>::Copy(env, buf, n));
  return out;
}

// encodeOrder(out: Uint8Array, order_id, symbol, side, action, time_in_force, order_type, qty,
// ref_price, limit_price, target_order_id, market_collar) → the bytes written to `out`, or the
// error string orderToOuch would give. The enums come as their index in the lists above, an absent
// limit price or target as null or undefined. What orderToOuch costs is reading the order object
// through N-API (a property lookup, and a string made for its key, per field) and making its result
// object and Buffer: ~2 µs a call in a hot loop, ~7 µs in the live run
// (lib/execution/order-encoder.ts reads the fields in JS, where reading them is cheap).
Napi::Value EncodeOrder(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage =
      "encodeOrder(out: Uint8Array, order_id, symbol, side, action, time_in_force, order_type, qty, ref_price, limit_price, "
      "target_order_id, market_collar)";
  if (info.Length() < 12 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw Napi::TypeError::New(env, usage);
  auto out = info[0].As<Napi::Uint8Array>();
  if (out.ByteLength() < 64) throw Napi::TypeError::New(env, "encodeOrder: out must hold 64 bytes or more");
  const oe::Order order = read_order(env, [&](Field f) { return info[1 + size_t(f)]; }, true);
  const oe::Mapped m = map_order(env, order, info[11]);
  if (!m.ok) return Napi::String::New(env, m.error);
  return Napi::Number::New(env, double(colo::ouch42::encode(m.message, out.Data())));
}

Napi::Value OuchToken(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(info.Env(), "ouchToken(orderId: string)");
  const auto t = oe::order_token(info[0].As<Napi::String>().Utf8Value());
  return Napi::String::New(info.Env(), std::string(t.bytes.data(), t.bytes.size()));
}

}  // namespace

void InitOuch(Napi::Env env, Napi::Object exports) {
  exports.Set("orderToOuch", Napi::Function::New(env, OrderToOuch));
  exports.Set("encodeOrder", Napi::Function::New(env, EncodeOrder));
  exports.Set("ouchToken", Napi::Function::New(env, OuchToken));
}
