#include "colo/fast_path.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include "colo/ouch42.h"
#include "colo/soupbintcp.h"

namespace colo::fast_path {

std::string_view reject_name(Reject r) {
  switch (r) {
    case Reject::kKillSwitch: return "kill switch";
    case Reject::kMaxShares: return "max shares";
    case Reject::kMaxNotional: return "max notional";
    case Reject::kNoMid: return "no mid";
    case Reject::kPriceCollar: return "price collar";
    case Reject::kRateLimit: return "rate limit";
    case Reject::kMapping: return "mapping";
    case Reject::kCount: break;
  }
  return "?";
}

std::optional<Intent> OneTickSpreadTrigger::on_top(const TopView& v) {
  if (v.locate >= was_one_tick_.size()) was_one_tick_.resize(size_t(v.locate) + 1, 0);
  const book::Top& t = v.top;
  const bool two_sided = t.bid_size > 0 && t.ask_size > 0;
  const uint32_t tick = two_sided && t.bid >= 10'000 ? 100 : 1;
  const bool one_tick = two_sided && t.ask > t.bid && t.ask - t.bid == tick;
  const bool narrowed = one_tick && !was_one_tick_[v.locate];
  was_one_tick_[v.locate] = one_tick;
  if (!narrowed) return std::nullopt;
  return Intent::buy_at_ask(v, shares_);
}

struct TickToTrade::Sink {
  TickToTrade& t;
  uint64_t sequence = 0;
  void on_quote(const book::QuoteChange& q) {
    uint64_t& at = t.changed_at_[q.locate];
    if (at == 0) t.changed_.push_back(q.locate);
    at = sequence;  // sequences start at 1, so 0 means "not changed"
  }
  void on_trade(const book::TradePrint&) {}
};

TickToTrade::TickToTrade(Trigger& trigger, Config cfg)
    : trigger_(trigger), cfg_(cfg), rx_(cfg.receiver), changed_at_(65536, 0), last_at_(65536, 0) {
  if (cfg_.limits.max_orders_per_second > kMaxRate) cfg_.limits.max_orders_per_second = kMaxRate;
  const double n4 = cfg_.limits.max_notional * kPrice4Scale;
  max_notional4_ = n4 > 0 ? (n4 >= 1.8e19 ? UINT64_MAX : uint64_t(std::llround(n4))) : 0;
  sent_ns_.resize(cfg_.limits.max_orders_per_second);
  changed_.reserve(64);
  out_.reserve(64 << 10);
  book_.reserve_orders(cfg_.live_orders);
}

uint64_t TickToTrade::plan_by_symbol(const mold::Packet& pk) {
  if (rx_.has_gap() || !rx_.session_known()) return 0;
  if (!pk.ok() || pk.message_count() == 0 || pk.h.sequence != rx_.next_expected()) return 0;
  uint16_t i = 0;
  pk.for_each([&](uint64_t, mold::Bytes m) {
    ++i;
    if (m.size() < 3) return;
    const uint16_t loc = load_u16(m.data() + 1);
    if (last_at_[loc] == 0) planned_.push_back(loc);
    last_at_[loc] = i;
  });
  return pk.h.sequence;
}

void TickToTrade::after_message(uint64_t first, uint64_t seq, const uint8_t* m, size_t len, uint64_t now_ns) {
  if (len < 3) return;
  const uint16_t loc = load_u16(m + 1);
  if (last_at_[loc] != seq - first + 1 || changed_at_[loc] == 0) return;
  // The symbol's last message in the datagram: its top is final.
  evaluate(loc, now_ns);
  changed_at_[loc] = 0;
  if (on_orders_ && !out_.empty()) on_orders_();
}

size_t TickToTrade::on_packet(const uint8_t* p, size_t n, uint64_t now_ns) {
  ++stats_.datagrams;
  Sink sink{*this};
  const size_t before = stats_.orders;
  const mold::Packet pk = mold::parse_packet(p, n);
  const uint64_t first = plan_by_symbol(pk);
  rx_.on_packet(pk, now_ns, [&](uint64_t seq, mold::Bytes m) {
    ++stats_.messages;
    sink.sequence = seq;
    if (book_.apply_bytes(m.data(), m.size(), sink) != DecodeStatus::kOk) ++stats_.itch_errors;
    if (first != 0) after_message(first, seq, m.data(), m.size(), now_ns);
  });
  for (uint16_t loc : planned_) last_at_[loc] = 0;
  planned_.clear();
  if (changed_.empty()) return size_t(stats_.orders - before);
  const bool hole = rx_.has_gap();
  for (uint16_t loc : changed_) {
    if (changed_at_[loc] == 0) continue;  // shown after its last message
    if (hole) {
      ++stats_.suppressed;
    } else {
      evaluate(loc, now_ns);
    }
    changed_at_[loc] = 0;
  }
  changed_.clear();
  return size_t(stats_.orders - before);
}

void TickToTrade::evaluate(uint16_t locate, uint64_t now_ns) {
  const book::SymbolBook* sb = book_.symbol_book(locate);
  const book::Instrument* ins = book_.instrument(locate);
  if (!sb) return;
  TopView v{locate, ins ? std::string_view(ins->symbol) : std::string_view(), 0,
            changed_at_[locate], sb->top()};
  ++stats_.evaluated;
  std::optional<Intent> in = trigger_.on_top(v);
  if (!in) return;
  ++stats_.intents;
  if (!check(*in, v.top, now_ns)) return;

  // Order id "SYM-SEQ" (see the header), then the ordinary Order → OUCH mapping.
  char id[32];
  const std::string_view sym = in->symbol.view();
  std::memcpy(id, sym.data(), sym.size());
  id[sym.size()] = '-';
  auto r = std::to_chars(id + sym.size() + 1, id + sizeof id, v.sequence);
  order_entry::Order o;
  o.order_id.assign(id, r.ptr);
  o.symbol.assign(sym);
  o.side = in->side;
  o.qty = double(in->shares);
  o.order_type = order_entry::OrderType::kLimit;
  o.limit_price = price4_to_double(in->price);
  o.time_in_force = in->time_in_force;
  const order_entry::Mapped m = order_entry::to_ouch(o, cfg_.order_entry);
  if (!m.ok) {
    ++stats_.rejected[size_t(Reject::kMapping)];
    return;
  }
  uint8_t payload[ouch42::kMaxMessageLength];
  const size_t len = ouch42::encode(m.message, payload);
  soup::append_packet(out_, soup::kUnsequencedData, payload, len);
  // The order counts against the rate from now on.
  if (!sent_ns_.empty()) {
    sent_ns_[(sent_head_ + sent_count_) % sent_ns_.size()] = now_ns;
    if (sent_count_ < sent_ns_.size()) {
      ++sent_count_;
    } else {
      sent_head_ = (sent_head_ + 1) % sent_ns_.size();
    }
  }
  ++stats_.orders;
}

bool TickToTrade::rate_ok(uint64_t now_ns) const {
  if (sent_ns_.empty()) return false;  // max_orders_per_second 0: nothing may be sent
  if (sent_count_ < sent_ns_.size()) return true;
  // Full: the oldest of the last N sends must be at least a second old.
  return now_ns - sent_ns_[sent_head_] >= 1'000'000'000ULL;
}

bool TickToTrade::check(const Intent& in, const book::Top& top, uint64_t now_ns) {
  auto reject = [&](Reject r) {
    ++stats_.rejected[size_t(r)];
    return false;
  };
  const Limits& l = cfg_.limits;
  if (kill_) return reject(Reject::kKillSwitch);
  if (in.shares > l.max_shares) return reject(Reject::kMaxShares);
  if (uint64_t(in.shares) * in.price > max_notional4_) return reject(Reject::kMaxNotional);
  if (top.bid_size == 0 || top.ask_size == 0) return reject(Reject::kNoMid);
  // |price − mid| ≤ mid × bps / 10 000, in Price(4) × 2 so the mid stays whole.
  const uint64_t mid2 = uint64_t(top.bid) + top.ask;
  const uint64_t p2 = uint64_t(in.price) * 2;
  const uint64_t dist2 = p2 > mid2 ? p2 - mid2 : mid2 - p2;
  if (dist2 * 10'000 > mid2 * l.collar_bps) return reject(Reject::kPriceCollar);
  if (!rate_ok(now_ns)) return reject(Reject::kRateLimit);
  return true;
}

}  // namespace colo::fast_path
