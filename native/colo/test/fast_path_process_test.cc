// colo_fastpath against colo_venue, as processes (the executables of this build folder): every
// order colo_fastpath logs reaches the venue once as an Enter Order with the same token and is
// accepted; the venue sees no other Enter Order; --max-orders and --kill-switch hold; --live-orders
// sizes the book; bad flags exit 2; SIGTERM logs out and exits 0.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "colo/itch_sim.h"

extern char** environ;

namespace {

#ifdef COLO_TOOLS_DIR
const std::string kTools = COLO_TOOLS_DIR;
#else
const std::string kTools;
#endif

// The number after "key": in a flat JSON line; UINT64_MAX when absent.
uint64_t number_after(const std::string& line, const std::string& key) {
  const size_t at = line.find("\"" + key + "\":");
  if (at == std::string::npos) return UINT64_MAX;
  return std::strtoull(line.c_str() + at + key.size() + 3, nullptr, 10);
}
std::string string_after(const std::string& line, const std::string& key) {
  const std::string k = "\"" + key + "\":\"";
  const size_t at = line.find(k);
  if (at == std::string::npos) return {};
  const size_t end = line.find('"', at + k.size());
  return line.substr(at + k.size(), end - at - k.size());
}

struct Child {
  pid_t pid = -1;
  int out = -1;  // its stdout
  int err = -1;  // its stderr
  std::string got;

  Child() = default;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  Child(Child&& o) noexcept { *this = std::move(o); }
  Child& operator=(Child&& o) noexcept {
    std::swap(pid, o.pid);
    std::swap(out, o.out);
    std::swap(err, o.err);
    std::swap(got, o.got);
    return *this;
  }

  static Child start(const std::vector<std::string>& args) {
    Child c;
    int o[2], e[2];
    if (::pipe(o) != 0 || ::pipe(e) != 0) return c;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, o[1], 1);
    posix_spawn_file_actions_adddup2(&fa, e[1], 2);
    posix_spawn_file_actions_addclose(&fa, o[0]);
    posix_spawn_file_actions_addclose(&fa, e[0]);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    if (posix_spawn(&c.pid, argv[0], &fa, nullptr, argv.data(), environ) != 0) c.pid = -1;
    posix_spawn_file_actions_destroy(&fa);
    ::close(o[1]);
    ::close(e[1]);
    c.out = o[0];
    c.err = e[0];
    return c;
  }
  // The first stdout line holding "key" (read until it comes or timeout_ms passes).
  std::string line_with(const std::string& key, int timeout_ms) {
    return line_where(key, [](const std::string&) { return true; }, timeout_ms);
  }
  // The first stdout line holding "key" for which `ok` holds.
  template <class Pred>
  std::string line_where(const std::string& key, Pred ok, int timeout_ms) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      size_t start = 0;
      for (size_t nl; (nl = got.find('\n', start)) != std::string::npos; start = nl + 1) {
        std::string l = got.substr(start, nl - start);
        if (l.find("\"" + key + "\"") != std::string::npos && ok(l)) return l;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()).count();
      if (left <= 0) return {};
      pollfd p{out, POLLIN, 0};
      if (::poll(&p, 1, int(left)) <= 0) return {};
      char buf[4096];
      const ssize_t n = ::read(out, buf, sizeof buf);
      if (n <= 0) return {};
      got.append(buf, size_t(n));
    }
  }
  std::string stderr_text() {
    std::string s;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(err, buf, sizeof buf)) > 0) s.append(buf, size_t(n));
    return s;
  }
  // Exit status (-1 on a signal or timeout; then it is killed).
  int wait(int timeout_ms) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    int st = 0;
    while (std::chrono::steady_clock::now() < until) {
      if (::waitpid(pid, &st, WNOHANG) == pid) {
        pid = -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &st, 0);
    pid = -1;
    return -1;
  }
  ~Child() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    if (out >= 0) ::close(out);
    if (err >= 0) ::close(err);
  }
};

class FastPathProcess : public ::testing::Test {
 protected:
  void SetUp() override {
    if (kTools.empty()) GTEST_SKIP() << "built without COLO_VENUE: no colo_venue / colo_fastpath";
    dir_ = ::testing::TempDir() + "colo_fastpath_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_";
    flow_ = dir_ + "flow.itch";
    audit_ = dir_ + "audit.jsonl";
    log_ = dir_ + "orders.jsonl";
    const auto bytes = colo::itch::simulate_session({.messages = 200'000, .symbols = 20, .seed = 5});
    // simulate_session returns length-prefixed records: the file's bytes as they are.
    std::FILE* f = std::fopen(flow_.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
  }
  void TearDown() override {
    if (!HasFailure() && !dir_.empty()) {
      for (const auto& p : {flow_, audit_, log_}) std::remove(p.c_str());
    }
  }

  // Starts the venue and returns its ports. --speed 0.005, a quarter of bench:venue's pace: at 0.02
  // an ASan build sharing 2 cores with two busy processes never caught up with the feed (every top
  // a gap fill, so nothing was ever sent); at 0.005 it does.
  void start_venue() {
    venue_ = Child::start({kTools + "/colo_venue", "--flow", flow_, "--speed", "0.005", "--audit", audit_, "--users", "alpha:alpha"});
    ASSERT_GT(venue_.pid, 0);
    const std::string ready = venue_.line_with("ready", 10'000);
    ASSERT_FALSE(ready.empty()) << venue_.stderr_text();
    ouch_port_ = std::to_string(number_after(ready, "ouch_port"));
    rerequest_port_ = std::to_string(number_after(ready, "rerequest_port"));
  }
  // Runs colo_fastpath with these extra flags for `ms`, and then until one of its stats lines
  // (every 50 ms) satisfies `enough` (for at most 20 s more); returns its done line. Waiting on its
  // counts rather than the clock alone: on a loaded machine (the ASan build in a fresh-clone npm
  // test) the join's catch-up took whole seconds, and its tops are suppressed as gap fills.
  template <class Pred>
  std::string run_fastpath(std::vector<std::string> extra, int ms, Pred enough) {
    std::vector<std::string> args = {kTools + "/colo_fastpath", "--ouch-port", ouch_port_, "--rerequest-port",
                                     rerequest_port_, "--user", "alpha:alpha", "--log", log_, "--stats-ms", "50"};
    args.insert(args.end(), extra.begin(), extra.end());
    Child fp = Child::start(args);
    EXPECT_GT(fp.pid, 0);
    ready_ = fp.line_with("ready", 10'000);
    EXPECT_FALSE(ready_.empty()) << fp.stderr_text();
    EXPECT_NE(ready_.find("\"mode\":\"blocking\""), std::string::npos) << ready_;
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    EXPECT_FALSE(fp.line_where("stats", enough, 20'000).empty()) << "not enough happened in 20 s: " << fp.got;
    ::kill(fp.pid, SIGTERM);
    const std::string done = fp.line_with("done", 10'000);
    EXPECT_EQ(fp.wait(10'000), 0) << fp.stderr_text();
    EXPECT_NE(done.find("\"reason\":\"signal\""), std::string::npos) << done;
    // colo_fastpath sent its Logout before exiting; give the venue time to read it (on a busy
    // machine a poll round can lag) before stopping it, or its audit ends at a disconnect.
    for (int i = 0; i < 500 && !read_audit().logged_out; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ::kill(venue_.pid, SIGTERM);
    EXPECT_EQ(venue_.wait(10'000), 0) << venue_.stderr_text();
    return done;
  }

  struct Audit {
    std::map<std::string, int> entered;  // token -> Enter Orders received
    std::set<std::string> accepted, rejected;
    bool logged_out = false;
  };
  Audit read_audit() const {
    Audit a;
    std::ifstream in(audit_);
    std::string line;
    while (std::getline(in, line)) {
      if (line.find("\"session\":\"alpha\"") == std::string::npos) continue;
      if (line.find("\"dir\":\"in\",\"proto\":\"ouch\"") != std::string::npos &&
          line.find("\"name\":\"EnterOrder\"") != std::string::npos) {
        ++a.entered[string_after(line, "order_token")];
      } else if (line.find("\"name\":\"Accepted\"") != std::string::npos) {
        a.accepted.insert(string_after(line, "order_token"));
      } else if (line.find("\"name\":\"Rejected\"") != std::string::npos) {
        a.rejected.insert(string_after(line, "order_token"));
      } else if (line.find("\"event\":\"logged out\"") != std::string::npos) {
        a.logged_out = true;
      }
    }
    return a;
  }
  std::vector<std::string> read_log() const {
    std::vector<std::string> tokens;
    std::ifstream in(log_);
    std::string line;
    while (std::getline(in, line)) {
      EXPECT_NE(number_after(line, "seq"), UINT64_MAX) << line;
      EXPECT_LE(number_after(line, "recv_ns"), number_after(line, "ready_ns")) << line;
      EXPECT_LE(number_after(line, "ready_ns"), number_after(line, "send_ns")) << line;
      tokens.push_back(string_after(line, "token"));
    }
    return tokens;
  }

  std::string dir_, flow_, audit_, log_;
  std::string ready_;  // colo_fastpath's ready line, of the last run_fastpath
  Child venue_;
  std::string ouch_port_, rerequest_port_;
};

TEST_F(FastPathProcess, EveryLoggedOrderReachesTheVenueOnceAndIsAccepted) {
  ASSERT_NO_FATAL_FAILURE(start_venue());
  const std::string done = run_fastpath({"--trigger", "every:5", "--max-orders-per-second", "2000"}, 2000,
                                        [](const std::string& s) { return number_after(s, "orders") >= 50; });
  const auto tokens = read_log();
  const Audit a = read_audit();
  ASSERT_GE(tokens.size(), 50u) << done;
  EXPECT_EQ(number_after(done, "orders"), tokens.size()) << done;
  std::set<std::string> logged;
  for (const auto& t : tokens) {
    EXPECT_EQ(t.size(), 14u) << t;
    EXPECT_TRUE(logged.insert(t).second) << "token logged twice: " << t;
    const auto it = a.entered.find(t);
    ASSERT_NE(it, a.entered.end()) << "order " << t << " is not in the venue's audit";
    EXPECT_EQ(it->second, 1) << "order " << t << " reached the venue " << it->second << " times";
    EXPECT_TRUE(a.accepted.contains(t)) << "order " << t << " was not accepted";
    EXPECT_FALSE(a.rejected.contains(t)) << "order " << t << " was rejected";
  }
  EXPECT_EQ(a.entered.size(), logged.size()) << "the venue saw Enter Orders colo_fastpath did not log";
  EXPECT_TRUE(a.logged_out) << "SIGTERM should log out";
}

TEST_F(FastPathProcess, MaxOrdersBoundsWhatIsSent) {
  ASSERT_NO_FATAL_FAILURE(start_venue());
  const std::string done =
      run_fastpath({"--trigger", "every:2", "--max-orders", "25", "--max-orders-per-second", "2000"}, 1000,
                   [](const std::string& s) { return number_after(s, "kill switch") > 0; });
  const auto tokens = read_log();
  const Audit a = read_audit();
  EXPECT_EQ(tokens.size(), 25u) << done;
  EXPECT_EQ(a.entered.size(), 25u);
  for (const auto& [t, n] : a.entered) EXPECT_EQ(n, 1) << t;
  EXPECT_NE(done.find("\"kill_switch\":true"), std::string::npos) << done;
  EXPECT_GT(number_after(done, "kill switch"), 0u) << "intents after the bound should meet the kill switch: " << done;
}

TEST_F(FastPathProcess, KillSwitchSendsNothing) {
  ASSERT_NO_FATAL_FAILURE(start_venue());
  const std::string done = run_fastpath({"--trigger", "every:2", "--kill-switch"}, 500,
                                        [](const std::string& s) { return number_after(s, "kill switch") > 0; });
  EXPECT_TRUE(read_log().empty());
  EXPECT_TRUE(read_audit().entered.empty());
  EXPECT_EQ(number_after(done, "orders"), 0u) << done;
  EXPECT_GT(number_after(done, "kill switch"), 0u) << done;
}

TEST_F(FastPathProcess, LiveOrdersSizesTheBookBeforeItIsLive) {
  // The ready line names the book's order-table slots: twice the live orders asked for, rounded up
  // to a power of two (2^20 for 300,000). The default, a whole market's, is TickToTrade's
  // (fast_path_test.cc).
  ASSERT_NO_FATAL_FAILURE(start_venue());
  run_fastpath({"--live-orders", "300000"}, 0, [](const std::string&) { return true; });
  EXPECT_EQ(number_after(ready_, "order_slots"), uint64_t(1) << 20) << ready_;
}

TEST_F(FastPathProcess, BadFlagsExitTwoSayingWhatIsAccepted) {
  for (const std::vector<std::string>& extra : std::vector<std::vector<std::string>>{
           {"--ouch-port", "1"},
           {"--ouch-port", "1", "--rerequest-port", "x"},
           {"--ouch-port", "1", "--rerequest-port", "2", "--trigger", "sometimes"},
           {"--ouch-port", "1", "--rerequest-port", "2", "--user", "toolongname:pw"},
           {"--ouch-port", "1", "--rerequest-port", "2", "--stats-ms", "0"},
           {"--ouch-port", "1", "--rerequest-port", "2", "--live-orders", "100000001"},
           {"--ouch-port", "1", "--rerequest-port", "2", "--live-orders", "-5"},
           {"--ouch-port", "1", "--rerequest-port", "2", "--frobnicate"},
           // strtod took these as caps of $16, $16 and $10; a flag given twice kept its last value.
           {"--ouch-port", "1", "--rerequest-port", "2", "--max-notional", "0x10"},
           {"--ouch-port", "1", "--rerequest-port", "2", "--max-notional", " 16"},
           {"--ouch-port", "1", "--rerequest-port", "2", "--max-notional", "1e1"},
           {"--ouch-port", "1", "--rerequest-port", "2", "--shares", "5", "--shares", "7"}}) {
    std::vector<std::string> args = {kTools + "/colo_fastpath"};
    args.insert(args.end(), extra.begin(), extra.end());
    Child c = Child::start(args);
    ASSERT_GT(c.pid, 0);
    EXPECT_EQ(c.wait(10'000), 2);
    const std::string err = c.stderr_text();
    EXPECT_EQ(err.rfind("alpha colo_fastpath: ", 0), 0u) << err;
    if (std::find(extra.begin(), extra.end(), "--max-notional") != extra.end()) {
      EXPECT_NE(err.find("in plain digits"), std::string::npos) << err;
    }
    if (std::count(extra.begin(), extra.end(), "--shares") == 2) {
      EXPECT_NE(err.find("--shares is given twice"), std::string::npos) << err;
    }
    if (std::find(extra.begin(), extra.end(), "--live-orders") != extra.end()) {
      EXPECT_NE(err.find("--live-orders"), std::string::npos) << err;
      EXPECT_NE(err.find("0..100000000"), std::string::npos) << "names what would be accepted: " << err;
    }
  }
}

}  // namespace
