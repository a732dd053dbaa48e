// colo_venue: the exchange the live tests trade against (native/colo/README.md, "Venue").
// Replays a length-prefixed ITCH 5.0 file as background flow, publishes ITCH 5.0 over
// MoldUDP64 (unicast to subscribers on 127.0.0.1) and takes OUCH 4.2 orders over SoupBinTCP.
// Prints one JSON line when ready; bad flags are one `alpha: …` line and exit 1, as every refusal of
// the alpha command (it runs as `alpha venue start`); SIGTERM / SIGINT end the session and exit 0.
#include <signal.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "colo/itch_file.h"
#include "colo/json_fields.h"
#include "colo/mapping_guard.h"
#include "colo/venue.h"
#include "colo/wire.h"
#include "flags.h"

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

uint64_t clock_ns(clockid_t clock) {
  timespec t{};
  clock_gettime(clock, &t);
  return uint64_t(t.tv_sec) * 1'000'000'000ULL + uint64_t(t.tv_nsec);
}
uint64_t mono_ns() { return clock_ns(CLOCK_MONOTONIC); }

// The regular session's open, 09:30:00.000, in ITCH's nanoseconds since midnight: the instant that
// --open-at names, as alpha live --open-at does for its --date.
constexpr uint64_t kOpenNs = 34'200'000'000'000ULL;
constexpr uint64_t kCloseNs = 57'600'000'000'000ULL;  // 16:00
constexpr int64_t kNsPerDay = 86'400'000'000'000LL;

// A number as it was given, without printf's trailing zeros (600, 0.5).
std::string number_text(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

// A CLOCK_REALTIME instant (after 1970) as an ISO-8601 UTC time to the microsecond, as alpha live
// --open-at takes it.
std::string iso_utc(int64_t unix_ns) {
  const time_t sec = time_t(unix_ns / 1'000'000'000);
  const unsigned us = unsigned(unix_ns % 1'000'000'000 / 1000);
  tm t{};
  gmtime_r(&sec, &t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour,
                t.tm_min, t.tm_sec, us);
  return buf;
}

[[noreturn]] void usage_error(const std::string& what) {
  std::fprintf(stderr, "alpha: %s\n", what.c_str());
  std::exit(1);
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(sep, start);
    if (end == std::string_view::npos) end = s.size();
    out.emplace_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

uint64_t parse_uint(const std::string& flag, const std::string& v, uint64_t max, const char* accepted) {
  if (v.empty() || v.size() > 20 || v.find_first_not_of("0123456789") != std::string::npos) {
    usage_error(flag + " '" + v + "' is not a whole number; " + accepted);
  }
  errno = 0;
  const unsigned long long n = std::strtoull(v.c_str(), nullptr, 10);
  if (errno != 0 || n > max) usage_error(flag + " " + v + " is out of range; " + accepted);
  return n;
}

bool symbol_ok(const std::string& s) {
  if (s.empty() || s.size() > 8) return false;
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.')) return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  colo::venue::VenueConfig cfg;
  std::string flow_path;
  bool exit_at_end = false;
  std::optional<int64_t> open_at_ns;
  cfg.users.clear();
  std::vector<std::string> args(argv + 1, argv + argc);
  std::set<std::string> seen;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (!colo::tools::first_time(seen, a)) usage_error(a + " is given twice; give it once");
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) usage_error(a + " needs a value (after it, as in " + a + " VALUE)");
      return args[++i];
    };
    if (a == "--flow") {
      flow_path = value();
    } else if (a == "--speed") {
      const std::string v = value();
      // Plain digits only: strtod alone takes " 1", "0x10" (16) and "-0" (as fast as possible).
      const bool plain = colo::tools::plain_decimal(v);
      char* end = nullptr;
      const double s = plain ? std::strtod(v.c_str(), &end) : NAN;
      // Below 1e-4 a day's flow takes 27 years; above 1e6 a day is under a tenth of a second.
      if (!plain || *end != '\0' || !std::isfinite(s) || (s != 0 && (s < 1e-4 || s > 1e6))) {
        usage_error("--speed '" + v + "' is not 0 or a number from 0.0001 to 1000000; 1 = real time, 60 = a minute per second, 0 = as fast as possible");
      }
      cfg.speed = s;
    } else if (a == "--ouch-port") {
      cfg.ouch_port = uint16_t(parse_uint(a, value(), 65535, "a TCP port 0..65535 (0 = any free port)"));
    } else if (a == "--rerequest-port") {
      cfg.rerequest_port = uint16_t(parse_uint(a, value(), 65535, "a UDP port 0..65535 (0 = any free port)"));
    } else if (a == "--users") {
      for (const std::string& up : split(value(), ',')) {
        const size_t colon = up.find(':');
        if (colon == std::string::npos || colon == 0 || colon > 6 || up.size() - colon - 1 > 10 ||
            up.size() - colon - 1 == 0) {
          usage_error("--users entry '" + up + "' is not name:password; names are 1..6 characters, passwords 1..10 (SoupBinTCP)");
        }
        const auto alnum = [](std::string_view t) {
          for (unsigned char c : t)
            if (!std::isalnum(c)) return false;
          return true;
        };
        if (!alnum(up.substr(0, colon)) || !alnum(up.substr(colon + 1)))
          usage_error("--users entry '" + up + "': names and passwords are letters and digits (SoupBinTCP alphanumerics)");
        if (!cfg.users.emplace(up.substr(0, colon), up.substr(colon + 1)).second)
          usage_error("--users names '" + up.substr(0, colon) + "' twice; give each user once");
      }
    } else if (a == "--session") {
      cfg.session = value();
      const bool alnum = std::all_of(cfg.session.begin(), cfg.session.end(), [](unsigned char c) { return c < 0x80 && std::isalnum(c); });
      if (cfg.session.empty() || cfg.session.size() > 10 || !alnum) {
        usage_error("--session '" + cfg.session + "' must be 1..10 letters and digits (SoupBinTCP alphanumerics)");
      }
    } else if (a == "--drop") {
      for (const std::string& s : split(value(), ',')) {
        cfg.drop.insert(parse_uint(a, s, UINT64_MAX, "MoldUDP64 sequence numbers, comma-separated (e.g. 1,40,41)"));
      }
    } else if (a == "--audit") {
      cfg.audit_path = value();
      if (cfg.audit_path.empty()) usage_error("--audit is empty; give the audit trail's file");
    } else if (a == "--parent-pid") {
      // Started by a process (alpha venue start) that may be killed outright: end with it, not play on for hours.
      const pid_t parent = pid_t(parse_uint(a, value(), 4'194'304, "the pid of the process that started the venue"));
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (getppid() != parent) usage_error("--parent-pid " + std::to_string(parent) + ": that process has ended already");
    } else if (a == "--symbols-halted") {
      for (const std::string& s : split(value(), ',')) {
        if (!symbol_ok(s)) usage_error("--symbols-halted '" + s + "' is not a symbol; 1..8 of A-Z 0-9 .");
        cfg.halted.push_back(s);
      }
    } else if (a == "--open-at-ns") {
      // Shared with the runs that trade against it: they map their --date's open to the same instant.
      const std::string v = value();
      open_at_ns = int64_t(parse_uint(a, v, INT64_MAX, "ns since the epoch (CLOCK_REALTIME) of the open"));
      // alpha venue start checks a day each way before it makes the flow; this bounds direct use.
      const int64_t now = int64_t(clock_ns(CLOCK_REALTIME));
      if (*open_at_ns < now - 2 * kNsPerDay || *open_at_ns > now + 2 * kNsPerDay)
        usage_error("--open-at-ns " + v + " is " + iso_utc(*open_at_ns) + ", more than two days from now (" + iso_utc(now) +
                    "); the open of a session that plays now is within a day of it");
    } else if (a == "--exit-at-end") {
      exit_at_end = true;
    } else {
      usage_error("unknown flag '" + a + "'; accepted: --flow FILE --speed X --ouch-port N --rerequest-port N "
                  "--users name:password,... --session NAME --drop SEQ,... --audit FILE --symbols-halted A,B --open-at-ns NS --exit-at-end --parent-pid PID");
    }
  }
  if (flow_path.empty()) usage_error("--flow FILE is required (a length-prefixed ITCH 5.0 file, e.g. from `alpha itch simulate`)");
  if (cfg.users.empty()) cfg.users = {{"alpha", "alpha"}};
  if (open_at_ns && cfg.speed == 0) usage_error("--open-at-ns needs a clock: a --speed above 0 (0 plays the flow as fast as possible)");
  if (open_at_ns) {
    // The flow's clock when the venue starts: past 16:00, its day's regular session is over already.
    const double now_flow = double(kOpenNs) + double(int64_t(clock_ns(CLOCK_REALTIME)) - *open_at_ns) * cfg.speed;
    if (now_flow >= double(kCloseNs))
      usage_error("--open-at-ns " + std::to_string(*open_at_ns) + ": at --speed " + number_text(cfg.speed) +
                  " the day's regular session (09:30 to 16:00) would be over at the start; a later open is needed");
  }

  std::unique_ptr<colo::itch_file::MappedFile> flow;
  // The flow truncated while it plays: "alpha: --flow FILE changed while it was read (...)".
  colo::mapping_guard::set_prefix("alpha: --flow ");
  try {
    flow = std::make_unique<colo::itch_file::MappedFile>(flow_path);
  } catch (const std::exception& e) {
    usage_error("--flow " + flow_path + ": " + e.what() + "; a readable length-prefixed ITCH 5.0 file is needed");
  }
  // A damaged flow is refused whole: a venue that played half of it would look like a good session.
  {
    // An ITCH timestamp is ns since midnight: one from past the day's end would wait for a clock that
    // stops at 23:59:59.999999999, and the venue would never finish its flow.
    constexpr uint64_t kNsPerDay = 86'400'000'000'000ULL;
    uint64_t past_midnight = 0, first_past = 0;
    const auto scan = colo::itch_file::for_each_message(flow->data(), flow->size(), [&](uint64_t off, const uint8_t* m, size_t n) {
      if (n < 11 || colo::load_u48(m + 5) < kNsPerDay) return;
      if (past_midnight++ == 0) first_past = off;
    });
    for (size_t k = 0; k < colo::itch_file::kErrorKindCount; ++k) {
      if (scan.errors_by_kind[k] == 0) continue;
      usage_error("--flow " + flow_path + ": " + std::to_string(scan.errors_by_kind[k]) + " x " +
                  std::string(colo::itch_file::kind_name(colo::itch_file::ErrorKind(k))) + " (first at byte " +
                  std::to_string(scan.first_offset[k]) + "); a well-formed length-prefixed ITCH 5.0 file is needed");
    }
    if (scan.messages == 0) usage_error("--flow " + flow_path + ": no ITCH message in it");
    if (past_midnight > 0) {
      usage_error("--flow " + flow_path + ": " + std::to_string(past_midnight) + " x timestamp past the day's end (first at byte " +
                  std::to_string(first_past) + "); an ITCH 5.0 timestamp is ns since midnight, below 86400000000000");
    }
  }
  try {
    cfg.flow = flow->bytes();
    // CLOCK_REALTIME, which other processes share, read beside the monotonic clock the venue polls on.
    const int64_t real_now = int64_t(clock_ns(CLOCK_REALTIME));
    const uint64_t mono_now = mono_ns();
    const int64_t real_minus_mono = real_now - int64_t(mono_now);
    if (open_at_ns) cfg.anchor = colo::venue::ClockAnchor{*open_at_ns - real_minus_mono, kOpenNs};
    colo::venue::Venue venue(cfg);
    // The clock is fixed before the ready line, which says when its session opens.
    const std::optional<int64_t> open_poll = venue.poll_time_of(kOpenNs, mono_now);

    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);

    std::string ready = "{\"ready\":true,\"ouch_port\":" + std::to_string(venue.ouch_port()) +
                        ",\"rerequest_port\":" + std::to_string(venue.rerequest_port()) + ",\"session\":";
    colo::json::append_string(ready, venue.session());
    if (open_poll) ready += ",\"open_at\":\"" + iso_utc(*open_poll + real_minus_mono) + "\"";
    ready += "}\n";
    std::fputs(ready.c_str(), stdout);
    std::fflush(stdout);

    while (!g_stop) {
      venue.poll(mono_ns());
      if (exit_at_end && venue.flow_done() && venue.clients_connected() == 0) break;
      venue.wait(1);
    }
    const uint64_t now = mono_ns();
    venue.end_session(now);
    // Serve re-requests a little longer, so subscribers can fill their last gaps.
    const uint64_t until = now + 500'000'000ULL;
    while (mono_ns() < until) {
      venue.poll(mono_ns());
      venue.wait(5);
    }
    return 0;
  } catch (const std::exception& e) {
    const std::string what = e.what();
    // The OUCH port is the TCP one, the MoldUDP64 join and re-request port the UDP one.
    const std::string hint = what.find("in use") == std::string::npos
                                 ? ""
                                 : what.find("bind TCP") != std::string::npos
                                       ? " (--ouch-port): choose a free port, or 0 for any"
                                       : " (--rerequest-port): choose a free port, or 0 for any";
    std::fprintf(stderr, "alpha: %s%s\n", what.c_str(), hint.c_str());
    return 1;
  }
}
