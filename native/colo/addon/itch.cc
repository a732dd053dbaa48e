// ItchFile: an ITCH 5.0 file (length-prefixed) replayed through colo's order book, for
// `alpha itch book` and `alpha itch convert`. The file is memory-mapped; rows come out as
// typed arrays that own their memory (no copy on the way to JS).
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <napi.h>
#include <new>
#include <system_error>

#include "colo/itch_file.h"
#include "colo/mapping_guard.h"
#include "js_fields.h"
#include "colo/itch_replay.h"
#include "colo/itch_sim.h"
#include "hand_over.h"

namespace {

using colo::itch::ItchReplay;
using colo::itch_file::ErrorKind;
using colo::itch_file::MappedFile;

using colo_addon::hand_over;

class ItchFile : public Napi::ObjectWrap<ItchFile> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "ItchFile",
                       {InstanceMethod<&ItchFile::Next>("next"),
                        InstanceMethod<&ItchFile::Run>("run"),
                        InstanceMethod<&ItchFile::Summary>("summary")});
  }

  explicit ItchFile(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ItchFile>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsString())
      throw Napi::TypeError::New(env, "ItchFile(path: string, symbols?: string[]): path must be a string");
    path_ = info[0].As<Napi::String>().Utf8Value();
    if (path_.empty() || path_.find('\0') != std::string::npos)
      throw Napi::TypeError::New(env, "ItchFile: path must be a non-empty string without NUL characters");
    std::unordered_set<std::string> wanted =
        colo_addon::symbols_option(info.Length() > 1 ? info[1] : env.Undefined(), "ItchFile");
    struct stat st {};
    if (stat(path_.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) throw Napi::Error::New(env, path_ + ": not a regular file");
    try {
      map_ = std::make_unique<MappedFile>(path_);
    } catch (const std::system_error& e) {
      throw Napi::Error::New(env, path_ + ": cannot read: " + e.code().message());
    } catch (const std::bad_alloc&) {
      // Every guarded mapping slot was taken, and the file is too large to read into memory instead.
      throw Napi::Error::New(env, path_ + ": cannot read: " + std::to_string(st.st_size) + " bytes do not fit in memory (" +
                                      std::to_string(colo::mapping_guard::kMaxMappings) +
                                      " ITCH files are open in this process already, so it is read instead of mapped)");
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, e.what());  // it changed while it was read: the message names it
    }
    replay_ = std::make_unique<ItchReplay>(map_->data(), map_->size());
    replay_->select(std::move(wanted));
  }

 private:
  void check_idle(Napi::Env env) {
    if (busy_) throw Napi::Error::New(env, "ItchFile: run() is still working on this file");
  }

  // next(maxRows) → { quotes, trades, done, afterEnd }: afterEnd, the messages after End of Messages so far
  Napi::Value Next(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    check_idle(env);
    if (info.Length() < 1 || !info[0].IsNumber())
      throw Napi::TypeError::New(env, "next(maxRows: number): maxRows must be a number");
    const double max = info[0].As<Napi::Number>().DoubleValue();
    if (!(max >= 1 && max <= 1e8)) throw Napi::TypeError::New(env, "next(maxRows): expected 1 .. 1e8 rows");
    colo::itch::QuoteRows q;
    colo::itch::TradeRows t;
    const bool done = replay_->step(size_t(max), &q, &t);
    release_read();
    Napi::Object quotes = Napi::Object::New(env);
    quotes.Set("locate", hand_over(env, std::move(q.locate)));
    quotes.Set("ts_ns", hand_over(env, std::move(q.ts_ns)));
    quotes.Set("bid", hand_over(env, std::move(q.bid)));
    quotes.Set("ask", hand_over(env, std::move(q.ask)));
    quotes.Set("bid_size", hand_over(env, std::move(q.bid_size)));
    quotes.Set("ask_size", hand_over(env, std::move(q.ask_size)));
    quotes.Set("message", hand_over(env, std::move(q.message)));
    Napi::Object trades = Napi::Object::New(env);
    trades.Set("locate", hand_over(env, std::move(t.locate)));
    trades.Set("ts_ns", hand_over(env, std::move(t.ts_ns)));
    trades.Set("price", hand_over(env, std::move(t.price)));
    trades.Set("shares", hand_over(env, std::move(t.shares)));
    trades.Set("aggressor", hand_over(env, std::move(t.aggressor)));
    trades.Set("message", hand_over(env, std::move(t.message)));
    Napi::Object out = Napi::Object::New(env);
    out.Set("quotes", quotes);
    out.Set("trades", trades);
    out.Set("done", Napi::Boolean::New(env, done));
    out.Set("afterEnd", Napi::Number::New(env, double(replay_->book().stats().after_end)));
    return out;
  }

  class RunWorker : public Napi::AsyncWorker {
   public:
    RunWorker(Napi::Env env, ItchFile* owner)
        : Napi::AsyncWorker(env), owner_(owner), deferred_(Napi::Promise::Deferred::New(env)) {
      owner_->Ref();
    }
    ~RunWorker() override { owner_->Unref(); }
    Napi::Promise promise() { return deferred_.Promise(); }
    void Execute() override { owner_->replay_->step(0, nullptr, nullptr); }
    void OnOK() override {
      owner_->busy_ = false;
      deferred_.Resolve(Env().Undefined());
    }
    void OnError(const Napi::Error& e) override {
      owner_->busy_ = false;
      deferred_.Reject(e.Value());
    }

   private:
    ItchFile* owner_;
    Napi::Promise::Deferred deferred_;
  };

  // run() → Promise<void>: replays the rest of the file off the main thread, collecting no rows.
  Napi::Value Run(const Napi::CallbackInfo& info) {
    check_idle(info.Env());
    busy_ = true;
    auto* w = new RunWorker(info.Env(), this);
    Napi::Promise p = w->promise();
    w->Queue();
    return p;
  }

  Napi::Value Summary(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    check_idle(env);
    const auto& book = replay_->book();
    const auto& frames = replay_->frames();
    Napi::Object out = Napi::Object::New(env);
    out.Set("bytes", Napi::Number::New(env, double(map_->size())));
    out.Set("offset", Napi::Number::New(env, double(replay_->offset())));
    out.Set("done", Napi::Boolean::New(env, replay_->done()));
    out.Set("messages", Napi::Number::New(env, double(frames.messages)));
    Napi::Array frame_errors = Napi::Array::New(env);
    for (size_t i = 0; i < colo::itch_file::kErrorKindCount; ++i) {
      if (!frames.errors_by_kind[i]) continue;
      Napi::Object e = Napi::Object::New(env);
      e.Set("kind", std::string(colo::itch_file::kind_name(ErrorKind(i))));
      e.Set("count", Napi::Number::New(env, double(frames.errors_by_kind[i])));
      e.Set("firstOffset", Napi::Number::New(env, double(frames.first_offset[i])));
      frame_errors.Set(frame_errors.Length(), e);
    }
    out.Set("frameErrors", frame_errors);
    Napi::Array book_errors = Napi::Array::New(env);
    for (size_t i = 0; i < size_t(colo::book::BookError::kCount); ++i) {
      if (!book.stats().errors[i]) continue;
      Napi::Object e = Napi::Object::New(env);
      e.Set("kind", std::string(colo::book::book_error_name(colo::book::BookError(i))));
      e.Set("count", Napi::Number::New(env, double(book.stats().errors[i])));
      book_errors.Set(book_errors.Length(), e);
    }
    out.Set("bookErrors", book_errors);
    // Messages after End of Messages (System Event 'C'): counted, not applied; null when none.
    if (const uint64_t late = book.stats().after_end) {
      Napi::Object a = Napi::Object::New(env);
      a.Set("count", Napi::Number::New(env, double(late)));
      a.Set("firstOffset", Napi::Number::New(env, double(replay_->first_after_end())));
      out.Set("afterEnd", a);
    } else {
      out.Set("afterEnd", env.Null());
    }
    Napi::Array symbols = Napi::Array::New(env);
    for (uint16_t loc : book.locates()) {
      const colo::book::Instrument* ins = book.instrument(loc);
      const colo::book::Top top = book.symbol_book(loc)->top();
      Napi::Object s = Napi::Object::New(env);
      s.Set("locate", Napi::Number::New(env, loc));
      s.Set("symbol", ins->symbol);
      s.Set("bid", top.bid_size ? Napi::Value(Napi::Number::New(env, colo::price4_to_double(top.bid))) : env.Null());
      s.Set("ask", top.ask_size ? Napi::Value(Napi::Number::New(env, colo::price4_to_double(top.ask))) : env.Null());
      s.Set("bidSize", Napi::Number::New(env, double(top.bid_size)));
      s.Set("askSize", Napi::Number::New(env, double(top.ask_size)));
      s.Set("volume", Napi::Number::New(env, double(ins->traded_shares)));
      s.Set("trades", Napi::Number::New(env, double(ins->trade_count)));
      Napi::Object counts = Napi::Object::New(env);
      for (size_t i = 0; i < ins->messages.size(); ++i)
        if (ins->messages[i])
          counts.Set(std::string(1, colo::itch::message_type_at(i)), Napi::Number::New(env, double(ins->messages[i])));
      s.Set("messages", counts);
      symbols.Set(symbols.Length(), s);
    }
    out.Set("symbols", symbols);
    return out;
  }

  // The pages the replay has gone past are dropped from the process (the mapping is private and
  // read-only: a page read again comes back from the file), so a day's file, read once front to
  // back, does not stay resident as it is read: its whole size showed in the RSS of `alpha itch
  // convert` before. The page cache keeps what it keeps.
  void release_read() {
    static const size_t page = size_t(::sysconf(_SC_PAGESIZE));
    const size_t upto = replay_->offset() / page * page;
    if (upto <= released_ || !map_->data()) return;
    ::madvise(const_cast<uint8_t*>(map_->data()) + released_, upto - released_, MADV_DONTNEED);
    released_ = upto;
  }

  std::string path_;
  std::unique_ptr<MappedFile> map_;
  std::unique_ptr<ItchReplay> replay_;
  size_t released_ = 0;  // bytes from the start already dropped (whole pages)
  bool busy_ = false;
};

// Writes fields by name from a JS object (the inverse of JsFields); a missing or mistyped
// field throws a TypeError naming it.
struct JsObjectWriter {
  Napi::Env env;
  Napi::Object in;
  uint8_t* p;
  std::string where;
  [[noreturn]] void bad(const char* name, const char* expected) {
    throw Napi::TypeError::New(env, where + ": field " + name + " " + expected);
  }
  uint64_t integer(const char* name, uint64_t max) {
    Napi::Value v = in.Get(name);
    if (v.IsBigInt()) {
      bool lossless = false;
      uint64_t x = v.As<Napi::BigInt>().Uint64Value(&lossless);
      if (!lossless || x > max) bad(name, "is out of range");
      return x;
    }
    if (!v.IsNumber()) bad(name, "must be a number");
    const double d = v.As<Napi::Number>().DoubleValue();
    if (!(d >= 0) || std::floor(d) != d || d > double(max)) bad(name, "must be a whole number in range");
    return uint64_t(d);
  }
  void tag(char t) { *p++ = uint8_t(t); }
  void u8(const uint8_t&, const char* name) { *p++ = uint8_t(integer(name, 0xFF)); }
  void ch(const char&, const char* name) {
    Napi::Value v = in.Get(name);
    if (!v.IsString()) bad(name, "must be a one-character string");
    const std::string s = v.As<Napi::String>().Utf8Value();
    if (s.size() != 1) bad(name, "must be a one-character string");
    *p++ = uint8_t(s[0]);
  }
  void u16(const uint16_t&, const char* name) { colo::store_u16(p, uint16_t(integer(name, 0xFFFF))), p += 2; }
  void u32(const uint32_t&, const char* name) { colo::store_u32(p, uint32_t(integer(name, 0xFFFFFFFF))), p += 4; }
  void u48(const uint64_t&, const char* name) { colo::store_u48(p, integer(name, (1ULL << 48) - 1)), p += 6; }
  void u64(const uint64_t&, const char* name) { colo::store_u64(p, integer(name, ~0ULL)), p += 8; }
  template <size_t N>
  void alpha(const colo::Alpha<N>&, const char* name) {
    Napi::Value v = in.Get(name);
    std::string s = v.IsUndefined() ? std::string() : v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string(1, '\x01');
    if (s.size() > N || (s.size() == 1 && s[0] == '\x01')) bad(name, ("must be a string of at most " + std::to_string(N) + " characters").c_str());
    for (unsigned char c : s)
      if (c < 0x20 || c > 0x7E) bad(name, "must be printable ASCII");
    s.resize(N, ' ');
    std::memcpy(p, s.data(), N), p += N;
  }
};

// encodeItch(messages) → Buffer: each { type, stock_locate, tracking_number, timestamp, ... } by
// field name (as decodeItch gives them), framed as a length-prefixed ITCH file.
Napi::Value EncodeItch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArray()) throw Napi::TypeError::New(env, "encodeItch(messages: object[])");
  auto list = info[0].As<Napi::Array>();
  std::vector<uint8_t> out;
  out.reserve(size_t(list.Length()) * 40);
  for (uint32_t i = 0; i < list.Length(); ++i) {
    Napi::Value item = list.Get(i);
    const std::string where = "encodeItch: message " + std::to_string(i);
    if (!item.IsObject()) throw Napi::TypeError::New(env, where + " is not an object");
    auto obj = item.As<Napi::Object>();
    Napi::Value type = obj.Get("type");
    const std::string t = type.IsString() ? type.As<Napi::String>().Utf8Value() : std::string();
    if (t.size() != 1 || colo::itch::message_length(uint8_t(t[0])) == 0)
      throw Napi::TypeError::New(env, where + ": type must be an ITCH 5.0 message type letter");
    const size_t at = out.size();
    const size_t len = colo::itch::message_length(uint8_t(t[0]));
    out.resize(at + 2 + len);
    colo::store_u16(&out[at], uint16_t(len));
    bool done = false;
    auto encode_as = [&]<class M>() {
      JsObjectWriter w{env, obj, &out[at + 2], where + " ('" + t + "')"};
      const M m{};
      M::fields(w, m);
      done = true;
    };
    switch (t[0]) {
#define COLO_CASE(M) case M::kType: encode_as.template operator()<M>(); break;
      COLO_CASE(colo::itch::SystemEvent) COLO_CASE(colo::itch::StockDirectory) COLO_CASE(colo::itch::StockTradingAction)
      COLO_CASE(colo::itch::RegShoRestriction) COLO_CASE(colo::itch::MarketParticipantPosition)
      COLO_CASE(colo::itch::MwcbDeclineLevel) COLO_CASE(colo::itch::MwcbStatus) COLO_CASE(colo::itch::IpoQuotingPeriod)
      COLO_CASE(colo::itch::LuldAuctionCollar) COLO_CASE(colo::itch::OperationalHalt) COLO_CASE(colo::itch::AddOrder)
      COLO_CASE(colo::itch::AddOrderMpid) COLO_CASE(colo::itch::OrderExecuted) COLO_CASE(colo::itch::OrderExecutedWithPrice)
      COLO_CASE(colo::itch::OrderCancel) COLO_CASE(colo::itch::OrderDelete) COLO_CASE(colo::itch::OrderReplace)
      COLO_CASE(colo::itch::TradeNonCross) COLO_CASE(colo::itch::CrossTrade) COLO_CASE(colo::itch::BrokenTrade)
      COLO_CASE(colo::itch::Noii) COLO_CASE(colo::itch::Rpii) COLO_CASE(colo::itch::DirectListingPriceDiscovery)
#undef COLO_CASE
      default: break;
    }
    if (!done) throw Napi::TypeError::New(env, where + ": type " + t + " is not encodable");
  }
  auto* bytes = new std::vector<uint8_t>(std::move(out));
  return Napi::Buffer<uint8_t>::New(env, bytes->data(), bytes->size(),
                                    [](Napi::Env, uint8_t*, std::vector<uint8_t>* p) { delete p; }, bytes);
}

// decodeItch(bytes, maxMessages) → { messages: [{ type, stock_locate, ... }], errors, truncated }:
// a length-prefixed ITCH buffer, every field by name, for inspection and cross-checks.
Napi::Value DecodeItch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray())
    throw Napi::TypeError::New(env, "decodeItch(bytes: Uint8Array, maxMessages?: number)");
  auto bytes = info[0].As<Napi::Uint8Array>();
  double max = 1e6;
  if (info.Length() > 1 && info[1].IsNumber()) max = info[1].As<Napi::Number>().DoubleValue();
  if (!(max >= 1 && max <= 1e7)) throw Napi::TypeError::New(env, "decodeItch: maxMessages must be 1 .. 1e7");
  Napi::Array messages = Napi::Array::New(env);
  colo::itch_file::ScanStats st;
  colo::itch_file::Cursor cursor{bytes.Data(), bytes.ByteLength()};
  bool truncated = false;
  while (cursor.next(st, [&](uint64_t, const uint8_t* m, size_t len) {
    colo::itch::dispatch(m, len, [&]<class M>(const M& msg) {
      colo_addon::JsFields w{env, Napi::Object::New(env)};
      w.o.Set("type", std::string(1, M::kType));
      M::fields(w, msg);
      messages.Set(messages.Length(), w.o);
    });
  })) {
    if (messages.Length() >= max) {
      truncated = !cursor.done();
      break;
    }
  }
  Napi::Array errors = Napi::Array::New(env);
  for (const auto& e : st.errors) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("kind", std::string(colo::itch_file::kind_name(e.kind)));
    o.Set("offset", Napi::Number::New(env, double(e.offset)));
    errors.Set(errors.Length(), o);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("messages", messages);
  out.Set("errors", errors);
  out.Set("truncated", Napi::Boolean::New(env, truncated));
  return out;
}

// simulateItchSession({ messages, symbols, seed }) → Buffer of a length-prefixed ITCH file.
Napi::Value SimulateItchSession(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject())
    throw Napi::TypeError::New(env, "simulateItchSession({ messages, symbols, seed }): expected an object");
  auto o = info[0].As<Napi::Object>();
  auto integer = [&](const char* key, double lo, double hi) {
    return uint64_t(colo_addon::integer_option(o, "simulateItchSession", key, lo, hi));
  };
  colo::itch::SimOptions so;
  so.messages = integer("messages", 1, 100'000'000);
  so.symbols = uint16_t(integer("symbols", 1, 9999));
  so.seed = integer("seed", 0, 9007199254740991.0);
  auto* bytes = new std::vector<uint8_t>(colo::itch::simulate_session(so));
  return Napi::Buffer<uint8_t>::New(env, bytes->data(), bytes->size(),
                                    [](Napi::Env, uint8_t*, std::vector<uint8_t>* p) { delete p; }, bytes);
}

}  // namespace

void InitItch(Napi::Env env, Napi::Object exports) {
  exports.Set("ItchFile", ItchFile::Define(env));
  Napi::Object names = Napi::Object::New(env);
  for (size_t i = 0; i < colo::itch::kMessageTypeCount; ++i)
    names.Set(std::string(1, colo::itch::message_type_at(i)), std::string(colo::itch::message_name_at(i)));
  exports.Set("itchMessageNames", names);
  exports.Set("simulateItchSession", Napi::Function::New(env, SimulateItchSession));
  exports.Set("decodeItch", Napi::Function::New(env, DecodeItch));
  exports.Set("encodeItch", Napi::Function::New(env, EncodeItch));
}
