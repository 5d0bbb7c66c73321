"""Sentence embeddings with all-MiniLM-L6-v2: our embedding runner (C++ tokenizer + ExecuTorch
program) vs eager transformers (mean pooling + L2 norm, torch at 1 and 2 threads), same texts,
one process each, in one run.

Usage: bazel run //bench:minilm_embed -- [--repeats 3]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

RUNNER = "zoo/minilm_embed"
CHECKPOINT = "external/all_minilm_l6_v2"
TEXTS = [
    "The cat sat on the mat.",
    "Paris is the capital of France.",
    "A man is playing a guitar on stage while the crowd sings along.",
    "Machine learning models can run on small devices without a network connection.",
    "The weather forecast says it will rain tomorrow afternoon, so bring an umbrella.",
] * 40

EAGER = r"""
import json, sys, time, torch
torch.set_num_threads(int(sys.argv[3]))
import transformers
from tokenizers import Tokenizer
checkpoint, texts = sys.argv[1], open(sys.argv[2], encoding="utf-8").read().splitlines()
tok = Tokenizer.from_file(checkpoint + "/tokenizer.json"); tok.no_padding()
model = transformers.AutoModel.from_pretrained(checkpoint, local_files_only=True).eval()
t0 = time.perf_counter()
with torch.no_grad():
    for text in texts:
        enc = tok.encode(text)
        ids, mask = torch.tensor([enc.ids]), torch.tensor([enc.attention_mask])
        hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
        torch.nn.functional.normalize((hidden * mask[..., None]).sum(1) / mask.sum(), dim=-1)
print(json.dumps({"texts_per_s": len(texts) / (time.perf_counter() - t0)}))
"""


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        f.write("\n".join(TEXTS) + "\n")
    ours = [os.path.abspath(RUNNER), "--input", f.name, "--json"]
    contenders = {
        "ours: C++ embed runner": ours,
        "ours, --huge_pages=false": ours + ["--huge_pages=false"],
        "eager transformers, 1 thread": [sys.executable, "-c", EAGER, os.path.abspath(CHECKPOINT), f.name, "1"],
        "eager transformers, 2 threads": [sys.executable, "-c", EAGER, os.path.abspath(CHECKPOINT), f.name, "2"],
    }
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(os.path.abspath(x) for x in sys.path if x))
    results = {}
    for name, cmd in contenders.items():
        runs = []
        for _ in range(args.repeats):
            out = subprocess.run(cmd, capture_output=True, text=True, env=env)
            if out.returncode != 0:
                sys.exit(f"{name} failed:\n{out.stderr[-3000:]}")
            stats = json.loads([l for l in out.stdout.splitlines() if l.startswith("{")][-1])
            runs.append(stats.get("stats", stats)["texts_per_s"])
        results[name] = statistics.median(runs)
    os.unlink(f.name)
    anchor = results["eager transformers, 1 thread"]
    print(f"{len(TEXTS)} texts (8-17 tokens each), one at a time; median of {args.repeats}; model load excluded")
    print(f"{'contender':<34}{'texts/s':>9}{'vs eager 1 thread':>19}")
    for name, value in results.items():
        print(f"{name:<34}{value:>9.1f}{value / anchor:>19.2f}")


if __name__ == "__main__":
    main()
