// The file replay and the order book on arbitrary bytes: every framing or book inconsistency must
// be counted, never crash, and the book must stay self-consistent (no negative or orphan level).
#include <cstddef>
#include <cstdint>

#include "colo/itch_replay.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  colo::itch::ItchReplay replay(data, size);
  colo::itch::QuoteRows q;
  colo::itch::TradeRows t;
  while (!replay.step(64, &q, &t)) {
    q.clear();
    t.clear();
  }
  const auto& book = replay.book();
  for (uint16_t loc : book.locates()) {
    const colo::book::SymbolBook* b = book.symbol_book(loc);
    for (const auto& l : b->bids.depth(1000))
      if (l.orders == 0) __builtin_trap();
    for (const auto& l : b->asks.depth(1000))
      if (l.orders == 0) __builtin_trap();
  }
  return 0;
}
