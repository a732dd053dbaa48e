// npm run bench:colo — ITCH decode and decode + L3 book over a generated session, beside the
// speed of copying the same bytes (memcpy) and of walking their length prefixes, all measured
// in this run on one thread. Prints the best of --runs for each. Then OUCH encoding, and the
// in-process tick-to-trade (colo/fast_path.h): each triggering MoldUDP64 packet timed alone. The
// books' order index is sized for --live-orders ahead (as the feed handlers size theirs; 0: it grows
// as orders come): the book's messages timed one by one, and a whole market's orders added to an
// index alone, show the stalls of its growths.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "colo/book.h"
#include "colo/fast_path.h"
#include "colo/itch.h"
#include "colo/itch_file.h"
#include "colo/itch_sim.h"
#include "colo/order_index.h"
#include "colo/order_entry.h"
#include "colo/ouch42.h"
#include "colo/soupbintcp.h"

using namespace colo;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
  uint64_t messages = 20'000'000;
  uint16_t symbols = 500;
  int runs = 5;
  uint64_t triggers = 200'000;  // triggering packets timed for the tick-to-trade rows
  size_t live_orders = book::kMarketOrders;  // the books' order index is sized for these ahead
  bool json = false;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "alpha: colo_bench: %s needs a value\n", k.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (k == "--messages") a.messages = std::strtoull(value(), nullptr, 10);
    else if (k == "--symbols") a.symbols = uint16_t(std::strtoul(value(), nullptr, 10));
    else if (k == "--runs") a.runs = std::atoi(value());
    else if (k == "--triggers") a.triggers = std::strtoull(value(), nullptr, 10);
    else if (k == "--live-orders") a.live_orders = std::strtoull(value(), nullptr, 10);
    else if (k == "--json") a.json = true;
    else {
      std::fprintf(stderr, "alpha: colo_bench: unknown flag %s (accepted: --messages N --symbols N --runs N --triggers N --live-orders N --json)\n", k.c_str());
      std::exit(2);
    }
  }
  if (a.messages == 0 || a.symbols == 0 || a.runs <= 0 || a.triggers == 0) {
    std::fprintf(stderr, "alpha: colo_bench: --messages, --symbols, --runs and --triggers must be positive\n");
    std::exit(2);
  }
  return a;
}

double best_seconds(int runs, const std::function<void()>& f) {
  double best = 1e300;
  for (int r = 0; r < runs; ++r) {
    auto t0 = Clock::now();
    f();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return best;
}

template <class F>
uint64_t walk(const std::vector<uint8_t>& file, F&& per_message) {
  const uint8_t* p = file.data();
  const uint8_t* end = p + file.size();
  uint64_t n = 0;
  while (p + 2 <= end) {
    const size_t len = load_u16(p);
    p += 2;
    if (p + len > end) break;
    per_message(p, len);
    p += len;
    ++n;
  }
  return n;
}

struct NullSink {
  uint64_t quotes = 0, trades = 0, check = 0;
  void on_quote(const book::QuoteChange& q) { ++quotes, check += q.top.bid; }
  void on_trade(const book::TradePrint& t) { ++trades, check += t.shares; }
};

volatile uint64_t g_sink;

double us_since(Clock::time_point t0) { return std::chrono::duration<double, std::micro>(Clock::now() - t0).count(); }

// This process's resident memory (VmRSS), in MiB; 0 when /proc cannot tell.
double resident_mib() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  double kib = 0;
  while (std::fgets(line, sizeof line, f))
    if (std::strncmp(line, "VmRSS:", 6) == 0) kib = std::strtod(line + 6, nullptr);
  std::fclose(f);
  return kib / 1024;
}

// The slowest messages of one pass of the book over the session, each timed alone, and the growths
// of its order index among them (told apart by the table's size, not by their time: on a loaded
// machine a preempted message is as slow).
struct Stalls {
  double max_us = 0;
  uint64_t over_1ms = 0;
  unsigned growths = 0;
  double growth_max_us = 0;  // the slowest message that grew the table
  size_t slots = 0, peak_live = 0;
  double resident_mib = 0;  // what the book added to the process's resident memory, at the end
};

Stalls book_stalls(const std::vector<uint8_t>& file, size_t live_orders) {
  Stalls s;
  const double resident_before = resident_mib();
  book::Book b;
  b.reserve_orders(live_orders);
  NullSink sink;
  size_t slots = b.order_slots();
  itch_file::for_each_message(file.data(), file.size(), [&](uint64_t, const uint8_t* p, size_t len) {
    const auto t0 = Clock::now();
    b.apply_bytes(p, len, sink);
    const double us = us_since(t0);
    s.max_us = std::max(s.max_us, us);
    s.over_1ms += us > 1000;
    if (b.order_slots() != slots) {
      slots = b.order_slots();
      ++s.growths;
      s.growth_max_us = std::max(s.growth_max_us, us);
    }
    s.peak_live = std::max(s.peak_live, b.live_orders());
  });
  g_sink = sink.check;
  s.slots = slots;
  s.resident_mib = resident_mib() - resident_before;
  return s;
}

// A whole market's live orders added to an order index alone, each add timed: numbers with gaps
// between them (other symbols' orders, cancelled meanwhile), as in order_index_test.cc. Its growths:
// the live orders at each, and the add's time.
struct Growth {
  size_t to_slots, live;
  double us;
};
struct IndexAdds {
  std::vector<Growth> growths;
  double max_us = 0;
};
constexpr size_t kMarketAdds = 1'500'000;

IndexAdds index_adds(size_t live_orders) {
  IndexAdds r;
  book::OrderIndex idx;
  if (live_orders) idx.reserve(live_orders);
  std::mt19937_64 rng(7);
  uint64_t ref = 1;
  size_t slots = idx.slots();
  for (size_t i = 0; i < kMarketAdds; ++i) {
    ref += 1 + rng() % 3;
    const auto t0 = Clock::now();
    idx.insert(ref, book::Order{1'000'000, 100, 1, 'B'});
    const double us = us_since(t0);
    r.max_us = std::max(r.max_us, us);
    if (idx.slots() != slots) r.growths.push_back({slots = idx.slots(), idx.size(), us});
  }
  return r;
}

// Tick-to-trade: per symbol a book five levels deep on each side at a two-tick spread, then
// cycles of two one-message packets: an ask one tick inside (the spread narrows to one tick:
// the sample trigger buys at it, one Enter Order) and its delete (back to two ticks: no order).
// Each packet goes through TickToTrade::on_packet alone, timed with steady_clock; the
// distribution is over the triggering packets.
struct TickToTradeResult {
  std::vector<double> ns;  // per triggering packet, sorted
  uint64_t orders = 0, rejected = 0, out_bytes = 0;
  double quantile(double q) const { return ns.empty() ? 0 : ns[std::min(ns.size() - 1, size_t(q * double(ns.size())))]; }
};

TickToTradeResult tick_to_trade(uint64_t triggers, uint16_t symbols) {
  mold::PacketBuilder pb(mold::Session::of("BENCH00001"), 1);
  std::vector<std::vector<uint8_t>> packets;
  std::vector<uint8_t> triggering;
  uint8_t buf[64];
  auto put = [&](const auto& m) { pb.append(buf, write_wire(m, buf)); };
  auto take = [&](bool trig) {
    packets.push_back(pb.take());
    triggering.push_back(trig);
  };
  uint64_t ref = 1, ts = 34'200'000'000'000ULL;
  auto add = [&](uint16_t loc, char side, uint32_t price) {
    itch::AddOrder a;
    a.h = itch::Header{loc, 0, ts++};
    a.order_ref = ref++;
    a.side = side;
    a.shares = 100;
    a.stock = Symbol::of(itch::sim_symbol(loc));
    a.price = price;
    put(a);
  };
  auto mid = [](uint16_t loc) { return uint32_t(1'000'000 + 10'000 * (loc % 97)); };  // $100..$196
  for (uint16_t loc = 1; loc <= symbols; ++loc) {
    for (uint32_t l = 0; l < 5; ++l) {
      add(loc, 'B', mid(loc) - 100 - 100 * l);
      add(loc, 'S', mid(loc) + 100 + 100 * l);
      take(false);
    }
  }
  for (uint64_t i = 0; i < triggers; ++i) {
    const uint16_t loc = uint16_t(1 + i % symbols);
    const uint64_t inside = ref;
    add(loc, 'S', mid(loc));  // bid mid−1 tick, ask mid: one tick
    take(true);
    itch::OrderDelete d;
    d.h = itch::Header{loc, 0, ts++};
    d.order_ref = inside;
    put(d);
    take(false);
  }
  auto pass = [&](TickToTradeResult* r) {
    fast_path::OneTickSpreadTrigger trig(100);
    fast_path::Config c;
    c.limits.max_orders_per_second = fast_path::kMaxRate;  // the rate check runs; it never binds here
    fast_path::TickToTrade t(trig, c);
    if (r) r->ns.reserve(triggers);
    uint64_t out = 0;
    for (size_t i = 0; i < packets.size(); ++i) {
      const auto& pk = packets[i];
      const auto t0 = Clock::now();
      t.on_packet(pk.data(), pk.size(), uint64_t(t0.time_since_epoch().count()));
      const auto t1 = Clock::now();
      if (r && triggering[i]) r->ns.push_back(double(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count()));
      out += t.out().size();
      t.clear_out();  // the caller's send
    }
    if (r) {
      r->orders = t.stats().orders;
      r->rejected = t.stats().rejected_total();
      r->out_bytes = out;
    }
  };
  pass(nullptr);  // warm-up: caches, the allocator, the SHA-256 context
  TickToTradeResult r;
  pass(&r);
  std::sort(r.ns.begin(), r.ns.end());
  return r;
}

double clock_overhead_ns() {
  std::vector<double> v(100'000);
  for (auto& x : v) {
    const auto t0 = Clock::now();
    const auto t1 = Clock::now();
    x = double(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
  }
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  itch::SimOptions so;
  so.messages = a.messages;
  so.symbols = a.symbols;
  so.seed = 7;
  const std::vector<uint8_t> file = itch::simulate_session(so);
  const uint64_t total = walk(file, [](const uint8_t*, size_t) {});

  std::vector<uint8_t> copy(file.size());
  const double t_memcpy = best_seconds(a.runs, [&] {
    std::memcpy(copy.data(), file.data(), file.size());
    g_sink = copy[copy.size() / 2];
  });
  const double t_walk = best_seconds(a.runs, [&] {
    uint64_t acc = 0;
    walk(file, [&](const uint8_t* p, size_t) { acc += p[0]; });
    g_sink = acc;
  });
  const double t_decode = best_seconds(a.runs, [&] {
    uint64_t acc = 0;
    itch_file::scan_file(file.data(), file.size(), [&](const auto& m) { acc += m.h.timestamp; });
    g_sink = acc;
  });
  uint64_t quotes = 0, trades = 0;
  const double t_book = best_seconds(a.runs, [&] {
    book::Book b;
    b.reserve_orders(a.live_orders);
    NullSink sink;
    itch_file::for_each_message(file.data(), file.size(),
                                [&](uint64_t, const uint8_t* p, size_t len) { b.apply_bytes(p, len, sink); });
    quotes = sink.quotes, trades = sink.trades;
    g_sink = sink.check;
  });
  const Stalls stalls = book_stalls(file, a.live_orders);
  const IndexAdds adds = index_adds(a.live_orders);

  // OUCH: a day's worth of distinct orders (ids as the orders operator makes them), mapped and
  // framed one by one into a send buffer that is reset every 4096 orders (as a socket write would).
  const size_t n_orders = 1'000'000;
  std::vector<order_entry::Order> orders(n_orders);
  for (size_t i = 0; i < n_orders; ++i) {
    order_entry::Order& o = orders[i];
    o.order_id = "orders-" + std::to_string(1704205800000000ULL + i * 1000) + "-" + itch::sim_symbol(uint16_t(1 + i % 500));
    o.symbol = itch::sim_symbol(uint16_t(1 + i % 500));
    o.side = i % 2 ? order_entry::Side::kSell : order_entry::Side::kBuy;
    o.qty = double(100 * (1 + i % 50));
    o.order_type = i % 3 ? order_entry::OrderType::kLimit : order_entry::OrderType::kMarket;
    o.limit_price = 100.0 + double(i % 997) * 0.01;
    o.ref_price = 100.0 + double(i % 991) * 0.01;
  }
  std::vector<ouch42::Inbound> mapped(n_orders);
  for (size_t i = 0; i < n_orders; ++i) mapped[i] = order_entry::to_ouch(orders[i]).message;
  std::vector<uint8_t> wire;
  wire.reserve(4096 * 64);
  uint8_t payload[64];
  const double t_ouch_full = best_seconds(a.runs, [&] {
    uint64_t acc = 0;
    for (size_t i = 0; i < n_orders; ++i) {
      if ((i & 4095) == 0) acc += wire.size(), wire.clear();
      const order_entry::Mapped m = order_entry::to_ouch(orders[i]);
      const size_t n = ouch42::encode(m.message, payload);
      soup::append_packet(wire, 'U', payload, n);
    }
    g_sink = acc + wire.size();
  });
  const double t_ouch_frame = best_seconds(a.runs, [&] {
    uint64_t acc = 0;
    for (size_t i = 0; i < n_orders; ++i) {
      if ((i & 4095) == 0) acc += wire.size(), wire.clear();
      const size_t n = ouch42::encode(mapped[i], payload);
      soup::append_packet(wire, 'U', payload, n);
    }
    g_sink = acc + wire.size();
  });
  const size_t packet_bytes = 3 + ouch42::EnterOrder::kLength;
  std::vector<uint8_t> packet(packet_bytes, 1);
  const double t_ouch_copy = best_seconds(a.runs, [&] {
    uint64_t acc = 0;
    for (size_t i = 0; i < n_orders; ++i) {
      if ((i & 4095) == 0) acc += wire.size(), wire.clear();
      packet[0] = uint8_t(i);
      wire.insert(wire.end(), packet.begin(), packet.end());
    }
    g_sink = acc + wire.size();
  });

  const TickToTradeResult t2t = tick_to_trade(a.triggers, a.symbols);
  const double clock_ns = clock_overhead_ns();
  const char* t2t_what = "in-process tick-to-trade: packet bytes -> book -> check -> OUCH bytes";

  struct Row {
    const char* what;
    double seconds;
    double target;  // msg/s, 0 = reference
  };
  const Row rows[] = {
      {"memcpy of the file (reference)", t_memcpy, 0},
      {"walk of the length prefixes (reference)", t_walk, 0},
      {"ITCH decode (framing checks, every field)", t_decode, 30e6},
      {"ITCH decode + L3 book (top-of-book quotes, trades)", t_book, 7e6},
  };
  struct OuchRow {
    const char* what;
    double seconds;
  };
  const OuchRow ouch_rows[] = {
      {"append a 52-byte packet to the send buffer (reference)", t_ouch_copy},
      {"encode Enter Order + SoupBinTCP 'U' framing", t_ouch_frame},
      {"Order -> OUCH (checks, tick, collar, SHA-256 token) + encode + framing", t_ouch_full},
  };
  if (a.json) {
    std::printf("{\"messages\":%llu,\"bytes\":%zu,\"quotes\":%llu,\"trades\":%llu,\"rows\":[",
                (unsigned long long)total, file.size(), (unsigned long long)quotes,
                (unsigned long long)trades);
    for (size_t i = 0; i < std::size(rows); ++i)
      std::printf("%s{\"what\":\"%s\",\"seconds\":%.6f,\"msg_per_s\":%.0f,\"ns_per_msg\":%.2f,\"target\":%.0f}",
                  i ? "," : "", rows[i].what, rows[i].seconds, double(total) / rows[i].seconds,
                  rows[i].seconds * 1e9 / double(total), rows[i].target);
    std::printf("],\"ouch\":[");
    for (size_t i = 0; i < std::size(ouch_rows); ++i)
      std::printf("%s{\"what\":\"%s\",\"ns_per_order\":%.2f}", i ? "," : "", ouch_rows[i].what,
                  ouch_rows[i].seconds * 1e9 / double(n_orders));
    std::printf("],\"tick_to_trade\":{\"what\":\"%s\",\"triggering_packets\":%zu,\"orders\":%llu,"
                "\"rejected\":%llu,\"p50_ns\":%.0f,\"p99_ns\":%.0f,\"p999_ns\":%.0f,\"max_ns\":%.0f,"
                "\"clock_pair_ns\":%.0f,\"target_p50_ns\":2000},",
                t2t_what, t2t.ns.size(), (unsigned long long)t2t.orders, (unsigned long long)t2t.rejected,
                t2t.quantile(0.5), t2t.quantile(0.99), t2t.quantile(0.999), t2t.ns.empty() ? 0 : t2t.ns.back(), clock_ns);
    std::printf("\"order_index\":{\"live_orders\":%zu,\"book\":{\"slots\":%zu,\"peak_live\":%zu,\"max_us\":%.0f,"
                "\"over_1ms\":%llu,\"growths\":%u,\"growth_max_us\":%.0f,\"resident_mib\":%.1f},\"adds\":{\"orders\":%zu,\"max_us\":%.0f,"
                "\"growths\":[",
                a.live_orders, stalls.slots, stalls.peak_live, stalls.max_us, (unsigned long long)stalls.over_1ms,
                stalls.growths, stalls.growth_max_us, stalls.resident_mib, kMarketAdds, adds.max_us);
    for (size_t i = 0; i < adds.growths.size(); ++i)
      std::printf("%s{\"to_slots\":%zu,\"live\":%zu,\"us\":%.0f}", i ? "," : "", adds.growths[i].to_slots,
                  adds.growths[i].live, adds.growths[i].us);
    std::printf("]}}}\n");
    return 0;
  }
  std::printf("colo bench: %llu ITCH messages (%.0f MB, %u symbols), %llu quotes and %llu trades "
              "out of the book; best of %d runs, one thread\n\n",
              (unsigned long long)total, double(file.size()) / 1e6, unsigned(a.symbols),
              (unsigned long long)quotes, (unsigned long long)trades, a.runs);
  std::printf("%-52s %14s %10s %10s %12s\n", "", "msg/s", "ns/msg", "GB/s", "vs target");
  for (const Row& r : rows) {
    const double rate = double(total) / r.seconds;
    char vs[32] = "";
    if (r.target > 0) std::snprintf(vs, sizeof vs, "%.2fx of %.0fM", rate / r.target, r.target / 1e6);
    std::printf("%-52s %14.0f %10.2f %10.2f %12s\n", r.what, rate, r.seconds * 1e9 / double(total),
                double(file.size()) / r.seconds / 1e9, vs);
  }
  std::printf("\norder index, sized for %zu live orders ahead (--live-orders):\n", a.live_orders);
  std::printf("  the book's messages timed one by one: %zu slots at the end, %zu live orders at most; slowest "
              "%.0f us, %llu over 1 ms; %u growths, the slowest %.0f us; %.0f MiB resident\n",
              stalls.slots, stalls.peak_live, stalls.max_us, (unsigned long long)stalls.over_1ms, stalls.growths,
              stalls.growth_max_us, stalls.resident_mib);
  std::printf("  %zu orders added to an index alone, each timed: slowest %.0f us;", kMarketAdds, adds.max_us);
  if (adds.growths.empty()) std::printf(" no growth");
  for (const Growth& g : adds.growths) std::printf(" to %zu slots at %zu live: %.0f us;", g.to_slots, g.live, g.us);
  std::printf("\n");
  std::printf("\n%-72s %10s %14s\n", "OUCH 4.2 order entry, 1M distinct orders", "ns/order", "orders/s");
  for (const OuchRow& r : ouch_rows)
    std::printf("%-72s %10.2f %14.0f\n", r.what, r.seconds * 1e9 / double(n_orders), double(n_orders) / r.seconds);
  std::printf("\n%-72s %8s %8s %8s %8s %12s\n", "", "p50 ns", "p99 ns", "p99.9 ns", "max ns", "vs target");
  char vs[32];
  std::snprintf(vs, sizeof vs, "%.2fx of 2us", 2000.0 / std::max(1.0, t2t.quantile(0.5)));
  std::printf("%-72s %8.0f %8.0f %8.0f %8.0f %12s\n", t2t_what, t2t.quantile(0.5), t2t.quantile(0.99),
              t2t.quantile(0.999), t2t.ns.empty() ? 0 : t2t.ns.back(), vs);
  std::printf("  (%zu triggering packets of one Add Order each, timed one by one; %llu Enter Orders, %llu "
              "rejected; the two steady_clock reads around each call cost %.0f ns, included)\n",
              t2t.ns.size(), (unsigned long long)t2t.orders, (unsigned long long)t2t.rejected, clock_ns);
  return 0;
}
