// A thin POSIX UDP transport for MoldUDP64 on the loopback interface: non-blocking sockets bound
// to 127.0.0.1, unicast only (lo has no multicast here). The publisher sends downstream packets
// to a receiver port and answers re-requests on its own port from a RetransmissionStore; the
// receiver socket takes downstream and retransmitted packets and sends requests.
#pragma once

#include <cstdint>
#include <optional>
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
  PacketBuilder builder_;
  RetransmissionStore store_;
  uint64_t packets_sent_ = 0, packets_dropped_ = 0, requests_refused_ = 0;
};

// The receiving end: a socket, a MoldReceiver, and where to send requests.
class MoldUdpReceiver {
 public:
  MoldUdpReceiver(uint16_t rerequest_port, ReceiverConfig cfg = {});
  uint16_t port() const { return sock_.port(); }
  void set_rerequest_port(uint16_t p) { rerequest_port_ = p; }
  // Sends a join (a request with Message Count 0, blank session) to the re-request port; see
  // MoldPublisher. Until its heartbeat arrives the receiver knows no session.
  void join();

  // Reads every waiting datagram into the receiver, then sends a request if one is due.
  // Returns the datagrams read.
  size_t pump(uint64_t now_ns, MoldReceiver::Deliver deliver);
  bool wait_readable(int timeout_ms) const { return sock_.wait_readable(timeout_ms); }

  const MoldReceiver& receiver() const { return rx_; }

 private:
  UdpSocket sock_;
  uint16_t rerequest_port_;
  MoldReceiver rx_;
};

}  // namespace colo::mold
