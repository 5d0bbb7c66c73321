#include "runtime/tokenizer/split_patterns.h"

#include "runtime/tokenizer/unicode.h"
#include "runtime/tokenizer/utf8.h"

namespace rules_executorch {
namespace tokenizer_internal {
namespace {

constexpr std::string_view kGpt2Regex =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
constexpr std::string_view kLlama3Regex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kQwen2Regex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// The text as code points; every function below returns a match length in code points, 0 for
// no match at `i`.
class Matcher {
 public:
  explicit Matcher(const std::vector<char32_t>& chars) : c_(chars), n_(chars.size()) {}

  size_t MatchGpt2(size_t i) const {
    if (size_t m = Contraction(i, /*ignore_case=*/false)) return m;
    if (size_t m = OptionalSpaceThenRun(i, kLetter)) return m;
    if (size_t m = OptionalSpaceThenRun(i, kNumber)) return m;
    if (size_t m = OptionalSpaceThenOthers(i, /*then_newlines=*/false)) return m;
    if (size_t m = WhitespaceNotBeforeNonSpace(i)) return m;
    return WhitespaceRun(i);
  }

  size_t MatchLlama3(size_t i, size_t max_digits) const {
    if (size_t m = Contraction(i, /*ignore_case=*/true)) return m;
    if (size_t m = OptionalPrefixThenLetters(i)) return m;
    if (size_t m = Digits(i, max_digits)) return m;
    if (size_t m = OptionalSpaceThenOthers(i, /*then_newlines=*/true)) return m;
    if (size_t m = WhitespaceThroughLastNewline(i)) return m;
    if (size_t m = WhitespaceNotBeforeNonSpace(i)) return m;
    return WhitespaceRun(i);
  }

 private:
  bool Has(size_t i, uint8_t char_class) const { return i < n_ && (CharClassOf(c_[i]) & char_class) != 0; }
  bool IsOther(size_t i) const { return i < n_ && (CharClassOf(c_[i]) & (kLetter | kNumber | kWhitespace)) == 0; }
  bool IsChar(size_t i, char32_t c) const { return i < n_ && c_[i] == c; }
  bool IsNewline(size_t i) const { return IsChar(i, '\r') || IsChar(i, '\n'); }

  // Letter of a contraction; case-insensitively as Oniguruma folds case, where U+017F LATIN
  // SMALL LETTER LONG S folds to 's'. (No other character folds to one of "strvmld".)
  bool IsLetterOf(size_t i, char lower, bool ignore_case) const {
    if (i >= n_) return false;
    if (c_[i] == static_cast<char32_t>(lower)) return true;
    if (!ignore_case) return false;
    return c_[i] == static_cast<char32_t>(lower - 'a' + 'A') || (lower == 's' && c_[i] == 0x17F);
  }

  // 's|'t|'re|'ve|'m|'ll|'d
  size_t Contraction(size_t i, bool ignore_case) const {
    if (!IsChar(i, '\'')) return 0;
    for (const char* suffix : {"s", "t", "re", "ve", "m", "ll", "d"}) {
      size_t k = 0;
      while (suffix[k] != '\0' && IsLetterOf(i + 1 + k, suffix[k], ignore_case)) ++k;
      if (suffix[k] == '\0') return 1 + k;
    }
    return 0;
  }

  size_t RunEnd(size_t i, uint8_t char_class) const {
    while (Has(i, char_class)) ++i;
    return i;
  }

  // " ?\p{L}+" or " ?\p{N}+"
  size_t OptionalSpaceThenRun(size_t i, uint8_t char_class) const {
    const size_t start = IsChar(i, ' ') ? i + 1 : i;
    if (!Has(start, char_class)) return 0;  // without the space the run cannot start at ' ' either
    return RunEnd(start, char_class) - i;
  }

  // " ?[^\s\p{L}\p{N}]+", followed by "[\r\n]*" for the Llama 3 family.
  size_t OptionalSpaceThenOthers(size_t i, bool then_newlines) const {
    const size_t start = IsChar(i, ' ') ? i + 1 : i;
    if (!IsOther(start)) return 0;
    size_t end = start;
    while (IsOther(end)) ++end;
    if (then_newlines) {
      while (IsNewline(end)) ++end;
    }
    return end - i;
  }

  // "[^\r\n\p{L}\p{N}]?\p{L}+"
  size_t OptionalPrefixThenLetters(size_t i) const {
    if (i >= n_) return 0;
    size_t start = i;
    if (!IsNewline(i) && !Has(i, kLetter | kNumber)) start = i + 1;
    if (!Has(start, kLetter)) return 0;  // and with an empty prefix c_[i] is no letter
    return RunEnd(start, kLetter) - i;
  }

  // "\p{N}{1,max}"
  size_t Digits(size_t i, size_t max_digits) const {
    size_t k = 0;
    while (k < max_digits && Has(i + k, kNumber)) ++k;
    return k;
  }

  // "\s*[\r\n]+": greedy whitespace backtracks to the last newline of the whitespace run.
  size_t WhitespaceThroughLastNewline(size_t i) const {
    const size_t end = RunEnd(i, kWhitespace);
    for (size_t k = end; k > i; --k) {
      if (IsNewline(k - 1)) return k - i;
    }
    return 0;
  }

  // "\s+(?!\S)": the whitespace run, minus its last character when a non-space follows.
  size_t WhitespaceNotBeforeNonSpace(size_t i) const {
    const size_t end = RunEnd(i, kWhitespace);
    if (end == i) return 0;
    if (end == n_) return end - i;
    return end - 1 > i ? end - 1 - i : 0;
  }

  // "\s+"
  size_t WhitespaceRun(size_t i) const { return RunEnd(i, kWhitespace) - i; }

  const std::vector<char32_t>& c_;
  const size_t n_;
};

}  // namespace

std::optional<SplitPattern> RecognizeSplitPattern(std::string_view regex) {
  if (regex == kGpt2Regex) return SplitPattern::kGpt2;
  if (regex == kLlama3Regex) return SplitPattern::kLlama3;
  if (regex == kQwen2Regex) return SplitPattern::kQwen2;
  return std::nullopt;
}

std::vector<std::pair<size_t, size_t>> FindSplitPatternMatches(SplitPattern pattern, std::string_view text) {
  std::vector<char32_t> chars;
  std::vector<size_t> offsets;  // byte offset of each code point, plus the end
  chars.reserve(text.size());
  offsets.reserve(text.size() + 1);
  for (size_t pos = 0; pos < text.size();) {
    offsets.push_back(pos);
    chars.push_back(DecodeUtf8(text, &pos));
  }
  offsets.push_back(text.size());

  const Matcher matcher(chars);
  std::vector<std::pair<size_t, size_t>> matches;
  for (size_t i = 0; i < chars.size();) {
    size_t length = 0;
    switch (pattern) {
      case SplitPattern::kGpt2:
        length = matcher.MatchGpt2(i);
        break;
      case SplitPattern::kLlama3:
        length = matcher.MatchLlama3(i, 3);
        break;
      case SplitPattern::kQwen2:
        length = matcher.MatchLlama3(i, 1);
        break;
    }
    if (length == 0) {
      ++i;  // every character matches one alternative, but stay safe
      continue;
    }
    matches.emplace_back(offsets[i], offsets[i + length]);
    i += length;
  }
  return matches;
}

}  // namespace tokenizer_internal
}  // namespace rules_executorch
