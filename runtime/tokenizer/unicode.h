#ifndef RULES_EXECUTORCH_RUNTIME_TOKENIZER_UNICODE_H_
#define RULES_EXECUTORCH_RUNTIME_TOKENIZER_UNICODE_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace rules_executorch {
namespace tokenizer_internal {

// Bit flags of the character classes the split patterns and added tokens need; the values are
// mirrored in gen_unicode_tables.py.
enum CharClass : uint8_t {
  kLetter = 1,      // \p{L}
  kNumber = 2,      // \p{N}, which is also Rust's char::is_numeric
  kWhitespace = 4,  // the White_Space property: \s of Oniguruma and of Rust's regex
  kWordChar = 8,    // \w of Rust's regex crate: Alphabetic, marks, Nd, Pc, Join_Control
};

uint8_t CharClassOf(char32_t code_point);

inline bool IsLetter(char32_t c) { return (CharClassOf(c) & kLetter) != 0; }
inline bool IsNumber(char32_t c) { return (CharClassOf(c) & kNumber) != 0; }
inline bool IsWhitespace(char32_t c) { return (CharClassOf(c) & kWhitespace) != 0; }
inline bool IsWordChar(char32_t c) { return (CharClassOf(c) & kWordChar) != 0; }

// Unicode Normalization Form C of valid UTF-8 text.
std::string NormalizeNfc(std::string_view text);

// Version of the Unicode Character Database the tables were generated from.
const char* UnicodeTablesVersion();

}  // namespace tokenizer_internal
}  // namespace rules_executorch

#endif  // RULES_EXECUTORCH_RUNTIME_TOKENIZER_UNICODE_H_
