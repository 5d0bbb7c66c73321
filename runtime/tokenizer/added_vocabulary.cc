#include "runtime/tokenizer/added_vocabulary.h"

#include <algorithm>
#include <limits>

#include "runtime/tokenizer/json.h"
#include "runtime/tokenizer/unicode.h"
#include "runtime/tokenizer/utf8.h"

namespace rules_executorch {
namespace tokenizer_internal {
namespace {

// The last code point of valid UTF-8 text (which must not be empty).
char32_t LastCodePoint(std::string_view text) {
  size_t start = text.size() - 1;
  while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
  return DecodeUtf8(text, &start);
}

// Byte offset where the trailing whitespace of `text` begins (Rust regex \s*$).
size_t TrailingWhitespaceStart(std::string_view text) {
  size_t start = text.size();
  while (start > 0) {
    size_t char_start = start - 1;
    while (char_start > 0 && (static_cast<unsigned char>(text[char_start]) & 0xC0) == 0x80) --char_start;
    size_t pos = char_start;
    if (!IsWhitespace(DecodeUtf8(text, &pos))) break;
    start = char_start;
  }
  return start;
}

// Byte length of the leading whitespace of `text` (Rust regex ^\s*).
size_t LeadingWhitespaceLength(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t next = pos;
    if (!IsWhitespace(DecodeUtf8(text, &next))) break;
    pos = next;
  }
  return pos;
}

struct AddedTokenSplit {
  int32_t id;  // -1: plain text
  size_t start;
  size_t end;
};

}  // namespace

int32_t AddedTokenMatcher::Child(int32_t node, unsigned char byte) const {
  const auto& children = nodes_[node].children;
  const auto it = std::lower_bound(children.begin(), children.end(), byte,
                                   [](const std::pair<unsigned char, int32_t>& c, unsigned char b) { return c.first < b; });
  return it != children.end() && it->first == byte ? it->second : -1;
}

bool AddedTokenMatcher::Add(std::string_view pattern, int32_t id) {
  int32_t node = 0;
  for (char c : pattern) {
    const unsigned char byte = static_cast<unsigned char>(c);
    int32_t child = Child(node, byte);
    if (child < 0) {
      child = static_cast<int32_t>(nodes_.size());
      nodes_.emplace_back();
      auto& children = nodes_[node].children;
      children.insert(std::upper_bound(children.begin(), children.end(), std::make_pair(byte, int32_t{-1})),
                      std::make_pair(byte, child));
    }
    node = child;
  }
  if (nodes_[node].id >= 0) return false;
  nodes_[node].id = id;
  return true;
}

bool AddedTokenMatcher::FindNext(std::string_view text, size_t from, size_t* start, size_t* end, int32_t* id) const {
  for (size_t begin = from; begin < text.size(); ++begin) {
    int32_t node = 0;
    int32_t found = -1;
    size_t found_end = 0;
    for (size_t pos = begin; pos < text.size(); ++pos) {
      node = Child(node, static_cast<unsigned char>(text[pos]));
      if (node < 0) break;
      if (nodes_[node].id >= 0) {
        found = nodes_[node].id;
        found_end = pos + 1;
      }
    }
    if (found >= 0) {
      *start = begin;
      *end = found_end;
      *id = found;
      return true;
    }
  }
  return false;
}

bool AddedVocabulary::AddTokens(const std::vector<AddedToken>& tokens, const Model& model,
                                const std::vector<NormalizerStep>& normalizer, std::string* error) {
  int64_t next_id = static_cast<int64_t>(model.VocabEntryCount());
  for (const AddedToken& token : tokens) {
    if (token.content.empty()) continue;
    const auto existing = ids_by_content_.find(token.content);
    if (existing != ids_by_content_.end()) {
      const auto previous = tokens_by_id_.find(existing->second);
      if (previous != tokens_by_id_.end() && previous->second == token) continue;
    }
    int32_t id = 0;
    if (const std::optional<int32_t> known = TokenToId(token.content)) {
      id = *known;
    } else if (const std::optional<int32_t> in_model = model.TokenToId(token.content)) {
      id = *in_model;
    } else {
      if (next_id > std::numeric_limits<int32_t>::max()) {
        *error = "added token " + JsonQuote(token.content) + " would get an id beyond the int32 range";
        return false;
      }
      id = static_cast<int32_t>(next_id++);
    }
    if (token.normalized) {
      std::string normalized = Normalize(normalizer, token.content);
      if (normalized != token.content) normalized_forms_[id] = std::move(normalized);
    }
    ids_by_content_[token.content] = id;
    if (token.special) special_contents_.insert(token.content);
    tokens_by_id_[id] = token;
  }

  // Patterns in id order, so that any error names the same tokens every time.
  std::vector<int32_t> ids;
  for (const auto& entry : tokens_by_id_) ids.push_back(entry.first);
  std::sort(ids.begin(), ids.end());
  for (int32_t id : ids) {
    const AddedToken& token = tokens_by_id_.at(id);
    const std::string* pattern = &token.content;
    if (token.normalized && normalized_forms_.count(id) != 0) pattern = &normalized_forms_.at(id);
    AddedTokenMatcher& matcher = token.normalized ? normalized_matcher_ : raw_matcher_;
    if (!matcher.Add(*pattern, id)) {
      *error = "two added tokens match the same text " + JsonQuote(*pattern);
      return false;
    }
  }
  return true;
}

std::optional<int32_t> AddedVocabulary::TokenToId(const std::string& content) const {
  const auto it = ids_by_content_.find(content);
  if (it == ids_by_content_.end()) return std::nullopt;
  return it->second;
}

const std::string* AddedVocabulary::DecodedForm(int32_t id) const {
  const auto normalized = normalized_forms_.find(id);
  if (normalized != normalized_forms_.end()) return &normalized->second;
  const auto token = tokens_by_id_.find(id);
  return token == tokens_by_id_.end() ? nullptr : &token->second.content;
}

size_t AddedVocabulary::CountNotInModel(const Model& model) const {
  size_t count = 0;
  for (const auto& entry : ids_by_content_) {
    if (!model.TokenToId(entry.first)) ++count;
  }
  return count;
}

// As tokenizers' AddedVocabulary::find_matches: matches that break single_word are skipped
// (but still consumed by the scan), lstrip/rstrip widen a match over adjacent whitespace.
void AddedVocabulary::Split(Piece piece, const AddedTokenMatcher& matcher, std::vector<Piece>* out) const {
  if (piece.text.empty()) return;
  if (matcher.empty()) {
    out->push_back(std::move(piece));
    return;
  }
  const std::string_view text = piece.text;
  std::vector<AddedTokenSplit> splits;
  size_t previous_end = 0;  // end of the previous split
  size_t scan_from = 0;
  size_t match_start = 0, match_end = 0;
  int32_t id = -1;
  while (matcher.FindNext(text, scan_from, &match_start, &match_end, &id)) {
    scan_from = match_end;
    const AddedToken& token = tokens_by_id_.at(id);
    size_t start = match_start, end = match_end;
    if (token.single_word) {
      const bool word_before = start > 0 && IsWordChar(LastCodePoint(text.substr(0, start)));
      size_t after = end;
      const bool word_after = end < text.size() && IsWordChar(DecodeUtf8(text, &after));
      if (word_before || word_after) continue;
    }
    if (token.lstrip) start = std::max(TrailingWhitespaceStart(text.substr(0, start)), previous_end);
    if (token.rstrip) end += LeadingWhitespaceLength(text.substr(end));
    if (previous_end < start) splits.push_back(AddedTokenSplit{-1, previous_end, start});
    splits.push_back(AddedTokenSplit{id, start, end});
    previous_end = end;
  }
  if (previous_end < text.size()) splits.push_back(AddedTokenSplit{-1, previous_end, text.size()});

  for (const AddedTokenSplit& split : splits) {
    // An rstrip can reach past the next match, which tokenizers would not survive; keep going.
    if (split.end <= split.start) continue;
    out->push_back(Piece{std::string(text.substr(split.start, split.end - split.start)), split.id,
                         piece.starts_input && split.start == 0});
  }
}

}  // namespace tokenizer_internal
}  // namespace rules_executorch
