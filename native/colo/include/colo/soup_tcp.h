// A thin loopback TCP transport for the SoupBinTCP sessions (colo/soup_session.h): non-blocking
// POSIX sockets on 127.0.0.1 only. pump() moves bytes between a socket and a session and applies
// the session's decisions; the caller supplies the time and reads the session's events.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "colo/soup_session.h"

namespace colo::soup::tcp {

class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  Socket(Socket&& o) noexcept : fd_(o.fd_), pending_(std::move(o.pending_)), queued_(o.queued_) { o.fd_ = -1; }
  Socket& operator=(Socket&& o) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() { close(); }

  bool open() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  // Reads what is available into `buf`; 0 when nothing is. Closes the socket on end of stream
  // or an error.
  size_t read_some(uint8_t* buf, size_t cap);
  // Queues bytes and writes as many of the queued ones as the socket takes.
  void write(const std::vector<uint8_t>& bytes);
  void flush();
  size_t pending() const { return pending_.size(); }
  // Bytes ever given to write() on this connection (queued() - pending(): taken by the kernel).
  uint64_t queued() const { return queued_; }
  // Closes at once; with `reset`, unsent and unread data are dropped (RST).
  void close(bool reset = false);

 private:
  int fd_ = -1;
  std::vector<uint8_t> pending_;
  uint64_t queued_ = 0;
};

class Listener {
 public:
  explicit Listener(uint16_t port = 0);  // 0: any free port; throws std::runtime_error
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  uint16_t port() const { return port_; }
  int fd() const { return fd_; }
  Socket accept();  // !open() when no connection is waiting

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// Starts a non-blocking connect to 127.0.0.1:port; throws std::runtime_error on failure.
Socket connect_loopback(uint16_t port);

// One round for a connected session: read what has arrived into it, tick it, write what it has
// to send, and close the socket if it asks; a socket found closed becomes on_disconnected.
// Returns false when the socket is (now) closed.
bool pump(Socket& s, ClientSession& session, uint64_t now);
bool pump(Socket& s, ServerSession& session, uint64_t now);
// The same, setting `read_ns` to clock() right after the first read that returned bytes (before
// the session handles them), or after the round when nothing was read: when a message arrived.
// At most max_read bytes are read; the rest waits in the socket for the next round.
bool pump(Socket& s, ServerSession& session, uint64_t now, const std::function<uint64_t()>& clock, uint64_t& read_ns,
          size_t max_read = SIZE_MAX);

}  // namespace colo::soup::tcp
