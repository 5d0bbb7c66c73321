#ifndef RULES_EXECUTORCH_RUNTIME_TOKENIZER_PIPELINE_H_
#define RULES_EXECUTORCH_RUNTIME_TOKENIZER_PIPELINE_H_

// The configurable stages around the model: normalizer, pre-tokenizer and decoder, each a flat
// list of steps (a tokenizers "Sequence" applies its members one after the other, so nested
// sequences flatten without changing behaviour).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/tokenizer/json.h"
#include "runtime/tokenizer/split_patterns.h"

namespace rules_executorch {
namespace tokenizer_internal {

// A piece of the input on its way to the model.
struct Piece {
  std::string text;
  int32_t added_token_id = -1;  // >= 0: an added token, which no later stage touches
  // Begins at offset 0 of the original input, for Metaspace's prepend_scheme "first". (The
  // first piece of a split keeps it; tokenizers also keeps it for later pieces that start
  // inside text a normalizer prepended, a combination no known tokenizer.json uses.)
  bool starts_input = false;
};

struct NormalizerStep {
  enum class Kind { kPrepend, kReplace, kNfc, kBert };
  Kind kind;
  std::string pattern;  // kReplace: the literal text to replace
  std::string content;  // kPrepend: what to prepend; kReplace: the replacement
  // kBert, in the order BertNormalizer applies them
  bool clean_text = true;            // drop control characters, whitespace becomes ' '
  bool handle_chinese_chars = true;  // spaces around CJK ideographs
  bool strip_accents = true;         // NFD, then drop nonspacing marks (null in the file: = lowercase)
  bool lowercase = true;
};

enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };
enum class PrependScheme { kFirst, kNever, kAlways };

struct PreTokenizerStep {
  // kBert: BertPreTokenizer, splits on whitespace (removed) and punctuation (isolated).
  enum class Kind { kSplit, kByteLevel, kDigits, kMetaspace, kBert };
  Kind kind;
  // kSplit: a known regex, or else a literal string.
  std::optional<SplitPattern> regex;
  std::string literal;
  SplitBehavior behavior = SplitBehavior::kIsolated;
  bool invert = false;
  // kByteLevel
  bool add_prefix_space = false;
  bool use_regex = true;
  // kDigits
  bool individual_digits = false;
  // kMetaspace
  char32_t replacement = 0;
  std::string replacement_utf8;
  PrependScheme prepend_scheme = PrependScheme::kAlways;
  bool split = true;
};

struct DecoderStep {
  enum class Kind { kByteLevel, kByteFallback, kFuse, kStrip, kReplace, kMetaspace, kWordPiece };
  Kind kind;
  // kReplace; kWordPiece: pattern is the continuing-subword prefix
  std::string pattern;
  std::string content;
  bool cleanup = true;  // kWordPiece: remove the spaces tokenization put before punctuation
  // kStrip
  char32_t strip_char = 0;
  size_t strip_start = 0;
  size_t strip_stop = 0;
  // kMetaspace
  char32_t replacement = 0;
  PrependScheme prepend_scheme = PrependScheme::kAlways;
};

// A post-processor that adds special tokens around one sequence: TemplateProcessing's "single"
// template; BertProcessing and RobertaProcessing are [CLS] $A [SEP]. (ByteLevel changes only
// offsets, so it has no step.)
struct PostProcessorStep {
  struct Piece {
    bool is_sequence = false;  // the sequence so far ($A), else special-token ids
    std::vector<int32_t> ids;
    int32_t type_id = -1;  // -1: keep the sequence's type ids
  };
  std::vector<Piece> single;
};

// Each Parse* function reads a JSON section that is not null; `where` names it in errors,
// which are phrases such as "pre_tokenizer.pretokenizers[1]: Whitespace is not supported".
bool ParseNormalizer(const JsonValue& json, const std::string& where, std::vector<NormalizerStep>* steps,
                     std::string* error);
bool ParsePreTokenizer(const JsonValue& json, const std::string& where, std::vector<PreTokenizerStep>* steps,
                       std::string* error);
bool ParseDecoder(const JsonValue& json, const std::string& where, std::vector<DecoderStep>* steps,
                  std::string* error);
bool ParsePostProcessor(const JsonValue& json, const std::string& where, std::vector<PostProcessorStep>* steps,
                        std::string* error);

std::string Normalize(const std::vector<NormalizerStep>& steps, std::string text);

// Splits and transforms the pieces that are not added tokens; drops empty pieces.
void PreTokenize(const std::vector<PreTokenizerStep>& steps, std::vector<Piece>* pieces);

// Applies the post-processors to the ids of one sequence and their type ids (same length).
void PostProcess(const std::vector<PostProcessorStep>& steps, std::vector<int32_t>* ids,
                 std::vector<int32_t>* type_ids);

// The decoded text of the tokens, like tokenizers' Decoder::decode (the results joined).
std::string Decode(const std::vector<DecoderStep>& steps, std::vector<std::string> tokens);

}  // namespace tokenizer_internal
}  // namespace rules_executorch

#endif  // RULES_EXECUTORCH_RUNTIME_TOKENIZER_PIPELINE_H_
