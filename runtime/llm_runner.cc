// The LLM runner: prompt in, text out, streamed token by token, with ExecuTorch's LLM calling
// convention (see llm/text_decoder.h). No Python at run time.
#include <chrono>
#include <cmath>
#include <optional>
#include <cstdio>
#include <sstream>

#include "runtime/file.h"
#include "runtime/flags.h"
#include "runtime/json_writer.h"
#include "runtime/llm/sampler.h"
#include "runtime/llm/text_decoder.h"
#include "runtime/npy.h"
#include "runtime/runners.h"
#include "runtime/tokenizer/json.h"
#include "runtime/tokenizer/tokenizer.h"
#include "runtime/utf8.h"
#include "runtime/xnnpack_plans.h"

namespace rules_executorch {
namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); }

int Fail(const std::string& message) {
  std::fprintf(stderr, "llm_runner: error: %s\n", message.c_str());
  return 1;
}

bool ParseIds(const std::string& text, std::vector<int64_t>* out, std::string* error) {
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    char* end = nullptr;
    long long v = std::strtoll(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || v < 0) {
      *error = "--prompt_ids must be comma-separated token ids, got \"" + item + "\"";
      return false;
    }
    out->push_back(v);
  }
  return true;
}

// Prints generated text as it becomes stable: byte-level tokens can end inside a character,
// which decodes to U+FFFD until the next token completes it.
class TextStream {
 public:
  explicit TextStream(bool enabled) : enabled_(enabled) {}
  void Update(const std::string& text, bool final) {
    std::string stable = text;
    if (!final) {
      static const std::string kReplacement = "\xEF\xBF\xBD";
      while (stable.size() >= 3 && stable.compare(stable.size() - 3, 3, kReplacement) == 0) stable.resize(stable.size() - 3);
      stable.resize(CompleteUtf8Prefix(stable));
    }
    if (stable.size() > printed_.size() && stable.compare(0, printed_.size(), printed_) == 0) {
      if (enabled_) {
        std::fwrite(stable.data() + printed_.size(), 1, stable.size() - printed_.size(), stdout);
        std::fflush(stdout);
      }
      printed_ = stable;
    }
  }

 private:
  bool enabled_;
  std::string printed_;
};

// The model's chat template for one user turn, as the exporter rendered it into the manifest.
bool ReadChatTemplate(const std::string& manifest_path, std::string* prefix, std::string* suffix, std::string* error) {
  using tokenizer_internal::JsonValue;
  if (manifest_path.empty()) {
    *error = "--chat needs the model's manifest: pass --manifest PATH.json (written next to the .pte by the export)";
    return false;
  }
  std::string text;
  if (!ReadFile(manifest_path, &text, error)) return false;
  std::optional<JsonValue> manifest = tokenizer_internal::ParseJson(text, error);
  if (!manifest) {
    *error = manifest_path + " is not a manifest: " + *error;
    return false;
  }
  const JsonValue* chat = manifest->Find("chat");
  if (!chat || chat->is_null()) {
    *error = manifest_path + " has no chat template (the model has none); drop --chat";
    return false;
  }
  const JsonValue* p = chat->Find("prefix");
  const JsonValue* s = chat->Find("suffix");
  if (!p || !s || !p->is_string() || !s->is_string()) {
    *error = manifest_path + ": \"chat\" must have string members \"prefix\" and \"suffix\"";
    return false;
  }
  *prefix = p->string_value();
  *suffix = s->string_value();
  return true;
}

// Teacher-forced scoring of `ids` one token at a time: mean negative log-likelihood of each next
// token, and the model's top choice at every position (for agreement between two programs).
int Score(TextDecoder* decoder, const std::vector<int64_t>& ids, bool truncated) {
  std::string error;
  std::vector<float> logits;
  std::vector<int64_t> argmax;
  double nll = 0;
  auto t0 = Clock::now();
  for (size_t i = 0; i + 1 < ids.size(); ++i) {
    if (!decoder->Step(ids[i], static_cast<int64_t>(i), &logits, &error)) return Fail(error);
    float top = logits[0];
    size_t best = 0;
    for (size_t v = 1; v < logits.size(); ++v) {
      if (logits[v] > top) top = logits[v], best = v;
    }
    double sum = 0;
    for (float l : logits) sum += std::exp(static_cast<double>(l) - top);
    const int64_t next = ids[i + 1];
    if (next < 0 || static_cast<size_t>(next) >= logits.size()) return Fail("token id " + std::to_string(next) + " is outside the model's vocabulary");
    nll += std::log(sum) - (static_cast<double>(logits[next]) - top);
    argmax.push_back(static_cast<int64_t>(best));
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  const size_t scored = argmax.size();
  std::printf("{\"scored_tokens\": %zu, \"truncated\": %s, \"mean_nll\": %s, \"perplexity\": %s, \"tokens_per_s\": %s, "
              "\"token_ids\": %s, \"argmax\": %s}\n",
              scored, truncated ? "true" : "false", JsonNumber(nll / scored).c_str(), JsonNumber(std::exp(nll / scored)).c_str(),
              JsonNumber(seconds > 0 ? scored / seconds : 0).c_str(), JsonArray(ids).c_str(), JsonArray(argmax).c_str());
  return 0;
}

}  // namespace

int LlmRunnerMain(int argc, char** argv, const RunnerDefaults& defaults) {
  Flags flags;
  flags.Define("model", defaults.model, "the text-generation program (.pte)");
  flags.Define("data", "", "the program's data file (.ptd); default: the .pte's sibling <name>.ptd when there is one");
  DefineRuntimeFlags(&flags);
  flags.Define("tokenizer", defaults.tokenizer, "the model's tokenizer.json");
  flags.Define("prompt", "Once upon a time", "text to continue");
  flags.Define("chat", "false", "wrap the prompt in the model's chat template (one user turn)", true);
  flags.Define("manifest", defaults.manifest, "the model's manifest .json (holds the chat template)");
  flags.Define("prompt_ids", "", "comma-separated token ids to use instead of --prompt (no tokenizer needed)");
  flags.Define("max_new_tokens", "-1", "tokens to generate at most (-1: until an eos token or the context is full)");
  flags.Define("temperature", "0", "0 for greedy decoding; > 0 samples");
  flags.Define("top_p", "0.9", "nucleus sampling mass when temperature > 0");
  flags.Define("seed", "0", "sampling seed");
  flags.Define("bos", "auto", "prepend the BOS token: auto (when the program names one), true or false");
  flags.Define("echo", "false", "print the prompt before the generated text", true);
  flags.Define("json", "false", "print prompt/generated token ids, text and stats as JSON instead of streaming", true);
  flags.Define("perplexity", "", "score this text file instead of generating: perplexity and per-position argmax as JSON");
  flags.Define("dump_logits", "", "write the logits after the prompt (the first step's) to this .npy");
  flags.Define("help", "false", "show this help", true);
  std::string error;
  if (!flags.Parse(argc, argv, &error)) return Fail(error);
  if (flags.GetBool("help")) {
    std::fputs(flags.Help("llm_runner", "Generates text with an ExecuTorch text-generation program.").c_str(), stdout);
    return 0;
  }
  const long long threads = ApplyRuntimeFlags(flags, argv, &error);
  if (threads < 0) return Fail(error);
  long long max_new = 0, seed = 0;
  double temperature = 0, top_p = 0;
  if (!flags.GetInt("max_new_tokens", -1, 1 << 30, &max_new, &error) || !flags.GetInt("seed", 0, 1LL << 62, &seed, &error) ||
      !flags.GetDouble("temperature", 0, 100, &temperature, &error) || !flags.GetDouble("top_p", 0, 1, &top_p, &error)) {
    return Fail(error);
  }
  const std::string bos_mode = flags.Get("bos");
  if (bos_mode != "auto" && bos_mode != "true" && bos_mode != "false") return Fail("--bos must be auto, true or false");
  const std::string path = flags.Get("model");
  if (path.empty()) return Fail("no model: pass --model PATH.pte");
  const bool json = flags.GetBool("json");

  auto t_load = Clock::now();
  std::unique_ptr<Tokenizer> tokenizer;
  if (!flags.Get("tokenizer").empty()) {
    tokenizer = Tokenizer::FromFile(flags.Get("tokenizer"), &error);
    if (!tokenizer) return Fail(error);
  } else if (!flags.IsSet("prompt_ids")) {
    return Fail("no tokenizer: pass --tokenizer PATH/tokenizer.json (or --prompt_ids)");
  }
  auto module = LoadProgram(path, flags.Get("data"), &error);
  if (!module) return Fail(error);
  auto decoder = TextDecoder::Create(std::move(module), path, &error);
  if (!decoder) return Fail(error);
  const LlmMetadata& md = decoder->metadata();
  if (tokenizer && md.vocab_size > 0 && tokenizer->VocabSize() > md.vocab_size) {
    return Fail("the tokenizer has " + std::to_string(tokenizer->VocabSize()) + " tokens but the model only " +
                std::to_string(md.vocab_size) + "; pass the tokenizer exported with this model");
  }
  auto t_loaded = Clock::now();

  if (!flags.Get("perplexity").empty()) {
    if (!tokenizer) return Fail("--perplexity needs the tokenizer: pass --tokenizer PATH/tokenizer.json");
    std::string text;
    if (!ReadFile(flags.Get("perplexity"), &text, &error)) return Fail(error);
    std::vector<int64_t> ids;
    if (md.bos_id >= 0 && bos_mode != "false") ids.push_back(md.bos_id);
    for (int32_t id : tokenizer->Encode(text)) ids.push_back(id);
    const bool truncated = static_cast<int64_t>(ids.size()) > md.max_context_len;
    if (truncated) ids.resize(md.max_context_len);
    if (ids.size() < 2) return Fail(flags.Get("perplexity") + " has fewer than two tokens to score");
    return Score(decoder.get(), ids, truncated);
  }

  std::vector<int64_t> prompt;
  if (flags.IsSet("prompt_ids")) {
    if (!ParseIds(flags.Get("prompt_ids"), &prompt, &error)) return Fail(error);
  } else {
    std::string text = flags.Get("prompt");
    const bool chat = flags.GetBool("chat");
    if (chat) {
      std::string prefix, suffix;
      if (!ReadChatTemplate(flags.Get("manifest"), &prefix, &suffix, &error)) return Fail(error);
      text = prefix + text + suffix;
    }
    // a chat template writes its own special tokens; only a plain prompt gets the BOS by default
    bool add_bos = bos_mode == "true" || (bos_mode == "auto" && md.bos_id >= 0 && !chat);
    if (add_bos && md.bos_id >= 0) prompt.push_back(md.bos_id);
    for (int32_t id : tokenizer->Encode(text)) prompt.push_back(id);
  }
  if (prompt.empty()) return Fail("the prompt is empty; give --prompt text");
  for (int64_t id : prompt) {
    if (md.vocab_size > 0 && id >= md.vocab_size) return Fail("prompt token id " + std::to_string(id) + " is outside the vocabulary of " + std::to_string(md.vocab_size));
  }
  const int64_t context = md.max_context_len;
  if (static_cast<int64_t>(prompt.size()) >= context) {
    return Fail("the prompt has " + std::to_string(prompt.size()) + " tokens but the model's context is " + std::to_string(context) +
                " (get_max_context_len); shorten the prompt or export with a larger max_seq_len");
  }
  const int64_t room = context - static_cast<int64_t>(prompt.size());
  if (max_new > room) {
    return Fail("--max_new_tokens " + std::to_string(max_new) + " does not fit: the prompt has " + std::to_string(prompt.size()) +
                " tokens and the context " + std::to_string(context) + ", which leaves " + std::to_string(room));
  }
  const int64_t budget = max_new < 0 ? room : max_new;

  Sampler sampler(static_cast<float>(temperature), static_cast<float>(top_p), static_cast<uint64_t>(seed));
  TextStream stream(!json);
  if (flags.GetBool("echo") && !json && tokenizer) {
    std::vector<int32_t> ids(prompt.begin(), prompt.end());
    std::string text = tokenizer->Decode(ids, true);
    std::fwrite(text.data(), 1, text.size(), stdout);
  }

  auto t_start = Clock::now();
  std::vector<float> logits;
  if (!decoder->Prefill(prompt, 0, &logits, &error)) return Fail(error);
  if (!flags.Get("dump_logits").empty() &&
      !WriteNpy(flags.Get("dump_logits"), "<f4", {static_cast<int64_t>(logits.size())}, logits.data(), logits.size() * sizeof(float), &error)) {
    return Fail(error);
  }
  auto t_prefilled = Clock::now();
  std::vector<int64_t> generated;
  Clock::time_point t_first = t_prefilled;
  int64_t position = static_cast<int64_t>(prompt.size());
  bool stopped_at_eos = false;
  while (static_cast<int64_t>(generated.size()) < budget) {
    int32_t next = sampler.Sample(logits);
    generated.push_back(next);
    if (generated.size() == 1) t_first = Clock::now();
    bool eos = false;
    for (int64_t e : md.eos_ids) eos |= e == next;
    if (tokenizer && !json) {  // --json prints the text once at the end
      std::vector<int32_t> ids(generated.begin(), generated.end());
      stream.Update(tokenizer->Decode(ids, true), eos);
    }
    if (eos) {
      stopped_at_eos = true;
      break;
    }
    if (static_cast<int64_t>(generated.size()) >= budget) break;
    if (!decoder->Step(next, position++, &logits, &error)) return Fail(error);
  }
  auto t_end = Clock::now();
  std::string text;
  if (tokenizer) {
    std::vector<int32_t> ids(generated.begin(), generated.end());
    text = tokenizer->Decode(ids, true);
    stream.Update(text, true);
  }

  const double prefill_ms = Ms(t_start, t_prefilled);
  const double decode_ms = Ms(t_first, t_end);
  const size_t decode_tokens = generated.size() > 1 ? generated.size() - 1 : 0;
  const double prefill_tps = prefill_ms > 0 ? prompt.size() * 1000.0 / prefill_ms : 0;
  const double decode_tps = decode_ms > 0 ? decode_tokens * 1000.0 / decode_ms : 0;
  const double ttft_ms = Ms(t_start, t_first);
  if (json) {
    const XnnpackPlanStats plans = GetXnnpackPlanStats();
    std::printf("{\"prompt_tokens\": %s, \"generated_tokens\": %s, \"text\": %s, \"stopped_at_eos\": %s, "
                "\"stats\": {\"model_load_ms\": %s, \"num_prompt_tokens\": %zu, \"num_generated_tokens\": %zu, "
                "\"time_to_first_token_ms\": %s, \"prefill_tokens_per_s\": %s, \"decode_tokens_per_s\": %s, \"total_ms\": %s, "
                "\"huge_page_malloc\": %s, \"threads\": %lld, \"xnnpack_plans_made\": %llu, \"xnnpack_plans_reused\": %llu}}\n",
                JsonArray(prompt).c_str(), JsonArray(generated).c_str(), JsonString(text).c_str(), stopped_at_eos ? "true" : "false",
                JsonNumber(Ms(t_load, t_loaded)).c_str(), prompt.size(), generated.size(), JsonNumber(ttft_ms).c_str(),
                JsonNumber(prefill_tps).c_str(), JsonNumber(decode_tps).c_str(), JsonNumber(Ms(t_start, t_end)).c_str(),
                HugePageMalloc() ? "true" : "false", threads, plans.made, plans.reused);
  } else {
    std::printf("\n");
    std::fprintf(stderr,
                 "\n%zu prompt tokens, %zu generated%s | load %.0f ms | time to first token %.1f ms | prefill %.1f tok/s | decode %.1f tok/s\n",
                 prompt.size(), generated.size(), stopped_at_eos ? " (eos)" : "", Ms(t_load, t_loaded), ttft_ms, prefill_tps, decode_tps);
  }
  return 0;
}

}  // namespace rules_executorch
