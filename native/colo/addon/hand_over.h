// Hands a std::vector to JS as a typed array over the vector's own memory (an external
// ArrayBuffer that deletes the vector when collected): no copy on the way out.
#pragma once

#include <napi.h>

#include <cstdint>
#include <type_traits>
#include <vector>

namespace colo_addon {

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
  if constexpr (std::is_same_v<T, double>) return Napi::Float64Array::New(env, n, buf, 0);
  if constexpr (std::is_same_v<T, int64_t>) return Napi::BigInt64Array::New(env, n, buf, 0);
  if constexpr (std::is_same_v<T, uint16_t>) return Napi::Uint16Array::New(env, n, buf, 0);
  if constexpr (std::is_same_v<T, int32_t>) return Napi::Int32Array::New(env, n, buf, 0);
  if constexpr (std::is_same_v<T, uint8_t>) return Napi::Uint8Array::New(env, n, buf, 0);
}

}  // namespace colo_addon
