#include "colo/venue_engine.h"

#include <algorithm>
#include <utility>

namespace colo::venue {
namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;  // clang 14 does not deduce aggregates of lambdas

std::string token_text(const ouch42::Token& t) { return std::string(t.view()); }

std::string price_text(uint32_t p) {
  std::string s = std::to_string(p / 10000) + ".";
  std::string frac = std::to_string(p % 10000);
  return s + std::string(4 - frac.size(), '0') + frac;
}

constexpr char kHex[] = "0123456789ABCDEF";

// A character an OUCH 4.2 token may hold: printable ASCII other than the space that pads it.
bool token_char(char c) { return uint8_t(c) > ' ' && uint8_t(c) < 0x7F; }

// A token's 14 bytes for a human reason: printable ASCII as it is, any other byte as \xNN.
std::string token_shown(const ouch42::Token& t) {
  std::string s = "\"";
  for (char c : t.bytes) {
    const auto b = uint8_t(c);
    if (b >= ' ' && b < 0x7F && b != '"' && b != '\\') {
      s += c;
    } else {
      s += "\\x";
      s += kHex[b >> 4];
      s += kHex[b & 0xF];
    }
  }
  return s + "\"";
}

// OUCH 4.2's messages are printable ASCII, and its alpha fields left-justified and padded on the
// right with spaces: a token is 1..14 characters from '!' to '~', then spaces. Why `t` is not one
// (empty when it is).
std::string token_problem(const ouch42::Token& t) {
  size_t n = 0;
  while (n < t.bytes.size() && token_char(t.bytes[n])) ++n;
  size_t pad = n;
  while (pad < t.bytes.size() && t.bytes[pad] == ' ') ++pad;
  if (n > 0 && pad == t.bytes.size()) return {};
  std::string what;
  if (pad == t.bytes.size()) {
    what = "it is blank";
  } else if (token_char(t.bytes[pad])) {
    what = "a space at offset " + std::to_string(n) + " before its end";
  } else {
    const auto b = uint8_t(t.bytes[pad]);
    what = std::string("byte 0x") + kHex[b >> 4] + kHex[b & 0xF] + " at offset " +
           std::to_string(pad);
  }
  return "order token " + token_shown(t) + " (" + what +
         "): this venue takes 1..14 printable ASCII characters ('!' to '~'), left-justified and "
         "space-padded";
}

}  // namespace

Engine::Engine(Config c) : cfg_(std::move(c)) {
  for (const auto& h : cfg_.halted) halted_.insert(h);
  Output ignored;
  for (const auto& s : cfg_.symbols) add_symbol(s, 0, ignored);
}

// ---- symbols, session events -----------------------------------------------------------------

uint16_t Engine::locate(std::string_view symbol) const {
  auto it = locates_.find(symbol);
  return it == locates_.end() ? 0 : it->second;
}

uint16_t Engine::add_symbol(std::string_view symbol, uint64_t ts, Output& out) {
  if (uint16_t l = locate(symbol)) return l;
  if (symbol.empty() || symbol.size() > 8 || symbols_.size() >= 0xFFFF) return 0;
  symbols_.emplace_back(symbol);
  books_.emplace_back();
  const auto loc = uint16_t(symbols_.size());
  locates_.emplace(std::string(symbol), loc);
  if (started_) directory(loc, ts, out);
  return loc;
}

void Engine::system_event(char code, uint64_t ts, Output& out) {
  itch::SystemEvent e;
  header(e, 0, ts);
  e.event_code = code;
  out.itch.push_back(e);
}

void Engine::directory(uint16_t loc, uint64_t ts, Output& out) {
  itch::StockDirectory d;
  header(d, loc, ts);
  const itch::Header h = d.h;
  d = itch::common_stock(h.stock_locate, h.tracking_number, h.timestamp, symbols_[loc - 1]);
  out.itch.push_back(d);
  if (halted_.contains(symbols_[loc - 1])) {
    itch::StockTradingAction h;
    header(h, loc, ts);
    h.stock = d.stock;
    h.trading_state = 'H';
    h.reserved = ' ';
    h.reason = Alpha<4>::of("");
    out.itch.push_back(h);
  }
}

void Engine::start(uint64_t ts, Output& out) {
  if (started_) return;
  started_ = true;
  system_event('O', ts, out);
  for (size_t i = 0; i < symbols_.size(); ++i) directory(uint16_t(i + 1), ts, out);
  system_event('S', ts, out);
}

void Engine::open_market(uint64_t ts, Output& out) {
  if (market_open_ || ended_) return;
  market_open_ = true;
  system_event('Q', ts, out);
}

void Engine::close_market(uint64_t ts, Output& out) {
  if (market_closed_ || ended_) return;
  open_market(ts, out);
  market_closed_ = true;
  system_event('M', ts, out);
}

void Engine::end(uint64_t ts, Output& out) {
  if (ended_) return;
  // The clients' orders still resting expire with the session (Canceled 'T', their time in force
  // over), before End of Messages: the book the feed leaves holds no order that is no longer there.
  std::vector<uint64_t> resting;
  resting.reserve(live_tokens_.size());
  for (const auto& [key, ref] : live_tokens_) resting.push_back(ref);
  std::sort(resting.begin(), resting.end());  // in the order they were entered
  for (const uint64_t ref : resting) {
    const Order& o = orders_.at(ref);
    itch::OrderDelete d;
    header(d, o.locate, ts);
    d.order_ref = o.ref;
    out.itch.push_back(d);
    out.ouch.push_back({o.owner, ouch42::Canceled{ts, o.token, o.shares, 'T'}, "the session ended: its time in force expired"});
    reduce(ref, o.shares);
  }
  close_market(ts, out);
  ended_ = true;
  system_event('E', ts, out);
  system_event('C', ts, out);
  for (SessionId s : sessions_) out.ouch.push_back({s, ouch42::SystemEvent{ts, 'E'}, {}});
}

void Engine::open_session(SessionId s, uint64_t ts, Output& out) {
  sessions_.insert(s);
  out.ouch.push_back({s, ouch42::SystemEvent{ts, 'S'}, {}});
}

// ---- the book --------------------------------------------------------------------------------

const Engine::SymbolBook* Engine::book_at(uint16_t loc) const {
  return loc >= 1 && loc <= books_.size() ? &books_[loc - 1] : nullptr;
}

Engine::Level* Engine::level(Order& o) {
  SymbolBook& b = book(o.locate);
  if (o.side == 'B') {
    auto it = b.bids.find(o.price);
    return it == b.bids.end() ? nullptr : &it->second;
  }
  auto it = b.asks.find(o.price);
  return it == b.asks.end() ? nullptr : &it->second;
}

Engine::Order& Engine::rest(const Order& o) {
  if (o.owner != kBackground) ++live_per_session_[o.owner];
  Order& n = orders_.try_emplace(o.ref, o).first->second;
  n.prev = n.next = 0;
  SymbolBook& b = book(o.locate);
  Level& lv = o.side == 'B' ? b.bids[o.price] : b.asks[o.price];
  if (lv.tail) {
    orders_[lv.tail].next = n.ref;
    n.prev = lv.tail;
  } else {
    lv.head = n.ref;
  }
  lv.tail = n.ref;
  lv.shares += n.shares;
  lv.orders++;
  return orders_[o.ref];
}

void Engine::reduce(uint64_t ref, uint32_t shares) {
  auto it = orders_.find(ref);
  if (it == orders_.end()) return;
  Order& o = it->second;
  const uint32_t take = std::min(shares, o.shares);
  Level* lv = level(o);
  if (lv) lv->shares -= take;
  o.shares -= take;
  if (o.shares > 0) return;
  if (lv) {
    if (o.prev) orders_[o.prev].next = o.next; else lv->head = o.next;
    if (o.next) orders_[o.next].prev = o.prev; else lv->tail = o.prev;
    if (--lv->orders == 0) {
      SymbolBook& b = book(o.locate);
      if (o.side == 'B') b.bids.erase(o.price); else b.asks.erase(o.price);
    }
  }
  if (o.owner == kBackground) {
    flow_refs_.erase(o.flow_ref);
  } else {
    auto t = live_tokens_.find(std::pair{o.owner, token_text(o.token)});
    if (t != live_tokens_.end() && t->second == ref) live_tokens_.erase(t);
    if (auto n = live_per_session_.find(o.owner); n != live_per_session_.end() && --n->second == 0) {
      live_per_session_.erase(n);
    }
  }
  orders_.erase(it);
}

bool Engine::crosses(uint16_t loc, char side, uint32_t price) const {
  const SymbolBook* b = book_at(loc);
  if (!b) return false;
  if (side == 'B') return !b->asks.empty() && b->asks.begin()->first <= price;
  return !b->bids.empty() && b->bids.begin()->first >= price;
}

void Engine::execute(Order& o, uint32_t fill, const Aggressor& a, uint64_t ts, Output& out) {
  const uint64_t m = ++match_;
  stats_.executions++;
  itch::OrderExecuted e;
  header(e, o.locate, ts);
  e.order_ref = o.ref;
  e.executed_shares = fill;
  e.match_number = m;
  out.itch.push_back(e);
  if (o.owner != kBackground) {
    out.ouch.push_back({o.owner, ouch42::Executed{ts, o.token, fill, o.price, 'A', m}, {}});
  }
  if (a.session != kBackground) {
    out.ouch.push_back({a.session, ouch42::Executed{ts, a.token, fill, o.price, 'R', m}, {}});
  }
  reduce(o.ref, fill);  // `o` may be gone after this
}

uint32_t Engine::take_level(uint16_t loc, char resting_side, uint32_t price, uint32_t shares,
                            const Aggressor& a, uint64_t ts, Output& out) {
  uint32_t taken = 0;
  while (taken < shares) {
    SymbolBook& b = book(loc);
    uint64_t head = 0;
    if (resting_side == 'B') {
      auto it = b.bids.find(price);
      if (it != b.bids.end()) head = it->second.head;
    } else {
      auto it = b.asks.find(price);
      if (it != b.asks.end()) head = it->second.head;
    }
    if (head == 0) break;
    Order& o = orders_[head];
    const uint32_t fill = std::min(o.shares, shares - taken);
    execute(o, fill, a, ts, out);
    taken += fill;
  }
  return taken;
}

uint32_t Engine::match(uint16_t loc, char side, uint32_t limit, uint32_t shares,
                       const Aggressor& a, uint64_t ts, Output& out) {
  while (shares > 0 && crosses(loc, side, limit)) {
    const SymbolBook& b = book(loc);
    const uint32_t best = side == 'B' ? b.asks.begin()->first : b.bids.begin()->first;
    const uint32_t took = take_level(loc, side == 'B' ? 'S' : 'B', best, shares, a, ts, out);
    if (took == 0) break;  // cannot happen: a level in the map holds an order
    shares -= took;
  }
  return shares;
}

void Engine::publish_add(const Order& o, uint64_t ts, char display, const Alpha<4>& firm,
                         Output& out) {
  if (display == 'A') {
    itch::AddOrderMpid f;
    header(f, o.locate, ts);
    f.order_ref = o.ref;
    f.side = o.side;
    f.shares = o.shares;
    f.stock = Symbol::of(symbols_[o.locate - 1]);
    f.price = o.price;
    f.attribution = firm;
    out.itch.push_back(f);
    return;
  }
  itch::AddOrder a;
  header(a, o.locate, ts);
  a.order_ref = o.ref;
  a.side = o.side;
  a.shares = o.shares;
  a.stock = Symbol::of(symbols_[o.locate - 1]);
  a.price = o.price;
  out.itch.push_back(a);
}

book::Top Engine::top(uint16_t loc) const {
  book::Top t;
  const SymbolBook* b = book_at(loc);
  if (!b) return t;
  if (!b->bids.empty()) t.bid = b->bids.begin()->first, t.bid_size = b->bids.begin()->second.shares;
  if (!b->asks.empty()) t.ask = b->asks.begin()->first, t.ask_size = b->asks.begin()->second.shares;
  return t;
}

std::vector<book::Level> Engine::depth(uint16_t loc, char side, size_t max_levels) const {
  std::vector<book::Level> out;
  const SymbolBook* b = book_at(loc);
  if (!b) return out;
  auto walk = [&](const auto& levels) {
    for (const auto& [price, lv] : levels) {
      if (out.size() >= max_levels) break;
      out.push_back(book::Level{price, lv.shares, lv.orders});
    }
  };
  if (side == 'B') walk(b->bids); else walk(b->asks);
  return out;
}

uint32_t Engine::live_orders_of(SessionId s) const {
  auto it = live_per_session_.find(s);
  return it == live_per_session_.end() ? 0 : it->second;
}

uint32_t Engine::client_shares(SessionId s, std::string_view token) const {
  auto it = live_tokens_.find(std::pair{s, std::string(token)});
  if (it == live_tokens_.end()) return 0;
  auto o = orders_.find(it->second);
  return o == orders_.end() ? 0 : o->second.shares;
}

// ---- background flow -------------------------------------------------------------------------

void Engine::background(const uint8_t* p, size_t n, uint64_t ts, Output& out) {
  stats_.flow_messages++;
  const Aggressor bg;
  auto add = [&](uint64_t flow_ref, char side, uint32_t shares, const Symbol& stock,
                 uint32_t price, char display, const Alpha<4>& firm) {
    if (flow_refs_.contains(flow_ref)) return void(stats_.duplicate_flow_refs++);
    if ((side != 'B' && side != 'S') || shares == 0 || price == 0) return void(stats_.flow_bad++);
    const uint16_t loc = add_symbol(stock.view(), ts, out);
    if (loc == 0) return void(stats_.flow_bad++);
    const uint32_t left = match(loc, side, price, shares, bg, ts, out);
    if (left == 0) return;
    Order o{next_ref_++, loc, side, price, left, kBackground, {}, flow_ref};
    publish_add(rest(o), ts, display, firm, out);
    flow_refs_[flow_ref] = o.ref;
  };
  auto find = [&](uint64_t flow_ref) -> Order* {
    auto it = flow_refs_.find(flow_ref);
    if (it == flow_refs_.end()) return stats_.unknown_flow_refs++, nullptr;
    return &orders_[it->second];
  };
  // The recorded aggressor meets a client order priced better than R before R's level (price
  // priority), then that level's queue (time priority).
  auto trade = [&](uint64_t flow_ref, uint32_t shares) {
    Order* o = find(flow_ref);
    if (o) match(o->locate, o->side == 'B' ? 'S' : 'B', o->price, shares, bg, ts, out);
  };
  auto remove = [&](Order& o, uint32_t shares) {
    if (shares >= o.shares) {
      itch::OrderDelete d;
      header(d, o.locate, ts);
      d.order_ref = o.ref;
      out.itch.push_back(d);
    } else {
      itch::OrderCancel x;
      header(x, o.locate, ts);
      x.order_ref = o.ref;
      x.cancelled_shares = shares;
      out.itch.push_back(x);
    }
    reduce(o.ref, shares);
  };
  const auto st = itch::dispatch(p, n, Overloaded{
      [&](const itch::StockDirectory& m) { add_symbol(m.stock.view(), ts, out); },
      [&](const itch::AddOrder& m) {
        add(m.order_ref, m.side, m.shares, m.stock, m.price, 'Y', cfg_.background_mpid);
      },
      [&](const itch::AddOrderMpid& m) {
        add(m.order_ref, m.side, m.shares, m.stock, m.price, 'A', m.attribution);
      },
      [&](const itch::OrderExecuted& m) { trade(m.order_ref, m.executed_shares); },
      [&](const itch::OrderExecutedWithPrice& m) { trade(m.order_ref, m.executed_shares); },
      [&](const itch::OrderCancel& m) {
        if (Order* o = find(m.order_ref)) remove(*o, m.cancelled_shares);
      },
      [&](const itch::OrderDelete& m) {
        if (Order* o = find(m.order_ref)) remove(*o, UINT32_MAX);
      },
      [&](const itch::SystemEvent& m) {
        // The flow's own market hours are the venue's; its other events (O, S, E, C) are the venue's own.
        if (m.event_code == 'Q') return open_market(ts, out);
        if (m.event_code == 'M') return close_market(ts, out);
        stats_.flow_ignored++;
      },
      [&](const itch::OrderReplace& m) {
        Order* o = find(m.original_order_ref);
        if (!o) return;
        if (flow_refs_.contains(m.new_order_ref)) return void(stats_.duplicate_flow_refs++);
        if (m.shares == 0 || m.price == 0) return remove(*o, UINT32_MAX);
        const Order old = *o;
        if (crosses(old.locate, old.side, m.price)) {
          // Priority is lost anyway: delete, then enter as a new (aggressive) order.
          remove(*o, UINT32_MAX);
          const Symbol stock = Symbol::of(symbols_[old.locate - 1]);
          add(m.new_order_ref, old.side, m.shares, stock, m.price, 'Y', cfg_.background_mpid);
          return;
        }
        itch::OrderReplace u;
        header(u, old.locate, ts);
        u.original_order_ref = old.ref;
        u.new_order_ref = next_ref_++;
        u.shares = m.shares;
        u.price = m.price;
        out.itch.push_back(u);
        reduce(old.ref, UINT32_MAX);
        rest(Order{u.new_order_ref, old.locate, old.side, m.price, m.shares, kBackground, {},
                   m.new_order_ref});
        flow_refs_[m.new_order_ref] = u.new_order_ref;
      },
      [&](const auto&) { stats_.flow_ignored++; },
  });
  if (st != DecodeStatus::kOk) stats_.flow_bad++;
}

// ---- clients ---------------------------------------------------------------------------------

void Engine::reject(SessionId s, const ouch42::Token& t, char reason, std::string why,
                    uint64_t ts, Output& out) {
  stats_.rejects++;
  out.ouch.push_back({s, ouch42::Rejected{ts, t, reason}, std::move(why)});
}

char Engine::check_order(uint16_t loc, uint32_t shares, uint32_t price, std::string& why) const {
  if (ended_) return why = "the session has ended", reject::kClosed;
  if (halted_.contains(symbols_[loc - 1])) {
    return why = "symbol " + symbols_[loc - 1] + " is halted", reject::kHalted;
  }
  if (shares == 0 || shares > kMaxShares) {
    return why = "shares " + std::to_string(shares) + ": this venue takes 1..999999",
           reject::kInvalidShares;
  }
  if (price == 0 || price > kMaxPrice) {
    return why = "price " + price_text(price) + ": this venue takes 0.0001..199999.9900",
           reject::kInvalidPrice;
  }
  if (price >= kWholeCentsFrom && price % 100 != 0) {
    return why = "price " + price_text(price) +
                 ": at or above $1.00 this venue takes whole cents, $0.0001 steps only below "
                 "(Reg NMS Rule 612)",
           reject::kInvalidPrice;
  }
  return 0;
}

void Engine::enter(SessionId s, const ouch42::EnterOrder& m, uint64_t ts, Output& out) {
  sessions_.insert(s);
  stats_.client_orders++;
  const std::string tok = token_text(m.order_token);
  if (ended_) return reject(s, m.order_token, reject::kClosed, "the session has ended", ts, out);
  if (std::string bad = token_problem(m.order_token); !bad.empty()) {
    return reject(s, m.order_token, reject::kOther, "Enter Order: " + bad, ts, out);
  }
  if (!used_tokens_.insert({s, tok}).second) {
    return reject(s, m.order_token, reject::kOther,
                  "duplicate order token " + tok + " (already used in this session)", ts, out);
  }
  char side = 0;
  if (m.side == 'B') side = 'B';
  if (m.side == 'S' || m.side == 'T' || m.side == 'E') side = 'S';
  if (!side) {
    return reject(s, m.order_token, reject::kOther,
                  std::string("side '") + m.side + "': this venue takes B, S, T or E", ts, out);
  }
  const uint16_t loc = locate(m.stock.view());
  if (!loc) {
    return reject(s, m.order_token, reject::kInvalidStock,
                  "unknown symbol '" + std::string(m.stock.view()) + "'", ts, out);
  }
  std::string why;
  if (char r = check_order(loc, m.shares, m.price, why)) return reject(s, m.order_token, r, why, ts, out);
  if (m.display != 'Y' && m.display != 'A') {
    return reject(s, m.order_token, reject::kInvalidDisplay,
                  std::string("display '") + m.display + "': this venue takes Y or A", ts, out);
  }
  if (m.minimum_quantity != 0) {
    return reject(s, m.order_token, reject::kInvalidMinimumQuantity,
                  "minimum quantity " + std::to_string(m.minimum_quantity) +
                      ": not supported by this venue (send 0)",
                  ts, out);
  }
  // Checked before matching: an order that could rest is refused even if it would fill at once.
  if (m.time_in_force != ouch42::kTifImmediateOrCancel &&
      live_orders_of(s) >= cfg_.max_live_orders_per_session) {
    return reject(s, m.order_token, reject::kOther,
                  "the session has " + std::to_string(live_orders_of(s)) +
                      " orders resting, the most this venue keeps for one session: cancel some "
                      "first, or send immediate or cancel (Time in Force 0), which never rests",
                  ts, out);
  }
  const uint64_t ref = next_ref_++;
  ouch42::Accepted a;
  a.timestamp = ts;
  a.order_token = m.order_token;
  a.side = m.side;
  a.shares = m.shares;
  a.stock = m.stock;
  a.price = m.price;
  a.time_in_force = m.time_in_force;
  a.firm = m.firm;
  a.display = m.display;
  a.order_reference_number = ref;
  a.capacity = m.capacity;
  a.intermarket_sweep = m.intermarket_sweep;
  a.minimum_quantity = m.minimum_quantity;
  a.cross_type = m.cross_type;
  a.order_state = 'L';
  a.bbo_weight_indicator = ' ';
  const size_t accepted_at = out.ouch.size();
  out.ouch.push_back({s, a, {}});
  const uint32_t left = match(loc, side, m.price, m.shares, Aggressor{s, m.order_token}, ts, out);
  if (left == 0) return;
  if (m.time_in_force == ouch42::kTifImmediateOrCancel) {
    if (left == m.shares) std::get<ouch42::Accepted>(out.ouch[accepted_at].message).order_state = 'D';
    out.ouch.push_back({s, ouch42::Canceled{ts, m.order_token, left, 'I'},
                        "immediate or cancel: " + std::to_string(left) + " shares did not match"});
    return;
  }
  Order& o = rest(Order{ref, loc, side, m.price, left, s, m.order_token});
  publish_add(o, ts, m.display, m.firm, out);
  live_tokens_[{s, tok}] = ref;
}

void Engine::cancel(SessionId s, const ouch42::CancelOrder& m, uint64_t ts, Output& out) {
  sessions_.insert(s);
  const std::string tok = token_text(m.order_token);
  // ITCH sends nothing after End of Messages: the book is closed, and so is every order in it.
  if (ended_) {
    out.notes.push_back({s, "Cancel Order for " + tok + ": the session has ended; ignored"});
    return;
  }
  auto it = live_tokens_.find(std::pair{s, tok});
  if (it == live_tokens_.end()) {
    out.notes.push_back({s, "Cancel Order for " + tok + ": not a live order of this session; ignored"});
    return;
  }
  Order& o = orders_[it->second];
  if (m.shares >= o.shares) {
    out.notes.push_back({s, "Cancel Order for " + tok + ": intended size " + std::to_string(m.shares) +
                                " is not below the " + std::to_string(o.shares) + " left; no change"});
    return;
  }
  const uint32_t dec = o.shares - m.shares;
  if (m.shares == 0) {
    itch::OrderDelete d;
    header(d, o.locate, ts);
    d.order_ref = o.ref;
    out.itch.push_back(d);
  } else {
    itch::OrderCancel x;
    header(x, o.locate, ts);
    x.order_ref = o.ref;
    x.cancelled_shares = dec;
    out.itch.push_back(x);
  }
  out.ouch.push_back({s, ouch42::Canceled{ts, m.order_token, dec, 'U'}, "user requested"});
  reduce(o.ref, dec);
}

void Engine::replace(SessionId s, const ouch42::ReplaceOrder& m, uint64_t ts, Output& out) {
  sessions_.insert(s);
  const std::string old_tok = token_text(m.existing_order_token);
  const std::string new_tok = token_text(m.replacement_order_token);
  const ouch42::Token& nt = m.replacement_order_token;
  if (ended_) return reject(s, nt, reject::kClosed, "the session has ended", ts, out);
  if (std::string bad = token_problem(nt); !bad.empty()) {
    return reject(s, nt, reject::kOther, "Replace Order: replacement " + bad, ts, out);
  }
  auto it = live_tokens_.find(std::pair{s, old_tok});
  if (it == live_tokens_.end()) {
    return reject(s, nt, reject::kOther,
                  "Replace Order: existing token " + old_tok + " is not a live order of this session",
                  ts, out);
  }
  if (used_tokens_.contains(std::pair{s, new_tok})) {
    return reject(s, nt, reject::kOther,
                  "Replace Order: replacement token " + new_tok + " was already used in this session",
                  ts, out);
  }
  used_tokens_.insert({s, new_tok});
  const Order old = orders_[it->second];
  std::string why;
  if (char r = check_order(old.locate, m.shares, m.price, why)) return reject(s, nt, r, why, ts, out);
  if (m.display != 'Y' && m.display != 'A') {
    return reject(s, nt, reject::kInvalidDisplay,
                  std::string("display '") + m.display + "': this venue takes Y or A", ts, out);
  }
  const uint64_t ref = next_ref_++;
  ouch42::Replaced r;
  r.timestamp = ts;
  r.replacement_order_token = nt;
  r.side = old.side;
  r.shares = m.shares;
  r.stock = Symbol::of(symbols_[old.locate - 1]);
  r.price = m.price;
  r.time_in_force = m.time_in_force;
  r.firm = Alpha<4>::of("");
  r.display = m.display;
  r.order_reference_number = ref;
  r.capacity = ' ';
  r.intermarket_sweep = m.intermarket_sweep;
  r.minimum_quantity = m.minimum_quantity;
  r.cross_type = 'N';
  r.order_state = 'L';
  r.previous_order_token = m.existing_order_token;
  r.bbo_weight_indicator = ' ';
  const bool ioc = m.time_in_force == ouch42::kTifImmediateOrCancel;
  // An IOC replacement never rests: it takes what crosses below, and the rest is cancelled.
  if (!ioc && !crosses(old.locate, old.side, m.price)) {
    itch::OrderReplace u;
    header(u, old.locate, ts);
    u.original_order_ref = old.ref;
    u.new_order_ref = ref;
    u.shares = m.shares;
    u.price = m.price;
    out.itch.push_back(u);
    out.ouch.push_back({s, r, {}});
    reduce(old.ref, UINT32_MAX);
    rest(Order{ref, old.locate, old.side, m.price, m.shares, s, nt});
    live_tokens_[{s, new_tok}] = ref;
    return;
  }
  itch::OrderDelete d;
  header(d, old.locate, ts);
  d.order_ref = old.ref;
  out.itch.push_back(d);
  reduce(old.ref, UINT32_MAX);
  out.ouch.push_back({s, r, {}});
  const uint32_t left = match(old.locate, old.side, m.price, m.shares, Aggressor{s, nt}, ts, out);
  if (left == 0) return;
  if (ioc) {
    out.ouch.push_back({s, ouch42::Canceled{ts, nt, left, 'I'},
                        "immediate or cancel: " + std::to_string(left) + " shares did not match"});
    return;
  }
  Order& o = rest(Order{ref, old.locate, old.side, m.price, left, s, nt});
  publish_add(o, ts, m.display, Alpha<4>::of(""), out);
  live_tokens_[{s, new_tok}] = ref;
}

void Engine::modify(SessionId s, const ouch42::ModifyOrder& m, uint64_t ts, Output& out) {
  sessions_.insert(s);
  reject(s, m.order_token, reject::kOther,
         "Modify Order is not supported by this venue (the order is unchanged; use Cancel or Replace)",
         ts, out);
}

void Engine::client(SessionId s, const uint8_t* p, size_t n, uint64_t ts, Output& out) {
  const auto st = ouch42::dispatch_inbound(p, n, Overloaded{
      [&](const ouch42::EnterOrder& m) { enter(s, m, ts, out); },
      [&](const ouch42::CancelOrder& m) { cancel(s, m, ts, out); },
      [&](const ouch42::ReplaceOrder& m) { replace(s, m, ts, out); },
      [&](const ouch42::ModifyOrder& m) { modify(s, m, ts, out); },
  });
  if (st != DecodeStatus::kOk) {
    stats_.bad_client_messages++;
    out.notes.push_back({s, "undecodable OUCH message (" + std::string(status_name(st)) + ", " +
                                std::to_string(n) + " bytes); ignored"});
  }
}

}  // namespace colo::venue
