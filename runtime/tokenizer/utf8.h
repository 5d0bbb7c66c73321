#ifndef RULES_EXECUTORCH_RUNTIME_TOKENIZER_UTF8_H_
#define RULES_EXECUTORCH_RUNTIME_TOKENIZER_UTF8_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace rules_executorch {
namespace tokenizer_internal {

constexpr char32_t kReplacementCharacter = 0xFFFD;

// Decodes the code point starting at text[*pos] and advances *pos past it. A malformed
// sequence yields U+FFFD and advances past its maximal subpart (the longest prefix that could
// start a valid sequence, at least one byte), which is how Rust's String::from_utf8_lossy and
// Python's errors="replace" count replacement characters.
char32_t DecodeUtf8(std::string_view text, size_t* pos, bool* valid = nullptr);

// Appends the UTF-8 encoding of a Unicode scalar value.
void AppendUtf8(char32_t code_point, std::string* out);

bool IsValidUtf8(std::string_view text);

// Valid UTF-8: the text itself; otherwise every malformed subpart replaced by U+FFFD.
std::string Utf8Lossy(std::string_view bytes);

}  // namespace tokenizer_internal
}  // namespace rules_executorch

#endif  // RULES_EXECUTORCH_RUNTIME_TOKENIZER_UTF8_H_
