// LoopHandles: the libuv handles an addon object (ItchFeed, OuchClient) keeps on Node's event loop,
// and the environment's wait for them to close.
//
// When an environment ends (a worker thread) Node unloads the addon after its cleanup hooks ran. A
// handle closed by such a hook is only called back by the loop's next turns: with a plain cleanup
// hook that callback (code of this addon) ran after the addon was unloaded, and the worker's process
// crashed. An async cleanup hook holds the environment until it is removed, which happens here
// when the last handle made through this object has been called back.
//
// Owned by its object until `release()` (the object stopped: no more handles), then by the handles
// still closing; it deletes itself after the last one.
#pragma once

#include <node_api.h>
#include <uv.h>

#include <cstdlib>
#include <functional>
#include <new>

namespace colo_addon {

class LoopHandles {
 public:
  // `on_teardown`: the owner's stop, called when the environment ends while the owner is not
  // released yet; it closes its handles (close()) and calls release().
  LoopHandles(napi_env env, std::function<void()> on_teardown) : on_teardown_(std::move(on_teardown)) {
    if (napi_add_async_cleanup_hook(env, &LoopHandles::OnTeardown, this, &hook_) != napi_ok) hook_ = nullptr;
  }
  LoopHandles(const LoopHandles&) = delete;
  LoopHandles& operator=(const LoopHandles&) = delete;

  // A zeroed handle to init, counted as open until closed through close(); throws std::bad_alloc.
  template <class Handle>
  Handle* make() {
    void* p = std::calloc(1, sizeof(Handle));
    if (p == nullptr) throw std::bad_alloc();
    ++open_;
    return static_cast<Handle*>(p);
  }

  // A handle from make() that uv_*_init refused (never on the loop): freed now.
  void discard(void* handle) {
    std::free(handle);
    --open_;
    finish_if_done();
  }

  // Closes a handle from make() (its own callbacks stop now); freed when the loop calls back.
  template <class Handle>
  void close(Handle* handle) {
    auto* h = reinterpret_cast<uv_handle_t*>(handle);
    h->data = this;
    uv_close(h, &LoopHandles::OnClosed);
  }

  // The owner stopped (every handle closed or closing) and forgets this object.
  void release() {
    released_ = true;
    on_teardown_ = nullptr;
    finish_if_done();
  }

 private:
  static void OnClosed(uv_handle_t* h) {
    auto* self = static_cast<LoopHandles*>(h->data);
    std::free(h);
    --self->open_;
    self->finish_if_done();
  }

  // Released already, the handles' close callbacks finish (this object may not be touched after
  // the owner's stop: release() may have deleted it).
  static void OnTeardown(napi_async_cleanup_hook_handle, void* arg) {
    auto* self = static_cast<LoopHandles*>(arg);
    if (self->released_) return;
    std::function<void()> stop = std::move(self->on_teardown_);
    if (stop) stop();  // closes the owner's handles and releases
    else self->release();
  }

  // Released with nothing open: removes the hook (the environment may go on) and deletes itself.
  void finish_if_done() {
    if (!released_ || open_ > 0) return;
    if (hook_ != nullptr) napi_remove_async_cleanup_hook(hook_);
    delete this;
  }

  std::function<void()> on_teardown_;
  napi_async_cleanup_hook_handle hook_ = nullptr;
  int open_ = 0;
  bool released_ = false;
};

}  // namespace colo_addon
