// Length-prefixed ITCH files: byte images written here by hand (2-byte big-endian length, then
// the ITCH 5.0 message), read back through the reader, scan_file and a memory-mapped file.
#include "colo/itch_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "test_bytes.h"

namespace colo::itch_file {
namespace {

using test::ascii;
using test::hex;

// System Event 'O' (12 bytes), Order Delete ref 1234 (19), Add Order (36).
const std::string kSystemEvent = ascii("S") + "0001 0002 000000000064" + ascii("O");
const std::string kOrderDelete = ascii("D") + "0001 0003 0000000000C8 00000000000004D2";
const std::string kAddOrder = ascii("A") + "0002 0004 00000000012C 0000000000000007" + ascii("B") +
                              "00000064" + ascii("AAPL    ") + "0016E360";
const std::string kFile = "000C " + kSystemEvent + "0013 " + kOrderDelete + "0024 " + kAddOrder;

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/colo_itch_file_XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

TEST(ItchFile, IteratesOffsetsAndMessages) {
  auto bytes = hex(kFile);
  std::vector<std::pair<uint64_t, std::vector<uint8_t>>> got;
  auto st = for_each_message(bytes.data(), bytes.size(), [&](uint64_t off, const uint8_t* m, size_t n) {
    got.emplace_back(off, std::vector<uint8_t>(m, m + n));
  });
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].first, 0u);
  EXPECT_EQ(got[0].second, hex(kSystemEvent));
  EXPECT_EQ(got[1].first, 14u);
  EXPECT_EQ(got[1].second, hex(kOrderDelete));
  EXPECT_EQ(got[2].first, 35u);
  EXPECT_EQ(got[2].second, hex(kAddOrder));
  EXPECT_EQ(st.messages, 3u);
  EXPECT_EQ(st.bytes, bytes.size());
  EXPECT_EQ(st.error_count(), 0u);
  EXPECT_EQ(st.count('S'), 1u);
  EXPECT_EQ(st.count('D'), 1u);
  EXPECT_EQ(st.count('A'), 1u);
  EXPECT_EQ(st.count('E'), 0u);
}

TEST(ItchFile, ScanDispatchesTypedMessages) {
  auto bytes = hex(kFile);
  uint64_t deleted = 0, added_shares = 0;
  char event = 0;
  auto st = scan_file(bytes.data(), bytes.size(), [&](const auto& m) {
    using M = std::decay_t<decltype(m)>;
    if constexpr (std::is_same_v<M, itch::OrderDelete>) deleted = m.order_ref;
    if constexpr (std::is_same_v<M, itch::AddOrder>) added_shares += m.shares;
    if constexpr (std::is_same_v<M, itch::SystemEvent>) event = m.event_code;
  });
  EXPECT_EQ(st.messages, 3u);
  EXPECT_EQ(deleted, 1234u);
  EXPECT_EQ(added_shares, 100u);
  EXPECT_EQ(event, 'O');
}

TEST(ItchFile, ErrorsAreCountedWithOffsets) {
  // 0: zero length; 2: unknown type 'Z' (3 bytes, skipped); 7: an 'S' claiming 13 bytes
  // (skipped by its prefix); 22: a good System Event; 36: a prefix of 0x0030 with 4 bytes left.
  auto bytes = hex("0000 " "0003" + ascii("Z") + "0000 " "000D " + kSystemEvent + "00 " +
                   "000C " + kSystemEvent + "0030 01020304");
  std::vector<uint64_t> offsets;
  auto st = for_each_message(bytes.data(), bytes.size(),
                             [&](uint64_t off, const uint8_t*, size_t) { offsets.push_back(off); });
  EXPECT_EQ(offsets, (std::vector<uint64_t>{22}));
  EXPECT_EQ(st.messages, 1u);
  EXPECT_EQ(st.error_count(), 4u);
  EXPECT_EQ(st.errors, (std::vector<FileError>{{ErrorKind::kZeroLength, 0},
                                               {ErrorKind::kUnknownType, 2},
                                               {ErrorKind::kBadLength, 7},
                                               {ErrorKind::kTruncated, 36}}));
  EXPECT_EQ(st.bytes, 36u);  // stopped at the truncated record

  auto half = hex("000C " + kSystemEvent + "00");  // a lone length byte at the end
  st = for_each_message(half.data(), half.size(), [](uint64_t, const uint8_t*, size_t) {});
  EXPECT_EQ(st.messages, 1u);
  EXPECT_EQ(st.errors, (std::vector<FileError>{{ErrorKind::kTruncated, 14}}));
}

TEST(ItchFile, KeptErrorsAreBounded) {
  std::vector<uint8_t> zeros(2000, 0);  // 1000 zero-length prefixes
  auto st = for_each_message(zeros.data(), zeros.size(), [](uint64_t, const uint8_t*, size_t) {});
  EXPECT_EQ(st.errors_by_kind[size_t(ErrorKind::kZeroLength)], 1000u);
  EXPECT_EQ(st.errors.size(), ScanStats::kMaxKeptErrors);
}

TEST(ItchFile, WriterAndMappedReaderRoundTrip) {
  TempDir dir;
  auto path = (dir.path / "day.itch").string();
  {
    Writer w(path);
    auto se = hex(kSystemEvent), od = hex(kOrderDelete);
    EXPECT_TRUE(w.append(se));
    EXPECT_TRUE(w.append(od));
    itch::Message add;
    auto ab = hex(kAddOrder);
    ASSERT_EQ(itch::decode(ab.data(), ab.size(), add), DecodeStatus::kOk);
    EXPECT_TRUE(w.append(add));
    EXPECT_FALSE(w.append(se.data(), 0));
    std::vector<uint8_t> huge(70000, 'A');
    EXPECT_FALSE(w.append(huge));
    EXPECT_EQ(w.messages(), 3u);
    w.close();
  }
  MappedFile f(path);
  EXPECT_EQ(std::vector<uint8_t>(f.data(), f.data() + f.size()), hex(kFile));
  auto st = scan_file(f.data(), f.size(), [](const auto&) {});
  EXPECT_EQ(st.messages, 3u);

  auto empty = (dir.path / "empty.itch").string();
  Writer(empty).close();
  MappedFile e(empty);
  EXPECT_EQ(e.size(), 0u);
  EXPECT_EQ(scan_file(e.data(), e.size(), [](const auto&) {}).messages, 0u);
  EXPECT_THROW(MappedFile((dir.path / "missing").string()), std::system_error);
}

TEST(ItchFile, LargeFileBuffersAcrossFlushes) {
  TempDir dir;
  auto path = (dir.path / "big.itch").string();
  auto od = hex(kOrderDelete);
  constexpr int kN = 20000;  // 420 kB: several write-buffer flushes
  {
    Writer w(path);
    for (int i = 0; i < kN; ++i) {
      store_u64(od.data() + 11, uint64_t(i));
      w.append(od);
    }
  }
  MappedFile f(path);
  EXPECT_EQ(f.size(), size_t(kN) * 21);
  uint64_t sum = 0;
  auto st = scan_file(f.data(), f.size(), [&](const auto& m) {
    if constexpr (std::is_same_v<std::decay_t<decltype(m)>, itch::OrderDelete>) sum += m.order_ref;
  });
  EXPECT_EQ(st.count('D'), uint64_t(kN));
  EXPECT_EQ(sum, uint64_t(kN) * (kN - 1) / 2);
}

}  // namespace
}  // namespace colo::itch_file
