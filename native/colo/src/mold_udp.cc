#include "colo/posix.h"
#include "colo/mold_udp.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include <string>

namespace colo::mold {

UdpSocket UdpSocket::bind_loopback(uint16_t port) {
  UdpSocket s;
  s.fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s.fd_ < 0) posix::fail("socket");
  int buf = 4 << 20;  // room for a burst of packets before the reader runs
  ::setsockopt(s.fd_, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  sockaddr_in a = posix::loopback(port);
  if (::bind(s.fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) posix::fail("bind UDP 127.0.0.1:" + std::to_string(port));
  socklen_t len = sizeof a;
  if (::getsockname(s.fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) posix::fail("getsockname");
  s.port_ = ntohs(a.sin_port);
  return s;
}

UdpSocket& UdpSocket::operator=(UdpSocket&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    port_ = o.port_;
    o.fd_ = -1;
  }
  return *this;
}

UdpSocket::~UdpSocket() {
  if (fd_ >= 0) ::close(fd_);
}

bool UdpSocket::send_to(uint16_t port, Bytes b) const {
  sockaddr_in a = posix::loopback(port);
  ssize_t n = ::sendto(fd_, b.data(), b.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
  return n == ssize_t(b.size());
}

std::optional<size_t> UdpSocket::recv(std::span<uint8_t> buf, uint16_t* from_port) const {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  ssize_t n = ::recvfrom(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&a), &len);
  if (n < 0) return std::nullopt;  // EAGAIN (nothing waiting) or an error: both "none"
  if (from_port) *from_port = ntohs(a.sin_port);
  return size_t(n);
}

bool UdpSocket::wait_readable(int timeout_ms) const {
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) > 0 && (p.revents & POLLIN);
}

// --- publisher -------------------------------------------------------------------------------

MoldPublisher::MoldPublisher(const Session& session, uint16_t receiver_port, size_t max_payload)
    : out_(UdpSocket::bind_loopback()),
      server_(UdpSocket::bind_loopback()),
      receiver_port_(receiver_port),
      session_(session),
      builder_(session, 1, max_payload),
      store_(session, 1, 64 << 20, max_payload) {}

void MoldPublisher::send(Bytes b) {
  bool sent = receiver_port_ != 0 && out_.send_to(receiver_port_, b);
  for (uint16_t p : subscribers_) sent = out_.send_to(p, b) || sent;
  if (sent) ++packets_sent_;
}

void MoldPublisher::publish(Bytes message) {
  if (!builder_.fits(message.size())) flush();
  if (builder_.append(message)) store_.append(message);
}

void MoldPublisher::flush(bool drop) {
  if (builder_.empty()) return;
  auto pk = builder_.take();
  if (drop) {
    ++packets_dropped_;
  } else {
    send(Bytes{pk.data(), pk.size()});
  }
}

void MoldPublisher::heartbeat() {
  // After the end, the heartbeat is an End of Session (MoldUDP64 repeats it): a receiver that lost
  // the first one learns the session ended and how far it went.
  auto pk = ended_ ? builder_.end_of_session() : builder_.heartbeat();
  send(Bytes{pk.data(), pk.size()});
}

void MoldPublisher::end_of_session() {
  flush();
  ended_ = true;
  auto pk = builder_.end_of_session();
  send(Bytes{pk.data(), pk.size()});
}

size_t MoldPublisher::serve_requests() {
  uint8_t buf[64];
  size_t answered = 0;
  uint16_t from = 0;
  const Session blank = Session::of("");
  while (auto n = server_.recv(buf, &from)) {
    auto join = read_request(buf, *n);
    if (join && join->count == 0 && (join->session == blank || join->session == session_)) {
      if (from != receiver_port_ &&
          std::find(subscribers_.begin(), subscribers_.end(), from) == subscribers_.end())
        subscribers_.push_back(from);
      // After the end, a joiner learns it from an End of Session (it still re-requests what it missed).
      auto hb = ended_ ? builder_.end_of_session() : builder_.heartbeat();
      server_.send_to(from, Bytes{hb.data(), hb.size()});
      ++joins_;
      ++answered;
      continue;
    }
    auto st = store_.answer(buf, *n, [&](Bytes pk) { server_.send_to(from, pk); });
    if (st == RequestStatus::kOk) {
      ++answered;
    } else {
      ++requests_refused_;
    }
  }
  return answered;
}

// --- fan-out publisher -----------------------------------------------------------------------

MoldFanout::MoldFanout(const Session& session, uint16_t port, size_t max_subscribers,
                       size_t max_payload, uint64_t subscriber_timeout_ns)
    : session_(session),
      sock_(UdpSocket::bind_loopback(port)),
      max_subscribers_(max_subscribers),
      subscriber_timeout_ns_(subscriber_timeout_ns),
      builder_(session, 1, max_payload),
      store_(session, 1, 64 << 20, max_payload) {}

void MoldFanout::send_all(Bytes b, uint64_t now_ns) {
  for (uint16_t p : subscribers_) sock_.send_to(p, b);
  last_sent_ns_ = now_ns;
  started_ = true;
}

uint64_t MoldFanout::publish(Bytes message, uint64_t now_ns) {
  if (!builder_.fits(message.size())) flush(now_ns);
  if (!builder_.append(message)) return 0;
  return store_.append(message);
}

void MoldFanout::flush(uint64_t now_ns) {
  if (builder_.empty()) return;
  const uint64_t first = builder_.first_sequence();
  auto pk = builder_.take();
  if (drop_.contains(first)) {
    ++stats_.packets_dropped;
    last_sent_ns_ = now_ns;  // lost on the wire, as far as anyone can tell
    return;
  }
  const uint64_t count = builder_.next_sequence() - first;
  if (send_hook_) send_hook_(first, count, true);
  send_all(Bytes{pk.data(), pk.size()}, now_ns);
  if (send_hook_) send_hook_(first, count, false);
  ++stats_.packets_sent;
}

void MoldFanout::heartbeat_if_idle(uint64_t now_ns, uint64_t idle_ns) {
  if (started_ && now_ns - last_sent_ns_ < idle_ns) return;
  auto pk = builder_.heartbeat();
  send_all(Bytes{pk.data(), pk.size()}, now_ns);
  ++stats_.heartbeats;
}

void MoldFanout::end_of_session(uint64_t now_ns) {
  flush(now_ns);
  ended_ = true;
  auto pk = builder_.end_of_session();
  send_all(Bytes{pk.data(), pk.size()}, now_ns);
}

size_t MoldFanout::serve(uint64_t now_ns) {
  uint8_t buf[64];
  size_t read = 0;
  uint16_t from = 0;
  while (read < kRequestsReadPerServe) {
    auto n = sock_.recv(buf, &from);
    if (!n) break;
    ++read;
    auto req = read_request(buf, *n);
    if (req && req->count == 0) {
      join(from, *req, now_ns);
      continue;
    }
    Request r;
    if (store_.check(buf, *n, &r) != RequestStatus::kOk) {
      ++stats_.requests_refused;
      continue;
    }
    auto it = std::find(subscribers_.begin(), subscribers_.end(), from);
    if (it != subscribers_.end()) heard_ns_[size_t(it - subscribers_.begin())] = now_ns;
    enqueue(from, r);
  }
  if (subscriber_timeout_ns_ != 0 && now_ns - last_sweep_ns_ >= 1'000'000'000) expire(now_ns);
  if (!jobs_.empty()) answer_jobs();
  return read;
}

void MoldFanout::join(uint16_t from, const Request& req, uint64_t now_ns) {
  if (req.session != session_ && req.session != Session::of("")) {
    ++stats_.joins_refused;
    return;
  }
  auto it = std::find(subscribers_.begin(), subscribers_.end(), from);
  if (it == subscribers_.end() && subscribers_.size() >= max_subscribers_ && subscriber_timeout_ns_ != 0) {
    expire(now_ns);
  }
  if (it == subscribers_.end() && subscribers_.size() >= max_subscribers_) {
    ++stats_.joins_refused;
    ++refused_unreported_;
    if (!refusal_noted_ || now_ns - last_refusal_note_ns_ >= 1'000'000'000) {
      if (event_hook_) event_hook_("join refused", from, refused_unreported_);
      refused_unreported_ = 0;
      refusal_noted_ = true;
      last_refusal_note_ns_ = now_ns;
    }
    return;
  }
  if (it == subscribers_.end()) {
    subscribers_.push_back(from);
    heard_ns_.push_back(now_ns);
  } else {
    heard_ns_[size_t(it - subscribers_.begin())] = now_ns;
  }
  ++stats_.joins;
  // After the end, a joiner learns it from an End of Session (it still re-requests what it missed).
  auto hb = ended_ ? builder_.end_of_session() : builder_.heartbeat();
  sock_.send_to(from, Bytes{hb.data(), hb.size()});
}

void MoldFanout::enqueue(uint16_t from, const Request& req) {
  uint16_t count = req.count;
  if (count > kMaxRequestCount) {
    count = kMaxRequestCount;
    ++stats_.requests_clamped;
  }
  const uint64_t end = req.sequence + count;  // no overflow: check() saw sequence < next()
  auto job = std::find_if(jobs_.begin(), jobs_.end(), [&](const Job& j) { return j.port == from; });
  if (job != jobs_.end()) {
    // A receiver asks again for what it is being sent (its request timed out): keep the job.
    if (req.sequence < job->next || end > job->end) *job = Job{from, req.sequence, end};
    ++stats_.requests_answered;
    return;
  }
  if (jobs_.size() >= kMaxRequesters) {
    ++stats_.requests_refused;
    return;
  }
  jobs_.push_back(Job{from, req.sequence, end});
  ++stats_.requests_answered;
}

void MoldFanout::answer_jobs() {
  for (size_t budget = kAnswerDatagramsPerServe; budget > 0 && !jobs_.empty(); --budget) {
    Job j = jobs_.front();
    jobs_.pop_front();
    const uint64_t next = store_.send_range(j.next, j.end, 1, [&](Bytes pk) { sock_.send_to(j.port, pk); });
    if (next == j.next) continue;  // forgotten meanwhile, or cannot be sent: done
    ++stats_.retransmitted;
    j.next = next;
    if (j.next < j.end && j.next < store_.next()) jobs_.push_back(j);
  }
}

void MoldFanout::expire(uint64_t now_ns) {
  last_sweep_ns_ = now_ns;
  for (size_t i = 0; i < subscribers_.size();) {
    if (now_ns > heard_ns_[i] && now_ns - heard_ns_[i] >= subscriber_timeout_ns_) {
      const uint16_t port = subscribers_[i];
      subscribers_.erase(subscribers_.begin() + std::ptrdiff_t(i));
      heard_ns_.erase(heard_ns_.begin() + std::ptrdiff_t(i));
      ++stats_.subscribers_expired;
      if (event_hook_) event_hook_("subscriber expired", port, 1);
    } else {
      ++i;
    }
  }
}

// --- receiver --------------------------------------------------------------------------------

MoldUdpReceiver::MoldUdpReceiver(uint16_t rerequest_port, ReceiverConfig cfg)
    : sock_(UdpSocket::bind_loopback()), rerequest_port_(rerequest_port), rx_(cfg) {}

void MoldUdpReceiver::join(const Session& session) {
  uint8_t out[kRequestLength];
  write_request(Request{session, 0, 0}, out);
  sock_.send_to(rerequest_port_, Bytes{out, sizeof out});
}

size_t MoldUdpReceiver::pump(uint64_t now_ns, MoldReceiver::Deliver deliver, size_t max_datagrams) {
  uint8_t buf[65536];
  size_t got = 0;
  while (got < max_datagrams) {
    auto n = sock_.recv(buf);
    if (!n) break;
    rx_.on_packet(buf, *n, now_ns, deliver);
    ++got;
  }
  if (auto req = rx_.poll(now_ns)) {
    uint8_t out[kRequestLength];
    write_request(*req, out);
    sock_.send_to(rerequest_port_, Bytes{out, sizeof out});
  }
  return got;
}

}  // namespace colo::mold
