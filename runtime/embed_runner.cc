// The embedding runner: text in, vector out, for feature-extraction programs
// (forward(input_ids[1, n], attention_mask[1, n]) -> embedding[1, hidden]). Tokenizes with the
// model's tokenizer.json (special tokens added, as sentence-transformers does), truncates to the
// program's get_max_seq_len, and prints one vector per input line. No Python at run time.
#include <chrono>
#include <cstdio>

#include <executorch/extension/tensor/tensor.h>

#include "runtime/file.h"
#include "runtime/flags.h"
#include "runtime/json_writer.h"
#include "runtime/program.h"
#include "runtime/runners.h"
#include "runtime/tokenizer/tokenizer.h"

namespace rules_executorch {
namespace {

using Clock = std::chrono::steady_clock;
using executorch::extension::from_blob;
using executorch::runtime::EValue;

int Fail(const std::string& message) {
  std::fprintf(stderr, "embed_runner: error: %s\n", message.c_str());
  return 1;
}

struct Embedder {
  std::unique_ptr<Module> module;
  std::unique_ptr<Tokenizer> tokenizer;
  std::string path;
  int64_t max_len = 0;
};

bool ReadMaxLen(Module& module, int64_t* out) {
  auto result = module.execute("get_max_seq_len");
  if (!result.ok() || result->empty() || !result->at(0).isInt()) return false;
  *out = result->at(0).toInt();
  return *out >= 2;
}

// The embedding of one text; false with *error on failure. *truncated tells whether the text
// had more tokens than the program takes.
bool Embed(const Embedder& e, const std::string& text, std::vector<float>* vector, bool* truncated, std::string* error) {
  Tokenizer::Encoding enc = e.tokenizer->EncodeWithSpecialTokens(text);
  std::vector<int64_t> ids(enc.ids.begin(), enc.ids.end());
  *truncated = static_cast<int64_t>(ids.size()) > e.max_len;
  if (*truncated) {
    // keep the closing special token (e.g. [SEP]) the post-processor put last
    const int64_t last = ids.back();
    ids.resize(e.max_len);
    ids.back() = last;
  }
  std::vector<int64_t> mask(ids.size(), 1);
  while (ids.size() < 2) {  // the program takes at least two tokens: pad, masked out of the pooling
    ids.push_back(0);
    mask.push_back(0);
  }
  const auto n = static_cast<executorch::aten::SizesType>(ids.size());
  auto ids_tensor = from_blob(ids.data(), {1, n}, ScalarType::Long);
  auto mask_tensor = from_blob(mask.data(), {1, n}, ScalarType::Long);
  std::vector<EValue> inputs{*ids_tensor, *mask_tensor};
  auto result = e.module->execute("forward", inputs);
  if (!result.ok()) {
    *error = "forward of " + e.path + " failed with " + ErrorName(result.error());
    return false;
  }
  if (result->empty() || !result->at(0).isTensor() || result->at(0).toTensor().scalar_type() != ScalarType::Float) {
    *error = e.path + " did not return a float32 embedding; is it a feature-extraction program?";
    return false;
  }
  const auto& out = result->at(0).toTensor();
  vector->assign(out.const_data_ptr<float>(), out.const_data_ptr<float>() + out.numel());
  return true;
}

}  // namespace

int EmbedRunnerMain(int argc, char** argv, const RunnerDefaults& defaults) {
  Flags flags;
  flags.Define("model", defaults.model, "the feature-extraction program (.pte)");
  flags.Define("data", "", "the program's data file (.ptd); default: the .pte's sibling <name>.ptd when there is one");
  DefineRuntimeFlags(&flags);
  flags.Define("tokenizer", defaults.tokenizer, "the model's tokenizer.json");
  flags.Define("text", "", "the text to embed");
  flags.Define("input", "", "a file with one text per line to embed (instead of --text)");
  flags.Define("json", "false", "print {\"embeddings\": [...], \"stats\": ...} instead of one line of numbers per text", true);
  flags.Define("help", "false", "show this help", true);
  std::string error;
  if (!flags.Parse(argc, argv, &error)) return Fail(error);
  if (flags.GetBool("help")) {
    std::fputs(flags.Help("embed_runner", "Embeds text with an ExecuTorch feature-extraction program.").c_str(), stdout);
    return 0;
  }
  if (ApplyRuntimeFlags(flags, argv, &error) < 0) return Fail(error);
  if (flags.Get("model").empty()) return Fail("no model: pass --model PATH.pte");
  if (flags.Get("tokenizer").empty()) return Fail("no tokenizer: pass --tokenizer PATH/tokenizer.json");
  if (flags.IsSet("text") == !flags.Get("input").empty()) return Fail("give exactly one of --text or --input");

  std::vector<std::string> texts;
  if (flags.IsSet("text")) {
    texts.push_back(flags.Get("text"));
  } else {
    std::string contents;
    if (!ReadFile(flags.Get("input"), &contents, &error)) return Fail(error);
    texts = SplitLines(contents);
    if (texts.empty()) return Fail(flags.Get("input") + " has no lines to embed");
  }

  Embedder e;
  e.path = flags.Get("model");
  e.tokenizer = Tokenizer::FromFile(flags.Get("tokenizer"), &error);
  if (!e.tokenizer) return Fail(error);
  e.module = LoadProgram(e.path, flags.Get("data"), &error);
  if (!e.module) return Fail(error);
  if (!LoadMethod(*e.module, e.path, "forward", &error)) return Fail(error);
  if (!ReadMaxLen(*e.module, &e.max_len)) return Fail(e.path + " has no get_max_seq_len method; export it with the feature-extraction task");

  const bool json = flags.GetBool("json");
  std::string out = json ? "{\"embeddings\": [" : "";
  size_t truncated_count = 0;
  auto t0 = Clock::now();
  for (size_t i = 0; i < texts.size(); ++i) {
    std::vector<float> vector;
    bool truncated = false;
    if (!Embed(e, texts[i], &vector, &truncated, &error)) return Fail(error);
    truncated_count += truncated;
    std::string line = json ? (i ? ", [" : "[") : "";
    for (size_t k = 0; k < vector.size(); ++k) line += (k ? (json ? ", " : " ") : "") + JsonNumber(vector[k]);
    out += line + (json ? "]" : "\n");
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  if (json) {
    out += "], \"truncated\": " + std::to_string(truncated_count) + ", \"stats\": {\"texts\": " + std::to_string(texts.size()) +
           ", \"texts_per_s\": " + JsonNumber(seconds > 0 ? texts.size() / seconds : 0) + "}}\n";
  } else if (truncated_count) {
    std::fprintf(stderr, "embed_runner: %zu text(s) longer than the program's %lld tokens were truncated\n", truncated_count,
                 static_cast<long long>(e.max_len));
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace rules_executorch
