#include "runtime/program.h"

#include <sys/stat.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <gnu/libc-version.h>
#endif

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include <executorch/runtime/backend/interface.h>

#include "runtime/file.h"
#include "runtime/xnnpack_plans.h"

#if defined(__linux__)
// The wheel's runtime exports its thread pool (the one XNNPACK runs on) but ships no header for
// it; these are the functions of ExecuTorch's extension/threadpool/threadpool.h the runners
// call. Weak, so a runtime built without the thread pool still links (get_threadpool is null).
namespace executorch::extension::threadpool {
class ThreadPool {
 public:
  size_t get_thread_count() const __attribute__((weak));
  bool _unsafe_reset_threadpool(uint32_t num_threads) __attribute__((weak));
};
ThreadPool* get_threadpool() __attribute__((weak));
}  // namespace executorch::extension::threadpool
#endif

namespace rules_executorch {

using executorch::runtime::Program;
using executorch::runtime::Tag;

std::string ErrorName(Error error) {
  char code[8];
  std::snprintf(code, sizeof(code), "0x%02x", static_cast<unsigned>(error));
  return std::string(executorch::runtime::to_string(error)) + " (" + code + ")";
}

std::string DtypeName(ScalarType type) {
  switch (type) {
    case ScalarType::Float: return "float32";
    case ScalarType::Double: return "float64";
    case ScalarType::Half: return "float16";
    case ScalarType::BFloat16: return "bfloat16";
    case ScalarType::Long: return "int64";
    case ScalarType::Int: return "int32";
    case ScalarType::Short: return "int16";
    case ScalarType::Char: return "int8";
    case ScalarType::Byte: return "uint8";
    case ScalarType::Bool: return "bool";
    default: return "scalar_type_" + std::to_string(static_cast<int>(type));
  }
}

std::string NumpyDescr(ScalarType type) {
  switch (type) {
    case ScalarType::Float: return "<f4";
    case ScalarType::Double: return "<f8";
    case ScalarType::Half: return "<f2";
    case ScalarType::Long: return "<i8";
    case ScalarType::Int: return "<i4";
    case ScalarType::Short: return "<i2";
    case ScalarType::Char: return "|i1";
    case ScalarType::Byte: return "|u1";
    case ScalarType::Bool: return "|b1";
    default: return "";
  }
}

size_t ElementSize(ScalarType type) {
  switch (type) {
    case ScalarType::Double:
    case ScalarType::Long: return 8;
    case ScalarType::Float:
    case ScalarType::Int: return 4;
    case ScalarType::Half:
    case ScalarType::BFloat16:
    case ScalarType::Short: return 2;
    case ScalarType::Char:
    case ScalarType::Byte:
    case ScalarType::Bool: return 1;
    default: return 0;
  }
}

std::string ShapeString(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

namespace {

// A bounds-checked reader of the program's flatbuffer (schema/program.fbs), for the checks the
// runtime does not make before it runs a method.
class Flatbuffer {
 public:
  explicit Flatbuffer(const std::string& bytes) : data_(reinterpret_cast<const uint8_t*>(bytes.data())), size_(bytes.size()) {}

  bool ok() const { return ok_; }
  uint32_t Root() { return Target(0); }

  // The position of table field `id`'s value, or 0 when the field is absent.
  uint32_t Field(uint32_t table, int id) {
    if (!Has(table, 4)) return Fail();
    int64_t vtable = static_cast<int64_t>(table) - static_cast<int32_t>(U32(table));
    if (vtable < 0 || !Has(static_cast<uint64_t>(vtable), 4)) return Fail();
    uint16_t vtable_size = U16(vtable);
    if (4 + 2 * id + 2 > vtable_size) return 0;
    if (!Has(static_cast<uint64_t>(vtable) + 4 + 2 * id, 2)) return Fail();
    uint16_t offset = U16(vtable + 4 + 2 * id);
    return offset == 0 ? 0 : table + offset;
  }
  // The table, vector or string a uoffset at `at` points to.
  uint32_t Target(uint32_t at) {
    if (!Has(at, 4)) return Fail();
    uint64_t target = static_cast<uint64_t>(at) + U32(at);
    return Has(target, 4) ? static_cast<uint32_t>(target) : Fail();
  }
  uint32_t Length(uint32_t vector) { return Has(vector, 4) ? U32(vector) : Fail(); }
  // A string's length, checked to lie within the buffer with its terminating zero.
  uint32_t String(uint32_t string) {
    uint32_t n = Length(string);
    return ok_ && Has(static_cast<uint64_t>(string) + 4, static_cast<uint64_t>(n) + 1) ? n : Fail();
  }
  // Element i of a vector of tables.
  uint32_t Element(uint32_t vector, uint32_t i) { return Target(vector + 4 + 4 * i); }
  int64_t Int(uint32_t field, int64_t fallback) {
    if (field == 0) return fallback;
    return Has(field, 4) ? static_cast<int32_t>(U32(field)) : Fail();
  }
  uint8_t Byte(uint32_t field) { return field != 0 && Has(field, 1) ? data_[field] : 0; }

 private:
  bool Has(uint64_t at, uint64_t n) const { return at + n <= size_; }
  uint32_t U32(uint64_t at) const { uint32_t v; std::memcpy(&v, data_ + at, 4); return v; }
  uint16_t U16(uint64_t at) const { uint16_t v; std::memcpy(&v, data_ + at, 2); return v; }
  uint32_t Fail() { ok_ = false; return 0; }

  const uint8_t* data_;
  size_t size_;
  bool ok_ = true;
};

// The flatbuffer part of a .pte: all of it, or the program_size of its extended header.
std::string ReadFlatbuffer(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  const uint64_t file_size = in ? static_cast<uint64_t>(in.tellg()) : 0;
  char head[32] = {};
  in.seekg(0);
  in.read(head, sizeof(head));
  uint64_t size = 0;
  if (in.gcount() == sizeof(head) && std::memcmp(head + 8, "eh00", 4) == 0) std::memcpy(&size, head + 16, 8);
  if (size == 0 || size > file_size) size = file_size;
  in.clear();
  std::string bytes(size, '\0');
  in.seekg(0);
  in.read(&bytes[0], static_cast<std::streamsize>(size));
  bytes.resize(static_cast<size_t>(in.gcount()));
  return bytes;
}

// Every operator named and every instruction's operator and delegate index within its method's
// tables. The runtime reports an out-of-range operator index or a missing operator name while
// loading the method but may still load it, and then calls a kernel that does not exist.
bool CheckInstructions(const std::string& path, std::string* error) {
  constexpr int kPlans = 1, kChains = 5, kOperators = 6, kDelegates = 7, kInstructions = 2, kName = 0;
  constexpr uint8_t kKernelCall = 1, kDelegateCall = 2;
  const std::string bytes = ReadFlatbuffer(path);
  Flatbuffer fb(bytes);
  uint32_t plans = fb.Target(fb.Field(fb.Root(), kPlans));
  for (uint32_t p = 0, np = fb.Length(plans); fb.ok() && p < np; ++p) {
    uint32_t plan = fb.Element(plans, p);
    uint32_t operators = fb.Field(plan, kOperators), delegates = fb.Field(plan, kDelegates);
    int64_t n_operators = operators ? fb.Length(fb.Target(operators)) : 0;
    int64_t n_delegates = delegates ? fb.Length(fb.Target(delegates)) : 0;
    for (int64_t k = 0; fb.ok() && k < n_operators; ++k) {
      // the runtime reports an operator without a name but may still load its method
      uint32_t name_field = fb.Field(fb.Element(fb.Target(operators), static_cast<uint32_t>(k)), kName);
      if (fb.ok() && name_field == 0) {
        *error = path + " is not a valid ExecuTorch program: operator #" + std::to_string(k) + " has no name (corrupted?)";
        return false;
      }
      if (name_field != 0) fb.String(fb.Target(name_field));
    }
    uint32_t chains_field = fb.Field(plan, kChains);
    if (chains_field == 0) continue;
    uint32_t chains = fb.Target(chains_field);
    for (uint32_t c = 0, nc = fb.Length(chains); fb.ok() && c < nc; ++c) {
      uint32_t instructions_field = fb.Field(fb.Element(chains, c), kInstructions);
      if (instructions_field == 0) continue;
      uint32_t instructions = fb.Target(instructions_field);
      for (uint32_t i = 0, ni = fb.Length(instructions); fb.ok() && i < ni; ++i) {
        uint32_t instruction = fb.Element(instructions, i);
        uint8_t type = fb.Byte(fb.Field(instruction, 0));
        if (type != kKernelCall && type != kDelegateCall) continue;
        uint32_t args_field = fb.Field(instruction, 1);
        if (args_field == 0) continue;
        int64_t index = fb.Int(fb.Field(fb.Target(args_field), 0), 0);
        int64_t limit = type == kKernelCall ? n_operators : n_delegates;
        if (fb.ok() && (index < 0 || index >= limit)) {
          *error = path + " is not a valid ExecuTorch program: instruction " + std::to_string(i) + " of chain " +
                   std::to_string(c) + " calls " + (type == kKernelCall ? "operator" : "delegate") + " #" +
                   std::to_string(index) + " of " + std::to_string(limit) + " (corrupted?)";
          return false;
        }
      }
    }
  }
  if (!fb.ok()) *error = path + " is not a valid ExecuTorch program: its instruction tables are out of bounds (truncated or corrupted)";
  return fb.ok();
}

// A .ptd starts with a flatbuffer offset and the file identifier "FT01".
bool LooksLikeDataFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char head[8] = {};
  return in.read(head, sizeof(head)) && std::memcmp(head + 4, "FT01", 4) == 0;
}

// `data_path` when given, else the program's sibling <name>.ptd when there is one, else "".
std::string DataFileFor(const std::string& program_path, const std::string& data_path) {
  if (!data_path.empty()) return data_path;
  const std::string suffix = ".pte";
  if (program_path.size() <= suffix.size() ||
      program_path.compare(program_path.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return "";
  }
  std::string sibling = program_path.substr(0, program_path.size() - suffix.size()) + ".ptd";
  return Exists(sibling, S_IFREG) ? sibling : "";
}

}  // namespace

std::unique_ptr<Module> LoadProgram(const std::string& path, const std::string& data_path, std::string* error) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    *error = "no model file at " + path + " (pass --model PATH.pte)";
    return nullptr;
  }
  if (st.st_size < 16) {
    *error = path + " is not an ExecuTorch program (" + std::to_string(st.st_size) + " bytes)";
    return nullptr;
  }
  const std::string data = DataFileFor(path, data_path);
  if (!data.empty() && !Exists(data, S_IFREG)) {
    *error = "no data file at " + data + " (pass --data PATH.ptd, the one exported with the program)";
    return nullptr;
  }
  if (!data.empty() && !LooksLikeDataFile(data)) {
    *error = data + " is not an ExecuTorch data file (.ptd); pass the one exported with the program";
    return nullptr;
  }
  auto module = data.empty() ? std::make_unique<Module>(path, Module::LoadMode::File)
                             : std::make_unique<Module>(path, data, Module::LoadMode::File);
  Error err = module->load(Program::Verification::InternalConsistency);
  if (err != Error::Ok) {
    *error = path + (data.empty() ? "" : " with " + data) + " is not a valid ExecuTorch program: loading failed with " +
             ErrorName(err) + " (truncated, corrupted, or made by an incompatible ExecuTorch)";
    return nullptr;
  }
  if (!CheckInstructions(path, error)) return nullptr;
  return module;
}

long long SetThreads(long long threads, std::string* error) {
#if defined(__linux__)
  namespace pool = ::executorch::extension::threadpool;
  pool::ThreadPool* threadpool = pool::get_threadpool != nullptr ? pool::get_threadpool() : nullptr;
  if (threadpool == nullptr) {
    if (threads == 0) return 1;
    *error = "this runtime has no thread pool to resize; leave --threads at 0";
    return -1;
  }
  if (threads > 0 && static_cast<long long>(threadpool->get_thread_count()) != threads &&
      !threadpool->_unsafe_reset_threadpool(static_cast<uint32_t>(threads))) {
    *error = "the runtime's thread pool could not be resized to " + std::to_string(threads) + " threads";
    return -1;
  }
  return static_cast<long long>(threadpool->get_thread_count());
#else
  if (threads == 0) return 0;
  *error = "--threads is not supported on this platform yet; leave it at 0";
  return -1;
#endif
}

bool HugePageMalloc() {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  return tunables != nullptr && (std::strstr(tunables, "glibc.malloc.hugetlb=1") != nullptr ||
                                 std::strstr(tunables, "glibc.malloc.hugetlb=2") != nullptr);
}

void RelaunchWithHugePages(char** argv) {
#if defined(__linux__) && defined(__GLIBC__)
  // glibc >= 2.35 madvises its large blocks (mmap'd chunks and the heap) for transparent huge
  // pages when the tunable is set, which it reads only at process start. Decoding reads all
  // weights every token; with 4 KiB pages XNNPACK's kernels stall on TLB misses.
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables != nullptr && std::strstr(tunables, "glibc.malloc.hugetlb") != nullptr) return;  // set: ours or the user's
  int major = 0, minor = 0;
  if (std::sscanf(gnu_get_libc_version(), "%d.%d", &major, &minor) != 2 || major * 1000 + minor < 2035) return;
  std::ifstream thp("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string modes;
  if (!std::getline(thp, modes) || modes.find("[never]") != std::string::npos) return;
  std::string value = tunables != nullptr && *tunables != 0 ? std::string(tunables) + ":" : "";
  value += "glibc.malloc.hugetlb=1";
  if (setenv("GLIBC_TUNABLES", value.c_str(), 1) != 0) return;
  execv("/proc/self/exe", argv);
  // not relaunched (no /proc?): go on with ordinary pages, and leave the environment as it was
  if (tunables != nullptr) setenv("GLIBC_TUNABLES", tunables, 1);
  else unsetenv("GLIBC_TUNABLES");
#else
  (void)argv;
#endif
}

void DefineRuntimeFlags(Flags* flags) {
  flags->Define("threads", "0", "threads for XNNPACK's operators (0: the runtime's default, one per core)");
  flags->Define("huge_pages", "true",
                "relaunch once with glibc's huge-page malloc (Linux, glibc >= 2.35): fewer TLB misses on large weights",
                true);
  flags->Define("reuse_xnnpack_plans", "true",
                "re-plan an XNNPACK delegate only when an input's shape changed (Linux wheel runtimes; false: on "
                "every call, as ExecuTorch does)",
                true);
}

long long ApplyRuntimeFlags(const Flags& flags, char** argv, std::string* error) {
  if (flags.GetBool("huge_pages")) RelaunchWithHugePages(argv);
  ReuseXnnpackPlans(flags.GetBool("reuse_xnnpack_plans"));
  long long threads = 0;
  if (!flags.GetInt("threads", 0, 1024, &threads, error)) return -1;
  return SetThreads(threads, error);
}

namespace {

// The first backend `method` delegates to that this binary has not registered, or "".
std::string UnlinkedBackend(Module& module, const std::string& method) {
  auto meta = module.method_meta(method);
  if (!meta.ok()) return "";
  for (size_t i = 0; i < meta->num_backends(); ++i) {
    auto name = meta->get_backend_name(i);
    if (name.ok() && executorch::runtime::get_backend_class(*name) == nullptr) return *name;
  }
  return "";
}

}  // namespace

bool LoadMethod(Module& module, const std::string& path, const std::string& method, std::string* error) {
  auto names = module.method_names();
  if (!names.ok()) {
    *error = "cannot list the methods of " + path + ": " + ErrorName(names.error());
    return false;
  }
  if (names->count(method) == 0) {
    std::vector<std::string> sorted(names->begin(), names->end());
    std::sort(sorted.begin(), sorted.end());
    std::string list;
    for (const auto& n : sorted) list += (list.empty() ? "" : ", ") + n;
    *error = path + " has no method \"" + method + "\"; it has: " + list;
    return false;
  }
  Error err = module.load_method(method);
  if (err != Error::Ok) {
    std::string hint;
    if (err == Error::OperatorMissing) hint = " (an operator's kernel is not linked into this runner)";
    const std::string missing = err == Error::NotFound ? UnlinkedBackend(module, method) : "";
    if (!missing.empty()) {
      hint = " (its delegate backend " + missing + " is not linked into this runner)";
    } else if (err == Error::NotFound || err == Error::InvalidState || err == Error::InvalidExternalData) {
      // a delegate's constant not found by name, or a constant of the wrong type or size
      hint = " (its constants are in a data file: pass the .ptd exported with it as --data PATH.ptd)";
    }
    *error = "cannot load method \"" + method + "\" of " + path + ": " + ErrorName(err) + hint;
    return false;
  }
  return true;
}

namespace {

std::string TagName(Tag tag) {
  switch (tag) {
    case Tag::None: return "none";
    case Tag::Tensor: return "tensor";
    case Tag::String: return "string";
    case Tag::Double: return "double";
    case Tag::Int: return "int";
    case Tag::Bool: return "bool";
    default: return "value";
  }
}

template <typename TagFn, typename MetaFn>
std::vector<TensorSpec> Specs(size_t count, TagFn tag_of, MetaFn meta_of) {
  std::vector<TensorSpec> out(count);
  for (size_t i = 0; i < count; ++i) {
    auto tag = tag_of(i);
    if (!tag.ok() || tag.get() != Tag::Tensor) {
      out[i].tag = tag.ok() ? TagName(tag.get()) : "unknown";
      continue;
    }
    auto meta = meta_of(i);
    if (!meta.ok()) {
      out[i].tag = "unknown";
      continue;
    }
    out[i].is_tensor = true;
    out[i].tag = "tensor";
    out[i].dtype = meta->scalar_type();
    for (int32_t d : meta->sizes()) out[i].shape.push_back(d);
  }
  return out;
}

}  // namespace

std::vector<TensorSpec> InputSpecs(const MethodMeta& meta) {
  return Specs(
      meta.num_inputs(), [&](size_t i) { return meta.input_tag(i); },
      [&](size_t i) { return meta.input_tensor_meta(i); });
}

std::vector<TensorSpec> OutputSpecs(const MethodMeta& meta) {
  return Specs(
      meta.num_outputs(), [&](size_t i) { return meta.output_tag(i); },
      [&](size_t i) { return meta.output_tensor_meta(i); });
}

}  // namespace rules_executorch
