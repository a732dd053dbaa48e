#include "colo/itch_sim.h"

#include <cstdio>
#include <map>
#include <random>

#include "colo/itch.h"

namespace colo::itch {

std::string sim_symbol(uint16_t locate) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "S%04u", unsigned(locate));
  return buf;
}

namespace {

struct Live {
  uint64_t ref;
  char side;
  uint32_t shares;
  uint32_t price;
};

// Keeps each symbol's book near a steady depth, as a real one is over a day.
constexpr size_t kMaxLivePerSymbol = 400;

struct SymbolState {
  uint32_t mid;  // Price(4)
  std::vector<Live> live;
  std::map<uint32_t, uint32_t> bids, asks;  // price → live orders, to keep the book uncrossed

  void track(char side, uint32_t price, int delta) {
    auto& m = side == 'B' ? bids : asks;
    if ((m[price] += uint32_t(delta)) == 0) m.erase(price);
  }
  // `price` moved to the passive side of the other side's best, so the book never crosses (a
  // real venue would have matched the order instead).
  uint32_t passive(char side, uint32_t price) const {
    if (side == 'B') return asks.empty() ? price : std::min(price, asks.begin()->first - 100);
    return bids.empty() ? price : std::max(price, bids.rbegin()->first + 100);
  }
};

class Writer {
 public:
  explicit Writer(std::vector<uint8_t>& out) : out_(out) {}
  template <class M>
  void put(const M& m) {
    const size_t at = out_.size();
    out_.resize(at + 2 + M::kLength);
    store_u16(&out_[at], uint16_t(M::kLength));
    write_wire(m, &out_[at + 2]);
  }

 private:
  std::vector<uint8_t>& out_;
};

}  // namespace

std::vector<uint8_t> simulate_session(const SimOptions& o) {
  std::mt19937_64 rng(o.seed);
  std::vector<uint8_t> out;
  out.reserve(size_t(o.messages) * 34 + size_t(o.symbols) * 41 + 64);
  Writer w(out);
  uint64_t ts = o.start_ns - 1'000'000;
  uint16_t tracking = 0;
  auto header = [&](uint16_t locate) { return Header{locate, tracking++, ts}; };

  SystemEvent start;
  start.h = header(0);
  start.event_code = 'O';
  w.put(start);
  std::vector<SymbolState> syms(size_t(o.symbols) + 1);
  for (uint16_t loc = 1; loc <= o.symbols; ++loc) {
    const Header hd = header(loc);
    StockDirectory d = common_stock(hd.stock_locate, hd.tracking_number, hd.timestamp, sim_symbol(loc));
    w.put(d);
    syms[loc].mid = uint32_t(1'000 + rng() % 40'000) * 100;  // $10 .. $410 on the cent grid
  }
  SystemEvent open;
  open.h = header(0);
  open.event_code = 'Q';
  w.put(open);

  uint64_t next_ref = 1, match = 1;
  for (uint64_t i = 0; i < o.messages; ++i) {
    ts += 1 + rng() % 2000;
    const uint16_t loc = uint16_t(1 + rng() % o.symbols);
    SymbolState& s = syms[loc];
    if (rng() % 64 == 0) s.mid = uint32_t(std::max<int64_t>(1000, int64_t(s.mid) + (int64_t(rng() % 3) - 1) * 100));
    const uint32_t r = uint32_t(rng() % 100);
    auto pick = [&]() -> size_t { return size_t(rng() % s.live.size()); };
    auto drop = [&](size_t k) {
      s.track(s.live[k].side, s.live[k].price, -1);
      s.live[k] = s.live.back();
      s.live.pop_back();
    };
    if ((r < 40 || s.live.size() < 4) && s.live.size() < kMaxLivePerSymbol) {
      const char side = rng() % 2 ? 'B' : 'S';
      const uint32_t offset = uint32_t(1 + rng() % 10) * 100;
      const uint32_t price = s.passive(side, side == 'B' ? s.mid - std::min(offset, s.mid - 200) : s.mid + offset);
      const uint32_t shares = uint32_t(1 + rng() % 10) * 100;
      if (r % 9 == 0) {
        AddOrderMpid a;
        a.h = header(loc);
        a.order_ref = next_ref;
        a.side = side;
        a.shares = shares;
        a.stock = Symbol::of(sim_symbol(loc));
        a.price = price;
        a.attribution = Alpha<4>::of("SIMM");
        w.put(a);
      } else {
        AddOrder a;
        a.h = header(loc);
        a.order_ref = next_ref;
        a.side = side;
        a.shares = shares;
        a.stock = Symbol::of(sim_symbol(loc));
        a.price = price;
        w.put(a);
      }
      s.live.push_back({next_ref++, side, shares, price});
      s.track(side, price, 1);
    } else if (r < 75 || s.live.size() >= kMaxLivePerSymbol) {
      const size_t k = pick();
      OrderDelete d;
      d.h = header(loc);
      d.order_ref = s.live[k].ref;
      w.put(d);
      drop(k);
    } else if (r < 78) {
      const size_t k = pick();
      const uint32_t part = 1 + uint32_t(rng() % s.live[k].shares);
      OrderCancel x;
      x.h = header(loc);
      x.order_ref = s.live[k].ref;
      x.cancelled_shares = part;
      w.put(x);
      if ((s.live[k].shares -= part) == 0) drop(k);
    } else if (r < 88) {
      const size_t k = pick();
      // Half the executions take the whole order, as at a busy touch.
      const uint32_t part = rng() % 2 ? s.live[k].shares : 1 + uint32_t(rng() % s.live[k].shares);
      if (r < 86) {
        OrderExecuted e;
        e.h = header(loc);
        e.order_ref = s.live[k].ref;
        e.executed_shares = part;
        e.match_number = match++;
        w.put(e);
      } else {
        OrderExecutedWithPrice c;
        c.h = header(loc);
        c.order_ref = s.live[k].ref;
        c.executed_shares = part;
        c.match_number = match++;
        c.printable = 'Y';
        c.execution_price = s.live[k].price;
        w.put(c);
      }
      if ((s.live[k].shares -= part) == 0) drop(k);
    } else if (r < 97) {
      const size_t k = pick();
      Live& l = s.live[k];
      OrderReplace u;
      u.h = header(loc);
      u.original_order_ref = l.ref;
      u.new_order_ref = next_ref;
      u.shares = uint32_t(1 + rng() % 10) * 100;
      s.track(l.side, l.price, -1);
      u.price = s.passive(l.side, l.side == 'B' ? l.price + 100 : (l.price > 300 ? l.price - 100 : l.price));
      s.track(l.side, u.price, 1);
      w.put(u);
      l = {next_ref++, l.side, u.shares, u.price};
    } else {
      TradeNonCross p;
      p.h = header(loc);
      p.order_ref = 0;
      p.side = rng() % 2 ? 'B' : 'S';
      p.shares = uint32_t(1 + rng() % 5) * 100;
      p.stock = Symbol::of(sim_symbol(loc));
      p.price = s.mid;
      p.match_number = match++;
      w.put(p);
    }
  }
  SystemEvent close;
  close.h = header(0);
  close.event_code = 'M';
  w.put(close);
  return out;
}

}  // namespace colo::itch
