// A minimal JSON writer for the runners' --json output.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace rules_executorch {

// `text` as a JSON string literal; invalid UTF-8 bytes become U+FFFD.
std::string JsonString(const std::string& text);
std::string JsonNumber(double value);
template <typename T>
std::string JsonArray(const std::vector<T>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(values[i]);
  }
  return out + "]";
}

}  // namespace rules_executorch
