#include "runtime/tokenizer/bpe_model.h"

#include <queue>

#include "runtime/tokenizer/utf8.h"

namespace rules_executorch {
namespace tokenizer_internal {

std::optional<int32_t> BpeModel::TokenToId(const std::string& token) const { return vocab_.Find(token); }

const std::string* BpeModel::IdToToken(int32_t id) const { return vocab_.Token(id); }

const BpeModel::MergeResult* BpeModel::FindMerge(int32_t left, int32_t right) const {
  const auto it = merges_.find(PairKey(left, right));
  return it == merges_.end() ? nullptr : &it->second;
}

void BpeModel::Tokenize(std::string_view word, std::vector<int32_t>* ids) const {
  if (word.empty()) return;
  if (options_.ignore_merges) {
    if (const std::optional<int32_t> id = vocab_.Find(std::string(word))) {
      ids->push_back(*id);
      return;
    }
  }

  // A doubly linked list over a vector: merged-away symbols get byte_length 0.
  struct Symbol {
    int32_t id;
    int32_t prev;
    int32_t next;
    size_t byte_length;
  };
  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  const auto add_symbol = [&symbols](int32_t id, size_t byte_length) {
    const int32_t index = static_cast<int32_t>(symbols.size());
    if (!symbols.empty()) symbols.back().next = index;
    symbols.push_back(Symbol{id, index - 1, -1, byte_length});
  };

  // Characters missing from the vocabulary become byte tokens, else the unknown token (fused
  // runs when fuse_unk), else nothing. The pending unknown token is deliberately not flushed
  // before byte-fallback tokens: tokenizers orders them that way.
  std::optional<std::pair<int32_t, size_t>> pending_unk;
  size_t pos = 0;
  while (pos < word.size()) {
    const size_t start = pos;
    const char32_t code_point = DecodeUtf8(word, &pos);
    const size_t length = pos - start;
    const auto known = char_ids_.find(code_point);
    if (known != char_ids_.end()) {
      if (pending_unk) {
        add_symbol(pending_unk->first, pending_unk->second);
        pending_unk.reset();
      }
      add_symbol(known->second, length);
      continue;
    }
    if (options_.byte_fallback) {
      bool all_bytes_known = true;
      for (size_t i = start; i < pos; ++i) {
        all_bytes_known = all_bytes_known && byte_fallback_ids_[static_cast<unsigned char>(word[i])] >= 0;
      }
      if (all_bytes_known) {
        for (size_t i = start; i < pos; ++i) add_symbol(byte_fallback_ids_[static_cast<unsigned char>(word[i])], 1);
        continue;
      }
    }
    // tokenizers fails the whole encode when unk_token is not in the vocabulary; we drop the
    // character instead, as when there is no unk_token.
    if (!unk_id_) continue;
    if (pending_unk && options_.fuse_unk) {
      pending_unk->second += length;
    } else {
      if (pending_unk) add_symbol(pending_unk->first, pending_unk->second);
      pending_unk = std::make_pair(*unk_id_, length);
    }
  }
  if (pending_unk) add_symbol(pending_unk->first, pending_unk->second);

  // Merge the lowest-ranked pair first, leftmost among equal ranks. Queue entries go stale
  // when a neighbour merges; they are recognised by the pair no longer producing new_id.
  struct QueuedMerge {
    uint32_t rank;
    int32_t position;
    int32_t new_id;
  };
  const auto lower_priority = [](const QueuedMerge& a, const QueuedMerge& b) {
    return a.rank != b.rank ? a.rank > b.rank : a.position > b.position;
  };
  std::priority_queue<QueuedMerge, std::vector<QueuedMerge>, decltype(lower_priority)> queue(lower_priority);
  for (size_t i = 0; i + 1 < symbols.size(); ++i) {
    if (const MergeResult* merge = FindMerge(symbols[i].id, symbols[i + 1].id)) {
      queue.push(QueuedMerge{merge->rank, static_cast<int32_t>(i), merge->new_id});
    }
  }
  while (!queue.empty()) {
    const QueuedMerge top = queue.top();
    queue.pop();
    Symbol& left = symbols[top.position];
    if (left.byte_length == 0 || left.next == -1) continue;
    const Symbol right = symbols[left.next];
    const MergeResult* current = FindMerge(left.id, right.id);
    if (current == nullptr || current->new_id != top.new_id) continue;

    symbols[left.next].byte_length = 0;
    left.id = top.new_id;
    left.byte_length += right.byte_length;
    left.next = right.next;
    if (right.next != -1) symbols[right.next].prev = top.position;

    if (left.prev != -1) {
      if (const MergeResult* merge = FindMerge(symbols[left.prev].id, left.id)) {
        queue.push(QueuedMerge{merge->rank, left.prev, merge->new_id});
      }
    }
    if (left.next != -1) {
      if (const MergeResult* merge = FindMerge(left.id, symbols[left.next].id)) {
        queue.push(QueuedMerge{merge->rank, top.position, merge->new_id});
      }
    }
  }
  for (const Symbol& symbol : symbols) {
    if (symbol.byte_length != 0) ids->push_back(symbol.id);
  }
}

}  // namespace tokenizer_internal
}  // namespace rules_executorch
