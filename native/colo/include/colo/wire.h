// Big-endian fixed-width fields as the NASDAQ specs lay them out, and the two "archives" that
// let one field list per message serve both decoding and encoding (and, at compile time,
// the message's length).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace colo {

// The constants every wire message declares (see wire_size below).
#define COLO_MESSAGE(Name, TYPE, LENGTH)    \
  static constexpr char kType = TYPE;       \
  static constexpr size_t kLength = LENGTH; \
  static constexpr std::string_view kName = #Name

// What decoding one framed message found.
enum class DecodeStatus : uint8_t { kOk, kEmpty, kUnknownType, kTruncated, kOverlong };

constexpr std::string_view status_name(DecodeStatus s) {
  switch (s) {
    case DecodeStatus::kOk: return "ok";
    case DecodeStatus::kEmpty: return "empty";
    case DecodeStatus::kUnknownType: return "unknown type";
    case DecodeStatus::kTruncated: return "truncated";
    case DecodeStatus::kOverlong: return "over-long";
  }
  return "?";
}

inline uint16_t load_u16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
inline uint32_t load_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return __builtin_bswap32(v);
}
inline uint64_t load_u64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return __builtin_bswap64(v);
}
// 48-bit big-endian (ITCH timestamps: nanoseconds since midnight).
inline uint64_t load_u48(const uint8_t* p) {
  return uint64_t(load_u16(p)) << 32 | load_u32(p + 2);
}

inline void store_u16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}
inline void store_u32(uint8_t* p, uint32_t v) {
  v = __builtin_bswap32(v);
  std::memcpy(p, &v, 4);
}
inline void store_u64(uint8_t* p, uint64_t v) {
  v = __builtin_bswap64(v);
  std::memcpy(p, &v, 8);
}
inline void store_u48(uint8_t* p, uint64_t v) {
  store_u16(p, uint16_t(v >> 32));
  store_u32(p + 2, uint32_t(v));
}

// A fixed-width alphanumeric field: left-justified, right-padded with spaces (ITCH stock
// symbols, OUCH tokens). `view()` drops the padding.
template <size_t N>
struct Alpha {
  std::array<char, N> bytes{};

  static Alpha of(std::string_view s) {
    Alpha a;
    a.bytes.fill(' ');
    std::memcpy(a.bytes.data(), s.data(), s.size() < N ? s.size() : N);
    return a;
  }
  std::string_view view() const {
    size_t n = N;
    while (n > 0 && (bytes[n - 1] == ' ' || bytes[n - 1] == '\0')) --n;
    return {bytes.data(), n};
  }
  friend bool operator==(const Alpha&, const Alpha&) = default;
};
using Symbol = Alpha<8>;

// Prices: Price(4) has 4 implied decimals, Price(8) has 8 (ITCH MWCB levels).
constexpr double kPrice4Scale = 1e4;
constexpr double kPrice8Scale = 1e8;
inline double price4_to_double(uint32_t p) { return double(p) / kPrice4Scale; }
inline double price8_to_double(uint64_t p) { return double(p) / kPrice8Scale; }

// Reads fields in order from a buffer the caller has length-checked.
struct WireReader {
  const uint8_t* p;
  void tag(char) { ++p; }
  void u8(uint8_t& v, const char* = nullptr) { v = *p++; }
  void ch(char& v, const char* = nullptr) { v = char(*p++); }
  void u16(uint16_t& v, const char* = nullptr) { v = load_u16(p), p += 2; }
  void u32(uint32_t& v, const char* = nullptr) { v = load_u32(p), p += 4; }
  void u48(uint64_t& v, const char* = nullptr) { v = load_u48(p), p += 6; }
  void u64(uint64_t& v, const char* = nullptr) { v = load_u64(p), p += 8; }
  template <size_t N>
  void alpha(Alpha<N>& v, const char* = nullptr) {
    std::memcpy(v.bytes.data(), p, N), p += N;
  }
};

// Writes fields in order into a buffer the caller has sized.
struct WireWriter {
  uint8_t* p;
  void tag(char t) { *p++ = uint8_t(t); }
  void u8(const uint8_t& v, const char* = nullptr) { *p++ = v; }
  void ch(const char& v, const char* = nullptr) { *p++ = uint8_t(v); }
  void u16(const uint16_t& v, const char* = nullptr) { store_u16(p, v), p += 2; }
  void u32(const uint32_t& v, const char* = nullptr) { store_u32(p, v), p += 4; }
  void u48(const uint64_t& v, const char* = nullptr) { store_u48(p, v), p += 6; }
  void u64(const uint64_t& v, const char* = nullptr) { store_u64(p, v), p += 8; }
  template <size_t N>
  void alpha(const Alpha<N>& v, const char* = nullptr) {
    std::memcpy(p, v.bytes.data(), N), p += N;
  }
};

// Counts bytes at compile time, so each message's length is checked against the spec.
struct WireSizer {
  size_t n = 0;
  constexpr void tag(char) { n += 1; }
  template <class T>
  constexpr void u8(const T&, const char* = nullptr) { n += 1; }
  template <class T>
  constexpr void ch(const T&, const char* = nullptr) { n += 1; }
  template <class T>
  constexpr void u16(const T&, const char* = nullptr) { n += 2; }
  template <class T>
  constexpr void u32(const T&, const char* = nullptr) { n += 4; }
  template <class T>
  constexpr void u48(const T&, const char* = nullptr) { n += 6; }
  template <class T>
  constexpr void u64(const T&, const char* = nullptr) { n += 8; }
  template <size_t N>
  constexpr void alpha(const Alpha<N>&, const char* = nullptr) { n += N; }
};

// A message type M declares `static constexpr char kType`, `static constexpr size_t kLength`
// (from the spec) and `static constexpr void fields(auto& io, auto& m)` listing its fields in
// wire order, starting with io.tag(kType). A field may carry its name (io.u32(m.price,
// "price")) for archives that show fields by name (the addon's decoder for JS).
template <class M>
constexpr size_t wire_size() {
  WireSizer s;
  M m{};
  M::fields(s, m);
  return s.n;
}

template <class M>
M read_wire(const uint8_t* p) {
  M m{};
  WireReader r{p};
  M::fields(r, m);
  return m;
}
template <class M>
size_t write_wire(const M& m, uint8_t* out) {
  WireWriter w{out};
  M::fields(w, m);
  return size_t(w.p - out);
}

// Calls handler(const M&) when `len` is exactly M's length; the status otherwise.
template <class M, class Handler>
inline DecodeStatus read_exact(const uint8_t* p, size_t len, Handler& handler) {
  if (len < M::kLength) return DecodeStatus::kTruncated;
  if (len > M::kLength) return DecodeStatus::kOverlong;
  handler(read_wire<M>(p));
  return DecodeStatus::kOk;
}

}  // namespace colo
