// Reading and writing NumPy .npy files (format versions 1-3, little-endian, C order).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace rules_executorch {

struct NpyArray {
  std::string descr;           // numpy dtype string, e.g. "<f4"
  std::vector<int64_t> shape;  // empty for a scalar
  std::vector<uint8_t> data;   // raw little-endian elements, C order
};

// Element size of a numpy dtype string we support, or 0.
size_t NpyElementSize(const std::string& descr);
// Human name ("float32", "int64", ...) of a numpy dtype string, or the string itself.
std::string NpyDtypeName(const std::string& descr);

// Reads `path`; on failure returns false with one sentence in *error.
bool ReadNpy(const std::string& path, NpyArray* out, std::string* error);
bool WriteNpy(const std::string& path, const std::string& descr, const std::vector<int64_t>& shape,
              const void* data, size_t nbytes, std::string* error);

}  // namespace rules_executorch
