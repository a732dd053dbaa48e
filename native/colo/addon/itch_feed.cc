// ItchFeed: the native side of `source.itch`. It owns a MoldUDP64 receiver on 127.0.0.1 and an
// order book, and runs on Node's event loop (libuv): when the socket is readable the main thread
// reads the waiting datagrams, applies them to the book and appends every top-of-book change and
// print to column buffers, then calls onData's callback; JS takes the buffers with take() as typed
// arrays over their memory (no per-message crossing, no copy). It joins the publisher (a count-0
// request to the re-request port, answered by a heartbeat naming the session and the next
// sequence) and re-requests the session from sequence 1; a timer drives the join and the
// re-request timeouts.
//
// With spin, the event loop busy-polls (an idle handle: libuv's poll never blocks), which takes a
// core but saves the wake-up from a blocking epoll_wait on every datagram.
//
// Why not a thread: on the tick-to-trade path a feed thread costs a second wake-up (the kernel
// wakes the thread, the thread wakes the main thread); measured through the venue, that hand-off
// was the largest part of the JS path's latency and of its tail (docs/benchmarks.md). The
// kernel's socket buffer holds what arrives while JS is busy, and a loss is re-requested.
//
// startMoldPublisher (tests only): a MoldPublisher with a thread answering joins and re-requests,
// publishing a length-prefixed ITCH buffer with chosen packets lost.
#include <napi.h>
#include <time.h>
#include <uv.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <system_error>
#include <thread>
#include <unordered_set>
#include <vector>

#include "colo/book.h"
#include "colo/itch_file.h"
#include "colo/itch_replay.h"
#include "colo/mold_udp.h"
#include "hand_over.h"
#include "loop_handles.h"
#include "js_fields.h"

namespace {

using colo_addon::hand_over;

uint64_t steady_ns() {
  return uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count());
}
int64_t realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Datagrams read per readable event before JS gets a turn (the rest wait in the socket buffer).
constexpr size_t kDatagramsPerTurn = 64;
// The timer that drives joins and re-request timeouts.
constexpr uint64_t kTickMs = 10;
constexpr uint64_t kJoinEveryNs = 100'000'000;
// takePacked's arena: ~14,000 quote rows.
constexpr size_t kArenaBytes = 1 << 20;

// The rows made since the last take(): quotes and trades as columns.
struct Columns {
  colo::itch::QuoteRows quotes;
  std::vector<double> quote_known;  // CLOCK_REALTIME µs when the row was made (exact in a double)
  std::vector<double> quote_event;  // exchange time as µs since the epoch (midnightUs + ns / 1000)
  std::vector<int32_t> quote_code;  // the locate, as an Int32 symbol code
  std::vector<double> quote_mold;   // MoldUDP64 sequence number of the message that made the row
  colo::itch::TradeRows trades;
  std::vector<double> trade_known;
  std::vector<double> trade_event;
  std::vector<int32_t> trade_code;
  std::vector<double> trade_mold;
  size_t rows() const { return quotes.size() + trades.size(); }
};

class ItchFeed : public Napi::ObjectWrap<ItchFeed> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "ItchFeed",
                       {InstanceMethod<&ItchFeed::Take>("take"),
                        InstanceMethod<&ItchFeed::TakePacked>("takePacked"),
                        InstanceMethod<&ItchFeed::Stats>("stats"),
                        InstanceMethod<&ItchFeed::Symbols>("symbols"),
                        InstanceMethod<&ItchFeed::OnData>("onData"),
                        InstanceMethod<&ItchFeed::Close>("close")});
  }

  explicit ItchFeed(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ItchFeed>(info), env_(info.Env()) {
    Napi::Env env = info.Env();
    const char* usage = "new ItchFeed({ rerequestPort, symbols?, maxRows?, midnightUs?, twoSidedOnly?, rows?, spin?, liveOrders? })";
    if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, std::string(usage) + ": expected an object");
    auto o = info[0].As<Napi::Object>();
    auto integer = [&](const char* key, double lo, double hi, std::optional<double> fallback) {
      return colo_addon::integer_option(o, "ItchFeed", key, lo, hi, fallback);
    };
    if (o.Get("rerequestPort").IsUndefined()) throw Napi::TypeError::New(env, std::string(usage) + ": rerequestPort is required");
    const double port = integer("rerequestPort", 1, 65535, std::nullopt);
    max_rows_ = size_t(integer("maxRows", 1, 1e9, double(1 << 20)));
    midnight_us_ = integer("midnightUs", 0, 9007199254740991.0, 0);
    const size_t live_orders = size_t(integer("liveOrders", 0, 1e8, double(colo::book::kMarketOrders)));
    Napi::Value two = o.Get("twoSidedOnly");
    if (!two.IsUndefined() && !two.IsBoolean()) throw Napi::TypeError::New(env, "ItchFeed: twoSidedOnly must be a boolean");
    two_sided_only_ = two.IsBoolean() && two.As<Napi::Boolean>().Value();
    Napi::Value spin = o.Get("spin");
    if (!spin.IsUndefined() && !spin.IsBoolean()) throw Napi::TypeError::New(env, "ItchFeed: spin must be a boolean");
    spin_ = spin.IsBoolean() && spin.As<Napi::Boolean>().Value();
    filter_.select(colo_addon::symbols_option(o.Get("symbols"), "ItchFeed"));
    Napi::Value rows = o.Get("rows");
    if (!rows.IsUndefined()) {
      const std::string r = rows.IsString() ? rows.As<Napi::String>().Utf8Value() : std::string();
      if (r != "quotes" && r != "trades" && r != "both")
        throw Napi::TypeError::New(env, "ItchFeed: rows must be 'quotes', 'trades' or 'both'");
      keep_quotes_ = r != "trades";
      keep_trades_ = r != "quotes";
    }
    colo::mold::ReceiverConfig cfg;
    cfg.request_timeout_ns = 50'000'000;
    cfg.max_request = 4096;  // ~150 kB of answer per request: well inside the socket buffer
    try {
      rx_ = std::make_unique<colo::mold::MoldUdpReceiver>(uint16_t(port), cfg);
    } catch (const std::system_error& e) {
      throw Napi::Error::New(env, std::string("ItchFeed: cannot open a UDP socket on 127.0.0.1: ") + e.code().message());
    }
    try {
      book_.reserve_orders(live_orders);
    } catch (const std::bad_alloc&) {
      throw Napi::Error::New(env, "ItchFeed: cannot map the order book's table for liveOrders " + std::to_string(live_orders));
    }
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr)
      throw Napi::Error::New(env, "ItchFeed: no event loop");
    handles_ = new colo_addon::LoopHandles(env, [this] { stop(); });
    poll_ = handles_->make<uv_poll_t>();
    timer_ = handles_->make<uv_timer_t>();
    const bool polled = uv_poll_init(loop, poll_, rx_->fd()) == 0;
    if (!polled || uv_timer_init(loop, timer_) != 0) {
      if (polled) handles_->close(poll_);
      else handles_->discard(poll_);
      handles_->discard(timer_);
      handles_->release();
      handles_ = nullptr;
      poll_ = nullptr;
      timer_ = nullptr;
      throw Napi::Error::New(env, "ItchFeed: cannot watch the UDP socket");
    }
    poll_->data = this;
    timer_->data = this;
    // The feed alone does not keep the process alive (as a socket that is only read from).
    uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
    uv_unref(reinterpret_cast<uv_handle_t*>(timer_));
    closed_ = false;
    uv_timer_start(timer_, &ItchFeed::OnTimer, 0, kTickMs);
    if (spin_) {
      idle_ = handles_->make<uv_idle_t>();
      uv_idle_init(loop, idle_);
      idle_->data = this;
      uv_unref(reinterpret_cast<uv_handle_t*>(idle_));
      uv_idle_start(idle_, &ItchFeed::OnIdle);
    }
    watch(true);
  }

  ~ItchFeed() override { stop(); }

 private:
  // --- the event loop's side ----------------------------------------------------------------

  bool selected(uint16_t locate) { return filter_.selected(book_, locate); }

  struct RowSink {
    ItchFeed& f;
    void on_quote(const colo::book::QuoteChange& q) {
      if (!f.keep_quotes_ || !f.selected(q.locate)) return;
      if (f.two_sided_only_ && !(q.top.bid_size && q.top.ask_size && q.top.bid <= q.top.ask)) {
        ++f.one_sided_;  // not a quote the graph can use: counted, not sent
        return;
      }
      Columns& c = f.back_;
      c.quote_event.push_back(f.midnight_us_ + double(q.timestamp / 1000));
      c.quote_code.push_back(int32_t(q.locate));
      c.quote_mold.push_back(double(f.current_seq_));
      c.quotes.locate.push_back(q.locate);
      c.quotes.ts_ns.push_back(double(q.timestamp));
      c.quote_known.push_back(double(realtime_ns() / 1000));
      c.quotes.bid.push_back(q.top.bid_size ? colo::price4_to_double(q.top.bid) : kNaN);
      c.quotes.ask.push_back(q.top.ask_size ? colo::price4_to_double(q.top.ask) : kNaN);
      c.quotes.bid_size.push_back(double(q.top.bid_size));
      c.quotes.ask_size.push_back(double(q.top.ask_size));
    }
    void on_trade(const colo::book::TradePrint& t) {
      if (!f.keep_trades_ || !f.selected(t.locate)) return;
      Columns& c = f.back_;
      c.trade_event.push_back(f.midnight_us_ + double(t.timestamp / 1000));
      c.trade_code.push_back(int32_t(t.locate));
      c.trade_mold.push_back(double(f.current_seq_));
      c.trades.locate.push_back(t.locate);
      c.trades.ts_ns.push_back(double(t.timestamp));
      c.trade_known.push_back(double(realtime_ns() / 1000));
      c.trades.price.push_back(colo::price4_to_double(t.price));
      c.trades.shares.push_back(double(t.shares));
      c.trades.aggressor.push_back(uint8_t(t.aggressor));
    }
  };

  // Reads up to `max` datagrams into the book and the columns, joins while the session is not
  // known, and sends a re-request when one is due. Returns whether there is news for take(): rows
  // were added, or the end was reached (End of Session may come alone, after the last rows were taken).
  bool pump(size_t max) {
    RowSink sink{*this};
    const bool was_ended = rx_->receiver().ended();
    const uint64_t now = steady_ns();
    // Joins every kJoinEveryNs until the publisher answers, then every kJoinKeepaliveNs (a venue
    // drops subscribers it has not heard from for a while).
    if (now >= next_join_) {
      rx_->join();
      ++joins_;
      next_join_ = now + (rx_->receiver().session_known() ? colo::mold::kJoinKeepaliveNs : kJoinEveryNs);
    }
    const size_t before = back_.rows();
    rx_->pump(
        now,
        [&](uint64_t seq, colo::mold::Bytes m) {
          current_seq_ = seq;
          // After End of Messages the book counts the message and does not apply it.
          if (book_.ended() && first_after_end_ == 0) first_after_end_ = seq;
          if (book_.apply_bytes(m.data(), m.size(), sink) != colo::DecodeStatus::kOk) ++itch_errors_;
        },
        max);
    if (back_.rows() >= max_rows_ && watching_) {
      ++stalls_;  // JS is behind: stop reading; what the socket drops is re-requested later
      watch(false);
    }
    return back_.rows() > before || (!was_ended && rx_->receiver().ended());
  }

  void watch(bool on) {
    if (closed_ || on == watching_) return;
    watching_ = on;
    if (on) uv_poll_start(poll_, UV_READABLE, &ItchFeed::OnReadable);
    else uv_poll_stop(poll_);
  }

  static void OnReadable(uv_poll_t* h, int status, int) {
    auto* self = static_cast<ItchFeed*>(h->data);
    if (status < 0) ++self->poll_errors_;
    if (self->pump(kDatagramsPerTurn)) self->notify();
  }

  // Nothing to do: an active idle handle alone makes libuv poll with a zero timeout, so the loop
  // never sleeps and the socket's readiness is seen at its next turn (OnReadable reads it).
  static void OnIdle(uv_idle_t*) {}

  static void OnTimer(uv_timer_t* h) {
    auto* self = static_cast<ItchFeed*>(h->data);
    if (self->pump(0)) self->notify();
  }

  // Calls onData's callback (its microtasks run as it returns: the reader takes the rows, or the end, then).
  void notify() {
    if (callback_.IsEmpty()) return;
    Napi::HandleScope scope(env_);
    try {
      callback_.MakeCallback(env_.Global(), {});
    } catch (const Napi::Error& e) {
      napi_fatal_exception(env_, e.Value());
    }
  }

  // Closes the handles (close(), garbage collection, or the environment ending first: see
  // loop_handles.h). Idempotent.
  void stop() {
    if (closed_) return;
    watch(false);
    closed_ = true;
    uv_timer_stop(timer_);
    if (idle_ != nullptr) {
      uv_idle_stop(idle_);
      handles_->close(idle_);
      idle_ = nullptr;
    }
    handles_->close(poll_);
    handles_->close(timer_);
    handles_->release();
    handles_ = nullptr;
    poll_ = nullptr;
    timer_ = nullptr;
    callback_.Reset();
  }

  // --- JS ----------------------------------------------------------------------------------

  // take() → { quotes, trades, oneSided, ended }: the rows since the last take() as columns (a
  // kind left out by the rows option: the same empty columns each time), the tops left out by
  // twoSidedOnly so far, and whether End of Session was seen with everything before it delivered
  // (then these are the last rows).
  Napi::Value Take(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Columns& c = back_;
    // Each kind's columns packed into one buffer (see hand_over.h). A kind left out by `rows` has
    // no rows (RowSink skips it): its empty columns are made once and handed out again.
    auto quotes = [&] {
      colo_addon::Packer pack(env);
      auto& q = c.quotes;
      for (auto* v : {&q.ts_ns, &c.quote_known, &c.quote_event, &c.quote_mold, &q.bid, &q.ask, &q.bid_size, &q.ask_size})
        pack.add(*v);
      pack.add(q.locate);
      pack.add(c.quote_code);
      Napi::Object o = Napi::Object::New(env);
      o.Set("ts_ns", pack.take(q.ts_ns));
      o.Set("ts_known_us", pack.take(c.quote_known));
      o.Set("ts_event_us", pack.take(c.quote_event));
      o.Set("mold_seq", pack.take(c.quote_mold));
      o.Set("bid", pack.take(q.bid));
      o.Set("ask", pack.take(q.ask));
      o.Set("bid_size", pack.take(q.bid_size));
      o.Set("ask_size", pack.take(q.ask_size));
      o.Set("locate", pack.take(q.locate));
      o.Set("symbol_code", pack.take(c.quote_code));
      return o;
    };
    auto trades = [&] {
      colo_addon::Packer pack(env);
      auto& t = c.trades;
      for (auto* v : {&t.ts_ns, &c.trade_known, &c.trade_event, &c.trade_mold, &t.price, &t.shares}) pack.add(*v);
      pack.add(t.locate);
      pack.add(c.trade_code);
      pack.add(t.aggressor);
      Napi::Object o = Napi::Object::New(env);
      o.Set("ts_ns", pack.take(t.ts_ns));
      o.Set("ts_known_us", pack.take(c.trade_known));
      o.Set("ts_event_us", pack.take(c.trade_event));
      o.Set("mold_seq", pack.take(c.trade_mold));
      o.Set("price", pack.take(t.price));
      o.Set("shares", pack.take(t.shares));
      o.Set("locate", pack.take(t.locate));
      o.Set("symbol_code", pack.take(c.trade_code));
      o.Set("aggressor", pack.take(t.aggressor));
      return o;
    };
    auto cached = [](Napi::ObjectReference& ref, auto make) {
      if (ref.IsEmpty()) ref = Napi::Persistent(make());
      return ref.Value();
    };
    Napi::Object out = Napi::Object::New(env);
    out.Set("quotes", keep_quotes_ ? quotes() : cached(empty_quotes_, quotes));
    out.Set("trades", keep_trades_ ? trades() : cached(empty_trades_, trades));
    out.Set("oneSided", Napi::Number::New(env, double(one_sided_)));
    out.Set("ended", Napi::Boolean::New(env, rx_->receiver().ended()));
    watch(true);
    return out;
  }

  // takePacked(header: Float64Array(5)) → ArrayBuffer | undefined | take()'s object: take() for a
  // live feed's usual few rows, with nothing made per call. header gets [quote rows, trade rows,
  // oneSided, ended, byte offset]; the columns are copied, in the order PackedTaker reads them
  // (native/colo/take-packed.ts), each at an 8-byte-aligned offset, into an arena: an ArrayBuffer V8
  // owns that later takes fill on from where this one ended. It is returned when this take started
  // a new one (the old one stays alive as long as JS holds views of it), undefined otherwise. A
  // take() object is two objects, twenty named properties and twenty typed arrays made through
  // N-API, ~5 µs a call here: most of a quote's way from the socket to the graph. When a column is
  // large enough to be handed over without a copy (JS fell behind), it returns take()'s object.
  Napi::Value TakePacked(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsTypedArray() ||
        info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array || info[0].As<Napi::Float64Array>().ElementLength() < 5)
      throw Napi::TypeError::New(env, "ItchFeed.takePacked(header: Float64Array of 5 or more)");
    auto header = info[0].As<Napi::Float64Array>();
    Columns& c = back_;
    const size_t nq = c.quotes.size();
    const size_t nt = c.trades.size();
    header[0] = double(nq);
    header[1] = double(nt);
    header[2] = double(one_sided_);
    header[3] = rx_->receiver().ended() ? 1 : 0;
    if (nq * sizeof(double) >= colo_addon::kCopyBelowBytes || nt * sizeof(double) >= colo_addon::kCopyBelowBytes) return Take(info);
    auto& q = c.quotes;
    auto& t = c.trades;
    // The columns in PackedTaker's order: quotes, then trades.
    auto each = [&](auto&& f) {
      f(q.ts_ns), f(c.quote_known), f(c.quote_event), f(c.quote_mold), f(q.bid), f(q.ask), f(q.bid_size), f(q.ask_size), f(q.locate), f(c.quote_code);
      f(t.ts_ns), f(c.trade_known), f(c.trade_event), f(c.trade_mold), f(t.price), f(t.shares), f(t.locate), f(c.trade_code), f(t.aggressor);
    };
    size_t bytes = 0;
    each([&](const auto& v) { bytes = ((bytes + 7) & ~size_t(7)) + v.size() * sizeof(v[0]); });
    Napi::Value fresh = env.Undefined();
    uint8_t* base = arena_space(env, bytes, fresh);
    header[4] = double(arena_at_);
    size_t at = 0;
    each([&](auto& v) {
      at = (at + 7) & ~size_t(7);
      const size_t n = v.size() * sizeof(v[0]);
      if (n > 0) std::memcpy(base + at, v.data(), n);
      at += n;
      v.clear();  // capacity kept for the next rows
    });
    arena_at_ = (arena_at_ + bytes + 7) & ~size_t(7);
    watch(true);
    return fresh;
  }

  // Where the next `bytes` go in the arena (8-byte aligned), starting a new arena (set in `fresh`)
  // when the current one is full, or gone (detached by JS).
  uint8_t* arena_space(Napi::Env env, size_t bytes, Napi::Value& fresh) {
    if (!arena_.IsEmpty()) {
      Napi::ArrayBuffer a = arena_.Value();
      if (a.ByteLength() == arena_size_ && arena_at_ + bytes <= arena_size_) return static_cast<uint8_t*>(a.Data()) + arena_at_;
    }
    arena_size_ = std::max(kArenaBytes, (bytes + 7) & ~size_t(7));
    Napi::ArrayBuffer a = Napi::ArrayBuffer::New(env, arena_size_);
    arena_ = Napi::Persistent(a);
    arena_at_ = 0;
    fresh = a;
    return static_cast<uint8_t*>(a.Data());
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    auto num = [&](const char* k, double v) { o.Set(k, Napi::Number::New(env, v)); };
    const colo::mold::MoldReceiver& r = rx_->receiver();
    const colo::mold::ReceiverStats& s = r.stats();
    num("port", rx_->port());
    num("oneSided", double(one_sided_));
    num("packets", double(s.packets));
    num("heartbeats", double(s.heartbeats));
    num("gaps", double(s.gaps));
    num("requests", double(s.requests));
    num("requestResends", double(s.request_resends));
    num("duplicates", double(s.duplicates));
    num("delivered", double(s.delivered));
    num("bufferOverflow", double(s.buffer_overflow));
    num("sessionChanges", double(s.session_changes));
    num("parseErrors", double(s.parse_errors.total()));
    num("itchErrors", double(itch_errors_));
    num("errors", double(s.parse_errors.total() + itch_errors_ + poll_errors_));
    uint64_t book_errors = 0;
    for (uint64_t e : book_.stats().errors) book_errors += e;
    num("bookErrors", double(book_errors));
    num("afterEnd", double(book_.stats().after_end));
    o.Set("afterEndFirstSequence",
          first_after_end_ ? Napi::Value(Napi::Number::New(env, double(first_after_end_))) : env.Null());
    num("joins", double(joins_));
    num("stalls", double(stalls_));
    num("nextSequence", double(r.next_expected()));
    num("rowsPending", double(back_.rows()));
    num("liveOrders", double(book_.live_orders()));
    num("orderSlots", double(book_.order_slots()));
    o.Set("session", r.session_known() ? Napi::Value(Napi::String::New(env, std::string(r.session().view())))
                                       : env.Null());
    o.Set("ended", Napi::Boolean::New(env, r.ended()));
    return o;
  }

  // symbols() → { [locate]: symbol } for every locate the book has seen.
  Napi::Value Symbols(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    for (uint16_t loc : book_.locates()) {
      const colo::book::Instrument* ins = book_.instrument(loc);
      if (ins && !ins->symbol.empty()) o.Set(uint32_t(loc), ins->symbol);
    }
    return o;
  }

  // onData(cb): cb() on the event loop after rows were added.
  Napi::Value OnData(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsFunction()) throw Napi::TypeError::New(env, "onData(callback: () => void)");
    if (!callback_.IsEmpty() || closed_) throw Napi::Error::New(env, "ItchFeed.onData: already set, or the feed is closed");
    callback_ = Napi::Persistent(info[0].As<Napi::Function>());
    return env.Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    stop();
    return info.Env().Undefined();
  }

  Napi::Env env_;
  std::unique_ptr<colo::mold::MoldUdpReceiver> rx_;
  colo_addon::LoopHandles* handles_ = nullptr;  // until stop(); see loop_handles.h
  uv_poll_t* poll_ = nullptr;   // from handles_, freed once closed
  uv_idle_t* idle_ = nullptr;   // with spin: the loop never sleeps; from handles_
  bool spin_ = false;
  uv_timer_t* timer_ = nullptr;
  bool watching_ = false;
  bool closed_ = true;  // until the handles exist
  colo::book::Book book_;
  Columns back_;
  size_t max_rows_ = 1 << 20;
  double midnight_us_ = 0;
  uint64_t current_seq_ = 0;  // sequence of the message being applied
  uint64_t first_after_end_ = 0;  // sequence of the first message after End of Messages; 0: none yet
  Napi::Reference<Napi::ArrayBuffer> arena_;
  size_t arena_size_ = 0;
  size_t arena_at_ = 0;
  uint64_t next_join_ = 0;
  bool two_sided_only_ = false;
  bool keep_quotes_ = true;
  bool keep_trades_ = true;
  Napi::ObjectReference empty_quotes_, empty_trades_;
  uint64_t one_sided_ = 0;
  colo::book::SymbolFilter filter_;
  uint64_t itch_errors_ = 0, joins_ = 0, stalls_ = 0, poll_errors_ = 0;
  Napi::FunctionReference callback_;
};

// --- startMoldPublisher (tests) ----------------------------------------------------------------

class TestMoldPublisher : public Napi::ObjectWrap<TestMoldPublisher> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "TestMoldPublisher",
                       {InstanceMethod<&TestMoldPublisher::Publish>("publish"),
                        InstanceMethod<&TestMoldPublisher::Stats>("stats"),
                        InstanceMethod<&TestMoldPublisher::Stop>("stop"),
                        InstanceAccessor<&TestMoldPublisher::Port>("rerequestPort")});
  }

  explicit TestMoldPublisher(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TestMoldPublisher>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsTypedArray())
      throw Napi::TypeError::New(env, "startMoldPublisher(bytes: Uint8Array, { dropSequences? })");
    auto bytes = info[0].As<Napi::Uint8Array>();
    bytes_.assign(bytes.Data(), bytes.Data() + bytes.ByteLength());
    if (info.Length() > 1 && info[1].IsObject()) {
      Napi::Value d = info[1].As<Napi::Object>().Get("dropSequences");
      if (d.IsArray()) {
        auto a = d.As<Napi::Array>();
        for (uint32_t i = 0; i < a.Length(); ++i) drop_.insert(uint64_t(a.Get(i).As<Napi::Number>().DoubleValue()));
      }
    }
    try {
      pub_ = std::make_unique<colo::mold::MoldPublisher>(colo::mold::Session::of("ALPHATEST1"), 0);
    } catch (const std::system_error& e) {
      throw Napi::Error::New(env, std::string("startMoldPublisher: ") + e.code().message());
    }
    thread_ = std::thread([this] {
      auto last_beat = std::chrono::steady_clock::now();
      while (!stop_.load()) {
        pub_->wait_request(5);
        std::lock_guard lk(mu_);
        pub_->serve_requests();
        // Heartbeats once something was published, so a receiver that lost the tail of a burst
        // (End of Session included) learns the next sequence and re-requests the rest.
        const auto now = std::chrono::steady_clock::now();
        if (published_ && now - last_beat >= std::chrono::milliseconds(50)) {
          pub_->heartbeat();
          last_beat = now;
        }
      }
    });
  }
  ~TestMoldPublisher() override { stop(); }

 private:
  void stop() {
    if (thread_.joinable()) {
      stop_ = true;
      thread_.join();
    }
  }
  Napi::Value Port(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), pub_->rerequest_port()); }

  // publish(): every message, 20 per packet; a packet holding a sequence in dropSequences is
  // stored but not sent. Then End of Session.
  Napi::Value Publish(const Napi::CallbackInfo& info) {
    std::lock_guard lk(mu_);
    colo::itch_file::ScanStats st;
    colo::itch_file::Cursor cursor{bytes_.data(), bytes_.size()};
    uint64_t seq = 1, in_packet = 0;
    bool drop = false;
    while (cursor.next(st, [&](uint64_t, const uint8_t* m, size_t len) {
      pub_->publish(colo::mold::Bytes{m, len});
      drop = drop || drop_.contains(seq);
      ++seq;
      if (++in_packet == 20) {
        pub_->flush(drop);
        in_packet = 0;
        drop = false;
      }
    })) {
    }
    pub_->flush(drop);
    pub_->end_of_session();
    published_ = true;
    return Napi::Number::New(info.Env(), double(seq - 1));
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::lock_guard lk(mu_);
    Napi::Object o = Napi::Object::New(env);
    o.Set("subscribers", Napi::Number::New(env, double(pub_->subscribers().size())));
    o.Set("joins", Napi::Number::New(env, double(pub_->joins())));
    o.Set("packetsSent", Napi::Number::New(env, double(pub_->packets_sent())));
    o.Set("packetsDropped", Napi::Number::New(env, double(pub_->packets_dropped())));
    o.Set("requestsRefused", Napi::Number::New(env, double(pub_->requests_refused())));
    return o;
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    stop();
    return info.Env().Undefined();
  }

  std::vector<uint8_t> bytes_;
  std::unordered_set<uint64_t> drop_;
  std::mutex mu_;
  bool published_ = false;  // under mu_
  std::unique_ptr<colo::mold::MoldPublisher> pub_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace

void InitItchFeed(Napi::Env env, Napi::Object exports) {
  exports.Set("ItchFeed", ItchFeed::Define(env));
  Napi::Function pub = TestMoldPublisher::Define(env);
  // The constructor stays referenced for the life of the addon (one small leak per environment).
  auto* ctor = new Napi::FunctionReference(Napi::Persistent(pub));
  exports.Set("startMoldPublisher",
              Napi::Function::New(
                  env,
                  [](const Napi::CallbackInfo& info) -> Napi::Value {
                    std::vector<napi_value> args(info.Length());
                    for (size_t i = 0; i < info.Length(); ++i) args[i] = info[i];
                    return static_cast<Napi::FunctionReference*>(info.Data())->New(args);
                  },
                  "startMoldPublisher", ctor));
}
