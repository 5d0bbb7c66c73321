"""The runners on programs not made by our exporter, and sampling."""
import json
import os
import platform
import subprocess

import numpy as np
import torch

METHOD_RUNNER = "runtime/method_runner"
LLM = ["runtime/llm_runner", "--model", "zoo/llama_pte.pte", "--tokenizer", "zoo/llama_pte.tokenizer.json"]


class _Mlp(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(6, 16)
        self.fc2 = torch.nn.Linear(16, 3)

    def forward(self, x, scale):
        return self.fc2(torch.relu(self.fc1(x))) * scale, x.sum(dim=-1)


def test_method_runner_runs_a_program_exported_with_plain_executorch(tmp_path):
    """Exported with ExecuTorch's own API (no zoo, no rules): two inputs, two outputs."""
    from executorch.exir import to_edge

    torch.manual_seed(0)
    model = _Mlp().eval()
    inputs = (torch.randn(2, 6), torch.tensor([0.5]))
    program = to_edge(torch.export.export(model, inputs)).to_executorch()
    pte = tmp_path / "mlp.pte"
    pte.write_bytes(program.buffer)
    files = []
    for i, t in enumerate(inputs):
        files.append(str(tmp_path / f"in{i}.npy"))
        np.save(files[-1], t.numpy())

    listing = json.loads(subprocess.run([METHOD_RUNNER, "--model", str(pte), "--list", "--json"], capture_output=True,
                                        text=True, check=True).stdout)
    assert listing["methods"]["forward"]["inputs"] == [{"dtype": "float32", "shape": [2, 6]}, {"dtype": "float32", "shape": [1]}]
    subprocess.run([METHOD_RUNNER, "--model", str(pte), "--inputs", ",".join(files), "--output_dir", str(tmp_path)],
                   check=True, capture_output=True)
    with torch.no_grad():
        expected = model(*inputs)
    for i, want in enumerate(expected):
        got = np.load(tmp_path / f"output_{i}.npy")
        assert np.abs(got - want.numpy()).max() <= 1e-5


def llm_json(*flags, env=None):
    out = subprocess.run(LLM + ["--json", *flags], capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout)


def generate(*flags):
    return llm_json("--max_new_tokens", "24", *flags)["generated_tokens"]


def test_sampling_is_seeded():
    a = generate("--temperature", "1.0", "--top_p", "0.95", "--seed", "7")
    assert a == generate("--temperature", "1.0", "--top_p", "0.95", "--seed", "7")
    others = [generate("--temperature", "1.0", "--top_p", "0.95", "--seed", str(s)) for s in (8, 9, 10)]
    assert any(o != a for o in others)
    greedy = generate()
    assert greedy == generate("--temperature", "0")
    # top_p close to 0 keeps only the most likely token: greedy again
    assert generate("--temperature", "1.0", "--top_p", "0.000001", "--seed", "3") == greedy


def test_sequential_prefill_matches_parallel():
    """A program without dynamic shapes is prefilled token by token and gives the same tokens."""
    parallel = subprocess.run(["runtime/llm_runner", "--model", "zoo/llama_pte.pte", "--tokenizer",
                               "zoo/llama_pte.tokenizer.json", "--json", "--max_new_tokens", "8"],
                              capture_output=True, text=True, check=True)
    sequential = subprocess.run(["runtime/llm_runner", "--model", "zoo/llama_portable_pte.pte", "--tokenizer",
                                 "zoo/llama_portable_pte.tokenizer.json", "--json", "--max_new_tokens", "8"],
                                capture_output=True, text=True, check=True)
    assert json.loads(parallel.stdout)["generated_tokens"] == json.loads(sequential.stdout)["generated_tokens"]


def test_runner_binary_finds_its_model_in_a_tree_a_manifest_or_not_at_all(tmp_path):
    """A runner made by executorch_runner finds its bundled files through RUNFILES_DIR (bazel test/run),
    through a runfiles manifest alone (--nobuild_runfile_links), and otherwise asks for --model."""
    flags = ["--prompt", "Hi", "--max_new_tokens", "4", "--json"]
    env = {k: v for k, v in os.environ.items() if k not in ("RUNFILES_DIR", "TEST_SRCDIR", "RUNFILES_MANIFEST_FILE")}
    tree = subprocess.run(["zoo/llama_chat", *flags], capture_output=True, text=True, check=True)
    want = json.loads(tree.stdout)["generated_tokens"]

    manifest = tmp_path / "MANIFEST"
    manifest.write_text("".join(f"rules_executorch/zoo/{f} {os.path.abspath('zoo/' + f)}\n"
                                for f in ("llama_pte.pte", "llama_pte.tokenizer.json", "llama_pte.json")))
    by_manifest = subprocess.run(["zoo/llama_chat", *flags], capture_output=True, text=True, check=True,
                                 env={**env, "RUNFILES_MANIFEST_FILE": str(manifest)})
    assert json.loads(by_manifest.stdout)["generated_tokens"] == want

    alone = subprocess.run(["zoo/llama_chat", *flags], capture_output=True, text=True, env=env, cwd=tmp_path,
                           executable=os.path.abspath("zoo/llama_chat"))
    assert alone.returncode != 0 and "--model" in alone.stderr


def test_flags_built_into_a_runner_come_before_the_command_line():
    """executorch_runner(flags = ...): the built-in prompt (quotes, a backslash and a tab, escaped
    in the generated source) and length apply, and the command line's values win."""
    runner = "tests/runtime/llama_runner_with_flags"
    built_in = json.loads(subprocess.run([runner, "--json"], capture_output=True, text=True, check=True).stdout)
    plain = llm_json("--prompt", 'He said "hi" \\ then\ttabbed', "--max_new_tokens", "3")
    assert built_in["prompt_tokens"] == plain["prompt_tokens"]
    assert len(built_in["generated_tokens"]) == 3 and built_in["generated_tokens"] == plain["generated_tokens"]
    overridden = json.loads(subprocess.run([runner, "--json", "--max_new_tokens", "5", "--prompt", "Hi"], capture_output=True,
                                           text=True, check=True).stdout)
    assert len(overridden["generated_tokens"]) == 5
    assert overridden["prompt_tokens"] == llm_json("--prompt", "Hi", "--max_new_tokens", "1")["prompt_tokens"]


def _huge_pages_possible():
    name, version = platform.libc_ver()
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
            thp = f.read()
    except OSError:
        return False
    return name == "glibc" and tuple(int(x) for x in version.split(".")[:2]) >= (2, 35) and "[never]" not in thp


def test_huge_page_malloc_changes_no_token_and_leaves_a_users_setting_alone():
    """The runners relaunch themselves once with glibc's huge-page malloc where the system has it; the tokens
    are the same without it, and a GLIBC_TUNABLES that already sets glibc.malloc.hugetlb is the user's choice."""
    def run(*flags, tunables=None):
        env = {k: v for k, v in os.environ.items() if k != "GLIBC_TUNABLES"}
        if tunables is not None:
            env["GLIBC_TUNABLES"] = tunables
        result = llm_json("--max_new_tokens", "12", *flags, env=env)
        return result["generated_tokens"], result["stats"]["huge_page_malloc"]

    tokens, huge = run()
    assert huge == _huge_pages_possible()
    assert run("--huge_pages=false") == (tokens, False)
    assert run(tunables="glibc.malloc.hugetlb=0") == (tokens, False)
    # a user's other tunables do not stop it (they are kept, with ours appended)
    assert run(tunables="glibc.malloc.tcache_count=0") == (tokens, huge)


def test_threads_size_the_pool_and_change_no_token():
    """--threads sizes the runtime's thread pool (XNNPACK's threads) before loading; 0 keeps the
    runtime's default. The tokens do not depend on it; a count out of range is one error line."""
    def run(*flags):
        result = llm_json("--max_new_tokens", "12", *flags)
        return result["generated_tokens"], result["stats"]["threads"]

    tokens, default = run()
    assert default >= 1
    assert run("--threads", "1") == (tokens, 1)
    assert run("--threads", "3") == (tokens, 3)
    bad = subprocess.run(LLM + ["--threads", "-2"], capture_output=True, text=True)
    assert bad.returncode != 0 and "--threads" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    subprocess.run([METHOD_RUNNER, "--model", "zoo/llama_pte.pte", "--fill", "zeros", "--threads", "1"], check=True,
                   capture_output=True)


def test_xnnpack_plans_are_made_again_only_when_a_shape_changes_and_change_no_token():
    """The runners keep an XNNPACK delegate's plan while its inputs keep their shapes (the exporter's
    attention reads the cache in blocks, so a decoder's shapes change once a block); re-planning on
    every call, as ExecuTorch does, gives the same tokens from the same number of delegate calls."""
    def run(*flags):
        result = llm_json("--max_new_tokens", "60", *flags)
        return result["generated_tokens"], result["stats"]["xnnpack_plans_made"], result["stats"]["xnnpack_plans_reused"]

    tokens, made, reused = run()
    every_call_tokens, every_call_made, every_call_reused = run("--reuse_xnnpack_plans=false")
    assert every_call_tokens == tokens and every_call_reused == 0
    assert made + reused == every_call_made
    assert made * 4 < reused  # 60 steps over two 32-position blocks: few plans, many reused
