// Entry points of the runners. A runner binary made by executorch_runner passes the runfiles
// locations of its bundled model (and tokenizer); the generic binaries pass none.
#pragma once

#include <string>

namespace rules_executorch {

struct RunnerDefaults {
  std::string model;      // path of the bundled .pte, or "" (then --model is required)
  std::string tokenizer;  // path of the bundled tokenizer.json, or ""
  std::string manifest;   // path of the bundled model's manifest .json, or ""
};

// Resolves runfiles locations ("workspace/path") next to the binary; empty stays empty.
RunnerDefaults ResolveDefaults(const char* argv0, const std::string& model_location,
                               const std::string& tokenizer_location, const std::string& manifest_location);

// Loads any .pte, lists its methods, runs one with .npy or generated inputs.
int MethodRunnerMain(int argc, char** argv, const RunnerDefaults& defaults);
// Text generation with ExecuTorch's LLM calling convention.
int LlmRunnerMain(int argc, char** argv, const RunnerDefaults& defaults);
// Sentence embeddings with a feature-extraction program: text in, vector out.
int EmbedRunnerMain(int argc, char** argv, const RunnerDefaults& defaults);

}  // namespace rules_executorch
