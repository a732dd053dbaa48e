#include "colo/soupbintcp.h"

#include <algorithm>

namespace colo::soup {

static_assert(wire_size<LoginAccepted>() == LoginAccepted::kLength);
static_assert(wire_size<LoginRejected>() == LoginRejected::kLength);
static_assert(wire_size<LoginRequest>() == LoginRequest::kLength);
static_assert(wire_size<ServerHeartbeat>() == 1 && wire_size<LogoutRequest>() == 1);

SequenceField sequence_field(uint64_t v) {
  char digits[20];
  size_t n = 0;
  do {
    digits[19 - n++] = char('0' + v % 10);
    v /= 10;
  } while (v != 0 && n < 20);
  return right_justified<20>(std::string_view(digits + 20 - n, n));
}

bool parse_sequence(const SequenceField& f, uint64_t& out) {
  size_t i = 0;
  while (i < f.bytes.size() && f.bytes[i] == ' ') ++i;
  uint64_t v = 0;
  for (; i < f.bytes.size(); ++i) {
    char c = f.bytes[i];
    if (c < '0' || c > '9') return false;
    uint64_t d = uint64_t(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

void append_packet(std::vector<uint8_t>& out, char type, const uint8_t* payload, size_t n) {
  size_t at = out.size();
  out.resize(at + 3 + n);
  store_u16(out.data() + at, uint16_t(n + 1));
  out[at + 2] = uint8_t(type);
  if (n != 0) std::memcpy(out.data() + at + 3, payload, n);
}

int payload_length(Direction from, uint8_t type) {
  if (from == Direction::kFromServer) {
    switch (type) {
      case '+': return kVariable;
      case 'A': return int(LoginAccepted::kLength - 1);
      case 'J': return int(LoginRejected::kLength - 1);
      case 'S': return kVariable;
      case 'H': return 0;
      case 'Z': return 0;
      default: return kUnknown;
    }
  }
  switch (type) {
    case '+': return kVariable;
    case 'L': return int(LoginRequest::kLength - 1);
    case 'U': return kVariable;
    case 'R': return 0;
    case 'O': return 0;
    default: return kUnknown;
  }
}

std::string_view frame_error_name(FrameError e) {
  switch (e) {
    case FrameError::kZeroLength: return "zero length";
    case FrameError::kTooLong: return "over the maximum length";
    case FrameError::kUnknownType: return "unknown packet type";
    case FrameError::kBadLength: return "wrong length for the packet type";
    case FrameError::kTruncated: return "truncated at end of stream";
  }
  return "?";
}

Framer::Framer(Options o) : opt_(o) {
  opt_.max_packet_length = std::clamp<size_t>(opt_.max_packet_length, 1, 65535);
}

void Framer::error(FrameError e, uint64_t offset, uint16_t length) {
  ++errors_total_;
  ++errors_[size_t(e)];
  if (recent_.size() == kKeptErrors) recent_.erase(recent_.begin());
  recent_.push_back({e, offset, length});
}

bool Framer::accept(const uint8_t* packet, uint16_t length, uint64_t offset, Packet& out) {
  uint8_t type = packet[2];
  int want = payload_length(opt_.from, type);
  if (want == kUnknown) {
    error(FrameError::kUnknownType, offset, length);
    return false;
  }
  if (want != kVariable && size_t(want) + 1 != length) {
    error(FrameError::kBadLength, offset, length);
    return false;
  }
  ++packets_;
  out = Packet{char(type), packet + 3, size_t(length) - 1, offset};
  return true;
}

bool Framer::next(const uint8_t*& p, const uint8_t* end, Packet& out) {
  if (clear_buf_) buf_.clear(), clear_buf_ = false;
  for (;;) {
    if (discard_ != 0) {
      uint64_t k = std::min<uint64_t>(discard_, uint64_t(end - p));
      p += k, consumed_ += k, discard_ -= k;
      if (discard_ != 0) return false;
    }
    if (p == end) return false;
    if (buf_.empty()) packet_start_ = consumed_;
    // The length field, from the buffer or straight from the chunk.
    uint16_t length;
    if (buf_.empty() && end - p >= 2) {
      length = load_u16(p);
    } else {
      while (buf_.size() < 2 && p != end) buf_.push_back(*p++), ++consumed_;
      if (buf_.size() < 2) return false;
      length = load_u16(buf_.data());
    }
    if (length == 0 || length > opt_.max_packet_length) {
      if (buf_.empty()) p += 2, consumed_ += 2;
      buf_.clear();
      if (length == 0) {
        error(FrameError::kZeroLength, packet_start_, 0);
      } else {
        error(FrameError::kTooLong, packet_start_, length);
        discard_ = length;
      }
      continue;
    }
    size_t total = size_t(length) + 2;
    if (buf_.empty() && size_t(end - p) >= total) {  // whole in the chunk: no copy
      const uint8_t* packet = p;
      p += total, consumed_ += total;
      if (accept(packet, length, packet_start_, out)) return true;
      continue;
    }
    size_t take = std::min(total - buf_.size(), size_t(end - p));
    buf_.insert(buf_.end(), p, p + take);
    p += take, consumed_ += take;
    if (buf_.size() < total) return false;
    clear_buf_ = true;
    if (accept(buf_.data(), length, packet_start_, out)) return true;
    buf_.clear(), clear_buf_ = false;
  }
}

void Framer::finish() {
  if (clear_buf_) buf_.clear(), clear_buf_ = false;
  // (An over-long packet cut off while being skipped was already counted as kTooLong.)
  if (!buf_.empty()) {
    error(FrameError::kTruncated, packet_start_, buf_.size() >= 2 ? load_u16(buf_.data()) : 0);
  }
  reset();
}

void Framer::reset() {
  buf_.clear();
  clear_buf_ = false;
  discard_ = 0;
  consumed_ = 0;
  packet_start_ = 0;
}

}  // namespace colo::soup
