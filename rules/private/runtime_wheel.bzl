"""Repository rule: the ExecuTorch C++ runtime (headers + shared libraries) from the executorch
wheel for one platform, fetched with pip (no other client), checked against a pinned sha256."""

load(":repository_utils.bzl", "fetch_wheel")

_BUILD = """\
load("@rules_executorch//rules/private:runtime_toolchain.bzl", "executorch_runtime", "runtime_headers")

package(default_visibility = ["//visibility:public"])

runtime_headers(
    name = "headers",
    defines = ["ET_USE_THREADPOOL"],
)

[cc_import(
    name = lib,
    shared_library = "lib/lib{{}}.so".format(lib),
) for lib in {libs}]

# Kernels and backends register themselves from static initializers and nothing references
# their symbols, so a linker that defaults to --as-needed (Debian's gcc does) drops them and
# models fail at run time with OperatorMissing. Name them again with --no-as-needed; these
# flags come after cc_import's -L search paths whatever the toolchain's flag order.
cc_library(
    name = "registrars",
    linkopts = ["-Wl,--push-state,--no-as-needed"] + ["-l" + lib for lib in {libs}] + ["-Wl,--pop-state"],
    deps = [":" + lib for lib in {libs}],
)

executorch_runtime(
    name = "runtime",
    platform = "{platform}",
    libraries = [":registrars"],
    headers = ":headers",
    source = "executorch {version} wheel ({tag})",
)
"""

# Order matters for linking: dependents before their dependencies.
_LIBRARIES = [
    "executorch_backend_xnnpack",
    "executorch_kernels_quantized",
    "executorch_kernels_optimized",
    "executorch_threadpool",
    "executorch",
]


def _runtime_wheel_impl(rctx):
    fetch_wheel(
        rctx,
        "executorch==" + rctx.attr.version,
        rctx.attr.sha256,
        prefix = "executorch/",
        files = ["include/*"] + ["lib/lib{}.so".format(lib) for lib in _LIBRARIES],
        executable = ["lib/*.so"],
        pip_args = [
            "--platform",
            rctx.attr.wheel_platform,
            "--python-version",
            "3.11",
            "--implementation",
            "cp",
            "--abi",
            "cp311",
        ],
    )
    rctx.file("BUILD.bazel", _BUILD.format(
        libs = repr(_LIBRARIES),
        platform = rctx.attr.platform,
        version = rctx.attr.version,
        tag = rctx.attr.wheel_platform,
    ))

executorch_runtime_wheel = repository_rule(
    implementation = _runtime_wheel_impl,
    attrs = {
        "version": attr.string(mandatory = True),
        "wheel_platform": attr.string(mandatory = True, doc = "pip --platform tag, e.g. manylinux_2_28_aarch64"),
        "sha256": attr.string(mandatory = True),
        "platform": attr.string(mandatory = True, doc = "Name of the rules_executorch platform this runtime is for."),
    },
    environ = ["PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL"],
)
