// Command-line flags: --name=value or --name value, --bool_flag, and positional arguments.
// Unknown flags are errors, so a typo never silently falls back to a default.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace rules_executorch {

class Flags {
 public:
  // Declares a flag with its default value and one line of help.
  void Define(const std::string& name, const std::string& default_value, const std::string& help,
              bool is_bool = false);
  // Parses argv; on error returns false and sets *error to one sentence.
  bool Parse(int argc, char** argv, std::string* error);
  // Applies defaults that only hold when the user gave no value (e.g. a bundled model).
  void SetDefault(const std::string& name, const std::string& value);

  const std::string& Get(const std::string& name) const;
  bool GetBool(const std::string& name) const;
  bool IsSet(const std::string& name) const;
  // Integer flags; false with *error set when the value is not a whole number in [min, max].
  bool GetInt(const std::string& name, long long min, long long max, long long* out, std::string* error) const;
  bool GetDouble(const std::string& name, double min, double max, double* out, std::string* error) const;
  std::vector<std::string> GetList(const std::string& name) const;  // comma-separated
  const std::vector<std::string>& positional() const { return positional_; }
  std::string Help(const std::string& program, const std::string& summary) const;

 private:
  struct Flag {
    std::string value;
    std::string help;
    bool is_bool = false;
    bool set = false;
  };
  std::map<std::string, Flag> flags_;
  std::vector<std::string> positional_;
};

}  // namespace rules_executorch
