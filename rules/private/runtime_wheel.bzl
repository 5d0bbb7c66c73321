"""Repository rule: the ExecuTorch C++ runtime (headers + shared libraries) from the executorch
wheel for one platform, fetched with pip (no other client), checked against a pinned sha256."""

load(":repository_utils.bzl", "check_execute")

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

_EXTRACT = """
import hashlib, os, sys, zipfile
wheel, sha256, libs = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
digest = hashlib.sha256(open(wheel, "rb").read()).hexdigest()
if digest != sha256:
    sys.exit("sha256 of %s is %s, expected %s" % (os.path.basename(wheel), digest, sha256))
wanted = {"executorch/lib/lib%s.so" % l for l in libs}
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        name = info.filename
        if (name.startswith("executorch/include/") and not name.endswith("/")) or name in wanted:
            target = name[len("executorch/"):]
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with z.open(info) as src, open(target, "wb") as dst:
                dst.write(src.read())
            if name in wanted:
                os.chmod(target, 0o755)
missing = [w for w in wanted if not os.path.exists(w[len("executorch/"):])]
if missing:
    sys.exit("the wheel has no " + ", ".join(missing))
"""

def _runtime_wheel_impl(rctx):
    python = rctx.which("python3")
    if not python:
        fail("rules_executorch: python3 (with pip) is needed to fetch the executorch runtime wheel")
    rctx.report_progress("pip download executorch=={} for {}".format(rctx.attr.version, rctx.attr.wheel_platform))
    result = rctx.execute([
        python,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--no-deps",
        "--only-binary=:all:",
        "--platform",
        rctx.attr.wheel_platform,
        "--python-version",
        "3.11",
        "--implementation",
        "cp",
        "--abi",
        "cp311",
        "-d",
        "wheel",
        "executorch==" + rctx.attr.version,
    ], timeout = 1200)
    check_execute(result, "pip download executorch=={} for {}".format(rctx.attr.version, rctx.attr.wheel_platform))
    wheels = [p for p in rctx.path("wheel").readdir() if p.basename.endswith(".whl")]
    if len(wheels) != 1:
        fail("rules_executorch: expected one executorch wheel for {}, got {}".format(rctx.attr.wheel_platform, wheels))
    rctx.file("extract.py", _EXTRACT)
    check_execute(
        rctx.execute([python, "extract.py", str(wheels[0]), rctx.attr.sha256, ",".join(_LIBRARIES)]),
        "checking and unpacking " + wheels[0].basename,
    )
    rctx.delete("wheel")
    rctx.delete("extract.py")
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
