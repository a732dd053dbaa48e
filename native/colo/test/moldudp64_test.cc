// MoldUDP64 1.00: packets written here by hand from the spec's layout (Session 10, Sequence 8,
// Count 2, then Length 2 + data per message); the parser, the builder, the receiver state
// machine, the retransmission store, and a loopback UDP run with lost packets.
#include "colo/moldudp64.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "colo/mold_udp.h"
#include "test_bytes.h"

namespace colo::mold {
namespace {

using test::ascii;
using test::hex;

const Session kSession = Session::of("TESTSESS01");
const std::string kSess = ascii("TESTSESS01");

// Hex of an unsigned integer, big-endian, `bytes` wide: written by hand, not by the codec.
std::string be(uint64_t v, int bytes) {
  std::string s;
  for (int i = bytes - 1; i >= 0; --i) {
    char b[3];
    std::snprintf(b, sizeof b, "%02X", unsigned(v >> (8 * i) & 0xFF));
    s += b;
  }
  return s + " ";
}

// A downstream packet of one-byte messages whose byte is the low byte of their sequence.
std::vector<uint8_t> packet(uint64_t seq, uint16_t count, const std::string& session = kSess) {
  std::string h = session + be(seq, 8) + be(count, 2);
  for (uint16_t i = 0; i < count; ++i) h += "0001 " + be((seq + i) & 0xFF, 1);
  return hex(h);
}
std::vector<uint8_t> heartbeat(uint64_t seq) { return hex(kSess + be(seq, 8) + "0000"); }
std::vector<uint8_t> eos(uint64_t seq) { return hex(kSess + be(seq, 8) + "FFFF"); }

// Two ITCH 5.0 messages: System Event 'O' and Order Delete ref 1234.
const std::string kSystemEvent = ascii("S") + "0001 0002 000000000064" + ascii("O");
const std::string kOrderDelete = ascii("D") + "0001 0003 0000000000C8 00000000000004D2";
const std::string kTwoMessages =
    kSess + "0000000000000005 0002 000C " + kSystemEvent + "0013 " + kOrderDelete;

TEST(MoldUdp64, PacketWithTwoMessages) {
  auto bytes = hex(kTwoMessages);
  ASSERT_EQ(bytes.size(), 20u + 2 + 12 + 2 + 19);
  Packet pk = parse_packet(bytes.data(), bytes.size());
  ASSERT_TRUE(pk.ok()) << status_name(pk.status);
  EXPECT_EQ(pk.kind, PacketKind::kData);
  EXPECT_EQ(pk.h.session.view(), "TESTSESS01");
  EXPECT_EQ(pk.h.sequence, 5u);
  EXPECT_EQ(pk.h.count, 2u);
  EXPECT_EQ(pk.end_sequence(), 7u);
  std::vector<std::pair<uint64_t, std::vector<uint8_t>>> got;
  pk.for_each([&](uint64_t s, Bytes m) { got.emplace_back(s, std::vector<uint8_t>(m.begin(), m.end())); });
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].first, 5u);
  EXPECT_EQ(got[0].second, hex(kSystemEvent));
  EXPECT_EQ(got[1].first, 6u);
  EXPECT_EQ(got[1].second, hex(kOrderDelete));

  // The builder lays out the same bytes.
  PacketBuilder b(kSession, 5);
  auto m1 = hex(kSystemEvent), m2 = hex(kOrderDelete);
  ASSERT_TRUE(b.append(m1));
  ASSERT_TRUE(b.append(m2));
  EXPECT_EQ(b.next_sequence(), 7u);
  EXPECT_EQ(b.take(), bytes);
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.first_sequence(), 7u);
}

TEST(MoldUdp64, HeartbeatAndEndOfSession) {
  auto hb = hex(kSess + "0000000000000007 0000");
  Packet pk = parse_packet(hb.data(), hb.size());
  ASSERT_TRUE(pk.ok());
  EXPECT_EQ(pk.kind, PacketKind::kHeartbeat);
  EXPECT_EQ(pk.h.sequence, 7u);
  EXPECT_EQ(pk.message_count(), 0u);
  EXPECT_EQ(pk.end_sequence(), 7u);

  auto end = hex(kSess + "0000000000000007 FFFF");
  pk = parse_packet(end.data(), end.size());
  ASSERT_TRUE(pk.ok());
  EXPECT_EQ(pk.kind, PacketKind::kEndOfSession);
  EXPECT_EQ(pk.message_count(), 0u);

  uint8_t out[20];
  EXPECT_EQ(write_heartbeat(kSession, 7, out), 20u);
  EXPECT_EQ(std::vector<uint8_t>(out, out + 20), hb);
  EXPECT_EQ(write_end_of_session(kSession, 7, out), 20u);
  EXPECT_EQ(std::vector<uint8_t>(out, out + 20), end);
  PacketBuilder b(kSession, 7);
  EXPECT_EQ(b.heartbeat(), hb);
  EXPECT_EQ(b.end_of_session(), end);
}

TEST(MoldUdp64, RequestPacket) {
  // Session, first sequence 3, 4 messages asked for.
  auto bytes = hex(kSess + "0000000000000003 0004");
  auto r = read_request(bytes.data(), bytes.size());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->session, kSession);
  EXPECT_EQ(r->sequence, 3u);
  EXPECT_EQ(r->count, 4u);
  uint8_t out[kRequestLength];
  EXPECT_EQ(write_request(Request{kSession, 3, 4}, out), 20u);
  EXPECT_EQ(std::vector<uint8_t>(out, out + 20), bytes);
  EXPECT_FALSE(read_request(bytes.data(), 19));
  bytes.push_back(0);
  EXPECT_FALSE(read_request(bytes.data(), bytes.size()));
}

void expect_error(const std::string& h, ParseStatus st, size_t offset) {
  auto bytes = hex(h);
  Packet pk = parse_packet(bytes.data(), bytes.size());
  EXPECT_EQ(pk.status, st) << status_name(pk.status) << " for " << h;
  EXPECT_EQ(pk.error_offset, offset) << h;
}

TEST(MoldUdp64, ParserErrorsCarryTheOffset) {
  expect_error(kSess + "0000000000000001 00", ParseStatus::kHeaderTruncated, 19);
  expect_error("", ParseStatus::kHeaderTruncated, 0);
  // Count 2; one 1-byte block, then a lone byte where the second length should be.
  expect_error(kSess + "0000000000000001 0002 0001 AA 00", ParseStatus::kBlockTruncated, 23);
  // Length 0x0100 with 3 bytes of data.
  expect_error(kSess + "0000000000000001 0001 0100 AABBCC", ParseStatus::kBlockOverrun, 20);
  // Count 3, two blocks.
  expect_error(kSess + "0000000000000001 0003 0001 AA 0001 BB", ParseStatus::kCountMismatch, 26);
  // Count 1, a block, then a stray byte.
  expect_error(kSess + "0000000000000001 0001 0001 AA EE", ParseStatus::kTrailingBytes, 23);
  expect_error(kSess + "0000000000000001 0000 EE", ParseStatus::kTrailingBytes, 20);
  expect_error(kSess + "0000000000000001 FFFF EE", ParseStatus::kTrailingBytes, 20);
  expect_error(kSess + "FFFFFFFFFFFFFFFF 0002 0001 AA 0001 BB", ParseStatus::kSequenceOverflow, 10);
  // Zero-length messages are legal blocks.
  auto ok = hex(kSess + "0000000000000001 0002 0000 0000");
  EXPECT_TRUE(parse_packet(ok.data(), ok.size()).ok());
}

TEST(MoldUdp64, BuilderStopsAtThePayloadSize) {
  PacketBuilder b(kSession, 1, 1400);
  std::vector<uint8_t> msg(36, 'A');  // an Add Order: 38 bytes with its length
  int n = 0;
  while (b.append(msg)) ++n;
  EXPECT_EQ(n, (1400 - 20) / 38);  // 36
  EXPECT_LE(b.bytes().size(), 1400u);
  auto pk = b.take();
  EXPECT_EQ(pk.size(), 20u + 36 * 38);
  EXPECT_EQ(b.first_sequence(), 37u);
  std::vector<uint8_t> huge(1400, 0);
  EXPECT_FALSE(b.append(huge));  // never fits
  EXPECT_TRUE(b.empty());
}

// --- receiver --------------------------------------------------------------------------------

struct Sink {
  std::vector<uint64_t> seqs;
  void operator()(uint64_t s, Bytes m) {
    EXPECT_EQ(m.size(), 1u);
    if (m.size() == 1) {
      EXPECT_EQ(m[0], uint8_t(s & 0xFF)) << "payload of " << s;
    }
    seqs.push_back(s);
  }
  std::vector<uint64_t> expect_up_to(uint64_t last) const {
    std::vector<uint64_t> v;
    for (uint64_t s = 1; s <= last; ++s) v.push_back(s);
    return v;
  }
};

void feed(MoldReceiver& rx, const std::vector<uint8_t>& p, uint64_t now, Sink& sink) {
  rx.on_packet(p.data(), p.size(), now, [&](uint64_t s, Bytes m) { sink(s, m); });
}

constexpr uint64_t kMs = 1'000'000;

TEST(MoldReceiver, DeliversInOrderOnce) {
  MoldReceiver rx;
  Sink sink;
  feed(rx, packet(1, 3), 0, sink);
  feed(rx, packet(4, 2), 0, sink);
  EXPECT_EQ(sink.seqs, sink.expect_up_to(5));
  EXPECT_EQ(rx.next_expected(), 6u);
  EXPECT_FALSE(rx.has_gap());
  EXPECT_FALSE(rx.poll(0));
  feed(rx, heartbeat(6), 0, sink);
  EXPECT_FALSE(rx.has_gap());
  EXPECT_EQ(rx.stats().heartbeats, 1u);
}

TEST(MoldReceiver, GapRequestTimeoutAndFill) {
  ReceiverConfig cfg;
  cfg.max_request = 3;
  cfg.request_timeout_ns = 10 * kMs;
  MoldReceiver rx(cfg);
  Sink sink;
  feed(rx, packet(1, 2), 0, sink);   // 1, 2
  feed(rx, packet(8, 2), 1, sink);   // 8, 9: 3..7 lost
  EXPECT_EQ(sink.seqs, sink.expect_up_to(2));
  EXPECT_TRUE(rx.has_gap());
  EXPECT_EQ(rx.stats().gaps, 1u);
  EXPECT_EQ(rx.buffered_messages(), 2u);

  auto r = rx.poll(2);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->session, kSession);
  EXPECT_EQ(r->sequence, 3u);
  EXPECT_EQ(r->count, 3u);  // bounded by max_request
  EXPECT_FALSE(rx.poll(5 * kMs));  // pending, not timed out
  auto again = rx.poll(2 + 10 * kMs);
  ASSERT_TRUE(again);  // re-sent after the timeout
  EXPECT_EQ(*again, *r);
  EXPECT_EQ(rx.stats().request_resends, 1u);

  feed(rx, packet(3, 3), 20 * kMs, sink);  // the answer: 3, 4, 5
  EXPECT_EQ(sink.seqs, sink.expect_up_to(5));
  auto rest = rx.poll(20 * kMs);  // answered, so the rest is asked for at once
  ASSERT_TRUE(rest);
  EXPECT_EQ(rest->sequence, 6u);
  EXPECT_EQ(rest->count, 2u);  // up to the buffered 8
  feed(rx, packet(6, 2), 21 * kMs, sink);
  EXPECT_EQ(sink.seqs, sink.expect_up_to(9));
  EXPECT_FALSE(rx.has_gap());
  EXPECT_EQ(rx.buffered_messages(), 0u);
  EXPECT_FALSE(rx.poll(22 * kMs));
}

TEST(MoldReceiver, DuplicatesAndOutOfOrder) {
  MoldReceiver rx;
  Sink sink;
  feed(rx, packet(1, 2), 0, sink);
  feed(rx, packet(1, 2), 0, sink);   // the same packet again
  feed(rx, packet(5, 1), 0, sink);   // ahead
  feed(rx, packet(5, 1), 0, sink);   // ahead, again
  feed(rx, packet(4, 1), 0, sink);   // ahead
  feed(rx, packet(2, 2), 0, sink);   // 2 old, 3 new: closes the gap
  EXPECT_EQ(sink.seqs, sink.expect_up_to(5));
  EXPECT_EQ(rx.stats().duplicates, 2u + 1 + 1);
  EXPECT_EQ(rx.stats().delivered, 5u);
}

TEST(MoldReceiver, HeartbeatRevealsLoss) {
  MoldReceiver rx;
  Sink sink;
  feed(rx, packet(1, 1), 0, sink);
  feed(rx, heartbeat(4), 0, sink);  // 2 and 3 were sent and lost
  auto r = rx.poll(0);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->sequence, 2u);
  EXPECT_EQ(r->count, 2u);
}

TEST(MoldReceiver, EndOfSession) {
  MoldReceiver rx;
  Sink sink;
  feed(rx, packet(1, 2), 0, sink);
  feed(rx, eos(4), 0, sink);  // 3 lost before the end
  EXPECT_FALSE(rx.ended());
  auto r = rx.poll(0);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->sequence, 3u);
  EXPECT_EQ(r->count, 1u);
  feed(rx, packet(3, 2), 0, sink);  // 4 is past the end
  EXPECT_TRUE(rx.ended());
  EXPECT_EQ(sink.seqs, sink.expect_up_to(3));
  EXPECT_EQ(rx.stats().after_end, 1u);
  EXPECT_FALSE(rx.poll(0));
}

TEST(MoldReceiver, SessionChangeIsCountedAndDropped) {
  MoldReceiver rx;
  Sink sink;
  feed(rx, packet(1, 1), 0, sink);
  feed(rx, packet(2, 1, ascii("OTHERSES02")), 0, sink);
  EXPECT_EQ(rx.stats().session_changes, 1u);
  EXPECT_EQ(rx.next_expected(), 2u);
  EXPECT_EQ(rx.session().view(), "TESTSESS01");
}

TEST(MoldReceiver, ParseErrorsAreCounted) {
  MoldReceiver rx;
  Sink sink;
  auto bad = hex(kSess + "0000000000000001 0003 0001 AA 0001 BB");
  feed(rx, bad, 0, sink);
  EXPECT_EQ(rx.stats().parse_errors.total(), 1u);
  EXPECT_EQ(rx.stats().parse_errors.last, ParseStatus::kCountMismatch);
  EXPECT_EQ(rx.stats().parse_errors.last_offset, 26u);
  EXPECT_TRUE(sink.seqs.empty());  // nothing of a bad packet is delivered
}

TEST(MoldReceiver, BufferIsBounded) {
  ReceiverConfig cfg;
  cfg.max_buffered_messages = 4;
  MoldReceiver rx(cfg);
  Sink sink;
  feed(rx, packet(3, 10), 0, sink);  // 1, 2 lost; only 4 of 3..12 held
  EXPECT_EQ(rx.buffered_messages(), 4u);
  EXPECT_EQ(rx.stats().buffer_overflow, 6u);
  feed(rx, packet(1, 2), 0, sink);
  EXPECT_EQ(sink.seqs, sink.expect_up_to(6));
  auto r = rx.poll(0);  // 7..12 must be asked for again
  ASSERT_TRUE(r);
  EXPECT_EQ(r->sequence, 7u);
  EXPECT_EQ(r->count, 6u);
}

TEST(MoldReceiver, LateJoiner) {
  ReceiverConfig cfg;
  cfg.join_at_first_packet = true;
  MoldReceiver rx(cfg);
  Sink sink;
  feed(rx, packet(100, 2), 0, sink);
  EXPECT_EQ(sink.seqs, (std::vector<uint64_t>{100, 101}));
  EXPECT_FALSE(rx.has_gap());
}

// --- retransmission store --------------------------------------------------------------------

TEST(RetransmissionStore, AnswersWithDownstreamPackets) {
  RetransmissionStore store(kSession, 1, 1 << 20, 20 + 3 * 3);  // 3 one-byte messages a packet
  for (uint64_t s = 1; s <= 10; ++s) {
    uint8_t b = uint8_t(s);
    EXPECT_EQ(store.append(&b, 1), s);
  }
  auto req = hex(kSess + "0000000000000002 0005");  // 2..6
  std::vector<std::vector<uint8_t>> sent;
  auto send = [&](Bytes b) { sent.emplace_back(b.begin(), b.end()); };
  EXPECT_EQ(store.answer(req.data(), req.size(), send), RequestStatus::kOk);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0], packet(2, 3));
  EXPECT_EQ(sent[1], packet(5, 2));

  sent.clear();  // running past the end: answered up to what exists
  auto past = hex(kSess + "0000000000000009 0064");
  EXPECT_EQ(store.answer(past.data(), past.size(), send), RequestStatus::kOk);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0], packet(9, 2));

  sent.clear();
  auto future = hex(kSess + "000000000000000B 0001");
  EXPECT_EQ(store.answer(future.data(), future.size(), send), RequestStatus::kNotYetSent);
  auto other = hex(ascii("OTHERSES02") + "0000000000000001 0001");
  EXPECT_EQ(store.answer(other.data(), other.size(), send), RequestStatus::kWrongSession);
  auto empty = hex(kSess + "0000000000000001 0000");
  EXPECT_EQ(store.answer(empty.data(), empty.size(), send), RequestStatus::kEmpty);
  EXPECT_EQ(store.answer(empty.data(), 19, send), RequestStatus::kMalformed);
  EXPECT_TRUE(sent.empty());
}

TEST(RetransmissionStore, MemoryIsBounded) {
  RetransmissionStore store(kSession, 1, 100);
  std::vector<uint8_t> msg(30, 'x');
  for (int i = 0; i < 10; ++i) store.append(msg);
  EXPECT_LE(store.bytes_held(), 100u);
  EXPECT_EQ(store.next(), 11u);
  EXPECT_EQ(store.first(), 8u);  // 8, 9, 10 held
  auto req = hex(kSess + "0000000000000002 0001");
  EXPECT_EQ(store.answer(req.data(), req.size(), [](Bytes) {}), RequestStatus::kForgotten);
  EXPECT_FALSE(store.get(7));
  EXPECT_TRUE(store.get(8));
}

// --- loopback UDP ----------------------------------------------------------------------------

TEST(MoldUdpLoopback, GapsAreRecoveredFromTheRetransmissionPort) {
  constexpr uint64_t kN = 5000;
  ReceiverConfig cfg;
  cfg.max_request = 200;
  cfg.request_timeout_ns = 20 * kMs;
  MoldUdpReceiver rx(0, cfg);
  MoldPublisher pub(kSession, rx.port(), 400);
  rx.set_rerequest_port(pub.rerequest_port());

  std::vector<uint64_t> got;
  std::vector<std::vector<uint8_t>> payloads;
  auto deliver = [&](uint64_t s, Bytes m) {
    got.push_back(s);
    payloads.emplace_back(m.begin(), m.end());
  };
  auto now = [] {
    return uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::steady_clock::now().time_since_epoch()).count());
  };
  auto message = [](uint64_t s) {  // 8-byte big-endian sequence + a length that varies
    std::vector<uint8_t> m(8 + s % 23);
    store_u64(m.data(), s);
    for (size_t i = 8; i < m.size(); ++i) m[i] = uint8_t(s + i);
    return m;
  };

  uint64_t packets = 0;
  for (uint64_t s = 1; s <= kN; ++s) {
    auto m = message(s);
    pub.publish(Bytes{m.data(), m.size()});
    if (s % 10 == 0) {
      ++packets;
      pub.flush(/*drop=*/packets % 7 == 3);  // every 7th packet is lost
      if (packets % 20 == 0) rx.pump(now(), deliver);  // keep the socket buffer drained
    }
  }
  pub.flush(/*drop=*/true);  // the last packet is lost too: only End of Session reveals it
  pub.end_of_session();
  EXPECT_GT(pub.packets_dropped(), 10u);

  auto deadline = now() + 10'000 * kMs;
  while (!rx.receiver().ended() && now() < deadline) {
    rx.pump(now(), deliver);
    pub.serve_requests();
    rx.wait_readable(5);
  }
  ASSERT_TRUE(rx.receiver().ended()) << "next expected " << rx.receiver().next_expected();
  ASSERT_EQ(got.size(), kN);
  for (uint64_t s = 1; s <= kN; ++s) {
    ASSERT_EQ(got[s - 1], s);
    ASSERT_EQ(payloads[s - 1], message(s)) << s;
  }
  EXPECT_GT(rx.receiver().stats().requests, 0u);
  EXPECT_GT(rx.receiver().stats().gaps, 0u);
  EXPECT_EQ(pub.requests_refused(), 0u);
}

TEST(MoldUdpLoopback, AJoinGetsAHeartbeatThenTheSessionFromSequenceOne) {
  ReceiverConfig cfg;
  cfg.max_request = 100;
  cfg.request_timeout_ns = 20 * kMs;
  MoldPublisher pub(kSession, 0, 300);  // no receiver yet
  for (uint64_t s = 1; s <= 1000; ++s) {  // published before anyone listened
    uint8_t m[8];
    store_u64(m, s);
    pub.publish(Bytes{m, 8});
  }
  pub.flush();
  MoldUdpReceiver rx(pub.rerequest_port(), cfg);
  std::vector<uint64_t> got;
  auto deliver = [&](uint64_t s, Bytes m) {
    EXPECT_EQ(load_u64(m.data()), s);
    got.push_back(s);
  };
  auto now = [] {
    return uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::steady_clock::now().time_since_epoch()).count());
  };
  rx.join();
  ASSERT_TRUE(pub.wait_request(1000));
  EXPECT_EQ(pub.serve_requests(), 1u);
  ASSERT_EQ(pub.subscribers().size(), 1u);
  EXPECT_EQ(pub.subscribers()[0], rx.port());
  EXPECT_EQ(pub.joins(), 1u);
  // The heartbeat names the session and sequence 1001 next: 1..1000 are re-requested.
  ASSERT_TRUE(rx.wait_readable(1000));
  rx.pump(now(), deliver);
  EXPECT_TRUE(rx.receiver().session_known());
  EXPECT_EQ(rx.receiver().highest_seen(), 1001u);
  // Live messages now reach the joined receiver while it catches up.
  for (uint64_t s = 1001; s <= 1100; ++s) {
    uint8_t m[8];
    store_u64(m, s);
    pub.publish(Bytes{m, 8});
  }
  pub.end_of_session();
  auto deadline = now() + 10'000 * kMs;
  while (!rx.receiver().ended() && now() < deadline) {
    rx.pump(now(), deliver);
    pub.serve_requests();
    rx.wait_readable(5);
  }
  ASSERT_TRUE(rx.receiver().ended());
  ASSERT_EQ(got.size(), 1100u);
  for (uint64_t s = 1; s <= 1100; ++s) ASSERT_EQ(got[s - 1], s);
  EXPECT_GE(rx.receiver().stats().requests, 10u);  // 1000 messages at 100 per request
  // A second join from the same port is answered but not added twice.
  rx.join();
  ASSERT_TRUE(pub.wait_request(1000));
  pub.serve_requests();
  EXPECT_EQ(pub.subscribers().size(), 1u);
  EXPECT_EQ(pub.requests_refused(), 0u);
}

}  // namespace
}  // namespace colo::mold
