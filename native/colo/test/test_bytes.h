// Writing test vectors by hand: hex("41 0102 ...") with spaces ignored, ascii("AAPL    ") as hex.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace colo::test {

inline std::vector<uint8_t> hex(const std::string& s) {
  std::vector<uint8_t> out;
  int hi = -1;
  for (char c : s) {
    if (c == ' ') continue;
    int v = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10
          : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
    if (v < 0) throw std::invalid_argument("bad hex digit in test vector: " + s);
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(uint8_t(hi << 4 | v));
      hi = -1;
    }
  }
  if (hi >= 0) throw std::invalid_argument("odd number of hex digits: " + s);
  return out;
}

inline std::string ascii(const std::string& s) {
  static const char* d = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) out += {d[c >> 4], d[c & 15]};
  return out + " ";
}

}  // namespace colo::test
