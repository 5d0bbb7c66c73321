#include "runtime/file.h"

#include <sys/stat.h>

#include <cstdio>

namespace rules_executorch {

bool ReadFile(const std::string& path, std::string* out, std::string* error) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    *error = "cannot open " + path;
    return false;
  }
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) out->append(buffer, n);
  const bool ok = !std::ferror(f);
  std::fclose(f);
  if (!ok) *error = "cannot read " + path;
  return ok;
}

bool Exists(const std::string& path, mode_t type) {
  struct stat st;
  return !path.empty() && stat(path.c_str(), &st) == 0 && (st.st_mode & S_IFMT) == type;
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    if (!lines.back().empty() && lines.back().back() == '\r') lines.back().pop_back();
    start = end + 1;
  }
  return lines;
}

}  // namespace rules_executorch
