// XNNPACK delegates re-planned only when an input's shape changed.
//
// ExecuTorch's XNNPACK delegate re-plans its XNNPACK runtime (xnn_reshape_runtime: every
// operator's shape propagation, tile sizes and workspace layout) on every call, whether or not
// an input's shape changed since the last call. On a decoder layer that is ~20 us per call,
// ~17 % of a SmolLM2 decode step. These definitions wrap the XNNPACK functions the delegate
// calls for it: the input shapes passed to xnn_reshape_external_value are remembered per
// runtime, and xnn_reshape_runtime is skipped while none changed since the runtime's last
// successful plan (XNNPACK keeps the plan; it moves the pointers of every runtime sharing a
// workspace itself when the workspace grows, and the delegate still sets up its inputs and
// outputs on every call); xnn_delete_runtime forgets a runtime.
//
// This works where the XNNPACK backend is a shared library that calls these functions through
// its PLT (the Linux wheel runtimes): the executable's definitions come first in symbol lookup
// and find the library's own with dlsym(RTLD_NEXT). They are weak, so a runtime that links
// XNNPACK statically keeps its own (and these count nothing).
#include "runtime/xnnpack_plans.h"

#include <cstddef>  // before the test below: defines __GLIBC__ where it applies
#include <cstdint>

#if defined(__linux__) && defined(__GLIBC__)
#include <dlfcn.h>

#include <algorithm>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace {

struct Plan {
  std::unordered_map<uint32_t, std::vector<size_t>> input_shapes;
  bool valid = false;  // the last xnn_reshape_runtime succeeded and no input shape changed since
};

// never destroyed: runtimes may be deleted after main returns
std::mutex& PlansMutex() {
  static auto* mutex = new std::mutex();
  return *mutex;
}
std::unordered_map<void*, Plan>& Plans() {
  static auto* plans = new std::unordered_map<void*, Plan>();
  return *plans;
}
bool reuse_plans = true;
unsigned long long plans_reused = 0, plans_made = 0;

template <typename F>
F Next(F, const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

}  // namespace

extern "C" {

// enum xnn_status (xnn_status_success == 0) and xnn_runtime_t, as declared in xnnpack.h
__attribute__((weak)) int xnn_reshape_external_value(void* runtime, uint32_t external_id, size_t num_dims,
                                                     const size_t* dims);
__attribute__((weak)) int xnn_reshape_runtime(void* runtime);
__attribute__((weak)) int xnn_delete_runtime(void* runtime);

__attribute__((weak)) int xnn_reshape_external_value(void* runtime, uint32_t external_id, size_t num_dims,
                                                     const size_t* dims) {
  static const auto next = Next(&xnn_reshape_external_value, "xnn_reshape_external_value");
  const int status = next(runtime, external_id, num_dims, dims);
  if (status == 0) {
    std::lock_guard<std::mutex> lock(PlansMutex());
    Plan& plan = Plans()[runtime];
    std::vector<size_t>& shape = plan.input_shapes[external_id];
    if (shape.size() != num_dims || !std::equal(shape.begin(), shape.end(), dims)) {
      shape.assign(dims, dims + num_dims);
      plan.valid = false;
    }
  }
  return status;
}

__attribute__((weak)) int xnn_reshape_runtime(void* runtime) {
  static const auto next = Next(&xnn_reshape_runtime, "xnn_reshape_runtime");
  {
    std::lock_guard<std::mutex> lock(PlansMutex());
    auto found = Plans().find(runtime);
    if (reuse_plans && found != Plans().end() && found->second.valid) {
      ++plans_reused;
      return 0;
    }
  }
  const int status = next(runtime);
  std::lock_guard<std::mutex> lock(PlansMutex());
  Plans()[runtime].valid = status == 0;
  ++plans_made;
  return status;
}

__attribute__((weak)) int xnn_delete_runtime(void* runtime) {
  static const auto next = Next(&xnn_delete_runtime, "xnn_delete_runtime");
  {
    std::lock_guard<std::mutex> lock(PlansMutex());
    Plans().erase(runtime);  // a new runtime may get the same address
  }
  return next(runtime);
}

}  // extern "C"

namespace rules_executorch {

void ReuseXnnpackPlans(bool reuse) {
  std::lock_guard<std::mutex> lock(PlansMutex());
  reuse_plans = reuse;
}

XnnpackPlanStats GetXnnpackPlanStats() {
  std::lock_guard<std::mutex> lock(PlansMutex());
  return {plans_made, plans_reused};
}

}  // namespace rules_executorch

#else

namespace rules_executorch {

void ReuseXnnpackPlans(bool) {}
XnnpackPlanStats GetXnnpackPlanStats() { return {}; }

}  // namespace rules_executorch

#endif
