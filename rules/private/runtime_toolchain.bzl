"""The ExecuTorch runtime as a toolchain, resolved by the target platform.

A runtime is headers + libraries (CcInfo) plus the shared libraries a binary needs next to it
at run time. Runners depend on //rules/toolchains:runtime, which forwards whatever runtime
the target platform resolves to; a platform without one fails at analysis with one sentence."""

RUNTIME_TOOLCHAIN = "@rules_executorch//rules/toolchains:runtime_toolchain_type"

ExecuTorchRuntimeInfo = provider(
    doc = "An ExecuTorch C++ runtime for one platform.",
    fields = {
        "cc_info": "CcInfo: headers, defines and libraries to link.",
        "runtime_files": "depset of Files (shared libraries) a binary needs at run time.",
        "platform": "string: the platform's name.",
        "source": "string: where the runtime comes from.",
    },
)

def _executorch_runtime_impl(ctx):
    cc_infos = [ctx.attr.headers[CcInfo]] + [lib[CcInfo] for lib in ctx.attr.libraries]
    runtime_files = depset(transitive = [lib[DefaultInfo].default_runfiles.files for lib in ctx.attr.libraries] +
                                        [lib[DefaultInfo].files for lib in ctx.attr.libraries])
    info = ExecuTorchRuntimeInfo(
        cc_info = cc_common.merge_cc_infos(cc_infos = cc_infos),
        runtime_files = runtime_files,
        platform = ctx.attr.platform,
        source = ctx.attr.source,
    )
    return [platform_common.ToolchainInfo(runtime = info), info]

executorch_runtime = rule(
    implementation = _executorch_runtime_impl,
    attrs = {
        "headers": attr.label(mandatory = True, providers = [CcInfo]),
        "libraries": attr.label_list(providers = [CcInfo]),
        "platform": attr.string(mandatory = True),
        "source": attr.string(),
    },
)

def _missing_runtime_impl(ctx):
    fail(ctx.attr.message)

missing_runtime = rule(
    implementation = _missing_runtime_impl,
    attrs = {
        "message": attr.string(default = "no ExecuTorch runtime for this target platform: rules_executorch provides one for linux_x86_64 and linux_arm64; for others call executorch_runtime_prefix(...) in WORKSPACE with an ExecuTorch install prefix (see README, \"Platforms\")"),
    },
)

def _current_runtime_impl(ctx):
    runtime = ctx.toolchains[RUNTIME_TOOLCHAIN].runtime
    return [
        runtime.cc_info,
        runtime,
        DefaultInfo(files = runtime.runtime_files, runfiles = ctx.runfiles(transitive_files = runtime.runtime_files)),
    ]

current_runtime = rule(
    implementation = _current_runtime_impl,
    toolchains = [RUNTIME_TOOLCHAIN],
    # the runtime is built for the target platform, not the host
    incompatible_use_toolchain_transition = True,
    doc = "Forwards the ExecuTorch runtime of the target platform (CcInfo + runtime files).",
)

def runtime_headers(name, defines = []):
    """The headers of an ExecuTorch install (include/ of a repository), as ExecuTorch's own
    consumers compile against them."""
    native.cc_library(
        name = name,
        hdrs = native.glob(["include/**/*.h"]),
        includes = [
            "include",
            "include/executorch/runtime/core/portable_type/c10",
        ],
        defines = ["C10_USING_CUSTOM_GENERATED_MACROS"] + defines,
    )
