// A JSON "archive" over the wire field lists (colo/wire.h): M::fields(JsonFields{out}, m) appends
// `"name":value` pairs, every field by its name. Integers are JSON numbers; a char field is a
// one-character string; an alphanumeric field is its text without the right padding. Text is
// escaped as JSON requires (control bytes and bytes >= 0x7F as \u00XX), so any bytes give valid
// JSON. Used by the venue's audit trail (one line per message).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "colo/wire.h"

namespace colo::json {

// Appends s as a JSON string literal (quotes included).
inline void append_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char c : s) {
    const auto u = uint8_t(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u >= 0x7F) {
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  out += '"';
}

struct JsonFields {
  std::string& out;
  bool first = true;

  void key(const char* name) {
    if (!first) out += ',';
    first = false;
    append_string(out, name ? name : "?");
    out += ':';
  }
  void number(uint64_t v) { out += std::to_string(v); }

  void tag(char) {}  // the type is written by the caller
  void u8(const uint8_t& v, const char* name = nullptr) { key(name), number(v); }
  void ch(const char& v, const char* name = nullptr) { key(name), append_string(out, {&v, 1}); }
  void u16(const uint16_t& v, const char* name = nullptr) { key(name), number(v); }
  void u32(const uint32_t& v, const char* name = nullptr) { key(name), number(v); }
  void u48(const uint64_t& v, const char* name = nullptr) { key(name), number(v); }
  void u64(const uint64_t& v, const char* name = nullptr) { key(name), number(v); }
  template <size_t N>
  void alpha(const Alpha<N>& v, const char* name = nullptr) {
    key(name), append_string(out, v.view());
  }
};

// `{"field":value,...}` for a message with a named field list.
template <class M>
std::string fields_object(const M& m) {
  std::string s = "{";
  JsonFields j{s};
  M::fields(j, m);
  s += '}';
  return s;
}

}  // namespace colo::json
