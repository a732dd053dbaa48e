// An allocator that backs large blocks with transparent huge pages (2 MiB), for the tables the hot
// path reads at random: the order book's order map. Between two datagrams a paced feed handler
// sleeps, and on a VM the next datagram then finds the map's 4 KiB pages out of the TLB: each
// lookup paid a nested page walk. A 3 MiB map held in two huge pages needs two TLB entries.
//
// Blocks under kMinBytes come from operator new. Larger ones are mapped anonymously, aligned to
// 2 MiB and advised MADV_HUGEPAGE (the kernel's `madvise` THP mode, the usual default; with THP
// off the advice is ignored and the pages are ordinary ones).
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <new>

namespace colo {

inline constexpr size_t kHugePage = size_t(2) << 20;

// Maps `bytes` (rounded up to whole huge pages) at a 2 MiB boundary; nullptr when mmap fails.
void* map_huge(size_t bytes);
void unmap_huge(void* p, size_t bytes);

template <class T>
struct HugePageAllocator {
  using value_type = T;
  // Below this a block stays on the heap: rounding it up to a huge page would waste more than it saves.
  static constexpr size_t kMinBytes = size_t(1) << 20;

  HugePageAllocator() = default;
  template <class U>
  HugePageAllocator(const HugePageAllocator<U>&) noexcept {}  // NOLINT: rebinding, as allocators do

  T* allocate(size_t n) {
    if (n > SIZE_MAX / sizeof(T)) throw std::bad_alloc();
    const size_t bytes = n * sizeof(T);
    if (bytes < kMinBytes) return static_cast<T*>(::operator new(bytes, std::align_val_t(alignof(T))));
    void* p = map_huge(bytes);
    if (!p) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t n) noexcept {
    const size_t bytes = n * sizeof(T);
    if (bytes < kMinBytes) {
      ::operator delete(p, std::align_val_t(alignof(T)));
    } else {
      unmap_huge(p, bytes);
    }
  }
  template <class U>
  bool operator==(const HugePageAllocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace colo
