"""rules_executorch_dependencies(): everything a workspace needs, in one call from WORKSPACE."""

load("//rules/private:local_stand_in.bzl", "local_stand_in")
load("//rules/private:python_environment.bzl", "python_environment")

def _maybe(rule, name, **kwargs):
    if not native.existing_rule(name):
        rule(name = name, **kwargs)

def rules_executorch_dependencies(python_lock = "@rules_executorch//python:requirements.lock"):
    """Declares the Python environment and the offline stand-ins, and registers toolchains.

    Args:
      python_lock: hash-pinned lock file the exporter's Python environment is created from.
    """
    # Bazel 4 registers Java toolchains that name @rules_java; Debian's bazel-rules-java has it.
    _maybe(native.local_repository, "rules_java", path = "/usr/share/bazel/rules/java")
    _maybe(local_stand_in, "rules_cc", build_file = "@rules_executorch//third_party/rules_cc:BUILD.bazel")
    _maybe(local_stand_in, "remote_coverage_tools", build_file = "@rules_executorch//third_party/remote_coverage_tools:BUILD.bazel")
    _maybe(python_environment, "rules_executorch_python", lock = python_lock)
    native.register_toolchains("@rules_executorch_python//:toolchain")
