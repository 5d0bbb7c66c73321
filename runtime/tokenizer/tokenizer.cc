#include "runtime/tokenizer/tokenizer.h"

#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>
#include <utility>

#include "runtime/tokenizer/added_vocabulary.h"
#include "runtime/tokenizer/bpe_model.h"
#include "runtime/tokenizer/json.h"
#include "runtime/tokenizer/pipeline.h"
#include "runtime/tokenizer/utf8.h"
#include "runtime/tokenizer/wordpiece_model.h"

namespace rules_executorch {
namespace tokenizer_internal {

struct TokenizerData {
  std::vector<NormalizerStep> normalizer;
  std::vector<PreTokenizerStep> pre_tokenizer;
  bool has_decoder = false;
  std::vector<DecoderStep> decoder;
  std::vector<PostProcessorStep> post_processor;
  std::unique_ptr<Model> model;
  AddedVocabulary added;
};

namespace {

// A configuration section that may be absent or null.
const JsonValue* OptionalSection(const JsonValue& root, const char* key) {
  const JsonValue* section = root.Find(key);
  return section == nullptr || section->is_null() ? nullptr : section;
}

bool ParseVocab(const JsonValue& model, std::vector<std::pair<std::string, int32_t>>* vocab, std::string* error) {
  const JsonValue* json = model.Find("vocab");
  if (json == nullptr || !json->is_object()) {
    *error = json == nullptr ? "model.vocab is missing"
                             : std::string("model.vocab must be an object, got ") + JsonTypeName(json->type());
    return false;
  }
  vocab->reserve(json->object_members().size());
  for (const auto& [token, id] : json->object_members()) {
    const std::optional<int32_t> value = NonNegativeInt32(id);
    if (!value) {
      *error = "model.vocab[" + JsonQuote(token) + "] must be an integer id from 0 to 2147483647";
      return false;
    }
    vocab->emplace_back(token, *value);
  }
  return true;
}

// Merges are ["a", "b"] pairs or, in older files, "a b" strings with exactly one space.
bool ParseMerges(const JsonValue& model, std::vector<std::pair<std::string, std::string>>* merges,
                 std::string* error) {
  const JsonValue* json = model.Find("merges");
  if (json == nullptr || !json->is_array()) {
    *error = json == nullptr ? "model.merges is missing"
                             : std::string("model.merges must be an array, got ") + JsonTypeName(json->type());
    return false;
  }
  merges->reserve(json->array_items().size());
  for (size_t i = 0; i < json->array_items().size(); ++i) {
    const JsonValue& merge = json->array_items()[i];
    if (merge.is_string()) {
      const std::string& line = merge.string_value();
      const size_t space = line.find(' ');
      if (space != std::string::npos && line.find(' ', space + 1) == std::string::npos) {
        merges->emplace_back(line.substr(0, space), line.substr(space + 1));
        continue;
      }
    } else if (merge.is_array() && merge.array_items().size() == 2 && merge.array_items()[0].is_string() &&
               merge.array_items()[1].is_string()) {
      merges->emplace_back(merge.array_items()[0].string_value(), merge.array_items()[1].string_value());
      continue;
    }
    *error = "model.merges[" + std::to_string(i) + "] must be a pair of strings or a string \"a b\" with one space";
    return false;
  }
  return true;
}

// WordPiece: all four settings are required, as tokenizers requires them.
bool ParseWordPieceModel(const JsonValue& json, std::unique_ptr<Model>* model, std::string* error) {
  std::optional<std::string> unk_token, prefix;
  size_t max_input_chars_per_word = 0;
  if (!ReadStringMember(json, "unk_token", "model", &unk_token, error) ||
      !ReadStringMember(json, "continuing_subword_prefix", "model", &prefix, error) ||
      !ReadSizeMember(json, "max_input_chars_per_word", "model", &max_input_chars_per_word, error)) {
    return false;
  }
  for (const char* key : {"unk_token", "continuing_subword_prefix", "max_input_chars_per_word"}) {
    const JsonValue* member = json.Find(key);
    if (member == nullptr || member->is_null()) {
      *error = std::string("model.") + key + " is missing (WordPiece needs it)";
      return false;
    }
  }
  std::vector<std::pair<std::string, int32_t>> vocab;
  if (!ParseVocab(json, &vocab, error)) return false;
  *model = std::make_unique<WordPieceModel>(vocab, std::move(*unk_token), std::move(*prefix), max_input_chars_per_word);
  return true;
}

bool ParseModel(const JsonValue& root, std::unique_ptr<Model>* model, std::string* error) {
  const JsonValue* json = root.Find("model");
  if (json == nullptr || json->is_null()) {
    *error = "there is no \"model\"";
    return false;
  }
  if (!json->is_object()) {
    *error = std::string("model must be an object, got ") + JsonTypeName(json->type());
    return false;
  }
  std::optional<std::string> type;
  if (!ReadStringMember(*json, "type", "model", &type, error)) return false;
  // Files without a type are BPE if they have merges, else WordPiece if they have its prefix
  // (tokenizers tries each model in turn).
  if (type ? *type == "WordPiece" : json->Find("merges") == nullptr && json->Find("continuing_subword_prefix")) {
    return ParseWordPieceModel(*json, model, error);
  }
  if (type ? *type != "BPE" : json->Find("merges") == nullptr) {
    *error = "model type " + (type ? JsonQuote(*type) : std::string("(none)")) +
             " is not supported (supported: BPE, WordPiece)";
    return false;
  }

  BpeOptions options;
  std::optional<std::string> prefix, suffix;
  if (!ReadStringMember(*json, "unk_token", "model", &options.unk_token, error) ||
      !ReadBoolMember(*json, "fuse_unk", "model", &options.fuse_unk, error) ||
      !ReadBoolMember(*json, "byte_fallback", "model", &options.byte_fallback, error) ||
      !ReadBoolMember(*json, "ignore_merges", "model", &options.ignore_merges, error) ||
      !ReadStringMember(*json, "continuing_subword_prefix", "model", &prefix, error) ||
      !ReadStringMember(*json, "end_of_word_suffix", "model", &suffix, error)) {
    return false;
  }
  // Empty affixes and zero dropout change nothing, so they are accepted.
  if (prefix && !prefix->empty()) {
    *error = "model.continuing_subword_prefix " + JsonQuote(*prefix) + " is not supported";
    return false;
  }
  if (suffix && !suffix->empty()) {
    *error = "model.end_of_word_suffix " + JsonQuote(*suffix) + " is not supported";
    return false;
  }
  const JsonValue* dropout = json->Find("dropout");
  if (dropout != nullptr && !dropout->is_null() && !(dropout->is_number() && dropout->number_value() == 0)) {
    *error = "model.dropout is not supported (BPE dropout makes encoding random)";
    return false;
  }

  std::vector<std::pair<std::string, int32_t>> vocab;
  std::vector<std::pair<std::string, std::string>> merges;
  if (!ParseVocab(*json, &vocab, error) || !ParseMerges(*json, &merges, error)) return false;
  std::string build_error;
  *model = BpeModel::Build(vocab, merges, std::move(options), &build_error);
  if (!*model) {
    *error = "model." + build_error;
    return false;
  }
  return true;
}

bool ParseAddedTokens(const JsonValue& root, std::vector<AddedToken>* tokens, std::string* error) {
  const JsonValue* json = OptionalSection(root, "added_tokens");
  if (json == nullptr) return true;
  if (!json->is_array()) {
    *error = std::string("added_tokens must be an array, got ") + JsonTypeName(json->type());
    return false;
  }
  for (size_t i = 0; i < json->array_items().size(); ++i) {
    const JsonValue& entry = json->array_items()[i];
    const std::string where = "added_tokens[" + std::to_string(i) + "]";
    if (!entry.is_object()) {
      *error = where + " must be an object, got " + JsonTypeName(entry.type());
      return false;
    }
    AddedToken token;
    std::optional<std::string> content;
    size_t id = 0;
    if (!ReadStringMember(entry, "content", where, &content, error) ||
        !ReadSizeMember(entry, "id", where, &id, error) ||
        !ReadBoolMember(entry, "special", where, &token.special, error)) {
      return false;
    }
    token.normalized = !token.special;  // tokenizers' default for each kind
    if (!ReadBoolMember(entry, "single_word", where, &token.single_word, error) ||
        !ReadBoolMember(entry, "lstrip", where, &token.lstrip, error) ||
        !ReadBoolMember(entry, "rstrip", where, &token.rstrip, error) ||
        !ReadBoolMember(entry, "normalized", where, &token.normalized, error)) {
      return false;
    }
    if (!content) {
      *error = where + ".content must be a string";
      return false;
    }
    token.content = std::move(*content);
    tokens->push_back(std::move(token));
  }
  return true;
}

std::unique_ptr<TokenizerData> Load(const std::string& json_text, std::string* error) {
  std::optional<JsonValue> root = ParseJson(json_text, error);
  if (!root) return nullptr;
  if (!root->is_object()) {
    *error = std::string("the document must be an object, got ") + JsonTypeName(root->type());
    return nullptr;
  }
  std::optional<std::string> version;
  if (!ReadStringMember(*root, "version", "tokenizer", &version, error)) return nullptr;
  if (version && *version != "1.0") {
    *error = "unknown tokenizer.json version " + JsonQuote(*version) + " (expected \"1.0\")";
    return nullptr;
  }

  auto data = std::make_unique<TokenizerData>();
  if (const JsonValue* normalizer = OptionalSection(*root, "normalizer")) {
    if (!ParseNormalizer(*normalizer, "normalizer", &data->normalizer, error)) return nullptr;
  }
  if (const JsonValue* pre_tokenizer = OptionalSection(*root, "pre_tokenizer")) {
    if (!ParsePreTokenizer(*pre_tokenizer, "pre_tokenizer", &data->pre_tokenizer, error)) return nullptr;
  }
  if (const JsonValue* decoder = OptionalSection(*root, "decoder")) {
    data->has_decoder = true;
    if (!ParseDecoder(*decoder, "decoder", &data->decoder, error)) return nullptr;
  }
  if (const JsonValue* post_processor = OptionalSection(*root, "post_processor")) {
    if (!ParsePostProcessor(*post_processor, "post_processor", &data->post_processor, error)) return nullptr;
  }
  std::vector<AddedToken> added_tokens;
  if (!ParseModel(*root, &data->model, error) || !ParseAddedTokens(*root, &added_tokens, error) ||
      !data->added.AddTokens(added_tokens, *data->model, data->normalizer, error)) {
    return nullptr;
  }
  return data;
}

// "what went wrong" -> "<source>: what went wrong."
std::string Sentence(const std::string& source, const std::string& what) {
  std::string sentence = source + ": " + what;
  if (sentence.empty() || sentence.back() != '.') sentence += '.';
  return sentence;
}

}  // namespace
}  // namespace tokenizer_internal

using tokenizer_internal::TokenizerData;

Tokenizer::Tokenizer(std::unique_ptr<TokenizerData> data) : data_(std::move(data)) {}

Tokenizer::~Tokenizer() = default;

std::unique_ptr<Tokenizer> Tokenizer::FromFile(const std::string& path, std::string* error) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    *error = tokenizer_internal::Sentence(path, "cannot open the file");
    return nullptr;
  }
  std::ostringstream contents;
  contents << file.rdbuf();
  if (file.bad()) {
    *error = tokenizer_internal::Sentence(path, "cannot read the file");
    return nullptr;
  }
  std::string what;
  std::unique_ptr<TokenizerData> data = tokenizer_internal::Load(contents.str(), &what);
  if (!data) {
    *error = tokenizer_internal::Sentence(path, what);
    return nullptr;
  }
  return std::unique_ptr<Tokenizer>(new Tokenizer(std::move(data)));
}

std::unique_ptr<Tokenizer> Tokenizer::FromJson(const std::string& json_text, std::string* error) {
  std::string what;
  std::unique_ptr<TokenizerData> data = tokenizer_internal::Load(json_text, &what);
  if (!data) {
    *error = tokenizer_internal::Sentence("tokenizer JSON", what);
    return nullptr;
  }
  return std::unique_ptr<Tokenizer>(new Tokenizer(std::move(data)));
}

// The stages of tokenizers' encode: split out raw added tokens, normalize the rest and split
// out normalized added tokens, pre-tokenize, then run the model on each pre-token.
Tokenizer::Encoding Tokenizer::EncodeWithSpecialTokens(const std::string& text) const {
  Encoding encoding;
  encoding.ids = Encode(text);
  encoding.type_ids.assign(encoding.ids.size(), 0);
  tokenizer_internal::PostProcess(data_->post_processor, &encoding.ids, &encoding.type_ids);
  encoding.attention_mask.assign(encoding.ids.size(), 1);
  return encoding;
}

std::vector<int32_t> Tokenizer::Encode(const std::string& text) const {
  using tokenizer_internal::Piece;
  std::vector<Piece> raw_pieces;
  data_->added.SplitOnRawTokens(Piece{tokenizer_internal::Utf8Lossy(text), -1, true}, &raw_pieces);
  std::vector<Piece> pieces;
  for (Piece& piece : raw_pieces) {
    if (piece.added_token_id >= 0) {
      pieces.push_back(std::move(piece));
      continue;
    }
    piece.text = tokenizer_internal::Normalize(data_->normalizer, std::move(piece.text));
    data_->added.SplitOnNormalizedTokens(std::move(piece), &pieces);
  }
  tokenizer_internal::PreTokenize(data_->pre_tokenizer, &pieces);

  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 1);
  for (const Piece& piece : pieces) {
    if (piece.added_token_id >= 0) {
      ids.push_back(piece.added_token_id);
    } else {
      data_->model->Tokenize(piece.text, &ids);
    }
  }
  return ids;
}

std::string Tokenizer::Decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) {
    const std::string* token = data_->added.DecodedForm(id);
    if (token == nullptr) token = data_->model->IdToToken(id);
    if (token == nullptr) continue;  // no such id
    if (skip_special_tokens && data_->added.IsSpecial(*token)) continue;
    tokens.push_back(*token);
  }
  if (!data_->has_decoder) {
    std::string joined;
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i > 0) joined += ' ';
      joined += tokens[i];
    }
    return joined;
  }
  return tokenizer_internal::Decode(data_->decoder, std::move(tokens));
}

int32_t Tokenizer::VocabSize() const {
  const size_t size = data_->model->VocabEntryCount() + data_->added.CountNotInModel(*data_->model);
  return static_cast<int32_t>(std::min<size_t>(size, std::numeric_limits<int32_t>::max()));
}

std::optional<int32_t> Tokenizer::TokenToId(const std::string& token) const {
  if (std::optional<int32_t> id = data_->added.TokenToId(token)) return id;
  return data_->model->TokenToId(token);
}

std::optional<std::string> Tokenizer::IdToToken(int32_t id) const {
  const std::string* token = data_->added.DecodedForm(id);
  if (token == nullptr) token = data_->model->IdToToken(id);
  if (token == nullptr) return std::nullopt;
  return *token;
}

}  // namespace rules_executorch
