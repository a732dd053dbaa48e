// A thin POSIX UDP transport for MoldUDP64 on the loopback interface: non-blocking sockets bound
// to 127.0.0.1, unicast only (lo has no multicast here). The publisher sends downstream packets
// to a receiver port and answers re-requests on its own port from a RetransmissionStore; the
// receiver socket takes downstream and retransmitted packets and sends requests.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "colo/moldudp64.h"

namespace colo::mold {

class UdpSocket {
 public:
  // Binds a non-blocking UDP socket to 127.0.0.1:port (0 = any free port). Throws
  // std::system_error on failure.
  static UdpSocket bind_loopback(uint16_t port = 0);

  UdpSocket() = default;
  UdpSocket(UdpSocket&& o) noexcept : fd_(o.fd_), port_(o.port_) { o.fd_ = -1; }
  UdpSocket& operator=(UdpSocket&& o) noexcept;
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;
  ~UdpSocket();

  int fd() const { return fd_; }
  uint16_t port() const { return port_; }

  // Sends one datagram to 127.0.0.1:port; false if the kernel refused it (EAGAIN, ...).
  bool send_to(uint16_t port, Bytes b) const;
  // Receives one datagram into buf; nullopt when none is waiting. from_port gets the sender.
  std::optional<size_t> recv(std::span<uint8_t> buf, uint16_t* from_port = nullptr) const;
  // Waits up to timeout_ms for a datagram; true when one is readable.
  bool wait_readable(int timeout_ms) const;

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// Publishes a session: packs messages into packets to the receiver port, stores them, and
// answers re-requests that arrive on its own socket (retransmissions go back to the requester).
//
// Joining (this project's loopback convention; real MoldUDP64 is multicast): a request with
// Message Count 0 (session blank or this one) adds the requester's port to the downstream
// destinations and is answered with a heartbeat carrying the next sequence number, which tells
// a new receiver the session and how much to re-request from sequence 1.
class MoldPublisher {
 public:
  // receiver_port 0: no destination until a receiver joins.
  MoldPublisher(const Session& session, uint16_t receiver_port,
                size_t max_payload = kDefaultMaxPayload);

  uint16_t rerequest_port() const { return server_.port(); }
  // Adds a message to the open packet (sending the packet first if it is full).
  void publish(Bytes message);
  // Sends the open packet (if any). With drop = true it is built and stored but not sent: a
  // deliberately lost packet, for tests.
  void flush(bool drop = false);
  // A heartbeat with the next sequence (an End of Session once the session ended).
  void heartbeat();
  void end_of_session();
  // Answers waiting requests (and joins); returns how many were answered.
  size_t serve_requests();
  // Waits up to timeout_ms for a request to arrive on the re-request port.
  bool wait_request(int timeout_ms) const { return server_.wait_readable(timeout_ms); }

  const RetransmissionStore& store() const { return store_; }
  uint64_t packets_sent() const { return packets_sent_; }
  uint64_t packets_dropped() const { return packets_dropped_; }
  uint64_t requests_refused() const { return requests_refused_; }
  uint64_t joins() const { return joins_; }
  // Ports that joined (beside the constructor's receiver port).
  const std::vector<uint16_t>& subscribers() const { return subscribers_; }

 private:
  void send(Bytes b);
  UdpSocket out_;
  UdpSocket server_;
  uint16_t receiver_port_;
  Session session_;
  std::vector<uint16_t> subscribers_;
  uint64_t joins_ = 0;
  bool ended_ = false;
  PacketBuilder builder_;
  RetransmissionStore store_;
  uint64_t packets_sent_ = 0, packets_dropped_ = 0, requests_refused_ = 0;
};

// The limits of MoldFanout (the venue's feed), so that no UDP peer can hold its poll loop or its
// subscriber slots.
//
// Re-requests are not answered at once: each is a job (one per requesting port; a newer request
// from that port replaces its job unless the job already covers it), and each serve() sends at most
// kAnswerDatagramsPerServe datagrams of answers, one per job in turn (round robin), the rest in later
// serves. A request is clamped to kMaxRequestCount messages: real MoldUDP64 re-request servers
// answer with far less (the spec's answer is "a Downstream Packet"), but this project's receivers
// ask up to 4096 at once (the addon's ItchFeed; colo_fastpath 256) and ask again only after a
// timeout, so a smaller cap would slow every late joiner's catch-up. A receiver asks again for the
// rest, as MoldUDP64 receivers do for anything unanswered.
constexpr uint16_t kMaxRequestCount = 4096;
constexpr size_t kAnswerDatagramsPerServe = 128;  // ~180 kB: well inside a receiver's 4 MiB buffer
constexpr size_t kRequestsReadPerServe = 256;     // the rest wait in the socket for the next serve
constexpr size_t kMaxRequesters = 256;            // ports with a job; requests from more are refused
// Subscribers are dropped after kSubscriberTimeoutNs without a request (a join or a re-request)
// from them: this project's receivers join again every kJoinKeepaliveNs while they run.
constexpr uint64_t kJoinKeepaliveNs = 2'000'000'000;
constexpr uint64_t kSubscriberTimeoutNs = 5 * kJoinKeepaliveNs;

// A publisher for several unicast subscribers (the venue's feed). One socket: downstream packets
// go from it to every subscriber, and it is the re-request port. A subscriber joins by sending
// a request packet with Message Count 0 (Session blank or this session's) from the socket it
// receives on; the answer is a heartbeat carrying the next sequence, so it can re-request what it
// missed. Other requests are answered from the retransmission store (back to the requester).
// Subscribers are bounded (further joins are refused and counted) and expire after
// subscriber_timeout_ns without a request from them (0: never). Packets whose first message
// has a sequence number in the drop set are stored but not sent: deliberate loss for tests.
class MoldFanout {
 public:
  MoldFanout(const Session& session, uint16_t port = 0, size_t max_subscribers = 64,
             size_t max_payload = kDefaultMaxPayload,
             uint64_t subscriber_timeout_ns = kSubscriberTimeoutNs);

  uint16_t port() const { return sock_.port(); }
  int fd() const { return sock_.fd(); }
  void drop_packets_at(std::set<uint64_t> first_sequences) { drop_ = std::move(first_sequences); }
  // Called around the sends of each downstream data packet (not heartbeats, End of Session or
  // retransmissions): with before = true just before the first sendto, with false after the
  // last. The venue's audit uses it to stamp the moment a packet left.
  using SendHook = std::function<void(uint64_t first_sequence, uint64_t count, bool before)>;
  void set_send_hook(SendHook h) { send_hook_ = std::move(h); }
  // Called when a subscriber expires ("subscriber expired") and when joins are refused because
  // the feed is full ("join refused"; at most once a second, `count` the joins refused since the
  // last call): the venue's audit.
  using EventHook = std::function<void(std::string_view event, uint16_t port, uint64_t count)>;
  void set_event_hook(EventHook h) { event_hook_ = std::move(h); }

  // Adds a message to the open packet (sending the packet first if it is full); returns the
  // message's sequence number, 0 when it can never fit a packet.
  uint64_t publish(Bytes message, uint64_t now_ns);
  // Sends the open packet (if any) to every subscriber.
  void flush(uint64_t now_ns);
  // A heartbeat to every subscriber when nothing was sent for idle_ns.
  void heartbeat_if_idle(uint64_t now_ns, uint64_t idle_ns);
  void end_of_session(uint64_t now_ns);
  // Reads waiting joins and requests (at most kRequestsReadPerServe), answers the joins, and sends
  // the next kAnswerDatagramsPerServe datagrams of re-request answers; returns how many datagrams
  // were read.
  size_t serve(uint64_t now_ns);
  // Re-request answers wait to be sent: serve again without waiting.
  bool busy() const { return !jobs_.empty(); }

  uint64_t next_sequence() const { return builder_.next_sequence(); }
  const std::vector<uint16_t>& subscribers() const { return subscribers_; }
  const RetransmissionStore& store() const { return store_; }
  struct Stats {
    uint64_t packets_sent = 0, packets_dropped = 0, heartbeats = 0;
    uint64_t joins = 0, joins_refused = 0, requests_answered = 0, requests_refused = 0;
    uint64_t retransmitted = 0;        // datagrams sent in answer to re-requests
    uint64_t requests_clamped = 0;     // asked for more than kMaxRequestCount messages
    uint64_t subscribers_expired = 0;
  };
  const Stats& stats() const { return stats_; }

 private:
  void send_all(Bytes b, uint64_t now_ns);
  void join(uint16_t from, const Request& req, uint64_t now_ns);
  void enqueue(uint16_t from, const Request& req);
  void expire(uint64_t now_ns);
  void answer_jobs();
  struct Job {
    uint16_t port;
    uint64_t next, end;  // messages [next, end) still to send
  };
  Session session_;
  UdpSocket sock_;
  size_t max_subscribers_;
  uint64_t subscriber_timeout_ns_;
  std::vector<uint64_t> heard_ns_;  // per subscriber: its last request
  uint64_t last_sweep_ns_ = 0;
  uint64_t refused_unreported_ = 0, last_refusal_note_ns_ = 0;
  bool refusal_noted_ = false;
  std::deque<Job> jobs_;
  EventHook event_hook_;
  PacketBuilder builder_;
  RetransmissionStore store_;
  std::set<uint64_t> drop_;
  SendHook send_hook_;
  std::vector<uint16_t> subscribers_;
  uint64_t last_sent_ns_ = 0;
  bool started_ = false;
  bool ended_ = false;
  Stats stats_;
};

// The receiving end: a socket, a MoldReceiver, and where to send requests.
class MoldUdpReceiver {
 public:
  MoldUdpReceiver(uint16_t rerequest_port, ReceiverConfig cfg = {});
  uint16_t port() const { return sock_.port(); }
  int fd() const { return sock_.fd(); }
  void set_rerequest_port(uint16_t p) { rerequest_port_ = p; }
  // Joins the publisher (MoldPublisher or MoldFanout): a request with Message Count 0 to the
  // re-request port, answered by a heartbeat that names the session and the next sequence.
  void join(const Session& session = Session::of(""));

  // Reads the waiting datagrams (at most max_datagrams) into the receiver, then sends a request
  // if one is due. Returns the datagrams read.
  size_t pump(uint64_t now_ns, MoldReceiver::Deliver deliver, size_t max_datagrams = SIZE_MAX);
  bool wait_readable(int timeout_ms) const { return sock_.wait_readable(timeout_ms); }

  const MoldReceiver& receiver() const { return rx_; }

 private:
  UdpSocket sock_;
  uint16_t rerequest_port_;
  MoldReceiver rx_;
};

}  // namespace colo::mold
