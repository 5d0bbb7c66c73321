// Choosing the next token from logits: greedy, or seeded temperature + nucleus (top-p) sampling.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace rules_executorch {

// Index of the largest of n values, the lowest index among equals (-1 when n is 0).
int32_t ArgMax(const float* x, size_t n);

class Sampler {
 public:
  // temperature 0 means greedy (argmax; ties go to the lowest id).
  Sampler(float temperature, float top_p, uint64_t seed);
  int32_t Sample(const std::vector<float>& logits);

 private:
  float temperature_;
  float top_p_;
  std::mt19937_64 rng_;
  std::vector<std::pair<float, int32_t>> scratch_;
};

}  // namespace rules_executorch
