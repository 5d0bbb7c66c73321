"""Repository rule: an ExecuTorch runtime from a user's install prefix (headers + static
libraries, as ExecuTorch's own CMake presets install them), for platforms no wheel covers
(Cortex-M, Android, iOS). Without a prefix the repository still exists and its runtime fails
at analysis with one sentence saying what to set."""

# Static libraries of an ExecuTorch install, in link order (dependents before dependencies).
# True: linked whole-archive, because the library registers kernels or backends from static
# initializers that nothing references (dropping them fails at run time with OperatorMissing),
# or, for libexecutorch.a, holds the PAL and program code the registrars reach only weakly.
LINK_ORDER = [
    ("executorch_selected_kernels", True),
    ("portable_ops_lib", True),
    ("optimized_native_cpu_ops_lib", True),
    ("optimized_ops_lib", True),
    ("quantized_ops_lib", True),
    ("cortex_m_ops_lib", True),
    ("custom_ops", True),
    ("xnnpack_backend", True),
    ("executorch_delegate_ethos_u", True),
    ("extension_module_static", False),
    ("extension_tensor", False),
    ("extension_data_loader", False),
    ("extension_flat_tensor", False),
    ("extension_named_data_map", False),
    ("extension_threadpool", False),
    ("executorch", True),
    ("optimized_kernels", False),
    ("quantized_kernels", False),
    ("cortex_m_kernels", False),
    ("portable_kernels", False),
    ("cpublas", False),
    ("eigen_blas", False),
    ("kernels_util_all_deps", False),
    ("XNNPACK", False),
    ("xnnpack-microkernels-prod", False),
    ("kleidiai", False),
    ("pthreadpool", False),
    ("cpuinfo", False),
    ("executorch_core", False),
]

REQUIRED = ["executorch_core", "executorch", "portable_kernels", "kernels_util_all_deps", "extension_data_loader"]

# Each of these registers a full set of aten kernels (a selective build has the first; the
# optimized set falls back to portable kernels itself). Registering an operator twice aborts
# at start-up, so only the first one present is linked.
REGISTRATION = ["executorch_selected_kernels", "optimized_native_cpu_ops_lib", "portable_ops_lib"]

# Env vars rules_executorch_dependencies() reads the prefixes from (one per platform).
PREFIX_ENV = {
    "cortex_m55": "EXECUTORCH_CORTEX_M_PREFIX",
    "cortex_m3": "EXECUTORCH_CORTEX_M3_PREFIX",
    "android_arm64": "EXECUTORCH_ANDROID_PREFIX",
    "ios_arm64": "EXECUTORCH_IOS_PREFIX",
    "ios_sim_arm64": "EXECUTORCH_IOS_SIMULATOR_PREFIX",
}

_CONFIGURED = """\
load("@rules_executorch//rules/private:runtime_toolchain.bzl", "executorch_runtime", "runtime_headers")

package(default_visibility = ["//visibility:public"])

runtime_headers(name = "headers")

# alwayslink = True links the archive whole (-Wl,--whole-archive, or -force_load with ld64).
{imports}

cc_library(
    name = "libraries",
    linkopts = {linkopts},
    deps = {deps},
)

executorch_runtime(
    name = "runtime",
    headers = ":headers",
    libraries = [":libraries"],
    platform = "{platform}",
    source = "ExecuTorch install prefix {prefix}",
)
"""

_UNCONFIGURED = """\
load("@rules_executorch//rules/private:runtime_toolchain.bzl", "missing_runtime")

package(default_visibility = ["//visibility:public"])

missing_runtime(
    name = "runtime",
    message = {message},
    tags = ["manual"],
)
"""

def _prefix_problem(rctx, prefix, where):
    """One sentence on why `prefix` is not usable, or None."""
    if not rctx.path(prefix).exists:
        return "{} is {}, which does not exist; point it at an ExecuTorch install prefix (include/ and lib/)".format(where, prefix)
    missing = [lib for lib in REQUIRED if not rctx.path("{}/lib/lib{}.a".format(prefix, lib)).exists]
    if not rctx.path(prefix + "/include/executorch").exists:
        missing = ["include/executorch/"] + missing
    if missing:
        return "{} is {}, which is not an ExecuTorch install prefix: it has no {} (build ExecuTorch with its CMake preset for {}, then cmake --install to that prefix)".format(
            where,
            prefix,
            ", ".join([m if m.endswith("/") else "lib/lib{}.a".format(m) for m in missing]),
            rctx.attr.platform,
        )
    if not [lib for lib in REGISTRATION if rctx.path("{}/lib/lib{}.a".format(prefix, lib)).exists]:
        return "{} is {}, which has no kernel registration library (one of {}); build ExecuTorch with its portable or selected kernels".format(
            where,
            prefix,
            ", ".join(["lib/lib{}.a".format(lib) for lib in REGISTRATION]),
        )
    return None

def _runtime_prefix_impl(rctx):
    env = rctx.attr.env or PREFIX_ENV.get(rctx.attr.platform, "")
    prefix, where = rctx.attr.path, "path"
    if not prefix and env:
        prefix, where = rctx.os.environ.get(env, ""), env
    problem = None
    if not prefix:
        problem = "no ExecuTorch runtime for {platform}: set {env} to an ExecuTorch install prefix (made with ExecuTorch's CMake preset for {platform} and cmake --install), or give executorch_runtime_prefix(name = \"{name}\", path = ...) in WORKSPACE before rules_executorch_dependencies()".format(
            platform = rctx.attr.platform,
            env = env or "env",
            name = rctx.name,
        )
    else:
        if not prefix.startswith("/"):
            prefix = str(rctx.path(Label("@//:WORKSPACE")).dirname) + "/" + prefix
        problem = _prefix_problem(rctx, prefix, where)
    if problem:
        rctx.file("BUILD.bazel", _UNCONFIGURED.format(message = repr(problem)))
        rctx.file("runtime_info.bzl", "CONFIGURED = False\nREASON = {}\nPREFIX = \"\"\n".format(repr(problem)))
        return

    rctx.symlink(prefix + "/include", "include")
    imports, deps = [], []
    registration = [lib for lib in REGISTRATION if rctx.path("{}/lib/lib{}.a".format(prefix, lib)).exists][0]
    for lib, whole in LINK_ORDER:
        path = "{}/lib/lib{}.a".format(prefix, lib)
        if not rctx.path(path).exists or (lib in REGISTRATION and lib != registration):
            continue
        rctx.symlink(path, "lib/lib{}.a".format(lib))
        imports.append("cc_import(\n    name = \"{lib}\",\n    static_library = \"lib/lib{lib}.a\",\n    alwayslink = {whole},\n)\n".format(lib = lib, whole = whole))
        deps.append(":" + lib)
    rctx.file("BUILD.bazel", _CONFIGURED.format(
        imports = "\n".join(imports),
        deps = repr(deps),
        linkopts = repr(rctx.attr.linkopts),
        platform = rctx.attr.platform,
        prefix = prefix,
    ))
    rctx.file("runtime_info.bzl", "CONFIGURED = True\nREASON = \"\"\nPREFIX = {}\n".format(repr(prefix)))

executorch_runtime_prefix = repository_rule(
    implementation = _runtime_prefix_impl,
    doc = """An ExecuTorch runtime (headers + static libraries) from an install prefix, for one platform.

The prefix is `path`, else the environment variable `env` (default: the platform's, e.g.
EXECUTORCH_CORTEX_M_PREFIX). Registration and backend libraries and libexecutorch.a are
linked whole-archive; C10_USING_CUSTOM_GENERATED_MACROS is defined. Without a usable prefix,
targets that link this runtime fail at analysis with one sentence saying what to set.""",
    attrs = {
        "path": attr.string(doc = "The install prefix (absolute, or relative to the main workspace)."),
        "env": attr.string(doc = "Environment variable holding the prefix when path is empty."),
        "platform": attr.string(mandatory = True, doc = "rules_executorch platform name: " + ", ".join(PREFIX_ENV)),
        "linkopts": attr.string_list(doc = "Extra link options the runtime needs (e.g. -llog on Android)."),
    },
    environ = PREFIX_ENV.values(),
    configure = True,
    local = True,
)
