// OuchClient: the native side of `execution.ouch`. A thread owns a SoupBinTCP client session
// (colo::soup::ClientSession) over non-blocking loopback TCP (colo::soup::tcp) to a venue's OUCH
// port. It logs in, ticks the session (heartbeats, a dead peer), and when the connection drops it
// reconnects after a short
// backoff and logs in again with the same session and next sequence = last received + 1, so every
// sequenced message arrives once, in order. send() writes an OUCH message as Unsequenced Data
// straight from the JS thread when the session is logged in and the thread is not using it (one
// fewer thread hand-off on the tick-to-trade path); otherwise it queues the message for the
// thread, and messages queued while disconnected go out after the next login. io_mu_ guards the
// session and the socket, which both threads use. Events (login, rejected login, disconnected, each sequenced OUCH message
// decoded by field name, End of Session) reach JS in batches through one ThreadSafeFunction,
// coalesced: at most one call is pending.
#include <napi.h>
#include <poll.h>

#include <unistd.h>
#include <fcntl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <deque>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "colo/ouch42.h"
#include "colo/soup_session.h"
#include "colo/soup_tcp.h"
#include "js_fields.h"

namespace {

namespace soup = colo::soup;
namespace ouch42 = colo::ouch42;

uint64_t steady_ns() {
  return uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count());
}

constexpr uint64_t kFirstBackoffNs = 20'000'000;   // 20 ms after a drop, doubling ...
constexpr uint64_t kMaxBackoffNs = 500'000'000;    // ... up to 0.5 s
constexpr int kPollMs = 5;                         // the longest the thread sleeps between ticks

// One event for JS, kept as plain data until the main thread converts it.
struct Event {
  enum Kind : uint8_t { kLogin, kRejectedLogin, kDisconnected, kMessage, kEnd };
  Kind kind;
  uint64_t sequence = 0;
  std::string text;  // session (login), reason (disconnected)
  char code = 0;     // rejected login reason
  std::vector<uint8_t> payload;
};

// What the thread hands the main thread; shared with the ThreadSafeFunction's calls, which may
// run after the client object is gone.
struct Outbox {
  std::mutex mu;
  std::vector<Event> events;
  std::atomic<bool> pending{false};
};

class OuchClient : public Napi::ObjectWrap<OuchClient> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "OuchClient",
                       {InstanceMethod<&OuchClient::Send>("send"),
                        InstanceMethod<&OuchClient::Flush>("flush"),
                        InstanceMethod<&OuchClient::Stats>("stats"),
                        InstanceMethod<&OuchClient::DropConnection>("dropConnection"),
                        InstanceMethod<&OuchClient::Close>("close")});
  }

  explicit OuchClient(const Napi::CallbackInfo& info) : Napi::ObjectWrap<OuchClient>(info) {
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
    Napi::Value cb = o.Get("onEvents");
    if (!cb.IsFunction()) throw Napi::TypeError::New(env, "OuchClient: onEvents must be a function (events) => void");
    port_ = uint16_t(p);
    session_ = std::make_unique<soup::ClientSession>(cfg);
    callback_ = Napi::Persistent(cb.As<Napi::Function>());
    if (::pipe2(wake_, O_NONBLOCK | O_CLOEXEC) != 0)
      throw Napi::Error::New(env, "OuchClient: cannot create the wake-up pipe");
    tsfn_ = Napi::ThreadSafeFunction::New(env, cb.As<Napi::Function>(), "OuchClient.onEvents", 0, 1);
    tsfn_.Unref(env);  // the client alone does not keep the process alive
    thread_ = std::thread([this] { run(); });
  }

  ~OuchClient() override {
    stop();
    if (wake_[0] >= 0) ::close(wake_[0]);
    if (wake_[1] >= 0) ::close(wake_[1]);
  }

 private:
  // --- the session thread --------------------------------------------------------------------

  void wake() {
    const uint8_t b = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_[1], &b, 1);
  }

  void push(Event e) {
    {
      std::lock_guard lk(outbox_->mu);
      outbox_->events.push_back(std::move(e));
    }
    if (!outbox_->pending.exchange(true)) {
      auto box = outbox_;
      tsfn_.NonBlockingCall([box](Napi::Env env, Napi::Function cb) {
        box->pending.store(false);
        if (env != nullptr && !cb.IsEmpty()) deliver(env, *box, cb);
      });
    }
  }

  // A connection ended: `disconnected` for one that had logged in (not after End of Session),
  // and the next attempt after the backoff.
  void lost(const std::string& why, uint64_t now) {
    const bool done = session_->state() == soup::ClientSession::State::kDone;
    if (logged_in_ && !done) push(Event{Event::kDisconnected, 0, why, 0, {}});
    {
      std::lock_guard lk(mu_);
      if (logged_in_) ++st_disconnects_;
      else ++st_failed_connects_;
      if (done) done_ = true;
    }
    logged_in_ = false;
    next_connect_ = now + backoff_;
    backoff_ = std::min(backoff_ * 2, kMaxBackoffNs);
  }

  void handle_events(std::string& why) {
    auto& events = session_->output().events;
    for (auto& e : events) {
      switch (e.kind) {
        case soup::SessionEvent::kLoginAccepted: {
          logged_in_ = true;
          backoff_ = kFirstBackoffNs;
          {
            std::lock_guard lk(mu_);
            ++st_logins_;
            session_name_ = e.text;
          }
          push(Event{Event::kLogin, e.sequence, e.text, 0, {}});
          break;
        }
        case soup::SessionEvent::kLoginRejected: {
          push(Event{Event::kRejectedLogin, 0, {}, e.reason, {}});
          break;
        }
        case soup::SessionEvent::kSequenced: {
          {
            std::lock_guard lk(mu_);
            ++st_received_;
          }
          push(Event{Event::kMessage, e.sequence, {}, 0, std::move(e.payload)});
          break;
        }
        case soup::SessionEvent::kEndOfSession: push(Event{Event::kEnd, 0, {}, 0, {}}); break;
        case soup::SessionEvent::kPeerDead: why = "peer dead: nothing received for 15 s"; break;
        case soup::SessionEvent::kProtocolError: why = "protocol error: " + e.text; break;
        case soup::SessionEvent::kUnsequenced:
        case soup::SessionEvent::kDebug:
        case soup::SessionEvent::kLoggedOut: break;
      }
    }
    events.clear();
    if (session_->state() == soup::ClientSession::State::kDone) {
      std::lock_guard lk(mu_);
      done_ = true;
    }
  }

  // Returns the messages sent.
  size_t send_queued(uint64_t now) {
    std::lock_guard lk(mu_);
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

  void run() {
    uint64_t now = steady_ns();
    next_connect_ = now;
    for (;;) {
      std::unique_lock io(io_mu_);
      now = steady_ns();
      const bool stopping = stop_.load();
      if (drop_.exchange(false) && sock_.open()) {
        sock_.close(/*reset=*/true);
        session_->on_disconnected(now);
        lost("connection dropped by the client (dropConnection)", now);
        next_connect_ = now;  // reconnect at once: the test wants the reconnect, not the backoff
      }
      if (stopping) {
        if (sock_.open()) {
          if (session_->state() == soup::ClientSession::State::kLoggedIn) send_queued(now);
          session_->logout(now);
          soup::tcp::pump(sock_, *session_, now);
          std::string why;
          handle_events(why);
          sock_.flush();
          sock_.close();
        }
        break;
      }
      if (!sock_.open() && session_->state() != soup::ClientSession::State::kDone && now >= next_connect_) {
        try {
          sock_ = soup::tcp::connect_loopback(port_);
          session_->on_connected(now);
          std::lock_guard lk(mu_);
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
      pollfd fds[2] = {{wake_[0], POLLIN, 0}, {sock_.fd(), POLLIN, 0}};
      const nfds_t nfds = sock_.open() ? 2 : 1;
      io.unlock();
      ::poll(fds, nfds, kPollMs);
      if (fds[0].revents & POLLIN) {
        uint8_t buf[64];
        while (::read(wake_[0], buf, sizeof buf) > 0) {
        }
      }
    }
  }

  void stop() {
    if (thread_.joinable()) {
      stop_ = true;
      wake();
      thread_.join();
    }
    if (!released_) {
      released_ = true;
      tsfn_.Release();
    }
  }

  // --- JS ------------------------------------------------------------------------------------

  // Converts and hands the waiting events to onEvents (main thread).
  static void deliver(Napi::Env env, Outbox& box, Napi::Function cb) {
    std::vector<Event> events;
    {
      std::lock_guard lk(box.mu);
      std::swap(events, box.events);
    }
    if (events.empty()) return;
    Napi::HandleScope scope(env);
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
          o.Set("kind", "rejectedLogin");
          o.Set("reason", std::string(1, e.code));
          o.Set("text", e.code == soup::kRejectNotAuthorized ? "not authorized (username or password)"
                        : e.code == soup::kRejectSessionNotAvailable ? "session not available"
                                                                     : "unknown reason");
          break;
        case Event::kDisconnected:
          o.Set("kind", "disconnected");
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
    cb.Call({out});
  }

  // send(bytes, hold?): queues one OUCH inbound message and writes what is queued; false once the
  // client is closed or the session ended (End of Session, or a rejected login). With hold = true
  // it is only queued, for flush() (or the thread's next round) to write with the ones after it:
  // the orders of one step go out in one write, so the venue reads them at once. Written one by
  // one, each order after the first waited for the write before it, which on loopback runs the
  // venue's side of TCP and often the venue itself before it returns: ~60 µs an order here.
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
    if (stop_.load()) return Napi::Boolean::New(env, false);
    {
      std::lock_guard lk(mu_);
      if (done_) return Napi::Boolean::New(env, false);
      queue_.emplace_back(b.Data(), b.Data() + n);
      ++st_queued_;
    }
    if (!hold && !send_now()) wake();
    return Napi::Boolean::New(env, true);
  }

  // flush(): writes what send(bytes, true) queued (or leaves it to the thread, as send() does).
  Napi::Value Flush(const Napi::CallbackInfo& info) {
    if (!stop_.load() && !send_now()) wake();
    return info.Env().Undefined();
  }

  // The JS thread's write: what is queued goes out now if the session is logged in and the thread
  // is not in the middle of a round (then it is left to the thread, which is woken). True when
  // nothing is left for the thread to do.
  bool send_now() {
    std::unique_lock io(io_mu_, std::try_to_lock);
    if (!io.owns_lock() || !sock_.open() || !logged_in_) return false;
    const uint64_t now = steady_ns();
    st_sent_direct_ += send_queued(now);
    soup::SessionOutput& out = session_->output();
    if (!out.send.empty()) ++st_direct_writes_;
    sock_.write(out.send);
    out.send.clear();
    if (!sock_.open()) {
      session_->on_disconnected(now);
      lost("connection lost while sending", now);
      return false;
    }
    return sock_.pending() == 0;
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    auto num = [&](const char* k, uint64_t v) { o.Set(k, Napi::Number::New(env, double(v))); };
    std::lock_guard lk(mu_);
    num("port", port_);
    num("connects", st_connects_);
    num("logins", st_logins_);
    num("disconnects", st_disconnects_);
    num("failedConnects", st_failed_connects_);
    num("queued", st_queued_);
    num("sent", st_sent_);
    num("sentDirect", st_sent_direct_);
    num("directWrites", st_direct_writes_);
    num("waiting", queue_.size());
    num("received", st_received_);
    o.Set("session", session_name_.empty() ? env.Null() : Napi::Value(Napi::String::New(env, session_name_)));
    o.Set("closed", Napi::Boolean::New(env, stop_.load()));
    return o;
  }

  // Test only: closes the socket from this side with a reset (RST); the thread reconnects.
  Napi::Value DropConnection(const Napi::CallbackInfo& info) {
    drop_ = true;
    wake();
    return info.Env().Undefined();
  }

  // close(): logs out (after sending what is queued, if logged in), joins the thread, and hands
  // the events not yet delivered to onEvents before returning. Idempotent.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!thread_.joinable()) return env.Undefined();
    stop();
    deliver(env, *outbox_, callback_.Value());
    callback_.Reset();
    return env.Undefined();
  }

  uint16_t port_ = 0;
  std::unique_ptr<soup::ClientSession> session_;
  soup::tcp::Socket sock_;
  int wake_[2] = {-1, -1};
  std::atomic<bool> stop_{false};
  std::atomic<bool> drop_{false};
  bool released_ = false;
  // under io_mu_ (with session_ and sock_): the thread's between polls, send_now()'s on the JS thread
  std::mutex io_mu_;
  bool logged_in_ = false;
  uint64_t next_connect_ = 0;
  uint64_t backoff_ = kFirstBackoffNs;
  // under mu_
  std::mutex mu_;
  std::deque<std::vector<uint8_t>> queue_;
  std::string session_name_;
  bool done_ = false;
  uint64_t st_connects_ = 0, st_logins_ = 0, st_disconnects_ = 0, st_failed_connects_ = 0, st_queued_ = 0, st_sent_ = 0, st_received_ = 0;
  std::atomic<uint64_t> st_sent_direct_{0};    // messages the JS thread wrote (send() or flush())
  std::atomic<uint64_t> st_direct_writes_{0};  // the JS thread's writes: one per send(), or per flush() of held messages
  Napi::FunctionReference callback_;
  Napi::ThreadSafeFunction tsfn_;
  std::shared_ptr<Outbox> outbox_ = std::make_shared<Outbox>();
  std::thread thread_;
};

}  // namespace

void InitOuchClient(Napi::Env env, Napi::Object exports) { exports.Set("OuchClient", OuchClient::Define(env)); }
