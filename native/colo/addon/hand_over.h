// Hands std::vectors to JS as typed arrays. hand_over: over the vector's own memory (an external
// ArrayBuffer that deletes the vector when collected), no copy. Packer: a large vector the same
// way; small ones copied into one ArrayBuffer V8 owns, as views at 8-byte-aligned offsets, and
// cleared with their capacity kept. Each external buffer costs a finalizer and weak-handle work in
// the young GC (and each V8 buffer a backing store to sweep): for the few rows a live feed hands
// over at a time, that is far more than a copy.
#pragma once

#include <napi.h>

#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

namespace colo_addon {

template <class T>
Napi::Value typed_array(Napi::Env env, size_t n, Napi::ArrayBuffer buf) {
  if constexpr (std::is_same_v<T, double>) return Napi::Float64Array::New(env, n, buf, 0);
  if constexpr (std::is_same_v<T, int64_t>) return Napi::BigInt64Array::New(env, n, buf, 0);
  if constexpr (std::is_same_v<T, uint16_t>) return Napi::Uint16Array::New(env, n, buf, 0);
  if constexpr (std::is_same_v<T, int32_t>) return Napi::Int32Array::New(env, n, buf, 0);
  if constexpr (std::is_same_v<T, uint8_t>) return Napi::Uint8Array::New(env, n, buf, 0);
}

template <class T>
Napi::Value hand_over(Napi::Env env, std::vector<T>&& v) {
  auto* owned = new std::vector<T>(std::move(v));
  const size_t n = owned->size();
  Napi::ArrayBuffer buf;
  if (n == 0) {
    delete owned;
    buf = Napi::ArrayBuffer::New(env, 0);
  } else {
    buf = Napi::ArrayBuffer::New(env, owned->data(), n * sizeof(T),
                                 [](Napi::Env, void*, std::vector<T>* p) { delete p; }, owned);
  }
  return typed_array<T>(env, n, buf);
}

// Below this many bytes a column is copied rather than handed over.
constexpr size_t kCopyBelowBytes = 64 * 1024;

// Columns handed out together: small ones are copied into one ArrayBuffer V8 owns (one backing
// store for the lot, not one per column), large ones handed over as they are.
class Packer {
 public:
  explicit Packer(Napi::Env env) : env_(env) {}
  // Adds a column's bytes; call all adds, then take() each in the same order.
  template <class T>
  void add(const std::vector<T>& v) {
    const size_t bytes = v.size() * sizeof(T);
    if (bytes >= kCopyBelowBytes || bytes == 0) return;
    total_ = (total_ + 7) & ~size_t(7);
    total_ += bytes;
  }
  template <class T>
  Napi::Value take(std::vector<T>& v) {
    const size_t bytes = v.size() * sizeof(T);
    if (bytes >= kCopyBelowBytes) return hand_over(env_, std::move(v));
    if (bytes == 0) return typed_array<T>(env_, 0, empty());
    if (buf_.IsEmpty()) buf_ = Napi::ArrayBuffer::New(env_, total_);
    at_ = (at_ + 7) & ~size_t(7);
    if (at_ + bytes > total_) throw Napi::Error::New(env_, "colo Packer: take() without a matching add()");
    std::memcpy(static_cast<uint8_t*>(buf_.Data()) + at_, v.data(), bytes);
    const size_t n = v.size();
    Napi::Value out = typed_array_at<T>(n, at_);
    at_ += bytes;
    v.clear();
    return out;
  }

 private:
  Napi::ArrayBuffer empty() {
    if (empty_.IsEmpty()) empty_ = Napi::ArrayBuffer::New(env_, 0);
    return empty_;
  }
  template <class T>
  Napi::Value typed_array_at(size_t n, size_t offset) {
    if constexpr (std::is_same_v<T, double>) return Napi::Float64Array::New(env_, n, buf_, offset);
    if constexpr (std::is_same_v<T, int64_t>) return Napi::BigInt64Array::New(env_, n, buf_, offset);
    if constexpr (std::is_same_v<T, uint16_t>) return Napi::Uint16Array::New(env_, n, buf_, offset);
    if constexpr (std::is_same_v<T, int32_t>) return Napi::Int32Array::New(env_, n, buf_, offset);
    if constexpr (std::is_same_v<T, uint8_t>) return Napi::Uint8Array::New(env_, n, buf_, offset);
  }
  Napi::Env env_;
  Napi::ArrayBuffer buf_, empty_;
  size_t total_ = 0, at_ = 0;
};


}  // namespace colo_addon
