#include "colo/posix.h"
#include "colo/soup_tcp.h"

#include <arpa/inet.h>
#include <algorithm>
#include <cstdint>
#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdexcept>
#include <string>
#include <cstring>
#include <sys/socket.h>
#include <unistd.h>

namespace colo::soup::tcp {
namespace {


void nonblocking(int fd) {
  int flags = fcntl(fd, F_GETFL, 0);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) posix::fail("fcntl");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}


struct NoStamp {
  void operator()() const {}
};

// `stamp` is called once, right after the first read that returned bytes (before they are handled).
template <class Session, class Stamp = NoStamp>
bool pump_any(Socket& s, Session& session, uint64_t now, Stamp stamp = {}, size_t max_read = SIZE_MAX) {
  if (!s.open()) return false;
  uint8_t buf[16384];
  size_t read = 0;
  for (bool first = true; read < max_read; first = false) {
    size_t n = s.read_some(buf, std::min(sizeof buf, max_read - read));
    if (n == 0) break;
    if (first) stamp();
    read += n;
    session.on_bytes(buf, n, now);
  }
  session.on_tick(now);
  SessionOutput& out = session.output();
  s.write(out.send);  // also retries what an earlier round could not write
  out.send.clear();
  if (out.close) {
    s.flush();
    s.close();
    out.close = false;
  }
  if (!s.open()) {
    session.on_disconnected(now);
    return false;
  }
  return true;
}

}  // namespace

Socket& Socket::operator=(Socket&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = o.fd_;
    pending_ = std::move(o.pending_);
    queued_ = o.queued_;
    o.fd_ = -1;
  }
  return *this;
}

size_t Socket::read_some(uint8_t* buf, size_t cap) {
  if (fd_ < 0) return 0;
  ssize_t n = ::recv(fd_, buf, cap, 0);
  if (n > 0) return size_t(n);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return 0;
  close();  // end of stream or an error (a reset)
  return 0;
}

void Socket::write(const std::vector<uint8_t>& bytes) {
  pending_.insert(pending_.end(), bytes.begin(), bytes.end());
  queued_ += bytes.size();
  flush();
}

void Socket::flush() {
  size_t done = 0;
  while (fd_ >= 0 && done < pending_.size()) {
    ssize_t n = ::send(fd_, pending_.data() + done, pending_.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += size_t(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      break;
    } else {
      close();
    }
  }
  pending_.erase(pending_.begin(), pending_.begin() + std::ptrdiff_t(done));
  if (fd_ < 0) pending_.clear();
}

void Socket::close(bool reset) {
  if (fd_ < 0) return;
  if (reset) {
    linger l{1, 0};
    setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
  ::close(fd_);
  fd_ = -1;
  pending_.clear();
}

Listener::Listener(uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) posix::fail("socket");
  int one = 1;
  setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a = posix::loopback(port);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) posix::fail("bind TCP 127.0.0.1:" + std::to_string(port));
  if (::listen(fd_, 8) < 0) posix::fail("listen");
  nonblocking(fd_);
  socklen_t len = sizeof a;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) < 0) posix::fail("getsockname");
  port_ = ntohs(a.sin_port);
}

Listener::~Listener() {
  if (fd_ >= 0) ::close(fd_);
}

Socket Listener::accept() {
  int fd = ::accept(fd_, nullptr, nullptr);
  if (fd < 0) return Socket();
  nonblocking(fd);
  return Socket(fd);
}

Socket connect_loopback(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) posix::fail("socket");
  Socket s(fd);
  nonblocking(fd);
  sockaddr_in a = posix::loopback(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 && errno != EINPROGRESS) {
    posix::fail("connect 127.0.0.1");
  }
  return s;
}

bool pump(Socket& s, ClientSession& session, uint64_t now) { return pump_any(s, session, now); }
bool pump(Socket& s, ServerSession& session, uint64_t now) { return pump_any(s, session, now); }
bool pump(Socket& s, ServerSession& session, uint64_t now, const std::function<uint64_t()>& clock, uint64_t& read_ns,
          size_t max_read) {
  bool read = false;
  const bool open = pump_any(s, session, now, [&] {
    read_ns = clock();
    read = true;
  }, max_read);
  if (!read) read_ns = clock();
  return open;
}

}  // namespace colo::soup::tcp
