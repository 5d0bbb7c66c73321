"""cc toolchain configs for cross compilers: Debian gcc cross compilers (aarch64-linux-gnu,
arm-none-eabi for bare metal) and clang from the user's Android NDK or Xcode."""

load("@bazel_tools//tools/build_defs/cc:action_names.bzl", "ACTION_NAMES")
load(
    "@bazel_tools//tools/cpp:cc_toolchain_config_lib.bzl",
    "feature",
    "flag_group",
    "flag_set",
    "tool_path",
    "variable_with_value",
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
_TOOLS = ["gcc", "ar", "ld", "nm", "objcopy", "objdump", "strip", "cpp", "gcov"]

def _flags(name, actions, flags, enabled = True):
    return feature(
        name = name,
        enabled = enabled,
        flag_sets = [flag_set(actions = actions, flag_groups = [flag_group(flags = flags)])] if flags else [],
    )

def _of_type(kind, flags, iterate = None):
    return flag_group(
        flags = flags,
        iterate_over = iterate,
        expand_if_equal = variable_with_value(name = "libraries_to_link.type", value = kind),
    )

def _darwin_features():
    """ld64 has no --whole-archive and BSD ar no `D`: whole archives get -force_load."""
    return [
        feature(
            name = "libraries_to_link",
            flag_sets = [flag_set(actions = _LINK, flag_groups = [flag_group(
                iterate_over = "libraries_to_link",
                expand_if_available = "libraries_to_link",
                flag_groups = [
                    _of_type("object_file_group", ["%{libraries_to_link.object_files}"], "libraries_to_link.object_files"),
                    _of_type("object_file", ["%{libraries_to_link.name}"]),
                    flag_group(
                        expand_if_equal = variable_with_value(name = "libraries_to_link.type", value = "static_library"),
                        flag_groups = [
                            flag_group(flags = ["-Wl,-force_load,%{libraries_to_link.name}"], expand_if_true = "libraries_to_link.is_whole_archive"),
                            flag_group(flags = ["%{libraries_to_link.name}"], expand_if_false = "libraries_to_link.is_whole_archive"),
                        ],
                    ),
                    _of_type("interface_library", ["%{libraries_to_link.name}"]),
                    _of_type("dynamic_library", ["-l%{libraries_to_link.name}"]),
                ],
            )])],
        ),
        feature(
            name = "archiver_flags",
            flag_sets = [flag_set(actions = [ACTION_NAMES.cpp_link_static_library], flag_groups = [
                flag_group(flags = ["rcs", "%{output_execpath}"], expand_if_available = "output_execpath"),
                flag_group(
                    iterate_over = "libraries_to_link",
                    expand_if_available = "libraries_to_link",
                    flag_groups = [
                        _of_type("object_file", ["%{libraries_to_link.name}"]),
                        _of_type("object_file_group", ["%{libraries_to_link.object_files}"], "libraries_to_link.object_files"),
                    ],
                ),
            ])],
        ),
    ]

def _cross_cc_config_impl(ctx):
    missing = [t for t in ["gcc", "ar"] if t not in ctx.attr.tools]
    if missing:
        fail("{}: tools needs {}".format(ctx.label, ", ".join(missing)))
    tool_paths = [tool_path(name = t, path = ctx.attr.tools.get(t, "/bin/false")) for t in _TOOLS]
    hosted = ctx.attr.hosted
    compile_flags = ["-Wall", "-fno-omit-frame-pointer"] + (["-fPIC"] if hosted else ["-ffunction-sections", "-fdata-sections"])
    if ctx.attr.compiler == "gcc":
        # gcc reports system headers by their resolved paths, and a prefix runtime's include/
        # is a symlink out of the workspace: Bazel would call those headers undeclared.
        compile_flags.append("-fno-canonical-system-headers")
    link_flags = []
    if ctx.attr.linker == "gnu" and hosted:
        # Kernel and backend libraries register themselves at load time and are never
        # referenced by symbol: --no-as-needed keeps them in DT_NEEDED.
        link_flags = ["-Wl,--no-as-needed"] + (["-lstdc++", "-lm", "-pthread"] if ctx.attr.compiler == "gcc" else [])
    elif not hosted:
        link_flags = ["-Wl,--gc-sections"]
    features = [
        _flags("default_compile_flags", _COMPILE, compile_flags + ctx.attr.compile_flags),
        _flags("default_cxx_flags", _CXX, ["-std=c++17"]),
        _flags("default_link_flags", _LINK, link_flags + ctx.attr.link_flags),
        _flags("opt", _COMPILE, ["-O2", "-DNDEBUG"], enabled = False),
        _flags("dbg", _COMPILE, ["-g"], enabled = False),
        _flags("supports_pic", [], [], enabled = hosted),
        _flags("supports_dynamic_linker", [], [], enabled = hosted),
    ]
    if ctx.attr.linker == "darwin":
        features += _darwin_features()
    return cc_common.create_cc_toolchain_config_info(
        ctx = ctx,
        toolchain_identifier = ctx.attr.toolchain_identifier,
        host_system_name = "host",
        target_system_name = ctx.attr.target_system_name,
        target_cpu = ctx.attr.target_cpu,
        target_libc = ctx.attr.target_libc,
        compiler = ctx.attr.compiler,
        abi_version = ctx.attr.compiler,
        abi_libc_version = ctx.attr.target_libc,
        tool_paths = tool_paths,
        features = features,
        cxx_builtin_include_directories = ctx.attr.builtin_include_directories,
    )

cross_cc_config = rule(
    implementation = _cross_cc_config_impl,
    attrs = {
        "toolchain_identifier": attr.string(mandatory = True),
        "tools": attr.string_dict(mandatory = True, doc = "Absolute tool paths by Bazel tool name: gcc (the compiler driver, also links), ar, ld, nm, objcopy, objdump, strip, cpp, gcov."),
        "compiler": attr.string(default = "gcc", values = ["gcc", "clang"]),
        "target_system_name": attr.string(mandatory = True),
        "target_cpu": attr.string(mandatory = True),
        "target_libc": attr.string(default = "glibc"),
        "hosted": attr.bool(default = True, doc = "An OS target (PIC, dynamic linking, threads); False for bare metal."),
        "linker": attr.string(default = "gnu", values = ["gnu", "darwin"], doc = "gnu: GNU ld/lld; darwin: ld64 (-force_load)."),
        "builtin_include_directories": attr.string_list(),
        "compile_flags": attr.string_list(),
        "link_flags": attr.string_list(),
    },
    provides = [CcToolchainConfigInfo],
)

def gcc_tools(prefix):
    """Tool paths of a gcc cross compiler installed as <prefix>gcc, <prefix>ar, ..."""
    return {t: prefix + t for t in _TOOLS}

def _unavailable_cc_config_impl(ctx):
    fail(ctx.attr.message)

unavailable_cc_config = rule(
    implementation = _unavailable_cc_config_impl,
    attrs = {"message": attr.string(mandatory = True)},
    provides = [CcToolchainConfigInfo],
    doc = "A toolchain config that cannot exist on this machine: analysing it fails with `message`.",
)

def cross_cc_toolchain(name, config):
    """A cc_toolchain around `config` whose tools live outside Bazel (absolute paths)."""
    native.filegroup(name = name + "_no_files")
    native.cc_toolchain(
        name = name,
        all_files = ":" + name + "_no_files",
        compiler_files = ":" + name + "_no_files",
        dwp_files = ":" + name + "_no_files",
        linker_files = ":" + name + "_no_files",
        objcopy_files = ":" + name + "_no_files",
        strip_files = ":" + name + "_no_files",
        toolchain_config = config,
    )
