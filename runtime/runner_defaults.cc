// Finds the bundled files the way Bazel lays out runfiles: the tree or manifest named by the
// environment (RUNFILES_DIR, RUNFILES_MANIFEST_FILE, TEST_SRCDIR: set by `bazel run`/`test` and
// inherited by child processes), else the tree or manifest next to the binary.

#include <sys/stat.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "runtime/file.h"
#include "runtime/runners.h"

namespace rules_executorch {
namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

class Runfiles {
 public:
  explicit Runfiles(const std::string& argv0) {
    for (const char* name : {"RUNFILES_DIR", "TEST_SRCDIR"}) {
      if (directory_.empty() && Exists(Env(name), S_IFDIR)) directory_ = Env(name);
    }
    if (Exists(Env("RUNFILES_MANIFEST_FILE"), S_IFREG)) manifest_path_ = Env("RUNFILES_MANIFEST_FILE");
    if (directory_.empty() && manifest_path_.empty() && !argv0.empty()) {
      if (Exists(argv0 + ".runfiles", S_IFDIR)) directory_ = argv0 + ".runfiles";
      if (Exists(argv0 + ".runfiles_manifest", S_IFREG)) manifest_path_ = argv0 + ".runfiles_manifest";
    }
  }

  // "workspace/path" → its path here ("" when there are no runfiles; a missing file is then
  // reported by whoever opens it).
  std::string Rlocation(const std::string& location) {
    if (location.empty()) return "";
    const std::string in_tree = directory_.empty() ? "" : directory_ + "/" + location;
    if (manifest_path_.empty() || Exists(in_tree, S_IFREG)) return in_tree;
    if (manifest_.empty()) {
      std::string text, error;
      if (ReadFile(manifest_path_, &text, &error)) manifest_ = SplitLines(text);
    }
    // Lines are "<location> <target>"; the location itself has no space.
    const std::string key = location + " ";
    for (const std::string& line : manifest_) {
      if (line.compare(0, key.size(), key) == 0) return line.substr(key.size());
    }
    return in_tree;
  }

 private:
  std::string directory_;
  std::string manifest_path_;
  std::vector<std::string> manifest_;  // its lines, read on first use
};

}  // namespace

RunnerDefaults ResolveDefaults(const char* argv0, const std::string& model_location,
                               const std::string& tokenizer_location, const std::string& manifest_location) {
  RunnerDefaults out;
  if (model_location.empty()) return out;  // a generic runner: --model is required
  Runfiles runfiles(argv0 != nullptr ? argv0 : "");
  out.model = runfiles.Rlocation(model_location);
  out.tokenizer = runfiles.Rlocation(tokenizer_location);
  out.manifest = runfiles.Rlocation(manifest_location);
  return out;
}

}  // namespace rules_executorch
