// XNNPACK delegates re-planned only when an input's shape changed (xnnpack_plans.cc).
#pragma once

namespace rules_executorch {

// On by default where it applies (the Linux wheel runtimes); false re-plans on every call, as
// ExecuTorch does.
void ReuseXnnpackPlans(bool reuse);

struct XnnpackPlanStats {
  unsigned long long made = 0;    // XNNPACK plans made (xnn_reshape_runtime run)
  unsigned long long reused = 0;  // delegate calls that kept their runtime's plan
};
XnnpackPlanStats GetXnnpackPlanStats();

}  // namespace rules_executorch
