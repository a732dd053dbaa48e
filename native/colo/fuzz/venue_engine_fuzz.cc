// The venue's matching engine on arbitrary operations: each 8-byte chunk of the input is one
// background ITCH message (A / E / X / D / U on a small set of references) or one client OUCH
// operation (enter / cancel / replace / modify, a few sessions and tokens), or raw bytes for the
// flow and OUCH decoders. Nothing may crash; the engine's book must never be crossed, and a
// book::Book fed the engine's published ITCH must equal it with no book error.
#include <cstddef>
#include <cstdint>
#include <string>

#include "colo/book.h"
#include "colo/venue_engine.h"

namespace {

struct NoSink {
  void on_quote(const colo::book::QuoteChange&) {}
  void on_trade(const colo::book::TradePrint&) {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace colo;
  venue::Engine e{venue::Engine::Config{{"AAA", "BBB"}, {"HLT"}}};
  venue::Output out;
  book::Book b;
  NoSink sink;
  uint64_t ts = 1;
  e.start(ts, out);
  const char* syms[] = {"AAA", "BBB", "HLT", "ZZZ"};
  for (size_t off = 0; off + 8 <= size; off += 8) {
    const uint8_t* p = data + off;
    const uint32_t price = 100000 + 100 * (p[3] % 8);
    const uint32_t shares = uint32_t(p[4] % 200);
    const uint64_t ref = 1 + p[2] % 16;
    const std::string tok = "T" + std::to_string(p[5] % 12);
    const auto s = venue::SessionId(1 + p[6] % 2);
    ++ts;
    switch (p[0] % 10) {
      case 0: case 1: {
        itch::AddOrder a;
        a.order_ref = ref + 16 * (p[7] % 4);
        a.side = p[1] % 2 ? 'B' : 'S';
        a.shares = shares;
        a.stock = Symbol::of(syms[p[7] % 2]);
        a.price = price;
        uint8_t buf[64];
        e.background(buf, write_wire(a, buf), ts, out);
        break;
      }
      case 2: {
        uint8_t buf[64];
        size_t n;
        switch (p[1] % 4) {
          case 0: n = write_wire(itch::OrderExecuted{{}, ref, shares, 0}, buf); break;
          case 1: n = write_wire(itch::OrderCancel{{}, ref, shares}, buf); break;
          case 2: n = write_wire(itch::OrderDelete{{}, ref}, buf); break;
          default: n = write_wire(itch::OrderReplace{{}, ref, uint64_t(1 + p[7] % 64), shares, price}, buf);
        }
        e.background(buf, n, ts, out);
        break;
      }
      case 3: case 4: {
        ouch42::EnterOrder m;
        m.order_token = ouch42::Token::of(tok);
        m.side = "BSTEX"[p[1] % 5];
        m.shares = shares;
        m.stock = Symbol::of(syms[p[7] % 4]);
        m.price = p[7] & 0x80 ? 0 : price;
        m.time_in_force = p[2] % 3 == 0 ? 0 : ouch42::kTifMarketHours;
        m.display = p[2] % 7 == 0 ? 'N' : 'Y';
        e.enter(s, m, ts, out);
        break;
      }
      case 5: e.cancel(s, ouch42::CancelOrder{ouch42::Token::of(tok), shares}, ts, out); break;
      case 6: {
        ouch42::ReplaceOrder r;
        r.existing_order_token = ouch42::Token::of(tok);
        r.replacement_order_token = ouch42::Token::of("T" + std::to_string(p[7] % 12));
        r.shares = shares;
        r.price = price;
        r.time_in_force = p[2] % 3 == 0 ? 0 : ouch42::kTifMarketHours;
        r.display = 'Y';
        e.replace(s, r, ts, out);
        break;
      }
      case 7: e.modify(s, ouch42::ModifyOrder{ouch42::Token::of(tok), 'B', shares}, ts, out); break;
      case 8: e.background(p + 1, p[1] % 8, ts, out); break;
      default: e.client(s, p + 1, p[1] % 8, ts, out);
    }
    for (const auto& m : out.itch) b.apply(m, sink);
    out.clear();
  }
  for (uint16_t loc = 1; loc <= e.symbols().size(); ++loc) {
    const auto t = e.top(loc);
    if (t.bid && t.ask && t.bid >= t.ask) __builtin_trap();
    const book::SymbolBook* sb = b.symbol_book(loc);
    if (!sb) continue;
    if (!(sb->top() == t)) __builtin_trap();
    auto x = sb->bids.depth(SIZE_MAX);
    auto y = e.depth(loc, 'B');
    if (x.size() != y.size()) __builtin_trap();
    for (size_t i = 0; i < x.size(); ++i)
      if (x[i].shares != y[i].shares || x[i].orders != y[i].orders) __builtin_trap();
  }
  for (auto n : b.stats().errors)
    if (n) __builtin_trap();
  e.end(ts + 1, out);
  return 0;
}
