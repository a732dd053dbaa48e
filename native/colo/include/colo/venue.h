// The venue process object: the matching engine (colo/venue_engine.h) behind a market-data feed
// and an order-entry port, polled from one thread with an injected monotonic clock.
//
//   ITCH 5.0 over MoldUDP64 (colo::mold::MoldFanout): unicast on 127.0.0.1 to each subscriber,
//     who joins by sending a request with Message Count 0 to the re-request port (answered with
//     a heartbeat carrying the next sequence); re-requests are answered from the store; packets
//     may be dropped on purpose (by the sequence of their first message); heartbeats every second
//     when idle; End of Session at the end.
//   OUCH 4.2 over SoupBinTCP on a loopback TCP port: one soup::ServerSession per user (own
//     password, own sequenced stream kept across reconnects); several users at once; a second
//     connection for a user already connected is refused ('S').
//   The background flow (a length-prefixed ITCH 5.0 file) plays at real time relative to its
//     first timestamp times `speed` (60 = a minute per second; 0 = as fast as possible).
//   The audit trail: JSON lines, one per inbound and outbound message (and per login, logout,
//     note, and per MoldUDP64 data packet sent), flushed at the end of every poll(). Each line's
//     mono_ns is the poll's time; the exact moments are send_ns (packet lines: just before the
//     first sendto) and read_ns (OUCH input: just after the read that returned it).
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "colo/itch_file.h"
#include "colo/mold_udp.h"
#include "colo/soup_tcp.h"
#include "colo/venue_engine.h"

namespace colo::venue {

// Where the venue's clock stands: flow time `flow_ns` (ITCH ns since midnight) at poll time `at_ns`
// (the clock poll() is given). Processes that share one (`alpha venue start --open-at`, `alpha live
// --open-at`) read the same session time at the same moment.
struct ClockAnchor {
  int64_t at_ns = 0;
  uint64_t flow_ns = 0;
};

struct VenueConfig {
  std::span<const uint8_t> flow;                 // length-prefixed ITCH 5.0; the caller keeps it alive
  double speed = 1;                              // flow time per real time; 0 = as fast as possible
  uint16_t ouch_port = 0;                        // 0 = any free port
  uint16_t rerequest_port = 0;                   // 0 = any free port
  std::map<std::string, std::string> users = {{"alpha", "alpha"}};  // username (<= 6) -> password (<= 10)
  std::string session = "VENUE";                 // SoupBinTCP and MoldUDP64 session (<= 10)
  std::set<uint64_t> drop;                       // MoldUDP64 packets (first sequence) not sent
  std::string audit_path;                        // empty: no audit trail
  std::optional<ClockAnchor> anchor;             // unset: the flow's first timestamp at the first poll
  std::vector<std::string> symbols;              // known before the flow names them
  std::vector<std::string> halted;
  size_t max_subscribers = 64;
  // A subscriber that sent no join or re-request for this long is dropped (0: never).
  uint64_t subscriber_timeout_ns = mold::kSubscriberTimeoutNs;
  uint64_t mold_heartbeat_ns = 1'000'000'000;
  soup::SessionTimers timers;
  size_t max_flow_per_poll = 4096;               // flow records played per poll at most
  std::function<uint64_t()> realtime_ns;         // audit's CLOCK_REALTIME (default: the real one)
  // The audit's exact stamps (send_ns of a MoldUDP64 packet, read_ns of an OUCH message):
  // CLOCK_MONOTONIC by default, whatever clock poll() is given.
  std::function<uint64_t()> monotonic_ns;
};

class Venue {
 public:
  // Binds the sockets and opens the audit file; throws std::system_error / std::runtime_error.
  explicit Venue(VenueConfig c);
  ~Venue();
  Venue(const Venue&) = delete;
  Venue& operator=(const Venue&) = delete;

  uint16_t ouch_port() const { return listener_.port(); }
  uint16_t rerequest_port() const { return feed_.port(); }
  const std::string& session() const { return cfg_.session; }

  // One round: accept and read connections, run client messages through the engine, play the
  // flow that is due, publish, answer joins and re-requests, write, flush the audit.
  void poll(uint64_t now_ns);
  // End of Session: ITCH and OUCH system events, MoldUDP64 End of Session, SoupBinTCP End of
  // Session to every connected client. poll() goes on serving re-requests afterwards.
  void end_session(uint64_t now_ns);
  // Waits up to timeout_ms for any socket to be readable.
  void wait(int timeout_ms) const;

  // Fixes the clock's anchor now if the config gave none (the first poll does otherwise), and returns
  // the poll time at which the flow's clock reads `flow_ns`; nothing at speed 0 (no clock).
  std::optional<int64_t> poll_time_of(uint64_t flow_ns, uint64_t now_ns);

  bool flow_done() const { return cursor_.done(); }
  bool ended() const { return engine_.ended(); }
  size_t clients_connected() const;
  const Engine& engine() const { return engine_; }
  const mold::MoldFanout& feed() const { return feed_; }
  const itch_file::ScanStats& flow_stats() const { return flow_stats_; }
  uint64_t logins_refused() const { return logins_refused_; }

 private:
  struct User {
    std::string name;
    SessionId id;
    soup::ServerSession session;
    soup::tcp::Socket sock;
    bool opened = false;  // System Event 'S' sent
    uint64_t replay_end = 0;  // sock.queued() at the end of the last login's replay
  };
  struct Pending {
    soup::tcp::Socket sock;
    std::vector<uint8_t> buf;
    uint64_t since;
  };

  uint64_t exchange_time(uint64_t now_ns);
  void fix_anchor(uint64_t now_ns);
  uint64_t flow_clock(uint64_t now_ns) const;
  void play_flow(uint64_t now_ns);
  void open_market_at(uint64_t flow_ns);
  void accept_pending(uint64_t now_ns);
  void handle_events(User& u, uint64_t now_ns);
  void pump_user(User& u, uint64_t now_ns);
  void expire_pending(uint64_t now_ns);
  uint64_t login_within() const;
  std::string no_login_in_time() const;
  void dispatch(uint64_t now_ns);
  void audit(uint64_t now_ns, const std::string& body);

  VenueConfig cfg_;
  Engine engine_;
  mold::MoldFanout feed_;
  soup::tcp::Listener listener_;
  std::vector<std::unique_ptr<User>> users_;  // id = index + 1
  std::vector<Pending> pending_;
  itch_file::Cursor cursor_;
  itch_file::ScanStats flow_stats_;
  Output out_;
  std::FILE* audit_ = nullptr;
  bool started_ = false;
  std::optional<ClockAnchor> anchor_;
  uint64_t flow_t0_ = 0;
  // The flow time at which the venue opens market hours itself (0: at the start); unset when the
  // flow has a System Event 'Q' of its own, which opens them when it plays.
  std::optional<uint64_t> market_opens_at_;
  uint64_t last_ts_ = 0;  // exchange time last used (never goes back)
  uint64_t logins_refused_ = 0;
  uint64_t last_poll_ns_ = 0;  // the time poll() / end_session() was given
  uint64_t read_ns_ = 0;       // monotonic_ns() right after the read of the connection being handled
  uint64_t send_start_ns_ = 0;  // monotonic_ns() just before the packet being sent went out
};

}  // namespace colo::venue
