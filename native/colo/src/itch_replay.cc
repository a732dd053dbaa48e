#include "colo/itch_replay.h"

#include <cmath>
#include <limits>

namespace colo::itch {

void QuoteRows::clear() {
  for (auto* v : {&ts_ns, &bid, &ask, &bid_size, &ask_size}) v->clear();
  locate.clear();
}
void TradeRows::clear() {
  for (auto* v : {&ts_ns, &price, &shares}) v->clear();
  locate.clear();
  aggressor.clear();
}

std::string_view frame_error_name(FrameError e) {
  switch (e) {
    case FrameError::kTruncatedRecord: return "record runs past the end of the file";
    case FrameError::kEmptyRecord: return "record of length 0";
    case FrameError::kUnknownType: return "unknown message type";
    case FrameError::kTruncatedMessage: return "message shorter than its type";
    case FrameError::kOverlongMessage: return "message longer than its type";
    case FrameError::kCount: break;
  }
  return "?";
}

ItchReplay::ItchReplay(const uint8_t* data, size_t size) : data_(data), size_(size) {}

void ItchReplay::frame_error(FrameError e, size_t at) {
  const size_t i = size_t(e);
  if (frames_.errors[i]++ == 0) frames_.first_offset[i] = int64_t(at);
}

bool ItchReplay::selected(uint16_t locate) {
  if (wanted_names_.empty()) return true;
  if (locate >= wanted_.size()) wanted_.resize(size_t(locate) + 1, -1);
  int8_t& w = wanted_[locate];
  if (w < 0) {
    const book::Instrument* ins = book_.instrument(locate);
    if (!ins || ins->symbol.empty()) return false;  // decided once the symbol is known
    w = wanted_names_.contains(ins->symbol) ? 1 : 0;
  }
  return w == 1;
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct RowSink {
  ItchReplay& replay;
  QuoteRows* quotes;
  TradeRows* trades;
  size_t rows = 0;
  void on_quote(const book::QuoteChange& q) {
    if (!quotes || !replay.selected(q.locate)) return;
    quotes->locate.push_back(q.locate);
    quotes->ts_ns.push_back(double(q.timestamp));
    quotes->bid.push_back(q.top.bid_size ? price4_to_double(q.top.bid) : kNaN);
    quotes->ask.push_back(q.top.ask_size ? price4_to_double(q.top.ask) : kNaN);
    quotes->bid_size.push_back(double(q.top.bid_size));
    quotes->ask_size.push_back(double(q.top.ask_size));
    ++rows;
  }
  void on_trade(const book::TradePrint& t) {
    if (!trades || !replay.selected(t.locate)) return;
    trades->locate.push_back(t.locate);
    trades->ts_ns.push_back(double(t.timestamp));
    trades->price.push_back(price4_to_double(t.price));
    trades->shares.push_back(double(t.shares));
    trades->aggressor.push_back(uint8_t(t.aggressor));
    ++rows;
  }
};

struct NoRows {
  void on_quote(const book::QuoteChange&) {}
  void on_trade(const book::TradePrint&) {}
};

}  // namespace

bool ItchReplay::step(size_t max_rows, QuoteRows* quotes, TradeRows* trades) {
  RowSink rows{*this, max_rows ? quotes : nullptr, max_rows ? trades : nullptr};
  NoRows none;
  while (offset_ < size_) {
    if (max_rows && rows.rows >= max_rows) return false;
    const size_t at = offset_;
    if (size_ - at < 2) {
      frame_error(FrameError::kTruncatedRecord, at);
      offset_ = size_;
      break;
    }
    const size_t len = load_u16(data_ + at);
    if (len == 0) {
      frame_error(FrameError::kEmptyRecord, at);
      offset_ = at + 2;
      continue;
    }
    if (size_ - at - 2 < len) {
      frame_error(FrameError::kTruncatedRecord, at);
      offset_ = size_;
      break;
    }
    offset_ = at + 2 + len;
    const DecodeStatus s = max_rows ? book_.apply_bytes(data_ + at + 2, len, rows)
                                    : book_.apply_bytes(data_ + at + 2, len, none);
    switch (s) {
      case DecodeStatus::kOk: frames_.messages++; break;
      case DecodeStatus::kUnknownType: frame_error(FrameError::kUnknownType, at); break;
      case DecodeStatus::kTruncated: frame_error(FrameError::kTruncatedMessage, at); break;
      case DecodeStatus::kOverlong: frame_error(FrameError::kOverlongMessage, at); break;
      case DecodeStatus::kEmpty: frame_error(FrameError::kEmptyRecord, at); break;
    }
  }
  return true;
}

}  // namespace colo::itch
