#include "colo/fast_path_runner.h"

#include <poll.h>
#include <time.h>

#include <cstring>

#include "colo/order_entry.h"
#include "colo/soupbintcp.h"

namespace colo::fast_path {

uint64_t monotonic_ns() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return uint64_t(t.tv_sec) * 1'000'000'000ULL + uint64_t(t.tv_nsec);
}

std::optional<Intent> EveryNthTopTrigger::on_top(const TopView& v) {
  const book::Top& t = v.top;
  if (t.bid_size == 0 || t.ask_size == 0 || t.ask <= t.bid) return std::nullopt;
  if (++seen_ % n_ != 0) return std::nullopt;
  return Intent::buy_at_ask(v, shares_);
}

std::optional<Intent> Runner::Recorder::on_top(const TopView& v) {
  std::optional<Intent> in = inner.on_top(v);
  if (in) raised.push_back({std::string(in->symbol.view()), v.sequence});
  return in;
}

namespace {
soup::ClientSession::Config session_config(const RunnerConfig& c) {
  soup::ClientSession::Config sc;
  sc.username = c.username;
  sc.password = c.password;
  sc.next_sequence = 1;
  return sc;
}
}  // namespace

Runner::Runner(Trigger& trigger, RunnerConfig cfg)
    : cfg_(std::move(cfg)),
      recorder_(trigger),
      tt_(recorder_, cfg_.fast_path),
      udp_(mold::UdpSocket::bind_loopback()),
      session_(session_config(cfg_)),
      tcp_(soup::tcp::connect_loopback(cfg_.ouch_port)),
      rx_buf_(65536) {
  recorder_.raised.reserve(64);
  sent_.reserve(64 << 10);
  // Orders raised while a datagram is applied go out at once (see TickToTrade::on_orders).
  tt_.on_orders([this] { send_orders(recv_ns_, had_gap_); });
  session_.on_connected(monotonic_ns());  // queues the Login Request; written by the first pump
}

void Runner::finish(std::string why) {
  if (state_ == State::kDone) return;
  state_ = State::kDone;
  done_reason_ = std::move(why);
}

void Runner::step(int timeout_ms) {
  if (state_ == State::kDone) return;
  if (timeout_ms != 0) {
    pollfd fds[2] = {{udp_.fd(), POLLIN, 0}, {tcp_.fd(), POLLIN, 0}};
    ::poll(fds, tcp_.open() ? 2 : 1, timeout_ms);
  }
  if (state_ == State::kJoined) read_feed();
  const uint64_t now = monotonic_ns();
  read_ouch(now);
  if (state_ == State::kLoggedIn && now - last_join_ns_ >= cfg_.join_retry_ns) {
    // The venue answers a join with a heartbeat naming the session; until one came, join again.
    uint8_t req[mold::kRequestLength];
    mold::write_request(mold::Request{mold::Session::of(""), 0, 0}, req);
    udp_.send_to(cfg_.rerequest_port, mold::Bytes{req, sizeof req});
    ++stats_.joins_sent;
    last_join_ns_ = now;
    state_ = State::kJoined;  // read the feed from now on; joined again below if unanswered
  }
  if (state_ == State::kJoined) {
    if (!tt_.receiver().session_known() && now - last_join_ns_ >= cfg_.join_retry_ns) {
      state_ = State::kLoggedIn;  // unanswered: the next step joins again
    } else if (tt_.receiver().session_known() && now - last_join_ns_ >= cfg_.join_keepalive_ns) {
      // The venue drops subscribers it has not heard from for a while: join again now and then.
      uint8_t req[mold::kRequestLength];
      mold::write_request(mold::Request{mold::Session::of(""), 0, 0}, req);
      udp_.send_to(cfg_.rerequest_port, mold::Bytes{req, sizeof req});
      ++stats_.joins_sent;
      last_join_ns_ = now;
    }
    if (auto r = tt_.poll(now)) {
      uint8_t req[mold::kRequestLength];
      mold::write_request(*r, req);
      udp_.send_to(cfg_.rerequest_port, mold::Bytes{req, sizeof req});
      ++stats_.requests_sent;
    }
  }
}

void Runner::read_feed() {
  while (auto n = udp_.recv(rx_buf_)) {
    recv_ns_ = monotonic_ns();
    had_gap_ = tt_.receiver().has_gap();
    recorder_.raised.clear();
    tt_.on_packet(rx_buf_.data(), *n, recv_ns_);
    if (!tt_.out().empty()) send_orders(recv_ns_, had_gap_);
  }
}

void Runner::send_orders(uint64_t recv_ns, bool gap_fill) {
  // tt_.out() holds SoupBinTCP 'U' packets; the session frames them again (it keeps the time of
  // the last send for its heartbeats), so pass the payloads.
  const std::vector<uint8_t>& out = tt_.out();
  sent_.clear();
  const bool can_send = session_.state() == soup::ClientSession::State::kLoggedIn && tcp_.open();
  size_t off = 0;
  while (off + 3 <= out.size()) {
    const size_t len = load_u16(out.data() + off);  // type + payload
    const uint8_t* payload = out.data() + off + 3;
    const size_t plen = len - 1;
    if (!can_send) {
      ++stats_.not_logged_in;
    } else if (stats_.orders_sent >= cfg_.max_orders) {
      ++stats_.over_max_orders;
    } else if (session_.send_unsequenced(payload, plen, recv_ns)) {
      ++stats_.orders_sent;
      sent_.insert(sent_.end(), out.data() + off, out.data() + off + 2 + len);
    }
    off += 2 + len;
  }
  tt_.clear_out();
  const uint64_t ready_ns = monotonic_ns();
  if (!sent_.empty()) {
    tcp_.write(session_.output().send);
    session_.output().send.clear();
  }
  const uint64_t send_ns = monotonic_ns();
  if (stats_.orders_sent >= cfg_.max_orders) tt_.set_kill_switch(true);
  if (sent_.empty() || !on_order_) {
    recorder_.raised.clear();
    return;
  }

  // Bookkeeping: which top raised each order. Orders come out in the order their intents were
  // raised (some intents refused by the checks in between), and each token is the order id's.
  size_t next_raised = 0;
  for (size_t o = 0; o + 3 <= sent_.size();) {
    const size_t len = load_u16(sent_.data() + o);
    SentOrder s;
    ouch42::Inbound in;
    if (ouch42::decode_inbound(sent_.data() + o + 3, len - 1, in) == DecodeStatus::kOk) {
      if (const auto* e = std::get_if<ouch42::EnterOrder>(&in)) {
        s.token = e->order_token;
        s.shares = e->shares;
        s.price = e->price;
      }
    }
    while (next_raised < recorder_.raised.size()) {
      const auto& r = recorder_.raised[next_raised++];
      const std::string id = r.symbol + "-" + std::to_string(r.sequence);
      if (order_entry::order_token(id) == s.token) {
        s.symbol = r.symbol;
        s.sequence = r.sequence;
        break;
      }
    }
    s.recv_ns = recv_ns;
    s.ready_ns = ready_ns;
    s.send_ns = send_ns;
    s.gap_fill = gap_fill;
    on_order_(s);
    o += 2 + len;
  }
  recorder_.raised.clear();  // the intents of these orders (and any refused before them)
}

void Runner::read_ouch(uint64_t now) {
  if (!tcp_.open()) {
    finish("the OUCH connection closed");
    return;
  }
  soup::tcp::pump(tcp_, session_, now);
  auto& events = session_.output().events;
  for (const auto& e : events) {
    switch (e.kind) {
      case soup::SessionEvent::kLoginAccepted:
        if (state_ == State::kConnecting) state_ = State::kLoggedIn;
        break;
      case soup::SessionEvent::kLoginRejected:
        finish(std::string("login rejected '") + e.reason + "'");
        break;
      case soup::SessionEvent::kSequenced: {
        const char t = e.payload.empty() ? 0 : char(e.payload[0]);
        if (t == ouch42::Accepted::kType) {
          ++stats_.accepted;
        } else if (t == ouch42::Rejected::kType) {
          ++stats_.rejected;
        } else if (t == ouch42::Executed::kType) {
          ++stats_.executed;
        } else if (t == ouch42::Canceled::kType) {
          ++stats_.canceled;
        } else {
          ++stats_.other_ouch;
        }
        break;
      }
      case soup::SessionEvent::kEndOfSession: finish("the venue ended the session"); break;
      case soup::SessionEvent::kPeerDead: finish("the venue went silent (SoupBinTCP timeout)"); break;
      case soup::SessionEvent::kProtocolError:
        ++stats_.protocol_errors;
        finish("SoupBinTCP protocol error: " + e.text);
        break;
      default: break;
    }
  }
  events.clear();
  if (!tcp_.open() && state_ != State::kDone) finish("the OUCH connection closed");
}

void Runner::logout() {
  if (!tcp_.open()) return;
  const uint64_t now = monotonic_ns();
  session_.logout(now);
  tcp_.write(session_.output().send);
  session_.output().send.clear();
  for (int i = 0; i < 50 && tcp_.pending() > 0; ++i) {
    pollfd p{tcp_.fd(), POLLOUT, 0};
    ::poll(&p, 1, 10);
    tcp_.flush();
  }
  finish("logged out");
}

}  // namespace colo::fast_path
