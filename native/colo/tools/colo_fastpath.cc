// colo_fastpath: the native colo process (native/colo/README.md, "colo_fastpath"). Logs in to a
// venue's OUCH 4.2 port (SoupBinTCP), joins its ITCH 5.0 / MoldUDP64 feed, and runs
// colo::fast_path::TickToTrade on every datagram: the orders a trigger raises pass the pre-trade
// checks and go out on the OUCH connection at once. Prints one JSON line when live; bad flags
// exit 2; SIGTERM / SIGINT log out and exit 0; SIGUSR1 turns the kill switch on.
#include <signal.h>

#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "colo/fast_path_runner.h"
#include "colo/json_fields.h"
#include "flags.h"

namespace {

// Past 2^21 live orders the book's table is at its largest (colo/order_index.h) anyway.
constexpr uint64_t kMaxLiveOrders = 100'000'000;

volatile std::sig_atomic_t g_stop = 0;
volatile std::sig_atomic_t g_kill = 0;
void on_stop(int) { g_stop = 1; }
void on_kill(int) { g_kill = 1; }

constexpr const char* kFlags =
    "--rerequest-port N --ouch-port N [--user name:password] [--trigger one-tick|every:N] [--shares N] "
    "[--max-orders N] [--max-shares N] [--max-notional DOLLARS] [--max-orders-per-second N] [--collar-bps N] "
    "[--live-orders N] [--kill-switch] [--spin] [--log FILE] [--ready-timeout-ms N] [--stats-ms N]";

[[noreturn]] void usage_error(const std::string& what) {
  std::fprintf(stderr, "alpha colo_fastpath: %s\n", what.c_str());
  std::exit(2);
}

uint64_t parse_uint(const std::string& flag, const std::string& v, uint64_t min, uint64_t max, const char* accepted) {
  if (v.empty() || v.size() > 20 || v.find_first_not_of("0123456789") != std::string::npos) {
    usage_error(flag + " '" + v + "' is not a whole number; " + accepted);
  }
  errno = 0;
  const unsigned long long n = std::strtoull(v.c_str(), nullptr, 10);
  if (errno != 0 || n < min || n > max) usage_error(flag + " " + v + " is out of range; " + accepted);
  return n;
}

// The counts of the done line and of --stats-ms lines, after their first field.
std::string counts_json(const colo::fast_path::Runner& runner) {
  using namespace colo::fast_path;
  const Stats& st = runner.tick_to_trade().stats();
  const RunnerStats& rs = runner.stats();
  std::string out = "\"datagrams\":" + std::to_string(st.datagrams) + ",\"messages\":" + std::to_string(st.messages) +
                    ",\"evaluated\":" + std::to_string(st.evaluated) + ",\"suppressed\":" + std::to_string(st.suppressed) +
                    ",\"intents\":" + std::to_string(st.intents) + ",\"orders\":" + std::to_string(rs.orders_sent) +
                    ",\"over_max_orders\":" + std::to_string(rs.over_max_orders) +
                    ",\"not_logged_in\":" + std::to_string(rs.not_logged_in) + ",\"rejected\":{";
  for (size_t r = 0; r < kRejectCount; ++r) {
    if (r) out += ",";
    colo::json::append_string(out, reject_name(Reject(r)));
    out += ':';
    out += std::to_string(st.rejected[r]);
  }
  out += "},\"venue\":{\"accepted\":" + std::to_string(rs.accepted) + ",\"rejected\":" + std::to_string(rs.rejected) +
         ",\"executed\":" + std::to_string(rs.executed) + ",\"canceled\":" + std::to_string(rs.canceled) +
         ",\"other\":" + std::to_string(rs.other_ouch) + "},\"joins\":" + std::to_string(rs.joins_sent) +
         ",\"requests\":" + std::to_string(rs.requests_sent) + ",\"kill_switch\":" +
         (runner.tick_to_trade().kill_switch() ? "true" : "false");
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace colo::fast_path;
  RunnerConfig cfg;
  bool have_rerequest = false, have_ouch = false, spin = false, kill_at_start = false;
  std::string trigger_spec = "one-tick", log_path;
  uint32_t shares = 100;
  uint64_t ready_timeout_ms = 5000;
  uint64_t stats_ms = 0;
  std::vector<std::string> args(argv + 1, argv + argc);
  std::set<std::string> seen;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (!colo::tools::first_time(seen, a)) usage_error(a + " is given twice; give it once");
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) usage_error(a + " needs a value (after it, as in " + a + " VALUE); accepted: " + kFlags);
      return args[++i];
    };
    if (a == "--rerequest-port") {
      cfg.rerequest_port = uint16_t(parse_uint(a, value(), 1, 65535, "the venue's MoldUDP64 re-request UDP port, 1..65535"));
      have_rerequest = true;
    } else if (a == "--ouch-port") {
      cfg.ouch_port = uint16_t(parse_uint(a, value(), 1, 65535, "the venue's OUCH TCP port, 1..65535"));
      have_ouch = true;
    } else if (a == "--user") {
      const std::string up = value();
      const size_t colon = up.find(':');
      if (colon == std::string::npos || colon == 0 || colon > 6 || up.size() - colon - 1 == 0 || up.size() - colon - 1 > 10) {
        usage_error("--user '" + up + "' is not name:password; names are 1..6 characters, passwords 1..10 (SoupBinTCP)");
      }
      cfg.username = up.substr(0, colon);
      cfg.password = up.substr(colon + 1);
    } else if (a == "--trigger") {
      trigger_spec = value();
      if (trigger_spec != "one-tick" && trigger_spec.rfind("every:", 0) != 0) {
        usage_error("--trigger '" + trigger_spec + "' is unknown; accepted: one-tick (the spread narrows to one tick: buy at the ask, IOC), every:N (every Nth two-sided top: buy at the ask, IOC)");
      }
      if (trigger_spec != "one-tick") parse_uint("--trigger every:", trigger_spec.substr(6), 1, 1'000'000'000, "every:N with N 1..1000000000");
    } else if (a == "--shares") {
      shares = uint32_t(parse_uint(a, value(), 1, 999'999, "shares per order, 1..999999 (OUCH)"));
    } else if (a == "--max-orders") {
      cfg.max_orders = parse_uint(a, value(), 0, UINT64_MAX, "orders sent in all before the kill switch goes on, 0..");
    } else if (a == "--max-shares") {
      cfg.fast_path.limits.max_shares = uint32_t(parse_uint(a, value(), 0, 999'999, "shares per order at most, 0..999999"));
    } else if (a == "--max-notional") {
      const std::string v = value();
      char* end = nullptr;
      // Plain digits: strtod alone took "0x10" as $16, " 16" and "1e1".
      const double d = colo::tools::plain_decimal(v) ? std::strtod(v.c_str(), &end) : NAN;
      if (end == nullptr || *end != '\0' || !std::isfinite(d)) usage_error("--max-notional '" + v + "' is not a number of dollars >= 0 in plain digits");
      cfg.fast_path.limits.max_notional = d;
    } else if (a == "--max-orders-per-second") {
      cfg.fast_path.limits.max_orders_per_second =
          uint32_t(parse_uint(a, value(), 0, kMaxRate, "orders in any sliding second, 0..1000000"));
    } else if (a == "--collar-bps") {
      cfg.fast_path.limits.collar_bps = uint32_t(parse_uint(a, value(), 0, 10'000, "the price collar around the mid in basis points, 0..10000"));
    } else if (a == "--live-orders") {
      cfg.fast_path.live_orders = size_t(parse_uint(
          a, value(), 0, kMaxLiveOrders,
          "live orders to size the book for before the session, 0..100000000 (0: its table grows as orders come)"));
    } else if (a == "--kill-switch") {
      kill_at_start = true;
    } else if (a == "--spin") {
      spin = true;
    } else if (a == "--log") {
      log_path = value();
    } else if (a == "--ready-timeout-ms") {
      ready_timeout_ms = parse_uint(a, value(), 1, 3'600'000, "milliseconds to log in and join, 1..3600000");
    } else if (a == "--stats-ms") {
      stats_ms = parse_uint(a, value(), 1, 3'600'000, "milliseconds between stats lines, 1..3600000");
    } else {
      usage_error("unknown flag '" + a + "'; accepted: " + kFlags);
    }
  }
  if (!have_rerequest || !have_ouch) usage_error(std::string("--rerequest-port and --ouch-port are required (colo_venue's ready line names them); accepted: ") + kFlags);

  std::FILE* log = nullptr;
  if (!log_path.empty()) {
    log = std::fopen(log_path.c_str(), "w");
    if (!log) usage_error("--log " + log_path + ": cannot be opened for writing (" + std::strerror(errno) + ")");
  }

  std::unique_ptr<Trigger> trigger;
  if (trigger_spec == "one-tick") {
    trigger = std::make_unique<OneTickSpreadTrigger>(shares);
  } else {
    trigger = std::make_unique<EveryNthTopTrigger>(uint32_t(std::strtoul(trigger_spec.c_str() + 6, nullptr, 10)), shares);
  }

  struct sigaction sa {};
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  sa.sa_handler = on_kill;
  sigaction(SIGUSR1, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  try {
    Runner runner(*trigger, cfg);
    if (kill_at_start) runner.tick_to_trade().set_kill_switch(true);
    std::string line;
    runner.on_order([&](const SentOrder& o) {
      if (!log) return;
      line = "{\"token\":";
      colo::json::append_string(line, o.token.view());
      line += ",\"symbol\":";
      colo::json::append_string(line, o.symbol);
      line += ",\"seq\":" + std::to_string(o.sequence) + ",\"shares\":" + std::to_string(o.shares) +
              ",\"price\":" + std::to_string(o.price) + ",\"recv_ns\":" + std::to_string(o.recv_ns) +
              ",\"ready_ns\":" + std::to_string(o.ready_ns) +
              ",\"send_ns\":" + std::to_string(o.send_ns) + ",\"gap_fill\":" + (o.gap_fill ? "true" : "false") + "}\n";
      std::fwrite(line.data(), 1, line.size(), log);
    });

    const int timeout = spin ? 0 : 10;
    const uint64_t start = monotonic_ns();
    bool ready = false;
    uint64_t last_flush = start;
    uint64_t last_stats = start;
    while (!g_stop && runner.state() != Runner::State::kDone) {
      runner.step(timeout);
      if (g_kill) runner.tick_to_trade().set_kill_switch(true);
      const uint64_t now = monotonic_ns();
      if (!ready) {
        if (runner.state() == Runner::State::kJoined && runner.tick_to_trade().receiver().session_known()) {
          ready = true;
          std::printf("{\"ready\":true,\"feed_port\":%u,\"user\":", unsigned(runner.feed_port()));
          std::string u;
          colo::json::append_string(u, cfg.username);
          std::printf("%s,\"mode\":\"%s\",\"trigger\":\"%s\",\"order_slots\":%zu}\n", u.c_str(), spin ? "spin" : "blocking",
                      trigger_spec.c_str(), runner.tick_to_trade().book().order_slots());
          std::fflush(stdout);
        } else if (now - start > ready_timeout_ms * 1'000'000ULL && runner.session().state() == colo::soup::ClientSession::State::kLoggedIn) {
          // The venue is running (its OUCH port took the login): its feed did not answer.
          std::fprintf(stderr, "alpha colo_fastpath: not live after %llu ms: OUCH 127.0.0.1:%u logged in, but the feed 127.0.0.1:%u did not answer %llu join request(s); the venue's feed may be full (it refuses joins past its subscriber limit, 64 for colo_venue; see its audit's \"join refused\"), or --rerequest-port is not that venue's\n",
                       (unsigned long long)ready_timeout_ms, unsigned(cfg.ouch_port), unsigned(cfg.rerequest_port),
                       (unsigned long long)runner.stats().joins_sent);
          return 1;
        } else if (now - start > ready_timeout_ms * 1'000'000ULL) {
          std::fprintf(stderr, "alpha colo_fastpath: not live after %llu ms (OUCH 127.0.0.1:%u %s, feed 127.0.0.1:%u %s); is colo_venue running with those ports and user '%s'?\n",
                       (unsigned long long)ready_timeout_ms, unsigned(cfg.ouch_port),
                       runner.session().state() == colo::soup::ClientSession::State::kLoggedIn ? "logged in" : "not logged in",
                       unsigned(cfg.rerequest_port), runner.tick_to_trade().receiver().session_known() ? "joined" : "not joined",
                       cfg.username.c_str());
          return 1;
        }
      }
      if (ready && stats_ms > 0 && now - last_stats >= stats_ms * 1'000'000ULL) {
        const std::string stats = "{\"stats\":true," + counts_json(runner) + "}\n";
        std::fputs(stats.c_str(), stdout);
        std::fflush(stdout);
        last_stats = now;
      }
      if (log && now - last_flush > 100'000'000ULL) {
        std::fflush(log);
        last_flush = now;
      }
    }
    const bool stopped = g_stop != 0;
    if (stopped) runner.logout();
    if (log) std::fclose(log);

    std::string done = "{\"done\":true,\"reason\":";
    colo::json::append_string(done, stopped ? std::string("signal") : runner.done_reason());
    done += "," + counts_json(runner) + "}\n";
    std::fputs(done.c_str(), stdout);
    std::fflush(stdout);
    if (!stopped && runner.done_reason() != "the venue ended the session") {
      std::fprintf(stderr, "alpha colo_fastpath: %s (OUCH 127.0.0.1:%u, user '%s')\n", runner.done_reason().c_str(),
                   unsigned(cfg.ouch_port), cfg.username.c_str());
      return 1;
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "alpha colo_fastpath: %s (OUCH 127.0.0.1:%u, feed re-request 127.0.0.1:%u)\n", e.what(),
                 unsigned(cfg.ouch_port), unsigned(cfg.rerequest_port));
    return 1;
  }
}
