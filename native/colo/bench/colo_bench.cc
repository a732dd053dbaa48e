// npm run bench:colo — ITCH decode and decode + L3 book over a generated session, beside the
// speed of copying the same bytes (memcpy) and of walking their length prefixes, all measured
// in this run on one thread. Prints the best of --runs for each.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "colo/book.h"
#include "colo/itch.h"
#include "colo/itch_file.h"
#include "colo/itch_sim.h"
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
    else if (k == "--json") a.json = true;
    else {
      std::fprintf(stderr, "alpha: colo_bench: unknown flag %s (accepted: --messages N --symbols N --runs N --json)\n", k.c_str());
      std::exit(2);
    }
  }
  if (a.messages == 0 || a.symbols == 0 || a.runs <= 0) {
    std::fprintf(stderr, "alpha: colo_bench: --messages, --symbols and --runs must be positive\n");
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
    NullSink sink;
    itch_file::for_each_message(file.data(), file.size(),
                                [&](uint64_t, const uint8_t* p, size_t len) { b.apply_bytes(p, len, sink); });
    quotes = sink.quotes, trades = sink.trades;
    g_sink = sink.check;
  });

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
    std::printf("]}\n");
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
  std::printf("\n%-72s %10s %14s\n", "OUCH 4.2 order entry, 1M distinct orders", "ns/order", "orders/s");
  for (const OuchRow& r : ouch_rows)
    std::printf("%-72s %10.2f %14.0f\n", r.what, r.seconds * 1e9 / double(n_orders), double(n_orders) / r.seconds);
  return 0;
}
