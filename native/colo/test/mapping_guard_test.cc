// The SIGBUS guard of memory-mapped files (colo/mapping_guard.h): a file truncated by someone else
// while it is mapped ends the process with one line naming it, where it died of a bare SIGBUS; any
// other SIGBUS still reaches the handler installed before, or kills as it did.
#include "colo/mapping_guard.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "colo/itch_file.h"

namespace colo::mapping_guard {
namespace {

using itch_file::MappedFile;
using itch_file::Writer;

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/colo_mapping_guard_XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

// An ITCH file of `n` Order Delete records, 21 bytes each (2 of length, 19 of message).
void write_deletes(const std::string& path, int n) {
  Writer w(path);
  for (int i = 0; i < n; ++i) {
    itch::OrderDelete d;
    d.order_ref = uint64_t(i);
    w.append(itch::Message{d});
  }
}

volatile uint8_t g_sink;
void touch(const uint8_t* p) { g_sink = *static_cast<const volatile uint8_t*>(p); }

std::string regex_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::strchr(".[]{}()\\*+?^$|", c)) out += '\\';
    out += c;
  }
  return out;
}

TEST(MappingGuard, RegistersEachMappingWithItsOwnCopyOfThePath) {
  TempDir dir;
  const std::string name = (dir.path / "a\nb.itch").string();
  write_deletes(name, 10);
  auto f = std::make_unique<MappedFile>(std::string(name));  // the string dies here
  ASSERT_NE(path_at(f->data()), nullptr);
  // A newline in the name would split the line in two: control bytes are written as \xNN.
  EXPECT_EQ(std::string(path_at(f->data())), (dir.path / "a\\x0ab.itch").string());
  EXPECT_NE(path_at(f->data() + f->size() - 1), nullptr);
  EXPECT_EQ(path_at(f->data() + f->size()), nullptr);
  const uint8_t* p = nullptr;
  {
    MappedFile moved(std::move(*f));
    f.reset();
    p = moved.data();
    EXPECT_NE(path_at(p), nullptr);
  }
  EXPECT_EQ(path_at(p), nullptr);
}

TEST(MappingGuard, ReadingPastTheEndOfATruncatedFileExitsWithOneLineNamingIt) {
  TempDir dir;
  const std::string path = (dir.path / "shrunk.itch").string();
  write_deletes(path, 1000);  // 21,000 bytes: six pages
  EXPECT_EXIT(
      {
        MappedFile f(path);
        ASSERT_EQ(::truncate(path.c_str(), 10), 0);
        touch(f.data() + 3 * 4096 + 7);  // the page holding byte 10 is still there; page 3 is not
      },
      testing::ExitedWithCode(kExitCode),
      "^alpha: " + regex_escape(path) +
          " changed while it was read \\(it is now 10 bytes, 21000 when opened: SIGBUS at byte "
          "12295\\): leave ITCH files unchanged while a venue or a replay reads them\n$");
}

TEST(MappingGuard, PastEverySlotAFileIsReadIntoMemoryAndATruncationIsNoSigbus) {
  TempDir dir;
  const std::string path = (dir.path / "many.itch").string();
  write_deletes(path, 1000);
  std::vector<std::unique_ptr<MappedFile>> open;
  for (size_t i = 0; i <= kMaxMappings; ++i) {
    open.push_back(std::make_unique<MappedFile>(path));
    if (open.back()->copied()) break;  // sooner if something else in this process holds slots
  }
  ASSERT_TRUE(open.back()->copied());
  ASSERT_FALSE(open.front()->copied());
  MappedFile& copy = *open.back();
  EXPECT_EQ(path_at(copy.data()), nullptr);  // not a mapping: nothing to guard
  EXPECT_EQ(copy.size(), 21000u);
  EXPECT_EQ(std::memcmp(copy.data(), open.front()->data(), copy.size()), 0);
  // Truncated now, the copy reads on; the mappings stay guarded.
  ASSERT_EQ(::truncate(path.c_str(), 10), 0);
  touch(copy.data() + copy.size() - 1);
  EXPECT_NE(path_at(open.front()->data()), nullptr);
  // A slot freed is used again: the next file is mapped.
  open.erase(open.begin());
  write_deletes(path, 1000);
  MappedFile mapped(path);
  EXPECT_FALSE(mapped.copied());
  EXPECT_NE(path_at(mapped.data()), nullptr);
}

// The tests below need a process where the guard is not installed yet: "threadsafe" death tests
// run the test again in a new process, and only the statement there.
class MappingGuardFresh : public testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
  void TearDown() override { GTEST_FLAG_SET(death_test_style, style_); }

 private:
  std::string style_ = GTEST_FLAG_GET(death_test_style);
};

void earlier_handler(int, siginfo_t* info, void*) {
  const char* what = info->si_code == BUS_ADRERR ? "earlier handler: BUS_ADRERR\n"
                     : info->si_code <= 0        ? "earlier handler: sent\n"
                                                 : "earlier handler: other\n";
  if (::write(STDERR_FILENO, what, std::strlen(what)) < 0) ::_exit(9);
  ::_exit(7);
}

void install_earlier_handler() {
  struct sigaction sa {};
  sa.sa_sigaction = earlier_handler;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  ASSERT_EQ(::sigaction(SIGBUS, &sa, nullptr), 0);
}

// Registers a mapping, which installs the guard in place of whatever handled SIGBUS before.
void install_guard() {
  static char anchor = 0;
  ASSERT_TRUE(add(&anchor, 1, "anchor"));
  struct sigaction now {};
  ASSERT_EQ(::sigaction(SIGBUS, nullptr, &now), 0);
  ASSERT_TRUE(now.sa_flags & SA_SIGINFO);
  ASSERT_NE(now.sa_sigaction, &earlier_handler) << "the guard is not installed";
}

// A mapping that faults and is not registered: a memfd's page after the memfd was cut to nothing.
void fault_outside_the_registry() {
  ASSERT_NO_FATAL_FAILURE(install_guard());
  const int fd = ::memfd_create("colo_mapping_guard", 0);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, 8192), 0);
  void* m = ::mmap(nullptr, 8192, PROT_READ, MAP_SHARED, fd, 0);
  ASSERT_NE(m, MAP_FAILED);
  ASSERT_EQ(::ftruncate(fd, 0), 0);
  touch(static_cast<const uint8_t*>(m) + 4096);
}

TEST_F(MappingGuardFresh, AFaultOutsideItsMappingsReachesTheHandlerInstalledBefore) {
  EXPECT_EXIT(
      {
        ASSERT_NO_FATAL_FAILURE(install_earlier_handler());
        ASSERT_NO_FATAL_FAILURE(fault_outside_the_registry());
      },
      testing::ExitedWithCode(7), "^earlier handler: BUS_ADRERR\n$");
}

TEST_F(MappingGuardFresh, ASentSigbusReachesTheHandlerInstalledBefore) {
  EXPECT_EXIT(
      {
        ASSERT_NO_FATAL_FAILURE(install_earlier_handler());
        ASSERT_NO_FATAL_FAILURE(install_guard());
        ::raise(SIGBUS);
      },
      testing::ExitedWithCode(7), "^earlier handler: sent\n$");
}

TEST_F(MappingGuardFresh, AFaultOutsideItsMappingsStillKillsWithSigbusByDefault) {
  EXPECT_EXIT(
      {
        ::signal(SIGBUS, SIG_DFL);  // a sanitizer's own handler, if any, out of the way
        ASSERT_NO_FATAL_FAILURE(fault_outside_the_registry());
      },
      testing::KilledBySignal(SIGBUS), "^$");
}

}  // namespace
}  // namespace colo::mapping_guard
