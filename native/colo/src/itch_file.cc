#include "colo/posix.h"
#include "colo/itch_file.h"
#include "colo/mapping_guard.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>

namespace colo::itch_file {
namespace {

constexpr size_t kWriteBuffer = 1 << 16;

}  // namespace

std::string_view kind_name(ErrorKind k) {
  switch (k) {
    case ErrorKind::kTruncated: return "record runs past the end of the file";
    case ErrorKind::kZeroLength: return "record of length 0";
    case ErrorKind::kUnknownType: return "unknown message type";
    case ErrorKind::kBadLength: return "record length disagrees with its message type";
  }
  return "?";
}

MappedFile::MappedFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) posix::fail("open " + path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    errno = e;
    posix::fail("stat " + path);
  }
  n_ = size_t(st.st_size);
  if (n_ > 0) {
    void* m = ::mmap(nullptr, n_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      int e = errno;
      ::close(fd);
      errno = e;
      posix::fail("mmap " + path);
    }
    ::madvise(m, n_, MADV_SEQUENTIAL);
    p_ = static_cast<const uint8_t*>(m);
    // Truncated by another process while mapped, the file raises SIGBUS: said in one line. With
    // every guard slot taken, the file is read into memory instead (no SIGBUS possible).
    if (!mapping_guard::add(p_, n_, path)) {
      ::munmap(m, n_);
      p_ = nullptr;
      try {
        read_whole(fd, path);
      } catch (...) {
        ::close(fd);
        throw;
      }
    }
  }
  ::close(fd);
}

void MappedFile::read_whole(int fd, const std::string& path) {
  copy_ = std::make_unique_for_overwrite<uint8_t[]>(n_);
  size_t got = 0;
  while (got < n_) {
    const ssize_t r = ::pread(fd, copy_.get() + got, n_ - got, off_t(got));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) posix::fail("read " + path);
    if (r == 0) {
      throw std::runtime_error(path + " changed while it was read (it ended at byte " + std::to_string(got) + ", " +
                               std::to_string(n_) + " when opened): leave ITCH files unchanged while a venue or a replay reads them");
    }
    got += size_t(r);
  }
  p_ = copy_.get();
}

MappedFile::~MappedFile() {
  if (!p_ || copy_) return;
  mapping_guard::remove(p_);
  ::munmap(const_cast<uint8_t*>(p_), n_);
}

void append_record(std::vector<uint8_t>& out, const uint8_t* p, size_t n) {
  size_t off = out.size();
  out.resize(off + 2 + n);
  store_u16(out.data() + off, uint16_t(n));
  if (n) std::memcpy(out.data() + off + 2, p, n);
}

Writer::Writer(const std::string& path) {
  f_ = std::fopen(path.c_str(), "wb");
  if (!f_) posix::fail("create " + path);
  buf_.reserve(kWriteBuffer + 2 + 0xFFFF);
}

Writer::~Writer() {
  try {
    close();
  } catch (...) {
  }
}

bool Writer::append(const uint8_t* p, size_t n) {
  if (n == 0 || n > 0xFFFF || !f_) return false;
  append_record(buf_, p, n);
  ++messages_;
  bytes_ += 2 + n;
  if (buf_.size() >= kWriteBuffer) flush();
  return true;
}

bool Writer::append(const itch::Message& m) {
  uint8_t b[itch::kMaxMessageLength];
  return append(b, itch::encode(m, b));
}

void Writer::flush() {
  if (buf_.empty()) return;
  if (std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size()) posix::fail("write");
  buf_.clear();
}

void Writer::close() {
  if (!f_) return;
  std::FILE* f = f_;
  try {
    flush();
  } catch (...) {
    f_ = nullptr;
    std::fclose(f);
    throw;
  }
  f_ = nullptr;
  if (std::fclose(f) != 0) posix::fail("close");
}

}  // namespace colo::itch_file
