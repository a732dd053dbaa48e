// colo.node: the Node binding of native/colo. Each feature file exposes Init<Feature>(env, exports).
#include <napi.h>

void InitItch(Napi::Env env, Napi::Object exports);
void InitOuch(Napi::Env env, Napi::Object exports);
void InitItchFeed(Napi::Env env, Napi::Object exports);
void InitOuchClient(Napi::Env env, Napi::Object exports);

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InitItch(env, exports);
  InitOuch(env, exports);
  InitItchFeed(env, exports);
  InitOuchClient(env, exports);
  return exports;
}

NODE_API_MODULE(colo, Init)
