#ifndef RULES_EXECUTORCH_RUNTIME_TOKENIZER_ADDED_VOCABULARY_H_
#define RULES_EXECUTORCH_RUNTIME_TOKENIZER_ADDED_VOCABULARY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "runtime/tokenizer/model.h"
#include "runtime/tokenizer/pipeline.h"

namespace rules_executorch {
namespace tokenizer_internal {

// An entry of tokenizer.json's "added_tokens".
struct AddedToken {
  std::string content;
  bool single_word = false;  // only match between non-word characters
  bool lstrip = false;       // the match swallows whitespace on its left
  bool rstrip = false;       // ... and on its right
  bool normalized = true;    // match the normalized text instead of the raw input
  bool special = false;      // dropped by Decode(..., skip_special_tokens=true)

  bool operator==(const AddedToken& other) const {
    return content == other.content && single_word == other.single_word && lstrip == other.lstrip &&
           rstrip == other.rstrip && normalized == other.normalized && special == other.special;
  }
};

// Finds the leftmost-longest occurrence of any of a set of strings (a byte trie).
class AddedTokenMatcher {
 public:
  // False if the pattern is already present.
  bool Add(std::string_view pattern, int32_t id);
  bool empty() const { return nodes_.size() == 1; }
  // The leftmost-longest match starting at or after `from`.
  bool FindNext(std::string_view text, size_t from, size_t* start, size_t* end, int32_t* id) const;

 private:
  struct Node {
    std::vector<std::pair<unsigned char, int32_t>> children;  // sorted by byte
    int32_t id = -1;                                          // >= 0: a pattern ends here
  };
  int32_t Child(int32_t node, unsigned char byte) const;
  std::vector<Node> nodes_ = std::vector<Node>(1);
};

// Added tokens and how they cut the input, as tokenizers' AddedVocabulary.
class AddedVocabulary {
 public:
  // Adds the tokens as tokenizers does when loading tokenizer.json: a token keeps the id its
  // content has in the model (or an earlier added token), others are numbered from the model's
  // vocabulary size on; the "id" written in the file is not used. Fails if two tokens would
  // match the same text, or an id exceeds the int32 range.
  bool AddTokens(const std::vector<AddedToken>& tokens, const Model& model,
                 const std::vector<NormalizerStep>& normalizer, std::string* error);

  // Cuts a piece of raw input on the tokens with normalized=false.
  void SplitOnRawTokens(Piece piece, std::vector<Piece>* out) const { Split(std::move(piece), raw_matcher_, out); }
  // Cuts a normalized piece on the tokens with normalized=true.
  void SplitOnNormalizedTokens(Piece piece, std::vector<Piece>* out) const {
    Split(std::move(piece), normalized_matcher_, out);
  }

  std::optional<int32_t> TokenToId(const std::string& content) const;
  // The text an added token decodes from: its normalized form if that differs, else its content.
  const std::string* DecodedForm(int32_t id) const;
  bool IsSpecial(const std::string& token) const { return special_contents_.count(token) != 0; }
  // Contents that are not also tokens of the model.
  size_t CountNotInModel(const Model& model) const;

 private:
  void Split(Piece piece, const AddedTokenMatcher& matcher, std::vector<Piece>* out) const;

  std::unordered_map<std::string, int32_t> ids_by_content_;
  std::unordered_map<int32_t, AddedToken> tokens_by_id_;
  std::unordered_map<int32_t, std::string> normalized_forms_;
  std::unordered_set<std::string> special_contents_;
  AddedTokenMatcher raw_matcher_;
  AddedTokenMatcher normalized_matcher_;
};

}  // namespace tokenizer_internal
}  // namespace rules_executorch

#endif  // RULES_EXECUTORCH_RUNTIME_TOKENIZER_ADDED_VOCABULARY_H_
