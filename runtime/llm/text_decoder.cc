#include "runtime/llm/text_decoder.h"

#include <cstring>
#include <unordered_set>

#include <executorch/extension/tensor/tensor.h>

namespace rules_executorch {

using executorch::extension::from_blob;
using executorch::runtime::EValue;

namespace {

using MethodNames = std::unordered_set<std::string>;

// Value of a constant method returning an int or bool, if the program has it.
bool ReadConstant(Module& module, const MethodNames& names, const std::string& name, int64_t* out) {
  if (names.count(name) == 0) return false;
  auto result = module.execute(name);
  if (!result.ok() || result->empty()) return false;
  const EValue& v = result->at(0);
  if (v.isInt()) *out = v.toInt();
  else if (v.isBool()) *out = v.toBool() ? 1 : 0;
  else return false;
  return true;
}

bool ReadConstantList(Module& module, const MethodNames& names, const std::string& name, std::vector<int64_t>* out) {
  if (names.count(name) == 0) return false;
  auto result = module.execute(name);
  if (!result.ok()) return false;
  for (const EValue& v : *result) {
    if (v.isInt()) out->push_back(v.toInt());
  }
  return true;
}

}  // namespace

std::unique_ptr<TextDecoder> TextDecoder::Create(std::unique_ptr<Module> module, const std::string& path,
                                                 std::string* error) {
  std::unique_ptr<TextDecoder> decoder(new TextDecoder(std::move(module), path));
  Module& m = *decoder->module_;
  LlmMetadata& md = decoder->metadata_;
  auto listed = m.method_names();
  if (!listed.ok()) {
    *error = "cannot list the methods of " + path + ": " + ErrorName(listed.error());
    return nullptr;
  }
  const MethodNames& names = *listed;
  if (!ReadConstant(m, names, "get_max_seq_len", &md.max_seq_len) || md.max_seq_len < 1) {
    *error = path + " is not a text-generation program: it has no get_max_seq_len method";
    return nullptr;
  }
  md.max_context_len = md.max_seq_len;
  ReadConstant(m, names, "get_max_context_len", &md.max_context_len);
  ReadConstant(m, names, "get_vocab_size", &md.vocab_size);
  ReadConstant(m, names, "get_bos_id", &md.bos_id);
  ReadConstantList(m, names, "get_eos_ids", &md.eos_ids);
  int64_t flag = 1;
  if (ReadConstant(m, names, "use_kv_cache", &flag)) md.use_kv_cache = flag != 0;
  flag = 0;
  if (ReadConstant(m, names, "enable_dynamic_shape", &flag)) md.enable_dynamic_shape = flag != 0;

  if (!LoadMethod(m, path, "forward", error)) return nullptr;
  auto meta = m.method_meta("forward");
  if (!meta.ok()) {
    *error = "cannot read forward of " + path + ": " + ErrorName(meta.error());
    return nullptr;
  }
  auto inputs = InputSpecs(*meta);
  const size_t expected_inputs = md.use_kv_cache ? 2 : 1;
  if (inputs.size() != expected_inputs || !inputs[0].is_tensor || inputs[0].dtype != ScalarType::Long ||
      inputs[0].shape.size() != 2) {
    *error = path + ": forward must take input_ids int64 [1, n]" +
             std::string(md.use_kv_cache ? " and cache_position int64 [n]" : "") + " (ExecuTorch's LLM convention)";
    return nullptr;
  }
  if (md.use_kv_cache && (!inputs[1].is_tensor || inputs[1].dtype != ScalarType::Long)) {
    *error = path + ": forward's second input must be cache_position int64";
    return nullptr;
  }
  md.max_prefill_chunk = md.enable_dynamic_shape ? inputs[0].shape[1] : 1;
  if (!md.use_kv_cache) md.max_prefill_chunk = inputs[0].shape[1];
  if (md.max_prefill_chunk < 1) md.max_prefill_chunk = 1;
  return decoder;
}

bool TextDecoder::Forward(const int64_t* tokens, int64_t n, int64_t start, std::vector<float>* logits,
                          std::string* error) {
  std::vector<int64_t> ids(tokens, tokens + n);
  std::vector<int64_t> positions(n);
  for (int64_t i = 0; i < n; ++i) positions[i] = start + i;
  auto ids_tensor = from_blob(ids.data(), {1, static_cast<executorch::aten::SizesType>(n)}, ScalarType::Long);
  std::vector<EValue> inputs{EValue(ids_tensor)};
  executorch::extension::TensorPtr pos_tensor;
  if (metadata_.use_kv_cache) {
    pos_tensor = from_blob(positions.data(), {static_cast<executorch::aten::SizesType>(n)}, ScalarType::Long);
    inputs.emplace_back(pos_tensor);
  }
  auto result = module_->execute("forward", inputs);
  if (!result.ok()) {
    *error = "forward failed at position " + std::to_string(start) + " with " + ErrorName(result.error());
    return false;
  }
  if (result->empty() || !result->at(0).isTensor()) {
    *error = "forward of " + path_ + " returned no logits tensor";
    return false;
  }
  const auto& out = result->at(0).toTensor();
  const int64_t vocab = out.size(out.dim() - 1);
  if (vocab <= 0 || out.numel() % vocab != 0) {
    *error = "forward of " + path_ + " returned logits of an unexpected shape";
    return false;
  }
  const int64_t rows = out.numel() / vocab;
  // the last position of this call (models that return only the last row have rows == 1)
  const int64_t row = metadata_.use_kv_cache ? rows - 1 : std::min<int64_t>(rows, start + n) - 1;
  logits->resize(vocab);
  switch (out.scalar_type()) {
    case ScalarType::Float:
      std::memcpy(logits->data(), out.const_data_ptr<float>() + row * vocab, vocab * sizeof(float));
      break;
    case ScalarType::Half: {
      const auto* p = out.const_data_ptr<executorch::aten::Half>() + row * vocab;
      for (int64_t i = 0; i < vocab; ++i) (*logits)[i] = static_cast<float>(p[i]);
      break;
    }
    case ScalarType::BFloat16: {
      const auto* p = out.const_data_ptr<executorch::aten::BFloat16>() + row * vocab;
      for (int64_t i = 0; i < vocab; ++i) (*logits)[i] = static_cast<float>(p[i]);
      break;
    }
    default:
      *error = "forward of " + path_ + " returned " + DtypeName(out.scalar_type()) + " logits";
      return false;
  }
  return true;
}

bool TextDecoder::Prefill(const std::vector<int64_t>& tokens, int64_t start, std::vector<float>* logits,
                          std::string* error) {
  if (!metadata_.use_kv_cache) {
    history_.resize(start);
    history_.insert(history_.end(), tokens.begin(), tokens.end());
    return Forward(history_.data(), static_cast<int64_t>(history_.size()), 0, logits, error);
  }
  const int64_t chunk = metadata_.max_prefill_chunk;
  for (size_t i = 0; i < tokens.size(); i += chunk) {
    int64_t n = std::min<int64_t>(chunk, static_cast<int64_t>(tokens.size() - i));
    if (!Forward(tokens.data() + i, n, start + static_cast<int64_t>(i), logits, error)) return false;
  }
  return true;
}

bool TextDecoder::Step(int64_t token, int64_t position, std::vector<float>* logits, std::string* error) {
  return Prefill({token}, position, logits, error);
}

}  // namespace rules_executorch
