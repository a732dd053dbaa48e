#include "colo/soup_session.h"

#include <string>
#include <utility>

namespace colo::soup {
namespace {

SessionEvent event(SessionEvent::Kind k) { return SessionEvent{k, 0, 0, {}, {}}; }

SessionEvent with_payload(SessionEvent::Kind k, const Packet& p, uint64_t seq = 0) {
  SessionEvent e = event(k);
  e.sequence = seq;
  e.payload.assign(p.payload, p.payload + p.size);
  return e;
}

// Why a sequence number field does not parse, for a protocol error: the field between quotes,
// leading spaces left out and a byte that is not printable ASCII as \xNN, and what is taken.
std::string bad_sequence(const SequenceField& f) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  size_t i = 0;
  while (i < f.bytes.size() && f.bytes[i] == ' ') ++i;
  std::string s = "\"";
  for (; i < f.bytes.size(); ++i) {
    const auto b = uint8_t(f.bytes[i]);
    if (b >= ' ' && b < 0x7F && b != '"' && b != '\\') {
      s += char(b);
    } else {
      s += "\\x";
      s += kHex[b >> 4];
      s += kHex[b & 0xF];
    }
  }
  return s +
         "\" (SoupBinTCP takes decimal digits, space-padded on the left, up to "
         "18446744073709551615)";
}

}  // namespace

// ---- Client ----------------------------------------------------------------------------------

ClientSession::ClientSession(Config c)
    : cfg_(std::move(c)),
      session_(cfg_.session),
      next_(cfg_.next_sequence),
      framer_({Direction::kFromServer, cfg_.max_packet_length}) {}

void ClientSession::on_connected(uint64_t now) {
  if (state_ == State::kDone) return;
  framer_.reset();
  LoginRequest r;
  r.username = Alpha<6>::of(cfg_.username);
  r.password = Alpha<10>::of(cfg_.password);
  r.requested_session = right_justified<10>(session_);
  r.requested_sequence_number = sequence_field(next_);
  append_packet(out_.send, r);
  state_ = State::kLoginSent;
  last_received_ = now;
  sent(now);
}

void ClientSession::fail(std::string why) {
  SessionEvent e = event(SessionEvent::kProtocolError);
  e.text = std::move(why);
  out_.events.push_back(std::move(e));
  out_.close = true;
  state_ = State::kDisconnected;
}

void ClientSession::on_bytes(const uint8_t* p, size_t n, uint64_t now) {
  if (state_ != State::kLoginSent && state_ != State::kLoggedIn) return;
  last_received_ = now;
  uint64_t errors = framer_.errors();
  framer_.feed(p, n, [&](const Packet& pk) {
    if (state_ == State::kLoginSent || state_ == State::kLoggedIn) packet(pk, now);
  });
  if (framer_.errors() != errors && !out_.close) {
    fail("bad SoupBinTCP packet: " + std::string(frame_error_name(framer_.recent_errors().back().kind)));
  }
}

void ClientSession::packet(const Packet& p, uint64_t) {
  switch (p.type) {
    case LoginAccepted::kType: {
      if (state_ != State::kLoginSent) return fail("Login Accepted while logged in");
      LoginAccepted a = read_wire<LoginAccepted>(p.payload - 1);
      uint64_t seq = 0;
      if (!parse_sequence(a.sequence_number, seq)) {
        return fail("Login Accepted: bad sequence number " + bad_sequence(a.sequence_number));
      }
      session_ = std::string(trimmed(a.session));
      next_ = seq;
      state_ = State::kLoggedIn;
      SessionEvent e = event(SessionEvent::kLoginAccepted);
      e.sequence = seq;
      e.text = session_;
      out_.events.push_back(std::move(e));
      return;
    }
    case LoginRejected::kType: {
      SessionEvent e = event(SessionEvent::kLoginRejected);
      e.reason = char(p.payload[0]);
      out_.events.push_back(std::move(e));
      out_.close = true;
      state_ = State::kDone;
      rejected_ = true;
      return;
    }
    case kSequencedData:
      if (state_ != State::kLoggedIn) return fail("Sequenced Data before Login Accepted");
      out_.events.push_back(with_payload(SessionEvent::kSequenced, p, next_++));
      return;
    case ServerHeartbeat::kType: return;
    case EndOfSession::kType:
      out_.events.push_back(event(SessionEvent::kEndOfSession));
      out_.close = true;
      state_ = State::kDone;
      return;
    case kDebug: out_.events.push_back(with_payload(SessionEvent::kDebug, p)); return;
  }
}

void ClientSession::on_tick(uint64_t now) {
  if (state_ != State::kLoginSent && state_ != State::kLoggedIn) return;
  if (now - last_received_ >= cfg_.timers.timeout_ns) {
    out_.events.push_back(event(SessionEvent::kPeerDead));
    out_.close = true;
    state_ = State::kDisconnected;
    return;
  }
  if (state_ == State::kLoggedIn && now - last_sent_ >= cfg_.timers.heartbeat_ns) {
    append_packet(out_.send, ClientHeartbeat{});
    sent(now);
  }
}

void ClientSession::on_disconnected(uint64_t) {
  framer_.finish();
  if (state_ != State::kDone) state_ = State::kDisconnected;
}

bool ClientSession::send_unsequenced(const uint8_t* p, size_t n, uint64_t now) {
  if (state_ != State::kLoggedIn || n + 1 > cfg_.max_packet_length || n > 65534) return false;
  append_packet(out_.send, kUnsequencedData, p, n);
  sent(now);
  return true;
}

void ClientSession::allow_login_again() {
  if (state_ != State::kDone || !rejected_) return;
  rejected_ = false;
  state_ = State::kDisconnected;
}

void ClientSession::logout(uint64_t now) {
  if (state_ == State::kLoggedIn || state_ == State::kLoginSent) {
    append_packet(out_.send, LogoutRequest{});
    sent(now);
    out_.close = true;
  }
  out_.events.push_back(event(SessionEvent::kLoggedOut));
  state_ = State::kDone;
  rejected_ = false;
}

// ---- Server ----------------------------------------------------------------------------------

ServerSession::ServerSession(Config c)
    : cfg_(std::move(c)), framer_({Direction::kFromClient, cfg_.max_packet_length}) {}

void ServerSession::on_connected(uint64_t now) {
  framer_.reset();
  state_ = State::kAwaitingLogin;
  last_received_ = now;
  last_sent_ = now;
}

void ServerSession::fail(std::string why) {
  SessionEvent e = event(SessionEvent::kProtocolError);
  e.text = std::move(why);
  out_.events.push_back(std::move(e));
  out_.close = true;
  state_ = State::kDisconnected;
}

void ServerSession::on_bytes(const uint8_t* p, size_t n, uint64_t now) {
  if (state_ == State::kDisconnected) return;
  last_received_ = now;
  uint64_t errors = framer_.errors();
  framer_.feed(p, n, [&](const Packet& pk) {
    if (state_ != State::kDisconnected) packet(pk, now);
  });
  if (framer_.errors() != errors && !out_.close) {
    fail("bad SoupBinTCP packet: " + std::string(frame_error_name(framer_.recent_errors().back().kind)));
  }
}

void ServerSession::reject(char reason, uint64_t now) {
  append_packet(out_.send, LoginRejected{reason});
  last_sent_ = now;
  SessionEvent e = event(SessionEvent::kLoginRejected);
  e.reason = reason;
  out_.events.push_back(std::move(e));
  out_.close = true;
  state_ = State::kDisconnected;
}

void ServerSession::send_from_log(uint64_t seq) {
  size_t begin = offsets_[seq - 1];
  size_t end = seq < offsets_.size() ? offsets_[seq] : log_.size();
  append_packet(out_.send, kSequencedData, log_.data() + begin, end - begin);
}

void ServerSession::login(const LoginRequest& r, uint64_t now) {
  if (r.username.view() != cfg_.username || r.password.view() != cfg_.password) {
    return reject(kRejectNotAuthorized, now);
  }
  std::string_view wanted = trimmed(r.requested_session);
  if (!wanted.empty() && wanted != cfg_.session) return reject(kRejectSessionNotAvailable, now);
  uint64_t seq = 0;
  if (!parse_sequence(r.requested_sequence_number, seq)) {
    return fail("Login Request: bad requested sequence number " +
                bad_sequence(r.requested_sequence_number));
  }
  uint64_t after_last = messages() + 1;
  next_ = (seq == 0 || seq > after_last) ? after_last : seq;
  append_packet(out_.send, LoginAccepted{right_justified<10>(cfg_.session), sequence_field(next_)});
  state_ = State::kLoggedIn;
  SessionEvent e = event(SessionEvent::kLoginAccepted);
  e.sequence = next_;
  e.text = std::string(r.username.view());
  out_.events.push_back(std::move(e));
  for (; next_ < after_last; ++next_) send_from_log(next_);
  last_sent_ = now;
  // An ended session still replays what a client missed (the last messages of the day, sent while
  // it was away), then ends this connection as it ended the others.
  if (ended_) {
    append_packet(out_.send, EndOfSession{});
    out_.close = true;
    state_ = State::kDisconnected;
  }
}

void ServerSession::packet(const Packet& p, uint64_t now) {
  if (state_ == State::kAwaitingLogin) {
    if (p.type != LoginRequest::kType) return fail("a packet before Login Request");
    return login(read_wire<LoginRequest>(p.payload - 1), now);
  }
  switch (p.type) {
    case LoginRequest::kType: return fail("Login Request while logged in");
    case kUnsequencedData: out_.events.push_back(with_payload(SessionEvent::kUnsequenced, p)); return;
    case ClientHeartbeat::kType: return;
    case LogoutRequest::kType:
      out_.events.push_back(event(SessionEvent::kLoggedOut));
      out_.close = true;
      state_ = State::kDisconnected;
      return;
    case kDebug: out_.events.push_back(with_payload(SessionEvent::kDebug, p)); return;
  }
}

void ServerSession::on_tick(uint64_t now) {
  if (state_ == State::kDisconnected) return;
  if (now - last_received_ >= cfg_.timers.timeout_ns) {
    out_.events.push_back(event(SessionEvent::kPeerDead));
    out_.close = true;
    state_ = State::kDisconnected;
    return;
  }
  if (state_ == State::kLoggedIn && now - last_sent_ >= cfg_.timers.heartbeat_ns) {
    append_packet(out_.send, ServerHeartbeat{});
    last_sent_ = now;
  }
}

void ServerSession::on_disconnected(uint64_t) {
  framer_.finish();
  state_ = State::kDisconnected;
}

uint64_t ServerSession::send_sequenced(const uint8_t* p, size_t n, uint64_t now) {
  if (ended_ || n + 1 > cfg_.max_packet_length || n > 65534) return 0;
  offsets_.push_back(log_.size());
  log_.insert(log_.end(), p, p + n);
  uint64_t seq = messages();
  if (state_ == State::kLoggedIn && next_ == seq) {
    send_from_log(next_++);
    last_sent_ = now;
  }
  return seq;
}

void ServerSession::end_session(uint64_t now) {
  ended_ = true;
  if (state_ == State::kLoggedIn) {
    append_packet(out_.send, EndOfSession{});
    last_sent_ = now;
    out_.close = true;
  }
  state_ = State::kDisconnected;
}

}  // namespace colo::soup
