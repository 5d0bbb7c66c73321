"""Bad input to the exporter: one clear line on stderr, a non-zero exit, and no output file."""
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.zoo.helpers import runfile

LLAMA = "zoo/configs/llama.json"
PHI3 = "zoo/configs/phi3.json"  # does not tie its embeddings


def run_export(tmp_path, *args, timeout=300):
    out = tmp_path / "out.pte"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.run(
        [sys.executable, "-m", "zoo.export", "--output", str(out), "--manifest", str(tmp_path / "out.json"), *args],
        capture_output=True, text=True, env=env, timeout=timeout,
    )
    return proc, out


def assert_one_line_error(proc, out, *fragments, code=2):
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    assert proc.returncode == code, proc.stderr
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("export: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert "Traceback" not in proc.stderr
    assert not out.exists()
    assert not (out.parent / "out.json").exists()


@pytest.mark.parametrize(
    "flag,value,expected",
    [
        ("--task", "summarization", "unknown task 'summarization'; choose one of: feature-extraction, fill-mask, image-classification"),
        ("--recipe", "tpu", "unknown recipe 'tpu'; choose one of: portable, xnnpack"),
        ("--qlinear", "3bit", "unknown qlinear scheme '3bit'; choose one of: 8da4w, 8da8w"),
        ("--qlinear", "4w", "qlinear scheme '4w' is not supported: weight-only linear layers have no kernel in "
                            "ExecuTorch's CPU runtimes (XNNPACK or the portable kernels); use 8da4w"),
        ("--qoutput", "8w", "qlinear scheme '8w' is not supported: weight-only linear layers have no kernel in "
                            "ExecuTorch's CPU runtimes (XNNPACK or the portable kernels); use 8da8w"),
        ("--qembedding", "2w", "unknown qembedding scheme '2w'; choose one of: 4w, 8w"),
        ("--dtype", "float8", "unknown dtype 'float8'; choose one of: float32, float16, bfloat16"),
    ],
)
def test_unknown_names_list_the_choices(tmp_path, flag, value, expected):
    proc, out = run_export(tmp_path, "--zoo_config", runfile(LLAMA), flag, value)
    assert_one_line_error(proc, out, expected)


def test_two_sources(tmp_path):
    proc, out = run_export(tmp_path, "--zoo_config", runfile(LLAMA), "--gguf", "x.gguf")
    assert_one_line_error(proc, out, "exactly one model source", "got zoo, gguf")


def test_no_source(tmp_path):
    proc, out = run_export(tmp_path)
    assert_one_line_error(proc, out, "exactly one model source", "got none")


def test_unknown_linear_weights_in_a_zoo_config(tmp_path):
    import json

    entry = json.load(open(runfile(LLAMA)))
    entry["linear_weights"] = "q8_0"
    config = tmp_path / "config.json"
    config.write_text(json.dumps(entry))
    proc, out = run_export(tmp_path, "--zoo_config", str(config))
    assert_one_line_error(proc, out, "linear_weights 'q8_0'", 'the only choice is "q4_1"')


def test_checkpoint_without_config(tmp_path):
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    (ckpt / "model.safetensors").write_bytes(b"")
    proc, out = run_export(tmp_path, "--checkpoint", str(ckpt))
    assert_one_line_error(proc, out, "has no config.json")


def test_factory_that_raises(tmp_path):
    proc, out = run_export(tmp_path, "--module", "tests.zoo.bad_modules:raising_factory")
    assert_one_line_error(proc, out, "factory tests.zoo.bad_modules:raising_factory raised RuntimeError: weights missing")


def test_factory_that_does_not_exist(tmp_path):
    proc, out = run_export(tmp_path, "--module", "tests.zoo.bad_modules:no_such_factory")
    assert_one_line_error(proc, out, "has no function 'no_such_factory'")


def test_untraceable_model_names_the_model_and_the_first_error(tmp_path):
    proc, out = run_export(tmp_path, "--module", "tests.zoo.bad_modules:untraceable", "--source_label", "//app:branchy",
                           "--recipe", "portable")
    assert_one_line_error(proc, out, "torch.export cannot trace //app:branchy", "--verbose", code=1)


def test_verbose_shows_the_traceback(tmp_path):
    proc, out = run_export(tmp_path, "--module", "tests.zoo.bad_modules:untraceable", "--recipe", "portable", "--verbose")
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr
    assert not out.exists()


def test_interrupted_export_leaves_no_pte(tmp_path):
    out = tmp_path / "out.pte"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.Popen(
        [sys.executable, "-m", "zoo.export", "--zoo_config", runfile(LLAMA), "--recipe", "portable", "--output", str(out)],
        env=env, stderr=subprocess.DEVNULL,
    )
    time.sleep(6)  # past imports, inside loading/lowering
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".pte"]


def test_group_size_that_does_not_divide(tmp_path):
    proc, out = run_export(tmp_path, "--zoo_config", runfile(LLAMA), "--qlinear", "8da4w", "--qlinear_group_size", "48")
    assert_one_line_error(proc, out, "qlinear_group_size 48 does not divide the 64 input features")


def test_context_longer_than_the_model_supports(tmp_path):
    proc, out = run_export(tmp_path, "--zoo_config", runfile(LLAMA), "--max_seq_len", "4096")
    assert_one_line_error(proc, out, "max_seq_len 4096 exceeds the model's max_position_embeddings 256")


@pytest.mark.parametrize("flag", ["--dynamic_shapes", "--exact_grid"])
def test_not_a_boolean(tmp_path, flag):
    proc, out = run_export(tmp_path, "--zoo_config", runfile(LLAMA), flag, "maybe")
    assert proc.returncode == 2
    assert "expected true or false, got 'maybe'" in proc.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    "config,args,expected",
    [
        (LLAMA, ["--qlinear", "8da4w", "--qembedding", "8w"],
         "the embedding would be 8-bit per row and the output projection lm_head 4-bit in groups of 32; set qembedding = \"4w\""),
        (LLAMA, ["--qembedding", "8w"], "the output projection lm_head unquantized; drop qembedding"),
        (LLAMA, ["--recipe", "portable"], "data_file needs recipe xnnpack"),
        (PHI3, [], "this model does not tie them; drop data_file"),
    ],
)
def test_data_file_that_cannot_hold_one_table(tmp_path, config, args, expected):
    proc, out = run_export(tmp_path, "--zoo_config", runfile(config), "--data_file", str(tmp_path / "out.ptd"), *args)
    assert_one_line_error(proc, out, expected)
    assert not (tmp_path / "out.ptd").exists()
