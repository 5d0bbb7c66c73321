#include "runtime/tokenizer/unicode.h"

#include <algorithm>
#include <array>
#include <iterator>
#include <vector>

#include "runtime/tokenizer/utf8.h"

namespace rules_executorch {
namespace tokenizer_internal {
namespace {

struct LowercaseRun {
  char32_t first;
  uint16_t count;
  uint8_t stride;
  int32_t delta;
};

struct LowercasePair {
  char32_t code_point;
  char32_t first;
  char32_t second;
};

#include "runtime/tokenizer/unicode_tables.inc"

// The value of the run a code point is in; runs are (first << 8) | value, the first starting at 0.
template <size_t N>
uint8_t RunValue(const uint32_t (&runs)[N], char32_t code_point) {
  const uint32_t key = (static_cast<uint32_t>(code_point) << 8) | 0xFF;
  const uint32_t* it = std::upper_bound(std::begin(runs), std::end(runs), key);
  return it == std::begin(runs) ? 0 : static_cast<uint8_t>(it[-1] & 0xFF);
}

std::array<uint8_t, 128> MakeAsciiClasses() {
  std::array<uint8_t, 128> classes{};
  for (char32_t c = 0; c < 128; ++c) classes[c] = RunValue(kCharClassRuns, c);
  return classes;
}

// Hangul syllables are composed and decomposed arithmetically (Unicode section 3.12).
constexpr char32_t kHangulSBase = 0xAC00, kHangulLBase = 0x1100, kHangulVBase = 0x1161,
                   kHangulTBase = 0x11A7;
constexpr char32_t kHangulLCount = 19, kHangulVCount = 21, kHangulTCount = 28;
constexpr char32_t kHangulNCount = kHangulVCount * kHangulTCount;
constexpr char32_t kHangulSCount = kHangulLCount * kHangulNCount;

uint8_t CombiningClass(char32_t c) { return c < kFirstNfcRelevant ? 0 : RunValue(kCombiningClassRuns, c); }

// The fields of a kDecompositions entry.
constexpr char32_t DecomposedCodePoint(uint64_t entry) { return static_cast<char32_t>(entry >> 43); }
constexpr char32_t DecompositionFirst(uint64_t entry) { return static_cast<char32_t>((entry >> 22) & 0x1FFFFF); }
constexpr char32_t DecompositionSecond(uint64_t entry) { return static_cast<char32_t>((entry >> 1) & 0x1FFFFF); }

void AppendDecomposed(char32_t c, std::vector<char32_t>* out) {
  if (c >= kHangulSBase && c < kHangulSBase + kHangulSCount) {
    const char32_t s_index = c - kHangulSBase;
    out->push_back(kHangulLBase + s_index / kHangulNCount);
    out->push_back(kHangulVBase + (s_index % kHangulNCount) / kHangulTCount);
    if (s_index % kHangulTCount != 0) out->push_back(kHangulTBase + s_index % kHangulTCount);
    return;
  }
  const uint64_t* end = std::end(kDecompositions);
  const uint64_t* it = std::lower_bound(std::begin(kDecompositions), end, static_cast<uint64_t>(c) << 43);
  if (it == end || DecomposedCodePoint(*it) != c) {
    out->push_back(c);
    return;
  }
  AppendDecomposed(DecompositionFirst(*it), out);
  if (DecompositionSecond(*it) != 0) AppendDecomposed(DecompositionSecond(*it), out);
}

// A stable sort by combining class. Runs are almost always short and already in order; the
// others are counting-sorted (classes are bytes), in linear time however long the run.
void SortByCombiningClass(char32_t* begin, char32_t* end) {
  const auto by_class = [](char32_t a, char32_t b) { return CombiningClass(a) < CombiningClass(b); };
  if (std::is_sorted(begin, end, by_class)) return;
  std::array<size_t, 257> next{};  // next[c]: where the next character of class c goes
  for (const char32_t* p = begin; p != end; ++p) ++next[CombiningClass(*p) + 1];
  for (size_t c = 1; c < next.size(); ++c) next[c] += next[c - 1];
  std::vector<char32_t> sorted(static_cast<size_t>(end - begin));
  for (const char32_t* p = begin; p != end; ++p) sorted[next[CombiningClass(*p)]++] = *p;
  std::copy(sorted.begin(), sorted.end(), begin);
}

// The primary composite of a starter and a following character, or 0.
char32_t Compose(char32_t first, char32_t second) {
  if (first >= kHangulLBase && first < kHangulLBase + kHangulLCount && second >= kHangulVBase &&
      second < kHangulVBase + kHangulVCount) {
    return kHangulSBase + ((first - kHangulLBase) * kHangulVCount + (second - kHangulVBase)) * kHangulTCount;
  }
  if (first >= kHangulSBase && first < kHangulSBase + kHangulSCount && (first - kHangulSBase) % kHangulTCount == 0 &&
      second > kHangulTBase && second < kHangulTBase + kHangulTCount) {
    return first + (second - kHangulTBase);
  }
  const uint16_t* end = std::end(kCompositions);
  const uint16_t* it = std::lower_bound(std::begin(kCompositions), end, std::make_pair(first, second),
                                        [](uint16_t index, const std::pair<char32_t, char32_t>& key) {
                                          const uint64_t entry = kDecompositions[index];
                                          return std::make_pair(DecompositionFirst(entry), DecompositionSecond(entry)) < key;
                                        });
  if (it == end) return 0;
  const uint64_t entry = kDecompositions[*it];
  return DecompositionFirst(entry) == first && DecompositionSecond(entry) == second ? DecomposedCodePoint(entry) : 0;
}

}  // namespace

uint8_t CharClassOf(char32_t code_point) {
  static const std::array<uint8_t, 128> ascii = MakeAsciiClasses();
  if (code_point < 128) return ascii[code_point];
  return code_point > 0x10FFFF ? 0 : RunValue(kCharClassRuns, code_point);
}

std::string NormalizeNfc(std::string_view text) {
  // Text made only of code points below kFirstNfcRelevant is already in NFC.
  bool all_below_relevant = true;
  for (size_t pos = 0; pos < text.size() && all_below_relevant;) {
    if (static_cast<unsigned char>(text[pos]) < 0x80) {
      ++pos;
    } else {
      all_below_relevant = DecodeUtf8(text, &pos) < kFirstNfcRelevant;
    }
  }
  if (all_below_relevant) return std::string(text);

  std::vector<char32_t> code_points;
  code_points.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) code_points.push_back(DecodeUtf8(text, &pos));
  DecomposeNfd(&code_points);

  // Canonical composition: each character combines with the last starter unless blocked by an
  // intervening character of the same or higher combining class (or any starter).
  std::vector<char32_t> composed;
  composed.reserve(code_points.size());
  size_t starter_index = 0;
  bool have_starter = false;
  int last_class = -1;
  for (char32_t c : code_points) {
    const int combining_class = CombiningClass(c);
    if (have_starter) {
      const bool blocked = last_class != -1 && (last_class == 0 || last_class >= combining_class);
      if (!blocked) {
        const char32_t composite = Compose(composed[starter_index], c);
        if (composite != 0) {
          composed[starter_index] = composite;
          continue;
        }
      }
    }
    if (combining_class == 0) {
      starter_index = composed.size();
      have_starter = true;
      last_class = -1;
    } else {
      last_class = combining_class;
    }
    composed.push_back(c);
  }

  std::string out;
  out.reserve(text.size());
  for (char32_t c : composed) AppendUtf8(c, &out);
  return out;
}

void DecomposeNfd(std::vector<char32_t>* code_points) {
  std::vector<char32_t> decomposed;
  decomposed.reserve(code_points->size());
  for (char32_t c : *code_points) AppendDecomposed(c, &decomposed);

  // Canonical ordering: a stable sort of each run of non-starters by combining class.
  for (size_t i = 0; i < decomposed.size();) {
    if (CombiningClass(decomposed[i]) == 0) {
      ++i;
      continue;
    }
    size_t run_end = i;
    while (run_end < decomposed.size() && CombiningClass(decomposed[run_end]) != 0) ++run_end;
    SortByCombiningClass(decomposed.data() + i, decomposed.data() + run_end);
    i = run_end;
  }
  *code_points = std::move(decomposed);
}

void AppendLowercase(char32_t code_point, std::vector<char32_t>* out) {
  if (code_point < 128) {
    out->push_back(code_point >= 'A' && code_point <= 'Z' ? code_point + ('a' - 'A') : code_point);
    return;
  }
  const auto* pair = std::lower_bound(std::begin(kLowercasePairs), std::end(kLowercasePairs), code_point,
                                      [](const LowercasePair& p, char32_t cp) { return p.code_point < cp; });
  if (pair != std::end(kLowercasePairs) && pair->code_point == code_point) {
    out->push_back(pair->first);
    out->push_back(pair->second);
    return;
  }
  const auto* run = std::upper_bound(std::begin(kLowercaseRuns), std::end(kLowercaseRuns), code_point,
                                     [](char32_t cp, const LowercaseRun& r) { return cp < r.first; });
  if (run != std::begin(kLowercaseRuns)) {
    --run;
    const char32_t offset = code_point - run->first;
    if (offset % run->stride == 0 && offset / run->stride < run->count) {
      out->push_back(static_cast<char32_t>(static_cast<int64_t>(code_point) + run->delta));
      return;
    }
  }
  out->push_back(code_point);
}

const char* UnicodeTablesVersion() { return kUnicodeVersion; }

}  // namespace tokenizer_internal
}  // namespace rules_executorch
