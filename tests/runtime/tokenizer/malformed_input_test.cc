// Malformed tokenizer.json files must fail with an error, never crash or read out of bounds:
// every truncation of small valid files, random byte flips, every value swapped for every other
// JSON type, and hand-picked nasty inputs. Built with AddressSanitizer and UBSan, which abort
// on the first bad access. Tokenizers that do load are exercised with odd text and ids.

#include <cstdint>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/tokenizer/json.h"
#include "runtime/tokenizer/tokenizer.h"

namespace {

using rules_executorch::Tokenizer;
using rules_executorch::tokenizer_internal::JsonQuote;
using rules_executorch::tokenizer_internal::JsonValue;
using rules_executorch::tokenizer_internal::ParseJson;

int failures = 0;

#define EXPECT(condition, context)                                                               \
  do {                                                                                           \
    if (!(condition)) {                                                                          \
      ++failures;                                                                                \
      std::cerr << __FILE__ << ":" << __LINE__ << ": expected " #condition << " (" << (context) \
                << ")\n";                                                                        \
    }                                                                                            \
  } while (0)

// A byte-level tokenizer in the Llama 3 layout, with every supported step somewhere. It ends
// at its closing brace so that every proper prefix is invalid JSON.
const char kByteLevelJson[] = R"({
  "version": "1.0",
  "truncation": null,
  "padding": null,
  "added_tokens": [
    {"id": 12, "content": "<|bos|>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
    {"id": 13, "content": "<mask>", "single_word": false, "lstrip": true, "rstrip": true, "normalized": true, "special": true},
    {"id": 14, "content": "word", "single_word": true, "lstrip": false, "rstrip": false, "normalized": true, "special": false}
  ],
  "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFC"}]},
  "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
    {"type": "Digits", "individual_digits": false},
    {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}, "behavior": "Isolated", "invert": false},
    {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}
  ]},
  "post_processor": null,
  "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
  "model": {
    "type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
    "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false, "ignore_merges": true,
    "vocab": {"a": 0, "b": 1, "c": 2, "\u0120": 3, "ab": 4, "\u0120a": 5, "abc": 6, "1": 7, "2": 8, "12": 9, "\u00c3": 10, "\u00a9": 11},
    "merges": [["a", "b"], ["\u0120", "a"], ["ab", "c"], "1 2"]
  }
})";

// A byte-fallback tokenizer in the Llama 2 layout, plus a Metaspace pre-tokenizer and decoder.
const char kByteFallbackJson[] = R"({
  "version": "1.0",
  "added_tokens": [
    {"id": 0, "content": "<unk>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
    {"id": 1, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
  ],
  "normalizer": {"type": "Sequence", "normalizers": [
    {"type": "Prepend", "prepend": "\u2581"},
    {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}
  ]},
  "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": true},
  "decoder": {"type": "Sequence", "decoders": [
    {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
    {"type": "ByteFallback"},
    {"type": "Fuse"},
    {"type": "Strip", "content": " ", "start": 1, "stop": 1},
    {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": true}
  ]},
  "model": {
    "type": "BPE", "dropout": null, "unk_token": "<unk>", "fuse_unk": true, "byte_fallback": true,
    "vocab": {"<unk>": 0, "<s>": 1, "<0x41>": 2, "<0xC3>": 3, "<0xA9>": 4, "\u2581": 5, "h": 6, "i": 7, "hi": 8, "\u2581hi": 9},
    "merges": ["h i", "\u2581 hi"]
  }
})";

// A WordPiece tokenizer in the BERT layout, with every BERT step and post-processor somewhere.
const char kWordPieceJson[] = R"({
  "version": "1.0",
  "added_tokens": [
    {"id": 0, "content": "[UNK]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
    {"id": 1, "content": "[CLS]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
    {"id": 2, "content": "[SEP]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
  ],
  "normalizer": {"type": "Sequence", "normalizers": [
    {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": true}
  ]},
  "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "BertPreTokenizer"}]},
  "post_processor": {"type": "Sequence", "processors": [
    {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
    {"type": "TemplateProcessing",
     "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 1}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
     "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
     "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [1], "tokens": ["[CLS]"]}, "[SEP]": {"id": "[SEP]", "ids": [2, 1], "tokens": ["[SEP]", "[CLS]"]}}},
    {"type": "BertProcessing", "sep": ["[SEP]", 2], "cls": ["[CLS]", 1]}
  ]},
  "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
  "model": {
    "type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 8,
    "vocab": {"[UNK]": 0, "[CLS]": 1, "[SEP]": 2, "hi": 3, "##s": 4, "h": 5, "##i": 6, "cafe": 7, ",": 8, "\u4e2d": 9, "##\u00e9": 10}
  }
})";

const std::vector<std::string>& SampleTexts() {
  static const std::vector<std::string> texts = {
      "",
      " ",
      "hi there 12 abc",
      "<|bos|>word <mask> words\n\n\t",
      "e\xcc\x81\xe1\x84\x80\xe1\x85\xa1 caf\xc3\xa9 \xf0\x9f\x99\x82",
      "\xff\xfe\xc3 invalid \xe4\xb8 utf-8 \xed\xa0\x80",
      std::string("nul\0byte", 8),
      "'S 'll 1234567 <s><unk>",
      std::string(2000, 'a'),
      "Caf\xc3\xa9, HIS \xe4\xb8\xad\xe6\x96\x87 \xc4\xb0 \x01\xef\xbf\xbd [CLS][SEP]",
  };
  return texts;
}

// Loaded tokenizers must survive any text and any ids.
void Exercise(const Tokenizer& tokenizer, std::mt19937* rng) {
  for (const std::string& text : SampleTexts()) {
    const std::vector<int32_t> ids = tokenizer.Encode(text);
    tokenizer.Decode(ids, false);
    tokenizer.Decode(ids, true);
    const Tokenizer::Encoding encoding = tokenizer.EncodeWithSpecialTokens(text);
    EXPECT(encoding.type_ids.size() == encoding.ids.size() && encoding.attention_mask.size() == encoding.ids.size(),
           text);
  }
  std::uniform_int_distribution<int32_t> any_id(-3, tokenizer.VocabSize() + 3);
  std::vector<int32_t> ids = {-2147483647 - 1, 2147483647, -1};
  for (int i = 0; i < 40; ++i) ids.push_back(any_id(*rng));
  tokenizer.Decode(ids, false);
  tokenizer.Decode(ids, true);
  for (int32_t id : ids) {
    if (const std::optional<std::string> token = tokenizer.IdToToken(id)) tokenizer.TokenToId(*token);
  }
}

// Loads `json`; on failure the error must be one non-empty line naming the source.
std::unique_ptr<Tokenizer> Load(const std::string& json, const std::string& context) {
  std::string error;
  std::unique_ptr<Tokenizer> tokenizer = Tokenizer::FromJson(json, &error);
  if (!tokenizer) {
    EXPECT(error.rfind("tokenizer JSON: ", 0) == 0, context + ": " + error);
    EXPECT(error.find('\n') == std::string::npos, context + ": " + error);
  }
  return tokenizer;
}

std::string Serialize(const JsonValue& value) {
  switch (value.type()) {
    case JsonValue::Type::kNull:
      return "null";
    case JsonValue::Type::kBool:
      return value.bool_value() ? "true" : "false";
    case JsonValue::Type::kNumber: {
      if (value.integer_value()) return std::to_string(*value.integer_value());
      std::ostringstream out;
      out.precision(17);
      out << value.number_value();
      return out.str();
    }
    case JsonValue::Type::kString:
      return JsonQuote(value.string_value());
    case JsonValue::Type::kArray: {
      std::string out = "[";
      for (size_t i = 0; i < value.array_items().size(); ++i) {
        out += (i ? "," : "") + Serialize(value.array_items()[i]);
      }
      return out + "]";
    }
    case JsonValue::Type::kObject: {
      std::string out = "{";
      for (size_t i = 0; i < value.object_members().size(); ++i) {
        const auto& [key, member] = value.object_members()[i];
        out += (i ? "," : "") + JsonQuote(key) + ":" + Serialize(member);
      }
      return out + "}";
    }
  }
  return "";
}

// The document with its `target`-th value (in preorder) replaced by `replacement`.
std::string ReplaceNode(const JsonValue& value, int* counter, int target, const std::string& replacement) {
  if ((*counter)++ == target) return replacement;
  if (value.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < value.array_items().size(); ++i) {
      out += (i ? "," : "") + ReplaceNode(value.array_items()[i], counter, target, replacement);
    }
    return out + "]";
  }
  if (value.is_object()) {
    std::string out = "{";
    for (size_t i = 0; i < value.object_members().size(); ++i) {
      const auto& [key, member] = value.object_members()[i];
      out += (i ? "," : "") + JsonQuote(key) + ":" + ReplaceNode(member, counter, target, replacement);
    }
    return out + "}";
  }
  return Serialize(value);
}

std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

void TestValidFilesLoad(std::mt19937* rng) {
  for (const char* json : {kByteLevelJson, kByteFallbackJson, kWordPieceJson}) {
    std::unique_ptr<Tokenizer> tokenizer = Load(json, "valid file");
    EXPECT(tokenizer != nullptr, "the valid test files must load");
    if (tokenizer) Exercise(*tokenizer, rng);
  }
  std::string error;
  std::unique_ptr<Tokenizer> byte_level = Tokenizer::FromJson(kByteLevelJson, &error);
  if (byte_level) {
    // "ab c" merges to "abc"; ignore_merges maps whole pre-tokens; "12" stays one token.
    EXPECT(byte_level->Encode("abc") == std::vector<int32_t>({6}), "abc");
    EXPECT(byte_level->Encode("<|bos|>a") == std::vector<int32_t>({12, 0}), "<|bos|>a");
    const std::string decoded = byte_level->Decode({12, 6, 99, -5, 3, 5}, true);
    EXPECT(decoded == "abc  a", decoded);
    EXPECT(byte_level->VocabSize() == 15, std::to_string(byte_level->VocabSize()));
  }
  std::unique_ptr<Tokenizer> word_piece = Tokenizer::FromJson(kWordPieceJson, &error);
  if (word_piece) {
    // Lowercased and accent-stripped: "his" is "hi" + "##s"; "Café" loses its accent; the CJK
    // ideograph stands alone; an 11-character word exceeds max_input_chars_per_word.
    EXPECT(word_piece->Encode("HIS Café, 中") == std::vector<int32_t>({3, 4, 7, 8, 9}), "HIS Café, 中");
    EXPECT(word_piece->Encode("hiiiiiiiiii hx") == std::vector<int32_t>({0, 0}), "unknown words");
    // [CLS] $A:1 [SEP](= 2, 1), then BertProcessing around that.
    const Tokenizer::Encoding encoding = word_piece->EncodeWithSpecialTokens("hi");
    EXPECT(encoding.ids == std::vector<int32_t>({1, 1, 3, 2, 1, 2}), "post-processed ids");
    EXPECT(encoding.type_ids == std::vector<int32_t>({0, 0, 1, 0, 0, 0}), "post-processed type ids");
    const std::string decoded = word_piece->Decode({1, 3, 4, 8, 5, 6, 2}, true);
    EXPECT(decoded == "his, hi", decoded);
  }
}

void TestEveryTruncationFails() {
  for (const std::string& json : {std::string(kByteLevelJson), std::string(kByteFallbackJson),
                                  std::string(kWordPieceJson)}) {
    for (size_t length = 0; length < json.size(); ++length) {
      EXPECT(Load(json.substr(0, length), "truncated") == nullptr, "prefix of length " + std::to_string(length));
    }
  }
}

void TestRandomByteFlips(const std::string& json, int rounds, std::mt19937* rng) {
  std::uniform_int_distribution<size_t> position(0, json.size() - 1);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> flips(1, 4);
  int loaded = 0;
  for (int round = 0; round < rounds; ++round) {
    std::string mutated = json;
    for (int i = flips(*rng); i > 0; --i) {
      // Half the time a printable JSON-ish character, which more often still parses.
      static const char kJsonish[] = "{}[]\":,0123456789-.eE \\ntrufalsn";
      mutated[position(*rng)] = round % 2 ? static_cast<char>(byte(*rng)) : kJsonish[byte(*rng) % (sizeof(kJsonish) - 1)];
    }
    if (std::unique_ptr<Tokenizer> tokenizer = Load(mutated, "byte flips")) {
      ++loaded;
      Exercise(*tokenizer, rng);
    }
  }
  std::cout << "byte flips: " << loaded << " of " << rounds << " mutated files still loaded\n";
}

void TestEveryValueOfEveryType(const std::string& json, std::mt19937* rng) {
  std::string error;
  const std::optional<JsonValue> document = ParseJson(json, &error);
  EXPECT(document.has_value(), error);
  if (!document) return;
  int node_count = 0;
  ReplaceNode(*document, &node_count, -1, "");
  const std::vector<std::string> replacements = {
      "null", "true", "0", "-1", "1.5", "4294967296", "\"\"", "\"x y\"", "[]", "[\"a\",\"b\"]", "{}", "{\"type\":\"BPE\"}"};
  for (int target = 0; target < node_count; ++target) {
    for (const std::string& replacement : replacements) {
      int counter = 0;
      if (std::unique_ptr<Tokenizer> tokenizer = Load(ReplaceNode(*document, &counter, target, replacement), "types")) {
        Exercise(*tokenizer, rng);
      }
    }
  }
}

void TestNastyDocuments() {
  const std::vector<std::string> documents = {
      "",
      " ",
      "null",
      "[]",
      "\"tokenizer\"",
      "{}",
      "{\"model\": null}",
      "{\"model\": {}}",
      "{\"model\": {\"type\": \"BPE\"}}",
      "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": -1}, \"merges\": []}}",
      "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 2147483648}, \"merges\": []}}",
      "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 1e400}, \"merges\": []}}",
      "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"a\"]}}",
      "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"a a a\"]}}",
      "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [[\"a\"]]}}",
      "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [[\"a\", \"a\"]]}}",
      "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"\\ud800\": 0}, \"merges\": []}}",
      "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"\\udc00\": 0}, \"merges\": []}}",
      "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"\\u12\": 0}, \"merges\": []}}",
      "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"\xff\": 0}, \"merges\": []}}",
      "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"\xc3\": 0}, \"merges\": []}}",
      "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}, \"decoder\": {\"type\": \"Strip\", "
      "\"content\": \"ab\", \"start\": 1, \"stop\": 0}}",
      "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}, \"pre_tokenizer\": {\"type\": "
      "\"Split\", \"pattern\": {\"String\": \"\"}, \"behavior\": \"Isolated\", \"invert\": false}}",
      "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}, \"added_tokens\": [{\"id\": 0, "
      "\"content\": \"x\", \"normalized\": true}, {\"id\": 1, \"content\": \"x\", \"normalized\": false}], "
      "\"normalizer\": {\"type\": \"NFC\"}}",
      "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"a\": 0}, \"unk_token\": \"\", "
      "\"continuing_subword_prefix\": \"\", \"max_input_chars_per_word\": 0}}",
      "{\"model\": {\"vocab\": {\"\": 0}, \"unk_token\": \"\", \"continuing_subword_prefix\": \"##\", "
      "\"max_input_chars_per_word\": 18446744073709551615}, \"decoder\": {\"type\": \"WordPiece\", \"prefix\": \"\"}}",
      "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}, \"post_processor\": {\"type\": "
      "\"TemplateProcessing\", \"single\": [{\"Sequence\": {\"id\": \"A\", \"type_id\": 0}, \"x\": 1}], "
      "\"special_tokens\": {}}}",
      "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}, \"post_processor\": {\"type\": "
      "\"TemplateProcessing\", \"single\": [{\"SpecialToken\": {\"id\": \"x\", \"type_id\": 0}}], "
      "\"special_tokens\": {\"x\": {\"ids\": [0, 2147483648]}}}}",
      "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}, \"post_processor\": {\"type\": "
      "\"RobertaProcessing\", \"sep\": [\"a\"], \"cls\": [\"a\", 0]}}",
      "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}} trailing",
      "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [],}}",
      "{\"a\" 1}",
      "[1, 2",
      "tru",
      "-",
      "01",
      "1.",
      "1e",
      "\"\\x\"",
      "\"a\nb\"",
      std::string(100000, '['),
      std::string(100000, '{'),
      "[" + std::string(5000, ' ') + "]",
  };
  std::mt19937 rng(1);
  for (const std::string& document : documents) {
    if (std::unique_ptr<Tokenizer> tokenizer = Load(document, "nasty: " + document.substr(0, 60))) {
      Exercise(*tokenizer, &rng);
    }
  }
  // Loading needs a model.
  EXPECT(Load("{}", "no model") == nullptr, "{}");
  EXPECT(Load(std::string(100000, '['), "deep") == nullptr, "deep nesting");
}

void TestFiles() {
  std::string error;
  EXPECT(Tokenizer::FromFile("/nonexistent/tokenizer.json", &error) == nullptr, "missing file");
  EXPECT(error.find("/nonexistent/tokenizer.json") != std::string::npos, error);
  error.clear();
  EXPECT(Tokenizer::FromFile("/", &error) == nullptr, "a directory");
  EXPECT(!error.empty(), "a directory gives an error");
}

}  // namespace

int main() {
  std::mt19937 rng(20240229);
  TestValidFilesLoad(&rng);
  TestEveryTruncationFails();
  TestRandomByteFlips(kByteLevelJson, 3000, &rng);
  TestRandomByteFlips(kByteFallbackJson, 3000, &rng);
  TestRandomByteFlips(kWordPieceJson, 3000, &rng);
  TestEveryValueOfEveryType(kByteLevelJson, &rng);
  TestEveryValueOfEveryType(kByteFallbackJson, &rng);
  TestEveryValueOfEveryType(kWordPieceJson, &rng);
  TestNastyDocuments();
  TestFiles();
  for (const char* path : {"zoo/tiny_bytelevel_tokenizer.json", "zoo/tiny_bytefallback_tokenizer.json",
                           "zoo/tiny_wordpiece_tokenizer.json"}) {
    const std::string json = ReadFile(path);
    EXPECT(!json.empty(), path);
    if (json.empty()) continue;
    std::unique_ptr<Tokenizer> tokenizer = Load(json, path);
    EXPECT(tokenizer != nullptr, path);
    if (tokenizer) Exercise(*tokenizer, &rng);
    TestRandomByteFlips(json, 150, &rng);
  }
  if (failures != 0) {
    std::cerr << failures << " check(s) failed\n";
    return 1;
  }
  std::cout << "all checks passed\n";
  return 0;
}
