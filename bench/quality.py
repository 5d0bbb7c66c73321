"""Quantized vs fp32 programs of one model, scored by our C++ runner on a fixed text
(zoo/data/eval.txt): perplexity ratio, teacher-forced top-1 agreement, and stored size
(.pte plus its .ptd data file), against --size_anchor (e.g. optimum-cli's .pte) when given.

    bazel run //bench:quality -- --reference zoo/smollm2_135m_pte --candidates zoo/smollm2_135m_8da4w_pte,...

Each program is named by its output path without extension (<path>.pte, <path>.ptd when it
has one, <path>.tokenizer.json)."""
import argparse
import json
import os
import subprocess
import sys

TEXT = "zoo/data/eval.txt"
RUNNER = "runtime/llm_runner"


def _resolve(path):
    """Paths work from the runfiles tree (tests, bazel run) or the workspace (bazel-bin)."""
    for root in ("", "bazel-bin/"):
        if os.path.exists(root + path):
            return root + path
    return path


def score(program: str, text: str = TEXT) -> dict:
    """Scores `text` with <program>.pte; returns the runner's JSON."""
    out = subprocess.run(
        [_resolve(RUNNER), "--model", _resolve(program + ".pte"), "--tokenizer", _resolve(program + ".tokenizer.json"),
         "--perplexity", _resolve(text)],
        capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"scoring {program} failed: {out.stderr.strip()}")
    return json.loads(out.stdout)


def stored_bytes(program: str) -> int:
    """Bytes a program needs on the device: its .pte and, when it has one, its .ptd."""
    files = [_resolve(program + ".pte"), _resolve(program + ".ptd")]
    return sum(os.path.getsize(f) for f in files if os.path.exists(f))


def compare(reference: dict, candidate: dict) -> dict:
    if reference["token_ids"] != candidate["token_ids"]:
        raise ValueError("the two programs tokenized the text differently; compare programs of the same model")
    same = sum(a == b for a, b in zip(reference["argmax"], candidate["argmax"]))
    return {
        "perplexity": candidate["perplexity"],
        "perplexity_ratio": candidate["perplexity"] / reference["perplexity"],
        "top1_agreement": same / len(reference["argmax"]),
        "tokens_per_s": candidate["tokens_per_s"],
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reference", required=True, help="the fp32 program (path without .pte)")
    p.add_argument("--candidates", required=True, help="comma-separated quantized programs")
    p.add_argument("--size_anchor", help="a .pte (e.g. optimum-cli's of the same model) to give sizes as ratios of")
    args = p.parse_args(argv)
    if os.environ.get("BUILD_WORKSPACE_DIRECTORY"):
        os.chdir(os.environ["BUILD_WORKSPACE_DIRECTORY"])
    anchor = os.path.getsize(args.size_anchor) if args.size_anchor else None

    def size(program):
        n = stored_bytes(program)
        return f"{n / 1e6:8.1f}" + (f" {n / anchor:6.3f}" if anchor else "")

    ref = score(args.reference)
    print(f"text: {TEXT}, {ref['scored_tokens']} tokens scored one at a time")
    if anchor:
        print(f"size anchor: {args.size_anchor}, {anchor / 1e6:.1f} MB")
    print(f"{'program':40s} {'perplexity':>10s} {'ratio':>6s} {'top-1 agree':>11s} {'tok/s':>7s} {'MB':>8s}"
          + (f" {'vs anchor':>6s}" if anchor else ""))
    print(f"{args.reference:40s} {ref['perplexity']:10.3f} {1.0:6.3f} {1.0:11.3f} {ref['tokens_per_s']:7.1f} {size(args.reference)}")
    for name in args.candidates.split(","):
        c = compare(ref, score(name))
        print(f"{name:40s} {c['perplexity']:10.3f} {c['perplexity_ratio']:6.3f} {c['top1_agreement']:11.3f} "
              f"{c['tokens_per_s']:7.1f} {size(name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
