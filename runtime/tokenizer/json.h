#ifndef RULES_EXECUTORCH_RUNTIME_TOKENIZER_JSON_H_
#define RULES_EXECUTORCH_RUNTIME_TOKENIZER_JSON_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace rules_executorch {
namespace tokenizer_internal {

// A parsed JSON document (RFC 8259). Objects keep their members in file order, duplicates
// included; Find() returns the last one, as serde does when filling a map.
class JsonValue {
 public:
  using Array = std::vector<JsonValue>;
  using Object = std::vector<std::pair<std::string, JsonValue>>;
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  JsonValue() = default;
  static JsonValue MakeBool(bool value);
  static JsonValue MakeNumber(double value, std::optional<int64_t> integer);
  static JsonValue MakeString(std::string value);
  static JsonValue MakeArray(Array items);
  static JsonValue MakeObject(Object members);

  Type type() const { return static_cast<Type>(value_.index()); }
  bool is_null() const { return type() == Type::kNull; }
  bool is_bool() const { return type() == Type::kBool; }
  bool is_number() const { return type() == Type::kNumber; }
  bool is_string() const { return type() == Type::kString; }
  bool is_array() const { return type() == Type::kArray; }
  bool is_object() const { return type() == Type::kObject; }

  // The accessors require the matching type.
  bool bool_value() const { return std::get<bool>(value_); }
  double number_value() const { return std::get<Number>(value_).value; }
  // Set for numbers written without fraction or exponent that fit in 64 bits.
  std::optional<int64_t> integer_value() const { return std::get<Number>(value_).integer; }
  const std::string& string_value() const { return std::get<std::string>(value_); }
  const Array& array_items() const { return std::get<Array>(value_); }
  const Object& object_members() const { return std::get<Object>(value_); }

  // The member named key of an object; nullptr if absent or if this is not an object.
  const JsonValue* Find(std::string_view key) const;

 private:
  struct Number {
    double value;
    std::optional<int64_t> integer;
  };
  // The alternatives' order matches Type.
  std::variant<std::monostate, bool, Number, std::string, Array, Object> value_;
};

// Parses a whole document. On failure returns nullopt and sets *error to a phrase such as
// "invalid JSON at line 3, column 7: expected ':'".
std::optional<JsonValue> ParseJson(std::string_view text, std::string* error);

// Name of a JSON type for error messages ("a string", "an object", ...).
const char* JsonTypeName(JsonValue::Type type);

// Typed readers of an object's optional members, for configuration sections. An absent or null
// member leaves *out unchanged and succeeds; a member of another type fails with an error such
// as "model.byte_fallback must be a boolean, got a string". `where` names the object.
bool ReadBoolMember(const JsonValue& object, std::string_view key, const std::string& where, bool* out,
                    std::string* error);
bool ReadStringMember(const JsonValue& object, std::string_view key, const std::string& where,
                      std::optional<std::string>* out, std::string* error);
// A non-negative integer.
bool ReadSizeMember(const JsonValue& object, std::string_view key, const std::string& where, size_t* out,
                    std::string* error);

// A number that is an integer from 0 to 2147483647 (a token id), else nullopt.
std::optional<int32_t> NonNegativeInt32(const JsonValue& value);

// `text` as a JSON string literal (quotes included), escaping only what JSON requires.
std::string JsonQuote(std::string_view text);

}  // namespace tokenizer_internal
}  // namespace rules_executorch

#endif  // RULES_EXECUTORCH_RUNTIME_TOKENIZER_JSON_H_
