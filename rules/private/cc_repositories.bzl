"""Repository rules: C++ toolchains from the user's machine — clang from an Android NDK
(ANDROID_NDK_HOME) and Apple clang through xcrun. Where the tool is not there, the toolchain
still exists and fails at analysis with one sentence saying what to install or set."""

_BUILD = """\
load("@rules_executorch//rules/toolchains/cc:cross_cc.bzl", "cross_cc_config", "cross_cc_toolchain", "unavailable_cc_config")

package(default_visibility = ["//visibility:public"])

{config}

cross_cc_toolchain(
    name = "cc",
    config = ":config",
)

toolchain(
    name = "toolchain",
    target_compatible_with = {constraints},
    toolchain = ":cc",
    toolchain_type = "@bazel_tools//tools/cpp:toolchain_type",
)
"""

def _write(rctx, config):
    rctx.file("BUILD.bazel", _BUILD.format(config = config, constraints = repr(rctx.attr.target_compatible_with)))

def _unavailable(message):
    return "unavailable_cc_config(\n    name = \"config\",\n    message = {},\n    tags = [\"manual\"],\n)".format(repr(message))

def _config(**kwargs):
    return "cross_cc_config(\n    name = \"config\",\n{})".format("".join(["    {} = {},\n".format(k, repr(v)) for k, v in sorted(kwargs.items())]))

def _android_ndk_cc_impl(rctx):
    ndk = rctx.os.environ.get("ANDROID_NDK_HOME", "")
    if not ndk:
        _write(rctx, _unavailable("no Android NDK: set ANDROID_NDK_HOME to an Android NDK (r25 or newer) to build for android_arm64"))
        return
    host = "darwin-x86_64" if "mac" in rctx.os.name else "linux-x86_64"
    prebuilt = "{}/toolchains/llvm/prebuilt/{}".format(ndk, host)
    if not rctx.path(prebuilt + "/bin/clang").exists:
        _write(rctx, _unavailable("ANDROID_NDK_HOME is {}, which has no toolchains/llvm/prebuilt/{}/bin/clang; point it at an Android NDK (r25 or newer)".format(ndk, host)))
        return
    target = ["--target=aarch64-linux-android{}".format(rctx.attr.api_level)]
    _write(rctx, _config(
        toolchain_identifier = "android_arm64_ndk_clang",
        compiler = "clang",
        tools = {
            "gcc": prebuilt + "/bin/clang",
            "ar": prebuilt + "/bin/llvm-ar",
            "ld": prebuilt + "/bin/ld.lld",
            "nm": prebuilt + "/bin/llvm-nm",
            "objcopy": prebuilt + "/bin/llvm-objcopy",
            "objdump": prebuilt + "/bin/llvm-objdump",
            "strip": prebuilt + "/bin/llvm-strip",
            "cpp": prebuilt + "/bin/clang-cpp",
        },
        target_system_name = "aarch64-linux-android",
        target_cpu = "arm64-v8a",
        target_libc = "bionic",
        builtin_include_directories = [prebuilt],
        compile_flags = target,
        # the NDK's static libc++; bionic has threads and libm built in, logging in liblog
        link_flags = target + ["-static-libstdc++", "-lc++_static", "-lc++abi", "-lm", "-ldl"],
    ))

android_ndk_cc = repository_rule(
    implementation = _android_ndk_cc_impl,
    attrs = {
        "api_level": attr.int(default = 26, doc = "Minimum Android API level (--target=aarch64-linux-android<N>)."),
        "target_compatible_with": attr.string_list(mandatory = True),
    },
    environ = ["ANDROID_NDK_HOME"],
    configure = True,
    local = True,
)

def _xcrun(rctx, xcrun, *args):
    result = rctx.execute([xcrun, "--sdk", rctx.attr.sdk] + list(args))
    return result.stdout.strip() if result.return_code == 0 else ""

def _apple_cc_impl(rctx):
    xcrun = rctx.which("xcrun")
    if not xcrun:
        _write(rctx, _unavailable("no Xcode: building for {} needs macOS with Xcode (xcrun --sdk {})".format(rctx.attr.platform, rctx.attr.sdk)))
        return
    clang, sdk = _xcrun(rctx, xcrun, "--find", "clang"), _xcrun(rctx, xcrun, "--show-sdk-path")
    if not clang or not sdk:
        _write(rctx, _unavailable("xcrun --sdk {} finds no clang or SDK; install Xcode with the {} SDK and run xcode-select".format(rctx.attr.sdk, rctx.attr.sdk)))
        return
    tools = {"gcc": clang}
    for name, tool in [("ar", "ar"), ("ld", "ld"), ("nm", "nm"), ("objdump", "objdump"), ("strip", "strip")]:
        tools[name] = _xcrun(rctx, xcrun, "--find", tool) or "/usr/bin/false"
    target = ["-target", rctx.attr.target, "-isysroot", sdk]
    bin_dir = clang.rpartition("/bin/")[0]
    _write(rctx, _config(
        toolchain_identifier = rctx.attr.platform + "_apple_clang",
        compiler = "clang",
        linker = "darwin",
        tools = tools,
        target_system_name = rctx.attr.target,
        target_cpu = "arm64",
        target_libc = "macosx",
        builtin_include_directories = [sdk, bin_dir],
        compile_flags = target,
        link_flags = target + ["-lc++"],
    ))

apple_cc = repository_rule(
    implementation = _apple_cc_impl,
    attrs = {
        "platform": attr.string(mandatory = True),
        "sdk": attr.string(mandatory = True, doc = "xcrun SDK name: iphoneos, iphonesimulator."),
        "target": attr.string(mandatory = True, doc = "clang target triple, e.g. arm64-apple-ios15.0."),
        "target_compatible_with": attr.string_list(mandatory = True),
    },
    environ = ["PATH", "DEVELOPER_DIR"],
    configure = True,
    local = True,
)
