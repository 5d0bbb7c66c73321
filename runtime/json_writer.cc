#include "runtime/json_writer.h"

#include <cmath>
#include <cstdio>

#include "runtime/tokenizer/json.h"
#include "runtime/tokenizer/utf8.h"

namespace rules_executorch {

std::string JsonString(const std::string& raw) {
  return tokenizer_internal::JsonQuote(tokenizer_internal::Utf8Lossy(raw));
}

std::string JsonNumber(double value) {
  if (!std::isfinite(value)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", value);
  return buf;
}

}  // namespace rules_executorch
