// Transparent huge pages (2 MiB) for the tables the hot path reads at random: the order book's
// order index (colo/order_index.h). Between two datagrams a paced feed handler sleeps, and on a VM
// the next datagram then finds 4 KiB pages out of the TLB: each lookup paid a nested page walk. A
// 4 MiB table held in two huge pages needs two TLB entries.
//
// A block is mapped anonymously, aligned to 2 MiB and advised MADV_HUGEPAGE (the kernel's `madvise`
// THP mode, the usual default; with THP off the advice is ignored and the pages are ordinary ones).
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>

namespace colo {

inline constexpr size_t kHugePage = size_t(2) << 20;

// Maps `bytes` (rounded up to whole huge pages) at a 2 MiB boundary; nullptr when mmap fails.
void* map_huge(size_t bytes);
void unmap_huge(void* p, size_t bytes);

}  // namespace colo
