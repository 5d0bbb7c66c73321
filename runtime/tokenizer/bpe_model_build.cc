// BpeModel::Build: load-time code, built for size (bpe_model.cc, which encodes, is built for speed).

#include "runtime/tokenizer/bpe_model.h"

#include <cstdio>

#include "runtime/tokenizer/json.h"
#include "runtime/tokenizer/utf8.h"

namespace rules_executorch {
namespace tokenizer_internal {

std::unique_ptr<BpeModel> BpeModel::Build(const std::vector<std::pair<std::string, int32_t>>& vocab,
                                          const std::vector<std::pair<std::string, std::string>>& merges,
                                          BpeOptions options, std::string* error) {
  std::unique_ptr<BpeModel> model(new BpeModel());
  model->options_ = std::move(options);
  model->vocab_ = Vocabulary(vocab);
  for (const auto& [token, id] : model->vocab_.ids()) {
    size_t pos = 0;
    const char32_t code_point = DecodeUtf8(token, &pos);
    if (!token.empty() && pos == token.size()) model->char_ids_[code_point] = id;
  }
  for (int byte = 0; byte < 256; ++byte) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", byte);
    model->byte_fallback_ids_[byte] = model->vocab_.Find(name).value_or(-1);
  }
  if (model->options_.unk_token) model->unk_id_ = model->TokenToId(*model->options_.unk_token);

  model->merges_.reserve(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [left, right] = merges[rank];
    const std::string merged = left + right;
    for (const std::string* token : {&left, &right, &merged}) {
      if (!model->vocab_.Find(*token)) {
        *error = "merges[" + std::to_string(rank) + "] (" + JsonQuote(left) + ", " + JsonQuote(right) + ") needs " +
                 JsonQuote(*token) + ", which is not in the vocabulary";
        return nullptr;
      }
    }
    // A repeated pair keeps its last rank, as tokenizers' merge map does.
    model->merges_[PairKey(*model->vocab_.Find(left), *model->vocab_.Find(right))] =
        MergeResult{static_cast<uint32_t>(rank), *model->vocab_.Find(merged)};
  }
  return model;
}

}  // namespace tokenizer_internal
}  // namespace rules_executorch
