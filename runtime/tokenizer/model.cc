#include "runtime/tokenizer/model.h"

namespace rules_executorch {
namespace tokenizer_internal {

Vocabulary::Vocabulary(const std::vector<std::pair<std::string, int32_t>>& entries) {
  ids_.reserve(entries.size());
  for (const auto& [token, id] : entries) ids_[token] = id;
  for (const auto& [token, id] : entries) {
    if (ids_.at(token) == id) tokens_[id] = token;
  }
}

}  // namespace tokenizer_internal
}  // namespace rules_executorch
