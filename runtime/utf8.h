// UTF-8 helpers for streaming generated text: tokens may end inside a multi-byte character.
#pragma once

#include <string>

namespace rules_executorch {

// Length of the longest prefix of `bytes` that does not end inside an incomplete (but so far
// valid) UTF-8 sequence. Invalid bytes count as complete, so they are never held back forever.
size_t CompleteUtf8Prefix(const std::string& bytes);

}  // namespace rules_executorch
