// MoldUDP64 1.00: NASDAQ's sequenced, packetised UDP transport for ITCH.
//
// Downstream packet: Session (10, alphanumeric) | Sequence Number (8, BE: sequence of the first
// message in the packet) | Message Count (2, BE) | Message Blocks, each Message Length (2, BE)
// + message data. Count 0 is a heartbeat (Sequence = next expected), 0xFFFF is End of Session
// (Sequence = one past the last message). A request to the re-request server is Session (10) |
// Sequence Number (8) | Requested Message Count (2), answered with ordinary downstream packets.
//
// Everything here is pure (no sockets, injected clock): the packet builder, the validating
// parser, the receiver state machine (order, gaps, re-requests, duplicates) and the server's
// retransmission store. colo/mold_udp.h puts them on loopback UDP sockets.
#pragma once

#include <absl/functional/function_ref.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "colo/wire.h"

namespace colo::mold {

using Session = Alpha<10>;
using Bytes = std::span<const uint8_t>;

constexpr size_t kHeaderLength = 20;
constexpr size_t kBlockHeaderLength = 2;
constexpr uint16_t kEndOfSessionCount = 0xFFFF;
// Largest count a data packet may carry (0xFFFF means End of Session).
constexpr uint16_t kMaxMessageCount = 0xFFFE;
// Downstream payload (UDP datagram) size the builder aims for: fits a 1500-byte Ethernet MTU.
constexpr size_t kDefaultMaxPayload = 1400;

// The downstream header; a request packet has the same three fields (the count is the number
// of messages asked for).
struct Header {
  Session session;
  uint64_t sequence = 0;
  uint16_t count = 0;
  static constexpr void fields(auto& io, auto& m) {
    io.alpha(m.session);
    io.u64(m.sequence);
    io.u16(m.count);
  }
  friend bool operator==(const Header&, const Header&) = default;
};
using Request = Header;
static_assert(wire_size<Header>() == kHeaderLength);
constexpr size_t kRequestLength = kHeaderLength;

// Writes a heartbeat / End of Session / request (20 bytes each) into `out`.
size_t write_heartbeat(const Session& s, uint64_t next_sequence, uint8_t* out);
size_t write_end_of_session(const Session& s, uint64_t next_sequence, uint8_t* out);
size_t write_request(const Request& r, uint8_t* out);
// Reads a request packet: exactly 20 bytes.
std::optional<Request> read_request(const uint8_t* p, size_t n);

// Appends messages into one downstream packet up to a payload size; `take()` hands the packet
// out and starts the next one at the following sequence number.
class PacketBuilder {
 public:
  PacketBuilder(const Session& session, uint64_t next_sequence,
                size_t max_payload = kDefaultMaxPayload);

  // Whether a message of n bytes fits in the current packet.
  bool fits(size_t n) const;
  // Appends one message; false when it does not fit (take() first) or can never fit.
  bool append(const uint8_t* p, size_t n);
  bool append(Bytes b) { return append(b.data(), b.size()); }

  uint16_t count() const { return count_; }
  bool empty() const { return count_ == 0; }
  uint64_t first_sequence() const { return first_; }
  // Sequence the next appended message will get.
  uint64_t next_sequence() const { return first_ + count_; }
  // The packet so far (header up to date). Valid until the next append/take.
  Bytes bytes() const { return {buf_.data(), buf_.size()}; }
  // The packet, then an empty one that starts at next_sequence().
  std::vector<uint8_t> take();

  // A heartbeat / End of Session carrying next_sequence() (the open packet is not touched).
  std::vector<uint8_t> heartbeat() const;
  std::vector<uint8_t> end_of_session() const;

 private:
  void reset(uint64_t first);
  Session session_;
  uint64_t first_;
  size_t max_payload_;
  uint16_t count_ = 0;
  std::vector<uint8_t> buf_;
};

enum class PacketKind : uint8_t { kData, kHeartbeat, kEndOfSession };

enum class ParseStatus : uint8_t {
  kOk,
  kHeaderTruncated,      // fewer than 20 bytes
  kBlockTruncated,       // a Message Length field cut by the packet end
  kBlockOverrun,         // a Message Length running past the packet end
  kCountMismatch,        // the packet ends before Message Count blocks
  kTrailingBytes,        // bytes after the last counted block (or after a heartbeat / EOS)
  kSequenceOverflow,     // sequence + count does not fit in 64 bits
};
constexpr size_t kParseStatusCount = 7;
std::string_view status_name(ParseStatus s);

// A validated downstream packet. Only when status == kOk may its messages be read.
struct Packet {
  Header h;
  PacketKind kind = PacketKind::kData;
  ParseStatus status = ParseStatus::kOk;
  size_t error_offset = 0;  // offset in the packet where the error was found
  const uint8_t* p = nullptr;
  size_t n = 0;

  bool ok() const { return status == ParseStatus::kOk; }
  // Messages carried (0 for heartbeat / End of Session).
  uint16_t message_count() const { return kind == PacketKind::kData ? h.count : 0; }
  // One past the last sequence this packet covers (the next expected after it).
  uint64_t end_sequence() const { return h.sequence + message_count(); }

  // handler(uint64_t sequence, Bytes message) for each message, in order.
  template <class F>
  void for_each(F&& handler) const {
    size_t off = kHeaderLength;
    for (uint16_t i = 0; i < message_count(); ++i) {
      size_t len = load_u16(p + off);
      handler(h.sequence + i, Bytes{p + off + kBlockHeaderLength, len});
      off += kBlockHeaderLength + len;
    }
  }
};

// Validates the whole packet (header, every block, count, trailing bytes) without copying.
Packet parse_packet(const uint8_t* p, size_t n);

// Counts per parse error, plus where the last one was seen.
struct ParseErrors {
  uint64_t by_status[kParseStatusCount] = {};
  uint64_t last_offset = 0;
  ParseStatus last = ParseStatus::kOk;
  void add(const Packet& pk) {
    ++by_status[size_t(pk.status)];
    last = pk.status;
    last_offset = pk.error_offset;
  }
  uint64_t total() const {
    uint64_t t = 0;
    for (size_t i = 1; i < kParseStatusCount; ++i) t += by_status[i];
    return t;
  }
};

// ---------------------------------------------------------------------------------------------
// Receiver: delivers each message of a session once, in sequence order, and asks for what the
// multicast lost. Time is the caller's (nanoseconds, any epoch, non-decreasing).

struct ReceiverConfig {
  uint64_t first_sequence = 1;         // MoldUDP64 sessions start at 1
  bool join_at_first_packet = false;   // start at the first packet's sequence (late joiner)
  uint16_t max_request = 256;          // messages asked for per request
  uint64_t request_timeout_ns = 100'000'000;  // re-send an unanswered request after this
  size_t max_buffered_messages = 65536;       // out-of-order messages held
  size_t max_buffered_bytes = 16 << 20;
};

struct ReceiverStats {
  uint64_t packets = 0;
  uint64_t heartbeats = 0;
  uint64_t delivered = 0;
  uint64_t duplicates = 0;          // messages already delivered or already buffered
  uint64_t buffered = 0;            // messages that arrived ahead of a gap
  uint64_t buffer_overflow = 0;     // ahead-of-gap messages dropped (bound reached)
  uint64_t gaps = 0;                // times a gap was first seen
  uint64_t requests = 0;            // requests emitted (first sends and re-sends)
  uint64_t request_resends = 0;     // of which re-sends after a timeout
  uint64_t session_changes = 0;     // packets of another session (dropped)
  uint64_t after_end = 0;           // new messages after End of Session (dropped)
  ParseErrors parse_errors;
};

class MoldReceiver {
 public:
  using Deliver = absl::FunctionRef<void(uint64_t sequence, Bytes message)>;

  explicit MoldReceiver(ReceiverConfig cfg = {});

  // Feeds one datagram (downstream or retransmitted: they are alike).
  void on_packet(const uint8_t* p, size_t n, uint64_t now_ns, Deliver deliver);
  // The same, for a datagram the caller has parsed already (parse_packet's result, whatever it was).
  void on_packet(const Packet& pk, uint64_t now_ns, Deliver deliver);
  // A request to send now, if a gap is open and no request is pending (or it timed out).
  std::optional<Request> poll(uint64_t now_ns);

  uint64_t next_expected() const { return next_; }
  // One past the highest sequence any packet has announced.
  uint64_t highest_seen() const { return highest_; }
  bool has_gap() const { return next_ < highest_; }
  bool session_known() const { return session_.has_value(); }
  const Session& session() const { return *session_; }
  // End of Session seen and everything before it delivered.
  bool ended() const { return end_.has_value() && next_ >= *end_; }
  size_t buffered_messages() const { return buffer_.size(); }
  const ReceiverStats& stats() const { return stats_; }

 private:
  void accept(uint64_t seq, Bytes msg, Deliver& deliver);
  void drain(Deliver& deliver);

  ReceiverConfig cfg_;
  std::optional<Session> session_;
  uint64_t next_;
  uint64_t highest_;
  std::optional<uint64_t> end_;
  std::map<uint64_t, std::vector<uint8_t>> buffer_;  // ahead of next_
  size_t buffer_bytes_ = 0;
  struct Pending {
    Request r;
    uint64_t sent_ns;
  };
  std::optional<Pending> pending_;
  ReceiverStats stats_;
};

// ---------------------------------------------------------------------------------------------
// Server side: the messages published so far (bounded: the oldest are forgotten first), and
// the answer to a request as downstream packets.

enum class RequestStatus : uint8_t {
  kOk,
  kMalformed,     // not 20 bytes
  kWrongSession,
  kEmpty,         // count 0 (or 0xFFFF)
  kNotYetSent,    // starts at or after the next sequence
  kForgotten,     // starts before the oldest message held
};
std::string_view status_name(RequestStatus s);

class RetransmissionStore {
 public:
  RetransmissionStore(const Session& session, uint64_t first_sequence = 1,
                      size_t max_bytes = 64 << 20, size_t max_payload = kDefaultMaxPayload);

  // Stores the next message; returns its sequence number.
  uint64_t append(const uint8_t* p, size_t n);
  uint64_t append(Bytes b) { return append(b.data(), b.size()); }

  // Sequences held: [first(), next()).
  uint64_t first() const { return first_; }
  uint64_t next() const { return first_ + msgs_.size(); }
  size_t bytes_held() const { return bytes_; }
  std::optional<Bytes> get(uint64_t seq) const;

  // Answers a request packet with send(packet) per downstream packet; a request running past
  // next() is answered up to next(). Returns what was done.
  RequestStatus answer(const uint8_t* p, size_t n, absl::FunctionRef<void(Bytes)> send) const;
  // What answer() would say of a request packet, without sending; on kOk *req is the request.
  RequestStatus check(const uint8_t* p, size_t n, Request* req) const;
  // Sends messages [from, end) (end clamped to next()) as at most max_packets downstream packets;
  // returns the sequence after the last message sent (`from` when none could be: forgotten since,
  // or a message larger than a packet).
  uint64_t send_range(uint64_t from, uint64_t end, size_t max_packets,
                      absl::FunctionRef<void(Bytes)> send) const;

 private:
  Session session_;
  uint64_t first_;
  size_t max_bytes_;
  size_t max_payload_;
  std::deque<std::vector<uint8_t>> msgs_;
  size_t bytes_ = 0;
};

}  // namespace colo::mold
