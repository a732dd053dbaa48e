// colo.node: the Node binding of native/colo. Each feature file exposes Init<Feature>(env, exports).
#include <napi.h>

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("itchMessageTypes", Napi::Number::New(env, 23));
  return exports;
}

NODE_API_MODULE(colo, Init)
