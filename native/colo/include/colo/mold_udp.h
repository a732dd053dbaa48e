// A thin POSIX UDP transport for MoldUDP64 on the loopback interface: non-blocking sockets bound
// to 127.0.0.1, unicast only (lo has no multicast here). The publisher sends downstream packets
// to a receiver port and answers re-requests on its own port from a RetransmissionStore; the
// receiver socket takes downstream and retransmitted packets and sends requests.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <span>
#include <string>
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

// A publisher for several unicast subscribers (the venue's feed). One socket: downstream packets
// go from it to every subscriber, and it is the re-request port. A subscriber joins by sending
// a request packet with Message Count 0 (Session blank or this session's) from the socket it
// receives on; the answer is a heartbeat carrying the next sequence, so it can re-request what it
// missed. Other requests are answered from the retransmission store (back to the requester).
// Subscribers are bounded (further joins are refused and counted). Packets whose first message
// has a sequence number in the drop set are stored but not sent: deliberate loss for tests.
class MoldFanout {
 public:
  MoldFanout(const Session& session, uint16_t port = 0, size_t max_subscribers = 64,
             size_t max_payload = kDefaultMaxPayload);

  uint16_t port() const { return sock_.port(); }
  int fd() const { return sock_.fd(); }
  void drop_packets_at(std::set<uint64_t> first_sequences) { drop_ = std::move(first_sequences); }
  // Called around the sends of each downstream data packet (not heartbeats, End of Session or
  // retransmissions): with before = true just before the first sendto, with false after the
  // last. The venue's audit uses it to stamp the moment a packet left.
  using SendHook = std::function<void(uint64_t first_sequence, uint64_t count, bool before)>;
  void set_send_hook(SendHook h) { send_hook_ = std::move(h); }

  // Adds a message to the open packet (sending the packet first if it is full); returns the
  // message's sequence number, 0 when it can never fit a packet.
  uint64_t publish(Bytes message, uint64_t now_ns);
  // Sends the open packet (if any) to every subscriber.
  void flush(uint64_t now_ns);
  // A heartbeat to every subscriber when nothing was sent for idle_ns.
  void heartbeat_if_idle(uint64_t now_ns, uint64_t idle_ns);
  void end_of_session(uint64_t now_ns);
  // Answers waiting joins and requests; returns how many datagrams were read.
  size_t serve(uint64_t now_ns);

  uint64_t next_sequence() const { return builder_.next_sequence(); }
  const std::vector<uint16_t>& subscribers() const { return subscribers_; }
  const RetransmissionStore& store() const { return store_; }
  struct Stats {
    uint64_t packets_sent = 0, packets_dropped = 0, heartbeats = 0;
    uint64_t joins = 0, joins_refused = 0, requests_answered = 0, requests_refused = 0;
  };
  const Stats& stats() const { return stats_; }

 private:
  void send_all(Bytes b, uint64_t now_ns);
  Session session_;
  UdpSocket sock_;
  size_t max_subscribers_;
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
