#include "runtime/tokenizer/pipeline.h"

#include <algorithm>
#include <array>
#include <utility>

#include "runtime/tokenizer/unicode.h"
#include "runtime/tokenizer/utf8.h"

namespace rules_executorch {
namespace tokenizer_internal {
namespace {

// ---------------------------------------------------------------------------------------------
// Splitting, as tokenizers' NormalizedString::split.

struct Segment {
  size_t start;
  size_t end;
  bool is_match;
};

// The matches plus the gaps between them, covering the whole text.
std::vector<Segment> WithGaps(const std::vector<std::pair<size_t, size_t>>& matches, size_t text_size) {
  std::vector<Segment> segments;
  size_t previous_end = 0;
  for (const auto& [start, end] : matches) {
    if (start > previous_end) segments.push_back(Segment{previous_end, start, false});
    segments.push_back(Segment{start, end, true});
    previous_end = end;
  }
  if (previous_end < text_size) segments.push_back(Segment{previous_end, text_size, false});
  return segments;
}

// One match per character for which `predicate` holds.
template <typename Predicate>
std::vector<std::pair<size_t, size_t>> CharMatches(std::string_view text, Predicate predicate) {
  std::vector<std::pair<size_t, size_t>> matches;
  for (size_t pos = 0; pos < text.size();) {
    const size_t start = pos;
    if (predicate(DecodeUtf8(text, &pos))) matches.emplace_back(start, pos);
  }
  return matches;
}

std::vector<std::pair<size_t, size_t>> LiteralMatches(std::string_view text, std::string_view literal) {
  std::vector<std::pair<size_t, size_t>> matches;
  for (size_t pos = text.find(literal); pos != std::string_view::npos; pos = text.find(literal, pos)) {
    matches.emplace_back(pos, pos + literal.size());
    pos += literal.size();
  }
  return matches;
}

// The byte ranges to keep, by delimiter behaviour.
std::vector<std::pair<size_t, size_t>> ApplyBehavior(const std::vector<Segment>& segments, SplitBehavior behavior) {
  std::vector<std::pair<size_t, size_t>> kept;
  bool previous_match = false;
  switch (behavior) {
    case SplitBehavior::kRemoved:
      for (const Segment& s : segments) {
        if (!s.is_match) kept.emplace_back(s.start, s.end);
      }
      break;
    case SplitBehavior::kIsolated:
      for (const Segment& s : segments) kept.emplace_back(s.start, s.end);
      break;
    case SplitBehavior::kContiguous:
      for (const Segment& s : segments) {
        if (s.is_match == previous_match && !kept.empty()) {
          kept.back().second = s.end;
        } else {
          kept.emplace_back(s.start, s.end);
        }
        previous_match = s.is_match;
      }
      break;
    case SplitBehavior::kMergedWithPrevious:
      for (const Segment& s : segments) {
        if (s.is_match && !previous_match && !kept.empty()) {
          kept.back().second = s.end;
        } else {
          kept.emplace_back(s.start, s.end);
        }
        previous_match = s.is_match;
      }
      break;
    case SplitBehavior::kMergedWithNext:
      for (auto it = segments.rbegin(); it != segments.rend(); ++it) {
        if (it->is_match && !previous_match && !kept.empty()) {
          kept.back().first = it->start;
        } else {
          kept.emplace_back(it->start, it->end);
        }
        previous_match = it->is_match;
      }
      std::reverse(kept.begin(), kept.end());
      break;
  }
  return kept;
}

void AppendSplit(const Piece& piece, const std::vector<std::pair<size_t, size_t>>& matches, SplitBehavior behavior,
                 bool invert, std::vector<Piece>* out) {
  std::vector<Segment> segments = WithGaps(matches, piece.text.size());
  if (invert) {
    for (Segment& s : segments) s.is_match = !s.is_match;
  }
  for (const auto& [start, end] : ApplyBehavior(segments, behavior)) {
    if (end <= start) continue;
    Piece& part = out->emplace_back();
    part.text.assign(piece.text, start, end - start);
    part.starts_input = piece.starts_input && start == 0;
  }
}

// GPT-2's reversible map from bytes to printable characters.
std::array<std::string, 256> MakeByteLevelAlphabet() {
  std::array<std::string, 256> alphabet;
  char32_t next_unprintable = 256;
  for (int byte = 0; byte < 256; ++byte) {
    const bool printable = (byte >= '!' && byte <= '~') || (byte >= 0xA1 && byte <= 0xAC) || byte >= 0xAE;
    AppendUtf8(printable ? static_cast<char32_t>(byte) : next_unprintable++, &alphabet[byte]);
  }
  return alphabet;
}

const std::array<std::string, 256>& ByteLevelAlphabet() {
  static const std::array<std::string, 256> alphabet = MakeByteLevelAlphabet();
  return alphabet;
}

// The byte behind each character of the alphabet (all below U+0144), or -1.
const std::array<int, 0x144>& ByteLevelInverse() {
  static const std::array<int, 0x144> inverse = [] {
    std::array<int, 0x144> table;
    table.fill(-1);
    for (int byte = 0; byte < 256; ++byte) {
      size_t pos = 0;
      table[DecodeUtf8(ByteLevelAlphabet()[byte], &pos)] = byte;
    }
    return table;
  }();
  return inverse;
}

std::string ReplaceAll(std::string_view text, std::string_view pattern, std::string_view content) {
  std::string out;
  size_t previous = 0;
  for (const auto& [start, end] : LiteralMatches(text, pattern)) {
    out.append(text.substr(previous, start - previous));
    out.append(content);
    previous = end;
  }
  out.append(text.substr(previous));
  return out;
}

void PreTokenizeStep(const PreTokenizerStep& step, Piece piece, std::vector<Piece>* out) {
  switch (step.kind) {
    case PreTokenizerStep::Kind::kSplit: {
      const auto matches = step.regex ? FindSplitPatternMatches(*step.regex, piece.text)
                                      : LiteralMatches(piece.text, step.literal);
      AppendSplit(piece, matches, step.behavior, step.invert, out);
      return;
    }
    case PreTokenizerStep::Kind::kDigits:
      AppendSplit(piece, CharMatches(piece.text, IsNumber),
                  step.individual_digits ? SplitBehavior::kIsolated : SplitBehavior::kContiguous, false, out);
      return;
    case PreTokenizerStep::Kind::kMetaspace: {
      piece.text = ReplaceAll(piece.text, " ", step.replacement_utf8);
      const bool starts_with_replacement = piece.text.compare(0, step.replacement_utf8.size(), step.replacement_utf8) == 0;
      const bool prepend = step.prepend_scheme == PrependScheme::kAlways ||
                           (step.prepend_scheme == PrependScheme::kFirst && piece.starts_input);
      if (prepend && !starts_with_replacement) piece.text.insert(0, step.replacement_utf8);
      if (step.split) {
        const char32_t replacement = step.replacement;
        AppendSplit(piece, CharMatches(piece.text, [replacement](char32_t c) { return c == replacement; }),
                    SplitBehavior::kMergedWithNext, false, out);
      } else if (!piece.text.empty()) {
        out->push_back(std::move(piece));
      }
      return;
    }
    case PreTokenizerStep::Kind::kBert: {
      std::vector<Piece> words;
      AppendSplit(piece, CharMatches(piece.text, IsWhitespace), SplitBehavior::kRemoved, false, &words);
      for (const Piece& word : words) {
        AppendSplit(word, CharMatches(word.text, [](char32_t c) { return (CharClassOf(c) & kBertPunctuation) != 0; }),
                    SplitBehavior::kIsolated, false, out);
      }
      return;
    }
    case PreTokenizerStep::Kind::kByteLevel: {
      if (step.add_prefix_space && piece.text[0] != ' ') piece.text.insert(0, " ");
      const size_t first = out->size();
      if (step.use_regex) {
        AppendSplit(piece, FindSplitPatternMatches(SplitPattern::kGpt2, piece.text), SplitBehavior::kIsolated, false,
                    out);
      } else {
        out->push_back(std::move(piece));
      }
      // Each byte becomes one or two bytes of UTF-8, written in place of a per-byte append.
      const auto& alphabet = ByteLevelAlphabet();
      for (size_t i = first; i < out->size(); ++i) {
        const std::string& text = (*out)[i].text;
        std::string mapped(text.size() * 2, '\0');
        size_t length = 0;
        for (char byte : text) {
          for (char c : alphabet[static_cast<unsigned char>(byte)]) mapped[length++] = c;
        }
        mapped.resize(length);
        (*out)[i].text = std::move(mapped);
      }
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Decoding.

// A "<0xNN>" token's byte, as tokenizers reads it with u8::from_str_radix (which also takes a
// leading '+', so "<0x+A>" is byte 10).
std::optional<uint8_t> ByteOfFallbackToken(std::string_view token) {
  if (token.size() != 6 || token.substr(0, 3) != "<0x" || token[5] != '>') return std::nullopt;
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  const int high = hex(token[3]), low = hex(token[4]);
  if (low < 0) return std::nullopt;
  if (token[3] == '+') return static_cast<uint8_t>(low);
  if (high < 0) return std::nullopt;
  return static_cast<uint8_t>(high * 16 + low);
}

// The WordPiece decoder's cleanup: these replacements, in this order.
std::string WordPieceCleanup(std::string text) {
  static const std::array<std::pair<const char*, const char*>, 11> kReplacements = {{
      {" .", "."},
      {" ?", "?"},
      {" !", "!"},
      {" ,", ","},
      {" ' ", "'"},
      {" n't", "n't"},
      {" 'm", "'m"},
      {" do not", " don't"},
      {" 's", "'s"},
      {" 've", "'ve"},
      {" 're", "'re"},
  }};
  for (const auto& [pattern, replacement] : kReplacements) {
    if (text.find(pattern) != std::string::npos) text = ReplaceAll(text, pattern, replacement);
  }
  return text;
}

std::vector<std::string> DecodeStep(const DecoderStep& step, std::vector<std::string> tokens) {
  switch (step.kind) {
    case DecoderStep::Kind::kByteLevel: {
      // Tokens made only of alphabet characters become their bytes; others stay as they are.
      const auto& inverse = ByteLevelInverse();
      std::string bytes;
      for (const std::string& token : tokens) {
        std::string token_bytes;
        bool all_mapped = true;
        for (size_t pos = 0; pos < token.size() && all_mapped;) {
          const char32_t c = DecodeUtf8(token, &pos);
          all_mapped = c < inverse.size() && inverse[c] >= 0;
          if (all_mapped) token_bytes.push_back(static_cast<char>(inverse[c]));
        }
        bytes += all_mapped ? token_bytes : token;
      }
      return {Utf8Lossy(bytes)};
    }
    case DecoderStep::Kind::kByteFallback: {
      // Runs of byte tokens become their text, or one U+FFFD per byte if not valid UTF-8.
      std::vector<std::string> out;
      std::string pending_bytes;
      const auto flush = [&] {
        if (pending_bytes.empty()) return;
        if (IsValidUtf8(pending_bytes)) {
          out.push_back(pending_bytes);
        } else {
          for (size_t i = 0; i < pending_bytes.size(); ++i) out.emplace_back("\xEF\xBF\xBD");
        }
        pending_bytes.clear();
      };
      for (std::string& token : tokens) {
        if (const std::optional<uint8_t> byte = ByteOfFallbackToken(token)) {
          pending_bytes.push_back(static_cast<char>(*byte));
        } else {
          flush();
          out.push_back(std::move(token));
        }
      }
      flush();
      return out;
    }
    case DecoderStep::Kind::kFuse: {
      std::string fused;
      for (const std::string& token : tokens) fused += token;
      return {fused};
    }
    case DecoderStep::Kind::kStrip: {
      // Up to strip_start leading and strip_stop trailing strip_chars, per token.
      for (std::string& token : tokens) {
        std::vector<std::pair<size_t, char32_t>> chars;  // byte offset, code point
        for (size_t pos = 0; pos < token.size();) {
          const size_t start = pos;
          chars.emplace_back(start, DecodeUtf8(token, &pos));
        }
        size_t first = 0;
        while (first < chars.size() && first < step.strip_start && chars[first].second == step.strip_char) ++first;
        size_t last = chars.size();
        while (last > first && chars.size() - last < step.strip_stop && chars[last - 1].second == step.strip_char) {
          --last;
        }
        const size_t begin_byte = first < chars.size() ? chars[first].first : token.size();
        const size_t end_byte = last < chars.size() ? chars[last].first : token.size();
        token = token.substr(begin_byte, end_byte - begin_byte);
      }
      return tokens;
    }
    case DecoderStep::Kind::kReplace:
      for (std::string& token : tokens) token = ReplaceAll(token, step.pattern, step.content);
      return tokens;
    case DecoderStep::Kind::kWordPiece:
      for (size_t i = 0; i < tokens.size(); ++i) {
        std::string& token = tokens[i];
        if (i != 0) {
          if (token.compare(0, step.pattern.size(), step.pattern) == 0) {
            token.erase(0, step.pattern.size());
          } else {
            token.insert(0, " ");
          }
        }
        if (step.cleanup) token = WordPieceCleanup(std::move(token));
      }
      return tokens;
    case DecoderStep::Kind::kMetaspace: {
      // The replacement character becomes a space, except in the first token (where it was
      // prepended) unless nothing is ever prepended.
      for (size_t i = 0; i < tokens.size(); ++i) {
        std::string decoded;
        const bool drop = i == 0 && step.prepend_scheme != PrependScheme::kNever;
        for (size_t pos = 0; pos < tokens[i].size();) {
          const size_t start = pos;
          const char32_t c = DecodeUtf8(tokens[i], &pos);
          if (c != step.replacement) {
            decoded.append(tokens[i], start, pos - start);
          } else if (!drop) {
            decoded.push_back(' ');
          }
        }
        tokens[i] = std::move(decoded);
      }
      return tokens;
    }
  }
  return tokens;
}

// The ideographs BertNormalizer surrounds with spaces (the CJK Unified Ideographs blocks and
// their compatibility blocks, as tokenizers lists them).
bool IsChineseChar(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

std::string BertNormalize(const NormalizerStep& step, std::string_view text) {
  std::vector<char32_t> chars;
  chars.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    char32_t c = DecodeUtf8(text, &pos);
    if (step.clean_text) {
      if ((CharClassOf(c) & kBertControl) != 0) continue;
      if (IsWhitespace(c)) c = ' ';
    }
    if (step.handle_chinese_chars && IsChineseChar(c)) {
      chars.insert(chars.end(), {U' ', c, U' '});
    } else {
      chars.push_back(c);
    }
  }
  if (step.strip_accents) {
    DecomposeNfd(&chars);
    chars.erase(std::remove_if(chars.begin(), chars.end(),
                               [](char32_t c) { return (CharClassOf(c) & kBertNonspacingMark) != 0; }),
                chars.end());
  }
  std::string out;
  out.reserve(text.size());
  std::vector<char32_t> lower;
  for (char32_t c : chars) {
    if (!step.lowercase) {
      AppendUtf8(c, &out);
      continue;
    }
    lower.clear();
    AppendLowercase(c, &lower);
    for (char32_t l : lower) AppendUtf8(l, &out);
  }
  return out;
}

}  // namespace

std::string Normalize(const std::vector<NormalizerStep>& steps, std::string text) {
  for (const NormalizerStep& step : steps) {
    switch (step.kind) {
      case NormalizerStep::Kind::kPrepend:
        if (!text.empty()) text.insert(0, step.content);
        break;
      case NormalizerStep::Kind::kReplace:
        text = ReplaceAll(text, step.pattern, step.content);
        break;
      case NormalizerStep::Kind::kNfc:
        text = NormalizeNfc(text);
        break;
      case NormalizerStep::Kind::kBert:
        text = BertNormalize(step, text);
        break;
    }
  }
  return text;
}

void PreTokenize(const std::vector<PreTokenizerStep>& steps, std::vector<Piece>* pieces) {
  for (const PreTokenizerStep& step : steps) {
    std::vector<Piece> next;
    next.reserve(pieces->size());
    for (Piece& piece : *pieces) {
      if (piece.added_token_id >= 0) {
        next.push_back(std::move(piece));
      } else if (!piece.text.empty()) {
        PreTokenizeStep(step, std::move(piece), &next);
      }
    }
    *pieces = std::move(next);
  }
}

void PostProcess(const std::vector<PostProcessorStep>& steps, std::vector<int32_t>* ids,
                 std::vector<int32_t>* type_ids) {
  for (const PostProcessorStep& step : steps) {
    std::vector<int32_t> new_ids, new_type_ids;
    for (const PostProcessorStep::Piece& piece : step.single) {
      if (piece.is_sequence) {
        new_ids.insert(new_ids.end(), ids->begin(), ids->end());
        if (piece.type_id < 0) {
          new_type_ids.insert(new_type_ids.end(), type_ids->begin(), type_ids->end());
        } else {
          new_type_ids.insert(new_type_ids.end(), ids->size(), piece.type_id);
        }
      } else {
        new_ids.insert(new_ids.end(), piece.ids.begin(), piece.ids.end());
        new_type_ids.insert(new_type_ids.end(), piece.ids.size(), std::max(piece.type_id, 0));
      }
    }
    *ids = std::move(new_ids);
    *type_ids = std::move(new_type_ids);
  }
}

std::string Decode(const std::vector<DecoderStep>& steps, std::vector<std::string> tokens) {
  for (const DecoderStep& step : steps) tokens = DecodeStep(step, std::move(tokens));
  std::string text;
  for (const std::string& token : tokens) text += token;
  return text;
}

}  // namespace tokenizer_internal
}  // namespace rules_executorch
