// Whole-file reads for the runners.
#pragma once

#include <string>

namespace rules_executorch {

// Appends the bytes of `path` to *out; false with "cannot open/read PATH" in *error.
bool ReadFile(const std::string& path, std::string* out, std::string* error);

}  // namespace rules_executorch
