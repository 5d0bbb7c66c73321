// tokenize: a command-line front end of the tokenizer, for tests and quick checks.
//
//   tokenize --tokenizer PATH --encode < text        ids of the whole input, space-separated
//   tokenize --tokenizer PATH --decode < ids         the text of whitespace-separated ids
//            [--skip_special_tokens]
//   tokenize --tokenizer PATH --vocab_size           VocabSize()
//   tokenize --tokenizer PATH --id_to_token < ids    one JSON string (or null) per id
//   tokenize --tokenizer PATH --token_to_id < lines  one id (or null) per JSON string line
//
// --batch makes --encode read one JSON string per line and print one line of ids each, and
// --decode read one line of ids per text and print each text as a JSON string line.
// --add_special_tokens makes --encode apply the post-processor (e.g. [CLS] ... [SEP]), and
// --json print each encoding as {"ids": [...], "type_ids": [...], "attention_mask": [...]}.
// --repeat N encodes the input N times and reports the mean time on stderr.

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/tokenizer/json.h"
#include "runtime/tokenizer/tokenizer.h"

namespace {

using rules_executorch::Tokenizer;
using rules_executorch::tokenizer_internal::JsonQuote;
using rules_executorch::tokenizer_internal::ParseJson;

constexpr char kUsage[] =
    "usage: tokenize --tokenizer PATH (--encode [--add_special_tokens] [--json] |\n"
    "                --decode [--skip_special_tokens] | --vocab_size | --id_to_token | --token_to_id)\n"
    "                [--batch] [--repeat N]\n";

int Fail(const std::string& message) {
  std::cerr << "tokenize: " << message << "\n";
  return 2;
}

// Whitespace-separated integers; ids outside int32 become -1, which names no token.
bool ParseIds(const std::string& text, std::vector<int32_t>* ids) {
  std::istringstream in(text);
  std::string word;
  while (in >> word) {
    char* end = nullptr;
    const long long value = std::strtoll(word.c_str(), &end, 10);
    if (end == word.c_str() || *end != '\0') return false;
    const bool in_range = value >= std::numeric_limits<int32_t>::min() && value <= std::numeric_limits<int32_t>::max();
    ids->push_back(in_range ? static_cast<int32_t>(value) : -1);
  }
  return true;
}

std::optional<std::string> ParseJsonStringLine(const std::string& line) {
  std::string error;
  std::optional<rules_executorch::tokenizer_internal::JsonValue> value = ParseJson(line, &error);
  if (!value || !value->is_string()) return std::nullopt;
  return value->string_value();
}

// Integers joined by `separator`.
std::string Join(const std::vector<int32_t>& values, const char* separator) {
  std::string line;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) line += separator;
    line += std::to_string(values[i]);
  }
  return line;
}

void PrintEncoding(const Tokenizer::Encoding& encoding, bool json) {
  if (!json) {
    std::cout << Join(encoding.ids, " ") << "\n";
    return;
  }
  std::cout << "{\"ids\": [" << Join(encoding.ids, ", ") << "], \"type_ids\": [" << Join(encoding.type_ids, ", ")
            << "], \"attention_mask\": [" << Join(encoding.attention_mask, ", ") << "]}\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::string path, mode;
  bool batch = false, skip_special_tokens = false, add_special_tokens = false, json = false;
  long repeat = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--tokenizer" && i + 1 < argc) {
      path = argv[++i];
    } else if (arg == "--repeat" && i + 1 < argc) {
      repeat = std::strtol(argv[++i], nullptr, 10);
      if (repeat < 1) return Fail("--repeat needs a positive count");
    } else if (arg == "--batch") {
      batch = true;
    } else if (arg == "--skip_special_tokens") {
      skip_special_tokens = true;
    } else if (arg == "--add_special_tokens") {
      add_special_tokens = true;
    } else if (arg == "--json") {
      json = true;
    } else if (arg == "--encode" || arg == "--decode" || arg == "--vocab_size" || arg == "--id_to_token" ||
               arg == "--token_to_id") {
      if (!mode.empty()) return Fail("choose one of --encode, --decode, --vocab_size, --id_to_token, --token_to_id");
      mode = arg;
    } else {
      std::cerr << kUsage;
      return 2;
    }
  }
  if (path.empty() || mode.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  if ((add_special_tokens || json) && mode != "--encode") return Fail("--add_special_tokens and --json go with --encode");
  std::string error;
  const std::unique_ptr<Tokenizer> tokenizer = Tokenizer::FromFile(path, &error);
  if (!tokenizer) return Fail(error);

  std::ios::sync_with_stdio(false);
  if (mode == "--vocab_size") {
    std::cout << tokenizer->VocabSize() << "\n";
    return 0;
  }
  const std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  std::vector<std::string> lines;
  if (batch || mode == "--token_to_id") {
    std::istringstream in(input);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
  }

  // Without special tokens, an encoding is its ids with type ids 0 and attention mask 1.
  const auto encode = [&](const std::string& text) {
    if (add_special_tokens) return tokenizer->EncodeWithSpecialTokens(text);
    Tokenizer::Encoding encoding;
    encoding.ids = tokenizer->Encode(text);
    if (json) {
      encoding.type_ids.assign(encoding.ids.size(), 0);
      encoding.attention_mask.assign(encoding.ids.size(), 1);
    }
    return encoding;
  };
  if (mode == "--encode" && !batch) {
    const auto start = std::chrono::steady_clock::now();
    Tokenizer::Encoding encoding;
    for (long i = 0; i < repeat; ++i) encoding = encode(input);
    const std::chrono::duration<double, std::milli> elapsed = std::chrono::steady_clock::now() - start;
    if (repeat > 1) {
      std::cerr << "encoded " << input.size() << " bytes into " << encoding.ids.size() << " tokens in "
                << elapsed.count() / static_cast<double>(repeat) << " ms (mean of " << repeat << ")\n";
    }
    PrintEncoding(encoding, json);
  } else if (mode == "--encode") {
    for (const std::string& line : lines) {
      const std::optional<std::string> text = ParseJsonStringLine(line);
      if (!text) return Fail("--batch --encode expects one JSON string per line");
      PrintEncoding(encode(*text), json);
    }
  } else if (mode == "--decode" && !batch) {
    std::vector<int32_t> ids;
    if (!ParseIds(input, &ids)) return Fail("--decode expects whitespace-separated integer ids");
    std::cout << tokenizer->Decode(ids, skip_special_tokens);
  } else if (mode == "--decode") {
    for (const std::string& line : lines) {
      std::vector<int32_t> ids;
      if (!ParseIds(line, &ids)) return Fail("--batch --decode expects a line of integer ids per text");
      std::cout << JsonQuote(tokenizer->Decode(ids, skip_special_tokens)) << "\n";
    }
  } else if (mode == "--id_to_token") {
    std::vector<int32_t> ids;
    if (!ParseIds(input, &ids)) return Fail("--id_to_token expects whitespace-separated integer ids");
    for (int32_t id : ids) {
      const std::optional<std::string> token = tokenizer->IdToToken(id);
      std::cout << (token ? JsonQuote(*token) : "null") << "\n";
    }
  } else {  // --token_to_id
    for (const std::string& line : lines) {
      const std::optional<std::string> token = ParseJsonStringLine(line);
      if (!token) return Fail("--token_to_id expects one JSON string per line");
      const std::optional<int32_t> id = tokenizer->TokenToId(*token);
      std::cout << (id ? std::to_string(*id) : "null") << "\n";
    }
  }
  std::cout.flush();
  return std::cout ? 0 : 1;
}
