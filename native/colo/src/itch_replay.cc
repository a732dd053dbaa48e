#include "colo/itch_replay.h"

#include <cmath>
#include <limits>

namespace colo::itch {

void QuoteRows::clear() {
  for (auto* v : {&ts_ns, &bid, &ask, &bid_size, &ask_size, &message}) v->clear();
  locate.clear();
}
void TradeRows::clear() {
  for (auto* v : {&ts_ns, &price, &shares, &message}) v->clear();
  locate.clear();
  aggressor.clear();
}

ItchReplay::ItchReplay(const uint8_t* data, size_t size) : cursor_{data, size} {}

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
    quotes->message.push_back(double(replay.frames().messages));
    ++rows;
  }
  void on_trade(const book::TradePrint& t) {
    if (!trades || !replay.selected(t.locate)) return;
    trades->locate.push_back(t.locate);
    trades->ts_ns.push_back(double(t.timestamp));
    trades->price.push_back(price4_to_double(t.price));
    trades->shares.push_back(double(t.shares));
    trades->aggressor.push_back(uint8_t(t.aggressor));
    trades->message.push_back(double(replay.frames().messages));
    ++rows;
  }
};

struct NoRows {
  void on_quote(const book::QuoteChange&) {}
  void on_trade(const book::TradePrint&) {}
};

}  // namespace

bool ItchReplay::step(size_t max_rows, QuoteRows* quotes, TradeRows* trades) {
  if (max_rows == 0) {
    NoRows none;
    while (cursor_.next(frames_, [&](uint64_t off, const uint8_t* m, size_t len) { apply(off, m, len, none); })) {
    }
    return true;
  }
  RowSink rows{*this, quotes, trades};
  while (rows.rows < max_rows) {
    if (!cursor_.next(frames_, [&](uint64_t off, const uint8_t* m, size_t len) { apply(off, m, len, rows); }))
      return true;
  }
  return cursor_.done();
}

}  // namespace colo::itch
