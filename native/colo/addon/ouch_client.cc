// OuchClient: the native side of `execution.ouch`. It owns a SoupBinTCP client session
// (colo::soup::ClientSession) over non-blocking loopback TCP (colo::soup::tcp) to a venue's OUCH
// port and runs on Node's event loop (libuv), as ItchFeed does: a poll handle on the socket and a
// 5 ms timer drive rounds that read what arrived, tick the session (heartbeats, a dead peer), log
// in, and write what is queued. When the connection drops it reconnects after a short backoff and
// logs in again with the same session and next sequence = last received + 1, so every sequenced
// message arrives once, in order. send() writes straight from the JS thread when logged in. Each
// round's events (login, rejected login, disconnected, a login answered in breach of SoupBinTCP,
// each sequenced OUCH message decoded by field name, End of Session) go to onEvents in one call at
// the end of the round.
//
// Why not a thread (as this client had until 2026-12-04): the venue's answers woke the thread, which
// then woke the main thread through a ThreadSafeFunction: two wake-ups per answer on a 2-core host
// where the venue and the feed compete for the same CPUs, and a send() that found the thread in
// its round (~1% of the orders in bench:venue) waited for its next one. docs/benchmarks.md has the
// figures. The cost: nothing is read or heartbeated while JS is busy; the kernel's socket buffer
// holds the venue's answers meanwhile, and a SoupBinTCP peer waits 15 s before calling us dead.
#include <napi.h>
#include <uv.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <memory>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "colo/ouch42.h"
#include "colo/soup_session.h"
#include "colo/soup_tcp.h"
#include "js_fields.h"
#include "loop_handles.h"

namespace {

namespace soup = colo::soup;
namespace ouch42 = colo::ouch42;

uint64_t steady_ns() {
  return uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count());
}

constexpr uint64_t kFirstBackoffNs = 20'000'000;   // 20 ms after a drop, doubling ...
constexpr uint64_t kMaxBackoffNs = 500'000'000;    // ... up to 0.5 s (a venue down or refusing: back soon) ...
// ... and on up to 4 s once a session that logged in dropped before it held kSteadyNs: a venue that
// accepts every login and drops it at once had the client log in twice a second for ever.
constexpr uint64_t kMaxShortSessionBackoffNs = 4'000'000'000;
// A session that lasted this long resets the backoff; one dropped sooner keeps doubling it (a venue
// that accepted the login and then sent garbage had the client reconnect 45 times a second).
constexpr uint64_t kSteadyNs = 1'000'000'000;
constexpr uint64_t kTickMs = 5;                    // rounds without socket activity: heartbeats, reconnects
// A login again refused 'S' (session not available) is tried again for this long by default: the
// venue may still hold the dropped connection, and a SoupBinTCP peer calls a silent one dead after 15 s.
constexpr double kDefaultLoginRetryMs = 16'000;

// One event for JS, kept as plain data until the round ends.
struct Event {
  enum Kind : uint8_t { kLogin, kRejectedLogin, kLoginRetry, kDisconnected, kLoginFailed, kMessage, kEnd };
  Kind kind;
  uint64_t sequence = 0;
  std::string text;  // session (login), reason (disconnected, login failed)
  char code = 0;     // rejected login reason
  std::vector<uint8_t> payload;
};

class OuchClient : public Napi::ObjectWrap<OuchClient> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "OuchClient",
                       {InstanceMethod<&OuchClient::Send>("send"),
                        InstanceMethod<&OuchClient::Flush>("flush"),
                        InstanceMethod<&OuchClient::Stats>("stats"),
                        InstanceMethod<&OuchClient::UnsentTokens>("unsentTokens"),
                        InstanceMethod<&OuchClient::DropConnection>("dropConnection"),
                        InstanceMethod<&OuchClient::Close>("close")});
  }

  explicit OuchClient(const Napi::CallbackInfo& info) : Napi::ObjectWrap<OuchClient>(info), env_(info.Env()) {
    Napi::Env env = info.Env();
    const std::string usage = "new OuchClient({ port, username, password, session?, onEvents })";
    if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, usage + ": expected an object");
    auto o = info[0].As<Napi::Object>();
    const double p = colo_addon::integer_option(o, "OuchClient", "port", 1, 65535);
    auto text = [&](const char* key, size_t lo, size_t hi, bool required) {
      Napi::Value v = o.Get(key);
      if (!required && v.IsUndefined()) return std::string();
      const std::string what = std::string("OuchClient: ") + key + " must be a string of " + std::to_string(lo) +
                               " to " + std::to_string(hi) + " printable ASCII characters without spaces";
      if (!v.IsString()) throw Napi::TypeError::New(env, what);
      std::string s = v.As<Napi::String>().Utf8Value();
      const bool printable = std::all_of(s.begin(), s.end(), [](char c) { return c > ' ' && c < 0x7F; });
      if (s.size() < lo || s.size() > hi || !printable) throw Napi::TypeError::New(env, what);
      return s;
    };
    soup::ClientSession::Config cfg;
    cfg.username = text("username", 1, 6, true);
    cfg.password = text("password", 1, 10, true);
    cfg.session = text("session", 0, 10, false);
    // SoupBinTCP: 1 replays the session from its first message; 0 starts after the last one sent.
    cfg.next_sequence = 1;
    if (!o.Get("nextSequence").IsUndefined())
      cfg.next_sequence = uint64_t(colo_addon::integer_option(o, "OuchClient", "nextSequence", 0, 9007199254740991.0));
    if (!o.Get("loginRetryMs").IsUndefined())
      login_retry_ns_ = uint64_t(colo_addon::integer_option(o, "OuchClient", "loginRetryMs", 0, 3'600'000)) * 1'000'000;
    Napi::Value cb = o.Get("onEvents");
    if (!cb.IsFunction()) throw Napi::TypeError::New(env, "OuchClient: onEvents must be a function (events) => void");
    port_ = uint16_t(p);
    session_ = std::make_unique<soup::ClientSession>(cfg);
    callback_ = Napi::Persistent(cb.As<Napi::Function>());
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) throw Napi::Error::New(env, "OuchClient: no event loop");
    loop_ = loop;
    handles_ = new colo_addon::LoopHandles(env, [this] { stop(); });
    timer_ = handles_->make<uv_timer_t>();
    if (uv_timer_init(loop, timer_) != 0) {
      handles_->discard(timer_);
      handles_->release();
      handles_ = nullptr;
      timer_ = nullptr;
      throw Napi::Error::New(env, "OuchClient: cannot start a timer");
    }
    timer_->data = this;
    uv_unref(reinterpret_cast<uv_handle_t*>(timer_));  // the client alone does not keep the process alive
    closed_ = false;
    next_connect_ = steady_ns();
    uv_timer_start(timer_, &OuchClient::OnTimer, 0, kTickMs);  // the first round (the connect) at once
  }

  ~OuchClient() override { stop(); }  // garbage collected: logs out as close() does

 private:
  // --- the event loop's side -------------------------------------------------------------------

  void push(Event e) { events_.push_back(std::move(e)); }

  // A connection ended: `disconnected` for one that had logged in (not after End of Session),
  // `loginFailed` for one whose login the venue answered with what SoupBinTCP does not allow, and
  // the next attempt after the backoff. `by_venue` is false for the client's own reset
  // (dropConnection), which says nothing of the venue.
  void lost(const std::string& why, uint64_t now, bool by_venue = true) {
    const bool done = session_->state() == soup::ClientSession::State::kDone;
    if (logged_in_ && !done) push(Event{Event::kDisconnected, 0, why, 0, {}});
    // A Login Accepted whose sequence number does not parse, or a bad packet before the login: the
    // reason was counted as a failed connect only, and a run said nothing but "no OUCH session".
    if (!logged_in_ && garbled_ && !done) push(Event{Event::kLoginFailed, 0, why, 0, {}});
    if (logged_in_) ++st_disconnects_;
    else ++st_failed_connects_;
    if (done) done_ = true;
    // (`now` is the round's, taken before a login in the same round: then now < logged_in_at_.)
    if (logged_in_ && now > logged_in_at_ && now - logged_in_at_ >= kSteadyNs) {
      backoff_ = kFirstBackoffNs;
      short_session_ = false;
      // Only a session that held ends a window of refusals: one dropped at once (a venue accepting and
      // dropping between its refusals) would otherwise start the window again, for ever.
      refused_since_ = 0;
    } else if ((logged_in_ || garbled_) && by_venue) {
      short_session_ = true;  // the wait goes on doubling past 0.5 s until a session holds
    }
    // Only a login the venue took and dropped, or answered in a way SoupBinTCP does not allow, waits
    // past 0.5 s. A connection that never logged in (a venue down, restarting) is tried again within
    // 0.5 s, so a venue back from a crash that came within a second of a login is reached at once,
    // not up to 4 s later.
    const bool dropped_login = (logged_in_ || garbled_) && by_venue;
    logged_in_ = false;
    garbled_ = false;
    next_connect_ = now + (dropped_login ? backoff_ : std::min(backoff_, kMaxBackoffNs));
    // Within a window of logins refused 'S' (loginRetryMs from the first) the wait stays at most 0.5 s,
    // as it always was there: the venue lets go of the old connection at a time of its own, and a login
    // still refused at the window's end ends the client then, not seconds later.
    const bool refusing = refused_since_ != 0 && now < refused_since_ + login_retry_ns_;
    backoff_ = std::min(backoff_ * 2, short_session_ && !refusing ? kMaxShortSessionBackoffNs : kMaxBackoffNs);
  }

  void handle_events(std::string& why) {
    auto& events = session_->output().events;
    for (auto& e : events) {
      switch (e.kind) {
        case soup::SessionEvent::kLoginAccepted:
          logged_in_ = true;
          logged_in_at_ = steady_ns();
          ++st_logins_;
          session_name_ = e.text;
          push(Event{Event::kLogin, e.sequence, e.text, 0, {}});
          break;
        case soup::SessionEvent::kLoginRejected: rejected(e.reason); break;
        case soup::SessionEvent::kSequenced:
          ++st_received_;
          push(Event{Event::kMessage, e.sequence, {}, 0, std::move(e.payload)});
          break;
        case soup::SessionEvent::kEndOfSession: push(Event{Event::kEnd, 0, {}, 0, {}}); break;
        case soup::SessionEvent::kPeerDead: why = "peer dead: nothing received for 15 s"; break;
        case soup::SessionEvent::kProtocolError:
          why = "protocol error: " + e.text;
          garbled_ = true;
          break;
        case soup::SessionEvent::kUnsequenced:
        case soup::SessionEvent::kDebug:
        case soup::SessionEvent::kLoggedOut: break;
      }
    }
    events.clear();
    if (session_->state() == soup::ClientSession::State::kDone) done_ = true;
  }

  // A login rejected 'S' after this client had logged in (a reconnect) is tried again, with the
  // reconnect's backoff, for loginRetryMs from the first refusal: the venue may not have seen the
  // dropped connection go yet. What is queued stays queued. A login in between that did not hold for
  // kSteadyNs does not end the window (see lost()). Any other rejection, the first login's, or one
  // past that time ends the session.
  void rejected(char reason) {
    const uint64_t now = steady_ns();
    if (reason == soup::kRejectSessionNotAvailable && st_logins_ > 0 && login_retry_ns_ > 0) {
      if (refused_since_ == 0) refused_since_ = now;
      if (now - refused_since_ < login_retry_ns_) {
        session_->allow_login_again();
        ++st_refused_logins_;
        push(Event{Event::kLoginRetry, (now - refused_since_) / 1'000'000, {}, reason, {}});
        return;
      }
    }
    // How long logins were refused 'S' before this one: 0 for the first login's, and for any other reason.
    const uint64_t refused_for = reason == soup::kRejectSessionNotAvailable && refused_since_ != 0 ? (now - refused_since_) / 1'000'000 : 0;
    push(Event{Event::kRejectedLogin, refused_for, {}, reason, {}});
  }

  // Hands what is queued to the session while logged in; returns the messages handed over.
  size_t send_queued(uint64_t now) {
    size_t sent = 0;
    while (!queue_.empty() && session_->state() == soup::ClientSession::State::kLoggedIn) {
      const std::vector<uint8_t>& m = queue_.front();
      if (!session_->send_unsequenced(m.data(), m.size(), now)) break;
      queue_.pop_front();
      ++st_sent_;
      ++sent;
    }
    return sent;
  }

  // One round: the reset dropConnection() asked for, a connect when one is due, then read, tick,
  // log in and write. Ends by watching the socket again and handing the round's events to JS.
  void round() {
    const uint64_t now = steady_ns();
    if (drop_ && sock_.open()) {
      sock_.close(/*reset=*/true);
      session_->on_disconnected(now);
      lost("connection dropped by the client (dropConnection)", now, /*by_venue=*/false);
      next_connect_ = now;  // reconnect at once: the test wants the reconnect, not the backoff
    }
    drop_ = false;
    if (!sock_.open() && session_->state() != soup::ClientSession::State::kDone && now >= next_connect_) {
      try {
        sock_ = soup::tcp::connect_loopback(port_);
        ++generation_;
        session_->on_connected(now);
        ++st_connects_;
      } catch (const std::runtime_error&) {
        lost("connect failed", now);  // counted; the next attempt after the backoff
      }
    }
    if (sock_.open()) {
      send_queued(now);
      const bool open = soup::tcp::pump(sock_, *session_, now);
      std::string why;
      handle_events(why);
      send_queued(now);  // a login in this round: what waited goes out now
      if (open) soup::tcp::pump(sock_, *session_, now), handle_events(why);
      if (!sock_.open()) lost(why.empty() ? "connection closed by the venue" : why, now);
    }
    watch();
    deliver();  // last: onEvents may close this client
  }

  // Points the poll handle at the current socket: readable always, writable while bytes wait.
  // A handle is never left on a closed socket (libuv must stop watching an fd before it is
  // reused), and a new connection gets a new handle, even on the same fd number.
  void watch() {
    if (poll_ != nullptr && (!sock_.open() || polled_generation_ != generation_)) {
      uv_poll_stop(poll_);
      handles_->close(poll_);
      poll_ = nullptr;
    }
    if (closed_ || !sock_.open()) return;
    if (poll_ == nullptr) {
      auto* h = handles_->make<uv_poll_t>();
      if (uv_poll_init(loop_, h, sock_.fd()) != 0) {
        handles_->discard(h);  // not pollable: the timer's rounds still read it, every 5 ms
        ++st_poll_errors_;
        return;
      }
      h->data = this;
      uv_unref(reinterpret_cast<uv_handle_t*>(h));
      poll_ = h;
      polled_generation_ = generation_;
      poll_events_ = 0;
    }
    const int events = UV_READABLE | (sock_.pending() > 0 ? UV_WRITABLE : 0);
    if (events != poll_events_) {
      uv_poll_start(poll_, events, &OuchClient::OnSocket);
      poll_events_ = events;
    }
  }

  static void OnSocket(uv_poll_t* h, int status, int) {
    auto* self = static_cast<OuchClient*>(h->data);
    if (status < 0) {
      ++self->st_poll_errors_;    // the round's read finds what is wrong
      self->poll_events_ = 0;     // libuv stopped the handle: watch() starts it again if the socket stays open
    }
    self->round();
  }

  static void OnTimer(uv_timer_t* h) { static_cast<OuchClient*>(h->data)->round(); }

  // Reads what waits, logs out (after writing what is queued, if logged in), and closes the socket
  // and the handles. Idempotent; the events it makes stay in events_ for Close() to deliver.
  void stop() {
    if (closed_) return;
    closed_ = true;
    if (sock_.open()) {
      const uint64_t now = steady_ns();
      std::string why;
      // First what waits in the socket (answers that came while JS was busy): once logged out, the
      // session drops what it reads.
      soup::tcp::pump(sock_, *session_, now);
      handle_events(why);
      if (sock_.open()) {
        if (session_->state() == soup::ClientSession::State::kLoggedIn) send_queued(now);
        session_->logout(now);
        soup::tcp::pump(sock_, *session_, now);
        handle_events(why);
        sock_.flush();
      }
    }
    sock_.close();
    watch();  // closes the poll handle
    uv_timer_stop(timer_);
    handles_->close(timer_);
    handles_->release();  // see loop_handles.h: the environment waits for these closes
    handles_ = nullptr;
    timer_ = nullptr;
  }

  // --- JS ------------------------------------------------------------------------------------

  // Converts the round's events and hands them to onEvents in one call (its microtasks run as it
  // returns). A throw from onEvents is an uncaught exception, as from any event loop callback.
  void deliver() {
    if (events_.empty() || callback_.IsEmpty()) return;
    std::vector<Event> events;
    std::swap(events, events_);
    Napi::Env env = env_;
    Napi::HandleScope scope(env);
    Napi::Array out = to_js(env, events);
    try {
      callback_.MakeCallback(env.Global(), {out});
    } catch (const Napi::Error& e) {
      napi_fatal_exception(env, e.Value());
    }
  }

  static Napi::Array to_js(Napi::Env env, std::vector<Event>& events) {
    Napi::Array out = Napi::Array::New(env, events.size());
    uint32_t i = 0;
    for (Event& e : events) {
      Napi::Object o = Napi::Object::New(env);
      switch (e.kind) {
        case Event::kLogin:
          o.Set("kind", "login");
          o.Set("session", e.text);
          o.Set("nextSequence", Napi::Number::New(env, double(e.sequence)));
          break;
        case Event::kRejectedLogin:
        case Event::kLoginRetry:
          o.Set("kind", e.kind == Event::kRejectedLogin ? "rejectedLogin" : "loginRetry");
          o.Set("reason", std::string(1, e.code));
          o.Set("text", e.code == soup::kRejectNotAuthorized ? "not authorized (username or password)"
                        : e.code == soup::kRejectSessionNotAvailable ? "session not available"
                                                                     : "unknown reason");
          // How long logins have been refused since the first refusal after the drop (ms).
          o.Set("refusedForMs", Napi::Number::New(env, double(e.sequence)));
          break;
        case Event::kDisconnected:
        case Event::kLoginFailed:
          o.Set("kind", e.kind == Event::kDisconnected ? "disconnected" : "loginFailed");
          o.Set("reason", e.text);
          break;
        case Event::kEnd: o.Set("kind", "end"); break;
        case Event::kMessage: {
          o.Set("kind", "message");
          o.Set("sequence", Napi::Number::New(env, double(e.sequence)));
          ouch42::Outbound m;
          const colo::DecodeStatus s = ouch42::decode_outbound(e.payload.data(), e.payload.size(), m);
          if (s != colo::DecodeStatus::kOk) {
            o.Set("message", env.Null());
            o.Set("error", std::string(colo::status_name(s)) + " (type '" +
                               (e.payload.empty() ? std::string() : std::string(1, char(e.payload[0]))) + "', " +
                               std::to_string(e.payload.size()) + " bytes)");
            break;
          }
          Napi::Object msg = Napi::Object::New(env);
          std::visit(
              [&](const auto& x) {
                using M = std::decay_t<decltype(x)>;
                msg.Set("type", std::string(1, M::kType));
                colo_addon::JsFields f{env, msg};
                M::fields(f, x);
              },
              m);
          o.Set("message", msg);
          break;
        }
      }
      out.Set(i++, o);
    }
    return out;
  }

  // send(bytes, hold?): queues one OUCH inbound message and writes what is queued; false once the
  // client is closed or the session ended (End of Session, or a rejected login). With hold = true
  // it is only queued, for flush() to write with the ones after it: the orders of one step go out
  // in one write, so the venue reads them at once. Written one by one, each order after the first
  // waited for the write before it, which on loopback runs the venue's side of TCP and often the
  // venue itself before it returns: ~60 µs an order here. Not logged in, it waits for the login.
  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsTypedArray() ||
        info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
      throw Napi::TypeError::New(env, "OuchClient.send(bytes: Uint8Array, hold?: boolean): bytes must be a Uint8Array");
    if (info.Length() > 1 && !info[1].IsUndefined() && !info[1].IsBoolean())
      throw Napi::TypeError::New(env, "OuchClient.send(bytes: Uint8Array, hold?: boolean): hold must be a boolean");
    const bool hold = info.Length() > 1 && info[1].IsBoolean() && info[1].As<Napi::Boolean>().Value();
    auto b = info[0].As<Napi::Uint8Array>();
    const size_t n = b.ByteLength();
    if (n == 0 || ouch42::inbound_length(b.Data()[0]) != n)
      throw Napi::TypeError::New(env, "OuchClient.send: bytes must be one OUCH 4.2 inbound message (Enter, Replace, Cancel "
                                      "or Modify Order at its spec length), got " + std::to_string(n) + " bytes");
    if (closed_ || done_) return Napi::Boolean::New(env, false);
    queue_.emplace_back(b.Data(), b.Data() + n);
    ++st_queued_;
    if (!hold) send_now();
    return Napi::Boolean::New(env, true);
  }

  // flush(): writes what send(bytes, true) queued.
  Napi::Value Flush(const Napi::CallbackInfo& info) {
    if (!closed_) send_now();
    return info.Env().Undefined();
  }

  // The JS call's write: what is queued goes out now when logged in (else it waits for the login's
  // round). A write the socket does not take whole waits for the poll handle's writable event.
  void send_now() {
    if (!sock_.open() || !logged_in_ || queue_.empty()) return;
    const uint64_t now = steady_ns();
    st_sent_direct_ += send_queued(now);
    soup::SessionOutput& out = session_->output();
    if (!out.send.empty()) ++st_direct_writes_;
    sock_.write(out.send);
    out.send.clear();
    if (!sock_.open()) {
      session_->on_disconnected(now);
      lost("connection lost while sending", now);
      // Reported by the next round (a timer tick), not inside this call.
    }
    watch();
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    auto num = [&](const char* k, uint64_t v) { o.Set(k, Napi::Number::New(env, double(v))); };
    num("port", port_);
    num("connects", st_connects_);
    num("logins", st_logins_);
    num("disconnects", st_disconnects_);
    num("failedConnects", st_failed_connects_);
    num("refusedLogins", st_refused_logins_);
    num("queued", st_queued_);
    num("sent", st_sent_);
    num("sentDirect", st_sent_direct_);
    num("directWrites", st_direct_writes_);
    num("waiting", queue_.size());
    num("received", st_received_);
    num("pollErrors", st_poll_errors_);
    o.Set("session", session_name_.empty() ? env.Null() : Napi::Value(Napi::String::New(env, session_name_)));
    o.Set("closed", Napi::Boolean::New(env, closed_));
    return o;
  }

  // unsentTokens(): the Order Token each message still queued names (never written to a socket: the
  // venue cannot have it), in queue order: an Enter, Cancel or Modify Order's, a Replace Order's
  // replacement. Without the padding.
  Napi::Value UnsentTokens(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Array out = Napi::Array::New(env, queue_.size());
    uint32_t i = 0;
    for (const std::vector<uint8_t>& m : queue_) {
      // Send() took only whole inbound messages: the token is 14 bytes after the type, a Replace's
      // replacement 14 further on.
      const size_t at = m[0] == 'U' ? 15 : 1;
      std::string token(reinterpret_cast<const char*>(m.data() + at), 14);
      token.erase(token.find_last_not_of(' ') + 1);
      out.Set(i++, token);
    }
    return out;
  }

  // Test only: closes the socket from this side with a reset (RST) in the next round (at once,
  // on the event loop); the client reconnects.
  Napi::Value DropConnection(const Napi::CallbackInfo& info) {
    if (!closed_) {
      drop_ = true;
      uv_timer_start(timer_, &OuchClient::OnTimer, 0, kTickMs);
    }
    return info.Env().Undefined();
  }

  // close(): logs out (after sending what is queued, if logged in), closes the connection, and
  // hands the events not yet delivered to onEvents before returning. Idempotent.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (closed_) return env.Undefined();
    stop();
    if (!events_.empty() && !callback_.IsEmpty()) {
      std::vector<Event> events;
      std::swap(events, events_);
      Napi::Function cb = callback_.Value();
      callback_.Reset();
      cb.Call({to_js(env, events)});  // a throw from onEvents comes out of close(), to its caller
    }
    callback_.Reset();
    return env.Undefined();
  }

  Napi::Env env_;
  uv_loop_t* loop_ = nullptr;
  colo_addon::LoopHandles* handles_ = nullptr;  // until stop(); see loop_handles.h
  uv_timer_t* timer_ = nullptr;  // from handles_, freed once closed, as poll_
  uv_poll_t* poll_ = nullptr;
  int poll_events_ = 0;
  uint64_t generation_ = 0;         // connections opened: a new one gets a new poll handle
  uint64_t polled_generation_ = 0;  // the connection poll_ watches
  bool closed_ = true;              // until the handles exist
  bool drop_ = false;
  uint16_t port_ = 0;
  std::unique_ptr<soup::ClientSession> session_;
  soup::tcp::Socket sock_;
  bool logged_in_ = false;
  bool garbled_ = false;  // the connection ended in a SoupBinTCP protocol error
  bool done_ = false;
  uint64_t next_connect_ = 0;
  uint64_t login_retry_ns_ = uint64_t(kDefaultLoginRetryMs) * 1'000'000;
  uint64_t refused_since_ = 0;  // the first login refused 'S' since the last accepted one (0: none)
  uint64_t backoff_ = kFirstBackoffNs;
  bool short_session_ = false;  // a session dropped before it held kSteadyNs, and none has held since
  uint64_t logged_in_at_ = 0;  // steady_ns() of the last Login Accepted
  std::deque<std::vector<uint8_t>> queue_;
  std::vector<Event> events_;  // made by this round, delivered at its end
  std::string session_name_;
  uint64_t st_connects_ = 0, st_logins_ = 0, st_disconnects_ = 0, st_failed_connects_ = 0, st_refused_logins_ = 0;
  uint64_t st_queued_ = 0, st_sent_ = 0, st_received_ = 0;
  uint64_t st_sent_direct_ = 0;    // messages written by send() or flush()
  uint64_t st_direct_writes_ = 0;  // their writes: one per send(), or per flush() of held messages
  uint64_t st_poll_errors_ = 0;
  Napi::FunctionReference callback_;
};

}  // namespace

void InitOuchClient(Napi::Env env, Napi::Object exports) { exports.Set("OuchClient", OuchClient::Define(env)); }
