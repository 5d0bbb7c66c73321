#include "runtime/llm/sampler.h"

#include <algorithm>
#include <cmath>

namespace rules_executorch {

Sampler::Sampler(float temperature, float top_p, uint64_t seed)
    : temperature_(temperature), top_p_(top_p), rng_(seed) {}

int32_t Sampler::Sample(const std::vector<float>& logits) {
  if (logits.empty()) return -1;
  if (temperature_ <= 0.f) {
    return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
  }
  // softmax(logits / T), then keep the smallest set of most likely tokens whose mass >= top_p
  const float max_logit = *std::max_element(logits.begin(), logits.end());
  scratch_.resize(logits.size());
  double total = 0;
  for (size_t i = 0; i < logits.size(); ++i) {
    float p = std::exp((logits[i] - max_logit) / temperature_);
    scratch_[i] = {p, static_cast<int32_t>(i)};
    total += p;
  }
  size_t keep = scratch_.size();
  if (top_p_ > 0.f && top_p_ < 1.f) {
    std::sort(scratch_.begin(), scratch_.end(), [](const auto& a, const auto& b) {
      return a.first > b.first || (a.first == b.first && a.second < b.second);
    });
    double mass = 0;
    for (keep = 0; keep < scratch_.size();) {
      mass += scratch_[keep++].first / total;
      if (mass >= top_p_) break;
    }
    total = 0;
    for (size_t i = 0; i < keep; ++i) total += scratch_[i].first;
  }
  double r = std::uniform_real_distribution<double>(0.0, total)(rng_);
  for (size_t i = 0; i < keep; ++i) {
    r -= scratch_[i].first;
    if (r <= 0) return scratch_[i].second;
  }
  return scratch_[keep - 1].second;
}

}  // namespace rules_executorch
