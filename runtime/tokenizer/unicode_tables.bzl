"""unicode_tables: the tokenizer's Unicode tables, generated at build time from Python's unicodedata."""

_PY_TOOLCHAIN = "@bazel_tools//tools/python:toolchain_type"

def _unicode_tables_impl(ctx):
    out = ctx.actions.declare_file(ctx.attr.out)
    runtime = ctx.toolchains[_PY_TOOLCHAIN].py3_runtime
    ctx.actions.run(
        executable = runtime.interpreter or runtime.interpreter_path,
        arguments = [ctx.file.generator.path, "--output", out.path],
        inputs = depset([ctx.file.generator], transitive = [runtime.files]),
        outputs = [out],
        env = {
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONNOUSERSITE": "1",
            "PYTHONSAFEPATH": "1",
            "HOME": "/nonexistent",
        },
        mnemonic = "UnicodeTables",
        progress_message = "Generating Unicode tables {}".format(ctx.label),
    )
    return [DefaultInfo(files = depset([out]))]

unicode_tables = rule(
    implementation = _unicode_tables_impl,
    doc = "Runs `generator --output <out>` with the Python toolchain's interpreter.",
    attrs = {
        "generator": attr.label(mandatory = True, allow_single_file = [".py"]),
        "out": attr.string(mandatory = True),
    },
    toolchains = [_PY_TOOLCHAIN],
)
