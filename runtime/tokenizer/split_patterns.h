#ifndef RULES_EXECUTORCH_RUNTIME_TOKENIZER_SPLIT_PATTERNS_H_
#define RULES_EXECUTORCH_RUNTIME_TOKENIZER_SPLIT_PATTERNS_H_

#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace rules_executorch {
namespace tokenizer_internal {

// The pre-tokenization regexes of the supported model families, implemented by hand with the
// semantics of Oniguruma (which tokenizers uses): leftmost-first alternation, backtracking.
enum class SplitPattern {
  // 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
  // (GPT-2; also what ByteLevel's use_regex means)
  kGpt2,
  // (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
  kLlama3,
  // Like kLlama3 with \p{N} (single digits) instead of \p{N}{1,3} (Qwen2, Qwen2.5, Qwen3).
  kQwen2,
};

// The pattern whose regex source is exactly `regex`, if it is one of the above.
std::optional<SplitPattern> RecognizeSplitPattern(std::string_view regex);

// Byte ranges [start, end) of the successive non-overlapping matches in valid UTF-8 `text`.
std::vector<std::pair<size_t, size_t>> FindSplitPatternMatches(SplitPattern pattern, std::string_view text);

}  // namespace tokenizer_internal
}  // namespace rules_executorch

#endif  // RULES_EXECUTORCH_RUNTIME_TOKENIZER_SPLIT_PATTERNS_H_
