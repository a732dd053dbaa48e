#include "colo/moldudp64.h"

#include <algorithm>
#include <cstring>
#include <iterator>

namespace colo::mold {
namespace {

size_t write_header(const Header& h, uint8_t* out) { return write_wire(h, out); }

std::vector<uint8_t> header_only(const Session& s, uint64_t seq, uint16_t count) {
  std::vector<uint8_t> out(kHeaderLength);
  write_header(Header{s, seq, count}, out.data());
  return out;
}

}  // namespace

size_t write_heartbeat(const Session& s, uint64_t next_sequence, uint8_t* out) {
  return write_header(Header{s, next_sequence, 0}, out);
}
size_t write_end_of_session(const Session& s, uint64_t next_sequence, uint8_t* out) {
  return write_header(Header{s, next_sequence, kEndOfSessionCount}, out);
}
size_t write_request(const Request& r, uint8_t* out) { return write_header(r, out); }

std::optional<Request> read_request(const uint8_t* p, size_t n) {
  if (n != kRequestLength) return std::nullopt;
  return read_wire<Request>(p);
}

// --- builder ---------------------------------------------------------------------------------

PacketBuilder::PacketBuilder(const Session& session, uint64_t next_sequence, size_t max_payload)
    : session_(session), first_(next_sequence), max_payload_(std::max(max_payload, kHeaderLength)) {
  reset(next_sequence);
}

void PacketBuilder::reset(uint64_t first) {
  first_ = first;
  count_ = 0;
  buf_.clear();
  buf_.reserve(max_payload_);
  buf_.resize(kHeaderLength);
  write_header(Header{session_, first_, 0}, buf_.data());
}

bool PacketBuilder::fits(size_t n) const {
  return n <= 0xFFFF && count_ < kMaxMessageCount &&
         buf_.size() + kBlockHeaderLength + n <= max_payload_;
}

bool PacketBuilder::append(const uint8_t* p, size_t n) {
  if (!fits(n)) return false;
  size_t off = buf_.size();
  buf_.resize(off + kBlockHeaderLength + n);
  store_u16(buf_.data() + off, uint16_t(n));
  if (n) std::memcpy(buf_.data() + off + kBlockHeaderLength, p, n);
  ++count_;
  store_u16(buf_.data() + 18, count_);
  return true;
}

std::vector<uint8_t> PacketBuilder::take() {
  std::vector<uint8_t> out = std::move(buf_);
  buf_ = {};
  reset(first_ + count_);
  return out;
}

std::vector<uint8_t> PacketBuilder::heartbeat() const {
  return header_only(session_, next_sequence(), 0);
}
std::vector<uint8_t> PacketBuilder::end_of_session() const {
  return header_only(session_, next_sequence(), kEndOfSessionCount);
}

// --- parser ----------------------------------------------------------------------------------

std::string_view status_name(ParseStatus s) {
  switch (s) {
    case ParseStatus::kOk: return "ok";
    case ParseStatus::kHeaderTruncated: return "header truncated";
    case ParseStatus::kBlockTruncated: return "message length truncated";
    case ParseStatus::kBlockOverrun: return "message runs past the packet";
    case ParseStatus::kCountMismatch: return "fewer blocks than the count";
    case ParseStatus::kTrailingBytes: return "trailing bytes";
    case ParseStatus::kSequenceOverflow: return "sequence overflow";
  }
  return "?";
}

Packet parse_packet(const uint8_t* p, size_t n) {
  Packet pk;
  pk.p = p;
  pk.n = n;
  auto fail = [&](ParseStatus s, size_t off) {
    pk.status = s;
    pk.error_offset = off;
    return pk;
  };
  if (n < kHeaderLength) return fail(ParseStatus::kHeaderTruncated, n);
  pk.h = read_wire<Header>(p);
  if (pk.h.count == 0 || pk.h.count == kEndOfSessionCount) {
    pk.kind = pk.h.count == 0 ? PacketKind::kHeartbeat : PacketKind::kEndOfSession;
    if (n != kHeaderLength) return fail(ParseStatus::kTrailingBytes, kHeaderLength);
    return pk;
  }
  pk.kind = PacketKind::kData;
  if (pk.h.sequence > UINT64_MAX - pk.h.count) return fail(ParseStatus::kSequenceOverflow, 10);
  size_t off = kHeaderLength;
  for (uint16_t i = 0; i < pk.h.count; ++i) {
    if (off == n) return fail(ParseStatus::kCountMismatch, off);
    if (n - off < kBlockHeaderLength) return fail(ParseStatus::kBlockTruncated, off);
    size_t len = load_u16(p + off);
    if (n - off - kBlockHeaderLength < len) return fail(ParseStatus::kBlockOverrun, off);
    off += kBlockHeaderLength + len;
  }
  if (off != n) return fail(ParseStatus::kTrailingBytes, off);
  return pk;
}

// --- receiver --------------------------------------------------------------------------------

MoldReceiver::MoldReceiver(ReceiverConfig cfg)
    : cfg_(cfg), next_(cfg.first_sequence), highest_(cfg.first_sequence) {
  if (cfg_.max_request == 0) cfg_.max_request = 1;
}

void MoldReceiver::on_packet(const uint8_t* p, size_t n, uint64_t now_ns, Deliver deliver) {
  on_packet(parse_packet(p, n), now_ns, deliver);
}

void MoldReceiver::on_packet(const Packet& pk, uint64_t now_ns, Deliver deliver) {
  (void)now_ns;
  if (!pk.ok()) {
    stats_.parse_errors.add(pk);
    return;
  }
  if (!session_) {
    session_ = pk.h.session;
    if (cfg_.join_at_first_packet) next_ = highest_ = pk.h.sequence;
  } else if (pk.h.session != *session_) {
    ++stats_.session_changes;
    return;
  }
  ++stats_.packets;
  if (pk.kind == PacketKind::kHeartbeat) ++stats_.heartbeats;
  if (pk.kind == PacketKind::kEndOfSession && !end_) {
    // Nothing at or after the end is wanted any more: forget it, and stop asking for it.
    end_ = std::max(pk.h.sequence, next_);
    highest_ = std::min(highest_, *end_);
    while (!buffer_.empty() && std::prev(buffer_.end())->first >= *end_) {
      buffer_bytes_ -= std::prev(buffer_.end())->second.size();
      buffer_.erase(std::prev(buffer_.end()));
      ++stats_.after_end;
    }
  }

  uint64_t announced = pk.end_sequence();
  if (end_) announced = std::min(announced, std::max(*end_, next_));
  if (announced > highest_) {
    bool had_gap = has_gap();
    // A gap: the packet starts (or, for a heartbeat, says the next is) beyond what we hold.
    if (!had_gap && pk.h.sequence > next_) ++stats_.gaps;
    highest_ = announced;
  }
  pk.for_each([&](uint64_t seq, Bytes msg) { accept(seq, msg, deliver); });
  drain(deliver);
  if (pending_ && next_ >= pending_->r.sequence + pending_->r.count) pending_.reset();
}

void MoldReceiver::accept(uint64_t seq, Bytes msg, Deliver& deliver) {
  if (seq < next_) {
    ++stats_.duplicates;
    return;
  }
  if (end_ && seq >= *end_) {
    ++stats_.after_end;
    return;
  }
  if (seq == next_) {
    deliver(seq, msg);
    ++stats_.delivered;
    ++next_;
    return;
  }
  if (buffer_.count(seq)) {
    ++stats_.duplicates;
    return;
  }
  if (buffer_.size() >= cfg_.max_buffered_messages ||
      buffer_bytes_ + msg.size() > cfg_.max_buffered_bytes) {
    ++stats_.buffer_overflow;  // it will be asked for again when the gap closes
    return;
  }
  buffer_.emplace(seq, std::vector<uint8_t>(msg.begin(), msg.end()));
  buffer_bytes_ += msg.size();
  ++stats_.buffered;
}

void MoldReceiver::drain(Deliver& deliver) {
  while (!buffer_.empty()) {
    auto it = buffer_.begin();
    if (it->first < next_) {  // cannot happen (accept only buffers ahead), kept safe
      buffer_bytes_ -= it->second.size();
      buffer_.erase(it);
      continue;
    }
    if (it->first != next_) break;
    deliver(it->first, Bytes{it->second.data(), it->second.size()});
    ++stats_.delivered;
    ++next_;
    buffer_bytes_ -= it->second.size();
    buffer_.erase(it);
  }
}

std::optional<Request> MoldReceiver::poll(uint64_t now_ns) {
  if (!session_ || !has_gap()) {
    pending_.reset();
    return std::nullopt;
  }
  bool resend = false;
  if (pending_) {
    if (now_ns - pending_->sent_ns < cfg_.request_timeout_ns) return std::nullopt;
    resend = true;
  }
  // The missing run starts at next_ and ends at the first buffered message (or the highest
  // announced sequence).
  uint64_t stop = buffer_.empty() ? highest_ : std::min(highest_, buffer_.begin()->first);
  uint64_t want = std::min<uint64_t>(stop - next_, cfg_.max_request);
  Request r{*session_, next_, uint16_t(want)};
  pending_ = Pending{r, now_ns};
  ++stats_.requests;
  if (resend) ++stats_.request_resends;
  return r;
}

// --- retransmission store --------------------------------------------------------------------

std::string_view status_name(RequestStatus s) {
  switch (s) {
    case RequestStatus::kOk: return "ok";
    case RequestStatus::kMalformed: return "malformed";
    case RequestStatus::kWrongSession: return "wrong session";
    case RequestStatus::kEmpty: return "empty";
    case RequestStatus::kNotYetSent: return "not yet sent";
    case RequestStatus::kForgotten: return "forgotten";
  }
  return "?";
}

RetransmissionStore::RetransmissionStore(const Session& session, uint64_t first_sequence,
                                         size_t max_bytes, size_t max_payload)
    : session_(session), first_(first_sequence), max_bytes_(max_bytes),
      max_payload_(max_payload) {}

uint64_t RetransmissionStore::append(const uint8_t* p, size_t n) {
  uint64_t seq = next();
  msgs_.emplace_back(p, p + n);
  bytes_ += n;
  while (bytes_ > max_bytes_ && msgs_.size() > 1) {
    bytes_ -= msgs_.front().size();
    msgs_.pop_front();
    ++first_;
  }
  return seq;
}

std::optional<Bytes> RetransmissionStore::get(uint64_t seq) const {
  if (seq < first_ || seq >= next()) return std::nullopt;
  const auto& m = msgs_[seq - first_];
  return Bytes{m.data(), m.size()};
}

RequestStatus RetransmissionStore::check(const uint8_t* p, size_t n, Request* out) const {
  auto req = read_request(p, n);
  if (!req) return RequestStatus::kMalformed;
  if (req->session != session_) return RequestStatus::kWrongSession;
  if (req->count == 0 || req->count == kEndOfSessionCount) return RequestStatus::kEmpty;
  if (req->sequence >= next()) return RequestStatus::kNotYetSent;
  if (req->sequence < first_) return RequestStatus::kForgotten;
  if (out) *out = *req;
  return RequestStatus::kOk;
}

uint64_t RetransmissionStore::send_range(uint64_t from, uint64_t end, size_t max_packets,
                                         absl::FunctionRef<void(Bytes)> send) const {
  if (from < first_ || from >= next() || max_packets == 0) return from;
  end = std::min(end, next());
  PacketBuilder b(session_, from, max_payload_);
  uint64_t s = from;
  size_t sent = 0;
  for (; s < end; ++s) {
    const auto& m = msgs_[s - first_];
    if (!b.fits(m.size())) {
      if (b.empty()) return s;  // a message larger than a packet: cannot be re-sent
      auto pk = b.take();
      send(Bytes{pk.data(), pk.size()});
      if (++sent == max_packets) return s;
      if (!b.fits(m.size())) return s;
    }
    b.append(m.data(), m.size());
  }
  if (!b.empty()) {
    auto pk = b.take();
    send(Bytes{pk.data(), pk.size()});
  }
  return s;
}

RequestStatus RetransmissionStore::answer(const uint8_t* p, size_t n,
                                          absl::FunctionRef<void(Bytes)> send) const {
  Request req;
  const RequestStatus st = check(p, n, &req);
  if (st != RequestStatus::kOk) return st;
  send_range(req.sequence, req.sequence + req.count, SIZE_MAX, send);
  return RequestStatus::kOk;
}

}  // namespace colo::mold
