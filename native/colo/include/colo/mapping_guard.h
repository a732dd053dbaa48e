// A file that another process truncates while it is memory-mapped (MappedFile) raises SIGBUS at the
// next read past its new end, and the process died without a word ("Bus error", exit 135). Each
// mapping is registered here (address range and path); a SIGBUS handler, installed once when the
// first mapping is added, then writes one line naming the file and exits with kExitCode:
//
//   alpha: day.itch changed while it was read (it is now 100 bytes, 64273 when opened: SIGBUS at
//   byte 4096): leave ITCH files unchanged while a venue or a replay reads them
//
// A SIGBUS that is not a fault inside a registered mapping is given back untouched: the handler
// that was installed before (Node's, a sanitizer's, or the default) is restored, and the fault
// repeats into it (a signal sent with kill is raised again).
//
// The registry is a fixed array of slots claimed and released with atomics, read by the handler
// without locks. With every slot taken, add() refuses, and MappedFile reads the file into memory
// instead of mapping it (no SIGBUS possible).
#pragma once

#include <cstddef>
#include <string_view>

namespace colo::mapping_guard {

inline constexpr int kExitCode = 1;
inline constexpr size_t kMaxMappings = 128;

// Registers [p, p + n) as the mapping of `path` (copied now; control bytes as \xNN, long paths
// cut). Installs the handler on the first call. false when every slot is taken.
bool add(const void* p, size_t n, std::string_view path) noexcept;
// Forgets the mapping that starts at `p` (before it is unmapped).
void remove(const void* p) noexcept;

// The text before the path in the line, "alpha: " unless set. `prefix` must outlive the process
// (a string literal): colo_venue says "alpha: --flow ".
void set_prefix(const char* prefix) noexcept;

// The path registered for the mapping holding `addr`, or nullptr (for tests).
const char* path_at(const void* addr) noexcept;

}  // namespace colo::mapping_guard
