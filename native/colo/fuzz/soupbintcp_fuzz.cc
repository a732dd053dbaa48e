// libFuzzer: arbitrary bytes as a SoupBinTCP stream in both directions, fed in chunks whose
// sizes come from the input, every framed payload decoded as OUCH 4.2, and the same bytes fed to
// a client and a server session. Must never crash, and memory must stay bounded (the framer
// holds at most one packet of max_packet_length).
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "colo/ouch42.h"
#include "colo/soup_session.h"
#include "colo/soupbintcp.h"

using namespace colo;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t chunk = size_t(data[0] % 17) + 1;  // 1..17-byte chunks
  const uint8_t* p = data + 1;
  size_t n = size - 1;

  for (auto from : {soup::Direction::kFromServer, soup::Direction::kFromClient}) {
    soup::Framer f({from, 256});
    uint64_t payload_bytes = 0;
    for (size_t i = 0; i < n; i += chunk) {
      f.feed(p + i, std::min(chunk, n - i), [&](const soup::Packet& pk) {
        payload_bytes += pk.size;
        if (pk.type == 'S' || pk.type == 'U') {
          auto st = from == soup::Direction::kFromServer
                        ? ouch42::dispatch_outbound(pk.payload, pk.size, [](const auto&) {})
                        : ouch42::dispatch_inbound(pk.payload, pk.size, [](const auto&) {});
          if (st == DecodeStatus::kOk) {
            ouch42::Outbound o;
            ouch42::Inbound in;
            uint8_t again[ouch42::kMaxMessageLength];
            size_t len = from == soup::Direction::kFromServer
                             ? (ouch42::decode_outbound(pk.payload, pk.size, o), ouch42::encode(o, again))
                             : (ouch42::decode_inbound(pk.payload, pk.size, in), ouch42::encode(in, again));
            if (len != pk.size || std::memcmp(again, pk.payload, len) != 0) std::abort();
          }
        }
      });
      if (f.buffered() > 256 + 2) std::abort();
    }
    f.finish();
    if (payload_bytes > n) std::abort();
  }

  // The sessions take the same bytes after logging in (the client) / connecting (the server).
  soup::ClientSession c({"alice", "secret", "", 1, {}, 256});
  soup::ServerSession s({"alice", "secret", "TEST01", {}, 256});
  c.on_connected(0);
  s.on_connected(0);
  uint64_t now = 0;
  for (size_t i = 0; i < n; i += chunk) {
    now += uint64_t(p[i]) * 100'000'000;  // time moves by 0..25.5 s per chunk
    c.on_bytes(p + i, std::min(chunk, n - i), now);
    s.on_bytes(p + i, std::min(chunk, n - i), now);
    c.on_tick(now);
    s.on_tick(now);
    if (c.output().close) c.on_disconnected(now), c.on_connected(now);
    if (s.output().close) s.on_disconnected(now), s.on_connected(now);
    c.output().clear();
    s.output().clear();
    s.send_sequenced(p + i, std::min(chunk, n - i), now);
  }
  return 0;
}
