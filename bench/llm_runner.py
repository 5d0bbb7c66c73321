"""LLM runner benchmark: our C++ runner (also without its huge-page malloc, and re-planning XNNPACK's
delegates on every call) vs ExecuTorch's TextLLMRunner (the wheel's Python binding) vs a Python
loop over the ExecuTorch runtime vs Hugging Face eager (1 and 2 threads), on the same .pte, same
prompt, greedy, in one run. Each contender runs in its own process (peak RSS is that process's).

Usage: bazel run -c opt //bench:llm_runner -- [--model zoo/llama_pte] [--new_tokens 100] [--repeats 3]
       bazel run -c opt //bench:smollm2_decode -- --anchor_pte /path/to/optimum/model.pte
(--anchor_pte: another program of the same model, e.g. optimum-cli's, run in TextLLMRunner; the
ratios are then against it. --read_bandwidth: the read_bandwidth tool, run before and after the
contenders; each contender's decode rate is then also given as a share of the memory-bandwidth
bound: the machine's read bandwidth over the bytes of weights the recipe makes a decode step
read. --method_runner: the method_runner tool; adds a contender that is not a model: the
recipe's weight products alone (bench/products_floor.py), one call per step, the floor of a
step that reads those weights through XNNPACK.)
"""
import argparse
import importlib.util
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time

PROMPT = "Once upon a time"
OURS = "ours: C++ llm_runner"
FLOOR = "XNNPACK products alone"

TEXT_LLM_RUNNER = r"""
import json, sys, time
from executorch.extension.llm.runner import GenerationConfig, TextLLMRunner
import executorch.kernels.quantized  # noqa: F401  (quantized_decomposed::embedding_byte etc.)
try:  # optimum-cli's programs call ExecuTorch's custom LLM ops (llama::custom_sdpa, update_cache)
    import executorch.extension.llm.custom_ops.custom_ops  # noqa: F401
except Exception:
    pass
pte, tok, prompt, n, ptd = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
runner = TextLLMRunner(pte, tok, ptd) if ptd else TextLLMRunner(pte, tok)
stats = {}
def on_stats(s):
    stats.update(json.loads(s.to_json_string()))
# no token callback: the binding turns each piece into a str and a partial UTF-8 token raises
runner.generate(prompt, GenerationConfig(echo=False, max_new_tokens=n, temperature=0.0), None, on_stats)
# generated_tokens counts the tokens of the decode loop only (max_new_tokens - 1; the first
# comes from prefill), each one forward call between first_token_ms and inference_end_ms
gen = stats["generated_tokens"]
decode_ms = stats["inference_end_ms"] - stats["first_token_ms"]
prefill_ms = stats["prompt_eval_end_ms"] - stats["inference_start_ms"]
print(json.dumps({"decode_tokens_per_s": gen * 1000.0 / max(decode_ms, 1e-9),
                  "prefill_tokens_per_s": stats["prompt_tokens"] * 1000.0 / max(prefill_ms, 1e-9),
                  "time_to_first_token_ms": stats["first_token_ms"] - stats["inference_start_ms"],
                  "generated": gen}))
"""

PYTHON_LOOP = r"""
import json, sys, time
import torch
import executorch.kernels.quantized  # noqa
from executorch.runtime import Runtime
from tokenizers import Tokenizer
pte, tok, prompt, n, bos, ptd = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
ids = ([bos] if bos >= 0 else []) + Tokenizer.from_file(tok).encode(prompt).ids
program = Runtime.get().load_program(open(pte, "rb").read(), data_path=ptd or None)
forward = program.load_method("forward")
t0 = time.perf_counter()
logits = forward.execute([torch.tensor([ids]), torch.arange(len(ids))])[0]
token = int(logits[0, -1].argmax())
t1 = time.perf_counter()
pos = len(ids)
for _ in range(n - 1):
    logits = forward.execute([torch.tensor([[token]]), torch.tensor([pos])])[0]
    token = int(logits[0, -1].argmax())
    pos += 1
t2 = time.perf_counter()
print(json.dumps({"decode_tokens_per_s": (n - 1) / (t2 - t1), "prefill_tokens_per_s": len(ids) / (t1 - t0),
                  "time_to_first_token_ms": (t1 - t0) * 1000, "generated": n}))
"""

HF_EAGER = r"""
import json, sys, time
import torch
threads = int(sys.argv[5])
torch.set_num_threads(threads)
from tokenizers import Tokenizer
config, tok, prompt, n, bos = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[6])
if config.endswith(".gguf"):
    import os, transformers
    model = transformers.AutoModelForCausalLM.from_pretrained(os.path.dirname(config), gguf_file=os.path.basename(config),
                                                              torch_dtype=torch.float32, local_files_only=True).eval()
else:
    from zoo.sources import build_zoo_model, read_zoo_config
    model = build_zoo_model(read_zoo_config(config))
ids = ([bos] if bos >= 0 else []) + Tokenizer.from_file(tok).encode(prompt).ids
with torch.no_grad():
    t0 = time.perf_counter()
    out = model(input_ids=torch.tensor([ids]), use_cache=True)
    past, token = out.past_key_values, int(out.logits[0, -1].argmax())
    t1 = time.perf_counter()
    for _ in range(n - 1):
        out = model(input_ids=torch.tensor([[token]]), past_key_values=past, use_cache=True)
        past, token = out.past_key_values, int(out.logits[0, -1].argmax())
    t2 = time.perf_counter()
print(json.dumps({"decode_tokens_per_s": (n - 1) / (t2 - t1), "prefill_tokens_per_s": len(ids) / (t1 - t0),
                  "time_to_first_token_ms": (t1 - t0) * 1000, "generated": n}))
"""


def recipe_weight_bytes(config, settings) -> float:
    """Bytes of weights one decode step reads with a program's recipe, whatever else the program
    adds: every linear layer's weights, the output projection's included, as the scheme stores
    them (4-bit values with a bfloat16 scale per group, as XNNPACK keeps them; 8-bit values with
    a float32 scale per row; otherwise the program's float type). The embedding is read a row
    at a time and is not counted. `config` is a .gguf file or a zoo config; the model is built
    on the meta device."""
    import torch

    from bench import products_floor

    with torch.device("meta"):
        model = products_floor.model_from_config(config)
    output = model.get_output_embeddings()

    def bits(scheme, in_features):
        group = settings.get("qlinear_group_size") or 0
        if scheme == "8da4w":
            return 4 + (16 / group if group else 32 / in_features)
        if scheme == "8da8w":
            return 8 + 32 / in_features
        return 16 if settings.get("dtype") in ("float16", "bfloat16") else 32

    total = 0.0
    for module in model.modules():
        if isinstance(module, torch.nn.Linear):
            scheme = (settings.get("qoutput") or settings.get("qlinear")) if module is output else settings.get("qlinear")
            total += module.weight.numel() * bits(scheme, module.in_features) / 8
    return total


def read_bandwidth(tool) -> dict:
    """{threads: GB/s} from the read_bandwidth tool."""
    out = subprocess.run([tool], capture_output=True, text=True, check=True).stdout
    return {int(k): v for k, v in json.loads(out)["read_gb_per_s"].items()}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="zoo/llama_pte", help="runfiles stem of an executorch_model (text generation)")
    p.add_argument("--config", default="zoo/configs/llama.json", help="zoo config or .gguf file for the HF eager anchor")
    p.add_argument("--anchor_pte", help="another .pte of the same model (e.g. optimum-cli's) to run in TextLLMRunner")
    p.add_argument("--new_tokens", type=int, default=100)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--read_bandwidth", help="the read_bandwidth tool: also rate each contender against the bandwidth bound")
    p.add_argument("--method_runner", help="the method_runner tool: also time the weight products alone")
    args = p.parse_args()
    for flag, tool in (("--read_bandwidth", args.read_bandwidth), ("--method_runner", args.method_runner)):
        if tool and not os.access(tool, os.X_OK):
            sys.exit(f"llm_runner: {flag} {tool} is not an executable file; pass the tool's path (bazel run sets it)")
    pte, tok = os.path.abspath(args.model + ".pte"), os.path.abspath(args.model + ".tokenizer.json")
    ptd = os.path.abspath(args.model + ".ptd") if os.path.exists(args.model + ".ptd") else ""  # its data file, if any
    manifest = json.load(open(args.model + ".json"))
    bos = manifest["metadata"]["get_bos_id"]
    n = min(args.new_tokens, manifest["metadata"]["get_max_context_len"] - 8)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(os.path.abspath(x) for x in sys.path if x))
    python = sys.executable
    ours = [os.path.abspath("runtime/llm_runner"), "--model", pte, "--tokenizer", tok, "--prompt", PROMPT,
            "--max_new_tokens", str(n), "--json", "--bos", "false"]
    contenders = {
        OURS: ours,
        # the same without the runners' huge-page malloc (see the README's executorch_runner)
        "ours, --huge_pages=false": ours + ["--huge_pages=false"],
        # the same re-planning XNNPACK's delegates on every call, as ExecuTorch does
        "ours, --reuse_xnnpack_plans=false": ours + ["--reuse_xnnpack_plans=false"],
        "ExecuTorch TextLLMRunner (wheel)": [python, "-c", TEXT_LLM_RUNNER, pte, tok, PROMPT, str(n), ptd],
        **({"TextLLMRunner on --anchor_pte": [python, "-c", TEXT_LLM_RUNNER, os.path.abspath(args.anchor_pte), tok, PROMPT,
                                              str(n), ""]} if args.anchor_pte else {}),
        "Python loop, ExecuTorch runtime": [python, "-c", PYTHON_LOOP, pte, tok, PROMPT, str(n), "-1", ptd],
        "HF eager, 1 thread": [python, "-c", HF_EAGER, os.path.abspath(args.config), tok, PROMPT, str(n), "1", "-1"],
        "HF eager, 2 threads": [python, "-c", HF_EAGER, os.path.abspath(args.config), tok, PROMPT, str(n), "2", "-1"],
    }
    if args.method_runner:
        # built in a process of its own, and the module found without importing it (torch): a
        # child's peak RSS counts the parent's at fork
        floor = os.path.join(tempfile.mkdtemp(), "products.pte")
        script = importlib.util.find_spec("bench.products_floor").origin
        made = subprocess.run([python, script, os.path.abspath(args.config), json.dumps(manifest["settings"]), floor],
                              capture_output=True, text=True, env=env)
        if made.returncode != 0:
            sys.exit(f"the products-alone program failed to build:\n{made.stderr[-3000:]}")
        count = made.stdout.split()[-1]
        print(f"products alone: {count} products of the recipe's weights in one XNNPACK program, {n} calls")
        contenders[FLOOR] = [os.path.abspath(args.method_runner), "--model", floor, "--iterations", str(n), "--json",
                             "--huge_pages"]
    # repeats round-robin over the contenders, so a slow spell of this shared machine hits them
    # alike instead of one contender's whole series; each round starts one contender later, so
    # none always runs right after another's (HF eager's 1.2 GB process slows what follows it)
    bandwidths = [read_bandwidth(args.read_bandwidth)] if args.read_bandwidth else []
    runs = {name: [] for name in contenders}
    names = list(contenders)
    for round_ in range(args.repeats):
        for name in names[round_ % len(names):] + names[:round_ % len(names)]:
            cmd = contenders[name]
            start = time.perf_counter()
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
            _, status, usage = os.wait4(proc.pid, 0)
            out = proc.stdout.read()
            err = proc.stderr.read()
            if status != 0:
                sys.exit(f"{name} failed:\n{err[-3000:]}")
            line = [l for l in out.splitlines() if l.startswith("{")][-1]
            stats = json.loads(line)
            stats = stats.get("stats", stats)
            if "latency_ms" in stats:  # method_runner: one call is one step
                stats = {"decode_tokens_per_s": 1000.0 / stats["latency_ms"]["p50"], "prefill_tokens_per_s": math.nan,
                         "time_to_first_token_ms": math.nan}
            stats["rss_mb"] = usage.ru_maxrss / 1024
            stats["wall_s"] = time.perf_counter() - start
            runs[name].append(stats)
    if args.read_bandwidth:
        bandwidths.append(read_bandwidth(args.read_bandwidth))
    keys = ("decode_tokens_per_s", "prefill_tokens_per_s", "time_to_first_token_ms", "rss_mb", "wall_s")
    results = {name: {k: statistics.median(r[k] for r in series) for k in keys} for name, series in runs.items()}
    anchor_name = "TextLLMRunner on --anchor_pte" if args.anchor_pte else "ExecuTorch TextLLMRunner (wheel)"
    anchor = results[anchor_name]["decode_tokens_per_s"]
    print(f"ratios are against: {anchor_name}")
    print(f"{args.model}.pte: {manifest['pte']['size_bytes'] / 1e6:.1f} MB, prompt {PROMPT!r} (no BOS), {n} new tokens, greedy; "
          f"median of {args.repeats}, interleaved; each in its own process")
    bound = None
    if bandwidths:
        weight_bytes = recipe_weight_bytes(os.path.abspath(args.config), manifest["settings"])
        best = {t: max(b[t] for b in bandwidths) for t in bandwidths[0]}
        bound = max(best.values()) * 1e9 / weight_bytes
        print("memory read bandwidth (best of the runs before and after): "
              + ", ".join(f"{t} thread{'s' * (t > 1)} {gbps:.1f} GB/s" for t, gbps in best.items())
              + f"; the recipe's weights: {weight_bytes / 1e6:.1f} MB per step, so at most {bound:.0f} tok/s")
    print(f"{'contender':<36}{'decode tok/s':>14}{'vs TLR':>8}{'of bound':>10}{'prefill tok/s':>15}{'TTFT ms':>10}"
          f"{'peak RSS MB':>13}")
    for name, r in results.items():
        share = f"{r['decode_tokens_per_s'] / bound:.0%}" if bound else "-"
        print(f"{name:<36}{r['decode_tokens_per_s']:>14.1f}{r['decode_tokens_per_s'] / anchor:>8.2f}{share:>10}"
              f"{_number(r['prefill_tokens_per_s']):>15}{_number(r['time_to_first_token_ms']):>10}{r['rss_mb']:>13.0f}")
    # the same ratio round by round: the contenders of one round ran minutes apart at most, so a
    # slow spell of the machine shows in both sides of a pair
    paired = [mine["decode_tokens_per_s"] / theirs["decode_tokens_per_s"]
              for mine, theirs in zip(runs[OURS], runs[anchor_name])]
    print(f"ours vs {anchor_name}, round by round: median {statistics.median(paired):.2f} "
          f"({min(paired):.2f}-{max(paired):.2f}), ours faster in {sum(r > 1 for r in paired)} of {len(paired)}")
    if FLOOR in results:
        step, products = (1000.0 / results[name]["decode_tokens_per_s"] for name in (OURS, FLOOR))
        print(f"a step of ours takes {step:.2f} ms, its weight products alone {products:.2f} ms: "
              f"{1 - products / step:.0%} of the step is everything else")


def _number(value) -> str:
    return "-" if math.isnan(value) else f"{value:.1f}"


if __name__ == "__main__":
    main()
