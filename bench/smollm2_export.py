"""Export benchmark on SmolLM2-135M-Instruct: our exporter vs `optimum-cli export executorch`,
same model, same recipe (xnnpack, 8da4w linear group 32, 8-bit embedding, max_seq_len 512),
one after the other in one run: wall time, peak RSS, .pte size.

optimum-cli needs its own environment (it pins another transformers) and cannot read GGUF, so
it exports a Hugging Face directory made here from the same GGUF weights (a plain
LlamaForCausalLM with the dequantized state dict, no quantization_config).

Usage: bazel run //bench:smollm2_export -- --optimum_cli /path/to/venv/bin/optimum-cli [--skip_ours]
       [--keep DIR]   (keep the programs, e.g. optimum's DIR/optimum/model.pte as the decode anchor)
"""
import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time

GGUF = "external/smollm2_135m_instruct/SmolLM2-135M-Instruct.Q4_1.gguf"
MAX_SEQ_LEN = 512

DEQUANTIZE = r"""
import json, os, sys, torch, transformers
gguf, out = sys.argv[1], sys.argv[2]
d, f = os.path.split(gguf)
model = transformers.AutoModelForCausalLM.from_pretrained(d, gguf_file=f, torch_dtype=torch.float32)
plain = transformers.LlamaForCausalLM(model.config)
plain.load_state_dict(model.state_dict())
plain.save_pretrained(out)
transformers.AutoTokenizer.from_pretrained(d, gguf_file=f).save_pretrained(out)
config = json.load(open(os.path.join(out, "config.json")))
config.pop("quantization_config", None)
json.dump(config, open(os.path.join(out, "config.json"), "w"), indent=2)
"""


def run(cmd, **kwargs):
    """Wall seconds and peak RSS (MB) of a command; exits with its output when it fails."""
    # output to a file, not a pipe: nobody reads a pipe while wait4 waits, and a full one blocks
    # the command (optimum-cli's progress bars fill it)
    with tempfile.TemporaryFile("w+") as log:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, text=True, **kwargs)
        _, status, usage = os.wait4(proc.pid, 0)
        log.seek(0)
        out = log.read()
    if status != 0:
        sys.exit(f"{cmd[0]} failed:\n{out[-3000:]}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--optimum_cli", help="optimum-cli of an environment with optimum-executorch 1.1.0")
    p.add_argument("--skip_ours", action="store_true")
    p.add_argument("--keep", help="write the programs (and the HF directory) here instead of a temporary directory")
    args = p.parse_args()
    gguf = os.path.abspath(GGUF)
    rows = {}
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
    with (contextlib.nullcontext(os.path.abspath(args.keep)) if args.keep else tempfile.TemporaryDirectory()) as tmp:
        if not args.skip_ours:
            pte = os.path.join(tmp, "ours.pte")
            seconds, rss = run([sys.executable, "-m", "zoo.export", "--gguf", gguf, "--qlinear", "8da4w", "--qlinear_group_size", "32",
                                "--qembedding", "8w", "--max_seq_len", str(MAX_SEQ_LEN), "-o", pte, "--quiet"])
            rows["ours: zoo.export (GGUF in, imports included)"] = (seconds, rss, os.path.getsize(pte))
        if args.optimum_cli:
            hf = os.path.join(tmp, "hf")
            run([sys.executable, "-c", DEQUANTIZE, gguf, hf])
            out = os.path.join(tmp, "optimum")
            seconds, rss = run([args.optimum_cli, "export", "executorch", "--model", hf, "--task", "text-generation", "--recipe",
                                "xnnpack", "--use_custom_sdpa", "--use_custom_kv_cache", "--qlinear", "8da4w",
                                "--qlinear_group_size", "32", "--qembedding", "8w", "--max_seq_len", str(MAX_SEQ_LEN),
                                "--output_dir", out])
            rows["optimum-cli export executorch 1.1.0 (HF dir in)"] = (seconds, rss, os.path.getsize(os.path.join(out, "model.pte")))
    anchor = next((v[0] for k, v in rows.items() if k.startswith("optimum")), None)
    print(f"SmolLM2-135M-Instruct, xnnpack, 8da4w g32 + 8w embedding, max_seq_len {MAX_SEQ_LEN}; one run each, one after the other")
    print(f"{'export':<50}{'seconds':>9}{'vs optimum':>12}{'peak RSS MB':>13}{'.pte MB':>9}")
    for name, (seconds, rss, size) in rows.items():
        ratio = f"{seconds / anchor:.2f}" if anchor else "-"
        print(f"{name:<50}{seconds:>9.0f}{ratio:>12}{rss:>13.0f}{size / 1e6:>9.1f}")


if __name__ == "__main__":
    main()
