"""Method runner benchmark: our C++ method runner vs ExecuTorch's Python runtime
(executorch.runtime) on the same encoder and vision programs, same inputs, in one run.

Usage: bazel run //bench:method_runner -- [--iterations 200]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

import numpy as np

MODELS = ["zoo/bert_pte", "zoo/vit_pte", "zoo/vit_portable_pte"]

PYTHON_RUNTIME = r"""
import json, sys, time
import numpy as np, torch
from executorch.runtime import Runtime
pte, n, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
data = open(pte, "rb").read()
program = Runtime.get().load_program(data)
method = program.load_method("forward")
inputs = [torch.from_numpy(np.load(f)) for f in files]
for _ in range(10):
    method.execute(inputs)
times = []
for _ in range(n):
    t = time.perf_counter(); method.execute(inputs); times.append((time.perf_counter() - t) * 1000)
times.sort()
print(json.dumps({"min": times[0], "p50": times[len(times) // 2], "p90": times[int(len(times) * 0.9)]}))
"""


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--iterations", type=int, default=200)
    args = p.parse_args()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(os.path.abspath(x) for x in sys.path if x))
    print(f"latency per forward, ms (min / p50 / p90 over {args.iterations} runs after 10 warm-up runs), 1 process each")
    print(f"{'program':<24}{'ours (C++)':>24}{'ExecuTorch Python':>24}{'p50 ratio':>11}")
    for stem in MODELS:
        ref = np.load(stem + ".reference.npz")
        with tempfile.TemporaryDirectory() as tmp:
            files = []
            for name in sorted(k for k in ref.files if k.startswith("input_")):
                files.append(os.path.join(tmp, name + ".npy"))
                np.save(files[-1], ref[name])
            ours = json.loads(subprocess.run(
                ["runtime/method_runner", "--model", stem + ".pte", "--inputs", ",".join(files), "--warmup", "10",
                 "--iterations", str(args.iterations), "--json"], capture_output=True, text=True, check=True).stdout)["latency_ms"]
            theirs = json.loads(subprocess.run([sys.executable, "-c", PYTHON_RUNTIME, stem + ".pte", str(args.iterations), *files],
                                               capture_output=True, text=True, check=True, env=env).stdout.strip().splitlines()[-1])
        fmt = lambda r: f"{r['min']:.3f} / {r['p50']:.3f} / {r['p90']:.3f}"
        print(f"{stem:<24}{fmt(ours):>24}{fmt(theirs):>24}{theirs['p50'] / ours['p50']:>10.2f}x")


if __name__ == "__main__":
    main()
