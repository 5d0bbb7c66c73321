"""Bad input to the runners: a clear message and a non-zero exit, never a crash.

Programs are truncated at many lengths and bit-flipped at random places; every run must end
with a normal exit (no signal). The runners here are built with AddressSanitizer, so an
out-of-bounds read in our code fails the run too."""
import os
import random
import subprocess

import numpy as np
import pytest

METHOD_RUNNER = "runtime/method_runner_asan"
LLM_RUNNER = "runtime/llm_runner_asan"
EMBED_RUNNER = "runtime/embed_runner_asan"
MODELS = ["zoo/vit_portable_pte.pte", "zoo/llama_pte.pte"]
ENV = dict(os.environ, ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:exitcode=99")


def run(*args):
    proc = subprocess.run([*args], capture_output=True, text=True, env=ENV, timeout=120)
    assert proc.returncode >= 0, f"{args} was killed by signal {-proc.returncode}:\n{proc.stderr[-2000:]}"
    assert proc.returncode != 99, f"AddressSanitizer report for {args}:\n{proc.stderr[-4000:]}"
    return proc


def assert_error(proc, *fragments):
    assert proc.returncode != 0, proc.stdout
    last = [l for l in proc.stderr.splitlines() if "error:" in l]
    assert last, proc.stderr[-2000:]
    for fragment in fragments:
        assert fragment in last[-1], last[-1]


def test_missing_and_empty_program(tmp_path):
    assert_error(run(METHOD_RUNNER, "--model", str(tmp_path / "nope.pte")), "no model file at")
    empty = tmp_path / "empty.pte"
    empty.write_bytes(b"")
    assert_error(run(METHOD_RUNNER, "--model", str(empty)), "is not an ExecuTorch program")


@pytest.mark.parametrize("model", MODELS)
def test_truncated_programs(tmp_path, model):
    data = open(model, "rb").read()
    lengths = sorted({16, 64, 200, 1000, 4096} | {len(data) * k // 24 for k in range(1, 24)} | {len(data) - 1})
    for n in lengths:
        cut = tmp_path / f"cut{n}.pte"
        cut.write_bytes(data[:n])
        proc = run(METHOD_RUNNER, "--model", str(cut))
        assert proc.returncode != 0, f"truncated to {n} of {len(data)} bytes and still ran"


@pytest.mark.parametrize("model", MODELS)
def test_bit_flipped_programs(tmp_path, model):
    data = bytearray(open(model, "rb").read())
    rng = random.Random(1234)
    for i in range(30):
        flipped = bytearray(data)
        # half the flips in the flatbuffer head, where structure lives; half anywhere
        position = rng.randrange(min(len(data), 4096)) if i % 2 == 0 else rng.randrange(len(data))
        flipped[position] ^= 1 << rng.randrange(8)
        path = tmp_path / f"flip{i}.pte"
        path.write_bytes(bytes(flipped))
        run(METHOD_RUNNER, "--model", str(path))  # any outcome but a crash


def test_operator_without_a_name(tmp_path):
    """The runtime reports an operator table entry without a name but may still load the method
    and then call no kernel; the runners refuse such a program with one sentence."""
    from executorch.exir._serialize._program import deserialize_pte_binary, serialize_pte_binary

    pte = deserialize_pte_binary(open(MODELS[0], "rb").read())
    pte.program.execution_plan[0].operators[0].name = None
    path = tmp_path / "unnamed_op.pte"
    path.write_bytes(bytes(serialize_pte_binary(pte)))
    assert_error(run(METHOD_RUNNER, "--model", str(path)), "is not a valid ExecuTorch program", "operator #0 has no name")


def test_instruction_calling_a_missing_operator(tmp_path):
    """The runtime may load a method whose instruction names an operator past its table and then
    call a kernel that is not there; the runners refuse such a program with one sentence."""
    from executorch.exir._serialize._program import deserialize_pte_binary, serialize_pte_binary

    pte = deserialize_pte_binary(open(MODELS[0], "rb").read())
    plan = pte.program.execution_plan[0]
    kernel = next(i for i in plan.chains[0].instructions if type(i.instr_args).__name__ == "KernelCall")
    kernel.instr_args.op_index = 999
    path = tmp_path / "bad_op.pte"
    path.write_bytes(bytes(serialize_pte_binary(pte)))
    assert_error(run(METHOD_RUNNER, "--model", str(path)), "is not a valid ExecuTorch program",
                 f"calls operator #999 of {len(plan.operators)}")


def test_program_for_a_backend_the_runner_does_not_link(tmp_path):
    """A program delegated to a backend this runner has not registered (ExecuTorch's demo
    backend) names the backend."""
    import torch
    from executorch.exir import to_edge_transform_and_lower
    from executorch.exir.backend.test.op_partitioner_demo import AddMulPartitionerDemo

    class AddMul(torch.nn.Module):
        def forward(self, a, b):
            return torch.mm(a, b) + a

    inputs = (torch.ones(2, 2), torch.ones(2, 2))
    edge = to_edge_transform_and_lower(torch.export.export(AddMul(), inputs), partitioner=[AddMulPartitionerDemo()])
    program = tmp_path / "demo.pte"
    program.write_bytes(edge.to_executorch().buffer)
    assert_error(run(METHOD_RUNNER, "--model", str(program)), "its delegate backend BackendWithCompilerDemo is not linked into this runner")


def test_program_with_a_missing_wrong_or_damaged_data_file(tmp_path):
    program = tmp_path / "tied.pte"  # no sibling tied.ptd here
    program.write_bytes(open("zoo/llama_tied_pte.pte", "rb").read())
    data = open("zoo/llama_tied_pte.ptd", "rb").read()
    args = ["--model", str(program), "--prompt_ids", "1,2", "--max_new_tokens", "2"]
    assert_error(run(LLM_RUNNER, *args), "its constants are in a data file", "--data")
    assert_error(run(LLM_RUNNER, *args, "--data", str(tmp_path / "nope.ptd")), "no data file at")
    assert_error(run(LLM_RUNNER, *args, "--data", "zoo/llama_tied_pte.json"), "is not an ExecuTorch data file")
    # the data file of another program: its table has the wrong type or shape
    other = tmp_path / "other.ptd"
    other.write_bytes(open("zoo/llama_8da4w_tied_pte.ptd", "rb").read())
    assert_error(run(LLM_RUNNER, *args, "--data", str(other)), "its constants are in a data file")
    for n in (8, 64, len(data) // 2, len(data) - 1):
        cut = tmp_path / f"cut{n}.ptd"
        cut.write_bytes(data[:n])
        assert run(LLM_RUNNER, *args, "--data", str(cut)).returncode != 0, f"data file cut to {n} bytes and still ran"
    # the sibling <name>.ptd is found without --data
    (tmp_path / "tied.ptd").write_bytes(data)
    proc = run(LLM_RUNNER, *args)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_unknown_method():
    assert_error(run(METHOD_RUNNER, "--model", MODELS[0], "--method", "backward"), 'has no method "backward"', "forward")


def test_npy_inputs_of_the_wrong_dtype_shape_and_count(tmp_path):
    wrong_dtype = tmp_path / "f64.npy"
    np.save(wrong_dtype, np.zeros((1, 3, 32, 32), dtype=np.float64))
    assert_error(run(METHOD_RUNNER, "--model", MODELS[0], "--inputs", str(wrong_dtype)), "is float64 [1, 3, 32, 32]", "expects float32 [1, 3, 32, 32]")
    wrong_shape = tmp_path / "shape.npy"
    np.save(wrong_shape, np.zeros((1, 3, 64, 64), dtype=np.float32))
    assert_error(run(METHOD_RUNNER, "--model", MODELS[0], "--inputs", str(wrong_shape)), "is float32 [1, 3, 64, 64]")
    assert_error(run(METHOD_RUNNER, "--model", MODELS[0], "--inputs", f"{wrong_shape},{wrong_shape}"), "takes 1 inputs, --inputs gave 2")
    not_npy = tmp_path / "text.npy"
    not_npy.write_text("hello")
    assert_error(run(METHOD_RUNNER, "--model", MODELS[0], "--inputs", str(not_npy)), "is not a valid .npy file")


def test_llm_runner_bad_tokenizer_and_context(tmp_path):
    model, tokenizer = "zoo/llama_pte.pte", "zoo/llama_pte.tokenizer.json"
    assert_error(run(LLM_RUNNER, "--model", model, "--tokenizer", str(tmp_path / "none.json")), "none.json")
    broken = tmp_path / "broken.json"
    broken.write_text(open(tokenizer, encoding="utf-8").read()[:500])
    assert_error(run(LLM_RUNNER, "--model", model, "--tokenizer", str(broken)), "broken.json")
    long_prompt = "once upon a time " * 200
    assert_error(run(LLM_RUNNER, "--model", model, "--tokenizer", tokenizer, "--prompt", long_prompt), "but the model's context is 128")
    assert_error(run(LLM_RUNNER, "--model", model, "--tokenizer", tokenizer, "--max_new_tokens", "500"), "--max_new_tokens 500 does not fit")
    assert_error(run(LLM_RUNNER, "--model", "zoo/vit_portable_pte.pte", "--tokenizer", tokenizer), "not a text-generation program")
    assert_error(run(LLM_RUNNER, "--model", model, "--tokenizer", tokenizer, "--temperature", "hot"), "--temperature must be a number")


@pytest.mark.parametrize(
    "args,expected",
    [
        (["--frobnicate"], "unknown flag --frobnicate"),
        (["--iterations", "abc"], "--iterations must be a whole number from 1 to 1000000"),
        (["--iterations", "0"], "--iterations must be a whole number from 1 to 1000000"),
        (["--fill", "noise"], "--fill must be zeros, ones or random"),
        (["--iterations"], "--iterations needs a value"),
        (["--list=maybe"], "--list takes true or false"),
    ],
)
def test_method_runner_flags(args, expected):
    assert_error(run(METHOD_RUNNER, "--model", MODELS[0], *args), expected)


@pytest.mark.parametrize(
    "args,expected",
    [
        (["--bos", "maybe"], "--bos must be auto, true or false"),
        (["--prompt_ids", "1,x"], "--prompt_ids must be comma-separated token ids"),
        (["--prompt_ids", "1,99999"], "prompt token id 99999 is outside the vocabulary of 512"),
        (["--prompt", ""], "the prompt is empty"),
        (["--top_p", "2"], "--top_p must be a number from 0 to 1"),
        (["--max_new_tokens", "-5"], "--max_new_tokens must be a whole number from -1"),
        (["--reuse_xnnpack_plans=maybe"], "--reuse_xnnpack_plans takes true or false"),
    ],
)
def test_llm_runner_flags(args, expected):
    model, tokenizer = "zoo/llama_pte.pte", "zoo/llama_pte.tokenizer.json"
    assert_error(run(LLM_RUNNER, "--model", model, "--tokenizer", tokenizer, "--bos", "false", *args), expected)


def test_llm_runner_chat_and_perplexity_inputs(tmp_path):
    llm = [LLM_RUNNER, "--model", "zoo/llama_pte.pte", "--tokenizer", "zoo/llama_pte.tokenizer.json"]
    # the tiny zoo model has no chat template; a manifest that is missing, not JSON or malformed
    assert_error(run(*llm, "--chat", "--manifest", "zoo/llama_pte.json"), "has no chat template (the model has none); drop --chat")
    assert_error(run(*llm, "--chat", "--manifest", str(tmp_path / "none.json")), "cannot open")
    assert_error(run(*llm, "--chat", "--manifest", ""), "--chat needs the model's manifest")
    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(b"{\"chat\": {\"prefix\": 1")
    assert_error(run(*llm, "--chat", "--manifest", str(garbage)), "is not a manifest")
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"chat": {"prefix": 1, "suffix": "x"}}')
    assert_error(run(*llm, "--chat", "--manifest", str(wrong)), "must have string members")
    assert_error(run(*llm, "--perplexity", str(tmp_path / "none.txt")), "cannot open")
    short = tmp_path / "short.txt"
    short.write_text("")
    assert_error(run(*llm, "--bos", "false", "--perplexity", str(short)), "has fewer than two tokens to score")
    assert_error(run(LLM_RUNNER, "--model", "zoo/llama_pte.pte", "--perplexity", str(short)), "no tokenizer")
    assert_error(run(LLM_RUNNER, "--model", "zoo/llama_pte.pte", "--prompt_ids", "1", "--perplexity", str(short)),
                 "--perplexity needs the tokenizer")


def test_embed_runner_inputs(tmp_path):
    embed = [EMBED_RUNNER, "--tokenizer", "zoo/tiny_wordpiece_tokenizer.json"]
    assert_error(run(*embed, "--model", MODELS[0]), "give exactly one of --text or --input")
    assert_error(run(*embed, "--model", MODELS[0], "--text", "a", "--input", "x.txt"), "give exactly one of --text or --input")
    assert_error(run(*embed, "--model", MODELS[0], "--input", str(tmp_path / "none.txt")), "cannot open")
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    assert_error(run(*embed, "--model", MODELS[0], "--input", str(empty)), "has no lines to embed")
    assert_error(run(*embed, "--model", MODELS[0], "--text", "a"), "has no get_max_seq_len method")
    assert_error(run(*embed, "--model", str(tmp_path / "none.pte"), "--text", "a"), "no model file at")
    assert_error(run(EMBED_RUNNER, "--model", MODELS[0], "--text", "a"), "no tokenizer")
    broken = tmp_path / "broken.json"
    broken.write_text("{\"model\":")
    assert_error(run(EMBED_RUNNER, "--model", MODELS[0], "--tokenizer", str(broken), "--text", "a"), "broken.json")
