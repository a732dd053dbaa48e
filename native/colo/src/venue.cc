#include "colo/venue.h"

#include <poll.h>
#include <time.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "colo/json_fields.h"
#include "colo/posix.h"

namespace colo::venue {
namespace {

constexpr size_t kMaxPending = 64;
constexpr size_t kLoginPacket = 2 + soup::LoginRequest::kLength;
// A new connection must send its Login Request within this time (clients send it as they
// connect). SoupBinTCP's 15 s is the timeout of a logged-in session's heartbeats, not a login
// deadline: held that long, kMaxPending idle connections kept every user out.
constexpr uint64_t kLoginWithinNs = 2'000'000'000;
// Input read from one session per poll: the rest stays in its socket for the next poll, so one
// session's burst does not hold the others, the flow and the feed.
constexpr size_t kReadPerSessionPerPoll = 64 << 10;
// A session's output not yet taken by its peer (beyond a login's replay, which may be larger):
// a peer that does not read is disconnected past this.
constexpr size_t kMaxUnsentBytes = 4 << 20;

uint64_t clock_realtime_ns() {
  timespec t{};
  clock_gettime(CLOCK_REALTIME, &t);
  return uint64_t(t.tv_sec) * 1'000'000'000ULL + uint64_t(t.tv_nsec);
}

uint64_t clock_monotonic_ns() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return uint64_t(t.tv_sec) * 1'000'000'000ULL + uint64_t(t.tv_nsec);
}

// `"type":"A","name":"AddOrder","fields":{...}`
template <class M>
std::string describe(const M& m) {
  std::string s = "\"type\":";
  json::append_string(s, {&M::kType, 1});
  s += ",\"name\":";
  json::append_string(s, M::kName);
  s += ",\"fields\":";
  s += json::fields_object(m);
  return s;
}

std::string quoted(std::string_view v) {
  std::string s;
  json::append_string(s, v);
  return s;
}

}  // namespace

Venue::Venue(VenueConfig c)
    : cfg_(std::move(c)),
      engine_(Engine::Config{cfg_.symbols, cfg_.halted}),
      feed_(mold::Session::of(cfg_.session), cfg_.rerequest_port, cfg_.max_subscribers,
            mold::kDefaultMaxPayload, cfg_.subscriber_timeout_ns),
      listener_(cfg_.ouch_port),
      cursor_{cfg_.flow.data(), cfg_.flow.size()} {
  if (cfg_.session.empty() || cfg_.session.size() > 10) {
    throw std::runtime_error("session name must be 1..10 characters");
  }
  if (!cfg_.realtime_ns) cfg_.realtime_ns = clock_realtime_ns;
  if (!cfg_.monotonic_ns) cfg_.monotonic_ns = clock_monotonic_ns;
  feed_.drop_packets_at(cfg_.drop);
  SessionId id = 1;
  for (const auto& [name, password] : cfg_.users) {
    soup::ServerSession::Config sc;
    sc.username = name;
    sc.password = password;
    sc.session = cfg_.session;
    sc.timers = cfg_.timers;
    users_.push_back(std::make_unique<User>(User{name, id++, soup::ServerSession(sc), {}}));
  }
  // One pass over the flow, as far as it needs: its clock starts at its first timestamp, and its own
  // System Event 'Q', if any, opens market hours.
  itch_file::ScanStats st;
  itch_file::Cursor peek{cfg_.flow.data(), cfg_.flow.size()};
  bool timed = false, flow_opens = false;
  while (!flow_opens && peek.next(st, [&](uint64_t, const uint8_t* m, size_t n) {
    if (!timed && n >= 11) flow_t0_ = load_u48(m + 5), timed = true;
    flow_opens = n >= 12 && m[0] == uint8_t(itch::SystemEvent::kType) && m[11] == 'Q';
  })) {
  }
  last_ts_ = flow_t0_;
  if (!flow_opens) market_opens_at_ = cfg_.anchor ? cfg_.anchor->flow_ns : 0;
  feed_.set_event_hook([this](std::string_view event, uint16_t port, uint64_t count) {
    std::string body = "\"dir\":\"event\",\"session\":null,\"event\":" + quoted(event) +
                       ",\"port\":" + std::to_string(port);
    if (event == "join refused") {
      body += ",\"count\":" + std::to_string(count) + ",\"text\":" +
              quoted("feed full: " + std::to_string(cfg_.max_subscribers) + " subscribers");
    }
    audit(last_poll_ns_, body);
  });
  if (!cfg_.audit_path.empty()) {
    audit_ = std::fopen(cfg_.audit_path.c_str(), "w");
    if (!audit_) posix::fail("open audit file " + cfg_.audit_path);
    // One line per data packet sent, stamped just before it went out (the line itself is
    // written after the send, so formatting it does not delay the packet).
    feed_.set_send_hook([this](uint64_t first, uint64_t count, bool before) {
      if (before) {
        send_start_ns_ = cfg_.monotonic_ns();
        return;
      }
      audit(last_poll_ns_, "\"dir\":\"out\",\"proto\":\"moldudp64\",\"seq\":" + std::to_string(first) +
                               ",\"count\":" + std::to_string(count) + ",\"send_ns\":" + std::to_string(send_start_ns_));
    });
  }
}

Venue::~Venue() {
  if (audit_) std::fclose(audit_);
}

size_t Venue::clients_connected() const {
  size_t n = 0;
  for (const auto& u : users_) n += u->sock.open() ? 1 : 0;
  return n + pending_.size();
}

void Venue::audit(uint64_t now_ns, const std::string& body) {
  if (!audit_) return;
  std::string line = "{\"mono_ns\":" + std::to_string(now_ns) +
                     ",\"real_ns\":" + std::to_string(cfg_.realtime_ns()) + "," + body + "}\n";
  std::fwrite(line.data(), 1, line.size(), audit_);
}

// The flow's time `elapsed_ns` of poll time after it read `flow_ns` (before it, when negative),
// scaled by `speed`: 0 at the earliest, and saturating rather than overflowing the double → integer
// conversion, which was undefined behaviour for a huge --speed. (ITCH's 48-bit timestamps wrap far
// earlier, after 78 h of flow time.)
static uint64_t scaled_flow_time(uint64_t flow_ns, int64_t elapsed_ns, double speed) {
  const double elapsed = double(elapsed_ns) * speed;
  constexpr double kMax = 9.0e18;  // below 2^63: flow_ns (a day's nanoseconds) still fits on top
  if (elapsed >= kMax) return flow_ns + uint64_t(kMax);
  if (elapsed <= -double(flow_ns)) return 0;
  return elapsed >= 0 ? flow_ns + uint64_t(elapsed) : flow_ns - uint64_t(-elapsed);
}

// ITCH and OUCH stamp nanoseconds since midnight (ITCH in 48 bits, which wrap after 78 h): the
// venue's own clock stops at the day's last nanosecond instead of running past midnight, which a
// fast --speed reaches in moments (at 1e6, 52 ms of wall time from 09:30).
constexpr uint64_t kLastNanosecondOfDay = 86'400'000'000'000ULL - 1;

void Venue::fix_anchor(uint64_t now_ns) {
  if (anchor_) return;
  anchor_ = cfg_.anchor.value_or(ClockAnchor{int64_t(now_ns), flow_t0_});
  // On a shared clock the stamps follow it from the start, also before the flow's first record
  // (they began at that record's time, ahead of the clock, until the flow caught up).
  if (cfg_.anchor && cfg_.speed > 0) last_ts_ = std::min(kLastNanosecondOfDay, flow_clock(now_ns));
}

uint64_t Venue::flow_clock(uint64_t now_ns) const {
  return scaled_flow_time(anchor_->flow_ns, int64_t(now_ns) - anchor_->at_ns, cfg_.speed);
}

std::optional<int64_t> Venue::poll_time_of(uint64_t flow_ns, uint64_t now_ns) {
  if (cfg_.speed <= 0) return std::nullopt;
  fix_anchor(now_ns);
  const double flow_elapsed = double(int64_t(flow_ns) - int64_t(anchor_->flow_ns));
  return anchor_->at_ns + int64_t(std::llround(flow_elapsed / cfg_.speed));
}

uint64_t Venue::exchange_time(uint64_t now_ns) {
  uint64_t t = last_ts_;
  if (cfg_.speed > 0 && started_) t = std::min(kLastNanosecondOfDay, flow_clock(now_ns));
  last_ts_ = std::max(last_ts_, t);
  return last_ts_;
}

void Venue::dispatch(uint64_t now_ns) {
  uint8_t buf[256];
  for (const auto& m : out_.itch) {
    const size_t n = itch::encode(m, buf);
    const uint64_t seq = feed_.publish(mold::Bytes{buf, n}, now_ns);
    if (audit_) {
      audit(now_ns, "\"dir\":\"out\",\"proto\":\"itch\",\"seq\":" + std::to_string(seq) + "," +
                        std::visit([](const auto& x) { return describe(x); }, m));
    }
  }
  for (const auto& o : out_.ouch) {
    if (o.session == 0 || o.session > users_.size()) continue;
    User& u = *users_[o.session - 1];
    const size_t n = ouch42::encode(o.message, buf);
    const uint64_t seq = u.session.send_sequenced(buf, n, now_ns);
    if (audit_) {
      std::string body = "\"dir\":\"out\",\"proto\":\"ouch\",\"session\":" + quoted(u.name) +
                         ",\"seq\":" + std::to_string(seq) + "," +
                         std::visit([](const auto& x) { return describe(x); }, o.message);
      if (!o.reason.empty()) body += ",\"reason\":" + quoted(o.reason);
      audit(now_ns, body);
    }
  }
  for (const auto& note : out_.notes) {
    std::string who = note.session >= 1 && note.session <= users_.size()
                          ? quoted(users_[note.session - 1]->name) : "null";
    audit(now_ns, "\"dir\":\"note\",\"session\":" + who + ",\"text\":" + quoted(note.text));
  }
  out_.clear();
}

void Venue::handle_events(User& u, uint64_t now_ns) {
  auto& events = u.session.output().events;
  for (auto& e : events) {
    switch (e.kind) {
      case soup::SessionEvent::kUnsequenced: {
        if (audit_) {
          std::string body = "\"dir\":\"in\",\"proto\":\"ouch\",\"session\":" + quoted(u.name) + ",";
          const auto st = ouch42::dispatch_inbound(e.payload.data(), e.payload.size(),
                                                   [&](const auto& m) { body += describe(m); });
          if (st != DecodeStatus::kOk) {
            body += "\"type\":null,\"error\":" + quoted(status_name(st)) +
                    ",\"length\":" + std::to_string(e.payload.size());
          }
          body += ",\"read_ns\":" + std::to_string(read_ns_);
          audit(now_ns, body);
        }
        if (!engine_.ended()) engine_.client(u.id, e.payload.data(), e.payload.size(), exchange_time(now_ns), out_);
        break;
      }
      case soup::SessionEvent::kLoginAccepted:
        // Login Accepted and the replay the client asked for: bytes it may leave unread for now.
        u.replay_end = u.sock.queued() + u.session.output().send.size();
        // After End of Session the login gets the replay it asked for, then End of Session.
        audit(now_ns, "\"dir\":\"event\",\"session\":" + quoted(u.name) +
                          ",\"event\":\"login accepted\",\"next_sequence\":" + std::to_string(e.sequence) +
                          (u.session.ended() ? ",\"then\":\"end of session\"" : ""));
        if (!u.opened && !engine_.ended()) {
          u.opened = true;
          engine_.open_session(u.id, exchange_time(now_ns), out_);
        }
        break;
      case soup::SessionEvent::kLoginRejected:
        ++logins_refused_;
        audit(now_ns, "\"dir\":\"event\",\"session\":" + quoted(u.name) +
                          ",\"event\":\"login rejected\",\"reason\":" + quoted({&e.reason, 1}));
        break;
      case soup::SessionEvent::kLoggedOut:
        audit(now_ns, "\"dir\":\"event\",\"session\":" + quoted(u.name) + ",\"event\":\"logged out\"");
        break;
      case soup::SessionEvent::kPeerDead:
        audit(now_ns, "\"dir\":\"event\",\"session\":" + quoted(u.name) + ",\"event\":\"peer dead\"");
        break;
      case soup::SessionEvent::kProtocolError:
        audit(now_ns, "\"dir\":\"event\",\"session\":" + quoted(u.name) +
                          ",\"event\":\"protocol error\",\"text\":" + quoted(e.text));
        break;
      default: break;
    }
  }
  events.clear();
  dispatch(now_ns);
}

// Reads at most kReadPerSessionPerPoll from the session's socket and writes what it has to send;
// a peer that leaves more than kMaxUnsentBytes of it unread (beyond its login's replay) is
// disconnected.
void Venue::pump_user(User& u, uint64_t now_ns) {
  soup::tcp::pump(u.sock, u.session, now_ns, cfg_.monotonic_ns, read_ns_, kReadPerSessionPerPoll);
  if (u.sock.pending() <= kMaxUnsentBytes) return;
  const uint64_t taken = std::max(u.sock.queued() - u.sock.pending(), u.replay_end);
  const uint64_t unsent = u.sock.queued() > taken ? u.sock.queued() - taken : 0;
  if (unsent <= kMaxUnsentBytes) return;
  audit(now_ns, "\"dir\":\"event\",\"session\":" + quoted(u.name) +
                    ",\"event\":\"disconnected\",\"text\":" +
                    quoted("the client left " + std::to_string(u.sock.pending()) +
                           " bytes unread (at most " + std::to_string(kMaxUnsentBytes) + " beyond a login's replay)"));
  u.sock.close(true);
  u.session.on_disconnected(now_ns);
  u.session.output().send.clear();  // its events (what it sent) are still handled
  u.session.output().close = false;
}

uint64_t Venue::login_within() const { return std::min(kLoginWithinNs, cfg_.timers.timeout_ns); }

std::string Venue::no_login_in_time() const {
  return "no Login Request within " + std::to_string(login_within() / 1'000'000) + " ms of connecting";
}

// Drops the waiting connections past their login deadline (at once, when they fill the queue).
void Venue::expire_pending(uint64_t now_ns) {
  for (size_t i = 0; i < pending_.size();) {
    if (now_ns - pending_[i].since < login_within()) { ++i; continue; }
    ++logins_refused_;
    audit(now_ns, "\"dir\":\"event\",\"session\":null,\"event\":\"connection refused\",\"text\":" + quoted(no_login_in_time()));
    pending_.erase(pending_.begin() + std::ptrdiff_t(i));
  }
}

void Venue::accept_pending(uint64_t now_ns) {
  for (;;) {
    soup::tcp::Socket s = listener_.accept();
    if (!s.open()) break;
    if (pending_.size() >= kMaxPending) expire_pending(now_ns);
    if (pending_.size() >= kMaxPending) {  // closed by the destructor
      ++logins_refused_;
      audit(now_ns, "\"dir\":\"event\",\"session\":null,\"event\":\"connection refused\",\"text\":" +
                        quoted("too many connections waiting to log in (" + std::to_string(kMaxPending) + ")"));
      continue;
    }
    pending_.push_back(Pending{std::move(s), {}, now_ns});
  }
  for (size_t i = 0; i < pending_.size();) {
    Pending& p = pending_[i];
    uint8_t buf[256];
    while (p.buf.size() < kLoginPacket) {
      const size_t n = p.sock.read_some(buf, std::min(sizeof buf, kLoginPacket - p.buf.size()));
      if (n == 0) break;
      p.buf.insert(p.buf.end(), buf, buf + n);
    }
    auto drop = [&](const std::string& why, char reply) {
      ++logins_refused_;
      if (reply) {
        std::vector<uint8_t> out;
        soup::append_packet(out, soup::LoginRejected{reply});
        p.sock.write(out);
      }
      audit(now_ns, "\"dir\":\"event\",\"session\":null,\"event\":\"connection refused\",\"text\":" + quoted(why));
      pending_.erase(pending_.begin() + std::ptrdiff_t(i));
    };
    const bool bad_start = (p.buf.size() >= 2 && load_u16(p.buf.data()) != soup::LoginRequest::kLength) ||
                           (p.buf.size() >= 3 && p.buf[2] != uint8_t(soup::LoginRequest::kType));
    if (bad_start) { drop("the first packet is not a Login Request", 0); continue; }
    if (!p.sock.open()) { drop("closed before logging in", 0); continue; }
    if (p.buf.size() < kLoginPacket) {
      if (now_ns - p.since >= login_within()) { drop(no_login_in_time(), 0); continue; }
      ++i;
      continue;
    }
    const auto req = read_wire<soup::LoginRequest>(p.buf.data() + 2);
    const std::string name(soup::trimmed(req.username));
    auto it = std::find_if(users_.begin(), users_.end(), [&](const auto& u) { return u->name == name; });
    if (it == users_.end()) { drop("unknown user '" + name + "'", soup::kRejectNotAuthorized); continue; }
    User& u = **it;
    // The password first: a wrong one must not learn whether the user is logged in.
    if (req.password.view() != cfg_.users.at(name)) {
      drop("wrong password for user '" + name + "'", soup::kRejectNotAuthorized);
      continue;
    }
    if (u.sock.open()) {
      // A client that reset its connection and logged in again at once can be read here before
      // this poll has read the reset: read the old connection first, and refuse only a live one.
      pump_user(u, now_ns);
      handle_events(u, now_ns);
    }
    if (u.sock.open()) { drop("user '" + name + "' is already connected", soup::kRejectSessionNotAvailable); continue; }
    u.sock = std::move(p.sock);
    u.session.on_connected(now_ns);
    u.session.on_bytes(p.buf.data(), p.buf.size(), now_ns);
    read_ns_ = cfg_.monotonic_ns();
    pending_.erase(pending_.begin() + std::ptrdiff_t(i));
    handle_events(u, now_ns);
  }
}

void Venue::play_flow(uint64_t now_ns) {
  if (engine_.ended()) return;
  const uint64_t ex_now = cfg_.speed > 0 ? flow_clock(now_ns) : UINT64_MAX;
  for (size_t played = 0; played < cfg_.max_flow_per_poll && !cursor_.done(); ++played) {
    // The next record's timestamp, if it has one.
    const size_t off = cursor_.off;
    if (cursor_.n - off >= 2 + 11) {
      const size_t len = load_u16(cursor_.p + off);
      if (len >= 11 && cursor_.n - off - 2 >= len) {
        const uint64_t ts = load_u48(cursor_.p + off + 2 + 5);
        if (ts > ex_now) break;
      }
    }
    cursor_.next(flow_stats_, [&](uint64_t, const uint8_t* m, size_t n) {
      const uint64_t ts = n >= 11 ? load_u48(m + 5) : last_ts_;
      open_market_at(ts);
      last_ts_ = std::max(last_ts_, ts);
      engine_.background(m, n, last_ts_, out_);
    });
  }
  if (cfg_.speed > 0) open_market_at(flow_clock(now_ns));
  dispatch(now_ns);
}

// Market hours open when the flow's clock reaches their start, for a flow without a 'Q' of its own.
void Venue::open_market_at(uint64_t flow_ns) {
  if (!market_opens_at_ || engine_.market_open() || flow_ns < *market_opens_at_) return;
  last_ts_ = std::max(last_ts_, std::min(*market_opens_at_, kLastNanosecondOfDay));
  engine_.open_market(last_ts_, out_);
}

void Venue::poll(uint64_t now_ns) {
  last_poll_ns_ = now_ns;
  if (!started_) {
    started_ = true;
    fix_anchor(now_ns);
    engine_.start(exchange_time(now_ns), out_);
    open_market_at(last_ts_);
    dispatch(now_ns);
  }
  for (auto& u : users_) {
    if (!u->sock.open()) continue;
    pump_user(*u, now_ns);
    handle_events(*u, now_ns);
  }
  accept_pending(now_ns);
  play_flow(now_ns);
  feed_.flush(now_ns);
  feed_.serve(now_ns);
  feed_.heartbeat_if_idle(now_ns, cfg_.mold_heartbeat_ns);
  for (auto& u : users_) {
    if (!u->sock.open()) continue;
    pump_user(*u, now_ns);
    if (!u->session.output().events.empty()) handle_events(*u, now_ns);
  }
  if (audit_) std::fflush(audit_);
}

void Venue::end_session(uint64_t now_ns) {
  if (engine_.ended()) return;
  if (!started_) poll(now_ns);
  last_poll_ns_ = now_ns;
  engine_.end(exchange_time(now_ns), out_);
  dispatch(now_ns);
  feed_.end_of_session(now_ns);
  for (auto& u : users_) {
    u->session.end_session(now_ns);
    if (u->sock.open()) soup::tcp::pump(u->sock, u->session, now_ns);
    read_ns_ = cfg_.monotonic_ns();
    handle_events(*u, now_ns);
  }
  audit(now_ns, "\"dir\":\"event\",\"session\":null,\"event\":\"end of session\",\"itch_next_sequence\":" +
                    std::to_string(feed_.next_sequence()));
  if (audit_) std::fflush(audit_);
}

void Venue::wait(int timeout_ms) const {
  std::vector<pollfd> fds;
  fds.push_back({listener_.fd(), POLLIN, 0});
  fds.push_back({feed_.fd(), POLLIN, 0});
  for (const auto& u : users_) {
    if (u->sock.open()) fds.push_back({u->sock.fd(), POLLIN, 0});
  }
  for (const auto& p : pending_) {
    if (p.sock.open()) fds.push_back({p.sock.fd(), POLLIN, 0});
  }
  ::poll(fds.data(), nfds_t(fds.size()), feed_.busy() ? 0 : timeout_ms);
}

}  // namespace colo::venue
