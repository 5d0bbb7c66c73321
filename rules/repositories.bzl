"""rules_executorch_dependencies(): everything a workspace needs, in one call from WORKSPACE."""

load("//rules/private:local_stand_in.bzl", "local_stand_in")
load("//rules/private:python_environment.bzl", "python_environment")
load("//rules/private:runtime_wheel.bzl", "executorch_runtime_wheel")

EXECUTORCH_VERSION = "1.5.1"

# sha256 of the executorch wheels the C++ runtime is taken from, per pip platform tag.
RUNTIME_WHEELS = {
    "linux_x86_64": ("manylinux_2_28_x86_64", "274c28c2fe2b76acb03f9fa381537425c40e0098dcf886baf6d97a1a55ffe300"),
    "linux_aarch64": ("manylinux_2_28_aarch64", "8ee02348a3ea80ddf770822911ebf78da616b73afce0fbaaa79f23311c88c66a"),
}

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
    for platform, (tag, sha256) in RUNTIME_WHEELS.items():
        _maybe(
            executorch_runtime_wheel,
            "executorch_runtime_" + platform,
            version = EXECUTORCH_VERSION,
            wheel_platform = tag,
            sha256 = sha256,
            platform = platform,
        )
    native.register_toolchains(
        "@rules_executorch_python//:toolchain",
        "@rules_executorch//rules/toolchains:linux_arm64_cc_toolchain",
        "@rules_executorch//rules/toolchains:linux_x86_64_wheel_runtime",
        "@rules_executorch//rules/toolchains:linux_arm64_wheel_runtime",
        # last: a clear error for platforms without a runtime
        "@rules_executorch//rules/toolchains:no_runtime",
    )
