#ifndef RULES_EXECUTORCH_RUNTIME_TOKENIZER_UNICODE_H_
#define RULES_EXECUTORCH_RUNTIME_TOKENIZER_UNICODE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rules_executorch {
namespace tokenizer_internal {

// Bit flags of the character classes the split patterns, added tokens and BERT steps need; the
// values are mirrored in gen_unicode_tables.py. The kBert* classes are read from the tokenizers
// library, whose general categories are from an older Unicode version than unicodedata's.
enum CharClass : uint8_t {
  kLetter = 1,                // \p{L}
  kNumber = 2,                // \p{N}, which is also Rust's char::is_numeric
  kWhitespace = 4,            // the White_Space property: \s of Oniguruma and of Rust's regex
  kWordChar = 8,              // \w of Rust's regex crate: Alphabetic, marks, Nd, Pc, Join_Control
  kBertControl = 16,          // dropped by BertNormalizer's clean_text: Cc, Cf, Co (not \t \n \r), NUL, U+FFFD
  kBertNonspacingMark = 32,   // Mn, dropped by BertNormalizer's strip_accents
  kBertPunctuation = 64,      // isolated by BertPreTokenizer: ASCII punctuation and P*
};

uint8_t CharClassOf(char32_t code_point);

inline bool IsLetter(char32_t c) { return (CharClassOf(c) & kLetter) != 0; }
inline bool IsNumber(char32_t c) { return (CharClassOf(c) & kNumber) != 0; }
inline bool IsWhitespace(char32_t c) { return (CharClassOf(c) & kWhitespace) != 0; }
inline bool IsWordChar(char32_t c) { return (CharClassOf(c) & kWordChar) != 0; }

// Unicode Normalization Form C of valid UTF-8 text.
std::string NormalizeNfc(std::string_view text);

// Canonical decomposition (NFD) of a sequence of code points, in place.
void DecomposeNfd(std::vector<char32_t>* code_points);

// Appends the lowercase form of one character (one or two characters), as Rust's
// char::to_lowercase in the tokenizers library: no context-dependent rules.
void AppendLowercase(char32_t code_point, std::vector<char32_t>* out);

// Version of the Unicode Character Database the tables were generated from.
const char* UnicodeTablesVersion();

}  // namespace tokenizer_internal
}  // namespace rules_executorch

#endif  // RULES_EXECUTORCH_RUNTIME_TOKENIZER_UNICODE_H_
