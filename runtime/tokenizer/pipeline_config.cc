// Reading the normalizer, pre-tokenizer and decoder sections of tokenizer.json. Load-time code,
// built for size; pipeline.cc runs the steps.

#include <array>
#include <utility>

#include "runtime/tokenizer/pipeline.h"
#include "runtime/tokenizer/utf8.h"

namespace rules_executorch {
namespace tokenizer_internal {
namespace {

std::string TypeOf(const JsonValue& json) {
  const JsonValue* type = json.Find("type");
  return type != nullptr && type->is_string() ? type->string_value() : std::string();
}

bool RequireObject(const JsonValue& json, const std::string& where, std::string* error) {
  if (json.is_object()) return true;
  *error = where + " must be an object, got " + JsonTypeName(json.type());
  return false;
}

bool Unsupported(const std::string& where, const std::string& type, const std::string& supported,
                 std::string* error) {
  if (type.empty()) {
    *error = where + " has no \"type\"";
  } else {
    *error = where + ": " + JsonQuote(type) + " is not supported (supported: " + supported + ")";
  }
  return false;
}


// The pattern of Split and Replace: {"String": literal} or {"Regex": source}, exactly one set.
bool ReadStringPattern(const JsonValue& json, const std::string& where, std::optional<std::string>* literal,
                       std::optional<std::string>* regex, std::string* error) {
  const JsonValue* pattern = json.Find("pattern");
  if (pattern == nullptr || !pattern->is_object()) {
    *error = where + ".pattern must be an object such as {\"String\": \" \"}";
    return false;
  }
  if (!ReadStringMember(*pattern, "String", where + ".pattern", literal, error) ||
      !ReadStringMember(*pattern, "Regex", where + ".pattern", regex, error)) {
    return false;
  }
  if (literal->has_value() == regex->has_value()) {
    *error = where + ".pattern must have exactly one of \"String\" and \"Regex\"";
    return false;
  }
  if (*literal && (*literal)->empty()) {
    *error = where + ".pattern.String must not be empty";
    return false;
  }
  return true;
}

// Parses each member of a Sequence (the array `key`) into the same flat list of steps.
template <typename Step>
bool ParseSequence(const JsonValue& json, const char* key, const std::string& where, std::vector<Step>* steps,
                   std::string* error,
                   bool (*parse)(const JsonValue&, const std::string&, std::vector<Step>*, std::string*)) {
  const JsonValue* members = json.Find(key);
  if (members == nullptr || !members->is_array()) {
    *error = where + "." + key + " must be an array";
    return false;
  }
  for (size_t i = 0; i < members->array_items().size(); ++i) {
    const std::string member_where = where + "." + key + "[" + std::to_string(i) + "]";
    if (!parse(members->array_items()[i], member_where, steps, error)) return false;
  }
  return true;
}

// Replace's String pattern and content (normalizer and decoder alike).
bool ReadReplace(const JsonValue& json, const std::string& where, std::string* pattern, std::string* content,
                 std::string* error) {
  std::optional<std::string> literal, regex, replacement;
  if (!ReadStringPattern(json, where, &literal, &regex, error)) return false;
  if (regex) {
    *error = where + ": Replace with a Regex pattern is not supported (only String patterns)";
    return false;
  }
  if (!ReadStringMember(json, "content", where, &replacement, error)) return false;
  if (!replacement) {
    *error = where + ".content must be a string";
    return false;
  }
  *pattern = *literal;
  *content = *replacement;
  return true;
}

// A string of exactly one character.
bool ReadCharMember(const JsonValue& json, const char* key, const std::string& where, char32_t* out,
                    std::string* error) {
  std::optional<std::string> text;
  if (!ReadStringMember(json, key, where, &text, error)) return false;
  if (!text) return true;
  size_t pos = 0;
  const char32_t c = text->empty() ? 0 : DecodeUtf8(*text, &pos);
  if (text->empty() || pos != text->size()) {
    *error = where + "." + key + " must be a single character";
    return false;
  }
  *out = c;
  return true;
}

bool ReadPrependScheme(const JsonValue& json, const std::string& where, PrependScheme* scheme,
                       std::string* error) {
  std::optional<std::string> name;
  bool add_prefix_space = true;
  if (!ReadStringMember(json, "prepend_scheme", where, &name, error) ||
      !ReadBoolMember(json, "add_prefix_space", where, &add_prefix_space, error)) {
    return false;
  }
  if (!name || *name == "always") {
    *scheme = PrependScheme::kAlways;
  } else if (*name == "first") {
    *scheme = PrependScheme::kFirst;
  } else if (*name == "never") {
    *scheme = PrependScheme::kNever;
  } else {
    *error = where + ".prepend_scheme must be \"always\", \"first\" or \"never\", got " + JsonQuote(*name);
    return false;
  }
  // The legacy add_prefix_space = false means "never".
  if (!add_prefix_space) {
    if (name && *scheme != PrependScheme::kNever) {
      *error = where + ".add_prefix_space is false but prepend_scheme is " + JsonQuote(*name);
      return false;
    }
    *scheme = PrependScheme::kNever;
  }
  return true;
}

bool ParseSplitBehavior(const JsonValue& json, const std::string& where, SplitBehavior* behavior,
                        std::string* error) {
  std::optional<std::string> name;
  if (!ReadStringMember(json, "behavior", where, &name, error)) return false;
  static const std::array<std::pair<const char*, SplitBehavior>, 5> kBehaviors = {{
      {"Removed", SplitBehavior::kRemoved},
      {"Isolated", SplitBehavior::kIsolated},
      {"MergedWithPrevious", SplitBehavior::kMergedWithPrevious},
      {"MergedWithNext", SplitBehavior::kMergedWithNext},
      {"Contiguous", SplitBehavior::kContiguous},
  }};
  for (const auto& [behavior_name, value] : kBehaviors) {
    if (name && *name == behavior_name) {
      *behavior = value;
      return true;
    }
  }
  *error = where + ".behavior must be one of Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous";
  return false;
}

}  // namespace

bool ParseNormalizer(const JsonValue& json, const std::string& where, std::vector<NormalizerStep>* steps,
                     std::string* error) {
  if (!RequireObject(json, where, error)) return false;
  const std::string type = TypeOf(json);
  if (type == "Sequence") return ParseSequence(json, "normalizers", where, steps, error, ParseNormalizer);
  if (type == "Prepend") {
    std::optional<std::string> prepend;
    if (!ReadStringMember(json, "prepend", where, &prepend, error)) return false;
    if (!prepend) {
      *error = where + ".prepend must be a string";
      return false;
    }
    steps->push_back(NormalizerStep{NormalizerStep::Kind::kPrepend, "", *prepend});
    return true;
  }
  if (type == "Replace") {
    NormalizerStep step{NormalizerStep::Kind::kReplace, "", ""};
    if (!ReadReplace(json, where, &step.pattern, &step.content, error)) return false;
    steps->push_back(std::move(step));
    return true;
  }
  if (type == "NFC") {
    steps->push_back(NormalizerStep{NormalizerStep::Kind::kNfc, "", ""});
    return true;
  }
  return Unsupported(where, type, "Sequence, Prepend, Replace, NFC", error);
}

bool ParsePreTokenizer(const JsonValue& json, const std::string& where, std::vector<PreTokenizerStep>* steps,
                       std::string* error) {
  if (!RequireObject(json, where, error)) return false;
  const std::string type = TypeOf(json);
  if (type == "Sequence") return ParseSequence(json, "pretokenizers", where, steps, error, ParsePreTokenizer);
  PreTokenizerStep step;
  if (type == "Split") {
    step.kind = PreTokenizerStep::Kind::kSplit;
    std::optional<std::string> literal, regex;
    if (!ReadStringPattern(json, where, &literal, &regex, error) ||
        !ParseSplitBehavior(json, where, &step.behavior, error) ||
        !ReadBoolMember(json, "invert", where, &step.invert, error)) {
      return false;
    }
    if (regex) {
      step.regex = RecognizeSplitPattern(*regex);
      if (!step.regex) {
        *error = where + ": Split regex " + JsonQuote(*regex) +
                 " is not supported (supported: the GPT-2, Llama 3 and Qwen2 patterns, or a String pattern)";
        return false;
      }
    } else {
      step.literal = *literal;
    }
  } else if (type == "ByteLevel") {
    step.kind = PreTokenizerStep::Kind::kByteLevel;
    step.add_prefix_space = true;  // tokenizers' defaults
    step.use_regex = true;
    if (!ReadBoolMember(json, "add_prefix_space", where, &step.add_prefix_space, error) ||
        !ReadBoolMember(json, "use_regex", where, &step.use_regex, error)) {
      return false;
    }
  } else if (type == "Digits") {
    step.kind = PreTokenizerStep::Kind::kDigits;
    if (!ReadBoolMember(json, "individual_digits", where, &step.individual_digits, error)) return false;
  } else if (type == "Metaspace") {
    step.kind = PreTokenizerStep::Kind::kMetaspace;
    step.replacement = 0x2581;  // ▁
    if (!ReadCharMember(json, "replacement", where, &step.replacement, error) ||
        !ReadPrependScheme(json, where, &step.prepend_scheme, error) ||
        !ReadBoolMember(json, "split", where, &step.split, error)) {
      return false;
    }
    AppendUtf8(step.replacement, &step.replacement_utf8);
  } else {
    return Unsupported(where, type, "Sequence, Split, ByteLevel, Digits, Metaspace", error);
  }
  steps->push_back(std::move(step));
  return true;
}

bool ParseDecoder(const JsonValue& json, const std::string& where, std::vector<DecoderStep>* steps,
                  std::string* error) {
  if (!RequireObject(json, where, error)) return false;
  const std::string type = TypeOf(json);
  if (type == "Sequence") return ParseSequence(json, "decoders", where, steps, error, ParseDecoder);
  DecoderStep step;
  if (type == "ByteLevel") {
    step.kind = DecoderStep::Kind::kByteLevel;
  } else if (type == "ByteFallback") {
    step.kind = DecoderStep::Kind::kByteFallback;
  } else if (type == "Fuse") {
    step.kind = DecoderStep::Kind::kFuse;
  } else if (type == "Strip") {
    step.kind = DecoderStep::Kind::kStrip;
    if (!ReadCharMember(json, "content", where, &step.strip_char, error) ||
        !ReadSizeMember(json, "start", where, &step.strip_start, error) ||
        !ReadSizeMember(json, "stop", where, &step.strip_stop, error)) {
      return false;
    }
  } else if (type == "Replace") {
    step.kind = DecoderStep::Kind::kReplace;
    if (!ReadReplace(json, where, &step.pattern, &step.content, error)) return false;
  } else if (type == "Metaspace") {
    step.kind = DecoderStep::Kind::kMetaspace;
    step.replacement = 0x2581;  // ▁
    if (!ReadCharMember(json, "replacement", where, &step.replacement, error) ||
        !ReadPrependScheme(json, where, &step.prepend_scheme, error)) {
      return false;
    }
  } else {
    return Unsupported(where, type, "Sequence, ByteLevel, ByteFallback, Fuse, Strip, Replace, Metaspace", error);
  }
  steps->push_back(std::move(step));
  return true;
}

}  // namespace tokenizer_internal
}  // namespace rules_executorch
