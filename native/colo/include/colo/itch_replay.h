// Replays a length-prefixed ITCH 5.0 file (NASDAQ's historical layout: a 2-byte big-endian
// length before each message) through the order book, in steps, collecting the quotes (top-of-
// book changes) and trades of the symbols asked for as columns. Framing problems are counted
// with the offset of the first of each kind; the replay goes on after a bad message whenever
// its length prefix lets it.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "colo/book.h"

namespace colo::itch {

struct QuoteRows {
  std::vector<uint16_t> locate;
  std::vector<double> ts_ns;  // exchange ns since midnight
  std::vector<double> bid, ask, bid_size, ask_size;  // dollars, shares; NaN price for an empty side
  size_t size() const { return locate.size(); }
  void clear();
};

struct TradeRows {
  std::vector<uint16_t> locate;
  std::vector<double> ts_ns;
  std::vector<double> price, shares;
  std::vector<uint8_t> aggressor;  // 'B', 'S' or ' '
  size_t size() const { return locate.size(); }
  void clear();
};

enum class FrameError : uint8_t {
  kTruncatedRecord,  // a length prefix runs past the end of the file
  kEmptyRecord,      // a zero length
  kUnknownType,
  kTruncatedMessage,  // shorter than its type's spec length
  kOverlongMessage,   // longer than its type's spec length
  kCount
};
std::string_view frame_error_name(FrameError e);

struct FrameStats {
  uint64_t messages = 0;  // records decoded and applied
  std::array<uint64_t, size_t(FrameError::kCount)> errors{};
  std::array<int64_t, size_t(FrameError::kCount)> first_offset{};  // -1 when none
  FrameStats() { first_offset.fill(-1); }
};

class ItchReplay {
 public:
  ItchReplay(const uint8_t* data, size_t size);
  // Collect rows only for these symbols (all when empty).
  void select(std::unordered_set<std::string> symbols) { wanted_names_ = std::move(symbols); }
  // Applies messages until `max_rows` quote+trade rows were collected or the file ends.
  // Returns true when the file has ended. With max_rows == 0 rows are not collected at all.
  bool step(size_t max_rows, QuoteRows* quotes, TradeRows* trades);
  bool done() const { return offset_ >= size_; }
  size_t offset() const { return offset_; }
  const book::Book& book() const { return book_; }
  const FrameStats& frames() const { return frames_; }
  // Whether rows of `locate` are collected (decided from its symbol once it is known).
  bool selected(uint16_t locate);

 private:
  void frame_error(FrameError e, size_t at);
  const uint8_t* data_;
  size_t size_;
  size_t offset_ = 0;
  book::Book book_;
  FrameStats frames_;
  std::unordered_set<std::string> wanted_names_;
  std::vector<int8_t> wanted_;  // by locate: -1 undecided, 0 no, 1 yes
};

}  // namespace colo::itch
