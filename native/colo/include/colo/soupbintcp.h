// NASDAQ SoupBinTCP 3.0: the packets, and an incremental framer for a TCP byte stream.
// A packet is Packet Length (2 bytes, big-endian, counting the type byte and the payload but not
// itself), Packet Type (1 byte), payload. Fixed-layout packets have a field list (colo/wire.h)
// whose kLength is the spec's Packet Length value; variable ones (Debug, Sequenced Data,
// Unsequenced Data) carry their payload as is.
//
//   server -> client                         client -> server
//   '+' Debug            text                '+' Debug              text
//   'A' Login Accepted   Session 10, Seq 20  'L' Login Request      Username 6, Password 10,
//   'J' Login Rejected   Reason 1 (A, S)                            Session 10, Seq 20
//   'S' Sequenced Data   message             'U' Unsequenced Data   message
//   'H' Server Heartbeat                     'R' Client Heartbeat
//   'Z' End of Session                       'O' Logout Request
//
// Username and Password are left-justified (right-padded with spaces); Session is right-justified
// (left-padded; all spaces in a Login Request = the current session); sequence numbers are
// ASCII decimal right-justified (left-padded with spaces), a Login Request's 0 or blank meaning
// "from the most recently generated message".
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "colo/wire.h"

namespace colo::soup {

using SessionId = Alpha<10>;
using SequenceField = Alpha<20>;

// Right-justified text: `s` at the end of N bytes, spaces before (Session, sequence numbers).
template <size_t N>
Alpha<N> right_justified(std::string_view s) {
  Alpha<N> a;
  a.bytes.fill(' ');
  size_t n = s.size() < N ? s.size() : N;
  std::memcpy(a.bytes.data() + (N - n), s.data(), n);
  return a;
}
// The text of a padded field without spaces on either side.
template <size_t N>
std::string_view trimmed(const Alpha<N>& a) {
  std::string_view v = a.view();
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  return v;
}
SequenceField sequence_field(uint64_t v);
// Spaces then decimal digits (all spaces = 0). False for anything else or an overflow.
bool parse_sequence(const SequenceField& f, uint64_t& out);

// ---- Fixed-layout packets (kLength = the Packet Length value) --------------------------------

struct LoginAccepted {
  COLO_MESSAGE(LoginAccepted, 'A', 31);
  SessionId session;
  SequenceField sequence_number;  // the next Sequenced Data message the server will send
  static constexpr void fields(auto& io, auto& m) {
    io.tag(kType);
    io.alpha(m.session);
    io.alpha(m.sequence_number);
  }
  friend bool operator==(const LoginAccepted&, const LoginAccepted&) = default;
};

struct LoginRejected {
  COLO_MESSAGE(LoginRejected, 'J', 2);
  char reason = 0;  // A not authorized, S session not available
  static constexpr void fields(auto& io, auto& m) {
    io.tag(kType);
    io.ch(m.reason);
  }
  friend bool operator==(const LoginRejected&, const LoginRejected&) = default;
};
constexpr char kRejectNotAuthorized = 'A';
constexpr char kRejectSessionNotAvailable = 'S';

struct LoginRequest {
  COLO_MESSAGE(LoginRequest, 'L', 47);
  Alpha<6> username;
  Alpha<10> password;
  SessionId requested_session;
  SequenceField requested_sequence_number;
  static constexpr void fields(auto& io, auto& m) {
    io.tag(kType);
    io.alpha(m.username);
    io.alpha(m.password);
    io.alpha(m.requested_session);
    io.alpha(m.requested_sequence_number);
  }
  friend bool operator==(const LoginRequest&, const LoginRequest&) = default;
};

// Packets that are their type byte alone.
#define COLO_SOUP_BARE(Name, TYPE)                                       \
  struct Name {                                                          \
    COLO_MESSAGE(Name, TYPE, 1);                                         \
    static constexpr void fields(auto& io, auto&) { io.tag(kType); }     \
    friend bool operator==(const Name&, const Name&) = default;          \
  }
COLO_SOUP_BARE(ServerHeartbeat, 'H');
COLO_SOUP_BARE(EndOfSession, 'Z');
COLO_SOUP_BARE(ClientHeartbeat, 'R');
COLO_SOUP_BARE(LogoutRequest, 'O');
#undef COLO_SOUP_BARE

constexpr char kDebug = '+';
constexpr char kSequencedData = 'S';
constexpr char kUnsequencedData = 'U';

// ---- Writing ---------------------------------------------------------------------------------

// Appends a fixed-layout packet, its Packet Length first.
template <class M>
void append_packet(std::vector<uint8_t>& out, const M& m) {
  size_t at = out.size();
  out.resize(at + 2 + M::kLength);
  store_u16(out.data() + at, uint16_t(M::kLength));
  write_wire(m, out.data() + at + 2);
}
// Appends a packet of `type` carrying `n` payload bytes (n <= 65534).
void append_packet(std::vector<uint8_t>& out, char type, const uint8_t* payload, size_t n);

// ---- Framing a byte stream -------------------------------------------------------------------

enum class Direction : uint8_t { kFromServer, kFromClient };

// The payload length a packet type must have in a direction: >= 0 fixed, kVariable any,
// kUnknown not a type of that direction.
constexpr int kVariable = -1;
constexpr int kUnknown = -2;
int payload_length(Direction from, uint8_t type);

enum class FrameError : uint8_t { kZeroLength, kTooLong, kUnknownType, kBadLength, kTruncated };
constexpr size_t kFrameErrorKinds = 5;
std::string_view frame_error_name(FrameError e);

struct FrameErrorAt {
  FrameError kind;
  uint64_t offset;  // stream offset of the packet's first length byte
  uint16_t length;  // its Packet Length field (0 when truncated before it)
};

// A whole packet; `payload` points into the fed chunk or the framer's buffer and is valid until
// the next call into the framer.
struct Packet {
  char type;
  const uint8_t* payload;
  size_t size;
  uint64_t offset;  // stream offset of its length field
};

// Feed arbitrary chunks of a stream; whole packets come out in order. Bad input never grows
// memory beyond one packet of max_packet_length: a zero length skips its 2 bytes; a length over
// the maximum is skipped (its bytes discarded as they come, never buffered); an unknown type or a
// wrong payload length for the type skips that packet; a packet cut off by finish() is
// truncated. Each is counted, and the most recent kKeptErrors are kept with their offsets.
class Framer {
 public:
  static constexpr size_t kKeptErrors = 32;
  struct Options {
    Direction from = Direction::kFromServer;
    size_t max_packet_length = 4096;  // the largest Packet Length accepted (at most 65535)
  };
  explicit Framer(Options o);

  // Calls on_packet(const Packet&) for each whole packet in the chunk.
  template <class F>
  void feed(const uint8_t* p, size_t n, F&& on_packet) {
    const uint8_t* end = p + n;
    Packet pk;
    while (next(p, end, pk)) on_packet(pk);
  }
  // End of stream: a partial packet is a kTruncated error. Resets for a new stream.
  void finish();
  // A new stream without judging the old one (offsets restart at 0; counters are kept).
  void reset();

  uint64_t packets() const { return packets_; }
  uint64_t errors() const { return errors_total_; }
  uint64_t errors(FrameError e) const { return errors_[size_t(e)]; }
  const std::vector<FrameErrorAt>& recent_errors() const { return recent_; }
  size_t buffered() const { return buf_.size(); }

 private:
  bool next(const uint8_t*& p, const uint8_t* end, Packet& out);
  void error(FrameError e, uint64_t offset, uint16_t length);
  bool accept(const uint8_t* packet, uint16_t length, uint64_t offset, Packet& out);

  Options opt_;
  std::vector<uint8_t> buf_;  // a partial packet, length field included
  bool clear_buf_ = false;    // buf_ was handed out as a Packet: clear on the next call
  uint64_t consumed_ = 0;     // stream bytes taken in
  uint64_t packet_start_ = 0;
  uint64_t discard_ = 0;      // bytes of an over-long packet still to skip
  uint64_t packets_ = 0;
  uint64_t errors_total_ = 0;
  std::array<uint64_t, kFrameErrorKinds> errors_{};
  std::vector<FrameErrorAt> recent_;
};

}  // namespace colo::soup
