// Live orders by reference number, for the book (colo/book.h). An exchange hands out reference
// numbers in increasing order, and most orders live briefly, so the live ones crowd into a window of
// recent numbers: they are kept in a table indexed by the number's low bits, four to a cache line.
// An add then writes next to the add before it, and a cancel or execution of a recent order finds a
// line the add touched. (A hash map scatters neighbouring numbers over the whole table: between two
// datagrams of a paced feed its lines leave the caches, and each lookup paid a miss or two.) A number
// whose slot another live order holds, and one too large for the slot's tag, goes to a hash map.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>

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
  static constexpr unsigned kBits = 18;
  static constexpr size_t kSlots = size_t(1) << kBits;

  OrderIndex() = default;
  OrderIndex(const OrderIndex&) = delete;
  OrderIndex& operator=(const OrderIndex&) = delete;
  OrderIndex(OrderIndex&&) noexcept = default;
  OrderIndex& operator=(OrderIndex&&) noexcept = default;

  Order* find(uint64_t ref) {
    // An empty slot's tag is 0, as is that of a number too large to have one: only a real tag matches.
    if (const uint32_t tag = tag_of(ref); tag != 0 && table_) {
      Slot& s = table_.get()[ref & (kSlots - 1)];
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
    const uint32_t tag = tag_of(ref);
    if (tag != 0) {
      if (!table_) allocate();
      Slot& s = table_.get()[ref & (kSlots - 1)];
      if (s.tag == 0) {
        s.tag = tag;
        s.order = o;
        ++size_;
        return true;
      }
    }
    overflow_.emplace(ref, o);
    ++size_;
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
  // Maps the table now rather than at the first add, and makes room for `n` orders beside it.
  void reserve(size_t n) {
    if (!table_) allocate();
    overflow_.reserve(n / 16);
  }

 private:
  struct Slot {
    uint32_t tag;  // (ref >> kBits) + 1 of the order held; 0: empty
    Order order;
  };
  static_assert(sizeof(Slot) == 16, "four slots to a cache line");

  struct Unmap {
    void operator()(Slot* p) const { unmap_huge(p, kSlots * sizeof(Slot)); }
  };

  // The slot's tag for `ref`; 0 when `ref` is too large to have one (it lives in the hash map).
  static uint32_t tag_of(uint64_t ref) {
    const uint64_t high = ref >> kBits;
    return high < UINT32_MAX ? uint32_t(high + 1) : 0;
  }
  Slot* slot_of(uint64_t ref) { return table_ ? &table_.get()[ref & (kSlots - 1)] : nullptr; }
  void allocate() {
    void* p = map_huge(kSlots * sizeof(Slot));  // zero-filled: every slot empty
    if (!p) throw std::bad_alloc();
    table_.reset(static_cast<Slot*>(p));
  }

  std::unique_ptr<Slot, Unmap> table_;
  absl::flat_hash_map<uint64_t, Order> overflow_;
  size_t size_ = 0;
};

}  // namespace colo::book
