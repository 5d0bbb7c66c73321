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

// TemplateProcessing: the "single" template, whose pieces are {"Sequence": {"id": "A",
// "type_id": 0}} or {"SpecialToken": {"id": "[CLS]", "type_id": 0}}, the special tokens' ids
// coming from "special_tokens".
bool ParseTemplateProcessing(const JsonValue& json, const std::string& where, std::vector<PostProcessorStep>* steps,
                             std::string* error) {
  const JsonValue* single = json.Find("single");
  const JsonValue* special_tokens = json.Find("special_tokens");
  if (single == nullptr || !single->is_array()) {
    *error = where + ".single must be an array";
    return false;
  }
  if (special_tokens == nullptr || !special_tokens->is_object()) {
    *error = where + ".special_tokens must be an object";
    return false;
  }
  PostProcessorStep step;
  for (size_t i = 0; i < single->array_items().size(); ++i) {
    const std::string piece_where = where + ".single[" + std::to_string(i) + "]";
    const JsonValue& item = single->array_items()[i];
    const bool is_object = item.is_object() && item.object_members().size() == 1;
    const std::string kind = is_object ? item.object_members()[0].first : "";
    const JsonValue* body = is_object ? &item.object_members()[0].second : nullptr;
    const JsonValue* id_json = body != nullptr && body->is_object() ? body->Find("id") : nullptr;
    const JsonValue* type_json = body != nullptr && body->is_object() ? body->Find("type_id") : nullptr;
    const std::optional<int32_t> type = type_json != nullptr ? NonNegativeInt32(*type_json) : std::nullopt;
    if ((kind != "Sequence" && kind != "SpecialToken") || id_json == nullptr || !id_json->is_string() || !type) {
      *error = piece_where + " must be {\"Sequence\": {\"id\": \"A\", \"type_id\": N}} or "
               "{\"SpecialToken\": {\"id\": TOKEN, \"type_id\": N}}";
      return false;
    }
    const std::string* id = &id_json->string_value();
    PostProcessorStep::Piece piece;
    piece.type_id = *type;
    if (kind == "Sequence") {
      if (*id != "A") {
        *error = piece_where + ": a single-sequence template can only contain sequence \"A\", not " + JsonQuote(*id);
        return false;
      }
      piece.is_sequence = true;
    } else {
      const JsonValue* token = special_tokens->Find(*id);
      const JsonValue* ids = token != nullptr && token->is_object() ? token->Find("ids") : nullptr;
      if (ids == nullptr || !ids->is_array()) {
        *error = piece_where + ": special token " + JsonQuote(*id) + " has no ids in " + where + ".special_tokens";
        return false;
      }
      for (const JsonValue& value : ids->array_items()) {
        const std::optional<int32_t> token_id = NonNegativeInt32(value);
        if (!token_id) {
          *error = where + ".special_tokens[" + JsonQuote(*id) + "].ids must be integers from 0 to 2147483647";
          return false;
        }
        piece.ids.push_back(*token_id);
      }
    }
    step.single.push_back(std::move(piece));
  }
  steps->push_back(std::move(step));
  return true;
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
  if (type == "BertNormalizer") {
    NormalizerStep step{NormalizerStep::Kind::kBert, "", ""};
    const JsonValue* strip_accents = json.Find("strip_accents");
    const bool follows_lowercase = strip_accents == nullptr || strip_accents->is_null();
    if (!ReadBoolMember(json, "clean_text", where, &step.clean_text, error) ||
        !ReadBoolMember(json, "handle_chinese_chars", where, &step.handle_chinese_chars, error) ||
        !ReadBoolMember(json, "strip_accents", where, &step.strip_accents, error) ||
        !ReadBoolMember(json, "lowercase", where, &step.lowercase, error)) {
      return false;
    }
    if (follows_lowercase) step.strip_accents = step.lowercase;
    steps->push_back(std::move(step));
    return true;
  }
  return Unsupported(where, type, "Sequence, Prepend, Replace, NFC, BertNormalizer", error);
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
  } else if (type == "BertPreTokenizer") {
    step.kind = PreTokenizerStep::Kind::kBert;
  } else {
    return Unsupported(where, type, "Sequence, Split, ByteLevel, Digits, Metaspace, BertPreTokenizer", error);
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
  } else if (type == "WordPiece") {
    step.kind = DecoderStep::Kind::kWordPiece;
    std::optional<std::string> prefix = "##";
    if (!ReadStringMember(json, "prefix", where, &prefix, error) ||
        !ReadBoolMember(json, "cleanup", where, &step.cleanup, error)) {
      return false;
    }
    step.pattern = *prefix;
  } else {
    return Unsupported(where, type, "Sequence, ByteLevel, ByteFallback, Fuse, Strip, Replace, Metaspace, WordPiece",
                       error);
  }
  steps->push_back(std::move(step));
  return true;
}

bool ParsePostProcessor(const JsonValue& json, const std::string& where, std::vector<PostProcessorStep>* steps,
                        std::string* error) {
  if (!RequireObject(json, where, error)) return false;
  const std::string type = TypeOf(json);
  if (type == "Sequence") return ParseSequence(json, "processors", where, steps, error, ParsePostProcessor);
  if (type == "ByteLevel") return true;
  if (type == "BertProcessing" || type == "RobertaProcessing") {
    int32_t ids[2] = {0, 0};  // cls, sep
    for (int i = 0; i < 2; ++i) {
      const char* key = i == 0 ? "cls" : "sep";
      const JsonValue* token = json.Find(key);
      const JsonValue::Array* pair = token != nullptr && token->is_array() ? &token->array_items() : nullptr;
      const std::optional<int32_t> id =
          pair != nullptr && pair->size() == 2 && (*pair)[0].is_string() ? NonNegativeInt32((*pair)[1]) : std::nullopt;
      if (!id) {
        *error = where + "." + key + " must be a [token, id] pair with an id from 0 to 2147483647";
        return false;
      }
      ids[i] = *id;
    }
    PostProcessorStep step;
    step.single = {{false, {ids[0]}, 0}, {true, {}, -1}, {false, {ids[1]}, 0}};
    steps->push_back(std::move(step));
    return true;
  }
  if (type == "TemplateProcessing") return ParseTemplateProcessing(json, where, steps, error);
  return Unsupported(where, type, "Sequence, TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel", error);
}

}  // namespace tokenizer_internal
}  // namespace rules_executorch
