// SoupBinTCP sessions as state machines: no sockets, no clocks. Each input (connected, bytes
// received, a clock tick, disconnected, an application request) is a transition that takes the
// time `now` (nanoseconds, any monotonic origin) and leaves in output(): bytes to write, events
// for the application, and whether to drop the connection. The transport (colo/soup_tcp.h, or a
// test) carries the bytes and drains the output.
//
// Both sides send a heartbeat after heartbeat_ns without sending anything, and declare the peer
// dead after timeout_ns without receiving anything (1 s and 15 s, as the spec says).
// The server keeps its session's sequenced messages, numbered from 1; a client that logs in
// again asks for the session it had and for last received + 1, so across reconnects every
// sequenced message arrives once, in order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "colo/soupbintcp.h"

namespace colo::soup {

struct SessionTimers {
  uint64_t heartbeat_ns = 1'000'000'000;
  uint64_t timeout_ns = 15'000'000'000;
};

struct SessionEvent {
  enum Kind : uint8_t {
    kLoginAccepted,  // sequence = the next sequenced message; client: text = the session
    kLoginRejected,  // reason = 'A' or 'S'
    kSequenced,      // sequence, payload (client)
    kUnsequenced,    // payload (server)
    kDebug,          // payload
    kEndOfSession,   // client: the server ended the session
    kLoggedOut,      // server: the client logged out; client: it asked to
    kPeerDead,       // nothing received for timeout_ns
    kProtocolError,  // a bad packet or one out of place; text says which
  };
  Kind kind;
  uint64_t sequence = 0;
  char reason = 0;
  std::vector<uint8_t> payload;
  std::string text;
};

struct SessionOutput {
  std::vector<uint8_t> send;  // bytes to write, in order
  std::vector<SessionEvent> events;
  bool close = false;  // drop the connection once `send` is written
  void clear() {
    send.clear();
    events.clear();
    close = false;
  }
};

class ClientSession {
 public:
  struct Config {
    std::string username;
    std::string password;
    std::string session;         // blank: the server's current session
    uint64_t next_sequence = 1;  // 0: from the most recent
    SessionTimers timers;
    size_t max_packet_length = 4096;
  };
  enum class State : uint8_t { kDisconnected, kLoginSent, kLoggedIn, kDone };

  explicit ClientSession(Config c);

  void on_connected(uint64_t now);  // sends the Login Request
  void on_bytes(const uint8_t* p, size_t n, uint64_t now);
  void on_tick(uint64_t now);
  void on_disconnected(uint64_t now);
  bool send_unsequenced(const uint8_t* p, size_t n, uint64_t now);  // false unless logged in
  void logout(uint64_t now);
  // After a rejected login the session is done; the caller's retry policy may let it log in again
  // on the next connection (same session, same next sequence). Does nothing in any other state.
  void allow_login_again();

  SessionOutput& output() { return out_; }
  State state() const { return state_; }
  const std::string& session() const { return session_; }
  uint64_t next_sequence() const { return next_; }
  const Framer& framer() const { return framer_; }

 private:
  void packet(const Packet& p, uint64_t now);
  void fail(std::string why);
  void sent(uint64_t now) { last_sent_ = now; }

  Config cfg_;
  State state_ = State::kDisconnected;
  bool rejected_ = false;  // done because a login was rejected (allow_login_again() may reopen)
  std::string session_;
  uint64_t next_;
  uint64_t last_sent_ = 0;
  uint64_t last_received_ = 0;
  Framer framer_;
  SessionOutput out_;
};

class ServerSession {
 public:
  struct Config {
    std::string username;
    std::string password;
    std::string session;  // this session's name (1..10 characters)
    SessionTimers timers;
    size_t max_packet_length = 4096;
  };
  enum class State : uint8_t { kDisconnected, kAwaitingLogin, kLoggedIn };

  explicit ServerSession(Config c);

  void on_connected(uint64_t now);
  void on_bytes(const uint8_t* p, size_t n, uint64_t now);
  void on_tick(uint64_t now);
  void on_disconnected(uint64_t now);
  // Appends to the session (kept for replays) and sends it if a client is logged in; returns its
  // sequence number. 0 after end_session.
  uint64_t send_sequenced(const uint8_t* p, size_t n, uint64_t now);
  // Sends End of Session and drops the client. A later login is still accepted: it gets the
  // messages it asks for, then End of Session, and the connection is dropped.
  void end_session(uint64_t now);

  SessionOutput& output() { return out_; }
  State state() const { return state_; }
  bool ended() const { return ended_; }
  uint64_t messages() const { return uint64_t(offsets_.size()); }
  uint64_t next_to_send() const { return next_; }
  const Framer& framer() const { return framer_; }

 private:
  void packet(const Packet& p, uint64_t now);
  void login(const LoginRequest& r, uint64_t now);
  void reject(char reason, uint64_t now);
  void fail(std::string why);
  void send_from_log(uint64_t seq);

  Config cfg_;
  State state_ = State::kDisconnected;
  bool ended_ = false;
  uint64_t next_ = 1;  // the next sequence number this connection will be sent
  uint64_t last_sent_ = 0;
  uint64_t last_received_ = 0;
  std::vector<uint8_t> log_;      // the session's sequenced messages, back to back
  std::vector<size_t> offsets_;   // where message i+1 starts in log_
  Framer framer_;
  SessionOutput out_;
};

}  // namespace colo::soup
