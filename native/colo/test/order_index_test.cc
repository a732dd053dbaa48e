// OrderIndex (colo/order_index.h): live orders by reference number, in a table indexed by the
// number's low bits with a hash map beside it. Checked against a std::map over random adds and
// removals whose numbers are made to share slots, and at the edges: a number too large for a tag,
// a slot freed while its rival waits in the hash map, a duplicate add.
#include "colo/order_index.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <utility>
#include <vector>

namespace colo::book {
namespace {

constexpr uint64_t kSlots = OrderIndex::kSlots;

Order order(uint32_t shares) { return Order{100'0000, shares, 7, 'B'}; }

TEST(OrderIndex, NumbersThatShareASlotAreAllFoundAndEachRemovedAlone) {
  OrderIndex idx;
  const uint64_t a = 5, b = 5 + kSlots, c = 5 + 3 * kSlots;
  ASSERT_TRUE(idx.insert(a, order(1)));
  ASSERT_TRUE(idx.insert(b, order(2)));  // the slot is a's: b goes beside the table
  ASSERT_TRUE(idx.insert(c, order(3)));
  EXPECT_FALSE(idx.insert(b, order(9))) << "b is live already";
  EXPECT_EQ(idx.size(), 3u);
  EXPECT_EQ(idx.find(a)->shares, 1u);
  EXPECT_EQ(idx.find(b)->shares, 2u);
  EXPECT_EQ(idx.find(c)->shares, 3u);
  EXPECT_EQ(idx.find(5 + 2 * kSlots), nullptr);

  // a leaves its slot empty; b and c are still found in the map, and a new number takes the slot.
  idx.erase(a, idx.find(a));
  EXPECT_EQ(idx.find(a), nullptr);
  EXPECT_EQ(idx.find(b)->shares, 2u);
  EXPECT_FALSE(idx.insert(c, order(9)));
  const uint64_t d = 5 + 4 * kSlots;
  ASSERT_TRUE(idx.insert(d, order(4)));
  idx.erase(b, idx.find(b));
  EXPECT_EQ(idx.find(b), nullptr);
  EXPECT_EQ(idx.find(c)->shares, 3u);
  EXPECT_EQ(idx.find(d)->shares, 4u);
  EXPECT_EQ(idx.size(), 2u);
}

TEST(OrderIndex, NumbersTooLargeForATagAndZeroWork) {
  OrderIndex idx;
  const uint64_t huge = UINT64_MAX, also = UINT64_MAX - kSlots;  // same low bits, no tag
  ASSERT_TRUE(idx.insert(huge, order(1)));
  ASSERT_TRUE(idx.insert(also, order(2)));
  ASSERT_TRUE(idx.insert(0, order(3)));
  ASSERT_TRUE(idx.insert(UINT64_MAX & (kSlots - 1), order(4)));  // the slot the huge ones would take
  EXPECT_EQ(idx.find(huge)->shares, 1u);
  EXPECT_EQ(idx.find(also)->shares, 2u);
  EXPECT_EQ(idx.find(0)->shares, 3u);
  EXPECT_EQ(idx.find(UINT64_MAX & (kSlots - 1))->shares, 4u);
  idx.erase(huge, idx.find(huge));
  EXPECT_EQ(idx.find(huge), nullptr);
  EXPECT_EQ(idx.find(also)->shares, 2u);
  EXPECT_EQ(idx.size(), 3u);
}

TEST(OrderIndex, AgreesWithAMapOverRandomAddsAndRemovals) {
  for (uint32_t seed : {1u, 2u, 3u}) {
    std::mt19937_64 rng(seed);
    OrderIndex idx;
    std::map<uint64_t, uint32_t> ref;  // number → shares
    std::vector<uint64_t> live;
    uint64_t next = 1;
    for (int step = 0; step < 200'000; ++step) {
      const uint64_t k = rng() % 100;
      if (k < 45 || live.empty()) {
        // Mostly the next number; some far ahead in the same slot as a live one, some huge.
        uint64_t n = next++;
        if (k < 5 && !live.empty()) n = live[rng() % live.size()] + kSlots * (1 + rng() % 4);
        if (k == 5) n = UINT64_MAX - rng() % 8;
        const uint32_t shares = uint32_t(1 + rng() % 1000);
        const bool added = idx.insert(n, order(shares));
        ASSERT_EQ(added, !ref.contains(n)) << "seed " << seed << " step " << step << " number " << n;
        if (added) {
          ref[n] = shares;
          live.push_back(n);
        }
      } else if (k < 60) {
        const uint64_t n = k < 55 ? live[rng() % live.size()] : next + rng() % 1000;
        Order* o = idx.find(n);
        ASSERT_EQ(o != nullptr, ref.contains(n));
        if (o) {
          ASSERT_EQ(o->shares, ref[n]);
        }
      } else {
        // Remove one of the recent ones mostly, as a feed's cancels do; an old one otherwise.
        const size_t at = k < 90 && live.size() > 50 ? live.size() - 1 - rng() % 50 : rng() % live.size();
        const uint64_t n = live[at];
        live[at] = live.back();
        live.pop_back();
        Order* o = idx.find(n);
        ASSERT_NE(o, nullptr);
        idx.erase(n, o);
        ref.erase(n);
      }
      ASSERT_EQ(idx.size(), ref.size());
    }
    for (const auto& [n, shares] : ref) ASSERT_EQ(idx.find(n)->shares, shares);
  }
}

TEST(OrderIndex, GrowsForAWholeMarketsLiveOrdersAndFindsEveryOneAfter) {
  // Three times the first table's orders live at once, with gaps between their numbers (numbers
  // of other symbols' books cancelled meanwhile), some sharing slots, and one without a tag.
  OrderIndex idx;
  std::map<uint64_t, uint32_t> ref;
  std::mt19937_64 rng(7);
  uint64_t next = 1;
  const size_t live = 3 * kSlots;
  for (size_t i = 0; i < live; ++i) {
    next += 1 + rng() % 3;
    const uint32_t shares = uint32_t(1 + rng() % 1000);
    ASSERT_TRUE(idx.insert(next, order(shares)));
    ref[next] = shares;
  }
  ASSERT_TRUE(idx.insert(UINT64_MAX, order(5)));
  ref[UINT64_MAX] = 5;
  EXPECT_GT(idx.slots(), kSlots) << "the table grew";
  EXPECT_LE(idx.slots(), size_t(1) << OrderIndex::kMaxBits);
  EXPECT_LE(idx.overflow(), idx.slots() >> 3) << "most orders are back in the table";
  EXPECT_EQ(idx.size(), ref.size());
  for (const auto& [n, shares] : ref) ASSERT_EQ(idx.find(n)->shares, shares) << n;
  // Every number found is one that was added; removing them all leaves nothing.
  EXPECT_EQ(idx.find(next + 1), nullptr);
  for (const auto& [n, shares] : ref) idx.erase(n, idx.find(n));
  EXPECT_EQ(idx.size(), 0u);
  for (const auto& [n, shares] : ref) ASSERT_EQ(idx.find(n), nullptr);
}

TEST(OrderIndex, ReserveSizesTheTableAndStopsAtItsBound) {
  OrderIndex small;
  small.reserve(1000);
  EXPECT_EQ(small.slots(), kSlots);
  OrderIndex market;
  market.reserve(1'500'000);
  EXPECT_EQ(market.slots(), size_t(1) << 22);
  OrderIndex huge;
  huge.reserve(size_t(1) << 30);
  EXPECT_EQ(huge.slots(), size_t(1) << OrderIndex::kMaxBits);
  ASSERT_TRUE(market.insert(42, order(1)));
  EXPECT_EQ(market.find(42)->shares, 1u);
}

// Orders in the table and in the hash map (numbers kSlots apart share a slot), in an index grown
// past its first table: what a move must carry over, and leave behind in none of.
void fill(OrderIndex& idx, std::map<uint64_t, uint32_t>& ref) {
  for (uint64_t n = 1; n <= 5 * kSlots / 4; ++n) {
    ASSERT_TRUE(idx.insert(n, order(uint32_t(n % 1000 + 1))));
    ref[n] = uint32_t(n % 1000 + 1);
  }
  ASSERT_TRUE(idx.insert(UINT64_MAX, order(5)));
  ref[UINT64_MAX] = 5;
}

void expect_new(OrderIndex& idx, const std::map<uint64_t, uint32_t>& was) {
  EXPECT_EQ(idx.size(), 0u);
  EXPECT_EQ(idx.overflow(), 0u);
  EXPECT_EQ(idx.slots(), kSlots);
  for (const auto& [n, shares] : was) ASSERT_EQ(idx.find(n), nullptr) << n;
  // Usable: it adds, finds and removes as a new index does, numbers that shared a slot included.
  ASSERT_TRUE(idx.insert(3, order(30)));
  ASSERT_TRUE(idx.insert(3 + kSlots, order(31)));
  ASSERT_FALSE(idx.insert(3, order(32)));
  EXPECT_EQ(idx.size(), 2u);
  EXPECT_EQ(idx.find(3)->shares, 30u);
  EXPECT_EQ(idx.find(3 + kSlots)->shares, 31u);
  idx.erase(3, idx.find(3));
  EXPECT_EQ(idx.find(3), nullptr);
  EXPECT_EQ(idx.find(3 + kSlots)->shares, 31u);
  EXPECT_EQ(idx.size(), 1u);
}

void expect_holds(const OrderIndex& idx, const std::map<uint64_t, uint32_t>& ref) {
  EXPECT_EQ(idx.size(), ref.size());
  for (const auto& [n, shares] : ref) ASSERT_EQ(idx.find(n)->shares, shares) << n;
}

TEST(OrderIndex, AMovedFromIndexIsEmptyAndUsable) {
  OrderIndex from;
  std::map<uint64_t, uint32_t> ref;
  fill(from, ref);
  ASSERT_GT(from.slots(), kSlots);
  OrderIndex to(std::move(from));
  expect_holds(to, ref);
  expect_new(from, ref);  // the state after a move is the point
}

TEST(OrderIndex, MoveAssignmentReplacesTheOrdersAndEmptiesTheSource) {
  OrderIndex from;
  std::map<uint64_t, uint32_t> ref;
  fill(from, ref);
  OrderIndex to;
  ASSERT_TRUE(to.insert(7, order(70)));
  ASSERT_TRUE(to.insert(7 + 2 * kSlots, order(71)));
  to = std::move(from);
  expect_holds(to, ref);
  EXPECT_EQ(to.find(7 + 2 * kSlots), nullptr) << "the orders it held before are gone";
  expect_new(from, ref);
  // And a moved-from index takes orders moved back into it.
  from = std::move(to);
  expect_holds(from, ref);
  expect_new(to, ref);
}

}  // namespace
}  // namespace colo::book
