// Whole-file reads for the runners.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace rules_executorch {

// Appends the bytes of `path` to *out; false with "cannot open/read PATH" in *error.
bool ReadFile(const std::string& path, std::string* out, std::string* error);

// True when `path` names a file system entry of `type` (S_IFREG, S_IFDIR); false for "".
bool Exists(const std::string& path, mode_t type);

// The lines of `text` without their "\n" or "\r\n"; no empty last line for a final newline.
std::vector<std::string> SplitLines(const std::string& text);

}  // namespace rules_executorch
