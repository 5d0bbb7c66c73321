#include "runtime/flags.h"

#include <cerrno>
#include <cstdlib>
#include <sstream>

namespace rules_executorch {

void Flags::Define(const std::string& name, const std::string& default_value, const std::string& help,
                   bool is_bool) {
  flags_[name] = Flag{default_value, help, is_bool, false};
}

bool Flags::Parse(int argc, char** argv, std::string* error) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0 || arg == "--") {
      positional_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::string value;
    bool has_value = false;
    size_t eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    auto it = flags_.find(name);
    if (it == flags_.end()) {
      *error = "unknown flag --" + name + " (see --help)";
      return false;
    }
    Flag& flag = it->second;
    if (flag.is_bool) {
      if (!has_value) value = "true";
      if (value != "true" && value != "false" && value != "1" && value != "0") {
        *error = "--" + name + " takes true or false, got \"" + value + "\"";
        return false;
      }
      value = (value == "true" || value == "1") ? "true" : "false";
    } else if (!has_value) {
      if (i + 1 >= argc) {
        *error = "--" + name + " needs a value";
        return false;
      }
      value = argv[++i];
    }
    flag.value = value;
    flag.set = true;
  }
  return true;
}

void Flags::SetDefault(const std::string& name, const std::string& value) {
  auto it = flags_.find(name);
  if (it != flags_.end() && !it->second.set) it->second.value = value;
}

const std::string& Flags::Get(const std::string& name) const { return flags_.at(name).value; }

bool Flags::GetBool(const std::string& name) const { return flags_.at(name).value == "true"; }

bool Flags::IsSet(const std::string& name) const { return flags_.at(name).set; }

bool Flags::GetInt(const std::string& name, long long min, long long max, long long* out,
                   std::string* error) const {
  const std::string& text = Get(name);
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || v < min || v > max) {
    *error = "--" + name + " must be a whole number from " + std::to_string(min) + " to " +
             std::to_string(max) + ", got \"" + text + "\"";
    return false;
  }
  *out = v;
  return true;
}

bool Flags::GetDouble(const std::string& name, double min, double max, double* out,
                      std::string* error) const {
  const std::string& text = Get(name);
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || errno != 0 || !(v >= min && v <= max)) {
    std::ostringstream msg;
    msg << "--" << name << " must be a number from " << min << " to " << max << ", got \"" << text << "\"";
    *error = msg.str();
    return false;
  }
  *out = v;
  return true;
}

std::vector<std::string> Flags::GetList(const std::string& name) const {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(Get(name));
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::string Flags::Help(const std::string& program, const std::string& summary) const {
  std::ostringstream out;
  out << "usage: " << program << " [flags]\n" << summary << "\n\nflags:\n";
  for (const auto& [name, flag] : flags_) {
    out << "  --" << name;
    if (!flag.is_bool) out << "=" << (flag.value.empty() ? "..." : flag.value);
    out << "\n      " << flag.help << "\n";
  }
  return out.str();
}

}  // namespace rules_executorch
