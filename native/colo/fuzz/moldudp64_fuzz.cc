// libFuzzer: the MoldUDP64 packet parser on the whole input, then the input cut into datagrams
// (each preceded by a 2-byte length) fed to a MoldReceiver with a moving clock, its requests
// answered by a RetransmissionStore holding what was delivered. Invariants: messages come out
// once each, in sequence; the out-of-order buffer and the store stay within their bounds.
#include <cstdint>
#include <cstdlib>

#include "colo/moldudp64.h"

using namespace colo;
using namespace colo::mold;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Packet pk = parse_packet(data, size);
  if (pk.ok()) {
    size_t total = kHeaderLength, count = 0;
    pk.for_each([&](uint64_t seq, Bytes m) {
      if (seq != pk.h.sequence + count) std::abort();
      total += kBlockHeaderLength + m.size();
      ++count;
    });
    if (count != pk.message_count() || (pk.kind == PacketKind::kData && total != size)) std::abort();
  } else if (pk.error_offset > size) {
    std::abort();
  }

  ReceiverConfig cfg;
  cfg.max_request = 16;
  cfg.request_timeout_ns = 1000;
  cfg.max_buffered_messages = 64;
  cfg.max_buffered_bytes = 4096;
  cfg.join_at_first_packet = size > 0 && (data[0] & 1);
  MoldReceiver rx(cfg);
  RetransmissionStore store(Session::of("FUZZSESS01"), 1, 8192, 200);
  uint64_t now = 0;
  uint64_t last = 0;
  bool any = false;
  auto deliver = [&](uint64_t seq, Bytes m) {
    if (any && seq != last + 1) std::abort();  // in order, once
    any = true;
    last = seq;
    store.append(m);
  };
  size_t off = 0;
  while (off + 2 <= size) {
    size_t len = size_t(data[off]) << 8 | data[off + 1];
    off += 2;
    if (len > size - off) len = size - off;
    rx.on_packet(data + off, len, now, deliver);
    now += 300;
    if (auto r = rx.poll(now)) {
      if (r->count == 0 || r->count > cfg.max_request || r->sequence != rx.next_expected()) std::abort();
      uint8_t req[kRequestLength];
      write_request(*r, req);
      store.answer(req, sizeof req, [&](Bytes b) {
        Packet p = parse_packet(b.data(), b.size());
        if (!p.ok()) std::abort();  // the store builds well-formed packets
      });
    }
    // The datagram also as a request to the store.
    store.answer(data + off, len, [](Bytes b) {
      if (b.size() > 200) std::abort();
    });
    if (rx.buffered_messages() > cfg.max_buffered_messages) std::abort();
    if (store.bytes_held() > 8192 + 0xFFFF) std::abort();
    off += len;
  }
  return 0;
}
