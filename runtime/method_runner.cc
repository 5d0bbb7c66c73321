// The method runner: loads any .pte, lists its methods (--list), runs one with inputs from
// .npy files or generated ones, writes the outputs as .npy, and times repeated runs.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <set>
#include <sstream>

#include <executorch/extension/tensor/tensor.h>

#include "runtime/flags.h"
#include "runtime/json_writer.h"
#include "runtime/npy.h"
#include "runtime/program.h"
#include "runtime/runners.h"
#include "runtime/stats.h"

namespace rules_executorch {
namespace {

using executorch::extension::from_blob;
using executorch::extension::TensorPtr;
using executorch::runtime::EValue;

int Fail(const std::string& message) {
  std::fprintf(stderr, "method_runner: error: %s\n", message.c_str());
  return 1;
}

std::string SpecJson(const TensorSpec& spec) {
  if (!spec.is_tensor) return "{\"kind\": " + JsonString(spec.tag) + "}";
  return "{\"dtype\": " + JsonString(DtypeName(spec.dtype)) + ", \"shape\": " + JsonArray(spec.shape) + "}";
}

std::string SpecText(const TensorSpec& spec) {
  return spec.is_tensor ? DtypeName(spec.dtype) + " " + ShapeString(spec.shape) : spec.tag;
}

int List(Module& module, const std::string& path, bool json) {
  auto names = module.method_names();
  if (!names.ok()) return Fail("cannot list the methods of " + path + ": " + ErrorName(names.error()));
  std::set<std::string> sorted(names->begin(), names->end());
  std::string out = json ? "{\"model\": " + JsonString(path) + ", \"methods\": {" : "";
  bool first = true;
  for (const auto& name : sorted) {
    auto meta = module.method_meta(name);
    if (!meta.ok()) return Fail("cannot read method \"" + name + "\" of " + path + ": " + ErrorName(meta.error()));
    auto inputs = InputSpecs(*meta), outputs = OutputSpecs(*meta);
    int64_t planned = 0;
    for (size_t i = 0; i < meta->num_memory_planned_buffers(); ++i) {
      auto size = meta->memory_planned_buffer_size(i);
      if (size.ok()) planned += *size;
    }
    if (json) {
      out += std::string(first ? "" : ", ") + JsonString(name) + ": {\"inputs\": [";
      for (size_t i = 0; i < inputs.size(); ++i) out += (i ? ", " : "") + SpecJson(inputs[i]);
      out += "], \"outputs\": [";
      for (size_t i = 0; i < outputs.size(); ++i) out += (i ? ", " : "") + SpecJson(outputs[i]);
      out += "], \"planned_memory_bytes\": " + std::to_string(planned) + "}";
    } else {
      out += name + "\n";
      for (size_t i = 0; i < inputs.size(); ++i) out += "  input " + std::to_string(i) + ": " + SpecText(inputs[i]) + "\n";
      for (size_t i = 0; i < outputs.size(); ++i) out += "  output " + std::to_string(i) + ": " + SpecText(outputs[i]) + "\n";
      out += "  planned memory: " + std::to_string(planned) + " bytes\n";
    }
    first = false;
  }
  if (json) out += "}}\n";
  std::fputs(out.c_str(), stdout);
  return 0;
}

// Input data that stays alive while the method runs.
struct InputBuffer {
  std::vector<uint8_t> data;
  std::vector<executorch::aten::SizesType> sizes;
  ScalarType dtype;
  TensorPtr tensor;
};

bool FromNpy(const std::string& file, const TensorSpec& spec, size_t index, const std::string& method,
             InputBuffer* buf, std::string* error) {
  NpyArray array;
  if (!ReadNpy(file, &array, error)) return false;
  const std::string expected = NumpyDescr(spec.dtype);
  bool shape_ok = array.shape.size() == spec.shape.size();
  for (size_t d = 0; shape_ok && d < array.shape.size(); ++d) {
    // dynamic dimensions may be smaller than the planned upper bound
    shape_ok = array.shape[d] >= 0 && array.shape[d] <= spec.shape[d];
  }
  if (array.descr != expected || !shape_ok) {
    *error = "input " + std::to_string(index) + " (" + file + ") is " + NpyDtypeName(array.descr) + " " +
             ShapeString(array.shape) + "; method \"" + method + "\" expects " + DtypeName(spec.dtype) + " " +
             ShapeString(spec.shape) + (spec.shape.empty() ? "" : " (dimensions may be smaller where the program allows)");
    return false;
  }
  buf->data = std::move(array.data);
  buf->dtype = spec.dtype;
  for (int64_t d : array.shape) buf->sizes.push_back(static_cast<executorch::aten::SizesType>(d));
  return true;
}

bool Generate(const std::string& fill, uint64_t seed, const TensorSpec& spec, size_t index, InputBuffer* buf,
              std::string* error) {
  size_t count = 1;
  for (int64_t d : spec.shape) count *= static_cast<size_t>(d);
  size_t elem = ElementSize(spec.dtype);
  if (elem == 0) {
    *error = "input " + std::to_string(index) + " has dtype " + DtypeName(spec.dtype) + ", which cannot be generated; pass --inputs";
    return false;
  }
  buf->dtype = spec.dtype;
  for (int64_t d : spec.shape) buf->sizes.push_back(static_cast<executorch::aten::SizesType>(d));
  buf->data.assign(count * elem, 0);
  std::mt19937_64 rng(seed + index);
  std::uniform_real_distribution<float> uniform(-1.f, 1.f);
  for (size_t i = 0; i < count; ++i) {
    uint8_t* p = buf->data.data() + i * elem;
    double value = fill == "ones" ? 1.0 : fill == "zeros" ? 0.0 : uniform(rng);
    switch (spec.dtype) {
      case ScalarType::Float: { float v = static_cast<float>(value); std::memcpy(p, &v, 4); break; }
      case ScalarType::Double: std::memcpy(p, &value, 8); break;
      case ScalarType::Long: { int64_t v = fill == "random" ? static_cast<int64_t>(rng() % 16) : static_cast<int64_t>(value); std::memcpy(p, &v, 8); break; }
      case ScalarType::Int: { int32_t v = fill == "random" ? static_cast<int32_t>(rng() % 16) : static_cast<int32_t>(value); std::memcpy(p, &v, 4); break; }
      case ScalarType::Bool: *p = fill == "random" ? rng() % 2 : value != 0; break;
      case ScalarType::Char:
      case ScalarType::Byte: *p = fill == "random" ? static_cast<uint8_t>(rng() % 16) : static_cast<uint8_t>(value); break;
      default:
        *error = "input " + std::to_string(index) + " has dtype " + DtypeName(spec.dtype) + ", which cannot be generated; pass --inputs";
        return false;
    }
  }
  return true;
}

}  // namespace

int MethodRunnerMain(int argc, char** argv, const RunnerDefaults& defaults) {
  Flags flags;
  flags.Define("model", defaults.model, "the ExecuTorch program (.pte)");
  flags.Define("data", "", "the program's data file (.ptd); default: the .pte's sibling <name>.ptd when there is one");
  DefineRuntimeFlags(&flags);
  flags.Define("method", "forward", "method to run");
  flags.Define("list", "false", "print each method's inputs and outputs and exit", true);
  flags.Define("inputs", "", "comma-separated .npy files, one per input (default: generated)");
  flags.Define("fill", "random", "generated inputs: zeros, ones or random");
  flags.Define("seed", "0", "seed of generated random inputs");
  flags.Define("output_dir", "", "write outputs there as output_<i>.npy");
  flags.Define("iterations", "1", "timed runs");
  flags.Define("warmup", "0", "untimed runs before the timed ones");
  flags.Define("json", "false", "print a machine-readable summary", true);
  flags.Define("help", "false", "show this help", true);
  std::string error;
  if (!flags.Parse(argc, argv, &error)) return Fail(error);
  if (flags.GetBool("help")) {
    std::fputs(flags.Help("method_runner", "Runs a method of an ExecuTorch program.").c_str(), stdout);
    return 0;
  }
  if (ApplyRuntimeFlags(flags, argv, &error) < 0) return Fail(error);
  const std::string path = flags.Get("model");
  if (path.empty()) return Fail("no model: pass --model PATH.pte");
  long long iterations = 0, warmup = 0, seed = 0;
  if (!flags.GetInt("iterations", 1, 1000000, &iterations, &error) || !flags.GetInt("warmup", 0, 1000000, &warmup, &error) ||
      !flags.GetInt("seed", 0, 1LL << 62, &seed, &error)) {
    return Fail(error);
  }
  const std::string fill = flags.Get("fill");
  if (fill != "zeros" && fill != "ones" && fill != "random") return Fail("--fill must be zeros, ones or random, got \"" + fill + "\"");

  auto module = LoadProgram(path, flags.Get("data"), &error);
  if (!module) return Fail(error);
  const bool json = flags.GetBool("json");
  if (flags.GetBool("list")) return List(*module, path, json);

  const std::string method = flags.Get("method");
  if (!LoadMethod(*module, path, method, &error)) return Fail(error);
  auto meta = module->method_meta(method);
  if (!meta.ok()) return Fail("cannot read method \"" + method + "\": " + ErrorName(meta.error()));
  auto specs = InputSpecs(*meta);
  auto files = flags.GetList("inputs");
  if (!files.empty() && files.size() != specs.size()) {
    return Fail("method \"" + method + "\" takes " + std::to_string(specs.size()) + " inputs, --inputs gave " +
                std::to_string(files.size()));
  }
  std::vector<InputBuffer> buffers(specs.size());
  std::vector<EValue> inputs;
  for (size_t i = 0; i < specs.size(); ++i) {
    if (!specs[i].is_tensor) return Fail("input " + std::to_string(i) + " of \"" + method + "\" is a " + specs[i].tag + "; only tensor inputs are supported");
    bool ok = files.empty() ? Generate(fill, static_cast<uint64_t>(seed), specs[i], i, &buffers[i], &error)
                            : FromNpy(files[i], specs[i], i, method, &buffers[i], &error);
    if (!ok) return Fail(error);
    buffers[i].tensor = from_blob(buffers[i].data.data(), buffers[i].sizes, buffers[i].dtype);
    inputs.emplace_back(buffers[i].tensor);
  }

  std::vector<double> latencies;
  std::vector<EValue> outputs;
  for (long long run = 0; run < warmup + iterations; ++run) {
    auto start = std::chrono::steady_clock::now();
    auto result = module->execute(method, inputs);
    auto end = std::chrono::steady_clock::now();
    if (!result.ok()) return Fail("running \"" + method + "\" failed with " + ErrorName(result.error()));
    if (run >= warmup) latencies.push_back(std::chrono::duration<double, std::milli>(end - start).count());
    if (run + 1 == warmup + iterations) outputs = std::move(result.get());
  }

  const std::string output_dir = flags.Get("output_dir");
  std::string outputs_json;
  std::string text;
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (!outputs[i].isTensor()) {
      outputs_json += std::string(i ? ", " : "") + "{\"kind\": \"non-tensor\"}";
      continue;
    }
    const auto& t = outputs[i].toTensor();
    std::vector<int64_t> shape(t.sizes().begin(), t.sizes().end());
    std::string file;
    if (!output_dir.empty()) {
      std::string descr = NumpyDescr(t.scalar_type());
      if (descr.empty()) return Fail("output " + std::to_string(i) + " is " + DtypeName(t.scalar_type()) + ", which .npy cannot hold");
      file = output_dir + "/output_" + std::to_string(i) + ".npy";
      if (!WriteNpy(file, descr, shape, t.const_data_ptr(), t.nbytes(), &error)) return Fail(error);
    }
    outputs_json += std::string(i ? ", " : "") + "{\"dtype\": " + JsonString(DtypeName(t.scalar_type())) +
                    ", \"shape\": " + JsonArray(shape) + (file.empty() ? "" : ", \"file\": " + JsonString(file)) + "}";
    text += "output " + std::to_string(i) + ": " + DtypeName(t.scalar_type()) + " " + ShapeString(shape) +
            (file.empty() ? "" : " -> " + file) + "\n";
    if (t.scalar_type() == ScalarType::Float && t.numel() > 0) {
      std::ostringstream head;
      const float* v = t.const_data_ptr<float>();
      for (ssize_t k = 0; k < std::min<ssize_t>(t.numel(), 8); ++k) head << (k ? " " : "  ") << v[k];
      text += head.str() + (t.numel() > 8 ? " ..." : "") + "\n";
    }
  }
  LatencySummary lat = Summarize(latencies);
  if (json) {
    std::printf("{\"model\": %s, \"method\": %s, \"outputs\": [%s], \"latency_ms\": {\"iterations\": %lld, \"min\": %s, \"p50\": %s, \"p90\": %s, \"mean\": %s}}\n",
                JsonString(path).c_str(), JsonString(method).c_str(), outputs_json.c_str(), iterations,
                JsonNumber(lat.min_ms).c_str(), JsonNumber(lat.p50_ms).c_str(), JsonNumber(lat.p90_ms).c_str(),
                JsonNumber(lat.mean_ms).c_str());
  } else {
    std::fputs(text.c_str(), stdout);
    std::printf("latency over %lld run(s): min %.3f ms, p50 %.3f ms, p90 %.3f ms\n", iterations, lat.min_ms, lat.p50_ms, lat.p90_ms);
  }
  return 0;
}

}  // namespace rules_executorch
