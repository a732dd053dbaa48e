#include "colo/mapping_guard.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <mutex>

namespace colo::mapping_guard {
namespace {

constexpr size_t kPathBytes = 1024;

enum State : int { kFree, kBusy, kLive };

struct Slot {
  std::atomic<int> state{kFree};
  std::atomic<uintptr_t> begin{0};
  std::atomic<size_t> size{0};
  // Written while kBusy, read once kLive. A slot freed and taken again while the handler reads it
  // means a fault in a mapping being unmapped: a use after unmap, which this does not guard.
  char path[kPathBytes];
};
static_assert(std::atomic<int>::is_always_lock_free && std::atomic<uintptr_t>::is_always_lock_free);

Slot g_slots[kMaxMappings];
std::atomic<const char*> g_prefix{"alpha: "};
std::atomic<bool> g_reporting{false};
struct sigaction g_previous {};
std::once_flag g_installed;

// The line is built in a fixed buffer: no allocation, no stdio in the handler.
struct Line {
  char b[kPathBytes + 512];
  size_t n = 0;
  void add(const char* s) {
    while (*s && n < sizeof b) b[n++] = *s++;
  }
  void add(uint64_t v) {
    char d[20];
    size_t k = 0;
    do d[k++] = char('0' + v % 10), v /= 10;
    while (v);
    while (k && n < sizeof b) b[n++] = d[--k];
  }
};

// Copies the path so that the line stays one line: control bytes as \xNN; a path that does not
// fit ends in "...".
void copy_path(char (&out)[kPathBytes], std::string_view path) {
  static constexpr char kHex[] = "0123456789abcdef";
  size_t n = 0;
  for (size_t i = 0; i < path.size(); ++i) {
    const auto c = static_cast<unsigned char>(path[i]);
    const size_t need = c < 0x20 || c == 0x7f ? 4 : 1;
    if (n + need > kPathBytes - 4) {
      out[n++] = '.', out[n++] = '.', out[n++] = '.';
      break;
    }
    if (need == 4) {
      out[n++] = '\\', out[n++] = 'x', out[n++] = kHex[c >> 4], out[n++] = kHex[c & 15];
    } else {
      out[n++] = char(c);
    }
  }
  out[n] = '\0';
}

// The live slot whose mapping holds `a`, and the offset of `a` in it.
const Slot* find(uintptr_t a, uint64_t& at) {
  for (const Slot& s : g_slots) {
    if (s.state.load(std::memory_order_acquire) != kLive) continue;
    const uintptr_t b = s.begin.load(std::memory_order_relaxed);
    if (a >= b && a - b < s.size.load(std::memory_order_relaxed)) {
      at = a - b;
      return &s;
    }
  }
  return nullptr;
}

[[noreturn]] void report(const Slot& s, uint64_t at) {
  // Two threads faulting at once: one line, from the first.
  if (g_reporting.exchange(true)) {
    for (;;) ::pause();
  }
  const uint64_t opened = s.size.load(std::memory_order_relaxed);
  Line l;
  l.add(g_prefix.load(std::memory_order_relaxed));
  l.add(s.path);
  l.add(" changed while it was read (");
  struct stat st {};
  if (::stat(s.path, &st) == 0 && uint64_t(st.st_size) < opened) {
    l.add("it is now ");
    l.add(uint64_t(st.st_size));
    l.add(" bytes, ");
    l.add(opened);
    l.add(" when opened: SIGBUS at byte ");
    l.add(at);
  } else {
    // Gone, renamed, or its storage failed under the mapping.
    l.add("it is shorter than when it was opened, or its storage failed: SIGBUS at byte ");
    l.add(at);
    l.add(" of ");
    l.add(opened);
  }
  l.add("): leave ITCH files unchanged while a venue or a replay reads them");
  if (l.n == sizeof l.b) --l.n;
  l.b[l.n++] = '\n';
  for (size_t off = 0; off < l.n;) {
    const ssize_t w = ::write(STDERR_FILENO, l.b + off, l.n - off);
    if (w > 0) {
      off += size_t(w);
    } else if (w < 0 && errno == EINTR) {
      continue;
    } else {
      break;
    }
  }
  ::_exit(kExitCode);
}

void on_sigbus(int sig, siginfo_t* info, void*) {
  const int saved_errno = errno;
  // si_code > 0: the kernel's, for a fault at si_addr (kill and raise give SI_USER, SI_TKILL, ...).
  if (info != nullptr && info->si_code > 0) {
    uint64_t at = 0;
    if (const Slot* s = find(reinterpret_cast<uintptr_t>(info->si_addr), at)) report(*s, at);
  }
  // Not ours: put back the handler from before, with its own flags. A fault repeats when this
  // returns and reaches it; a sent signal is raised again (blocked until this returns).
  ::sigaction(sig, &g_previous, nullptr);
  if (info == nullptr || info->si_code <= 0) ::raise(sig);
  errno = saved_errno;
}

void install() {
  ::sigaction(SIGBUS, nullptr, &g_previous);
  struct sigaction sa {};
  sa.sa_sigaction = on_sigbus;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGBUS, &sa, nullptr);
}

}  // namespace

bool add(const void* p, size_t n, std::string_view path) noexcept {
  std::call_once(g_installed, install);
  for (Slot& s : g_slots) {
    int free = kFree;
    if (!s.state.compare_exchange_strong(free, kBusy, std::memory_order_acquire)) continue;
    copy_path(s.path, path);
    s.begin.store(reinterpret_cast<uintptr_t>(p), std::memory_order_relaxed);
    s.size.store(n, std::memory_order_relaxed);
    s.state.store(kLive, std::memory_order_release);
    return true;
  }
  return false;
}

void remove(const void* p) noexcept {
  for (Slot& s : g_slots) {
    if (s.state.load(std::memory_order_acquire) != kLive ||
        s.begin.load(std::memory_order_relaxed) != reinterpret_cast<uintptr_t>(p))
      continue;
    int live = kLive;
    if (!s.state.compare_exchange_strong(live, kBusy, std::memory_order_acquire)) continue;
    s.begin.store(0, std::memory_order_relaxed);
    s.size.store(0, std::memory_order_relaxed);
    s.state.store(kFree, std::memory_order_release);
    return;
  }
}

void set_prefix(const char* prefix) noexcept { g_prefix.store(prefix, std::memory_order_relaxed); }

const char* path_at(const void* addr) noexcept {
  uint64_t at = 0;
  const Slot* s = find(reinterpret_cast<uintptr_t>(addr), at);
  return s ? s->path : nullptr;
}

}  // namespace colo::mapping_guard
