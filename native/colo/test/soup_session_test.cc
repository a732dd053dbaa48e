// SoupBinTCP sessions: the state machines driven with an injected clock and byte vectors written
// here from the spec, then a client and a server over loopback TCP with the connection dropped
// mid-stream: every sequenced message arrives once, in order.
#include "colo/soup_session.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "colo/soup_tcp.h"
#include "test_bytes.h"

namespace colo::soup {
namespace {

constexpr uint64_t kSec = 1'000'000'000;

ClientSession::Config client_config() {
  ClientSession::Config c;
  c.username = "alice";
  c.password = "secret";
  return c;
}
ServerSession::Config server_config() {
  ServerSession::Config c;
  c.username = "alice";
  c.password = "secret";
  c.session = "TEST01";
  return c;
}

std::vector<uint8_t> take_send(SessionOutput& o) {
  std::vector<uint8_t> b = std::move(o.send);
  o.send.clear();
  return b;
}
std::string text(const std::vector<uint8_t>& b) { return {b.begin(), b.end()}; }

// Moves bytes both ways until neither side has anything to send.
void shuttle(ClientSession& c, ServerSession& s, uint64_t now) {
  for (int i = 0; i < 10; ++i) {
    auto to_server = take_send(c.output());
    if (!to_server.empty()) s.on_bytes(to_server.data(), to_server.size(), now);
    auto to_client = take_send(s.output());
    if (!to_client.empty()) c.on_bytes(to_client.data(), to_client.size(), now);
    if (to_server.empty() && to_client.empty()) return;
  }
}

std::vector<uint64_t> sequenced(SessionOutput& o, std::vector<std::string>* payloads = nullptr) {
  std::vector<uint64_t> seqs;
  for (auto& e : o.events) {
    if (e.kind != SessionEvent::kSequenced) continue;
    seqs.push_back(e.sequence);
    if (payloads) payloads->push_back(text(e.payload));
  }
  return seqs;
}

TEST(SoupSession, LoginBytesAndReplayFromTheRequestedNumber) {
  ServerSession s(server_config());
  for (const char* m : {"m1", "m2", "m3"}) s.send_sequenced(reinterpret_cast<const uint8_t*>(m), 2, 0);
  auto cfg = client_config();
  cfg.next_sequence = 2;
  ClientSession c(cfg);
  c.on_connected(0);
  // Login Request: 47, 'L', "alice ", "secret    ", blank session, sequence 2 left-padded.
  auto login = take_send(c.output());
  EXPECT_EQ(login, test::hex("002F" + test::ascii("Lalice secret    ") + test::ascii(std::string(10, ' ')) +
                             test::ascii(std::string(19, ' ') + "2")));
  s.on_connected(0);
  s.on_bytes(login.data(), login.size(), 0);
  // Login Accepted: 31, 'A', "    TEST01", next sequence 2; then messages 2 and 3.
  auto reply = take_send(s.output());
  EXPECT_EQ(reply, test::hex("001F" + test::ascii("A    TEST01") + test::ascii(std::string(19, ' ') + "2") +
                             "0003" + test::ascii("Sm2") + "0003" + test::ascii("Sm3")));
  c.on_bytes(reply.data(), reply.size(), 0);
  EXPECT_EQ(c.state(), ClientSession::State::kLoggedIn);
  EXPECT_EQ(c.session(), "TEST01");
  std::vector<std::string> got;
  EXPECT_EQ(sequenced(c.output(), &got), (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(got, (std::vector<std::string>{"m2", "m3"}));
  EXPECT_EQ(c.next_sequence(), 4u);
  // A new message goes straight out.
  s.send_sequenced(reinterpret_cast<const uint8_t*>("m4"), 2, 0);
  EXPECT_EQ(take_send(s.output()), test::hex("0003" + test::ascii("Sm4")));
}

TEST(SoupSession, ZeroMeansFromTheMostRecentAndPastTheEndIsClamped) {
  for (uint64_t asked : {uint64_t(0), uint64_t(99)}) {
    ServerSession s(server_config());
    s.send_sequenced(reinterpret_cast<const uint8_t*>("m1"), 2, 0);
    auto cfg = client_config();
    cfg.next_sequence = asked;
    ClientSession c(cfg);
    c.on_connected(0);
    s.on_connected(0);
    shuttle(c, s, 0);
    EXPECT_EQ(c.next_sequence(), 2u) << asked;
    EXPECT_TRUE(sequenced(c.output()).empty());
  }
}

TEST(SoupSession, RejectsBadCredentialsAndUnknownSessions) {
  struct Case {
    const char* password;
    const char* session;
    char reason;
  };
  for (Case k : {Case{"wrong", "", 'A'}, Case{"secret", "OTHER", 'S'}}) {
    ServerSession s(server_config());
    auto cfg = client_config();
    cfg.password = k.password;
    cfg.session = k.session;
    ClientSession c(cfg);
    c.on_connected(0);
    s.on_connected(0);
    auto login = take_send(c.output());
    s.on_bytes(login.data(), login.size(), 0);
    auto reply = take_send(s.output());
    EXPECT_EQ(reply, test::hex("0002" + test::ascii(std::string("J") + k.reason)));
    EXPECT_TRUE(s.output().close);
    c.on_bytes(reply.data(), reply.size(), 0);
    ASSERT_FALSE(c.output().events.empty());
    EXPECT_EQ(c.output().events.back().kind, SessionEvent::kLoginRejected);
    EXPECT_EQ(c.output().events.back().reason, k.reason);
    EXPECT_EQ(c.state(), ClientSession::State::kDone);
  }
}

TEST(SoupSession, HeartbeatsAfterOneSecondQuietAndDeadAfterFifteen) {
  ServerSession s(server_config());
  ClientSession c(client_config());
  c.on_connected(0);
  s.on_connected(0);
  shuttle(c, s, 0);
  c.on_tick(kSec - 1);
  s.on_tick(kSec - 1);
  EXPECT_TRUE(c.output().send.empty());
  EXPECT_TRUE(s.output().send.empty());
  c.on_tick(kSec);
  s.on_tick(kSec);
  EXPECT_EQ(take_send(c.output()), test::hex("0001" + test::ascii("R")));
  EXPECT_EQ(take_send(s.output()), test::hex("0001" + test::ascii("H")));
  // Sending anything restarts the quiet second.
  s.send_sequenced(reinterpret_cast<const uint8_t*>("x"), 1, kSec + kSec / 2);
  take_send(s.output());
  s.on_tick(2 * kSec);
  EXPECT_TRUE(s.output().send.empty());
  // The client hears nothing from t=0 on: dead at 15 s, not before.
  c.on_tick(15 * kSec - 1);
  EXPECT_FALSE(c.output().close);
  c.on_tick(15 * kSec);
  EXPECT_TRUE(c.output().close);
  EXPECT_EQ(c.output().events.back().kind, SessionEvent::kPeerDead);
  EXPECT_EQ(c.state(), ClientSession::State::kDisconnected);
  // The server heard the heartbeat? No: it was never delivered, so it too times out.
  s.on_tick(15 * kSec);
  EXPECT_EQ(s.output().events.back().kind, SessionEvent::kPeerDead);
}

TEST(SoupSession, ReconnectResumesAfterTheLastReceived) {
  ServerSession s(server_config());
  ClientSession c(client_config());
  c.on_connected(0);
  s.on_connected(0);
  shuttle(c, s, 0);
  for (const char* m : {"a", "b", "c", "d", "e"}) s.send_sequenced(reinterpret_cast<const uint8_t*>(m), 1, 0);
  auto wire = take_send(s.output());
  // Only the first two packets (4 bytes each) and half the third reach the client.
  c.on_bytes(wire.data(), 10, 0);
  c.on_disconnected(1);
  s.on_disconnected(1);
  EXPECT_EQ(c.framer().errors(FrameError::kTruncated), 1u);
  s.send_sequenced(reinterpret_cast<const uint8_t*>("f"), 1, 1);  // while nobody is connected
  c.on_connected(2);
  auto login = take_send(c.output());
  EXPECT_EQ(login, test::hex("002F" + test::ascii("Lalice secret        TEST01") +
                             test::ascii(std::string(19, ' ') + "3")));
  s.on_connected(2);
  s.on_bytes(login.data(), login.size(), 2);
  c.on_bytes(s.output().send.data(), s.output().send.size(), 2);
  std::vector<std::string> got;
  EXPECT_EQ(sequenced(c.output(), &got), (std::vector<uint64_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(got, (std::vector<std::string>{"a", "b", "c", "d", "e", "f"}));
}

TEST(SoupSession, ARejectedLoginCanBeTriedAgainAtTheSameSequence) {
  ServerSession s(server_config());
  ClientSession c(client_config());
  c.on_connected(0);
  s.on_connected(0);
  shuttle(c, s, 0);
  for (const char* m : {"a", "b"}) s.send_sequenced(reinterpret_cast<const uint8_t*>(m), 1, 0);
  shuttle(c, s, 0);
  c.on_disconnected(1);
  // The server has not seen the connection go: it refuses the login again ('S').
  c.on_connected(2);
  take_send(c.output());
  const std::vector<uint8_t> refused = test::hex("0002" + test::ascii("JS"));
  c.on_bytes(refused.data(), refused.size(), 2);
  EXPECT_EQ(c.state(), ClientSession::State::kDone);
  EXPECT_FALSE(c.send_unsequenced(reinterpret_cast<const uint8_t*>("x"), 1, 2));
  c.allow_login_again();
  EXPECT_EQ(c.state(), ClientSession::State::kDisconnected);
  c.output().clear();
  s.on_disconnected(3);
  s.send_sequenced(reinterpret_cast<const uint8_t*>("c"), 1, 3);
  c.on_connected(4);
  s.on_connected(4);
  shuttle(c, s, 4);
  EXPECT_EQ(c.state(), ClientSession::State::kLoggedIn);
  EXPECT_EQ(sequenced(c.output()), (std::vector<uint64_t>{3}));  // asked for 3 again, nothing twice
  // Only a rejection reopens a done session: not a logout, not an End of Session.
  c.logout(5);
  c.allow_login_again();
  EXPECT_EQ(c.state(), ClientSession::State::kDone);
  ClientSession ended(client_config());
  ServerSession s2(server_config());
  ended.on_connected(0);
  s2.on_connected(0);
  shuttle(ended, s2, 0);
  s2.end_session(1);
  shuttle(ended, s2, 1);
  EXPECT_EQ(ended.state(), ClientSession::State::kDone);
  ended.allow_login_again();
  EXPECT_EQ(ended.state(), ClientSession::State::kDone);
}

TEST(SoupSession, UnsequencedLogoutAndEndOfSession) {
  ServerSession s(server_config());
  ClientSession c(client_config());
  c.on_connected(0);
  s.on_connected(0);
  shuttle(c, s, 0);
  EXPECT_TRUE(c.send_unsequenced(reinterpret_cast<const uint8_t*>("order"), 5, 0));
  EXPECT_EQ(c.output().send, test::hex("0006" + test::ascii("Uorder")));
  shuttle(c, s, 0);
  ASSERT_EQ(s.output().events.back().kind, SessionEvent::kUnsequenced);
  EXPECT_EQ(text(s.output().events.back().payload), "order");

  c.logout(0);
  EXPECT_EQ(c.output().send, test::hex("0001" + test::ascii("O")));
  shuttle(c, s, 0);
  EXPECT_EQ(s.output().events.back().kind, SessionEvent::kLoggedOut);
  EXPECT_TRUE(s.output().close);
  EXPECT_EQ(c.state(), ClientSession::State::kDone);

  ServerSession s2(server_config());
  ClientSession c2(client_config());
  c2.on_connected(0);
  s2.on_connected(0);
  shuttle(c2, s2, 0);
  s2.end_session(0);
  EXPECT_EQ(s2.output().send, test::hex("0001" + test::ascii("Z")));
  shuttle(c2, s2, 0);
  EXPECT_EQ(c2.output().events.back().kind, SessionEvent::kEndOfSession);
  EXPECT_EQ(c2.state(), ClientSession::State::kDone);
  EXPECT_EQ(s2.send_sequenced(reinterpret_cast<const uint8_t*>("x"), 1, 0), 0u);
}

// A client away when the session ended logs in after it and still gets what it missed (the day's
// last messages, sent while it was away), then End of Session: no sequenced message is lost to a
// connection that dropped late in the day. Another session name is still refused 'S'.
TEST(SoupSession, ALoginAfterEndOfSessionGetsWhatItMissedThenEndOfSession) {
  ServerSession s(server_config());
  ClientSession c(client_config());
  c.on_connected(0);
  s.on_connected(0);
  shuttle(c, s, 0);
  s.send_sequenced(reinterpret_cast<const uint8_t*>("m1"), 2, 0);
  shuttle(c, s, 0);
  ASSERT_EQ(sequenced(c.output()), (std::vector<uint64_t>{1}));
  c.output().clear();
  c.on_disconnected(1);
  s.on_disconnected(1);
  s.send_sequenced(reinterpret_cast<const uint8_t*>("m2"), 2, 2);
  s.end_session(2);
  EXPECT_TRUE(s.output().send.empty());  // no one logged in to send it to

  c.on_connected(3);
  auto login = take_send(c.output());
  s.on_connected(3);
  s.on_bytes(login.data(), login.size(), 3);
  // Login Accepted (next sequence 2), Sequenced Data "m2", End of Session.
  auto reply = take_send(s.output());
  EXPECT_EQ(reply, test::hex("001F" + test::ascii("A    TEST01") + test::ascii(std::string(19, ' ') + "2") + "0003" +
                             test::ascii("Sm2") + "0001" + test::ascii("Z")));
  EXPECT_TRUE(s.output().close);
  EXPECT_EQ(s.state(), ServerSession::State::kDisconnected);
  c.on_bytes(reply.data(), reply.size(), 3);
  std::vector<std::string> payloads;
  EXPECT_EQ(sequenced(c.output(), &payloads), (std::vector<uint64_t>{2}));
  EXPECT_EQ(payloads, (std::vector<std::string>{"m2"}));
  EXPECT_EQ(c.output().events.back().kind, SessionEvent::kEndOfSession);
  EXPECT_EQ(c.state(), ClientSession::State::kDone);

  auto other = client_config();
  other.session = "OTHER";
  ClientSession o(other);
  o.on_connected(4);
  s.output().clear();
  s.on_connected(4);
  shuttle(o, s, 4);
  EXPECT_EQ(o.output().events.back().kind, SessionEvent::kLoginRejected);
  EXPECT_EQ(o.output().events.back().reason, kRejectSessionNotAvailable);
}

TEST(SoupSession, ProtocolErrorsDropTheConnection) {
  ServerSession s(server_config());
  s.on_connected(0);
  auto early = test::hex("0002" + test::ascii("Ux"));  // data before Login Request
  s.on_bytes(early.data(), early.size(), 0);
  EXPECT_TRUE(s.output().close);
  EXPECT_EQ(s.output().events.back().kind, SessionEvent::kProtocolError);

  ClientSession c(client_config());
  c.on_connected(0);
  auto junk = test::hex("0001" + test::ascii("Q"));  // not a server packet type
  c.on_bytes(junk.data(), junk.size(), 0);
  EXPECT_TRUE(c.output().close);
  EXPECT_EQ(c.output().events.back().kind, SessionEvent::kProtocolError);
  EXPECT_EQ(c.state(), ClientSession::State::kDisconnected);
}

// A sequence number that does not parse is a protocol error that names the field, so a client's
// user learns why the session never came up (it said only "bad sequence number").
TEST(SoupSession, ASequenceNumberThatDoesNotParseIsAProtocolErrorNamingIt) {
  struct Case {
    std::string field;  // 20 bytes
    std::string shown;
  };
  for (const Case& k : {Case{"99999999999999999999", "\"99999999999999999999\""},  // over 2^64 - 1
                        Case{"                 abc", "\"abc\""},
                        Case{std::string("          12") + '\0' + "4\n     ", R"("12\x004\x0A     ")"}}) {
    ClientSession c(client_config());
    c.on_connected(0);
    take_send(c.output());
    // Login Accepted: length 31, 'A', Session 10, Sequence Number 20.
    auto accepted = test::hex("001F" + test::ascii("A    TEST01" + k.field));
    c.on_bytes(accepted.data(), accepted.size(), 0);
    EXPECT_TRUE(c.output().close);
    ASSERT_FALSE(c.output().events.empty());
    const SessionEvent& e = c.output().events.back();
    EXPECT_EQ(e.kind, SessionEvent::kProtocolError);
    EXPECT_EQ(e.text, "Login Accepted: bad sequence number " + k.shown +
                          " (SoupBinTCP takes decimal digits, space-padded on the left, up to 18446744073709551615)");
    EXPECT_EQ(c.state(), ClientSession::State::kDisconnected);
  }

  ServerSession s(server_config());
  s.on_connected(0);
  // Login Request: length 47, 'L', Username 6, Password 10, Session 10, Sequence Number 20.
  auto login = test::hex("002F" + test::ascii("Lalice secret              18446744073709551616"));
  s.on_bytes(login.data(), login.size(), 0);
  EXPECT_TRUE(s.output().close);
  ASSERT_FALSE(s.output().events.empty());
  EXPECT_NE(s.output().events.back().text.find("bad requested sequence number \"18446744073709551616\""), std::string::npos)
      << s.output().events.back().text;
}

// ---- Loopback TCP ----------------------------------------------------------------------------

uint64_t now_ns() {
  return uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count());
}

TEST(SoupSessionTcp, DroppedConnectionLosesNothingAndRepeatsNothing) {
  constexpr uint64_t kMessages = 5000;
  for (bool client_drops : {true, false}) {
    tcp::Listener listener;
    ServerSession server(server_config());
    ClientSession client(client_config());
    tcp::Socket server_sock, client_sock;
    std::vector<uint64_t> got;
    bool dropped = false;
    int reconnects = 0;
    uint64_t produced = 0;
    const uint64_t deadline = now_ns() + 20 * kSec;
    while (got.size() < kMessages && now_ns() < deadline) {
      uint64_t now = now_ns();
      if (!client_sock.open() && client.state() == ClientSession::State::kDisconnected) {
        client_sock = tcp::connect_loopback(listener.port());
        client.on_connected(now);
        ++reconnects;
      }
      if (tcp::Socket in = listener.accept(); in.open()) {
        if (server_sock.open()) server.on_disconnected(now);  // the old connection is gone
        server_sock = std::move(in);
        server.on_connected(now);
      }
      // The server's application produces whether or not anyone is connected.
      for (int i = 0; i < 50 && produced < kMessages; ++i) {
        std::string m = "msg-" + std::to_string(++produced);
        server.send_sequenced(reinterpret_cast<const uint8_t*>(m.data()), m.size(), now);
      }
      tcp::pump(server_sock, server, now);
      tcp::pump(client_sock, client, now);
      for (auto& e : client.output().events) {
        if (e.kind == SessionEvent::kSequenced) {
          ASSERT_EQ(text(e.payload), "msg-" + std::to_string(e.sequence));
          got.push_back(e.sequence);
        }
      }
      client.output().events.clear();
      server.output().events.clear();
      if (!dropped && got.size() >= kMessages / 3) {
        // Drop with unread bytes in flight: a reset, so what the kernel holds is lost.
        dropped = true;
        if (client_drops) {
          client_sock.close(/*reset=*/true);
          client.on_disconnected(now);
        } else {
          server_sock.close(/*reset=*/true);
          server.on_disconnected(now);
        }
      }
    }
    ASSERT_EQ(got.size(), kMessages) << "client_drops=" << client_drops;
    for (uint64_t i = 0; i < kMessages; ++i) ASSERT_EQ(got[i], i + 1);
    EXPECT_EQ(reconnects, 2) << "client_drops=" << client_drops;
    EXPECT_TRUE(dropped);
  }
}

// The venue's audit stamps an inbound message's read_ns through this pump: right after the read that
// returned it, before the session has handled its bytes; a round that reads nothing stamps at its end.
TEST(SoupSessionTcp, PumpStampsTheReadBeforeTheSessionHandlesIt) {
  tcp::Listener listener;
  ServerSession server(server_config());
  ClientSession client(client_config());
  tcp::Socket client_sock = tcp::connect_loopback(listener.port());
  tcp::Socket server_sock;
  const uint64_t deadline = now_ns() + 5 * kSec;
  while (!server_sock.open() && now_ns() < deadline) server_sock = listener.accept();
  ASSERT_TRUE(server_sock.open());
  server.on_connected(0);
  client.on_connected(0);
  tcp::pump(client_sock, client, 0);  // the login request goes out

  size_t events_at_stamp = SIZE_MAX;
  int clock_calls = 0;
  const std::function<uint64_t()> clock = [&]() -> uint64_t {
    events_at_stamp = server.output().events.size();
    return uint64_t(++clock_calls) * 1000;
  };
  uint64_t read_ns = 0;
  while (server.output().events.empty() && now_ns() < deadline) {
    clock_calls = 0;
    tcp::pump(server_sock, server, 0, clock, read_ns);
    ASSERT_EQ(clock_calls, 1);
  }
  ASSERT_FALSE(server.output().events.empty()) << "the login never arrived";
  EXPECT_EQ(events_at_stamp, 0u) << "stamped after the session handled the bytes";
  EXPECT_EQ(read_ns, 1000u);

  // Nothing to read: stamped once, at the end of the round.
  server.output().events.clear();
  clock_calls = 1;  // the clock's next answer is 2000
  read_ns = 0;
  tcp::pump(server_sock, server, 0, clock, read_ns);
  EXPECT_EQ(clock_calls, 2);
  EXPECT_EQ(read_ns, 2000u);
}

}  // namespace
}  // namespace colo::soup
