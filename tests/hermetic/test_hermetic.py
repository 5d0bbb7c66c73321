"""Exports are hermetic, cached and reproducible across output bases:
- a second checkout (a copy of the workspace) with its own output base builds the same bytes;
- a no-op rebuild runs no export;
- changing one zoo model's config re-exports that model and nothing else."""
import hashlib
import os
import shutil

from tests.nested_bazel import NestedBazel, python_environment_repo

TARGETS = ["//zoo:llama_portable_pte", "//zoo:vit_portable_pte"]


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_exports_are_cached_and_reproducible(tmp_path):
    source = os.path.dirname(os.path.realpath("WORKSPACE"))
    workspace = tmp_path / "checkout"
    shutil.copytree(source, workspace, symlinks=True,
                    ignore=shutil.ignore_patterns("bazel-*", ".git", "user.bazelrc", "__pycache__"))
    bazel = NestedBazel(str(workspace), str(tmp_path / "output_base"),
                        python_environment_repo("../rules_executorch_python/bin/python3"))

    _, ran = bazel.run("build", *TARGETS)
    assert ran.count("ExecuTorchExport") == 2, ran
    llama = bazel.output_file("zoo/llama_portable_pte.pte")
    vit = bazel.output_file("zoo/vit_portable_pte.pte")
    first_llama, first_vit = sha256(llama), sha256(vit)
    # same bytes as the outer build, made in another checkout and output base
    assert first_llama == sha256("zoo/llama_portable_pte.pte")
    assert first_vit == sha256("zoo/vit_portable_pte.pte")

    _, ran = bazel.run("build", *TARGETS)
    assert "ExecuTorchExport" not in ran, f"no-op rebuild ran {ran}"

    config = workspace / "zoo" / "configs" / "llama.json"
    config.write_text(config.read_text().replace('"seed": 0', '"seed": 1'))
    _, ran = bazel.run("build", *TARGETS)
    assert ran.count("ExecuTorchExport") == 1, ran
    assert sha256(llama) != first_llama
    assert sha256(vit) == first_vit
