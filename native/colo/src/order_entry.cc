#include "colo/order_entry.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <charconv>
#include <cmath>

namespace colo::order_entry {
namespace {

std::string num(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) {
    return std::to_string(int64_t(v));  // 1000000, not 1e+06
  }
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

Mapped reject(const Order& o, const std::string& why) {
  Mapped m;
  m.error = "alpha: order " + o.order_id + ": " + why;
  return m;
}

bool valid_symbol(std::string_view s) {
  if (s.empty() || s.size() > 8) return false;
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.')) return false;
  }
  return true;
}

// The share count, or an error.
std::optional<uint32_t> shares_of(const Order& o, std::string& why) {
  if (!std::isfinite(o.qty) || o.qty != std::floor(o.qty)) {
    why = "qty " + num(o.qty) + " is not a whole number of shares; OUCH takes 1..999999";
    return std::nullopt;
  }
  if (o.qty < 1 || o.qty > kMaxShares) {
    why = "qty " + num(o.qty) + " is outside OUCH's 1..999999 shares";
    return std::nullopt;
  }
  return uint32_t(o.qty);
}

// The limit price sent: LIMIT its own, MARKET the collar around ref_price.
std::optional<uint32_t> price_of(const Order& o, const Config& c, std::string& why) {
  double px;
  if (o.order_type == OrderType::kLimit) {
    if (!o.limit_price || !(*o.limit_price > 0) || !std::isfinite(*o.limit_price)) {
      why = "LIMIT order needs a positive limit_price";
      return std::nullopt;
    }
    px = *o.limit_price;
  } else {
    if (!(o.ref_price > 0) || !std::isfinite(o.ref_price)) {
      why = "MARKET order needs a positive ref_price to set its collar";
      return std::nullopt;
    }
    px = o.side == Side::kBuy ? o.ref_price * (1 + c.market_collar)
                              : o.ref_price * (1 - c.market_collar);
  }
  auto p4 = passive_tick(px, o.side);
  if (!p4) why = "price " + num(px) + " is not on OUCH's $0.0001..$199999.99 tick grid";
  return p4;
}

uint32_t tif_of(const Order& o) {
  if (o.order_type == OrderType::kMarket || o.time_in_force == TimeInForce::kIoc) {
    return ouch42::kTifImmediateOrCancel;
  }
  return ouch42::kTifMarketHours;
}

}  // namespace

std::optional<uint32_t> passive_tick(double price, Side side) {
  if (!(price > 0) || !std::isfinite(price) || price > 1e6) return std::nullopt;
  double x = price * 1e4;
  double r = std::nearbyint(x);
  if (std::fabs(x - r) < 1e-6) x = r;  // 10.07 * 1e4 is 100699.99999999999
  uint64_t v = uint64_t(side == Side::kBuy ? std::floor(x) : std::ceil(x));
  if (v >= 10'000) v = side == Side::kBuy ? v / 100 * 100 : (v + 99) / 100 * 100;
  if (v == 0 || v > kMaxPrice4) return std::nullopt;
  return uint32_t(v);
}

namespace {

// OpenSSL 3's one-shot SHA256() looks the algorithm up on every call (about 300 ns here); the
// digest is fetched once and each thread keeps one context.
struct Sha256 {
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~Sha256() {
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
  }
  bool digest(std::string_view in, unsigned char* out) {
    unsigned int n = 0;
    return md && ctx && EVP_DigestInit_ex2(ctx, md, nullptr) == 1 &&
           EVP_DigestUpdate(ctx, in.data(), in.size()) == 1 && EVP_DigestFinal_ex(ctx, out, &n) == 1;
  }
};

}  // namespace

ouch42::Token order_token(std::string_view order_id) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  thread_local Sha256 sha;
  if (!sha.digest(order_id, digest))
    SHA256(reinterpret_cast<const unsigned char*>(order_id.data()), order_id.size(), digest);
  unsigned __int128 v = 0;
  for (int i = 0; i < 9; ++i) v = v << 8 | digest[i];
  ouch42::Token t;
  static constexpr char kDigits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  for (int i = 13; i >= 0; --i) {
    t.bytes[size_t(i)] = kDigits[unsigned(v % 36)];
    v /= 36;
  }
  return t;
}

Mapped to_ouch(const Order& o, const Config& c) {
  if (o.order_id.empty()) return reject(o, "order_id is empty");
  std::string why;
  if (o.action == Action::kCancel) {
    if (o.target_order_id.empty()) return reject(o, "CANCEL needs target_order_id");
    return Mapped{true, ouch42::CancelOrder{order_token(o.target_order_id), 0}, {}};
  }
  auto shares = shares_of(o, why);
  if (!shares) return reject(o, why);
  auto price = price_of(o, c, why);
  if (!price) return reject(o, why);
  if (o.action == Action::kReplace) {
    if (o.target_order_id.empty()) return reject(o, "REPLACE needs target_order_id");
    ouch42::ReplaceOrder r;
    r.existing_order_token = order_token(o.target_order_id);
    r.replacement_order_token = order_token(o.order_id);
    r.shares = *shares;
    r.price = *price;
    r.time_in_force = tif_of(o);
    r.display = c.display;
    r.intermarket_sweep = c.intermarket_sweep;
    r.minimum_quantity = 0;
    return Mapped{true, r, {}};
  }
  if (!valid_symbol(o.symbol)) {
    return reject(o, "symbol \"" + o.symbol + "\" is not 1..8 characters of A-Z 0-9 .");
  }
  ouch42::EnterOrder e;
  e.order_token = order_token(o.order_id);
  e.side = o.side == Side::kBuy ? 'B' : 'S';
  e.shares = *shares;
  e.stock = Symbol::of(o.symbol);
  e.price = *price;
  e.time_in_force = tif_of(o);
  e.firm = ouch42::Firm::of(c.firm);
  e.display = c.display;
  e.capacity = c.capacity;
  e.intermarket_sweep = c.intermarket_sweep;
  e.minimum_quantity = 0;
  e.cross_type = c.cross_type;
  e.customer_type = c.customer_type;
  return Mapped{true, e, {}};
}

}  // namespace colo::order_entry
