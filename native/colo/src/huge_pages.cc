#include "colo/huge_pages.h"

namespace colo {

namespace {
size_t whole_pages(size_t bytes) { return (bytes + kHugePage - 1) / kHugePage * kHugePage; }
}  // namespace

void* map_huge(size_t bytes) {
  const size_t len = whole_pages(bytes);
  if (len < bytes) return nullptr;  // overflowed
  // Map a huge page more than needed, then give back what lies before the first 2 MiB boundary and
  // after the block, so the block starts on one.
  void* raw = ::mmap(nullptr, len + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  const uintptr_t start = uintptr_t(raw);
  const uintptr_t aligned = (start + kHugePage - 1) / kHugePage * kHugePage;
  if (aligned > start) ::munmap(raw, aligned - start);
  const uintptr_t end = start + len + kHugePage;
  if (end > aligned + len) ::munmap(reinterpret_cast<void*>(aligned + len), end - (aligned + len));
  ::madvise(reinterpret_cast<void*>(aligned), len, MADV_HUGEPAGE);
  return reinterpret_cast<void*>(aligned);
}

void unmap_huge(void* p, size_t bytes) { ::munmap(p, whole_pages(bytes)); }

}  // namespace colo
