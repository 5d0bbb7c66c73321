"""Export benchmark: the tiny Llama through Bazel vs the same export called directly in Python
(and vs `optimum-cli export executorch` when an environment with it is given).

Measured in one run on this machine:
  direct   `python -m zoo.export ...` (the exporter, imports included) in a subprocess
  bazel    `bazel build //zoo:llama_pte` in a copy of the workspace after changing only the
           model's config, so exactly one export action runs (cold export through Bazel)
  no-op    the same `bazel build` again (nothing to do)
  optimum  `optimum-cli export executorch` on the same checkpoint (saved as an HF directory),
           same recipe, when --optimum_cli is given (it needs its own transformers)

Usage: bazel run //bench:export -- [--repeats 3] [--optimum_cli /path/to/venv/bin/optimum-cli]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tests.nested_bazel import NestedBazel, bazel_binary  # noqa: E402


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workspace", default=os.environ.get("BUILD_WORKSPACE_DIRECTORY", os.getcwd()))
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--optimum_cli", help="optimum-cli of an environment with optimum-executorch")
    args = p.parse_args()
    workspace = os.path.abspath(args.workspace)
    python_repo = subprocess.run([bazel_binary(), "info", "output_base"], cwd=workspace, capture_output=True,
                                 text=True, check=True).stdout.strip() + "/external/rules_executorch_python"
    python = os.path.join(python_repo, "bin", "python3")

    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "ws")
        shutil.copytree(workspace, copy, symlinks=True, ignore=shutil.ignore_patterns("bazel-*", ".git", "__pycache__"))
        bazel = NestedBazel(copy, os.path.join(tmp, "ob"), python_repo)
        bazel.run("build", "//zoo:llama_pte", "//zoo:tiny_bytelevel_tokenizer")  # warm: analysis, tokenizer
        tokenizer = bazel.output_file("zoo/tiny_bytelevel_tokenizer.json")
        config = os.path.join(copy, "zoo", "configs", "llama.json")
        text = open(config).read()

        def direct():
            subprocess.run([python, "-m", "zoo.export", "--quiet", "--zoo_config", config, "--tokenizer", tokenizer,
                            "--recipe", "xnnpack", "--max_seq_len", "128", "--output", os.path.join(tmp, "direct.pte")],
                           cwd=copy, env=dict(os.environ, PYTHONPATH=copy, PYTHONSAFEPATH="1"), check=True)

        def bazel_cold(seed):
            def build():
                with open(config, "w") as f:
                    f.write(text.replace('"seed": 0', f'"seed": {seed}'))
                _, ran = bazel.run("build", "//zoo:llama_pte")
                assert ran.count("ExecuTorchExport") == 1, ran
            return build

        direct_s = [timed(direct) for _ in range(args.repeats)]
        bazel_s = [timed(bazel_cold(seed)) for seed in range(1, args.repeats + 1)]
        noop_s = [timed(lambda: bazel.run("build", "//zoo:llama_pte")) for _ in range(args.repeats)]
        # a client-server no-op, as a user sees it (the runs above use --batch: JVM start included)
        server = [bazel_binary(), f"--output_base={os.path.join(tmp, 'ob2')}", "build", "//zoo:llama_pte",
                  f"--override_repository=rules_executorch_python={python_repo}", "--symlink_prefix=/"]
        subprocess.run(server, cwd=copy, capture_output=True, check=True)
        server_noop_s = [timed(lambda: subprocess.run(server, cwd=copy, capture_output=True, check=True)) for _ in range(args.repeats)]
        subprocess.run([bazel_binary(), f"--output_base={os.path.join(tmp, 'ob2')}", "shutdown"], cwd=copy, capture_output=True)

        optimum_s = None
        if args.optimum_cli:
            hf_dir = os.path.join(tmp, "hf_llama")
            subprocess.run([python, "-c", (
                "import sys; from zoo.sources import build_zoo_model, read_zoo_config;"
                "m = build_zoo_model(read_zoo_config(sys.argv[1])); m.save_pretrained(sys.argv[2])"), config, hf_dir],
                cwd=copy, env=dict(os.environ, PYTHONPATH=copy), check=True)
            shutil.copy(tokenizer, os.path.join(hf_dir, "tokenizer.json"))

            def optimum():
                subprocess.run([args.optimum_cli, "export", "executorch", "--model", hf_dir, "--task", "text-generation",
                                "--recipe", "xnnpack", "--max_seq_len", "128", "--output_dir", os.path.join(tmp, "optimum")],
                               check=True, capture_output=True, env=dict(os.environ, HF_HUB_OFFLINE="1"))
            optimum_s = [timed(optimum) for _ in range(args.repeats)]

    med = statistics.median
    print(f"tiny Llama (h64, 2 layers), xnnpack, max_seq_len 128; median of {args.repeats}; 2-core machine")
    print(f"{'export':<42}{'seconds':>10}{'vs direct':>12}")
    print(f"{'direct python -m zoo.export':<42}{med(direct_s):>10.2f}{1.0:>12.3f}")
    print(f"{'bazel build, one export action (--batch)':<42}{med(bazel_s):>10.2f}{med(bazel_s) / med(direct_s):>12.3f}")
    print(f"{'bazel build, no-op (--batch, JVM start)':<42}{med(noop_s):>10.2f}")
    print(f"{'bazel build, no-op (server running)':<42}{med(server_noop_s):>10.2f}")
    if optimum_s:
        print(f"{'optimum-cli export executorch':<42}{med(optimum_s):>10.2f}{med(optimum_s) / med(direct_s):>12.3f}")
    else:
        print("optimum-cli: not measured (pass --optimum_cli from an environment with optimum-executorch)")


if __name__ == "__main__":
    main()
