// An OUCH 4.2 Enter Order as the venue tests send it: limit, displayed, principal, no minimum.
#pragma once

#include <string>

#include "colo/ouch42.h"

namespace colo::test {

inline ouch42::EnterOrder enter_order(const std::string& token, char side, uint32_t shares, const std::string& stock,
                                      uint32_t price, uint32_t tif = ouch42::kTifMarketHours) {
  ouch42::EnterOrder m;
  m.order_token = ouch42::Token::of(token);
  m.side = side;
  m.shares = shares;
  m.stock = Symbol::of(stock);
  m.price = price;
  m.time_in_force = tif;
  m.firm = Alpha<4>::of("");
  m.display = 'Y';
  m.capacity = 'P';
  m.intermarket_sweep = 'N';
  m.cross_type = 'N';
  m.customer_type = ' ';
  return m;
}

}  // namespace colo::test
