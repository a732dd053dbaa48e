// libFuzzer: itch::decode on arbitrary bytes (a message that decodes must re-encode to the same
// bytes), and the same bytes scanned as a length-prefixed ITCH file.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "colo/itch.h"
#include "colo/itch_file.h"

using namespace colo;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  itch::Message m;
  if (itch::decode(data, size, m) == DecodeStatus::kOk) {
    uint8_t out[itch::kMaxMessageLength];
    size_t n = itch::encode(m, out);
    if (n != size || std::memcmp(out, data, n) != 0) std::abort();  // encode(decode(b)) != b
  }

  uint64_t seen = 0, dispatched = 0, last = 0;
  bool first = true;
  auto st = itch_file::for_each_message(data, size, [&](uint64_t off, const uint8_t* p, size_t n) {
    if (!first && off <= last) std::abort();  // offsets must increase
    if (off + 2 + n > size || p != data + off + 2) std::abort();
    first = false;
    last = off;
    ++seen;
  });
  if (st.messages != seen || st.bytes > size) std::abort();
  if (st.errors.size() > itch_file::ScanStats::kMaxKeptErrors) std::abort();
  uint64_t by_type = 0;
  for (auto c : st.by_type) by_type += c;
  if (by_type != st.messages) std::abort();

  auto st2 = itch_file::scan_file(data, size, [&](const auto&) { ++dispatched; });
  if (dispatched != st.messages || st2.messages != st.messages) std::abort();
  return 0;
}
