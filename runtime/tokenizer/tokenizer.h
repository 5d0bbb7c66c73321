#ifndef RULES_EXECUTORCH_RUNTIME_TOKENIZER_TOKENIZER_H_
#define RULES_EXECUTORCH_RUNTIME_TOKENIZER_TOKENIZER_H_

// A Hugging Face tokenizer.json reader that encodes and decodes like the Python `tokenizers`
// library (0.23) for the families LLM and encoder runners need:
//   - byte-level BPE (GPT-2, Llama 3, Qwen2/3, SmolLM2): ByteLevel and Digits pre-tokenizers,
//     Split with the GPT-2, Llama 3 or Qwen2 regex (or a plain string), NFC normalizer;
//   - BPE with byte fallback and a metaspace (Llama 2, Mistral, Gemma): Prepend and Replace
//     normalizers, Metaspace pre-tokenizer, Replace / ByteFallback / Fuse / Strip / Metaspace
//     decoders; unk_token and fuse_unk;
//   - WordPiece (BERT, sentence-transformers such as all-MiniLM-L6-v2): BertNormalizer,
//     BertPreTokenizer, WordPiece decoder.
// Post-processors (TemplateProcessing's single-sequence template, BertProcessing,
// RobertaProcessing, ByteLevel) are applied only by EncodeWithSpecialTokens. Added tokens are
// split out first, honouring lstrip, rstrip, single_word, normalized and special. Loading
// rejects, with an error, what would not encode the same: other model types (Unigram,
// WordLevel, ...), BPE dropout, continuing_subword_prefix, end_of_word_suffix, other split
// regexes, Regex patterns in Replace, and other normalizers, pre-tokenizers, post-processors and
// decoders. The "truncation" and "padding" sections are ignored: every encoding is the whole
// text, unpadded. Character classes come from Python's unicodedata, which may be a version
// behind tokenizers' regex engine for characters assigned in the newest Unicode versions; the
// BERT steps' classes come from the tokenizers library itself.
//
// No exceptions cross this API (short of running out of memory), and a Tokenizer is
// immutable: use it from many threads.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rules_executorch {

namespace tokenizer_internal {
struct TokenizerData;
}  // namespace tokenizer_internal

class Tokenizer {
 public:
  // Returns nullptr and sets *error to one sentence (naming the file and what is wrong or
  // unsupported) on failure.
  static std::unique_ptr<Tokenizer> FromFile(const std::string& path, std::string* error);
  static std::unique_ptr<Tokenizer> FromJson(const std::string& json_text, std::string* error);

  ~Tokenizer();
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // Token ids of `text`, like tokenizers' encode(text, add_special_tokens=False): the
  // post_processor is not applied, so no BOS/EOS; add them with TokenToId. Text that is not
  // valid UTF-8 is first repaired, each malformed sequence becoming U+FFFD. Where tokenizers
  // raises an error instead (a character, or for WordPiece a word, needs an unk_token that is
  // missing from the vocabulary), that character or word is dropped.
  std::vector<int32_t> Encode(const std::string& text) const;

  // Like tokenizers' encode(text, add_special_tokens=True) for one sequence: Encode, then the
  // post_processor (e.g. BERT's [CLS] ... [SEP]). Ids, their type ids (token_type_ids) and the
  // attention mask (all ones, as nothing is padded), of equal length.
  struct Encoding {
    std::vector<int32_t> ids;
    std::vector<int32_t> type_ids;
    std::vector<int32_t> attention_mask;
  };
  Encoding EncodeWithSpecialTokens(const std::string& text) const;

  // Text of `ids`, like tokenizers' decode. Ids that name no token (negative, or beyond the
  // vocabulary) are skipped, as tokenizers does. skip_special_tokens drops the added tokens
  // marked special.
  std::string Decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const;

  // Number of distinct tokens, added tokens included (tokenizers' get_vocab_size(True)).
  int32_t VocabSize() const;

  // The id of a token, added tokens first (e.g. TokenToId("<|begin_of_text|>") for a BOS).
  std::optional<int32_t> TokenToId(const std::string& token) const;
  // The token of an id; for an added token with normalized=true, its normalized form.
  std::optional<std::string> IdToToken(int32_t id) const;

 private:
  explicit Tokenizer(std::unique_ptr<tokenizer_internal::TokenizerData> data);

  std::unique_ptr<const tokenizer_internal::TokenizerData> data_;
};

}  // namespace rules_executorch

#endif  // RULES_EXECUTORCH_RUNTIME_TOKENIZER_TOKENIZER_H_
