// Replays a length-prefixed ITCH 5.0 file (colo/itch_file.h) through the order book, in steps,
// collecting the quotes (top-of-book changes) and trades of the symbols asked for as columns.
// Framing problems are counted with their offsets; the replay goes on after a bad message
// whenever its length prefix lets it. Messages after End of Messages are counted by the book and
// not applied; the replay keeps the offset of the first.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "colo/book.h"
#include "colo/itch_file.h"

namespace colo::itch {

struct QuoteRows {
  std::vector<uint16_t> locate;
  std::vector<double> ts_ns;  // exchange ns since midnight
  std::vector<double> bid, ask, bid_size, ask_size;  // dollars, shares; NaN price for an empty side
  std::vector<double> message;  // ItchReplay: 1-based number of the message in the file (well-formed ones)
  size_t size() const { return locate.size(); }
  void clear();
};

struct TradeRows {
  std::vector<uint16_t> locate;
  std::vector<double> ts_ns;
  std::vector<double> price, shares;
  std::vector<uint8_t> aggressor;  // 'B', 'S' or ' '
  std::vector<double> message;     // ItchReplay: as QuoteRows::message
  size_t size() const { return locate.size(); }
  void clear();
};

class ItchReplay {
 public:
  ItchReplay(const uint8_t* data, size_t size);
  // Collect rows only for these symbols (all when empty).
  void select(std::unordered_set<std::string> symbols) { filter_.select(std::move(symbols)); }
  // Applies messages until `max_rows` quote+trade rows were collected or the file ends.
  // Returns true when the file has ended. With max_rows == 0 rows are not collected at all.
  bool step(size_t max_rows, QuoteRows* quotes, TradeRows* trades);
  bool done() const { return cursor_.done(); }
  size_t offset() const { return cursor_.off; }
  size_t size() const { return cursor_.n; }
  const book::Book& book() const { return book_; }
  const itch_file::ScanStats& frames() const { return frames_; }
  // Offset (of its length prefix) of the first message after End of Messages; valid where
  // book().stats().after_end > 0.
  uint64_t first_after_end() const { return first_after_end_; }
  // Whether rows of `locate` are collected (decided from its symbol once it is known).
  bool selected(uint16_t locate) { return filter_.selected(book_, locate); }

 private:
  template <class Sink>
  void apply(uint64_t offset, const uint8_t* m, size_t len, Sink& sink) {
    if (book_.ended() && book_.stats().after_end == 0) first_after_end_ = offset;
    book_.apply_bytes(m, len, sink);
  }

  itch_file::Cursor cursor_;
  book::Book book_;
  itch_file::ScanStats frames_;
  book::SymbolFilter filter_;
  uint64_t first_after_end_ = 0;
};

}  // namespace colo::itch
