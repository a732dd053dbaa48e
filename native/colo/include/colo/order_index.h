// Live orders by reference number, for the book (colo/book.h). An exchange hands out reference
// numbers in increasing order, and most orders live briefly, so the live ones crowd into a window of
// recent numbers: they are kept in a table indexed by the number's low bits, four to a cache line.
// An add then writes next to the add before it, and a cancel or execution of a recent order finds a
// line the add touched. (A hash map scatters neighbouring numbers over the whole table: between two
// datagrams of a paced feed its lines leave the caches, and each lookup paid a miss or two.) A number
// whose slot another live order holds, and one too large for the slot's tag, goes to a hash map.
//
// The table starts at 2^18 slots (4 MiB) and grows fourfold, up to 2^22 (64 MiB), when the hash map
// holds more than an eighth of it: a whole market's feed keeps millions of orders live, and past the
// table each of them paid the hash map (12% of colo_bench's rate at 5,000 symbols). A growth places
// every live order again, once, inside the insert that triggers it: on this 2-core VM 2-7 ms from
// 2^18 to 2^20 slots (at about 0.3M live orders) and 10-140 ms from 2^20 to 2^22 (about 1.2M), the
// longer under load. reserve() ahead of the session takes that stall out of it, as colo's feed
// handlers do for a whole market (book::kMarketOrders). A moved-from index is empty, as a new one.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <utility>

#include "colo/huge_pages.h"

namespace colo::book {

struct Order {
  uint32_t price;
  uint32_t shares;
  uint16_t locate;
  char side;
};

class OrderIndex {
 public:
  // 2^18 slots of 16 bytes: 4 MiB, two huge pages, mapped at the first add (untouched pages cost nothing).
  static constexpr unsigned kMinBits = 18;
  static constexpr unsigned kMaxBits = 22;
  static constexpr size_t kSlots = size_t(1) << kMinBits;

  OrderIndex() = default;
  OrderIndex(const OrderIndex&) = delete;
  OrderIndex& operator=(const OrderIndex&) = delete;
  // A moved-from index is empty and usable, as a new one (a Book moves with its index).
  OrderIndex(OrderIndex&& o) noexcept { take(o); }
  OrderIndex& operator=(OrderIndex&& o) noexcept {
    if (this != &o) take(o);
    return *this;
  }

  Order* find(uint64_t ref) {
    // An empty slot's tag is 0, as is that of a number too large to have one: only a real tag matches.
    if (const uint32_t tag = tag_of(ref); tag != 0 && table_) {
      Slot& s = table_.get()[ref & mask()];
      if (s.tag == tag) return &s.order;
    }
    if (overflow_.empty()) return nullptr;
    auto it = overflow_.find(ref);
    return it == overflow_.end() ? nullptr : &it->second;
  }
  const Order* find(uint64_t ref) const { return const_cast<OrderIndex*>(this)->find(ref); }
  bool contains(uint64_t ref) const { return find(ref) != nullptr; }

  // Adds a live order; false (and nothing changed) when `ref` is live already.
  bool insert(uint64_t ref, const Order& o) {
    if (contains(ref)) return false;
    if (!table_) allocate(bits_);
    place(ref, o);
    ++size_;
    if (overflow_.size() > grow_at_) grow(bits_ + 2 < kMaxBits ? bits_ + 2 : kMaxBits);
    return true;
  }

  // Removes a live order (`o` is what find(ref) returned).
  void erase(uint64_t ref, Order* o) {
    Slot* s = slot_of(ref);
    if (s && &s->order == o) {
      s->tag = 0;
    } else {
      overflow_.erase(ref);
    }
    --size_;
  }

  size_t size() const { return size_; }
  // Slots in the table now, and the orders beside it in the hash map.
  size_t slots() const { return size_t(1) << bits_; }
  size_t overflow() const { return overflow_.size(); }
  // Maps the table now rather than at the first add, sized for `n` live orders (twice as many slots,
  // within the bounds), and makes room for some of them beside it.
  void reserve(size_t n) {
    unsigned bits = kMinBits;
    while (bits < kMaxBits && (size_t(1) << bits) < 2 * n) ++bits;
    if (!table_) allocate(bits);
    else if (bits > bits_) grow(bits);
    // As many as would make the table grow, at most: Abseil aborts on an allocation that fails.
    overflow_.reserve(std::min(n / 16, slots() >> 3));
  }

 private:
  struct Slot {
    uint32_t tag;  // (ref >> bits_) + 1 of the order held; 0: empty
    Order order;
  };
  static_assert(sizeof(Slot) == 16, "four slots to a cache line");

  struct Unmap {
    size_t bytes;  // of the mapping (a default-made deleter is value-initialised: 0)
    void operator()(Slot* p) const { unmap_huge(p, bytes); }
  };

  size_t mask() const { return mask_; }
  // The slot's tag for `ref`; 0 when `ref` is too large to have one (it lives in the hash map).
  uint32_t tag_of(uint64_t ref) const {
    const uint64_t high = ref >> bits_;
    return high < UINT32_MAX ? uint32_t(high + 1) : 0;
  }
  Slot* slot_of(uint64_t ref) { return table_ ? &table_.get()[ref & mask()] : nullptr; }

  // Into its slot when it has a tag and the slot is free, else into the hash map.
  void place(uint64_t ref, const Order& o) {
    if (const uint32_t tag = tag_of(ref); tag != 0) {
      Slot& s = table_.get()[ref & mask()];
      if (s.tag == 0) {
        s.tag = tag;
        s.order = o;
        return;
      }
    }
    overflow_.emplace(ref, o);
  }

  // A table of 2^bits empty slots (bad_alloc when it cannot be mapped).
  static std::unique_ptr<Slot, Unmap> map_table(unsigned bits) {
    const size_t bytes = (size_t(1) << bits) * sizeof(Slot);
    void* p = map_huge(bytes);  // zero-filled: every slot empty
    if (!p) throw std::bad_alloc();
    return std::unique_ptr<Slot, Unmap>(static_cast<Slot*>(p), Unmap{bytes});
  }
  [[gnu::cold, gnu::noinline]] void allocate(unsigned bits) { adopt(map_table(bits), bits); }
  void adopt(std::unique_ptr<Slot, Unmap> table, unsigned bits) {
    table_ = std::move(table);
    bits_ = bits;
    mask_ = (size_t(1) << bits) - 1;
    grow_at_ = bits < kMaxBits ? size_t(1) << (bits - 3) : SIZE_MAX;
  }

  // Takes `o`'s orders and table (this index's own are freed) and leaves `o` as a new index.
  void take(OrderIndex& o) noexcept {
    table_ = std::move(o.table_);
    bits_ = std::exchange(o.bits_, kMinBits);
    mask_ = std::exchange(o.mask_, kSlots - 1);
    grow_at_ = std::exchange(o.grow_at_, kSlots >> 3);
    overflow_ = std::move(o.overflow_);
    o.overflow_.clear();  // a moved-from flat_hash_map is only "valid but unspecified"
    size_ = std::exchange(o.size_, 0);
  }

  // A table of 2^bits slots, every live order placed again (a number's slot and tag change with it).
  [[gnu::cold, gnu::noinline]] void grow(unsigned bits) {
    std::unique_ptr<Slot, Unmap> fresh = map_table(bits);  // mapped first: a failure leaves the index whole
    std::unique_ptr<Slot, Unmap> old = std::move(table_);
    const unsigned old_bits = bits_;
    absl::flat_hash_map<uint64_t, Order> beside;
    beside.swap(overflow_);
    adopt(std::move(fresh), bits);
    if (old) {
      const Slot* t = old.get();
      for (size_t i = 0, n = size_t(1) << old_bits; i < n; ++i)
        if (t[i].tag != 0) place(((uint64_t(t[i].tag) - 1) << old_bits) | i, t[i].order);
    }
    for (const auto& [ref, o] : beside) place(ref, o);
  }

  std::unique_ptr<Slot, Unmap> table_;
  unsigned bits_ = kMinBits;
  size_t mask_ = kSlots - 1;
  // The hash map's size past which the table grows: an eighth of it, never at the largest.
  size_t grow_at_ = kSlots >> 3;
  absl::flat_hash_map<uint64_t, Order> overflow_;
  size_t size_ = 0;
};

}  // namespace colo::book
