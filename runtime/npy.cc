#include "runtime/npy.h"

#include <cstring>
#include <fstream>
#include <sstream>

#include "runtime/file.h"

namespace rules_executorch {
namespace {

struct DtypeEntry {
  const char* descr;
  const char* name;
  size_t size;
};

constexpr DtypeEntry kDtypes[] = {
    {"<f4", "float32", 4}, {"<f8", "float64", 8}, {"<f2", "float16", 2}, {"<i8", "int64", 8},
    {"<i4", "int32", 4},   {"<i2", "int16", 2},   {"|i1", "int8", 1},    {"|u1", "uint8", 1},
    {"|b1", "bool", 1},
};

// Value of `key` in the header dict, as raw text up to the next top-level comma or brace.
bool HeaderValue(const std::string& header, const std::string& key, std::string* value) {
  size_t k = header.find("'" + key + "'");
  if (k == std::string::npos) return false;
  size_t colon = header.find(':', k);
  if (colon == std::string::npos) return false;
  size_t i = colon + 1;
  while (i < header.size() && header[i] == ' ') ++i;
  size_t end = i;
  if (i < header.size() && header[i] == '(') {
    end = header.find(')', i);
    if (end == std::string::npos) return false;
    ++end;
  } else {
    while (end < header.size() && header[end] != ',' && header[end] != '}') ++end;
  }
  *value = header.substr(i, end - i);
  return true;
}

}  // namespace

size_t NpyElementSize(const std::string& descr) {
  for (const auto& d : kDtypes) {
    if (descr == d.descr) return d.size;
  }
  return 0;
}

std::string NpyDtypeName(const std::string& descr) {
  for (const auto& d : kDtypes) {
    if (descr == d.descr) return d.name;
  }
  return descr;
}

bool ReadNpy(const std::string& path, NpyArray* out, std::string* error) {
  std::string bytes;
  if (!ReadFile(path, &bytes, error)) return false;
  const std::string bad = path + " is not a valid .npy file";
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) {
    *error = bad + " (no NUMPY magic)";
    return false;
  }
  unsigned major = static_cast<unsigned char>(bytes[6]);
  size_t header_len = 0, header_start = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) {
      *error = bad + " (truncated header)";
      return false;
    }
    for (int i = 3; i >= 0; --i) header_len = (header_len << 8) | static_cast<unsigned char>(bytes[8 + i]);
    header_start = 12;
  } else {
    *error = bad + " (format version " + std::to_string(major) + ")";
    return false;
  }
  if (header_start + header_len > bytes.size()) {
    *error = bad + " (truncated header)";
    return false;
  }
  const std::string header = bytes.substr(header_start, header_len);
  std::string descr, fortran, shape;
  if (!HeaderValue(header, "descr", &descr) || !HeaderValue(header, "fortran_order", &fortran) ||
      !HeaderValue(header, "shape", &shape)) {
    *error = bad + " (header lacks descr, fortran_order or shape)";
    return false;
  }
  if (descr.size() >= 2 && (descr.front() == '\'' || descr.front() == '"')) descr = descr.substr(1, descr.size() - 2);
  if (descr == "=f4" || descr == "=f8" || descr == "=i8" || descr == "=i4") descr[0] = '<';
  if (NpyElementSize(descr) == 0) {
    *error = path + " has dtype " + descr + "; supported: float32, float64, float16, int64, int32, int16, int8, uint8, bool (little-endian)";
    return false;
  }
  if (fortran.find("True") != std::string::npos) {
    *error = path + " is in Fortran order; save it in C order (numpy.ascontiguousarray)";
    return false;
  }
  out->shape.clear();
  std::string dims = shape.substr(1, shape.size() >= 2 ? shape.size() - 2 : 0);
  std::stringstream ss(dims);
  std::string item;
  size_t count = 1;
  while (std::getline(ss, item, ',')) {
    size_t a = item.find_first_not_of(' ');
    if (a == std::string::npos) continue;
    char* end = nullptr;
    long long v = std::strtoll(item.c_str() + a, &end, 10);
    if (v < 0 || (end && *end != '\0' && *end != ' ' && *end != 'L')) {
      *error = bad + " (shape " + shape + ")";
      return false;
    }
    out->shape.push_back(v);
    if (v != 0 && count > (SIZE_MAX / 16) / static_cast<size_t>(v)) {
      *error = bad + " (shape " + shape + " is too large)";
      return false;
    }
    count *= static_cast<size_t>(v);
  }
  out->descr = descr;
  size_t nbytes = count * NpyElementSize(descr);
  size_t data_start = header_start + header_len;
  if (bytes.size() - data_start != nbytes) {
    *error = path + " holds " + std::to_string(bytes.size() - data_start) + " data bytes, but its shape " + shape +
             " and dtype " + NpyDtypeName(descr) + " need " + std::to_string(nbytes);
    return false;
  }
  out->data.assign(bytes.begin() + data_start, bytes.end());
  return true;
}

bool WriteNpy(const std::string& path, const std::string& descr, const std::vector<int64_t>& shape,
              const void* data, size_t nbytes, std::string* error) {
  std::string dims;  // Python tuple syntax: "(3,)" for one dimension, "(1, 4)" for more
  for (size_t i = 0; i < shape.size(); ++i) dims += (i ? ", " : "") + std::to_string(shape[i]);
  if (shape.size() == 1) dims += ",";
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }";
  // pad so that magic + version + length + header is a multiple of 64, ending in '\n'
  size_t total = 10 + header.size() + 1;
  header += std::string((64 - total % 64) % 64, ' ') + "\n";
  std::ofstream out(path, std::ios::binary);
  if (!out) {
    *error = "cannot write " + path;
    return false;
  }
  uint16_t len = static_cast<uint16_t>(header.size());
  out.write("\x93NUMPY\x01\x00", 8);
  char len_bytes[2] = {static_cast<char>(len & 0xFF), static_cast<char>(len >> 8)};
  out.write(len_bytes, 2);
  out.write(header.data(), header.size());
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(nbytes));
  if (!out) {
    *error = "cannot write " + path;
    return false;
  }
  return true;
}

}  // namespace rules_executorch
