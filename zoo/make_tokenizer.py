"""Trains the zoo's tiny tokenizers on zoo/data/corpus.txt, reproducibly.

Two kinds, the two families of Hugging Face BPE that LLM runners must read:
  bytelevel    byte-level BPE (GPT-2, Llama 3, Qwen, SmolLM)
  bytefallback BPE over characters with <0xNN> byte fallback and a metaspace (Llama 2, Gemma)
Special tokens come first: <|bos|> = 0, <|eos|> = 1, <|pad|> = 2.
"""
import argparse
import os

os.environ["TOKENIZERS_PARALLELISM"] = "false"  # single-threaded training is deterministic

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers  # noqa: E402

SPECIAL_TOKENS = ["<|bos|>", "<|eos|>", "<|pad|>"]


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
    else:
        raise SystemExit(f"unknown tokenizer kind {kind!r}; choose bytelevel or bytefallback")
    tok.train_from_iterator(lines, trainer=trainer)
    return tok


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kind", required=True, choices=["bytelevel", "bytefallback"])
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
