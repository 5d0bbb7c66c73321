"""all-MiniLM-L6-v2 through //zoo:minilm_embed (C++ WordPiece tokenizer + ExecuTorch program)
against the eager sentence embedding (transformers, mean pooling, L2 norm) on 20 sentences."""
import json
import os
import subprocess

import numpy as np
import torch

RUNNER = "zoo/minilm_embed"
CHECKPOINT = "external/all_minilm_l6_v2"
MIN_COSINE = 0.9999

SENTENCES = [
    "The cat sat on the mat.",
    "Paris is the capital of France.",
    "What is the capital of France?",
    "A man is playing a guitar on stage.",
    "Machine learning models can run on small devices.",
    "The quick brown fox jumps over the lazy dog.",
    "I love eating fresh strawberries in the summer.",
    "Bazel builds software reproducibly and caches every step.",
    "Café au lait, crème brûlée and a naïve résumé.",
    "東京は日本の首都です。",
    "Emoji are tokens too 🙂🚀",
    "Numbers like 3.14159 and 2,718 appear in text.",
    "   leading and trailing spaces   ",
    "UPPER CASE AND lower case are the same for an uncased model.",
    "Short.",
    "",
    "The weather forecast says it will rain tomorrow afternoon, so bring an umbrella.",
    "She finished the marathon in under four hours, a personal best.",
    "Quantum computers use qubits that can be in superposition.",
    " ".join(["This sentence repeats to become longer than the program's context."] * 30),
]


def _eager(texts):
    import transformers
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(os.path.join(CHECKPOINT, "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(256)  # the program's max_seq_len, as sentence-transformers truncates
    model = transformers.AutoModel.from_pretrained(CHECKPOINT, local_files_only=True).eval()
    out = []
    with torch.no_grad():
        for text in texts:
            enc = tokenizer.encode(text)
            ids, mask = torch.tensor([enc.ids]), torch.tensor([enc.attention_mask])
            hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
            pooled = (hidden * mask[..., None]).sum(1) / mask.sum()
            out.append(torch.nn.functional.normalize(pooled, dim=-1)[0].numpy())
    return np.stack(out)


def test_embeddings_match_eager_sentence_embeddings(tmp_path):
    lines = tmp_path / "sentences.txt"
    lines.write_text("\n".join(SENTENCES) + "\n", encoding="utf-8")
    result = json.loads(subprocess.run([RUNNER, "--input", str(lines), "--json"], capture_output=True, text=True,
                                       check=True).stdout)
    got = np.array(result["embeddings"], dtype=np.float64)
    expected = _eager(SENTENCES).astype(np.float64)
    assert got.shape == expected.shape == (20, 384)
    cosine = (got * expected).sum(1) / np.linalg.norm(got, axis=1) / np.linalg.norm(expected, axis=1)
    for text, c in zip(SENTENCES, cosine):
        print(f"{c:.7f}  {text[:60]!r}")
    print(f"texts/s: {result['stats']['texts_per_s']:.1f}, truncated: {result['truncated']}")
    assert result["truncated"] == 1
    assert cosine.min() >= MIN_COSINE
    # and the embeddings carry meaning: the two France sentences are each other's nearest
    sims = got @ got.T
    np.fill_diagonal(sims, -1)
    assert sims[1].argmax() == 2


def test_one_text_on_the_command_line():
    out = subprocess.run([RUNNER, "--text", "hello world"], capture_output=True, text=True, check=True).stdout
    vector = np.array(out.split(), dtype=np.float64)
    assert vector.shape == (384,)
    assert abs(np.linalg.norm(vector) - 1) < 1e-4
