// Shared by the addon's files: a decoded wire message as a JS object (its fields by name from the
// message's field list), and integer options read from a JS object with the range checked.
#pragma once

#include <napi.h>

#include <cmath>
#include <optional>
#include <string>
#include <unordered_set>

#include "colo/soupbintcp.h"
#include "colo/wire.h"

namespace colo_addon {

// Sets each field of a decoded message on `o` by its name in the field list (colo/itch.h,
// colo/ouch42.h): integers as numbers (BigInt above 2^53), characters and alphanumerics as strings
// without padding. Use: `JsFields w{env, o}; M::fields(w, message);`.
struct JsFields {
  Napi::Env env;
  Napi::Object o;
  void tag(char) {}
  void number(const char* name, uint64_t v) {
    if (v <= (uint64_t(1) << 53)) {
      o.Set(name, Napi::Number::New(env, double(v)));
    } else {
      o.Set(name, Napi::BigInt::New(env, v));
    }
  }
  void u8(const uint8_t& v, const char* name) { number(name, v); }
  void ch(const char& v, const char* name) { o.Set(name, Napi::String::New(env, std::string(1, v))); }
  void u16(const uint16_t& v, const char* name) { number(name, v); }
  void u32(const uint32_t& v, const char* name) { number(name, v); }
  void u48(const uint64_t& v, const char* name) { number(name, v); }
  void u64(const uint64_t& v, const char* name) { number(name, v); }
  template <size_t N>
  void alpha(const colo::Alpha<N>& v, const char* name) {
    o.Set(name, Napi::String::New(env, std::string(colo::soup::trimmed(v))));
  }
};

// `o[key]` as an integer in lo..hi, or `fallback` when absent (a TypeError naming `who` and `key`
// when it is absent without a fallback, or not such an integer).
inline double integer_option(const Napi::Object& o, const std::string& who, const char* key, double lo, double hi,
                             std::optional<double> fallback = std::nullopt) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() && fallback) return *fallback;
  const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  if (!(d >= lo && d <= hi) || std::floor(d) != d)
    throw Napi::TypeError::New(o.Env(), who + ": " + key + " must be an integer from " +
                                            std::to_string(uint64_t(lo)) + " to " + std::to_string(uint64_t(hi)));
  return d;
}

// A symbols option: undefined (none) or an array of strings (a TypeError naming `who` otherwise).
inline std::unordered_set<std::string> symbols_option(const Napi::Value& v, const std::string& who) {
  std::unordered_set<std::string> out;
  if (v.IsUndefined()) return out;
  const auto bad = [&] { return Napi::TypeError::New(v.Env(), who + ": symbols must be an array of strings"); };
  if (!v.IsArray()) throw bad();
  auto a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value s = a.Get(i);
    if (!s.IsString()) throw bad();
    out.insert(s.As<Napi::String>().Utf8Value());
  }
  return out;
}

}  // namespace colo_addon
