"""Repository rule: a Python virtual environment created from a hash-pinned lock file.

pip is the only client; every wheel is checked against the lock's sha256. The repository is
re-created whenever the lock file changes. Actions see the environment through a small
launcher (`bin/python3`) whose bytes do not depend on where the output base is, plus a
file holding the lock's sha256, so two checkouts of one commit share action cache keys.
"""

load(":repository_utils.bzl", "check_execute")

_LAUNCHER = """#!/bin/sh
# Runs the interpreter of the virtual environment next to this file. The path is resolved
# at run time so the launcher's bytes are the same in every output base.
here=$(dirname "$(readlink -f "$0")")
exec "$here/../venv/bin/python3" "$@"
"""

_BUILD = """\
load("@bazel_tools//tools/python:toolchain.bzl", "py_runtime_pair")

package(default_visibility = ["//visibility:public"])

exports_files(["bin/python3", "lock.sha256"])

# What actions depend on: the launcher and the lock's digest (the environment is a
# pure function of the lock), not the thousands of files inside the venv.
filegroup(
    name = "files",
    srcs = ["bin/python3", "lock.sha256"],
)

py_runtime(
    name = "py3_runtime",
    interpreter = "bin/python3",
    files = [":files"],
    python_version = "PY3",
    stub_shebang = "#!/usr/bin/env python3",
)

py_runtime_pair(
    name = "runtime_pair",
    py3_runtime = ":py3_runtime",
)

toolchain(
    name = "toolchain",
    toolchain = ":runtime_pair",
    toolchain_type = "@bazel_tools//tools/python:toolchain_type",
)
"""

def _python_environment_impl(rctx):
    lock = rctx.path(rctx.attr.lock)
    python = rctx.os.environ.get("RULES_EXECUTORCH_PYTHON") or rctx.which("python3")
    if not python:
        fail("rules_executorch: no python3 on PATH; install Python {} or set RULES_EXECUTORCH_PYTHON.".format(rctx.attr.python_version))
    probe = rctx.execute([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2]); print(sys.executable)"])
    check_execute(probe, "running " + str(python))
    version, executable = probe.stdout.strip().split("\n")
    if version != rctx.attr.python_version:
        fail("rules_executorch: {} is Python {}, but the lock file is for Python {}; put a python{} first on PATH or set RULES_EXECUTORCH_PYTHON.".format(
            executable,
            version,
            rctx.attr.python_version,
            rctx.attr.python_version,
        ))

    rctx.report_progress("creating the virtual environment")
    check_execute(rctx.execute([executable, "-m", "venv", "venv"]), "python3 -m venv (on Debian: apt-get install python3-venv)")
    rctx.report_progress("installing {} (pip, hash-checked)".format(rctx.attr.lock.name))
    check_execute(
        rctx.execute(
            [
                "venv/bin/python3",
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-input",
                "--require-hashes",
                "--no-deps",
                "-r",
                str(lock),
            ],
            timeout = 3600,
            quiet = rctx.attr.quiet,
        ),
        "pip install -r " + str(rctx.attr.lock),
    )
    digest = rctx.execute([executable, "-c", "import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], 'rb').read()).hexdigest())", str(lock)])
    check_execute(digest, "hashing the lock file")
    rctx.file("lock.sha256", digest.stdout)
    rctx.file("bin/python3", _LAUNCHER, executable = True)
    rctx.file("BUILD.bazel", _BUILD)

python_environment = repository_rule(
    implementation = _python_environment_impl,
    attrs = {
        "lock": attr.label(mandatory = True, allow_single_file = True, doc = "Hash-pinned requirements lock (`name==version --hash=sha256:...`)."),
        "python_version": attr.string(default = "3.11", doc = "major.minor the lock was resolved for."),
        "quiet": attr.bool(default = True),
    },
    environ = ["RULES_EXECUTORCH_PYTHON", "PATH", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS"],
    doc = "A venv built with pip from a hash-pinned lock file; exposes a Python toolchain.",
)
