"""The C++ tokenizer (//runtime/tokenizer:tokenize) against the Python tokenizers library.

Every tokenizer layout below is compared on the same corpus and on random texts: encode ids
(without and with the post-processor's special tokens, type ids and attention mask), decode text
(with and without special tokens), vocabulary size and the id <-> token maps. The layouts are
the tokenizer.json files given with --tokenizer_json (the zoo's, from BUILD.bazel) plus files
built here, with tokenizers itself, in the layouts of Llama 3, Qwen2, SmolLM2, GPT-2, Llama 2
with a Metaspace, Mistral, Gemma with an unk token, one with every Split behaviour, and BERT
(cased and uncased WordPiece).
"""
import json
import os
import random
import re
import subprocess
import unicodedata

import pytest

os.environ["TOKENIZERS_PARALLELISM"] = "false"

from tokenizers import (  # noqa: E402
    AddedToken,
    Regex,
    Tokenizer,
    decoders,
    models,
    normalizers,
    pre_tokenizers,
    processors,
    trainers,
)

TOKENIZE = "runtime/tokenizer/tokenize"
ZOO_CORPUS = "zoo/data/corpus.txt"

GPT2_PATTERN = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
LLAMA3_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)
QWEN2_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)

CORPUS = [
    "",
    " ",
    "  ",
    "\t",
    "\n",
    "\n\n\n",
    " \n ",
    "Hello world",
    "Hello, World! How are you today?",
    "Once upon a time there was a small robot who lived by the sea.",
    # Contractions, in every case; U+017F (long s) folds to 's' under (?i).
    "don't I'll we're they've she'd it's I'm",
    "DON'T I'LL WE'RE THEY'VE SHE'D IT'S I'M 'S 'T 'Ll",
    "'s'S 'd'D 'll'LL 've 're 'm 't 'x '' 'ſ 'ſt",
    "rock 'n' roll, the '90s, o'clock",
    # Accents, precomposed and decomposed (NFC matters), Hangul syllables and jamo.
    "Café naïve résumé — déjà vu, Æsop, Øresund, Straße",
    "Cafe\u0301 and A\u030a and \u00c5, o\u0308\u0301 and q\u0307\u0323",
    "한국어 텍스트 and \u1100\u1161\u11a8 and \u1112\u1161\u11ab",
    # CJK and other scripts.
    "日本語のテキストと中文文本。",
    "mixed: Ωmega αβγ Привет мир שלום مرحبا नमस्ते",
    # Emoji, with modifiers, ZWJ sequences and flags.
    "emoji 🙂👍🏽 family 👨‍👩‍👧 flags 🇫🇷🇯🇵",
    "😀😀😀😀😀",
    # Digits, long digit runs, other numerals.
    "digits 1234567890 and 3.14159, 2024-01-01T12:30:00",
    "12 boats, 7 boats, 1000000 boats, 007",
    "1" * 50,
    "٣٤٥ (Arabic-Indic), ²³ superscripts, Ⅻ roman, ½ fraction",
    # Whitespace runs: tabs, newlines, CRLF, trailing and leading spaces.
    "tabs\tand\ttabs\t\tdouble\t",
    "newlines\n\nand\r\nwindows\r\n\r\nend\n",
    "trailing spaces   ",
    "   leading spaces",
    "multiple    inner     spaces  \n  and  \t\n mixed",
    "non-breaking\u00a0space, ideographic\u3000space, en\u2002space",
    "zero width\u200bspace and joiner\u200d and\u2028line separator",
    "control \x00 \x01 \x1f \x7f chars",
    # Code.
    "def f(x):\n    return x**2  # square\n",
    "if (a && b) { return c[i] != 0; } // done",
    "#include <vector>\nint main() { std::vector<int> v{1, 2, 3}; }",
    '{"key": "value", "list": [1, 2.5, null]}',
    "x = a_b + c__d - __init__",
    # Special tokens in the text.
    "<|bos|>Hello<|eos|>",
    "text with <|eos|> in the middle<|pad|>",
    "<|bos|><|bos|><|eos|>",
    "a <|eos|> b",
    "<|eos",
    "<|bos|> <|eos|>  <|pad|>\n",
    "<0x41> looks like a byte token",
    # Text for the added tokens of some layouts below.
    "the robot met a robots robot_arm and [SEP]   next <mask> here",
    "hello world <mask>   x  [SEP]y robot",
    "<|begin_of_text|>Hi<|end_of_text|>",
    "KELVIN \u212a and long s \u017f and dotless \u0131",
    # BERT: special tokens in the text, accents and case, CJK spacing, punctuation, long words.
    "[CLS] Hello, [MASK]! Wasn't it [SEP] ÉCOLE Ünïcödé İstanbul ΣΑΣ",
    "ｆｕｌｌｗｉｄｔｈ ＡＢＣ and 中文,混合 text… «quotes» ¿qué? ¡sí! x²",
    "Supercalifragilisticexpialidocious antidisestablishmentarianism",
    "soft\u00adhyphen, bom\ufeff, private\ue000use, replacement\ufffdchar",
    "a" * 300,
    "the " * 100,
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut "
    "labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco.",
]


# Fragments that stress the split patterns, added-token matching, normalization and merges,
# for random texts.
FRAGMENTS = [
    "a", "Z", "q", "é", "e\u0301", "A\u030a", "\u0301", "\u0323", "\u0307", "ß", "Ω", "\u0131", "İ", "K", "\u212a",
    "ſ", "'", "'s", "'LL", "'t", "don't", " ", "  ", "\t", "\n", "\r\n", "\r", "\x0b", "\x0c", "\x85", "\x00",
    "\u00a0", "\u3000", "\u2028", "\u200d", "1", "23", "٣", "²", "Ⅻ", "!", "?!", "...", "_", "-", "▁", "世界", "한",
    "\u1100", "\u1161", "\u11a8", "\ud7a3", "🙂", "👍🏽", "\U0001F600", "Ⓐ", "\u0345", "<|bos|>", "<|eos", "|>",
    "<|pad|>", "<mask>", "[SEP]", "robot", " robot", " world", "<0x41>", "<s>", "</s>", "<unk>", "<|begin_of_text|>",
    "<|im_start|>", "<start_of_turn>", "[CLS]", "[MASK]", "\u00ad", "\ufeff", "\ue000", "\ufffd", "中", "，", "Σ",
    "İ", "Ａ", "«", "\u0345\u0301", "supercalifragilistic",
]


def random_texts(count, seed):
    """Random mixes of FRAGMENTS and random code points. Unassigned code points are left out:
    the Unicode tables of tokenizers' regex engine may be newer than Python's unicodedata."""
    rng = random.Random(seed)
    assigned = [cp for cp in range(0x20, 0x30000) if unicodedata.category(chr(cp)) not in ("Cn", "Cs")]
    texts = []
    for _ in range(count):
        parts = [rng.choice(FRAGMENTS) if rng.random() < 0.7 else chr(rng.choice(assigned))
                 for _ in range(rng.randrange(0, 30))]
        texts.append("".join(parts))
    return texts


def zoo_lines():
    with open(ZOO_CORPUS, encoding="utf-8") as f:
        return f.read().splitlines()


def all_texts():
    return CORPUS + ["\n".join(zoo_lines())]


def run_tokenize(path, *args, stdin=""):
    result = subprocess.run(
        [TOKENIZE, "--tokenizer", path, *args],
        input=stdin.encode("utf-8"),
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    return result.stdout.decode("utf-8"), result.stderr.decode("utf-8")


def cpp_encode(path, texts):
    out, _ = run_tokenize(path, "--encode", "--batch", stdin="".join(json.dumps(t) + "\n" for t in texts))
    lines = out.split("\n")[:-1]
    assert len(lines) == len(texts)
    return [[int(i) for i in line.split()] for line in lines]


def cpp_decode(path, id_lists, skip_special_tokens):
    args = ["--decode", "--batch"] + (["--skip_special_tokens"] if skip_special_tokens else [])
    out, _ = run_tokenize(path, *args, stdin="".join(" ".join(map(str, ids)) + "\n" for ids in id_lists))
    return [json.loads(line) for line in out.split("\n")[:-1]]


# ---------------------------------------------------------------------------------------------
# Tokenizer layouts built with tokenizers itself.


def train(tokenizer, trainer):
    tokenizer.train_from_iterator(zoo_lines() + CORPUS, trainer=trainer)
    return tokenizer


def bytelevel_trainer(vocab_size, special_tokens):
    return trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=special_tokens,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )


# Each layout returns the text of a tokenizer.json.


def llama3_layout():
    """Like Llama 3, the post-processor is a Sequence of ByteLevel and a template adding BOS."""
    tok = Tokenizer(models.BPE(ignore_merges=True))
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    train(tok, bytelevel_trainer(700, []))
    # Like Llama 3, special tokens come after the model's vocabulary.
    tok.add_special_tokens(["<|begin_of_text|>", "<|end_of_text|>"])
    bos = tok.token_to_id("<|begin_of_text|>")
    tok.post_processor = processors.Sequence(
        [
            processors.ByteLevel(trim_offsets=False),
            processors.TemplateProcessing(
                single="<|begin_of_text|> $A",
                pair="<|begin_of_text|> $A <|begin_of_text|>:1 $B:1",
                special_tokens=[("<|begin_of_text|>", bos)],
            ),
        ]
    )
    return tok.to_str(pretty=True)


def qwen2_layout():
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    train(tok, bytelevel_trainer(600, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]))
    return tok.to_str(pretty=True)


def smollm2_layout():
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    return train(tok, bytelevel_trainer(600, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"])).to_str(pretty=True)


def gpt2_layout():
    """GPT-2 regex through Split, ByteLevel adding a prefix space, legacy "a b" merges, and added
    tokens exercising lstrip, rstrip, single_word and normalized."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(GPT2_PATTERN), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    train(tok, bytelevel_trainer(500, ["<|endoftext|>"]))
    tok.add_tokens(
        [
            AddedToken("<mask>", lstrip=True, special=True),
            AddedToken("[SEP]", rstrip=True, special=True),
            AddedToken("robot", single_word=True),
            AddedToken(" world", normalized=False),
            AddedToken("don't", normalized=True),
        ]
    )
    config = json.loads(tok.to_str())
    config["model"]["merges"] = [" ".join(pair) for pair in config["model"]["merges"]]
    return json.dumps(config, ensure_ascii=False, indent=1)


def digits_contiguous_layout():
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=False), pre_tokenizers.ByteLevel(add_prefix_space=False)]
    )
    tok.decoder = decoders.ByteLevel()
    return train(tok, bytelevel_trainer(400, [])).to_str(pretty=True)


def metaspace_layout():
    """Older Llama 2 files: a Metaspace pre-tokenizer instead of the Prepend/Replace normalizer."""
    tok = Tokenizer(models.BPE(byte_fallback=True))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=True)
    tok.decoder = decoders.Sequence(
        [decoders.ByteFallback(), decoders.Fuse(), decoders.Metaspace(replacement="▁", prepend_scheme="first")]
    )
    trainer = trainers.BpeTrainer(
        vocab_size=500,
        special_tokens=["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)],
        limit_alphabet=120,
        show_progress=False,
    )
    return train(tok, trainer).to_str(pretty=True)


def mistral_layout():
    """Metaspace without splitting (whole sentences reach the model), prepended only at the start."""
    tok = Tokenizer(models.BPE(byte_fallback=True))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=False)
    tok.decoder = decoders.Sequence([decoders.ByteFallback(), decoders.Metaspace(replacement="▁", prepend_scheme="always")])
    trainer = trainers.BpeTrainer(
        vocab_size=450,
        special_tokens=["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)],
        limit_alphabet=100,
        show_progress=False,
    )
    return train(tok, trainer).to_str(pretty=True)


def split_behaviors_layout():
    """Every Split delimiter behaviour, with String patterns and an inverted one."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(" ", behavior="merged_with_previous"),
            pre_tokenizers.Split(",", behavior="merged_with_next"),
            pre_tokenizers.Split("e", behavior="removed"),
            pre_tokenizers.Split("o", behavior="contiguous", invert=True),
            pre_tokenizers.Split("\n", behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    return train(tok, bytelevel_trainer(400, [])).to_str(pretty=True)


def gemma_layout(fuse_unk):
    """Replace(" " -> "▁") without Prepend, an unk token instead of byte fallback, and added
    tokens that are normalized (so matched as "▁..." after normalization)."""
    tok = Tokenizer(models.BPE(unk_token="<unk>", fuse_unk=fuse_unk))
    tok.normalizer = normalizers.Replace(" ", "▁")
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.Fuse()])
    trainer = trainers.BpeTrainer(
        vocab_size=300, special_tokens=["<pad>", "<eos>", "<bos>", "<unk>"], limit_alphabet=40, show_progress=False
    )
    train(tok, trainer)
    tok.add_tokens([AddedToken(" robot", normalized=True), AddedToken("<start_of_turn>", special=True, normalized=False)])
    return tok.to_str(pretty=True)


def bert_layout(lowercase, strip_accents, handle_chinese_chars, max_input_chars_per_word, post_processor):
    """WordPiece as BERT and sentence-transformers use it, trained here."""
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=max_input_chars_per_word))
    tok.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=handle_chinese_chars, strip_accents=strip_accents, lowercase=lowercase
    )
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece(prefix="##", cleanup=lowercase)
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    train(tok, trainers.WordPieceTrainer(vocab_size=600, special_tokens=special, show_progress=False))
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    if post_processor == "bert":
        tok.post_processor = processors.BertProcessing(("[SEP]", sep), ("[CLS]", cls))
    elif post_processor == "roberta":
        tok.post_processor = processors.RobertaProcessing(("[SEP]", sep), ("[CLS]", cls))
    else:
        # Two ids for one special token, type ids other than 0.
        tok.post_processor = processors.TemplateProcessing(
            single="[CLS]:1 $A:2 [SEP]:3 [SEP]",
            pair="[CLS] $A [SEP] $B:1 [SEP]:1",
            special_tokens=[("[CLS]", cls), {"id": "[SEP]", "ids": [sep, cls], "tokens": ["[SEP]", "[CLS]"]}],
        )
    tok.add_tokens([AddedToken("robot", single_word=True), AddedToken("[SEP]", special=True, lstrip=True)])
    return tok.to_str(pretty=True)


def bert_sequence_layout():
    """BERT's steps inside Sequence wrappers, accents stripped without lowercasing."""
    config = json.loads(bert_layout(False, True, True, 100, "bert"))
    config["normalizer"] = {"type": "Sequence", "normalizers": [config["normalizer"]]}
    config["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [config["pre_tokenizer"]]}
    config["decoder"] = {"type": "Sequence", "decoders": [config["decoder"]]}
    return json.dumps(config, ensure_ascii=False)


LAYOUTS = {
    "llama3": llama3_layout,
    "qwen2": qwen2_layout,
    "smollm2": smollm2_layout,
    "gpt2": gpt2_layout,
    "digits_contiguous": digits_contiguous_layout,
    "metaspace": metaspace_layout,
    "mistral": mistral_layout,
    "split_behaviors": split_behaviors_layout,
    "gemma_unk_fused": lambda: gemma_layout(True),
    "gemma_unk": lambda: gemma_layout(False),
    "bert_uncased": lambda: bert_layout(True, None, True, 100, "template"),
    "bert_cased": lambda: bert_layout(False, None, False, 8, "roberta"),
    "bert_sequence": bert_sequence_layout,
}
ZOO = {
    "zoo_bytelevel": "zoo/tiny_bytelevel_tokenizer.json",
    "zoo_bytefallback": "zoo/tiny_bytefallback_tokenizer.json",
    "zoo_wordpiece": "zoo/tiny_wordpiece_tokenizer.json",
}


def pytest_generate_tests(metafunc):
    """The tokenizer fixture runs over the --tokenizer_json files, then the layouts."""
    if "tokenizer" in metafunc.fixturenames:
        files = metafunc.config.getoption("tokenizer_json")
        metafunc.parametrize("tokenizer", files + list(LAYOUTS), indirect=True, scope="module")


@pytest.fixture(scope="module")
def tokenizer(request, tmp_path_factory):
    """(path of a tokenizer.json, the same tokenizer in Python)."""
    name = request.param
    if name not in LAYOUTS:
        reference = Tokenizer.from_file(name)
        # the C++ tokenizer ignores a file's truncation and padding settings (documented);
        # e.g. all-MiniLM-L6-v2's pads every encoding to 128 tokens
        reference.no_truncation()
        reference.no_padding()
        return name, reference
    path = str(tmp_path_factory.mktemp(name) / "tokenizer.json")
    with open(path, "w", encoding="utf-8") as f:
        f.write(LAYOUTS[name]())
    return path, Tokenizer.from_file(path)


def test_layouts_have_the_intended_options():
    """Guards the layouts above against tokenizers changing how it saves them."""
    llama3 = json.loads(llama3_layout())
    assert llama3["model"]["ignore_merges"] is True
    assert llama3["pre_tokenizer"]["pretokenizers"][0]["pattern"] == {"Regex": LLAMA3_PATTERN}
    assert llama3["added_tokens"][-1]["id"] >= len(llama3["model"]["vocab"])
    assert json.loads(qwen2_layout())["normalizer"]["type"] == "NFC"
    assert all(isinstance(m, str) for m in json.loads(gpt2_layout())["model"]["merges"])
    with open(ZOO["zoo_bytefallback"], encoding="utf-8") as f:
        zoo = json.load(f)
    assert [n["type"] for n in zoo["normalizer"]["normalizers"]] == ["Prepend", "Replace"]
    with open(ZOO["zoo_wordpiece"], encoding="utf-8") as f:
        wordpiece = json.load(f)
    assert [wordpiece[k]["type"] for k in ("model", "normalizer", "pre_tokenizer", "post_processor", "decoder")] == [
        "WordPiece", "BertNormalizer", "BertPreTokenizer", "TemplateProcessing", "WordPiece"]
    assert wordpiece["normalizer"]["strip_accents"] is None and wordpiece["normalizer"]["lowercase"] is True
    bert = json.loads(bert_sequence_layout())
    assert bert["normalizer"]["normalizers"][0]["strip_accents"] is True
    assert bert["normalizer"]["normalizers"][0]["lowercase"] is False


def test_the_zoo_tokenizers_are_compared(request):
    """BUILD.bazel passes the zoo's tokenizer.json files; a lost argument must not go unnoticed."""
    assert set(ZOO.values()) <= set(request.config.getoption("tokenizer_json"))


def cpp_encode_with_special_tokens(path, texts):
    out, _ = run_tokenize(path, "--encode", "--batch", "--add_special_tokens", "--json",
                          stdin="".join(json.dumps(t) + "\n" for t in texts))
    lines = out.split("\n")[:-1]
    assert len(lines) == len(texts)
    return [json.loads(line) for line in lines]


def test_encode_with_special_tokens_matches(tokenizer):
    path, reference = tokenizer
    texts = all_texts() + random_texts(200, seed=11)
    for text, got in zip(texts, cpp_encode_with_special_tokens(path, texts)):
        expected = reference.encode(text)
        assert got == {"ids": expected.ids, "type_ids": expected.type_ids,
                       "attention_mask": expected.attention_mask}, repr(text)


def test_encode_matches(tokenizer):
    path, reference = tokenizer
    texts = all_texts()
    got = cpp_encode(path, texts)
    for text, ids in zip(texts, got):
        assert ids == reference.encode(text, add_special_tokens=False).ids, repr(text)


def test_decode_matches(tokenizer):
    path, reference = tokenizer
    id_lists = [reference.encode(t, add_special_tokens=False).ids for t in all_texts()]
    for skip in (False, True):
        got = cpp_decode(path, id_lists, skip)
        for ids, text in zip(id_lists, got):
            assert text == reference.decode(ids, skip_special_tokens=skip), ids


def test_random_texts_match(tokenizer):
    path, reference = tokenizer
    texts = random_texts(1000, seed=7)
    got = cpp_encode(path, texts)
    for text, ids in zip(texts, got):
        assert ids == reference.encode(text, add_special_tokens=False).ids, repr(text)
    for skip in (False, True):
        for ids, text in zip(got, cpp_decode(path, got, skip)):
            assert text == reference.decode(ids, skip_special_tokens=skip), ids


def test_decode_of_random_ids_matches(tokenizer):
    """Random ids, including ones past the vocabulary (skipped), split UTF-8 sequences and byte
    tokens in odd places."""
    path, reference = tokenizer
    rng = random.Random(0)
    size = reference.get_vocab_size(with_added_tokens=True)
    id_lists = [[rng.randrange(size + 10) for _ in range(rng.randrange(1, 12))] for _ in range(300)]
    for skip in (False, True):
        got = cpp_decode(path, id_lists, skip)
        for ids, text in zip(id_lists, got):
            assert text == reference.decode(ids, skip_special_tokens=skip), ids


def test_vocabulary_matches(tokenizer):
    path, reference = tokenizer
    out, _ = run_tokenize(path, "--vocab_size")
    size = reference.get_vocab_size(with_added_tokens=True)
    assert int(out) == size

    ids = list(range(size + 5))
    out, _ = run_tokenize(path, "--id_to_token", stdin=" ".join(map(str, ids)) + " -1")
    assert [json.loads(line) for line in out.split("\n")[:-1]] == [reference.id_to_token(i) for i in ids] + [None]

    tokens = sorted(reference.get_vocab(with_added_tokens=True)) + ["not a token", ""]
    out, _ = run_tokenize(path, "--token_to_id", stdin="".join(json.dumps(t) + "\n" for t in tokens))
    assert [json.loads(line) for line in out.split("\n")[:-1]] == [reference.token_to_id(t) for t in tokens]


def test_single_encode_and_decode_modes(tokenizer):
    """The plain (non-batch) modes read stdin verbatim, trailing newlines included."""
    path, reference = tokenizer
    text = "<|bos|>Hello world\n\n"
    out, _ = run_tokenize(path, "--encode", stdin=text)
    ids = reference.encode(text, add_special_tokens=False).ids
    assert out == " ".join(map(str, ids)) + "\n"
    out, _ = run_tokenize(path, "--decode", stdin=" ".join(map(str, ids)))
    assert out == reference.decode(ids, skip_special_tokens=False)


def test_encode_is_fast():
    """About 10 KB of mixed text through the zoo's byte-level tokenizer."""
    text = ("\n".join(zoo_lines()) + "\n" + "\n".join(CORPUS) + "\n") * 3
    text = text[:10_000]
    _, err = run_tokenize(ZOO["zoo_bytelevel"], "--encode", "--repeat", "20", stdin=text)
    mean_ms = float(re.search(r"in ([0-9.e+-]+) ms", err).group(1))
    print(f"encode of {len(text.encode())} bytes: {mean_ms:.2f} ms")
    # About 13 ms in an unoptimized build and 1.4 ms with -c opt; the bound only catches
    # algorithmic regressions without flaking on a busy machine.
    assert mean_ms < 100, err


def test_invalid_utf8_input_is_repaired():
    """Malformed UTF-8 becomes U+FFFD before encoding, one per maximal subpart as in Python's
    errors="replace" (Python strings cannot hold malformed UTF-8, so this is the contract)."""
    path = ZOO["zoo_bytelevel"]
    reference = Tokenizer.from_file(path)
    rng = random.Random(3)
    fragments = [b"a", b" ", b"\xc3\xa9", b"\xe4\xb8\x96", b"\xf0\x9f\x99\x82", b"\xc3", b"\xe4\xb8", b"\xf0\x9f\x99",
                 b"\x80", b"\xbf", b"\xc0\x80", b"\xc1\xbf", b"\xe0\x80\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
                 b"\xf5", b"\xff", b"\xfe"]
    for _ in range(60):
        data = b"".join(rng.choice(fragments) for _ in range(rng.randrange(1, 12)))
        result = subprocess.run([TOKENIZE, "--tokenizer", path, "--encode"], input=data, capture_output=True, check=True)
        expected = reference.encode(data.decode("utf-8", "replace"), add_special_tokens=False).ids
        assert result.stdout.decode().split() == [str(i) for i in expected], data


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda c: c.pop("model"), 'there is no "model"'),
        (lambda c: c["model"].update(type="Unigram"), 'model type "Unigram" is not supported'),
        (lambda c: c["model"].update(type="WordPiece", unk_token="a", max_input_chars_per_word=100),
         "model.continuing_subword_prefix is missing"),
        (lambda c: c.update(post_processor={"type": "TemplateProcessing", "single": [{"Sequence": {"id": "B",
                                            "type_id": 0}}], "special_tokens": {}}), 'sequence "A", not "B"'),
        (lambda c: c.update(post_processor={"type": "TemplateProcessing", "single": [{"SpecialToken": {
            "id": "<s>", "type_id": 0}}], "special_tokens": {}}), 'special token "<s>" has no ids'),
        (lambda c: c.update(post_processor={"type": "BertProcessing", "sep": ["[SEP]", -1], "cls": ["[CLS]", 0]}),
         "post_processor.sep must be a [token, id] pair"),
        (lambda c: c.update(post_processor={"type": "Sequence", "processors": [{"type": "ByteLevel"},
                                                                                {"type": "Unknown"}]}),
         'post_processor.processors[1]: "Unknown" is not supported'),
        (lambda c: c.update(normalizer={"type": "BertNormalizer", "lowercase": "yes"}),
         "normalizer.lowercase must be a boolean"),
        (lambda c: c["model"].update(dropout=0.1), "model.dropout is not supported"),
        (lambda c: c["model"].update(continuing_subword_prefix="##"), "continuing_subword_prefix"),
        (lambda c: c["model"].update(end_of_word_suffix="</w>"), "end_of_word_suffix"),
        (lambda c: c["model"].update(vocab=[]), "model.vocab must be an object"),
        (lambda c: c["model"]["merges"].append(["zz", "qq"]), "not in the vocabulary"),
        (lambda c: c.update(pre_tokenizer={"type": "Split", "pattern": {"Regex": r"\w+"}, "behavior": "Isolated",
                                           "invert": False}), "Split regex"),
        (lambda c: c.update(pre_tokenizer={"type": "Whitespace"}), '"Whitespace" is not supported'),
        (lambda c: c.update(normalizer={"type": "NFKC"}), '"NFKC" is not supported'),
        (lambda c: c.update(decoder={"type": "CTC"}), '"CTC" is not supported'),
        (lambda c: c.update(decoder={"type": "WordPiece", "cleanup": 1}), "decoder.cleanup must be a boolean"),
        (lambda c: c.update(added_tokens=[{"id": 0, "content": 5}]), "added_tokens[0].content must be a string"),
        (lambda c: c.update(version="2.0"), "version"),
    ],
)
def test_unsupported_or_wrong_files_fail_clearly(tmp_path, edit, message):
    with open(ZOO["zoo_bytelevel"], encoding="utf-8") as f:
        config = json.load(f)
    edit(config)
    path = tmp_path / "tokenizer.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    result = subprocess.run([TOKENIZE, "--tokenizer", str(path), "--vocab_size"], capture_output=True, check=False)
    stderr = result.stderr.decode()
    assert result.returncode == 2
    assert str(path) in stderr and message in stderr, stderr
    assert stderr.count("\n") == 1, stderr  # one sentence
