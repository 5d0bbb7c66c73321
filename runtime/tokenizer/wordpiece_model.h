#ifndef RULES_EXECUTORCH_RUNTIME_TOKENIZER_WORDPIECE_MODEL_H_
#define RULES_EXECUTORCH_RUNTIME_TOKENIZER_WORDPIECE_MODEL_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/tokenizer/model.h"

namespace rules_executorch {
namespace tokenizer_internal {

// The WordPiece model of Hugging Face tokenizers (BERT): each pre-token becomes the longest
// vocabulary entry at its start, then the longest "##"-prefixed entry at the rest, and so on;
// a pre-token that cannot be covered, or is longer than max_input_chars_per_word characters,
// becomes the unknown token.
class WordPieceModel : public Model {
 public:
  WordPieceModel(const std::vector<std::pair<std::string, int32_t>>& vocab, std::string unk_token,
                 std::string continuing_subword_prefix, size_t max_input_chars_per_word);

  // Where tokenizers fails the encode because unk_token is not in the vocabulary, the
  // pre-token is dropped.
  void Tokenize(std::string_view word, std::vector<int32_t>* ids) const override;
  std::optional<int32_t> TokenToId(const std::string& token) const override { return vocab_.Find(token); }
  const std::string* IdToToken(int32_t id) const override { return vocab_.Token(id); }
  size_t VocabEntryCount() const override { return vocab_.size(); }

 private:
  Vocabulary vocab_;
  std::optional<int32_t> unk_id_;
  std::string prefix_;
  size_t max_input_chars_per_word_;
};

}  // namespace tokenizer_internal
}  // namespace rules_executorch

#endif  // RULES_EXECUTORCH_RUNTIME_TOKENIZER_WORDPIECE_MODEL_H_
