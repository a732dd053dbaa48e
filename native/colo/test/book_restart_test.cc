// A feed handler restarted mid-session rebuilds its book by re-requesting from sequence 1 (the
// choice documented in README.md: no snapshot service), and ends with the same book as one that
// never stopped.
#include <gtest/gtest.h>

#include "colo/book.h"
#include "colo/itch_file.h"
#include "colo/itch_sim.h"
#include "colo/moldudp64.h"

namespace colo {
namespace {

struct NoSink {
  void on_quote(const book::QuoteChange&) {}
  void on_trade(const book::TradePrint&) {}
};

void expect_same_books(const book::Book& a, const book::Book& b) {
  ASSERT_EQ(a.locates(), b.locates());
  EXPECT_EQ(a.live_orders(), b.live_orders());
  for (uint16_t loc : a.locates()) {
    const auto* x = a.symbol_book(loc);
    const auto* y = b.symbol_book(loc);
    EXPECT_EQ(x->top(), y->top()) << "locate " << loc;
    const auto dx = x->bids.depth(1000), dy = y->bids.depth(1000);
    ASSERT_EQ(dx.size(), dy.size());
    for (size_t i = 0; i < dx.size(); ++i) {
      EXPECT_EQ(dx[i].price, dy[i].price);
      EXPECT_EQ(dx[i].shares, dy[i].shares);
      EXPECT_EQ(dx[i].orders, dy[i].orders);
    }
    EXPECT_EQ(a.instrument(loc)->traded_shares, b.instrument(loc)->traded_shares);
  }
}

TEST(BookRestart, ReRequestingFromSequenceOneRebuildsTheBook) {
  itch::SimOptions so;
  so.messages = 20'000;
  so.symbols = 8;
  so.seed = 11;
  const std::vector<uint8_t> file = itch::simulate_session(so);

  const mold::Session session = mold::Session::of("RESTART001");
  mold::RetransmissionStore store(session);
  mold::PacketBuilder builder(session, 1);
  std::vector<std::vector<uint8_t>> packets;
  itch_file::for_each_message(file.data(), file.size(), [&](uint64_t, const uint8_t* m, size_t n) {
    store.append(m, n);
    if (!builder.append(m, n)) {
      packets.push_back(builder.take());
      ASSERT_TRUE(builder.append(m, n));
    }
  });
  packets.push_back(builder.take());
  ASSERT_GT(packets.size(), 100u);

  // The handler that never stopped.
  NoSink sink;
  book::Book continuous;
  mold::MoldReceiver rx_a;
  for (const auto& p : packets)
    rx_a.on_packet(p.data(), p.size(), 0, [&](uint64_t, mold::Bytes m) { continuous.apply_bytes(m.data(), m.size(), sink); });
  ASSERT_EQ(rx_a.stats().delivered, store.next() - 1);

  // The restarted one: it hears the multicast from the middle on, expects sequence 1, and fills
  // the gap from the retransmission store while new packets keep coming.
  book::Book restarted;
  mold::MoldReceiver rx_b;  // first_sequence = 1
  uint64_t now = 0;
  auto deliver = [&](uint64_t, mold::Bytes m) { restarted.apply_bytes(m.data(), m.size(), sink); };
  for (size_t i = packets.size() / 2; i < packets.size(); ++i) {
    rx_b.on_packet(packets[i].data(), packets[i].size(), now += 1000, deliver);
    while (auto req = rx_b.poll(now)) {
      uint8_t buf[mold::kRequestLength];
      mold::write_request(*req, buf);
      ASSERT_EQ(store.answer(buf, sizeof buf, [&](mold::Bytes pk) { rx_b.on_packet(pk.data(), pk.size(), now, deliver); }),
                mold::RequestStatus::kOk);
    }
  }
  EXPECT_FALSE(rx_b.has_gap());
  EXPECT_EQ(rx_b.stats().delivered, store.next() - 1);
  EXPECT_GT(rx_b.stats().requests, 0u);
  expect_same_books(continuous, restarted);
  for (auto e : restarted.stats().errors) EXPECT_EQ(e, 0u);
}

}  // namespace
}  // namespace colo
