// Firmware main: runs the embedded ExecuTorch program once from static memory (no heap, no
// file system) and prints its outputs and timing. On a board the prints go through
// semihosting; built for the host, the same code runs against the host runtime in tests.
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <ctime>

#include <executorch/extension/data_loader/buffer_data_loader.h>
#include <executorch/runtime/core/hierarchical_allocator.h>
#include <executorch/runtime/core/memory_allocator.h>
#include <executorch/runtime/executor/memory_manager.h>
#include <executorch/runtime/executor/method.h>
#include <executorch/runtime/executor/program.h>
#include <executorch/runtime/platform/runtime.h>

#include "runtime/firmware/firmware_model.h"

// Called around every Method::execute, so an emulator or debugger can measure one inference
// (bench/firmware_size.py counts the instructions between them). Distinct bodies keep the
// linker from folding them into one function.
extern "C" {
volatile uint32_t executorch_firmware_inferences[2];
__attribute__((noinline, used)) void executorch_firmware_inference_begin() { ++executorch_firmware_inferences[0]; }
__attribute__((noinline, used)) void executorch_firmware_inference_end() { ++executorch_firmware_inferences[1]; }
}

namespace {

using executorch::aten::ScalarType;
using executorch::aten::Tensor;
using executorch::extension::BufferDataLoader;
using executorch::runtime::Error;
using executorch::runtime::EValue;
using executorch::runtime::HierarchicalAllocator;
using executorch::runtime::MemoryAllocator;
using executorch::runtime::MemoryManager;
using executorch::runtime::Method;
using executorch::runtime::Program;
using executorch::runtime::Span;
using rules_executorch::firmware::kModel;

// A bump allocator over a static arena that remembers how much of it was ever used.
class PeakAllocator : public MemoryAllocator {
 public:
  PeakAllocator(const rules_executorch::firmware::Arena& arena)
      : MemoryAllocator(static_cast<uint32_t>(arena.size), arena.data) {}
  void* allocate(size_t size, size_t alignment = kDefaultAlignment) override {
    void* p = MemoryAllocator::allocate(size, alignment);
    if (p != nullptr) {
      size_t end = static_cast<size_t>(static_cast<uint8_t*>(p) + size - base_address());
      if (end > peak_) peak_ = end;
    }
    return p;
  }
  size_t peak() const { return peak_; }

 private:
  size_t peak_ = 0;
};

int Fail(const char* what, Error error) {
  std::printf("firmware: error: %s: %s (0x%02x)\n", what, executorch::runtime::to_string(error),
              static_cast<unsigned>(error));
  return 1;
}

unsigned long Millis(clock_t ticks) { return static_cast<unsigned long>(ticks * 1000.0 / CLOCKS_PER_SEC); }

void PrintTensor(const char* tag, size_t index, const Tensor& t) {
  std::printf("%s %u [", tag, static_cast<unsigned>(index));
  for (ssize_t d = 0; d < t.dim(); ++d) std::printf(d ? ",%d" : "%d", static_cast<int>(t.size(d)));
  std::printf("]");
  for (ssize_t i = 0; i < t.numel(); ++i) {
    switch (t.scalar_type()) {
      case ScalarType::Float: std::printf(" %.9g", static_cast<double>(t.const_data_ptr<float>()[i])); break;
      case ScalarType::Long: std::printf(" %ld", static_cast<long>(t.const_data_ptr<int64_t>()[i])); break;
      case ScalarType::Int: std::printf(" %ld", static_cast<long>(t.const_data_ptr<int32_t>()[i])); break;
      default: std::printf(" ?"); break;
    }
  }
  std::printf("\n");
}

bool SetIndex(Method& method, size_t input, int64_t value) {
  Tensor t = method.mutable_input(input).toTensor();
  if (t.numel() != 1 || t.mutable_data_ptr() == nullptr) return false;
  if (t.scalar_type() == ScalarType::Long) {
    t.mutable_data_ptr<int64_t>()[0] = value;
  } else if (t.scalar_type() == ScalarType::Int) {
    t.mutable_data_ptr<int32_t>()[0] = static_cast<int32_t>(value);
  } else {
    return false;
  }
  return true;
}

int64_t Argmax(const Tensor& logits) {
  const float* v = logits.const_data_ptr<float>();
  ssize_t vocab = logits.size(logits.dim() - 1), base = logits.numel() - vocab, best = 0;
  for (ssize_t i = 1; i < vocab; ++i)
    if (v[base + i] > v[base + best]) best = i;
  return best;
}

// Sequential prefill, then greedy decoding; prints the tokens and the logits after the prompt.
int RunTextGeneration(Method& method) {
  if (method.inputs_size() != 2 || method.outputs_size() < 1) {
    std::printf("firmware: error: %s takes %u inputs; text generation needs forward(input_ids, cache_position)\n",
                kModel.method, static_cast<unsigned>(method.inputs_size()));
    return 1;
  }
  int64_t token = 0;
  size_t steps = kModel.prompt_len + kModel.new_tokens - 1;
  std::printf("tokens");
  for (size_t pos = 0; pos < steps; ++pos) {
    int64_t input = pos < kModel.prompt_len ? kModel.prompt[pos] : token;
    if (!SetIndex(method, 0, input) || !SetIndex(method, 1, static_cast<int64_t>(pos))) {
      std::printf("\nfirmware: error: input_ids and cache_position must be planned one-element integer tensors (export with static shapes)\n");
      return 1;
    }
    executorch_firmware_inference_begin();
    Error err = method.execute();
    executorch_firmware_inference_end();
    if (err != Error::Ok) return Fail("execute", err);
    const Tensor logits = method.get_output(0).toTensor();
    if (pos + 1 >= kModel.prompt_len) {
      token = Argmax(logits);
      std::printf(" %ld", static_cast<long>(token));
    }
    if (pos + 1 == kModel.prompt_len) {
      std::printf("\n");
      PrintTensor("logits", 0, logits);
      std::printf("tokens");
    }
  }
  std::printf("\n");
  return 0;
}

int RunMethod(Method& method) {
  if (method.inputs_size() != kModel.num_inputs) {
    std::printf("firmware: error: %s takes %u inputs, the firmware has %u\n", kModel.method,
                static_cast<unsigned>(method.inputs_size()), static_cast<unsigned>(kModel.num_inputs));
    return 1;
  }
  for (size_t i = 0; i < kModel.num_inputs; ++i) {
    Tensor t = method.mutable_input(i).toTensor();
    if (t.mutable_data_ptr() == nullptr || t.nbytes() != kModel.input_sizes[i]) {
      std::printf("firmware: error: input %u is %u bytes in the program and %u in the firmware, or not planned\n",
                  static_cast<unsigned>(i), static_cast<unsigned>(t.nbytes()), static_cast<unsigned>(kModel.input_sizes[i]));
      return 1;
    }
    std::memcpy(t.mutable_data_ptr(), kModel.inputs[i], kModel.input_sizes[i]);
  }
  executorch_firmware_inference_begin();
  Error err = method.execute();
  executorch_firmware_inference_end();
  if (err != Error::Ok) return Fail("execute", err);
  for (size_t i = 0; i < method.outputs_size(); ++i) {
    if (method.get_output(i).isTensor()) PrintTensor("output", i, method.get_output(i).toTensor());
  }
  return 0;
}

}  // namespace

int main() {
  executorch::runtime::runtime_init();
  clock_t started = clock();
  size_t pte_size = static_cast<size_t>(executorch_model_pte_end - executorch_model_pte);
  BufferDataLoader loader(executorch_model_pte, pte_size);
  auto program = Program::load(&loader, Program::Verification::InternalConsistency);
  if (!program.ok()) return Fail("the embedded program does not load", program.error());

  // Planned buffers, carved in order from one static arena.
  Span<uint8_t> spans[16];
  if (kModel.num_planned_buffers > 16) {
    std::printf("firmware: error: %u planned buffers, at most 16 supported\n", static_cast<unsigned>(kModel.num_planned_buffers));
    return 1;
  }
  size_t offset = 0;
  for (size_t i = 0; i < kModel.num_planned_buffers; ++i) {
    spans[i] = Span<uint8_t>(kModel.planned.data + offset, kModel.planned_buffer_sizes[i]);
    offset += (kModel.planned_buffer_sizes[i] + 15) & ~static_cast<size_t>(15);
  }
  HierarchicalAllocator planned({spans, kModel.num_planned_buffers});
  PeakAllocator method_pool(kModel.method_pool), temp_pool(kModel.temp_pool);
  MemoryManager memory(&method_pool, &planned, &temp_pool);

  auto method = program->load_method(kModel.method, &memory);
  if (!method.ok()) {
    if (method.error() == Error::MemoryAllocationFailed) {
      std::printf("firmware: error: the method pool of %u bytes is too small for %s; raise method_pool_bytes of the executorch_firmware target\n",
                  static_cast<unsigned>(kModel.method_pool.size), kModel.label);
      return 1;
    }
    return Fail("load_method", method.error());
  }
  clock_t loaded = clock();
  int status = kModel.text_generation ? RunTextGeneration(*method) : RunMethod(*method);
  clock_t done = clock();
  if (status != 0) return status;
  std::printf("memory: program %u B, planned %u B, method pool %u of %u B, temp pool %u of %u B\n",
              static_cast<unsigned>(pte_size), static_cast<unsigned>(offset), static_cast<unsigned>(method_pool.peak()),
              static_cast<unsigned>(kModel.method_pool.size), static_cast<unsigned>(temp_pool.peak()),
              static_cast<unsigned>(kModel.temp_pool.size));
  std::printf("time: load %lu ms, run %lu ms\n", Millis(loaded - started), Millis(done - loaded));
  return 0;
}
