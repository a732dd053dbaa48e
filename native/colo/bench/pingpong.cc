// colo_pingpong — the kernel's floor for tick-to-trade on loopback: a UDP datagram out, a TCP
// message back, between two threads with blocking sockets (as the venue and a colo process talk:
// ITCH over UDP, OUCH over TCP). Prints p50/p99/p99.9 of the round trip in ns as one JSON line.
//   colo_pingpong [--rounds N] [--size BYTES] [--gap-us US]
// Defaults: 20000 rounds, 64-byte datagrams, back to back. --gap-us sleeps that long before each
// round, so both sides block with the CPUs idle in between, as a paced flow finds them
// (docs/benchmarks.md: the back-to-back rounds are the slower ones on this VM).
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "colo/posix.h"

namespace {

using Clock = std::chrono::steady_clock;

int must(int rc, const char* what) {
  if (rc < 0) colo::posix::fail(what);
  return rc;
}

void read_exact(int fd, uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t r = ::recv(fd, p, n, 0);
    if (r <= 0) colo::posix::fail("recv");
    p += r, n -= size_t(r);
  }
}

}  // namespace

int main(int argc, char** argv) {
  size_t rounds = 20000, size = 64, gap_us = 0;
  // A flag's value: a whole number in [lo, hi], all of it ("10x" is refused, not read as 10).
  auto whole = [](const char* text, long lo, long hi) -> std::optional<size_t> {
    char* end = nullptr;
    errno = 0;
    const long v = std::strtol(text, &end, 10);
    if (end == text || *end != '\0' || errno != 0 || v < lo || v > hi) return std::nullopt;
    return size_t(v);
  };
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    const bool sized = k == "--rounds" || k == "--size";
    if ((sized || k == "--gap-us") && i + 1 < argc) {
      const char* text = argv[++i];
      const auto v = sized ? whole(text, 1, 60000) : whole(text, 0, 1'000'000);
      if (!v) {
        std::fprintf(stderr, "alpha: colo_pingpong: %s must be a whole number, %s (got '%s')\n", k.c_str(),
                     sized ? "1 .. 60000" : "0 .. 1000000 µs", text);
        return 2;
      }
      (k == "--rounds" ? rounds : k == "--size" ? size : gap_us) = *v;
    } else if (sized || k == "--gap-us") {
      std::fprintf(stderr, "alpha: colo_pingpong: %s needs a value\n", k.c_str());
      return 2;
    } else {
      std::fprintf(stderr, "alpha: colo_pingpong: unknown flag %s (accepted: --rounds N --size BYTES --gap-us US)\n", k.c_str());
      return 2;
    }
  }
  try {
    // The "venue" side: sends UDP, reads TCP. The "colo" side: reads UDP, answers on TCP.
    const int udp_in = must(::socket(AF_INET, SOCK_DGRAM, 0), "socket");
    sockaddr_in a = colo::posix::loopback(0);
    must(::bind(udp_in, reinterpret_cast<sockaddr*>(&a), sizeof a), "bind");
    socklen_t len = sizeof a;
    must(::getsockname(udp_in, reinterpret_cast<sockaddr*>(&a), &len), "getsockname");
    const sockaddr_in udp_to = a;

    const int listener = must(::socket(AF_INET, SOCK_STREAM, 0), "socket");
    sockaddr_in t = colo::posix::loopback(0);
    must(::bind(listener, reinterpret_cast<sockaddr*>(&t), sizeof t), "bind");
    must(::listen(listener, 1), "listen");
    len = sizeof t;
    must(::getsockname(listener, reinterpret_cast<sockaddr*>(&t), &len), "getsockname");

    std::thread colo_side([&] {
      const int tcp = must(::socket(AF_INET, SOCK_STREAM, 0), "socket");
      must(::connect(tcp, reinterpret_cast<const sockaddr*>(&t), sizeof t), "connect");
      int one = 1;
      ::setsockopt(tcp, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      std::vector<uint8_t> buf(size);
      for (size_t r = 0; r < rounds; ++r) {
        if (::recv(udp_in, buf.data(), buf.size(), 0) <= 0) colo::posix::fail("recv udp");
        if (::send(tcp, buf.data(), buf.size(), 0) != ssize_t(buf.size())) colo::posix::fail("send tcp");
      }
      ::close(tcp);
    });

    const int venue_tcp = must(::accept(listener, nullptr, nullptr), "accept");
    int one = 1;
    ::setsockopt(venue_tcp, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const int udp_out = must(::socket(AF_INET, SOCK_DGRAM, 0), "socket");
    std::vector<uint8_t> msg(size, 0x41), back(size);
    std::vector<double> ns;
    ns.reserve(rounds);
    for (size_t r = 0; r < rounds; ++r) {
      if (gap_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(gap_us));
      std::memcpy(msg.data(), &r, std::min(sizeof r, size));
      const auto t0 = Clock::now();
      if (::sendto(udp_out, msg.data(), msg.size(), 0, reinterpret_cast<const sockaddr*>(&udp_to), sizeof udp_to) < 0)
        colo::posix::fail("sendto");
      read_exact(venue_tcp, back.data(), back.size());
      ns.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count());
    }
    colo_side.join();
    std::sort(ns.begin(), ns.end());
    auto q = [&](double p) { return ns[std::min(ns.size() - 1, size_t(p * double(ns.size())))]; };
    std::printf("{\"rounds\":%zu,\"size\":%zu,\"gap_us\":%zu,\"p50_ns\":%.0f,\"p99_ns\":%.0f,\"p999_ns\":%.0f,\"max_ns\":%.0f}\n",
                rounds, size, gap_us, q(0.5), q(0.99), q(0.999), ns.back());
    ::close(venue_tcp), ::close(listener), ::close(udp_in), ::close(udp_out);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "alpha: colo_pingpong: %s\n", e.what());
    return 1;
  }
  return 0;
}
