// What executorch_firmware generates for one model: the embedded program, static arenas sized
// from the model's manifest, and the inputs the firmware runs it on.
#pragma once

#include <cstddef>
#include <cstdint>

extern "C" {
// The .pte, aligned, in the board's flash (section .executorch_model).
extern const uint8_t executorch_model_pte[];
extern const uint8_t executorch_model_pte_end[];
}

namespace rules_executorch::firmware {

struct Arena {
  uint8_t* data;
  size_t size;
};

struct ModelConfig {
  const char* label;
  const char* method;
  // One planned buffer per memory id, carved from `planned` in order.
  const size_t* planned_buffer_sizes;
  size_t num_planned_buffers;
  Arena planned;
  Arena method_pool;  // Method objects, tensors, kernel arguments
  Arena temp_pool;    // kernels' scratch memory
  // Method models: one blob per input, copied into the input tensors.
  const uint8_t* const* inputs;
  const size_t* input_sizes;
  size_t num_inputs;
  // Text generation (forward(input_ids[1, 1], cache_position[1]) -> logits): feed the prompt
  // token by token, then decode `new_tokens` greedily.
  bool text_generation;
  const int64_t* prompt;
  size_t prompt_len;
  size_t new_tokens;
};

extern const ModelConfig kModel;

}  // namespace rules_executorch::firmware
