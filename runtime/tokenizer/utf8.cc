#include "runtime/tokenizer/utf8.h"

namespace rules_executorch {
namespace tokenizer_internal {

char32_t DecodeUtf8(std::string_view text, size_t* pos, bool* valid) {
  const size_t start = *pos;
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(start);
  if (valid != nullptr) *valid = true;
  if (lead < 0x80) {
    *pos = start + 1;
    return lead;
  }
  // Number of continuation bytes and the allowed range of the first one (Unicode Table 3-7).
  size_t continuation_count = 0;
  unsigned char first_low = 0x80, first_high = 0xBF;
  char32_t code_point = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    continuation_count = 1;
    code_point = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    continuation_count = 2;
    code_point = lead & 0x0F;
    if (lead == 0xE0) first_low = 0xA0;   // no overlong forms
    if (lead == 0xED) first_high = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    continuation_count = 3;
    code_point = lead & 0x07;
    if (lead == 0xF0) first_low = 0x90;   // no overlong forms
    if (lead == 0xF4) first_high = 0x8F;  // nothing above U+10FFFF
  } else {
    *pos = start + 1;
    if (valid != nullptr) *valid = false;
    return kReplacementCharacter;
  }
  size_t i = start + 1;
  for (size_t k = 0; k < continuation_count; ++k, ++i) {
    const unsigned char low = k == 0 ? first_low : 0x80;
    const unsigned char high = k == 0 ? first_high : 0xBF;
    if (i >= text.size() || byte(i) < low || byte(i) > high) {
      *pos = i;  // the maximal subpart ends before the offending byte
      if (valid != nullptr) *valid = false;
      return kReplacementCharacter;
    }
    code_point = (code_point << 6) | (byte(i) & 0x3F);
  }
  *pos = i;
  return code_point;
}

void AppendUtf8(char32_t code_point, std::string* out) {
  if (code_point < 0x80) {
    out->push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

bool IsValidUtf8(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    if (static_cast<unsigned char>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    bool valid = true;
    DecodeUtf8(text, &pos, &valid);
    if (!valid) return false;
  }
  return true;
}

std::string Utf8Lossy(std::string_view bytes) {
  if (IsValidUtf8(bytes)) return std::string(bytes);
  std::string out;
  out.reserve(bytes.size() + 16);
  size_t pos = 0;
  while (pos < bytes.size()) {
    const size_t start = pos;
    bool valid = true;
    const char32_t code_point = DecodeUtf8(bytes, &pos, &valid);
    if (valid) {
      out.append(bytes.substr(start, pos - start));
    } else {
      AppendUtf8(code_point, &out);
    }
  }
  return out;
}

}  // namespace tokenizer_internal
}  // namespace rules_executorch
