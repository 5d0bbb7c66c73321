#include "runtime/tokenizer/json.h"

#include <charconv>
#include <cstdio>
#include <limits>
#include <utility>

#include "runtime/tokenizer/utf8.h"

namespace rules_executorch {
namespace tokenizer_internal {
namespace {

// Deeper documents are rejected rather than risking the stack; tokenizer.json needs about 6.
constexpr int kMaxDepth = 200;

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  std::optional<JsonValue> ParseDocument(std::string* error) {
    SkipWhitespace();
    std::optional<JsonValue> value = ParseValue(0);
    if (value) {
      SkipWhitespace();
      if (pos_ != text_.size()) {
        value.reset();
        Fail("unexpected text after the end of the document");
      }
    }
    if (!value) *error = error_;
    return value;
  }

 private:
  std::optional<JsonValue> ParseValue(int depth) {
    if (depth > kMaxDepth) return Fail("nesting deeper than " + std::to_string(kMaxDepth) + " levels");
    if (pos_ >= text_.size()) return Fail("expected a value");
    switch (text_[pos_]) {
      case '{':
        return ParseObject(depth);
      case '[':
        return ParseArray(depth);
      case '"': {
        std::string s;
        if (!ParseString(&s)) return std::nullopt;
        return JsonValue::MakeString(std::move(s));
      }
      case 't':
        return ParseLiteral("true", JsonValue::MakeBool(true));
      case 'f':
        return ParseLiteral("false", JsonValue::MakeBool(false));
      case 'n':
        return ParseLiteral("null", JsonValue());
      default:
        if (text_[pos_] == '-' || (text_[pos_] >= '0' && text_[pos_] <= '9')) return ParseNumber();
        return Fail("expected a value");
    }
  }

  std::optional<JsonValue> ParseLiteral(std::string_view literal, JsonValue value) {
    if (text_.substr(pos_, literal.size()) != literal) return Fail("expected a value");
    pos_ += literal.size();
    return value;
  }

  std::optional<JsonValue> ParseNumber() {
    const size_t start = pos_;
    bool is_integer = true;
    if (Peek('-')) ++pos_;
    if (Peek('0')) {
      ++pos_;
    } else if (!ConsumeDigits()) {
      return Fail("invalid number");
    }
    if (Peek('.')) {
      ++pos_;
      is_integer = false;
      if (!ConsumeDigits()) return Fail("invalid number: expected digits after '.'");
    }
    if (Peek('e') || Peek('E')) {
      ++pos_;
      is_integer = false;
      if (Peek('+') || Peek('-')) ++pos_;
      if (!ConsumeDigits()) return Fail("invalid number: expected digits in the exponent");
    }
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    double value = 0;
    const auto parsed = std::from_chars(first, last, value);
    if (parsed.ec == std::errc::result_out_of_range) return Fail("number out of range");
    if (parsed.ec != std::errc() || parsed.ptr != last) return Fail("invalid number");
    std::optional<int64_t> integer;
    if (is_integer) {
      int64_t i = 0;
      const auto as_integer = std::from_chars(first, last, i);
      if (as_integer.ec == std::errc() && as_integer.ptr == last) integer = i;
    }
    return JsonValue::MakeNumber(value, integer);
  }

  bool ConsumeDigits() {
    const size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    return pos_ > start;
  }

  bool ParseHex4(uint32_t* value) {
    if (text_.size() - pos_ < 4) return false;
    *value = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_++];
      *value <<= 4;
      if (c >= '0' && c <= '9') {
        *value |= static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        *value |= static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        *value |= static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return false;
      }
    }
    return true;
  }

  bool ParseString(std::string* out) {
    ++pos_;  // opening quote
    while (true) {
      // Copy the run of plain characters in one go.
      const size_t run_start = pos_;
      while (pos_ < text_.size() && text_[pos_] != '"' && text_[pos_] != '\\' &&
             static_cast<unsigned char>(text_[pos_]) >= 0x20) {
        ++pos_;
      }
      const std::string_view run = text_.substr(run_start, pos_ - run_start);
      if (!IsValidUtf8(run)) {
        pos_ = run_start;
        return SetError("invalid UTF-8 in a string");
      }
      out->append(run);
      if (pos_ >= text_.size()) return SetError("unterminated string");
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c != '\\') return SetError("control character in a string");
      ++pos_;
      if (pos_ >= text_.size()) return SetError("unterminated string");
      const char escape = text_[pos_++];
      switch (escape) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '/': out->push_back('/'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          uint32_t unit = 0;
          if (!ParseHex4(&unit)) return SetError("invalid \\u escape");
          if (unit >= 0xDC00 && unit <= 0xDFFF) return SetError("lone trailing surrogate in a \\u escape");
          if (unit >= 0xD800 && unit <= 0xDBFF) {
            uint32_t low = 0;
            if (text_.substr(pos_, 2) != "\\u" || (pos_ += 2, !ParseHex4(&low)) || low < 0xDC00 || low > 0xDFFF) {
              return SetError("lone leading surrogate in a \\u escape");
            }
            unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
          }
          AppendUtf8(unit, out);
          break;
        }
        default:
          --pos_;
          return SetError("invalid escape in a string");
      }
    }
  }

  std::optional<JsonValue> ParseArray(int depth) {
    ++pos_;  // '['
    JsonValue::Array items;
    SkipWhitespace();
    if (Peek(']')) {
      ++pos_;
      return JsonValue::MakeArray(std::move(items));
    }
    while (true) {
      SkipWhitespace();
      std::optional<JsonValue> item = ParseValue(depth + 1);
      if (!item) return std::nullopt;
      items.push_back(std::move(*item));
      SkipWhitespace();
      if (Peek(',')) {
        ++pos_;
      } else if (Peek(']')) {
        ++pos_;
        return JsonValue::MakeArray(std::move(items));
      } else {
        return Fail("expected ',' or ']'");
      }
    }
  }

  std::optional<JsonValue> ParseObject(int depth) {
    ++pos_;  // '{'
    JsonValue::Object members;
    SkipWhitespace();
    if (Peek('}')) {
      ++pos_;
      return JsonValue::MakeObject(std::move(members));
    }
    while (true) {
      SkipWhitespace();
      if (!Peek('"')) return Fail("expected a string key");
      std::string key;
      if (!ParseString(&key)) return std::nullopt;
      SkipWhitespace();
      if (!Peek(':')) return Fail("expected ':'");
      ++pos_;
      SkipWhitespace();
      std::optional<JsonValue> value = ParseValue(depth + 1);
      if (!value) return std::nullopt;
      members.emplace_back(std::move(key), std::move(*value));
      SkipWhitespace();
      if (Peek(',')) {
        ++pos_;
      } else if (Peek('}')) {
        ++pos_;
        return JsonValue::MakeObject(std::move(members));
      } else {
        return Fail("expected ',' or '}'");
      }
    }
  }

  bool Peek(char c) const { return pos_ < text_.size() && text_[pos_] == c; }

  void SkipWhitespace() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  std::optional<JsonValue> Fail(std::string what) {
    SetError(std::move(what));
    return std::nullopt;
  }

  // Records the first error with its position; returns false for convenience.
  bool SetError(std::string what) {
    if (error_.empty()) {
      if (pos_ >= text_.size()) what = "unexpected end of input (" + what + ")";
      size_t line = 1, column = 1;
      for (size_t i = 0; i < pos_ && i < text_.size(); ++i) {
        if (text_[i] == '\n') {
          ++line;
          column = 1;
        } else {
          ++column;
        }
      }
      error_ = "invalid JSON at line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + what;
    }
    return false;
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::string error_;
};

}  // namespace

JsonValue JsonValue::MakeBool(bool value) {
  JsonValue v;
  v.value_ = value;
  return v;
}

JsonValue JsonValue::MakeNumber(double value, std::optional<int64_t> integer) {
  JsonValue v;
  v.value_ = Number{value, integer};
  return v;
}

JsonValue JsonValue::MakeString(std::string value) {
  JsonValue v;
  v.value_ = std::move(value);
  return v;
}

JsonValue JsonValue::MakeArray(Array items) {
  JsonValue v;
  v.value_ = std::move(items);
  return v;
}

JsonValue JsonValue::MakeObject(Object members) {
  JsonValue v;
  v.value_ = std::move(members);
  return v;
}

const JsonValue* JsonValue::Find(std::string_view key) const {
  if (!is_object()) return nullptr;
  const Object& members = object_members();
  for (auto it = members.rbegin(); it != members.rend(); ++it) {
    if (it->first == key) return &it->second;
  }
  return nullptr;
}

std::optional<JsonValue> ParseJson(std::string_view text, std::string* error) {
  return Parser(text).ParseDocument(error);
}

const char* JsonTypeName(JsonValue::Type type) {
  switch (type) {
    case JsonValue::Type::kNull: return "null";
    case JsonValue::Type::kBool: return "a boolean";
    case JsonValue::Type::kNumber: return "a number";
    case JsonValue::Type::kString: return "a string";
    case JsonValue::Type::kArray: return "an array";
    case JsonValue::Type::kObject: return "an object";
  }
  return "an unknown type";
}

namespace {

// The member if present and not null; sets *error when it has another type than `type`.
const JsonValue* TypedMember(const JsonValue& object, std::string_view key, const std::string& where,
                             JsonValue::Type type, std::string* error) {
  const JsonValue* member = object.Find(key);
  if (member == nullptr || member->is_null()) return nullptr;
  if (member->type() != type) {
    *error = where + "." + std::string(key) + " must be " + JsonTypeName(type) + ", got " +
             JsonTypeName(member->type());
    return nullptr;
  }
  return member;
}

}  // namespace

bool ReadBoolMember(const JsonValue& object, std::string_view key, const std::string& where, bool* out,
                    std::string* error) {
  error->clear();
  const JsonValue* member = TypedMember(object, key, where, JsonValue::Type::kBool, error);
  if (member != nullptr) *out = member->bool_value();
  return error->empty();
}

bool ReadStringMember(const JsonValue& object, std::string_view key, const std::string& where,
                      std::optional<std::string>* out, std::string* error) {
  error->clear();
  const JsonValue* member = TypedMember(object, key, where, JsonValue::Type::kString, error);
  if (member != nullptr) *out = member->string_value();
  return error->empty();
}

bool ReadSizeMember(const JsonValue& object, std::string_view key, const std::string& where, size_t* out,
                    std::string* error) {
  error->clear();
  const JsonValue* member = TypedMember(object, key, where, JsonValue::Type::kNumber, error);
  if (member == nullptr) return error->empty();
  const std::optional<int64_t> value = member->integer_value();
  if (!value || *value < 0) {
    *error = where + "." + std::string(key) + " must be a non-negative integer";
    return false;
  }
  *out = static_cast<size_t>(*value);
  return true;
}

std::optional<int32_t> NonNegativeInt32(const JsonValue& value) {
  const std::optional<int64_t> integer = value.is_number() ? value.integer_value() : std::nullopt;
  if (!integer || *integer < 0 || *integer > std::numeric_limits<int32_t>::max()) return std::nullopt;
  return static_cast<int32_t>(*integer);
}

std::string JsonQuote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buffer[8];
          std::snprintf(buffer, sizeof(buffer), "\\u%04x", static_cast<unsigned>(c));
          out += buffer;
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace tokenizer_internal
}  // namespace rules_executorch
