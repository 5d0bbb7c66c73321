"""executorch_model_test: runs a C++ runner on its model and compares with the eager
reference the exporter recorded (<model>.reference.npz)."""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np


def _files(paths, suffix):
    found = [p for p in paths if p.endswith(suffix)]
    return found[0] if found else None


def _run(cmd, wrapper):
    full = (wrapper.split() if wrapper else []) + cmd
    proc = subprocess.run(full, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"FAIL: {' '.join(full)} exited {proc.returncode}:\n{proc.stderr[-4000:]}")
    return proc


def check_llm(runner, ref, manifest, tolerance, wrapper, tmp):
    prompt = ",".join(str(int(t)) for t in ref["prompt_ids"])
    expected = [int(t) for t in ref["tokens"]]
    logits_file = os.path.join(tmp, "logits.npy")
    proc = _run([runner, "--prompt_ids", prompt, "--max_new_tokens", str(len(expected)), "--json",
                 "--dump_logits", logits_file], wrapper)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    got = result["generated_tokens"]
    logits = np.load(logits_file)
    diff = float(np.abs(logits - ref["logits"]).max())
    limit = tolerance if tolerance is not None else (1e-4 if not manifest["quantization"] and manifest["settings"]["dtype"] == "float32" else 5e-2 * float(np.ptp(ref["logits"])))
    print(f"prompt {prompt}\nexpected tokens {expected}\nrunner tokens   {got}\nmax |logits diff| {diff:.3g} (limit {limit:.3g})")
    if diff > limit:
        sys.exit(f"FAIL: logits differ from eager by {diff}")
    if manifest["quantization"] or manifest["settings"]["dtype"] != "float32":
        # the eager reference emulates the quantized kernels; close logits are the check, and
        # greedy paths of a model with nearly tied logits (random weights) may part ways
        agree = sum(a == b for a, b in zip(got, expected))
        print(f"quantized or reduced precision: {agree}/{len(expected)} greedy tokens agree with eager")
    elif got != expected:
        sys.exit("FAIL: greedy tokens differ from eager")
    print(f"decode {result['stats']['decode_tokens_per_s']} tok/s")


def check_method(runner, ref, manifest, tolerance, wrapper, tmp):
    inputs = sorted((k for k in ref.files if k.startswith("input_")), key=lambda k: int(k.split("_")[1]))
    files = []
    for name in inputs:
        path = os.path.join(tmp, name + ".npy")
        np.save(path, ref[name])
        files.append(path)
    _run([runner, "--inputs", ",".join(files), "--output_dir", tmp, "--json"], wrapper)
    limit = tolerance if tolerance is not None else (1e-4 if not manifest["quantization"] and manifest["settings"]["dtype"] == "float32" else None)
    outputs = sorted((k for k in ref.files if k.startswith("output_")), key=lambda k: int(k.split("_")[1]))
    for name in outputs:
        got = np.load(os.path.join(tmp, name + ".npy")).astype(np.float32)
        want = ref[name]
        if got.shape != want.shape:
            sys.exit(f"FAIL: {name} has shape {got.shape}, eager {want.shape}")
        diff = float(np.abs(got - want).max())
        bound = limit if limit is not None else 5e-2 * float(np.ptp(want) or 1.0)
        print(f"{name}: max |diff| {diff:.3g} (limit {bound:.3g})")
        if diff > bound:
            sys.exit(f"FAIL: {name} differs from eager by {diff}")


def _printed(stdout, tag):
    """Tensors a firmware printed as `<tag> <index> [d0,d1] v0 v1 ...`, by index."""
    out = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] == tag:
            shape = [int(d) for d in parts[2].strip("[]").split(",") if d]
            out[int(parts[1])] = np.array([float(v) for v in parts[3:]], dtype=np.float32).reshape(shape)
    return out


def check_firmware(runner, ref, manifest, tolerance, wrapper):
    """executorch_firmware prints its outputs (or, for text generation, the logits after the
    prompt and the greedy tokens); compare them with eager."""
    proc = _run([runner], wrapper)
    print(proc.stdout[-2000:] if len(proc.stdout) < 2000 else "\n".join(l[:200] for l in proc.stdout.splitlines()))
    limit = tolerance if tolerance is not None else 1e-4
    if manifest["task"] == "text-generation":
        token_lines = [l.split()[1:] for l in proc.stdout.splitlines() if l.startswith("tokens")]
        got = [int(t) for l in token_lines for t in l]
        expected = [int(t) for t in ref["tokens"]]
        logits = _printed(proc.stdout, "logits").get(0)
        if logits is None:
            sys.exit("FAIL: the firmware printed no logits")
        diff = float(np.abs(logits.reshape(-1) - ref["logits"].reshape(-1)).max())
        print(f"expected tokens {expected}\nfirmware tokens {got}\nmax |logits diff| {diff:.3g} (limit {limit:.3g})")
        if diff > limit:
            sys.exit(f"FAIL: logits differ from eager by {diff}")
        if got != expected:
            sys.exit("FAIL: greedy tokens differ from eager")
        return
    printed = _printed(proc.stdout, "output")
    outputs = sorted((k for k in ref.files if k.startswith("output_")), key=lambda k: int(k.split("_")[1]))
    for name in outputs:
        got = printed.get(int(name.split("_")[1]))
        want = ref[name]
        if got is None or got.shape != want.shape:
            sys.exit(f"FAIL: {name} printed as {None if got is None else got.shape}, eager {want.shape}")
        diff = float(np.abs(got - want).max())
        print(f"{name}: max |diff| {diff:.3g} (limit {limit:.3g})")
        if diff > limit:
            sys.exit(f"FAIL: {name} differs from eager by {diff}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--runner", required=True)
    p.add_argument("--model_files", nargs="+", required=True)
    p.add_argument("--tolerance", type=float)
    p.add_argument("--firmware", action="store_true", help="the runner is an executorch_firmware (no flags, printed outputs)")
    p.add_argument("--wrapper", default=os.environ.get("EXECUTORCH_RUNNER_WRAPPER", ""),
                   help="command to run the runner under (e.g. qemu-aarch64 for cross-built runners)")
    args = p.parse_args()
    manifest_path = [f for f in args.model_files if f.endswith(".json") and not f.endswith(".tokenizer.json")][0]
    with open(manifest_path, encoding="utf-8") as f:
        manifest = json.load(f)
    ref = np.load(manifest_path[: -len(".json")] + ".reference.npz")
    with tempfile.TemporaryDirectory(dir=os.environ.get("TEST_TMPDIR")) as tmp:
        if args.firmware:
            check_firmware(args.runner, ref, manifest, args.tolerance, args.wrapper)
        elif manifest["task"] == "text-generation":
            check_llm(args.runner, ref, manifest, args.tolerance, args.wrapper, tmp)
        else:
            check_method(args.runner, ref, manifest, args.tolerance, args.wrapper, tmp)
    print("PASS")


if __name__ == "__main__":
    main()
