// Greedy decoding's ArgMax against the plain definition (first index of the largest value) on
// lengths around its 16-value blocks, ties inside and across blocks, the maximum in the tail,
// negative values, infinities and NaNs; and Sampler's greedy mode on the same values.

#include <cmath>
#include <cstdint>
#include <iostream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "runtime/llm/sampler.h"

namespace {

int failures = 0;

int32_t Reference(const std::vector<float>& x) {
  int32_t best = -1;
  for (size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i])) continue;
    if (best < 0 || x[i] > x[best]) best = static_cast<int32_t>(i);
  }
  return x.empty() ? -1 : (best < 0 ? 0 : best);
}

void Check(const std::vector<float>& x, const std::string& what) {
  const int32_t want = Reference(x);
  const int32_t got = rules_executorch::ArgMax(x.data(), x.size());
  if (got != want) {
    ++failures;
    std::cerr << what << " (n=" << x.size() << "): ArgMax " << got << ", expected " << want << "\n";
  }
  if (!x.empty()) {
    rules_executorch::Sampler greedy(0.f, 1.f, 0);
    if (greedy.Sample(x) != want) {
      ++failures;
      std::cerr << what << " (n=" << x.size() << "): Sampler greedy differs from ArgMax\n";
    }
  }
}

}  // namespace

int main() {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.f, 3.f);
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Check({}, "empty");
  for (size_t n : {1, 2, 15, 16, 17, 31, 32, 33, 47, 48, 100, 49152}) {
    std::vector<float> x(n);
    for (float& v : x) v = normal(rng);
    Check(x, "random");
    for (size_t at : {size_t{0}, n / 2, n - 1}) {  // the maximum first, inside, last (the tail)
      std::vector<float> y = x;
      y[at] = 100.f;
      Check(y, "maximum at " + std::to_string(at));
      if (at + 1 < n) {  // a tie: the lower index wins, in the same block or a later one
        y[n - 1] = 100.f;
        Check(y, "tie with the last at " + std::to_string(at));
      }
    }
    std::vector<float> negative(n);
    for (float& v : negative) v = -1000.f - std::fabs(normal(rng));
    Check(negative, "all negative");
    Check(std::vector<float>(n, 5.f), "all equal");
    std::vector<float> infinite = x;
    infinite[n - 1] = inf;
    Check(infinite, "+inf last");
    std::vector<float> nans = x;
    for (size_t i = 0; i < n; i += 3) nans[i] = nan;
    Check(nans, "NaNs among numbers");
    Check(std::vector<float>(n, nan), "only NaNs");
  }
  if (failures) {
    std::cerr << failures << " failures\n";
    return 1;
  }
  std::cout << "ok\n";
  return 0;
}
