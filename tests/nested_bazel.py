"""Running Bazel inside a Bazel test: a fresh output base, the outer build's Python
environment reused through --override_repository (creating it again would cost minutes),
no convenience symlinks, and an execution log to count which actions really ran."""
import json
import os
import shutil
import subprocess


def bazel_binary() -> str:
    found = shutil.which("bazel") or "/usr/bin/bazel"
    if not os.path.exists(found):
        raise RuntimeError("no bazel binary on PATH or at /usr/bin/bazel")
    return found


def python_environment_repo(launcher_runfile: str) -> str:
    """The outer build's @rules_executorch_python directory, from the runfile of its launcher."""
    return os.path.dirname(os.path.dirname(os.path.realpath(launcher_runfile)))


class NestedBazel:
    def __init__(self, workspace: str, output_base: str, python_repo: str, env: dict = None):
        self.workspace = workspace
        self.env = env or {}  # overrides of the test's environment
        self.output_base = output_base
        self.python_repo = python_repo
        self.runs = 0

    def run(self, command: str, *targets: str, check: bool = True):
        """Runs `bazel command targets`; returns (completed process, mnemonics of executed spawns)."""
        self.runs += 1
        log = os.path.join(os.path.dirname(self.output_base), f"exec-{self.runs}.json")
        args = [
            bazel_binary(), "--batch", f"--output_base={self.output_base}", command,
            f"--override_repository=rules_executorch_python={self.python_repo}",
            "--symlink_prefix=/", f"--execution_log_json_file={log}", "--noshow_progress",
            *targets,
        ]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "RUNFILES_", "BUILD_", "BAZEL_"))}
        env.update(self.env)
        proc = subprocess.run(args, cwd=self.workspace, env=env, capture_output=True, text=True, timeout=1800)
        if check and proc.returncode != 0:
            raise AssertionError(f"bazel {command} {' '.join(targets)} failed ({proc.returncode}):\n{proc.stderr[-6000:]}")
        return proc, executed_mnemonics(log)

    def output_file(self, path_in_bin: str) -> str:
        proc = subprocess.run(
            [bazel_binary(), "--batch", f"--output_base={self.output_base}", "info", "bazel-bin",
             f"--override_repository=rules_executorch_python={self.python_repo}"],
            cwd=self.workspace, capture_output=True, text=True, check=True,
        )
        return os.path.join(proc.stdout.strip(), path_in_bin)


def executed_mnemonics(log_path: str) -> list:
    if not os.path.exists(log_path):
        return []
    with open(log_path, encoding="utf-8") as f:
        text = f.read()
    decoder, pos, out = json.JSONDecoder(), 0, []
    while pos < len(text):
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            break
        entry, pos = decoder.raw_decode(text, pos)
        out.append(entry.get("mnemonic", ""))
    return out
