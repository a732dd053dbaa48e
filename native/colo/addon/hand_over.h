// Hands a std::vector to JS as a typed array. hand_over: over the vector's own memory (an
// external ArrayBuffer that deletes the vector when collected), no copy. hand_out: the same for a
// large vector; a small one is copied into an ArrayBuffer V8 owns and the vector is cleared with
// its capacity kept. Each external buffer costs a finalizer and weak-handle work in every young
// GC; for the few rows a live feed hands over at a time, that cost is far above a copy's.
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

template <class T>
Napi::Value hand_out(Napi::Env env, std::vector<T>& v) {
  const size_t bytes = v.size() * sizeof(T);
  if (bytes >= kCopyBelowBytes) return hand_over(env, std::move(v));
  Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(env, bytes);
  if (bytes > 0) std::memcpy(buf.Data(), v.data(), bytes);
  const size_t n = v.size();
  v.clear();
  return typed_array<T>(env, n, buf);
}

}  // namespace colo_addon
