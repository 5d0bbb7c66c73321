"""A cc toolchain config for a Debian gcc cross compiler (e.g. aarch64-linux-gnu-g++)."""

load("@bazel_tools//tools/build_defs/cc:action_names.bzl", "ACTION_NAMES")
load(
    "@bazel_tools//tools/cpp:cc_toolchain_config_lib.bzl",
    "feature",
    "flag_group",
    "flag_set",
    "tool_path",
)

_COMPILE = [
    ACTION_NAMES.c_compile,
    ACTION_NAMES.cpp_compile,
    ACTION_NAMES.cpp_header_parsing,
    ACTION_NAMES.cpp_module_compile,
    ACTION_NAMES.assemble,
    ACTION_NAMES.preprocess_assemble,
]
_CXX = [ACTION_NAMES.cpp_compile, ACTION_NAMES.cpp_header_parsing, ACTION_NAMES.cpp_module_compile]
_LINK = [
    ACTION_NAMES.cpp_link_executable,
    ACTION_NAMES.cpp_link_dynamic_library,
    ACTION_NAMES.cpp_link_nodeps_dynamic_library,
]

def _flags(name, actions, flags, enabled = True):
    return feature(
        name = name,
        enabled = enabled,
        flag_sets = [flag_set(actions = actions, flag_groups = [flag_group(flags = flags)])] if flags else [],
    )

def _gcc_cross_config_impl(ctx):
    prefix = ctx.attr.tool_prefix
    tool_paths = [tool_path(name = "gcc", path = prefix + "gcc")] + [
        tool_path(name = t, path = prefix + t)
        for t in ["ar", "ld", "nm", "objcopy", "objdump", "strip", "cpp", "gcov"]
    ]
    features = [
        _flags("default_compile_flags", _COMPILE, ["-fPIC", "-Wall", "-fno-omit-frame-pointer"] + ctx.attr.compile_flags),
        _flags("default_cxx_flags", _CXX, ["-std=c++17"]),
        # Kernel and backend libraries register themselves at load time and are never referenced
        # by symbol: --no-as-needed keeps them in DT_NEEDED.
        _flags("default_link_flags", _LINK, ["-Wl,--no-as-needed", "-lstdc++", "-lm", "-pthread"] + ctx.attr.link_flags),
        _flags("opt", _COMPILE, ["-O2", "-DNDEBUG"], enabled = False),
        _flags("dbg", _COMPILE, ["-g"], enabled = False),
        _flags("supports_pic", [], [], enabled = True),
        _flags("supports_dynamic_linker", [], [], enabled = True),
    ]
    return cc_common.create_cc_toolchain_config_info(
        ctx = ctx,
        toolchain_identifier = ctx.attr.toolchain_identifier,
        host_system_name = "x86_64-linux-gnu",
        target_system_name = ctx.attr.target_system_name,
        target_cpu = ctx.attr.target_cpu,
        target_libc = "glibc",
        compiler = "gcc",
        abi_version = "gcc",
        abi_libc_version = "glibc",
        tool_paths = tool_paths,
        features = features,
        cxx_builtin_include_directories = ctx.attr.builtin_include_directories,
    )

gcc_cross_config = rule(
    implementation = _gcc_cross_config_impl,
    attrs = {
        "toolchain_identifier": attr.string(mandatory = True),
        "tool_prefix": attr.string(mandatory = True, doc = "e.g. /usr/bin/aarch64-linux-gnu-"),
        "target_system_name": attr.string(mandatory = True),
        "target_cpu": attr.string(mandatory = True),
        "builtin_include_directories": attr.string_list(),
        "compile_flags": attr.string_list(),
        "link_flags": attr.string_list(),
    },
    provides = [CcToolchainConfigInfo],
)
