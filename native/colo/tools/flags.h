// Flag checks shared by the colo tools (colo_venue, colo_fastpath).
#pragma once

#include <set>
#include <string>

namespace colo::tools {

// A number in plain digits with at most one decimal point ("0.5", "60", "1."): strtod alone also
// takes " 1", "0x10" (16), "1e1", "-0", "inf" and "nan".
inline bool plain_decimal(const std::string& v) {
  return !v.empty() && v.find_first_not_of("0123456789.") == std::string::npos && v.find('.') == v.rfind('.') &&
         v.find_first_of("0123456789") != std::string::npos;
}

// Whether `flag` (an argument starting "--") comes for the first time: a second one would replace the
// first's value without a word.
inline bool first_time(std::set<std::string>& seen, const std::string& flag) {
  return flag.rfind("--", 0) != 0 || seen.insert(flag).second;
}

}  // namespace colo::tools
