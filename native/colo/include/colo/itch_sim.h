// A synthetic ITCH 5.0 session: a system-event frame, a stock directory, then order flow
// (adds near the touch, executions, cancels, deletes, replaces, hidden prints) over a random
// walk per symbol. Deterministic for a seed. For benchmarks, fuzz seeds and the venue's tests;
// not a model of any real market's statistics.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace colo::itch {

struct SimOptions {
  uint64_t messages = 1'000'000;  // order-flow messages after the directory
  uint16_t symbols = 100;
  uint64_t seed = 1;
  uint64_t start_ns = 34'200'000'000'000ULL;  // 09:30 since midnight
};

// Appends each message as a length-prefixed record (2-byte big-endian length, then the bytes):
// the layout of NASDAQ's historical ITCH files.
std::vector<uint8_t> simulate_session(const SimOptions& o);

// The symbol of locate `i` (1-based) in a simulated session: "S" + 4 digits.
std::string sim_symbol(uint16_t locate);

}  // namespace colo::itch
