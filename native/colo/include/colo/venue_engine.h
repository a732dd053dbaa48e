// The venue's matching engine: price-time priority per symbol, pure logic (no I/O, no clocks:
// every operation takes the exchange timestamp, ns since midnight).
//
// Resting orders belong to the background (the recorded ITCH flow the venue replays) or to a
// client session (session id + OUCH order token). Each price level is a FIFO queue. Every
// operation appends to an Output what the venue publishes: ITCH 5.0 messages for the market-data
// feed (with venue-assigned order reference numbers and stock locates) and OUCH 4.2 outbound
// messages for the owning sessions, plus notes for the audit trail (why something was refused or
// ignored).
//
// Background flow convention (one length-prefixed ITCH 5.0 record at a time, `background()`):
//   'R'      registers the symbol (the venue assigns its own locate, publishes its own 'R')
//   'A' 'F'  a background limit order: it matches whatever it crosses (client orders a real
//            book would have let it trade with), the rest rests at the back of its level's queue
//   'E' 'C'  a background trade of N shares on order R: a background aggressor takes N shares up
//            to R's price, best price first — a client order priced better than R, then R's level
//            through its FIFO queue in time priority, so a client order queued ahead of R fills
//            first; if those hold fewer than N, it takes what is there
//   'X' 'D'  cancel part / all of R (what remains of it)
//   'U'      replace R: it loses priority (and matches first if the new price crosses)
//   others   counted as ignored ('S' 'H' 'P' 'Q' ...); the venue publishes its own 'S' events
// A reference the engine no longer holds (a client took the order, a bad file) is counted in
// stats().unknown_flow_refs, never fatal.
//
// Client operations (OUCH 4.2 inbound):
//   Enter Order   a limit order; Time in Force 0 (IOC) matches what crosses and cancels the rest,
//                 any other value rests (timed orders do not expire here). A session with
//                 max_live_orders_per_session orders resting has any other than an IOC refused 'O'. Display 'Y' publishes
//                 ITCH 'A', 'A' (attributable) publishes 'F' with the firm.
//   Cancel Order  Shares = the new intended size (0 = cancel all); a size at or above what is left
//                 changes nothing (noted). An unknown token is ignored, as OUCH does (noted).
//   Replace Order a new token, new shares and price; the order loses time priority. Refused (a
//                 Rejected for the replacement token) when the existing token is not live or the
//                 replacement token was already used.
//   Modify Order  not supported: answered with Rejected 'O' for its token (the order itself is
//                 untouched) and the note "Modify Order is not supported by this venue".
// Rejected reasons are OUCH 4.2's: 'S' invalid stock, 'H' halted, 'X' invalid price (0, above
// $199,999.99, or a fraction of a cent at or above $1.00: Reg NMS Rule 612), 'Z' shares (0, or
// 1,000,000 or more), 'D' invalid display, 'N' minimum quantity (not supported), 'C' closed (after
// end of session), 'O' other (a token that is not 1..14 printable ASCII characters, space-padded;
// a duplicate token, a bad side, an unknown existing token). OUCH 4.2 has no code of its own for
// a duplicate or malformed token (NASDAQ ignores a duplicate); here it is refused with 'O' so a
// client sees it.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "colo/book.h"
#include "colo/itch.h"
#include "colo/ouch42.h"

namespace colo::venue {

using SessionId = uint32_t;
constexpr SessionId kBackground = 0;  // the owner of the replayed flow's orders

// OUCH 4.2 Rejected reason codes the engine uses.
namespace reject {
constexpr char kInvalidStock = 'S';
constexpr char kHalted = 'H';
constexpr char kInvalidPrice = 'X';
constexpr char kInvalidShares = 'Z';
constexpr char kInvalidDisplay = 'D';
constexpr char kInvalidMinimumQuantity = 'N';
constexpr char kClosed = 'C';
constexpr char kOther = 'O';
}  // namespace reject

constexpr uint32_t kMaxShares = 999'999;  // OUCH 4.2: shares must be below 1,000,000
constexpr uint32_t kMaxPrice = 1'999'999'900;  // $199,999.99 in Price(4)
// $1.00 in Price(4): from here up prices are whole cents (Reg NMS Rule 612); below, $0.0001 steps.
constexpr uint32_t kWholeCentsFrom = 10'000;
// A session's resting orders at most: past it an Enter Order that could rest is refused 'O' (an
// immediate-or-cancel one, which never rests, is still taken; a Replace Order swaps one for one).
constexpr uint32_t kMaxLiveOrdersPerSession = 100'000;

// One OUCH message for a session, with the human reason behind a Rejected or Canceled.
struct OuchOut {
  SessionId session;
  ouch42::Outbound message;
  std::string reason;
};
// An operation refused or ignored without a Rejected (for the audit).
struct Note {
  SessionId session;
  std::string text;
};

struct Output {
  std::vector<itch::Message> itch;
  std::vector<OuchOut> ouch;
  std::vector<Note> notes;
  void clear() { itch.clear(), ouch.clear(), notes.clear(); }
};

struct EngineStats {
  uint64_t flow_messages = 0;
  uint64_t flow_ignored = 0;       // types the engine does not play (S H P Q ...)
  uint64_t unknown_flow_refs = 0;  // E C X D U for a reference not (any longer) held
  uint64_t duplicate_flow_refs = 0;
  uint64_t flow_bad = 0;           // undecodable records, bad side, zero shares
  uint64_t client_orders = 0;
  uint64_t rejects = 0;
  uint64_t executions = 0;         // resting orders executed (one per match number)
  uint64_t bad_client_messages = 0;
};

class Engine {
 public:
  struct Config {
    std::vector<std::string> symbols;  // known from the start (more come from the flow's R/A/F)
    std::vector<std::string> halted;   // client orders refused with 'H'
    Alpha<4> background_mpid = Alpha<4>::of("BKGD");
    uint32_t max_live_orders_per_session = kMaxLiveOrdersPerSession;
  };
  explicit Engine(Config c);

  // Start of session: ITCH 'S' O, a Stock Directory 'R' per known symbol, 'S' S.
  void start(uint64_t ts, Output& out);
  // Start of Market Hours (ITCH 'S' Q), once; so is a System Event 'Q' of the background flow.
  // Client orders are taken before it too (a pre-market session).
  void open_market(uint64_t ts, Output& out);
  bool market_open() const { return market_open_; }
  // End of Market Hours (ITCH 'S' M), once, after the open; so is a System Event 'M' of the flow.
  void close_market(uint64_t ts, Output& out);
  // End of session: ITCH 'S' Q and M unless sent, E, C; OUCH System Event 'E' to every session
  // seen. Client orders entered afterwards are refused with 'C'.
  void end(uint64_t ts, Output& out);
  bool ended() const { return ended_; }
  // A session's first login: OUCH System Event 'S' (start of day) for it.
  void open_session(SessionId s, uint64_t ts, Output& out);

  // The locate of a symbol (registering it, and publishing its 'R' once started).
  uint16_t add_symbol(std::string_view symbol, uint64_t ts, Output& out);
  // 0 when unknown.
  uint16_t locate(std::string_view symbol) const;
  const std::vector<std::string>& symbols() const { return symbols_; }  // by locate - 1

  // One background record (the bytes of one ITCH message).
  void background(const uint8_t* p, size_t n, uint64_t ts, Output& out);

  // One OUCH inbound message from a session (a SoupBinTCP Unsequenced Data payload).
  void client(SessionId s, const uint8_t* p, size_t n, uint64_t ts, Output& out);
  void enter(SessionId s, const ouch42::EnterOrder& m, uint64_t ts, Output& out);
  void cancel(SessionId s, const ouch42::CancelOrder& m, uint64_t ts, Output& out);
  void replace(SessionId s, const ouch42::ReplaceOrder& m, uint64_t ts, Output& out);
  void modify(SessionId s, const ouch42::ModifyOrder& m, uint64_t ts, Output& out);

  // The venue's own book, comparable with colo::book::Book fed with the published ITCH.
  book::Top top(uint16_t locate) const;
  // Levels best first; side 'B' or 'S'.
  std::vector<book::Level> depth(uint16_t locate, char side, size_t max_levels = SIZE_MAX) const;
  size_t live_orders() const { return orders_.size(); }
  // Shares still live of a client's order (0 when not live).
  uint32_t client_shares(SessionId s, std::string_view token) const;
  // A session's orders resting on the book.
  uint32_t live_orders_of(SessionId s) const;
  const EngineStats& stats() const { return stats_; }
  uint64_t last_match_number() const { return match_; }

 private:
  struct Order {
    uint64_t ref;
    uint16_t locate;
    char side;  // 'B' or 'S'
    uint32_t price;
    uint32_t shares;  // remaining
    SessionId owner;
    ouch42::Token token;  // client orders
    uint64_t flow_ref = 0;  // background orders
    uint64_t prev = 0, next = 0;  // the level's FIFO queue (0 = none)
  };
  struct Level {
    uint64_t head = 0, tail = 0;
    uint64_t shares = 0;
    uint32_t orders = 0;
  };
  struct SymbolBook {
    std::map<uint32_t, Level, std::greater<>> bids;  // best first
    std::map<uint32_t, Level> asks;                  // best first
  };
  // Who is taking liquidity.
  struct Aggressor {
    SessionId session = kBackground;
    ouch42::Token token;
  };

  SymbolBook& book(uint16_t locate) { return books_[locate - 1]; }
  const SymbolBook* book_at(uint16_t locate) const;
  Level* level(Order& o);
  // Matches against the opposite side while it crosses `limit`; returns the shares left.
  uint32_t match(uint16_t locate, char side, uint32_t limit, uint32_t shares, const Aggressor& a,
                 uint64_t ts, Output& out);
  // Takes up to `shares` from the front of one level's queue.
  uint32_t take_level(uint16_t locate, char resting_side, uint32_t price, uint32_t shares,
                      const Aggressor& a, uint64_t ts, Output& out);
  // Executes `fill` shares of a resting order (ITCH E, OUCH Executed to both client sides).
  void execute(Order& o, uint32_t fill, const Aggressor& a, uint64_t ts, Output& out);
  // Appends a new order at the back of its level (no message).
  Order& rest(const Order& o);
  // Removes shares (all when shares >= remaining) from an order; erases it when none are left.
  void reduce(uint64_t ref, uint32_t shares);
  void publish_add(const Order& o, uint64_t ts, char display, const Alpha<4>& firm, Output& out);
  bool crosses(uint16_t locate, char side, uint32_t price) const;
  template <class M>
  void header(M& m, uint16_t locate, uint64_t ts) {
    m.h.stock_locate = locate;
    m.h.tracking_number = 0;
    m.h.timestamp = ts;
  }
  void system_event(char code, uint64_t ts, Output& out);
  void directory(uint16_t locate, uint64_t ts, Output& out);
  void reject(SessionId s, const ouch42::Token& t, char reason, std::string why, uint64_t ts,
              Output& out);
  // Why an order's fields are refused ('\0' = they are fine).
  char check_order(uint16_t locate, uint32_t shares, uint32_t price, std::string& why) const;

  Config cfg_;
  bool started_ = false, ended_ = false, market_open_ = false, market_closed_ = false;
  std::vector<std::string> symbols_;
  std::map<std::string, uint16_t, std::less<>> locates_;
  std::set<std::string, std::less<>> halted_;
  std::vector<SymbolBook> books_;  // by locate - 1
  absl::flat_hash_map<uint64_t, Order> orders_;          // venue ref -> order
  absl::flat_hash_map<uint64_t, uint64_t> flow_refs_;    // flow ref -> venue ref
  std::map<std::pair<SessionId, std::string>, uint64_t, std::less<>> live_tokens_;
  std::set<std::pair<SessionId, std::string>, std::less<>> used_tokens_;
  std::set<SessionId> sessions_;
  absl::flat_hash_map<SessionId, uint32_t> live_per_session_;  // resting orders by client session
  uint64_t next_ref_ = 1;
  uint64_t match_ = 0;
  EngineStats stats_;
};

}  // namespace colo::venue
