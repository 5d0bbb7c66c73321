"""Trains the zoo's tiny tokenizers on zoo/data/corpus.txt, reproducibly.

Three kinds: the two families of Hugging Face BPE that LLM runners must read, and BERT's.
  bytelevel    byte-level BPE (GPT-2, Llama 3, Qwen, SmolLM)
  bytefallback BPE over characters with <0xNN> byte fallback and a metaspace (Llama 2, Gemma)
  wordpiece    uncased BERT WordPiece (BertNormalizer, BertPreTokenizer, [CLS] $A [SEP]),
               as sentence-transformers encoders such as all-MiniLM-L6-v2 use
Special tokens come first: <|bos|> = 0, <|eos|> = 1, <|pad|> = 2 for BPE; [PAD] = 0, [UNK] = 1,
[CLS] = 2, [SEP] = 3, [MASK] = 4 for WordPiece.
"""
import argparse
import os

os.environ["TOKENIZERS_PARALLELISM"] = "false"  # single-threaded training is deterministic

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers  # noqa: E402

SPECIAL_TOKENS = ["<|bos|>", "<|eos|>", "<|pad|>"]
BERT_SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
KINDS = ["bytelevel", "bytefallback", "wordpiece"]


def train(kind: str, corpus: str, vocab_size: int) -> Tokenizer:
    with open(corpus, encoding="utf-8") as f:
        lines = f.read().splitlines()
    if kind == "bytelevel":
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size,
            special_tokens=SPECIAL_TOKENS,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        )
    elif kind == "bytefallback":
        tok = Tokenizer(models.BPE(byte_fallback=True, unk_token=None, fuse_unk=False))
        tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
        tok.decoder = decoders.Sequence(
            [decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)]
        )
        byte_tokens = [f"<0x{b:02X}>" for b in range(256)]
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size,
            special_tokens=SPECIAL_TOKENS + byte_tokens,
            limit_alphabet=200,
            show_progress=False,
        )
    elif kind == "wordpiece":
        return train_wordpiece(lines, vocab_size)
    else:
        raise SystemExit(f"unknown tokenizer kind {kind!r}; choose one of {', '.join(KINDS)}")
    tok.train_from_iterator(lines, trainer=trainer)
    return tok


def train_wordpiece(lines, vocab_size: int) -> Tokenizer:
    """tokenizers' WordPieceTrainer is not deterministic (its vocabulary changes from run to
    run), so the vocabulary comes from a BPE trained on the same normalized words instead: each
    BPE token both as a word start and "##"-prefixed as a continuation."""
    normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True)
    bpe = Tokenizer(models.BPE())
    bpe.normalizer = normalizer
    bpe.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    bpe.train_from_iterator(lines, trainer=trainers.BpeTrainer(vocab_size=vocab_size, show_progress=False))
    pieces = [token for token, _ in sorted(bpe.get_vocab().items(), key=lambda item: item[1])]
    vocab = {}
    for token in BERT_SPECIAL_TOKENS + pieces + ["##" + piece for piece in pieces]:
        vocab.setdefault(token, len(vocab))

    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]", continuing_subword_prefix="##", max_input_chars_per_word=100))
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece(prefix="##", cleanup=True)
    tok.add_special_tokens(BERT_SPECIAL_TOKENS)
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[(t, vocab[t]) for t in ("[CLS]", "[SEP]")],
    )
    return tok


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kind", required=True, choices=KINDS)
    p.add_argument("--corpus", required=True)
    p.add_argument("--vocab_size", type=int, default=512)
    p.add_argument("--output", required=True)
    args = p.parse_args()
    tok = train(args.kind, args.corpus, args.vocab_size)
    text = tok.to_str(pretty=True)
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()
