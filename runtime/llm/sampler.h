// Choosing the next token from logits: greedy, or seeded temperature + nucleus (top-p) sampling.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace rules_executorch {

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
