// Runs a text-generation program with ExecuTorch's LLM calling convention:
//   forward(input_ids[1, n], cache_position[n]) -> logits   (KV cache inside the program)
// or, for programs without a KV cache, forward(input_ids[1, n]) -> logits over the sequence.
// Metadata comes from the program's constant methods (get_max_seq_len, get_eos_ids, ...).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "runtime/program.h"

namespace rules_executorch {

struct LlmMetadata {
  int64_t max_seq_len = 0;      // longest sequence the program was exported for
  int64_t max_context_len = 0;  // KV-cache positions
  int64_t vocab_size = 0;
  int64_t bos_id = -1;
  std::vector<int64_t> eos_ids;
  bool use_kv_cache = true;
  bool enable_dynamic_shape = false;
  int64_t max_prefill_chunk = 1;  // tokens one forward call takes
};

class TextDecoder {
 public:
  // nullptr with *error (one sentence) when the program does not follow the convention.
  static std::unique_ptr<TextDecoder> Create(std::unique_ptr<Module> module, const std::string& path,
                                             std::string* error);
  const LlmMetadata& metadata() const { return metadata_; }

  // Feeds `tokens` at positions [start, start + n); returns false with *error on failure.
  // `logits` receives the logits of the last token fed.
  bool Prefill(const std::vector<int64_t>& tokens, int64_t start, std::vector<float>* logits, std::string* error);
  bool Step(int64_t token, int64_t position, std::vector<float>* logits, std::string* error);

 private:
  TextDecoder(std::unique_ptr<Module> module, std::string path) : module_(std::move(module)), path_(std::move(path)) {}
  bool Forward(const int64_t* tokens, int64_t n, int64_t start, std::vector<float>* logits, std::string* error);

  std::unique_ptr<Module> module_;
  std::string path_;
  LlmMetadata metadata_;
  std::vector<int64_t> history_;  // whole sequence, for programs without a KV cache
};

}  // namespace rules_executorch
