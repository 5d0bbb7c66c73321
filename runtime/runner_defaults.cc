#include <memory>

#include "runtime/runners.h"
#include "tools/cpp/runfiles/runfiles.h"

namespace rules_executorch {

using bazel::tools::cpp::runfiles::Runfiles;

RunnerDefaults ResolveDefaults(const char* argv0, const std::string& model_location,
                               const std::string& tokenizer_location, const std::string& manifest_location) {
  RunnerDefaults out;
  if (model_location.empty()) return out;
  std::string error;
  std::unique_ptr<Runfiles> runfiles(Runfiles::Create(argv0, &error));
  if (!runfiles) return out;  // the runner then asks for --model
  if (!model_location.empty()) out.model = runfiles->Rlocation(model_location);
  if (!tokenizer_location.empty()) out.tokenizer = runfiles->Rlocation(tokenizer_location);
  if (!manifest_location.empty()) out.manifest = runfiles->Rlocation(manifest_location);
  return out;
}

}  // namespace rules_executorch
