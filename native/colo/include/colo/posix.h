// Small POSIX helpers shared by the socket and file code: errors as std::system_error, and the
// loopback address (every socket here binds or connects to 127.0.0.1 only).
#pragma once

#include <netinet/in.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <system_error>

namespace colo::posix {

// Throws std::system_error for errno, naming what failed.
[[noreturn]] inline void fail(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

inline sockaddr_in loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

}  // namespace colo::posix
