// The fast path as a live process (tools/colo_fastpath.cc): a fast_path::TickToTrade between a
// venue's MoldUDP64 feed (UDP on 127.0.0.1, joined with a Message Count 0 request, gaps
// re-requested) and its OUCH 4.2 port (a SoupBinTCP ClientSession over loopback TCP).
//
// One thread. step() waits for input (poll(2) with a timeout, or not at all when spinning), reads
// every waiting datagram and, for each one that raises orders, sends them at once — before any
// bookkeeping — then reads the OUCH side (Accepted, Executed, ... are counted) and sends what the
// session owes (login, heartbeats, re-requests, joins). The feed is joined only once the session
// is logged in: nothing is traded that could not be sent.
//
// Clock: CLOCK_MONOTONIC (shared by every process on the machine, so a venue's audit stamps and
// these compare). recv_ns is read right after recvfrom returned the datagram, ready_ns just before
// send(2) is called with the datagram's orders, send_ns right after it returned. On loopback,
// send(2) carries the bytes through the receiver's TCP stack and wakes it, so ready_ns is when
// the order left this process in all but name.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "colo/fast_path.h"
#include "colo/mold_udp.h"
#include "colo/ouch42.h"
#include "colo/soup_tcp.h"

namespace colo::fast_path {

uint64_t monotonic_ns();

// A trigger that fires often enough for latency samples: every Nth two-sided top it is shown
// (counted over all symbols), buy `shares` at the ask, immediate-or-cancel.
class EveryNthTopTrigger final : public Trigger {
 public:
  EveryNthTopTrigger(uint32_t n, uint32_t shares) : n_(n ? n : 1), shares_(shares) {}
  std::optional<Intent> on_top(const TopView& v) override;

 private:
  uint32_t n_, shares_;
  uint64_t seen_ = 0;
};

struct RunnerConfig {
  uint16_t rerequest_port = 0;  // the venue's MoldUDP64 join / re-request port
  uint16_t ouch_port = 0;       // the venue's OUCH (SoupBinTCP) port
  std::string username = "alpha";
  std::string password = "alpha";
  Config fast_path;             // pre-trade limits, receiver, Order -> OUCH mapping
  uint64_t max_orders = 1000;   // orders sent in all; then the kill switch goes on
  uint64_t join_retry_ns = 100'000'000;
  uint64_t join_keepalive_ns = mold::kJoinKeepaliveNs;  // joined: join again this often
};

// One order as sent.
struct SentOrder {
  ouch42::Token token;
  std::string symbol;
  uint64_t sequence = 0;  // MoldUDP64 sequence of the message that made the triggering top
  uint32_t shares = 0;
  uint32_t price = 0;     // Price(4)
  uint64_t recv_ns = 0;   // CLOCK_MONOTONIC: the triggering datagram was read
  uint64_t ready_ns = 0;  // CLOCK_MONOTONIC: the datagram's orders framed, just before send(2)
  uint64_t send_ns = 0;   // CLOCK_MONOTONIC: send(2) returned with the order's bytes
  bool gap_fill = false;  // the datagram closed a gap (a re-request answer or a held-back packet)
};

struct RunnerStats {
  uint64_t joins_sent = 0, requests_sent = 0;
  uint64_t orders_sent = 0;
  uint64_t over_max_orders = 0;   // orders raised after max_orders was reached (not sent)
  uint64_t not_logged_in = 0;     // orders raised while the session was not logged in (not sent)
  uint64_t accepted = 0, rejected = 0, executed = 0, canceled = 0, other_ouch = 0;
  uint64_t protocol_errors = 0;
};

class Runner {
 public:
  // Binds the feed socket and starts connecting to the OUCH port (throws std::system_error /
  // std::runtime_error).
  Runner(Trigger& trigger, RunnerConfig cfg);

  // One round; timeout_ms < 0 waits indefinitely, 0 does not wait (spin).
  void step(int timeout_ms);
  // Sends Logout and flushes (best effort).
  void logout();

  // Called after each order was sent (bookkeeping off the critical path).
  void on_order(std::function<void(const SentOrder&)> f) { on_order_ = std::move(f); }

  enum class State : uint8_t { kConnecting, kLoggedIn, kJoined, kDone };
  State state() const { return state_; }
  // Why the session ended (empty while it runs).
  const std::string& done_reason() const { return done_reason_; }
  const RunnerStats& stats() const { return stats_; }
  TickToTrade& tick_to_trade() { return tt_; }
  const TickToTrade& tick_to_trade() const { return tt_; }
  const soup::ClientSession& session() const { return session_; }
  uint16_t feed_port() const { return udp_.port(); }

 private:
  // Wraps the caller's trigger to remember which top raised each intent.
  struct Recorder final : Trigger {
    Trigger& inner;
    struct Raised {
      std::string symbol;
      uint64_t sequence;
    };
    std::vector<Raised> raised;
    explicit Recorder(Trigger& t) : inner(t) {}
    std::optional<Intent> on_top(const TopView& v) override;
  };

  void read_feed();
  void send_orders(uint64_t recv_ns, bool gap_fill);
  void read_ouch(uint64_t now);
  void finish(std::string why);

  RunnerConfig cfg_;
  Recorder recorder_;
  TickToTrade tt_;
  mold::UdpSocket udp_;
  soup::ClientSession session_;
  soup::tcp::Socket tcp_;
  State state_ = State::kConnecting;
  std::string done_reason_;
  uint64_t last_join_ns_ = 0;
  std::vector<uint8_t> rx_buf_;
  uint64_t recv_ns_ = 0;  // the datagram being applied: when it was read,
  bool had_gap_ = false;  // and whether a gap was open before it
  std::vector<uint8_t> sent_;  // the last datagram's order packets, for bookkeeping
  std::function<void(const SentOrder&)> on_order_;
  RunnerStats stats_;
};

}  // namespace colo::fast_path
