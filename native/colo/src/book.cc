#include "colo/book.h"

#include <algorithm>

namespace colo::book {

size_t Side::find(uint32_t price) const {
  // Best is last; most changes are near the touch, so search from the back.
  size_t i = levels_.size();
  if (is_bid_) {
    while (i > 0 && levels_[i - 1].price > price) --i;
  } else {
    while (i > 0 && levels_[i - 1].price < price) --i;
  }
  return i;  // levels_[i-1] is the level at `price` if its price equals it
}

void Side::add(uint32_t price, uint32_t shares) {
  size_t i = find(price);
  if (i > 0 && levels_[i - 1].price == price) {
    levels_[i - 1].shares += shares;
    levels_[i - 1].orders++;
    return;
  }
  levels_.insert(levels_.begin() + ptrdiff_t(i), Level{price, shares, 1});
}

void Side::reduce(uint32_t price, uint32_t shares, bool order_gone) {
  size_t i = find(price);
  if (i == 0 || levels_[i - 1].price != price) return;  // cannot happen for a known order
  Level& l = levels_[i - 1];
  l.shares -= std::min<uint64_t>(shares, l.shares);
  if (order_gone && l.orders > 0) l.orders--;
  if (l.orders == 0) levels_.erase(levels_.begin() + ptrdiff_t(i - 1));
}

std::vector<Level> Side::depth(size_t max_levels) const {
  std::vector<Level> out;
  for (size_t i = levels_.size(); i > 0 && out.size() < max_levels; --i) out.push_back(levels_[i - 1]);
  return out;
}

Top SymbolBook::top() const {
  Top t;
  if (const Level* b = bids.best()) t.bid = b->price, t.bid_size = b->shares;
  if (const Level* a = asks.best()) t.ask = a->price, t.ask_size = a->shares;
  return t;
}

std::string_view book_error_name(BookError e) {
  switch (e) {
    case BookError::kUnknownOrder: return "unknown order reference";
    case BookError::kDuplicateOrder: return "duplicate order reference";
    case BookError::kOverExecution: return "more shares executed or cancelled than the order has";
    case BookError::kBadSide: return "side not B or S";
    case BookError::kZeroShares: return "order of 0 shares";
    case BookError::kBrokenTrade: return "broken trade";
    case BookError::kCount: break;
  }
  return "?";
}

Book::Book() {
  // Locates are 16-bit: index directly, grown on demand.
  books_.reserve(1024);
}

SymbolBook& Book::book_for(uint16_t locate) {
  if (locate >= books_.size()) {
    books_.resize(size_t(locate) + 1);
    last_top_.resize(size_t(locate) + 1);
    instruments_.resize(size_t(locate) + 1);
  }
  return books_[locate];
}

Instrument& Book::instrument_for(uint16_t locate) {
  book_for(locate);
  return instruments_[locate];
}

bool Book::add(uint16_t locate, uint64_t ref, char side, uint32_t shares, uint32_t price) {
  if (side != 'B' && side != 'S') return error(BookError::kBadSide), false;
  if (shares == 0) return error(BookError::kZeroShares), false;
  if (!orders_.insert(ref, Order{price, shares, locate, side})) return error(BookError::kDuplicateOrder), false;
  SymbolBook& b = book_for(locate);
  (side == 'B' ? b.bids : b.asks).add(price, shares);
  return true;
}

void Book::remove(uint64_t ref, Order* live, uint32_t shares, bool all) {
  Order& o = *live;
  const uint32_t take = all ? o.shares : std::min(shares, o.shares);
  const bool gone = take == o.shares;
  SymbolBook& b = books_[o.locate];
  (o.side == 'B' ? b.bids : b.asks).reduce(o.price, take, gone);
  if (gone) {
    orders_.erase(ref, live);
  } else {
    o.shares -= take;
  }
}

const SymbolBook* Book::symbol_book(uint16_t locate) const {
  return locate < books_.size() ? &books_[locate] : nullptr;
}
const Instrument* Book::instrument(uint16_t locate) const {
  return locate < instruments_.size() ? &instruments_[locate] : nullptr;
}
std::vector<uint16_t> Book::locates() const {
  std::vector<uint16_t> out;
  for (size_t i = 0; i < instruments_.size(); ++i) {
    const Instrument& ins = instruments_[i];
    bool any = !ins.symbol.empty();
    for (uint64_t c : ins.messages) any = any || c > 0;
    if (any) out.push_back(uint16_t(i));
  }
  return out;
}
const Order* Book::order(uint64_t ref) const {
  return orders_.find(ref);
}

}  // namespace colo::book
