// Latency summaries.
#pragma once

#include <algorithm>
#include <vector>

namespace rules_executorch {

struct LatencySummary {
  double min_ms = 0, p50_ms = 0, p90_ms = 0, mean_ms = 0;
};

inline LatencySummary Summarize(std::vector<double> ms) {
  LatencySummary s;
  if (ms.empty()) return s;
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) { return ms[std::min(ms.size() - 1, static_cast<size_t>(q * (ms.size() - 1) + 0.5))]; };
  s.min_ms = ms.front();
  s.p50_ms = at(0.5);
  s.p90_ms = at(0.9);
  double sum = 0;
  for (double v : ms) sum += v;
  s.mean_ms = sum / ms.size();
  return s;
}

}  // namespace rules_executorch
