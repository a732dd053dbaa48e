// The Order → OUCH 4.2 mapping for JS: orderToOuch(order, config?) → { ok, bytes | error }, its
// positional form encodeOrder(out, ...fields) for the live path, and ouchToken(orderId). The
// execution sink of the venue issue sends these bytes over SoupBinTCP.
#include <napi.h>

#include <cmath>

#include "colo/order_entry.h"

namespace {

namespace oe = colo::order_entry;

std::string text(const Napi::Object& o, const char* key, bool required) {
  Napi::Value v = o.Get(key);
  if (v.IsString()) return v.As<Napi::String>().Utf8Value();
  if (!required && (v.IsUndefined() || v.IsNull())) return {};
  throw Napi::TypeError::New(o.Env(), std::string("orderToOuch: order.") + key + " must be a string");
}

double number(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string("orderToOuch: order.") + key + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

template <class E>
E choice(const Napi::Object& o, const char* key, std::initializer_list<std::pair<const char*, E>> options, E fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  if (v.IsString()) {
    const std::string s = v.As<Napi::String>().Utf8Value();
    for (const auto& [name, value] : options)
      if (s == name) return value;
  }
  std::string accepted;
  for (const auto& [name, value] : options) accepted += (accepted.empty() ? "" : ", ") + std::string(name);
  throw Napi::TypeError::New(o.Env(), std::string("orderToOuch: order.") + key + " must be one of " + accepted);
}

Napi::Value OrderToOuch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "orderToOuch(order, config?): order must be an object");
  const auto o = info[0].As<Napi::Object>();
  oe::Order order;
  order.order_id = text(o, "order_id", true);
  order.symbol = text(o, "symbol", false);
  order.side = choice(o, "side", {{"BUY", oe::Side::kBuy}, {"SELL", oe::Side::kSell}}, oe::Side::kBuy);
  order.action = choice(o, "action", {{"NEW", oe::Action::kNew}, {"CANCEL", oe::Action::kCancel}, {"REPLACE", oe::Action::kReplace}},
                        oe::Action::kNew);
  order.time_in_force = choice(o, "time_in_force", {{"DAY", oe::TimeInForce::kDay}, {"IOC", oe::TimeInForce::kIoc}}, oe::TimeInForce::kDay);
  order.order_type = choice(o, "order_type", {{"MARKET", oe::OrderType::kMarket}, {"LIMIT", oe::OrderType::kLimit}}, oe::OrderType::kMarket);
  if (order.action != oe::Action::kCancel) {
    order.qty = number(o, "qty");
    order.ref_price = number(o, "ref_price");
    Napi::Value limit = o.Get("limit_price");
    if (limit.IsNumber()) order.limit_price = limit.As<Napi::Number>().DoubleValue();
  }
  order.target_order_id = text(o, "target_order_id", false);
  oe::Config config;
  if (info.Length() > 1 && info[1].IsObject()) {
    Napi::Value collar = info[1].As<Napi::Object>().Get("market_collar");
    if (collar.IsNumber()) {
      config.market_collar = collar.As<Napi::Number>().DoubleValue();
      if (!(config.market_collar > 0 && config.market_collar < 1))
        throw Napi::TypeError::New(env, "orderToOuch: config.market_collar must be a fraction in (0, 1)");
    }
  }
  const oe::Mapped m = oe::to_ouch(order, config);
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
// error string orderToOuch would give. The enums come as their index in the lists below (-1: not
// one of them) and an absent limit price or target as null or undefined. What orderToOuch costs is
// reading the order object through N-API (a property lookup, and a string made for its key, per
// field) and making its result object and Buffer: ~2 µs a call in a hot loop, ~7 µs in the live
// run (lib/execution/order-encoder.ts reads the fields in JS, where reading them is cheap).
Napi::Value EncodeOrder(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage =
      "encodeOrder(out: Uint8Array, order_id, symbol, side, action, time_in_force, order_type, qty, ref_price, limit_price, "
      "target_order_id, market_collar)";
  if (info.Length() < 12 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw Napi::TypeError::New(env, usage);
  auto out = info[0].As<Napi::Uint8Array>();
  if (out.ByteLength() < 64) throw Napi::TypeError::New(env, "encodeOrder: out must hold 64 bytes or more");
  auto str = [&](size_t i, const char* key, bool required) -> std::string {
    if (info[i].IsString()) return info[i].As<Napi::String>().Utf8Value();
    if (!required && (info[i].IsUndefined() || info[i].IsNull())) return {};
    throw Napi::TypeError::New(env, std::string("orderToOuch: order.") + key + " must be a string");
  };
  auto num = [&](size_t i, const char* key) {
    if (!info[i].IsNumber()) throw Napi::TypeError::New(env, std::string("orderToOuch: order.") + key + " must be a number");
    return info[i].As<Napi::Number>().DoubleValue();
  };
  auto code = [&](size_t i, const char* key, const char* accepted, int n) {
    const double v = info[i].IsNumber() ? info[i].As<Napi::Number>().DoubleValue() : -1;
    if (!(v >= 0 && v < n && v == std::floor(v)))
      throw Napi::TypeError::New(env, std::string("orderToOuch: order.") + key + " must be one of " + accepted);
    return int(v);
  };
  oe::Order order;
  order.order_id = str(1, "order_id", true);
  order.symbol = str(2, "symbol", false);
  order.side = code(3, "side", "BUY, SELL", 2) == 0 ? oe::Side::kBuy : oe::Side::kSell;
  order.action = oe::Action(code(4, "action", "NEW, CANCEL, REPLACE", 3));
  order.time_in_force = code(5, "time_in_force", "DAY, IOC", 2) == 0 ? oe::TimeInForce::kDay : oe::TimeInForce::kIoc;
  order.order_type = code(6, "order_type", "MARKET, LIMIT", 2) == 0 ? oe::OrderType::kMarket : oe::OrderType::kLimit;
  if (order.action != oe::Action::kCancel) {
    order.qty = num(7, "qty");
    order.ref_price = num(8, "ref_price");
    if (info[9].IsNumber()) order.limit_price = info[9].As<Napi::Number>().DoubleValue();
  }
  order.target_order_id = str(10, "target_order_id", false);
  oe::Config config;
  if (info[11].IsNumber()) {
    config.market_collar = info[11].As<Napi::Number>().DoubleValue();
    if (!(config.market_collar > 0 && config.market_collar < 1))
      throw Napi::TypeError::New(env, "orderToOuch: config.market_collar must be a fraction in (0, 1)");
  }
  const oe::Mapped m = oe::to_ouch(order, config);
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
