// The native fast path: MoldUDP64 packets → in-order delivery (colo::mold::MoldReceiver) → the
// order book (colo::book::Book) → a trigger (a small strategy interface) → pre-trade checks →
// the Order → OUCH 4.2 mapping (colo::order_entry) → Enter Order framed as a SoupBinTCP
// Unsequenced Data packet, appended to a buffer the caller sends. No JS, no allocation per
// packet beyond the book's own; time is the caller's (injected, like MoldReceiver's).
//
// When a trigger is asked. For every symbol whose top of book changed in a datagram, the trigger
// sees that symbol's final top in it — but only if the receiver holds no gap: while a message is
// missing (the messages after it are held back, so the book is stale) nothing is evaluated, and
// the tops are counted as suppressed. The datagram that fills the gap lets the book catch up and
// the trigger then sees the current tops, after the whole datagram.
// A datagram that comes in order with no gap open is delivered whole at once, so its symbols are
// known before it is applied: each symbol is shown to the trigger right after its last message in
// the datagram (its top is final there), and the orders raised are handed to `on_orders` before the
// rest of the datagram is applied (a datagram carries ~20 messages of many symbols; waiting for its
// end cost the order the time to apply all of them). Symbols are then shown in the order of their
// last messages, not of their first changes. A message whose order belongs to another symbol than
// the one it names (a malformed feed) changes that symbol again: it is shown again after the datagram.
//
// Order ids. An intent for symbol SYM raised by the message with MoldUDP64 sequence N (the
// last one in the datagram that changed SYM's top) becomes order id "SYM-N", and its OUCH Order
// Token is order_entry::order_token("SYM-N"): a replay of the same packets sends the same tokens.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "colo/book.h"
#include "colo/moldudp64.h"
#include "colo/order_entry.h"
#include "colo/wire.h"

namespace colo::fast_path {

// What a trigger is shown: one symbol's new top of book.
struct TopView {
  uint16_t locate;
  std::string_view symbol;  // from the Stock Directory / Add Order (may be empty if unknown)
  uint64_t timestamp;       // exchange ns since midnight of the last change
  uint64_t sequence;        // MoldUDP64 sequence of the message that made this top
  book::Top top;
};

// What a trigger may ask for: a limit order.
struct Intent {
  order_entry::Side side = order_entry::Side::kBuy;
  uint32_t shares = 0;
  uint32_t price = 0;  // Price(4)
  Symbol symbol;       // the symbol to trade (usually TopView::symbol)
  order_entry::TimeInForce time_in_force = order_entry::TimeInForce::kIoc;

  // A buy of `shares` at the ask of `v`'s top, IOC: what the sample triggers send.
  static Intent buy_at_ask(const TopView& v, uint32_t shares) {
    Intent in;
    in.side = order_entry::Side::kBuy;
    in.shares = shares;
    in.price = v.top.ask;
    in.symbol = Symbol::of(v.symbol);
    return in;
  }
};

class Trigger {
 public:
  virtual ~Trigger() = default;
  virtual std::optional<Intent> on_top(const TopView& v) = 0;
};

// The sample strategy: when a symbol's spread narrows to one tick (from wider, or from a
// one-sided / empty book), buy `shares` at the ask, immediate-or-cancel. The tick is $0.01 at
// or above $1, $0.0001 below (Price(4) 100 / 1). Deterministic: its only state is whether each
// symbol's spread was one tick at the last top it saw.
class OneTickSpreadTrigger final : public Trigger {
 public:
  explicit OneTickSpreadTrigger(uint32_t shares) : shares_(shares) {}
  std::optional<Intent> on_top(const TopView& v) override;

 private:
  uint32_t shares_;
  std::vector<uint8_t> was_one_tick_;  // by locate
};

struct Limits {
  uint32_t max_shares = 10'000;               // per order
  double max_notional = 1'000'000;            // dollars per order (shares × limit price)
  uint32_t max_orders_per_second = 100;       // any sliding 1 s window; at most kMaxRate
  uint32_t collar_bps = 500;                  // |limit − mid| ≤ mid × collar_bps / 10 000
};
constexpr uint32_t kMaxRate = 1'000'000;

enum class Reject : uint8_t {
  kKillSwitch,   // the kill switch is on
  kMaxShares,    // more shares than Limits::max_shares
  kMaxNotional,  // shares × price over Limits::max_notional
  kNoMid,        // the symbol has no two-sided top to collar against
  kPriceCollar,  // the limit is further than collar_bps from the mid
  kRateLimit,    // max_orders_per_second already sent in the last second
  kMapping,      // order_entry refused the order (shares outside 1..999999, a bad symbol, ...)
  kCount
};
constexpr size_t kRejectCount = size_t(Reject::kCount);
std::string_view reject_name(Reject r);

struct Config {
  Limits limits;
  size_t live_orders = book::kMarketOrders;  // the book is sized for this many ahead (0: grows as orders come)
  mold::ReceiverConfig receiver;
  order_entry::Config order_entry;
};

struct Stats {
  uint64_t datagrams = 0;
  uint64_t messages = 0;       // delivered in order to the book
  uint64_t itch_errors = 0;    // delivered messages that did not decode
  uint64_t evaluated = 0;      // tops shown to the trigger
  uint64_t suppressed = 0;     // changed tops not shown because a gap was open
  uint64_t intents = 0;
  uint64_t orders = 0;         // Enter Orders appended to out()
  std::array<uint64_t, kRejectCount> rejected{};
  uint64_t rejected_total() const {
    uint64_t t = 0;
    for (uint64_t v : rejected) t += v;
    return t;
  }
};

class TickToTrade {
 public:
  TickToTrade(Trigger& trigger, Config cfg = {});

  // Feeds one MoldUDP64 datagram (downstream or retransmitted). Enter Orders it causes are
  // appended to out(), each a SoupBinTCP 'U' packet. Returns how many were appended.
  size_t on_packet(const uint8_t* p, size_t n, uint64_t now_ns);
  // A MoldUDP64 request to send to the re-request port, when a gap is open (MoldReceiver::poll).
  std::optional<mold::Request> poll(uint64_t now_ns) { return rx_.poll(now_ns); }

  // Called while a datagram is being applied, when orders are waiting in out(): the caller may send
  // them (and clear_out()) at once. Without it they wait for the end of on_packet, as all others do.
  void on_orders(std::function<void()> f) { on_orders_ = std::move(f); }

  // Framed OUCH bytes waiting to be sent; the caller sends them and calls clear_out().
  const std::vector<uint8_t>& out() const { return out_; }
  void clear_out() { out_.clear(); }

  void set_kill_switch(bool on) { kill_ = on; }
  bool kill_switch() const { return kill_; }

  const Stats& stats() const { return stats_; }
  const book::Book& book() const { return book_; }
  const mold::MoldReceiver& receiver() const { return rx_; }

 private:
  struct Sink;
  void evaluate(uint16_t locate, uint64_t now_ns);
  // For a datagram delivered whole and in order: marks each symbol's last message in it and returns
  // the datagram's first sequence; 0 when the datagram is not one (then tops wait for its end).
  uint64_t plan_by_symbol(const mold::Packet& pk);
  void after_message(uint64_t first, uint64_t seq, const uint8_t* m, size_t len, uint64_t now_ns);
  bool check(const Intent& in, const book::Top& top, uint64_t now_ns);
  bool rate_ok(uint64_t now_ns) const;

  Trigger& trigger_;
  Config cfg_;
  uint64_t max_notional4_;  // Limits::max_notional in Price(4) × shares
  mold::MoldReceiver rx_;
  book::Book book_;
  std::vector<uint16_t> changed_;     // locates whose top changed in this datagram
  std::vector<uint64_t> changed_at_;  // by locate: sequence of the change, 0 = not in changed_
  std::vector<uint16_t> last_at_;     // by locate: 1 + index of its last message in this datagram
  std::vector<uint16_t> planned_;     // locates with last_at_ set, to clear after the datagram
  std::function<void()> on_orders_;
  std::vector<uint64_t> sent_ns_;     // ring of the last max_orders_per_second send times
  size_t sent_head_ = 0, sent_count_ = 0;
  bool kill_ = false;
  std::vector<uint8_t> out_;
  Stats stats_;
};

}  // namespace colo::fast_path
