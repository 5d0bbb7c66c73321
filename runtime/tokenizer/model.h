#ifndef RULES_EXECUTORCH_RUNTIME_TOKENIZER_MODEL_H_
#define RULES_EXECUTORCH_RUNTIME_TOKENIZER_MODEL_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace rules_executorch {
namespace tokenizer_internal {

// The token <-> id maps of a model's vocabulary.
class Vocabulary {
 public:
  Vocabulary() = default;
  // Entries in file order: a repeated token keeps its later id, and an id shared by several
  // tokens maps back to the later one.
  explicit Vocabulary(const std::vector<std::pair<std::string, int32_t>>& entries);

  std::optional<int32_t> Find(const std::string& token) const {
    const auto it = ids_.find(token);
    if (it == ids_.end()) return std::nullopt;
    return it->second;
  }
  const std::string* Token(int32_t id) const {
    const auto it = tokens_.find(id);
    return it == tokens_.end() ? nullptr : &it->second;
  }
  size_t size() const { return ids_.size(); }
  const std::unordered_map<std::string, int32_t>& ids() const { return ids_; }

 private:
  std::unordered_map<std::string, int32_t> ids_;
  std::unordered_map<int32_t, std::string> tokens_;
};

// The model of a tokenizer: turns one pre-token into ids (BPE, WordPiece).
class Model {
 public:
  virtual ~Model() = default;

  // Appends the ids of one pre-token (valid UTF-8).
  virtual void Tokenize(std::string_view word, std::vector<int32_t>* ids) const = 0;

  virtual std::optional<int32_t> TokenToId(const std::string& token) const = 0;
  virtual const std::string* IdToToken(int32_t id) const = 0;
  // Number of distinct tokens, which tokenizers uses as the first id of added tokens.
  virtual size_t VocabEntryCount() const = 0;
};

}  // namespace tokenizer_internal
}  // namespace rules_executorch

#endif  // RULES_EXECUTORCH_RUNTIME_TOKENIZER_MODEL_H_
