#include "runtime/utf8.h"

namespace rules_executorch {
namespace {

// Expected length of the sequence a lead byte starts, or 0 for a byte that cannot lead.
int SequenceLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Number of valid bytes of a sequence starting at s[i] (== length when complete).
int ValidBytes(const std::string& s, size_t i, int length) {
  int n = 1;
  while (n < length && i + n < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i + n]);
    if (!IsContinuation(c)) break;
    // reject overlong forms and surrogates on the second byte
    if (n == 1) {
      unsigned char lead = static_cast<unsigned char>(s[i]);
      if ((lead == 0xE0 && c < 0xA0) || (lead == 0xED && c > 0x9F) || (lead == 0xF0 && c < 0x90) ||
          (lead == 0xF4 && c > 0x8F)) {
        break;
      }
    }
    ++n;
  }
  return n;
}

}  // namespace

size_t CompleteUtf8Prefix(const std::string& bytes) {
  size_t i = 0;
  while (i < bytes.size()) {
    int length = SequenceLength(static_cast<unsigned char>(bytes[i]));
    if (length <= 1) {
      ++i;
      continue;
    }
    int valid = ValidBytes(bytes, i, length);
    if (valid == length) {
      i += length;
    } else if (i + valid == bytes.size()) {
      return i;  // a valid start that has not been completed yet
    } else {
      i += valid;  // broken sequence: pass it on (it becomes U+FFFD when printed as JSON)
    }
  }
  return bytes.size();
}

}  // namespace rules_executorch
