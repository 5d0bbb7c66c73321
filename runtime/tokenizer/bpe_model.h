#ifndef RULES_EXECUTORCH_RUNTIME_TOKENIZER_BPE_MODEL_H_
#define RULES_EXECUTORCH_RUNTIME_TOKENIZER_BPE_MODEL_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "runtime/tokenizer/model.h"

namespace rules_executorch {
namespace tokenizer_internal {

struct BpeOptions {
  std::optional<std::string> unk_token;
  bool fuse_unk = false;
  bool byte_fallback = false;
  bool ignore_merges = false;
};

// The BPE model of Hugging Face tokenizers: merges applied by rank to the characters of one
// pre-token at a time.
class BpeModel : public Model {
 public:
  // vocab: token -> id in file order (a later duplicate wins); merges: pairs in rank order.
  // Fails, setting *error, when a merge names a token missing from the vocabulary.
  static std::unique_ptr<BpeModel> Build(const std::vector<std::pair<std::string, int32_t>>& vocab,
                                         const std::vector<std::pair<std::string, std::string>>& merges,
                                         BpeOptions options, std::string* error);

  void Tokenize(std::string_view word, std::vector<int32_t>* ids) const override;
  std::optional<int32_t> TokenToId(const std::string& token) const override;
  const std::string* IdToToken(int32_t id) const override;
  size_t VocabEntryCount() const override { return vocab_.size(); }

 private:
  struct MergeResult {
    uint32_t rank;
    int32_t new_id;
  };
  static uint64_t PairKey(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }
  const MergeResult* FindMerge(int32_t left, int32_t right) const;

  BpeOptions options_;
  Vocabulary vocab_;
  // Ids of single-character tokens by code point: the starting symbols of every word.
  std::unordered_map<char32_t, int32_t> char_ids_;
  // Id of "<0xNN>" for each byte, or -1.
  std::array<int32_t, 256> byte_fallback_ids_{};
  std::optional<int32_t> unk_id_;
  std::unordered_map<uint64_t, MergeResult> merges_;
};

}  // namespace tokenizer_internal
}  // namespace rules_executorch

#endif  // RULES_EXECUTORCH_RUNTIME_TOKENIZER_BPE_MODEL_H_
