"""Android, iOS and Cortex-M builds resolve the right toolchains, flags, runtime libraries and
link order, shown by analysis (cquery/aquery) in a nested Bazel against FAKE layouts: an
ExecuTorch install prefix of empty files, an NDK of empty executables and an xcrun script
that names files in a fake Xcode. Nothing is compiled or run; these tests only prove what the
actions would be. The same nested Bazel also shows unconfigured platforms fail with one
sentence and firmware that does not fit fails the build."""
import os
import re
import shutil
import stat

import pytest

from tests.nested_bazel import NestedBazel, python_environment_repo

PREFIX_LIBS = [
    "executorch_core", "executorch", "portable_kernels", "kernels_util_all_deps", "extension_data_loader",
    "portable_ops_lib", "optimized_native_cpu_ops_lib", "optimized_kernels", "quantized_ops_lib",
    "quantized_kernels", "xnnpack_backend", "XNNPACK", "cpuinfo", "pthreadpool", "extension_threadpool",
    "extension_module_static", "extension_tensor",
]
NDK_TOOLS = ["clang", "clang-cpp", "llvm-ar", "ld.lld", "llvm-nm", "llvm-objcopy", "llvm-objdump", "llvm-strip"]
XCRUN = """#!/bin/sh
# fake xcrun: answers --find and --show-sdk-path from a fake Xcode tree
case "$*" in
  *iphonesimulator*--show-sdk-path*) echo "{root}/SDKs/iPhoneSimulator.sdk" ;;
  *iphoneos*--show-sdk-path*) echo "{root}/SDKs/iPhoneOS.sdk" ;;
  *--find*) for last; do :; done; echo "{root}/usr/bin/$last" ;;
  *) exit 1 ;;
esac
"""


def touch(path, executable=False):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    open(path, "w").close()
    if executable:
        os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)


@pytest.fixture(scope="module")
def fake(tmp_path_factory):
    root = tmp_path_factory.mktemp("fake")
    prefix = root / "prefix"
    touch(str(prefix / "include/executorch/runtime/core/portable_type/c10/c10/macros/Macros.h"))
    for lib in PREFIX_LIBS:
        touch(str(prefix / f"lib/lib{lib}.a"))
    ndk = root / "ndk"
    for tool in NDK_TOOLS:
        touch(str(ndk / "toolchains/llvm/prebuilt/linux-x86_64/bin" / tool), executable=True)
    xcode = root / "xcode"
    for tool in ["clang", "ar", "ld", "nm", "objdump", "strip"]:
        touch(str(xcode / "usr/bin" / tool), executable=True)
    os.makedirs(xcode / "SDKs/iPhoneOS.sdk")
    os.makedirs(xcode / "SDKs/iPhoneSimulator.sdk")
    (root / "bin").mkdir()
    (root / "bin/xcrun").write_text(XCRUN.format(root=xcode))
    os.chmod(root / "bin/xcrun", 0o755)
    return root


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    source = os.path.dirname(os.path.realpath("WORKSPACE"))
    target = tmp_path_factory.mktemp("ws") / "checkout"
    shutil.copytree(source, target, symlinks=True,
                    ignore=shutil.ignore_patterns("bazel-*", ".git", "user.bazelrc", "__pycache__"))
    return target


def bazel(workspace, tmp_path, **env):
    base = {k: "" for k in ["EXECUTORCH_ANDROID_PREFIX", "EXECUTORCH_IOS_PREFIX", "EXECUTORCH_IOS_SIMULATOR_PREFIX",
                            "ANDROID_NDK_HOME", "EXECUTORCH_CORTEX_M_PREFIX"]}
    base.update(env)
    return NestedBazel(str(workspace), str(tmp_path / "output_base"),
                       python_environment_repo("../rules_executorch_python/bin/python3"), env=base)


def link_command(nested, config):
    proc, _ = nested.run("aquery", f"--config={config}", 'mnemonic("CppLink", //zoo:llama_chat)')
    commands = re.findall(r"Command Line: \(exec (.*?)\)\n", proc.stdout, re.S)
    assert len(commands) == 1, proc.stdout[-3000:]
    return [a.strip().strip("'") for a in commands[0].split("\\\n")]


def compile_command(nested, config):
    proc, _ = nested.run("aquery", f"--config={config}", 'mnemonic("CppCompile", //runtime:program)')
    commands = re.findall(r"Command Line: \(exec (.*?)\)\n", proc.stdout, re.S)
    assert len(commands) == 1, proc.stdout[-3000:]
    return [a.strip().strip("'") for a in commands[0].split("\\\n")]


def runtime_libs(args):
    """(library name, whole archive) for the runtime's static libraries, in link order."""
    out, whole = [], False
    for a in args:
        if a == "-Wl,-whole-archive":
            whole = True
        elif a == "-Wl,-no-whole-archive":
            whole = False
        m = re.search(r"executorch_runtime_\w+/lib/lib(.+)\.a$", a)
        if m:
            out.append((m.group(1), whole or a.startswith("-Wl,-force_load,")))
    return out


EXPECTED_LINK = [
    ("optimized_native_cpu_ops_lib", True),  # the one kernel registration library
    ("quantized_ops_lib", True),
    ("xnnpack_backend", True),
    ("extension_module_static", False),
    ("extension_tensor", False),
    ("extension_data_loader", False),
    ("extension_threadpool", False),
    ("executorch", True),
    ("optimized_kernels", False),
    ("quantized_kernels", False),
    ("portable_kernels", False),
    ("kernels_util_all_deps", False),
    ("XNNPACK", False),
    ("pthreadpool", False),
    ("cpuinfo", False),
    ("executorch_core", False),
]


def test_android_arm64(workspace, fake, tmp_path):
    nested = bazel(workspace, tmp_path, EXECUTORCH_ANDROID_PREFIX=str(fake / "prefix"), ANDROID_NDK_HOME=str(fake / "ndk"))
    link = link_command(nested, "android_arm64")
    assert link[0] == str(fake / "ndk/toolchains/llvm/prebuilt/linux-x86_64/bin/clang")
    assert "--target=aarch64-linux-android26" in link
    assert runtime_libs(link) == EXPECTED_LINK
    assert "-llog" in link and "-lc++_static" in link and "-lstdc++" not in link
    compile = compile_command(nested, "android_arm64")
    assert compile[0] == link[0]
    assert "--target=aarch64-linux-android26" in compile and "-fPIC" in compile
    assert "-DC10_USING_CUSTOM_GENERATED_MACROS" in compile
    assert any(a.endswith("executorch_runtime_android_arm64/include/executorch/runtime/core/portable_type/c10") for a in compile)


@pytest.mark.parametrize("config,prefix_env,triple,sdk", [
    ("ios_arm64", "EXECUTORCH_IOS_PREFIX", "arm64-apple-ios15.0", "iPhoneOS.sdk"),
    ("ios_sim_arm64", "EXECUTORCH_IOS_SIMULATOR_PREFIX", "arm64-apple-ios15.0-simulator", "iPhoneSimulator.sdk"),
])
def test_ios(workspace, fake, tmp_path, config, prefix_env, triple, sdk):
    nested = bazel(workspace, tmp_path, **{prefix_env: str(fake / "prefix")},
                   PATH=f"{fake / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}")
    link = link_command(nested, config)
    assert link[0] == str(fake / "xcode/usr/bin/clang")
    assert ["-target", triple] == link[link.index("-target"):link.index("-target") + 2]
    assert "-isysroot" in link and str(fake / "xcode/SDKs" / sdk) in link
    # ld64 has no --whole-archive: registration libraries and libexecutorch.a are force-loaded
    assert runtime_libs(link) == EXPECTED_LINK
    assert "-Wl,-whole-archive" not in link and "-Wl,--no-as-needed" not in link
    assert not any("--export-dynamic-symbol" in a for a in link)
    compile = compile_command(nested, config)
    assert compile[0] == link[0] and "-DC10_USING_CUSTOM_GENERATED_MACROS" in compile


def test_unconfigured_platforms_fail_with_one_sentence(workspace, tmp_path):
    nested = bazel(workspace, tmp_path)
    for config, message in [
        ("android_arm64", "no Android NDK: set ANDROID_NDK_HOME to an Android NDK"),
        ("cortex_m55", "no ExecuTorch runtime for cortex_m55: set EXECUTORCH_CORTEX_M_PREFIX"),
    ]:
        proc, _ = nested.run("cquery", f"--config={config}", "//zoo:llama_chat", check=False)
        assert proc.returncode != 0 and message in proc.stderr, proc.stderr[-3000:]


def test_firmware_that_does_not_fit_fails_the_build(workspace, tmp_path):
    nested = bazel(workspace, tmp_path)
    for target, message in [
        ("//tests/firmware:oversized_ram_firmware",
         "//tests/firmware:oversized_ram_firmware: //tests/firmware:oversized_pte does not fit mps3_an547's RAM"),
        ("//tests/firmware:oversized_flash_firmware",
         "//tests/firmware:oversized_flash_firmware: //tests/firmware:oversized_pte does not fit mps3_an547's flash"),
    ]:
        proc, _ = nested.run("build", "--keep_going", target, check=False)
        assert proc.returncode != 0 and message in proc.stderr, proc.stderr[-3000:]
