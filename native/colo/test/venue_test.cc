// The venue end to end on loopback, in-process: a simulated flow played as fast as possible,
// MoldUDP64 packets dropped on purpose, a subscriber (MoldUdpReceiver + book::Book) that joins
// with a count-0 request, and two OUCH clients over SoupBinTCP. Alice's orders partially fill
// (one IOC, one resting), one is rejected, one is cancelled; she drops her connection while Bob
// trades against her resting order, and reconnects. Checks: her executions equal the audit
// trail's, her sequenced stream has no gap and no repeat, and the subscriber's book equals the
// venue's at the end.
#include "colo/venue.h"

#include <gtest/gtest.h>

#include "test_orders.h"
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <sys/socket.h>
#include <cmath>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "colo/book.h"
#include "colo/itch_sim.h"
#include "colo/soup_session.h"
#include "colo/soup_tcp.h"

namespace colo::venue {
namespace {

uint64_t now_ns() {
  return uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count());
}

// A simulated session of `messages` order-flow messages over `symbols` symbols (itch_sim.h).
std::vector<uint8_t> simulated(uint64_t messages, uint16_t symbols, uint64_t seed) {
  itch::SimOptions so;
  so.messages = messages;
  so.symbols = symbols;
  so.seed = seed;
  return itch::simulate_session(so);
}

struct Client {
  soup::ClientSession session;
  soup::tcp::Socket sock;
  std::vector<uint64_t> seqs;
  std::vector<ouch42::Outbound> msgs;
  bool ended = false;
  char rejected = 0;  // the Login Rejected reason
  Client(const std::string& user, const std::string& pw)
      : session(soup::ClientSession::Config{user, pw, "", 1, {}, 4096}) {}
  void connect(uint16_t port, uint64_t t) {
    sock = soup::tcp::connect_loopback(port);
    session.on_connected(t);
  }
  void pump(uint64_t t) {
    if (!sock.open()) return;
    soup::tcp::pump(sock, session, t);
    for (auto& e : session.output().events) {
      if (e.kind == soup::SessionEvent::kSequenced) {
        seqs.push_back(e.sequence);
        ouch42::Outbound m;
        EXPECT_EQ(ouch42::decode_outbound(e.payload.data(), e.payload.size(), m), DecodeStatus::kOk);
        msgs.push_back(m);
      }
      if (e.kind == soup::SessionEvent::kEndOfSession) ended = true;
      if (e.kind == soup::SessionEvent::kLoginRejected) rejected = e.reason;
    }
    session.output().events.clear();
  }
  void send(const ouch42::Inbound& m, uint64_t t) {
    uint8_t b[ouch42::kMaxMessageLength];
    const size_t n = ouch42::encode(m, b);
    ASSERT_TRUE(session.send_unsequenced(b, n, t));
  }
  template <class M>
  std::vector<M> all() const {
    std::vector<M> v;
    for (const auto& m : msgs) {
      if (auto* x = std::get_if<M>(&m)) v.push_back(*x);
    }
    return v;
  }
};

ouch42::EnterOrder order(const std::string& token, char side, uint32_t shares, const std::string& stock,
                         uint32_t price, uint32_t tif = ouch42::kTifMarketHours) {
  return test::enter_order(token, side, shares, stock, price, tif);
}

// The number after "key": in a JSON line (the audit's flat numeric fields).
uint64_t number_after(const std::string& line, const std::string& key) {
  const size_t at = line.find("\"" + key + "\":");
  if (at == std::string::npos) return UINT64_MAX;
  return std::stoull(line.substr(at + key.size() + 3));
}

TEST(VenueLoopback, ClientsAndASubscriberSeeOneMarketThroughDropsAndAReconnect) {
  const std::vector<uint8_t> flow = simulated(3000, 3, 11);
  const std::string audit_path = ::testing::TempDir() + "venue_audit_" + std::to_string(::getpid()) + ".jsonl";

  VenueConfig cfg;
  cfg.flow = flow;
  cfg.speed = 0;
  cfg.max_flow_per_poll = 10;
  cfg.users = {{"alice", "pw-a"}, {"bob", "pw-b"}};
  cfg.session = "TEST1";
  cfg.audit_path = audit_path;
  cfg.drop.insert(1);
  for (uint64_t s = 7; s < 5000; s += 7) cfg.drop.insert(s);
  Venue v(cfg);

  mold::ReceiverConfig rc;
  rc.request_timeout_ns = 20'000'000;
  mold::MoldUdpReceiver rx(v.rerequest_port(), rc);
  rx.join();
  book::Book sub;
  struct NoSink {
    void on_quote(const book::QuoteChange&) {}
    void on_trade(const book::TradePrint&) {}
  } sink;

  Client alice("alice", "pw-a"), bob("bob", "pw-b");
  alice.connect(v.ouch_port(), now_ns());
  bob.connect(v.ouch_port(), now_ns());

  enum Phase { kWaitBook, kAwaitAcks, kAliceAway, kBack, kAwaitCancel, kEnding, kDone };
  Phase phase = kWaitBook;
  uint32_t resting_price = 0;
  std::string sym;
  int reconnects = 0;
  const uint64_t deadline = now_ns() + 4'000'000'000ULL;
  while (phase != kDone && now_ns() < deadline) {
    const uint64_t t = now_ns();
    v.poll(t);
    rx.pump(t, [&](uint64_t, mold::Bytes m) { sub.apply_bytes(m.data(), m.size(), sink); });
    alice.pump(t);
    bob.pump(t);
    switch (phase) {
      case kWaitBook: {
        if (alice.session.state() != soup::ClientSession::State::kLoggedIn ||
            bob.session.state() != soup::ClientSession::State::kLoggedIn) {
          break;
        }
        const book::Top top = v.engine().top(1);
        if (!top.bid || !top.ask) break;
        sym = v.engine().symbols()[0];
        // IOC through the ask: part fills, the rest is cancelled.
        alice.send(order("P1", 'B', uint32_t(top.ask_size) + 100, sym, top.ask, 0), t);
        // At the ask P1 emptied: above every bid, below the new ask, so it rests as the best bid.
        resting_price = top.ask;
        alice.send(order("R1", 'B', 300, sym, resting_price, ouch42::kTifMarketHours), t);
        alice.send(order("J1", 'B', 100, "NOPE", 10000, ouch42::kTifMarketHours), t);  // unknown symbol
        phase = kAwaitAcks;
        break;
      }
      case kAwaitAcks:
        if (alice.all<ouch42::Rejected>().empty() || alice.all<ouch42::Accepted>().size() < 2) break;
        alice.sock.close();  // the connection drops mid-stream
        alice.session.on_disconnected(t);
        // Bob sells into her resting order while she is away.
        bob.send(order("B1", 'S', 100, sym, resting_price, 0), t);
        phase = kAliceAway;
        break;
      case kAliceAway:
        if (bob.all<ouch42::Executed>().empty() && bob.all<ouch42::Canceled>().empty()) break;
        if (v.clients_connected() != 1) break;  // the venue has seen her go
        alice.connect(v.ouch_port(), t);
        ++reconnects;
        phase = kBack;
        break;
      case kBack:
        if (alice.session.state() != soup::ClientSession::State::kLoggedIn) break;
        alice.send(ouch42::CancelOrder{ouch42::Token::of("R1"), 0}, t);
        phase = kAwaitCancel;
        break;
      case kAwaitCancel: {
        bool cancelled = false;
        for (const auto& c : alice.all<ouch42::Canceled>()) cancelled |= c.order_token.view() == "R1";
        // (R1 may have been filled entirely by the flow: then the cancel is a no-op.)
        if (!cancelled && v.engine().client_shares(1, "R1") > 0) break;
        if (!v.flow_done()) break;
        v.end_session(t);
        phase = kEnding;
        break;
      }
      case kEnding:
        if (alice.ended && bob.ended && rx.receiver().ended()) phase = kDone;
        break;
      case kDone: break;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  ASSERT_EQ(phase, kDone) << "timed out; delivered " << rx.receiver().stats().delivered << " of "
                          << v.feed().next_sequence() - 1;
  EXPECT_EQ(reconnects, 1);

  // Alice's stream: 1..N once each, across the reconnect.
  for (size_t i = 0; i < alice.seqs.size(); ++i) ASSERT_EQ(alice.seqs[i], i + 1);
  auto fills = alice.all<ouch42::Executed>();
  bool removed = false, added = false;
  for (const auto& f : fills) removed |= f.liquidity_flag == 'R', added |= f.liquidity_flag == 'A';
  EXPECT_TRUE(removed);
  EXPECT_TRUE(added);  // Bob (or the flow) hit R1 while she was away
  bool ioc_rest = false;
  for (const auto& c : alice.all<ouch42::Canceled>()) ioc_rest |= c.order_token.view() == "P1" && c.reason == 'I';
  EXPECT_TRUE(ioc_rest);
  ASSERT_EQ(alice.all<ouch42::Rejected>().size(), 1u);
  EXPECT_EQ(alice.all<ouch42::Rejected>()[0].reason, reject::kInvalidStock);

  // The audit trail agrees.
  std::ifstream in(audit_path);
  std::string line;
  std::vector<std::pair<uint64_t, uint64_t>> audit_fills;  // match number, shares
  uint64_t alice_out = 0, itch_out = 0, alice_in = 0;
  while (std::getline(in, line)) {
    ASSERT_EQ(line.front(), '{');
    ASSERT_EQ(line.back(), '}');
    ASSERT_NE(number_after(line, "real_ns"), UINT64_MAX);
    const bool is_alice = line.find("\"session\":\"alice\"") != std::string::npos;
    if (line.find("\"proto\":\"itch\"") != std::string::npos) {
      EXPECT_EQ(number_after(line, "seq"), ++itch_out);
    }
    if (is_alice && line.find("\"dir\":\"in\",\"proto\":\"ouch\"") != std::string::npos) ++alice_in;
    if (is_alice && line.find("\"dir\":\"out\",\"proto\":\"ouch\"") != std::string::npos) {
      EXPECT_EQ(number_after(line, "seq"), ++alice_out);
      if (line.find("\"name\":\"Executed\"") != std::string::npos) {
        audit_fills.push_back({number_after(line, "match_number"), number_after(line, "executed_shares")});
      }
      if (line.find("\"name\":\"Rejected\"") != std::string::npos) {
        EXPECT_NE(line.find("\"reason\":\"unknown symbol 'NOPE'\""), std::string::npos) << line;
      }
    }
  }
  EXPECT_EQ(alice_in, 4u);
  EXPECT_EQ(alice_out, alice.seqs.size());
  ASSERT_EQ(audit_fills.size(), fills.size());
  for (size_t i = 0; i < fills.size(); ++i) {
    EXPECT_EQ(audit_fills[i].first, fills[i].match_number);
    EXPECT_EQ(audit_fills[i].second, fills[i].executed_shares);
  }
  EXPECT_EQ(itch_out, v.feed().next_sequence() - 1);

  // The feed: packets were lost on purpose, recovered, and the books agree.
  EXPECT_GT(v.feed().stats().packets_dropped, 0u);
  EXPECT_GT(rx.receiver().stats().gaps, 0u);
  EXPECT_EQ(rx.receiver().stats().delivered, v.feed().next_sequence() - 1);
  for (uint16_t loc = 1; loc <= v.engine().symbols().size(); ++loc) {
    const book::SymbolBook* sb = sub.symbol_book(loc);
    ASSERT_NE(sb, nullptr);
    EXPECT_EQ(sb->top(), v.engine().top(loc));
    auto bids = sb->bids.depth(SIZE_MAX), asks = sb->asks.depth(SIZE_MAX);
    auto vb = v.engine().depth(loc, 'B'), va = v.engine().depth(loc, 'S');
    ASSERT_EQ(bids.size(), vb.size());
    ASSERT_EQ(asks.size(), va.size());
    for (size_t i = 0; i < bids.size(); ++i) EXPECT_EQ(bids[i].shares, vb[i].shares);
    for (size_t i = 0; i < asks.size(); ++i) EXPECT_EQ(asks[i].shares, va[i].shares);
  }
  for (auto n : sub.stats().errors) EXPECT_EQ(n, 0u);
  if (!HasFailure()) std::remove(audit_path.c_str());
}

TEST(VenueLoopback, UnknownUsersAndSecondConnectionsAreRefused) {
  const std::vector<uint8_t> flow;
  VenueConfig cfg;
  cfg.flow = flow;
  cfg.users = {{"alice", "pw"}};
  Venue v(cfg);
  Client a("alice", "pw"), again("alice", "pw"), wrong("mallor", "x"), guess("alice", "guess");
  const uint64_t t0 = now_ns();
  a.connect(v.ouch_port(), t0);
  for (int i = 0; i < 200 && a.session.state() != soup::ClientSession::State::kLoggedIn; ++i) {
    v.poll(now_ns());
    a.pump(now_ns());
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  ASSERT_EQ(a.session.state(), soup::ClientSession::State::kLoggedIn);
  again.connect(v.ouch_port(), now_ns());
  wrong.connect(v.ouch_port(), now_ns());
  guess.connect(v.ouch_port(), now_ns());
  for (int i = 0; i < 200 && (again.session.state() != soup::ClientSession::State::kDone ||
                              wrong.session.state() != soup::ClientSession::State::kDone ||
                              guess.session.state() != soup::ClientSession::State::kDone);
       ++i) {
    v.poll(now_ns());
    a.pump(now_ns());
    again.pump(now_ns());
    wrong.pump(now_ns());
    guess.pump(now_ns());
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  EXPECT_EQ(again.rejected, 'S');
  EXPECT_EQ(wrong.rejected, 'A');
  // A wrong password for a user who is logged in is told 'A', as for any wrong password: not 'S',
  // which would tell it that the user is logged in.
  EXPECT_EQ(guess.rejected, 'A');
  EXPECT_EQ(v.logins_refused(), 3u);
  ASSERT_FALSE(a.msgs.empty());
  EXPECT_EQ(std::get<ouch42::SystemEvent>(a.msgs[0]).event_code, 'S');
}

// A session away at the end of the day: its resting order expires (Canceled 'T') and the day ends
// ('E') while no connection is there to take them. They are its sequenced messages all the same, so
// its login after End of Session replays them, then ends the session for it too.
TEST(VenueLoopback, ASessionAwayAtTheEndGetsItsEndOfDayCancelsWhenItLogsInAgain) {
  const std::vector<uint8_t> flow;
  VenueConfig cfg;
  cfg.flow = flow;
  cfg.symbols = {"AAPL"};
  cfg.users = {{"alice", "pw"}};
  Venue v(cfg);
  Client a("alice", "pw");
  a.connect(v.ouch_port(), now_ns());
  auto poll_until = [&](auto done) {
    for (int i = 0; i < 2000 && !done(); ++i) {
      v.poll(now_ns());
      a.pump(now_ns());
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return done();
  };
  ASSERT_TRUE(poll_until([&] { return a.session.state() == soup::ClientSession::State::kLoggedIn; }));
  a.send(order("R1", 'B', 300, "AAPL", 10'0000), now_ns());
  ASSERT_TRUE(poll_until([&] { return !a.all<ouch42::Accepted>().empty(); }));
  a.sock.close();
  a.session.on_disconnected(now_ns());
  ASSERT_TRUE(poll_until([&] { return v.clients_connected() == 0; }));
  v.end_session(now_ns());
  EXPECT_EQ(v.engine().live_orders(), 0u);

  const size_t before = a.msgs.size();
  a.connect(v.ouch_port(), now_ns());
  ASSERT_TRUE(poll_until([&] { return a.ended; })) << "no End of Session after the login again";
  EXPECT_EQ(a.rejected, 0);
  ASSERT_EQ(a.msgs.size(), before + 2);
  const auto& cancel = std::get<ouch42::Canceled>(a.msgs[before]);
  EXPECT_EQ(cancel.order_token.view(), "R1");
  EXPECT_EQ(cancel.decrement_shares, 300u);
  EXPECT_EQ(cancel.reason, 'T');
  EXPECT_EQ(std::get<ouch42::SystemEvent>(a.msgs[before + 1]).event_code, 'E');
  for (size_t i = 0; i < a.seqs.size(); ++i) EXPECT_EQ(a.seqs[i], i + 1) << "each message once, in order";
}

TEST(VenueLoopback, AFastClockStopsAtTheDaysLastNanosecond) {
  // At --speed 1e6 one wall second is 11.6 days of flow time: past midnight, and past the 78 h that
  // ITCH's and OUCH's 48-bit nanoseconds since midnight can hold (the stamps wrapped to small values).
  itch::SimOptions so;
  so.messages = 50;
  so.symbols = 1;
  so.seed = 3;
  const std::vector<uint8_t> flow = itch::simulate_session(so);  // the config holds a view of it
  VenueConfig cfg;
  cfg.flow = flow;
  cfg.speed = 1e6;
  cfg.users = {{"alice", "pw"}};
  Venue v(cfg);
  Client a("alice", "pw");
  a.connect(v.ouch_port(), now_ns());
  for (int i = 0; i < 200 && a.session.state() != soup::ClientSession::State::kLoggedIn; ++i) {
    v.poll(now_ns());
    a.pump(now_ns());
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  ASSERT_EQ(a.session.state(), soup::ClientSession::State::kLoggedIn);
  const size_t before = a.msgs.size();
  a.send(order("LATE1", 'B', 100, "NOSUCH", 100'0000), now_ns());
  const uint64_t later = now_ns() + 1'000'000'000ULL;
  for (int i = 0; i < 200 && a.msgs.size() == before; ++i) {
    a.pump(now_ns());
    v.poll(later + uint64_t(i) * 1000);
    a.pump(now_ns());
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  ASSERT_GT(a.msgs.size(), before);  // the refusal of the order for an unknown stock
  constexpr uint64_t kLastOfDay = 86'400'000'000'000ULL - 1;
  for (size_t i = before; i < a.msgs.size(); ++i) {
    const uint64_t ts = std::visit([](const auto& m) { return uint64_t(m.timestamp); }, a.msgs[i]);
    EXPECT_EQ(ts, kLastOfDay) << "message " << i;
  }
}

// Polls until `c` is logged in (real time); false if it did not within 200 polls.
bool log_in(Venue& v, Client& c) {
  for (int i = 0; i < 200 && c.session.state() != soup::ClientSession::State::kLoggedIn; ++i) {
    v.poll(now_ns());
    c.pump(now_ns());
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return c.session.state() == soup::ClientSession::State::kLoggedIn;
}

std::vector<std::string> audit_lines(const std::string& path, const std::string& needle) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    if (line.find(needle) != std::string::npos) out.push_back(line);
  }
  return out;
}

void send_join(const mold::UdpSocket& s, uint16_t port) {
  uint8_t req[mold::kRequestLength];
  mold::write_request(mold::Request{mold::Session::of(""), 0, 0}, req);
  s.send_to(port, mold::Bytes{req, sizeof req});
}

TEST(VenueFeed, AReRequestFloodIsAnsweredInTurnsWhileOrdersAndTheLiveFeedGoOn) {
  // 2000 requests for the whole session (~600 datagrams each) from 8 ports: answered in full at
  // once, they were 1.2 M datagrams in one poll (seconds; with a flood that never stops, for ever).
  const std::vector<uint8_t> flow = simulated(20000, 3, 7);
  VenueConfig cfg;
  cfg.flow = flow;
  cfg.speed = 0;
  cfg.max_flow_per_poll = 1'000'000;
  cfg.users = {{"bob", "pw"}};
  cfg.session = "FLOOD";
  Venue v(cfg);
  Client bob("bob", "pw");
  bob.connect(v.ouch_port(), now_ns());
  ASSERT_TRUE(log_in(v, bob));
  for (int i = 0; i < 100 && !v.flow_done(); ++i) v.poll(now_ns());
  ASSERT_TRUE(v.flow_done());
  mold::UdpSocket sub = mold::UdpSocket::bind_loopback();  // a subscriber reading the live feed
  send_join(sub, v.rerequest_port());
  v.poll(now_ns());
  ASSERT_EQ(v.feed().subscribers().size(), 1u);
  const uint64_t live_seq = v.feed().next_sequence();

  std::vector<mold::UdpSocket> flooders;
  for (int k = 0; k < 8; ++k) flooders.push_back(mold::UdpSocket::bind_loopback());
  uint8_t req[mold::kRequestLength];
  mold::write_request(mold::Request{mold::Session::of("FLOOD"), 1, 65534}, req);
  for (int i = 0; i < 250; ++i) {
    for (const auto& f : flooders) ASSERT_TRUE(f.send_to(v.rerequest_port(), mold::Bytes{req, sizeof req}));
  }
  // Bob's buy at $0.0001 rests: an Accepted for him, an Add Order on the live feed.
  const size_t before = bob.msgs.size();
  bob.send(order("FL1", 'B', 100, v.engine().symbols()[0], 1), now_ns());
  bob.pump(now_ns());

  int polls = 0;
  bool accepted = false, live = false;
  uint64_t slowest_ns = 0;
  for (; polls < 10 && !(accepted && live); ++polls) {
    const uint64_t sent_before = v.feed().stats().retransmitted;
    const uint64_t t = now_ns();
    v.poll(t);
    slowest_ns = std::max(slowest_ns, now_ns() - t);
    EXPECT_LE(v.feed().stats().retransmitted - sent_before, mold::kAnswerDatagramsPerServe);
    bob.pump(now_ns());
    for (size_t i = before; i < bob.msgs.size(); ++i) accepted |= std::holds_alternative<ouch42::Accepted>(bob.msgs[i]);
    uint8_t buf[2048];
    while (auto n = sub.recv(buf)) {
      const mold::Packet pk = mold::parse_packet(buf, *n);
      live |= pk.ok() && pk.kind == mold::PacketKind::kData && pk.end_sequence() > live_seq;
    }
  }
  EXPECT_TRUE(accepted);
  EXPECT_TRUE(live);
  EXPECT_LE(polls, 2);
  EXPECT_LT(slowest_ns, 500'000'000u);  // generous: a poll of the bounded service takes a few ms
  // The rest is answered in later polls, each request clamped to kMaxRequestCount messages.
  for (int i = 0; i < 200 && v.feed().busy(); ++i) v.poll(now_ns());
  EXPECT_FALSE(v.feed().busy());
  EXPECT_EQ(v.feed().stats().requests_clamped, 2000u);
  // One job per port (4096 messages ≈ 110 datagrams), not renewed while the same range is asked
  // again: the 2000 requests cost a few jobs per port, not 2000 answers of the whole session.
  EXPECT_LT(v.feed().stats().retransmitted, 8u * 4 * 120);
}

TEST(VenueFeed, SilentSubscribersExpireAndARefusedJoinIsAudited) {
  const std::vector<uint8_t> flow;
  const std::string audit_path = ::testing::TempDir() + "venue_feed_" + std::to_string(::getpid()) + ".jsonl";
  VenueConfig cfg;
  cfg.flow = flow;
  cfg.max_subscribers = 2;
  cfg.audit_path = audit_path;
  Venue v(cfg);
  mold::UdpSocket a = mold::UdpSocket::bind_loopback(), b = mold::UdpSocket::bind_loopback(),
                  c = mold::UdpSocket::bind_loopback();
  constexpr uint64_t kS = 1'000'000'000;
  const uint64_t t0 = 1000 * kS;  // poll times: the venue's clock is the caller's
  send_join(a, v.rerequest_port());
  send_join(b, v.rerequest_port());
  v.poll(t0);
  ASSERT_EQ(v.feed().subscribers().size(), 2u);
  send_join(c, v.rerequest_port());  // the feed is full
  v.poll(t0 + kS);
  EXPECT_EQ(v.feed().subscribers(), (std::vector<uint16_t>{a.port(), b.port()}));
  // a joins again every kJoinKeepaliveNs (as the project's receivers do); b is silent.
  for (uint64_t t = t0 + mold::kJoinKeepaliveNs; t <= t0 + mold::kSubscriberTimeoutNs; t += mold::kJoinKeepaliveNs) {
    send_join(a, v.rerequest_port());
    v.poll(t);
  }
  v.poll(t0 + mold::kSubscriberTimeoutNs + kS);  // b silent for longer than kSubscriberTimeoutNs
  send_join(c, v.rerequest_port());
  v.poll(t0 + mold::kSubscriberTimeoutNs + 2 * kS);
  EXPECT_EQ(v.feed().subscribers(), (std::vector<uint16_t>{a.port(), c.port()}));
  const auto refused = audit_lines(audit_path, "\"event\":\"join refused\"");
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_NE(refused[0].find("\"port\":" + std::to_string(c.port())), std::string::npos) << refused[0];
  EXPECT_NE(refused[0].find("feed full: 2 subscribers"), std::string::npos) << refused[0];
  const auto expired = audit_lines(audit_path, "\"event\":\"subscriber expired\"");
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_NE(expired[0].find("\"port\":" + std::to_string(b.port())), std::string::npos) << expired[0];
  std::remove(audit_path.c_str());
}

TEST(VenueLoopback, ConnectionsThatDoNotLogInAreDroppedWithinTwoSecondsAndRefusalsAreAudited) {
  // 66 connections that send nothing: 64 wait (the most that may), 2 are refused. After 2 s the
  // 64 are dropped and a real login goes through (it waited 15 s, and an attacker could renew them).
  const std::vector<uint8_t> flow;
  const std::string audit_path = ::testing::TempDir() + "venue_pending_" + std::to_string(::getpid()) + ".jsonl";
  VenueConfig cfg;
  cfg.flow = flow;
  cfg.users = {{"alice", "pw"}};
  cfg.audit_path = audit_path;
  Venue v(cfg);
  constexpr uint64_t kS = 1'000'000'000;
  const uint64_t t0 = 1000 * kS;
  std::vector<soup::tcp::Socket> idle;
  for (int i = 0; i < 66; ++i) {
    idle.push_back(soup::tcp::connect_loopback(v.ouch_port()));
    for (int k = 0; k < 3; ++k) v.poll(t0);  // accept as they come (the listen backlog is short)
  }
  for (int k = 0; k < 50 && v.clients_connected() < 64; ++k) {
    v.poll(t0);
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  EXPECT_EQ(v.clients_connected(), 64u);
  const auto full = audit_lines(audit_path, "too many connections waiting to log in (64)");
  EXPECT_EQ(full.size(), 2u);
  // Alice connects when the 64 have been waiting 2 s: they are dropped, she logs in.
  Client alice("alice", "pw");
  alice.connect(v.ouch_port(), now_ns());
  const uint64_t t1 = t0 + 2 * kS;
  for (int i = 0; i < 200 && alice.session.state() != soup::ClientSession::State::kLoggedIn; ++i) {
    v.poll(t1 + uint64_t(i) * 1000);
    alice.pump(now_ns());
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  EXPECT_EQ(alice.session.state(), soup::ClientSession::State::kLoggedIn);
  EXPECT_EQ(v.clients_connected(), 1u);
  EXPECT_EQ(audit_lines(audit_path, "no Login Request within 2000 ms of connecting").size(), 64u);
  std::remove(audit_path.c_str());
}

// Writes SoupBinTCP Unsequenced Data packets of IOC buys at $0.0001 (each Accepted, then
// Canceled) into `s` as far as the kernel takes them; returns the orders written whole.
size_t blast(soup::tcp::Socket& s, const std::string& symbol, size_t orders, size_t& next_token) {
  std::vector<uint8_t> bytes;
  for (size_t i = 0; i < orders; ++i) {
    uint8_t m[ouch42::kMaxMessageLength];
    char token[16];
    std::snprintf(token, sizeof token, "T%zu", next_token + i);
    const size_t n = ouch42::encode(ouch42::Inbound{order(token, 'B', 1, symbol, 1, 0)}, m);
    soup::append_packet(bytes, soup::kUnsequencedData, m, n);
  }
  const size_t per = bytes.size() / orders;
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t w = ::send(s.fd(), bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (w <= 0) break;
    done += size_t(w);
  }
  // An order cut by the socket's limit is completed, so the stream stays framed.
  if (done % per != 0) {
    const size_t end = (done / per + 1) * per;
    while (done < end) {
      const ssize_t w = ::send(s.fd(), bytes.data() + done, end - done, MSG_NOSIGNAL);
      if (w > 0) done += size_t(w);
    }
  }
  next_token += done / per;
  return done / per;
}

TEST(VenueLoopback, OneSessionsBurstIsReadInSlicesSoTheOthersAreServedBetween) {
  const std::vector<uint8_t> flow = simulated(50, 1, 3);
  VenueConfig cfg;
  cfg.flow = flow;
  cfg.speed = 0;
  cfg.users = {{"alice", "pw"}, {"bob", "pw"}};
  Venue v(cfg);
  Client alice("alice", "pw"), bob("bob", "pw");
  alice.connect(v.ouch_port(), now_ns());
  bob.connect(v.ouch_port(), now_ns());
  ASSERT_TRUE(log_in(v, alice));
  ASSERT_TRUE(log_in(v, bob));
  for (int i = 0; i < 100 && !v.flow_done(); ++i) v.poll(now_ns());
  const std::string sym = v.engine().symbols()[0];
  const uint64_t orders_before = v.engine().stats().client_orders;
  size_t token = 0;
  const size_t sent = blast(alice.sock, sym, 20000, token);
  ASSERT_GT(sent * 52, 3u * 64 * 1024) << "the kernel took too little of the burst to test slicing";
  const size_t bob_before = bob.msgs.size();
  bob.send(order("BOB1", 'B', 1, sym, 1, 0), now_ns());
  bob.pump(now_ns());
  v.poll(now_ns());
  // One poll read at most 64 KiB of alice's burst in each of its two reads of every session
  // (~2520 orders of 52 bytes), and bob's order.
  EXPECT_LE(v.engine().stats().client_orders - orders_before, 2 * 64u * 1024 / 52 + 2);
  for (int i = 0; i < 20 && bob.msgs.size() == bob_before; ++i) bob.pump(now_ns());
  EXPECT_GT(bob.msgs.size(), bob_before);
  // The rest of the burst is read in later polls.
  for (int i = 0; i < 1000 && v.engine().stats().client_orders - orders_before < sent + 1; ++i) {
    v.poll(now_ns());
    alice.pump(now_ns());
  }
  EXPECT_EQ(v.engine().stats().client_orders - orders_before, sent + 1);
}

TEST(VenueLoopback, AClientThatDoesNotReadIsDisconnectedPastFourMebibytesUnsent) {
  const std::vector<uint8_t> flow = simulated(50, 1, 3);
  const std::string audit_path = ::testing::TempDir() + "venue_unread_" + std::to_string(::getpid()) + ".jsonl";
  VenueConfig cfg;
  cfg.flow = flow;
  cfg.speed = 0;
  cfg.users = {{"alice", "pw"}};
  cfg.audit_path = audit_path;
  Venue v(cfg);
  Client alice("alice", "pw");
  alice.connect(v.ouch_port(), now_ns());
  ASSERT_TRUE(log_in(v, alice));
  for (int i = 0; i < 100 && !v.flow_done(); ++i) v.poll(now_ns());
  const std::string sym = v.engine().symbols()[0];
  // Alice sends IOC orders (each answered with an Accepted and a Canceled, ~100 bytes for her
  // 52) and reads nothing, until the venue gives up on her: at most ~25 MB of answers.
  size_t token = 0;
  for (int i = 0; i < 20000 && v.clients_connected() == 1; ++i) {
    blast(alice.sock, sym, 500, token);
    v.poll(now_ns());
    if (token > 250'000) break;
  }
  EXPECT_EQ(v.clients_connected(), 0u);
  const auto lines = audit_lines(audit_path, "\"event\":\"disconnected\"");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("unread"), std::string::npos) << lines[0];
  std::remove(audit_path.c_str());
}

TEST(VenueClock, AnAnchorSharedWithOtherProcessesPlacesTheOpenAtItsPollTime) {
  // alpha venue start --open-at: the open (09:30) at poll time 50 s, at 60×. The simulated flow
  // starts at 09:30 too, so nothing of it plays before poll time 50 s, and it plays after.
  const std::vector<uint8_t> flow = simulated(200, 2, 5);
  constexpr uint64_t kOpen = 34'200'000'000'000ULL;
  constexpr int64_t kOpenPoll = 50'000'000'000LL;
  VenueConfig cfg;
  cfg.flow = flow;
  cfg.speed = 60;
  cfg.users = {{"alice", "pw"}};
  cfg.anchor = ClockAnchor{kOpenPoll, kOpen};
  Venue v(cfg);
  EXPECT_EQ(v.poll_time_of(kOpen, 1), kOpenPoll);
  EXPECT_EQ(v.poll_time_of(kOpen + 60'000'000'000ULL, 1), kOpenPoll + 1'000'000'000LL);  // a flow minute, a poll second
  EXPECT_EQ(v.poll_time_of(kOpen - 600'000'000'000ULL, 1), kOpenPoll - 10'000'000'000LL);
  // A client logged in 40 poll seconds before the open: its Start of Day is stamped on the shared
  // clock (40 flow minutes before 09:30), not at the flow's first record.
  Client a("alice", "pw");
  a.connect(v.ouch_port(), now_ns());
  const uint64_t early = 10'000'000'000ULL;
  for (int i = 0; i < 200 && a.msgs.empty(); ++i) {
    v.poll(early + uint64_t(i));
    a.pump(now_ns());
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  ASSERT_FALSE(a.msgs.empty());
  const uint64_t stamped = std::get<ouch42::SystemEvent>(a.msgs[0]).timestamp;
  EXPECT_NEAR(double(stamped), double(kOpen - 2'400'000'000'000ULL), 1e6) << "40 flow minutes before the open";
  v.poll(kOpenPoll - 1'000'000);
  EXPECT_EQ(v.flow_stats().messages, 0u) << "played before the open";
  v.poll(uint64_t(kOpenPoll) + 3'600'000'000'000ULL);  // an hour of poll time later: the whole flow is due
  for (int i = 0; i < 100 && !v.flow_done(); ++i) v.poll(uint64_t(kOpenPoll) + 3'600'000'000'000ULL + uint64_t(i));
  EXPECT_TRUE(v.flow_done());
}

TEST(VenueClock, WithoutAnAnchorTheFlowStartsAtTheFirstPollOrTheFirstAskForTheOpen) {
  itch::SimOptions so;
  so.messages = 50;
  so.symbols = 1;
  so.seed = 6;
  so.start_ns = 34'140'000'000'000ULL;  // 09:29: the open is about a flow minute after the flow starts
  const std::vector<uint8_t> flow = itch::simulate_session(so);
  const uint64_t first = load_u48(flow.data() + 2 + 5);  // the flow's first timestamp
  const int64_t open_after = int64_t(std::llround(double(34'200'000'000'000ULL - first) / 600));
  VenueConfig cfg;
  cfg.flow = flow;
  cfg.speed = 600;
  cfg.users = {{"alice", "pw"}};
  Venue v(cfg);
  // Asked first, before any poll: the flow's clock starts then (colo_venue's ready line).
  EXPECT_EQ(v.poll_time_of(34'200'000'000'000ULL, 7'000'000'000ULL), 7'000'000'000LL + open_after);
  EXPECT_NEAR(double(open_after), 1e8, 1e4);  // 100 ms: a flow minute at 600×
  v.poll(9'000'000'000ULL);  // a later first poll keeps that start
  EXPECT_EQ(v.poll_time_of(34'200'000'000'000ULL, 9'000'000'000ULL), 7'000'000'000LL + open_after);
  Venue fast([&] {
    VenueConfig c = cfg;
    c.speed = 0;
    return c;
  }());
  EXPECT_FALSE(fast.poll_time_of(34'200'000'000'000ULL, 1).has_value()) << "as fast as possible has no clock";
}

// The flow without its System Event 'Q' records.
std::vector<uint8_t> without_market_open(const std::vector<uint8_t>& flow) {
  std::vector<uint8_t> out;
  for (size_t off = 0; off + 2 <= flow.size();) {
    const size_t len = load_u16(flow.data() + off);
    const uint8_t* m = flow.data() + off + 2;
    if (!(len >= 12 && m[0] == uint8_t(itch::SystemEvent::kType) && m[11] == 'Q')) {
      out.insert(out.end(), flow.data() + off, m + len);
    }
    off += 2 + len;
  }
  return out;
}

// The exchange timestamps of the System Events with `code` in an audit trail.
std::vector<uint64_t> audited_events(const std::string& path, char code) {
  std::ifstream in(path);
  std::vector<uint64_t> ts;
  const std::string mark = std::string("\"event_code\":\"") + code + "\"";
  for (std::string line; std::getline(in, line);) {
    if (line.find("\"proto\":\"itch\"") == std::string::npos || line.find(mark) == std::string::npos) continue;
    const size_t at = line.find("\"timestamp\":");
    if (at != std::string::npos) ts.push_back(std::stoull(line.substr(at + 12)));
  }
  return ts;
}

struct MarketHoursCase {
  bool flow_has_open;
  bool anchored;
};

// Market hours open at the shared clock's open (09:30) or at the flow's own 'Q', not at the start
// hours before: a venue started before the open published Start of Market Hours at once.
TEST(VenueClock, MarketHoursOpenAtTheFlowsOpenOrTheSharedClocks) {
  for (const MarketHoursCase c : {MarketHoursCase{true, true}, MarketHoursCase{false, true}, MarketHoursCase{true, false},
                                  MarketHoursCase{false, false}}) {
    SCOPED_TRACE(std::string(c.flow_has_open ? "the flow has a 'Q'" : "the flow has no 'Q'") +
                 (c.anchored ? ", a shared clock" : ", the venue's own clock"));
    itch::SimOptions so;
    so.messages = 100;
    so.symbols = 2;
    so.seed = 7;
    constexpr uint64_t kOpen = 34'200'000'000'000ULL;
    so.start_ns = kOpen + 1'000'000'000;  // its 'O' and 'Q' at 09:30:00.999, its 'M' ~100 µs later
    const std::vector<uint8_t> sim = itch::simulate_session(so);
    const std::vector<uint8_t> flow = c.flow_has_open ? sim : without_market_open(sim);
    constexpr int64_t kOpenPoll = 50'000'000'000LL;
    const std::string audit = ::testing::TempDir() + "venue_hours_" + std::to_string(::getpid()) + ".jsonl";
    {
      VenueConfig cfg;
      cfg.flow = flow;
      cfg.speed = 60;
      cfg.users = {{"alice", "pw"}};
      cfg.audit_path = audit;
      if (c.anchored) cfg.anchor = ClockAnchor{kOpenPoll, kOpen};
      Venue v(cfg);
      v.poll(10'000'000'000ULL);  // 40 poll seconds before a shared open: 40 flow minutes at 60×
      v.poll(20'000'000'000ULL);
      if (c.anchored) {
        EXPECT_FALSE(v.engine().market_open()) << "opened at 08:50 on the shared clock";
      } else {
        // The venue's own clock starts at the flow's first record, 09:30:00.999: a flow with a
        // 'Q' plays it at once, one without opens at the start, as before.
        EXPECT_TRUE(v.engine().market_open());
      }
      v.poll(uint64_t(kOpenPoll) + 3'600'000'000'000ULL);
      EXPECT_TRUE(v.engine().market_open());
      v.end_session(uint64_t(kOpenPoll) + 3'600'000'000'001ULL);
    }
    const std::vector<uint64_t> q = audited_events(audit, 'Q');
    ASSERT_EQ(q.size(), 1u) << "one Start of Market Hours";
    if (c.anchored) {
      // The flow's 'Q' plays at its own time; without one, the shared clock's 09:30.
      EXPECT_EQ(q[0], c.flow_has_open ? so.start_ns - 1'000'000 : kOpen);
    }
    EXPECT_EQ(audited_events(audit, 'M').size(), 1u) << "one End of Market Hours";
    std::remove(audit.c_str());
  }
}

}  // namespace
}  // namespace colo::venue
