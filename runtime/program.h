// Loading ExecuTorch programs defensively, and naming what the runtime reports.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <executorch/extension/module/module.h>

#include "runtime/flags.h"

namespace rules_executorch {

using executorch::aten::ScalarType;
using executorch::extension::Module;
using executorch::runtime::Error;
using executorch::runtime::MethodMeta;

// "OperatorMissing (0x14)" etc.
std::string ErrorName(Error error);
// "float32", "int64", ...; numpy dtype strings ("<f4") for the ones .npy can hold, or "".
std::string DtypeName(ScalarType type);
std::string NumpyDescr(ScalarType type);
size_t ElementSize(ScalarType type);
std::string ShapeString(const std::vector<int64_t>& shape);

// Opens and verifies a .pte (the flatbuffer is fully verified, so a corrupt file is an error,
// not a crash), with its data file: `data_path` when given, else the program's sibling
// <name>.ptd when there is one. Returns nullptr with one sentence in *error on failure.
std::unique_ptr<Module> LoadProgram(const std::string& path, const std::string& data_path, std::string* error);
// Loads `method` (resolving its kernels and delegates); false with *error on failure.
bool LoadMethod(Module& module, const std::string& path, const std::string& method, std::string* error);

// Re-executes this binary (same arguments) with GLIBC_TUNABLES=glibc.malloc.hugetlb=1 added,
// so that malloc backs the program's large blocks (XNNPACK's packed weights, planned memory,
// caches) with transparent huge pages from the first touch. Returns without doing anything
// when that is already set, on other C libraries or glibc before 2.35, when the kernel's
// huge pages are switched off, or when the relaunch fails. Call before anything is loaded.
void RelaunchWithHugePages(char** argv);
// Sizes the runtime's thread pool (the threads XNNPACK's operators run on) before anything is
// loaded: `threads` > 0 sets it, 0 keeps the runtime's default (one per core). Returns the
// pool's size (1 for a runtime without one; 0 off Linux, where it is not read), or -1 with one
// sentence in *error.
long long SetThreads(long long threads, std::string* error);
// Whether this process's malloc was started with huge pages (by the relaunch or the user).
bool HugePageMalloc();
// The flags every runner takes for the runtime itself: --threads, --huge_pages and
// --reuse_xnnpack_plans.
void DefineRuntimeFlags(Flags* flags);
// Applies them, before anything is loaded: the relaunch with huge pages, then the thread pool's
// size. Returns the pool's size (as SetThreads), or -1 with one sentence in *error.
long long ApplyRuntimeFlags(const Flags& flags, char** argv, std::string* error);

struct TensorSpec {
  bool is_tensor = false;
  std::string tag;  // for non-tensor values: the value's kind
  ScalarType dtype = ScalarType::Float;
  std::vector<int64_t> shape;
};
std::vector<TensorSpec> InputSpecs(const MethodMeta& meta);
std::vector<TensorSpec> OutputSpecs(const MethodMeta& meta);

}  // namespace rules_executorch
