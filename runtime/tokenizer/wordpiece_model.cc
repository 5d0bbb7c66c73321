#include "runtime/tokenizer/wordpiece_model.h"

namespace rules_executorch {
namespace tokenizer_internal {

WordPieceModel::WordPieceModel(const std::vector<std::pair<std::string, int32_t>>& vocab, std::string unk_token,
                               std::string continuing_subword_prefix, size_t max_input_chars_per_word)
    : vocab_(vocab),
      unk_id_(vocab_.Find(unk_token)),
      prefix_(std::move(continuing_subword_prefix)),
      max_input_chars_per_word_(max_input_chars_per_word) {}

void WordPieceModel::Tokenize(std::string_view word, std::vector<int32_t>* ids) const {
  size_t chars = 0;
  for (char byte : word) chars += (static_cast<unsigned char>(byte) & 0xC0) != 0x80;
  const size_t first_new = ids->size();
  bool covered = chars <= max_input_chars_per_word_;
  std::string candidate;
  for (size_t start = 0; covered && start < word.size();) {
    // The longest piece from `start` that is in the vocabulary, shortening one character at a time.
    size_t end = word.size();
    std::optional<int32_t> id;
    while (end > start) {
      candidate.assign(start > 0 ? prefix_ : std::string());
      candidate.append(word.data() + start, end - start);
      if ((id = vocab_.Find(candidate))) break;
      do {
        --end;
      } while (end > start && (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80);
    }
    if (!id) {
      covered = false;
      break;
    }
    ids->push_back(*id);
    start = end;
  }
  if (covered) return;
  ids->resize(first_new);
  if (unk_id_) ids->push_back(*unk_id_);
}

}  // namespace tokenizer_internal
}  // namespace rules_executorch
