#include "runtime/program.h"

#include <sys/stat.h>

#include <algorithm>

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

std::unique_ptr<Module> LoadProgram(const std::string& path, std::string* error) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    *error = "no model file at " + path + " (pass --model PATH.pte)";
    return nullptr;
  }
  if (st.st_size < 16) {
    *error = path + " is not an ExecuTorch program (" + std::to_string(st.st_size) + " bytes)";
    return nullptr;
  }
  auto module = std::make_unique<Module>(path, Module::LoadMode::File);
  Error err = module->load(Program::Verification::InternalConsistency);
  if (err != Error::Ok) {
    *error = path + " is not a valid ExecuTorch program: loading failed with " + ErrorName(err) +
             " (truncated, corrupted, or made by an incompatible ExecuTorch)";
    return nullptr;
  }
  return module;
}

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
    if (err == Error::NotFound) hint = " (a delegate backend is not linked into this runner)";
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
