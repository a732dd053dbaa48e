// SoupBinTCP 3.0: packets decoded from bytes written here from the spec (Packet Length 2 bytes
// big-endian counting type and payload, Packet Type, payload), re-encoded to the same bytes; the
// framer fed those bytes in every possible split, and fed bad streams.
#include "colo/soupbintcp.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_bytes.h"

namespace colo::soup {
namespace {

template <class M>
M decode_packet(const std::vector<uint8_t>& bytes) {
  EXPECT_EQ(bytes.size(), M::kLength + 2);
  EXPECT_EQ(load_u16(bytes.data()), M::kLength);
  EXPECT_EQ(char(bytes[2]), M::kType);
  M m = read_wire<M>(bytes.data() + 2);
  std::vector<uint8_t> again;
  append_packet(again, m);
  EXPECT_EQ(again, bytes) << "re-encoding " << M::kName;
  return m;
}

// Login Accepted: length 31, 'A', Session "    TEST01" (left-padded), Sequence Number
// "                1234" (left-padded).
const std::string kAccepted = "001F" + test::ascii("A    TEST01                1234");
// Login Request: length 47, 'L', Username "alice ", Password "secret    ", Session blank (the
// current one), Requested Sequence Number "                 101".
const std::string kRequest = "002F" + test::ascii("L") + test::ascii("alice ") +
                             test::ascii("secret    ") + test::ascii("          ") +
                             test::ascii("                 101");

TEST(SoupBinTcp, LoginAccepted) {
  auto m = decode_packet<LoginAccepted>(test::hex(kAccepted));
  EXPECT_EQ(trimmed(m.session), "TEST01");
  uint64_t seq = 0;
  EXPECT_TRUE(parse_sequence(m.sequence_number, seq));
  EXPECT_EQ(seq, 1234u);
  EXPECT_EQ(m.session, right_justified<10>("TEST01"));
  EXPECT_EQ(m.sequence_number, sequence_field(1234));
}

TEST(SoupBinTcp, LoginRequest) {
  auto m = decode_packet<LoginRequest>(test::hex(kRequest));
  EXPECT_EQ(m.username.view(), "alice");
  EXPECT_EQ(m.password.view(), "secret");
  EXPECT_EQ(trimmed(m.requested_session), "");
  uint64_t seq = 0;
  EXPECT_TRUE(parse_sequence(m.requested_sequence_number, seq));
  EXPECT_EQ(seq, 101u);
  EXPECT_EQ(m.username, Alpha<6>::of("alice"));
}

TEST(SoupBinTcp, LoginRejectedAndBarePackets) {
  auto j = decode_packet<LoginRejected>(test::hex("0002" + test::ascii("JS")));
  EXPECT_EQ(j.reason, kRejectSessionNotAvailable);
  decode_packet<ServerHeartbeat>(test::hex("0001" + test::ascii("H")));
  decode_packet<EndOfSession>(test::hex("0001" + test::ascii("Z")));
  decode_packet<ClientHeartbeat>(test::hex("0001" + test::ascii("R")));
  decode_packet<LogoutRequest>(test::hex("0001" + test::ascii("O")));
}

TEST(SoupBinTcp, VariablePackets) {
  std::vector<uint8_t> out;
  const std::string hello = "hello";
  append_packet(out, kSequencedData, reinterpret_cast<const uint8_t*>(hello.data()), hello.size());
  append_packet(out, kDebug, nullptr, 0);
  EXPECT_EQ(out, test::hex("0006" + test::ascii("Shello") + "0001" + test::ascii("+")));
}

TEST(SoupBinTcp, SequenceFields) {
  EXPECT_EQ(sequence_field(0), SequenceField::of("                   0"));
  EXPECT_EQ(sequence_field(18446744073709551615ULL), SequenceField::of("18446744073709551615"));
  uint64_t v = 7;
  EXPECT_TRUE(parse_sequence(SequenceField::of("                    "), v));  // blank = 0
  EXPECT_EQ(v, 0u);
  EXPECT_FALSE(parse_sequence(SequenceField::of("12 3                "), v));
  EXPECT_FALSE(parse_sequence(SequenceField::of("99999999999999999999"), v));  // > 2^64-1
  EXPECT_TRUE(parse_sequence(SequenceField::of("18446744073709551615"), v));
  EXPECT_EQ(v, UINT64_MAX);
}

struct Collected {
  std::vector<std::pair<char, std::string>> packets;
  std::vector<uint64_t> offsets;
  void operator()(const Packet& p) {
    packets.emplace_back(p.type, std::string(reinterpret_cast<const char*>(p.payload), p.size));
    offsets.push_back(p.offset);
  }
};

TEST(SoupBinTcp, FramerYieldsTheSamePacketsForEverySplit) {
  // Accepted (33 bytes), Sequenced "hello" (8), Heartbeat (3), Sequenced empty (3), End (3).
  auto stream = test::hex(kAccepted + "0006" + test::ascii("Shello") + "0001" + test::ascii("H") +
                          "0001" + test::ascii("S") + "0001" + test::ascii("Z"));
  for (size_t a = 0; a <= stream.size(); ++a) {
    for (size_t b = a; b <= stream.size(); b += 3) {
      Framer f({Direction::kFromServer, 64});
      Collected c;
      f.feed(stream.data(), a, c);
      f.feed(stream.data() + a, b - a, c);
      f.feed(stream.data() + b, stream.size() - b, c);
      f.finish();
      ASSERT_EQ(c.packets.size(), 5u) << a << " " << b;
      EXPECT_EQ(c.packets[0].first, 'A');
      EXPECT_EQ(c.packets[0].second, "    TEST01                1234");
      EXPECT_EQ(c.packets[1], (std::pair<char, std::string>{'S', "hello"}));
      EXPECT_EQ(c.packets[2].first, 'H');
      EXPECT_EQ(c.packets[3], (std::pair<char, std::string>{'S', ""}));
      EXPECT_EQ(c.packets[4].first, 'Z');
      EXPECT_EQ(c.offsets, (std::vector<uint64_t>{0, 33, 41, 44, 47}));
      EXPECT_EQ(f.errors(), 0u);
    }
  }
}

TEST(SoupBinTcp, FramerCountsBadPacketsWithOffsetsAndRecovers) {
  // 0: zero length (2 bytes) | 2: unknown type 'Q' for a server (3) | 5: Heartbeat with a payload
  // byte (4) | 9: length 0x0100 over the maximum 64, its 256 bytes skipped | 267: Heartbeat |
  // 270: a Login Request is a client packet | 319: Sequenced "x" | 323: cut-off packet.
  std::string s = "0000" + std::string("0001") + test::ascii("Q") + "0002" + test::ascii("Hx") +
                  "0100";
  for (int i = 0; i < 256; ++i) s += "41";
  s += "0001" + test::ascii("H") + kRequest + "0002" + test::ascii("Sx") + "0009" + test::ascii("S12");
  auto stream = test::hex(s);
  for (size_t chunk : {size_t(1), size_t(2), size_t(7), stream.size()}) {
    Framer f({Direction::kFromServer, 64});
    Collected c;
    for (size_t i = 0; i < stream.size(); i += chunk)
      f.feed(stream.data() + i, std::min(chunk, stream.size() - i), c);
    EXPECT_LE(f.buffered(), 66u);
    f.finish();
    ASSERT_EQ(c.packets.size(), 2u) << chunk;
    EXPECT_EQ(c.packets[0].first, 'H');
    EXPECT_EQ(c.packets[1], (std::pair<char, std::string>{'S', "x"}));
    EXPECT_EQ(c.offsets, (std::vector<uint64_t>{267, 319}));
    EXPECT_EQ(f.errors(), 6u);
    EXPECT_EQ(f.errors(FrameError::kZeroLength), 1u);
    EXPECT_EQ(f.errors(FrameError::kUnknownType), 2u);
    EXPECT_EQ(f.errors(FrameError::kBadLength), 1u);
    EXPECT_EQ(f.errors(FrameError::kTooLong), 1u);
    EXPECT_EQ(f.errors(FrameError::kTruncated), 1u);
    std::vector<uint64_t> at;
    for (auto& e : f.recent_errors()) at.push_back(e.offset);
    EXPECT_EQ(at, (std::vector<uint64_t>{0, 2, 5, 9, 270, 323}));
    EXPECT_EQ(f.recent_errors()[3].length, 256u);
    EXPECT_EQ(f.recent_errors()[5].kind, FrameError::kTruncated);
    EXPECT_EQ(f.recent_errors()[5].length, 9u);
  }
}

TEST(SoupBinTcp, ClientDirectionTypes) {
  auto stream = test::hex(kRequest + "0001" + test::ascii("R") + "0004" + test::ascii("Uabc") +
                          "0001" + test::ascii("O") + "0001" + test::ascii("H"));
  Framer f({Direction::kFromClient, 4096});
  Collected c;
  f.feed(stream.data(), stream.size(), c);
  f.finish();
  ASSERT_EQ(c.packets.size(), 4u);
  EXPECT_EQ(c.packets[0].first, 'L');
  EXPECT_EQ(c.packets[2], (std::pair<char, std::string>{'U', "abc"}));
  EXPECT_EQ(f.errors(FrameError::kUnknownType), 1u);  // 'H' is a server packet
  EXPECT_EQ(payload_length(Direction::kFromClient, 'L'), 46);
  EXPECT_EQ(payload_length(Direction::kFromServer, 'A'), 30);
}

}  // namespace
}  // namespace colo::soup
