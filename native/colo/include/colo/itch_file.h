// Length-prefixed ITCH files, as NASDAQ publishes its historical TotalView-ITCH 5.0 days: each
// message is preceded by a 2-byte big-endian length. A writer, a reader over a memory-mapped
// (or caller-held) buffer that yields (offset, message bytes), and scan_file(), which runs
// itch::dispatch over every message (the hot path colo_bench measures).
//
// Gzip'ed files (NASDAQ ships *.gz) are not read here: gunzip them first (`gzip -dc`).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "colo/itch.h"

namespace colo::itch_file {

enum class ErrorKind : uint8_t {
  kTruncated,    // a length prefix, or the message it announces, runs past the end: stops there
  kZeroLength,   // a zero length prefix: skipped (2 bytes)
  kUnknownType,  // a type byte ITCH 5.0 does not define: skipped by its length prefix
  kBadLength,    // the prefix disagrees with itch::message_length of the type: skipped likewise
};
constexpr size_t kErrorKindCount = 4;
std::string_view kind_name(ErrorKind k);

struct FileError {
  ErrorKind kind;
  uint64_t offset;  // of the length prefix
  friend bool operator==(const FileError&, const FileError&) = default;
};

// What a pass over a file found. Only the first kMaxKeptErrors errors keep their offsets.
struct ScanStats {
  static constexpr size_t kMaxKeptErrors = 16;
  uint64_t messages = 0;  // well-formed messages (handed to the handler)
  uint64_t bytes = 0;     // bytes consumed (prefixes included)
  std::array<uint64_t, itch::kMessageTypeCount> by_type{};  // indexed by itch::message_index
  std::array<uint64_t, kErrorKindCount> errors_by_kind{};
  std::array<uint64_t, kErrorKindCount> first_offset{};  // valid where errors_by_kind > 0
  std::vector<FileError> errors;

  uint64_t error_count() const {
    uint64_t n = 0;
    for (auto e : errors_by_kind) n += e;
    return n;
  }
  uint64_t count(char type) const {
    int i = itch::message_index(uint8_t(type));
    return i < 0 ? 0 : by_type[size_t(i)];
  }
  void add_error(ErrorKind k, uint64_t offset) {
    if (errors_by_kind[size_t(k)]++ == 0) first_offset[size_t(k)] = offset;
    if (errors.size() < kMaxKeptErrors) errors.push_back({k, offset});
  }
};

// Walks a length-prefixed buffer one record at a time, so a caller can stop and resume (the
// replay hands out rows in bounded steps). next() calls visit(uint64_t offset, const uint8_t*
// message, size_t length) for a well-formed record (offset of its length prefix), counts the
// others in `st`, and returns false once the buffer is exhausted.
struct Cursor {
  const uint8_t* p;
  size_t n;
  size_t off = 0;

  bool done() const { return off >= n; }

  template <class V>
  bool next(ScanStats& st, V&& visit) {
    if (off >= n) return false;
    if (n - off < 2) {
      st.add_error(ErrorKind::kTruncated, off);
      off = n;
      return false;
    }
    const size_t len = load_u16(p + off);
    if (len == 0) {
      st.add_error(ErrorKind::kZeroLength, off);
      off += 2;
      st.bytes = off;
      return true;
    }
    if (n - off - 2 < len) {
      st.add_error(ErrorKind::kTruncated, off);
      off = n;
      return false;
    }
    const uint8_t* m = p + off + 2;
    const int index = itch::message_index(m[0]);
    if (index < 0) {
      st.add_error(ErrorKind::kUnknownType, off);
    } else if (itch::message_length(m[0]) != len) {
      st.add_error(ErrorKind::kBadLength, off);
    } else {
      ++st.messages;
      ++st.by_type[size_t(index)];
      visit(uint64_t(off), m, len);
    }
    off += 2 + len;
    st.bytes = off;
    return true;
  }
};

// Calls visit(uint64_t offset, const uint8_t* message, size_t length) for each well-formed
// record (its offset is that of the length prefix), and counts the others.
template <class V>
inline ScanStats for_each_message(const uint8_t* p, size_t n, V&& visit) {
  ScanStats st;
  Cursor c{p, n};
  while (c.next(st, visit)) {
  }
  return st;
}

// Runs itch::dispatch(handler) over every well-formed message of a length-prefixed file.
template <class H>
inline ScanStats scan_file(const uint8_t* p, size_t n, H&& handler) {
  return for_each_message(p, n, [&](uint64_t, const uint8_t* m, size_t len) {
    itch::dispatch(m, len, handler);
  });
}

// A read-only view of a whole file: memory-mapped (empty files map to an empty view). Throws
// std::system_error when it cannot be opened or mapped. A read past the end of a file truncated
// meanwhile exits the process with one line naming it (colo/mapping_guard.h), not a bare SIGBUS.
class MappedFile {
 public:
  explicit MappedFile(const std::string& path);
  MappedFile(MappedFile&& o) noexcept : p_(o.p_), n_(o.n_), copy_(std::move(o.copy_)) { o.p_ = nullptr, o.n_ = 0; }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  MappedFile& operator=(MappedFile&&) = delete;
  ~MappedFile();

  const uint8_t* data() const { return p_; }
  size_t size() const { return n_; }
  std::span<const uint8_t> bytes() const { return {p_, n_}; }
  // Tests: whether the file was read into memory (every SIGBUS guard slot taken) instead of mapped.
  bool copied() const { return copy_ != nullptr; }

 private:
  void read_whole(int fd, const std::string& path);

  const uint8_t* p_ = nullptr;
  size_t n_ = 0;
  // Set when every SIGBUS guard slot was taken (mapping_guard::kMaxMappings files mapped at once):
  // the file is read into memory instead, so a truncation cannot kill the process unguarded.
  std::unique_ptr<uint8_t[]> copy_;
};

// Appends length-prefixed messages to a file (buffered; close() or the destructor flushes).
class Writer {
 public:
  // Creates or truncates `path`. Throws std::system_error on failure.
  explicit Writer(const std::string& path);
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  ~Writer();

  // false for an empty message or one longer than 65535 bytes (nothing is written).
  bool append(const uint8_t* p, size_t n);
  bool append(std::span<const uint8_t> b) { return append(b.data(), b.size()); }
  // Encodes and appends one ITCH message.
  bool append(const itch::Message& m);

  uint64_t messages() const { return messages_; }
  uint64_t bytes() const { return bytes_; }
  // Flushes and closes; throws std::system_error when the data could not be written.
  void close();

 private:
  void flush();
  std::FILE* f_ = nullptr;
  std::vector<uint8_t> buf_;
  uint64_t messages_ = 0, bytes_ = 0;
};

// Frames messages into a length-prefixed buffer in memory (for tests and tools).
void append_record(std::vector<uint8_t>& out, const uint8_t* p, size_t n);

}  // namespace colo::itch_file
