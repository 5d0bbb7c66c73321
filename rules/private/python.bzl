"""Running the exporter's Python in actions: the interpreter from the Python toolchain (the
environment made from the lock file), sources on PYTHONPATH, no bytecode written, no network."""

PY_TOOLCHAIN = "@bazel_tools//tools/python:toolchain_type"

def _python_roots(files):
    """Execroot-relative directories to put on PYTHONPATH so `import pkg` finds these files."""
    roots = {}
    for f in files:
        parts = [p for p in [f.root.path, f.owner.workspace_root if f.owner else ""] if p]
        roots["/".join(parts) or "."] = True
    return roots.keys()

def run_python(ctx, module, arguments, inputs, outputs, libraries, mnemonic, progress_message):
    """Runs `python -m module arguments...` with the toolchain's interpreter.

    Args:
      ctx: rule context (the rule must declare the Python toolchain).
      module: dotted module name to run.
      arguments: list of strings or an Args object.
      inputs: list of Files the action reads besides Python sources.
      outputs: list of Files the action writes.
      libraries: targets with PyInfo whose transitive sources are importable.
      mnemonic: action mnemonic.
      progress_message: progress message.
    """
    runtime = ctx.toolchains[PY_TOOLCHAIN].py3_runtime
    sources = depset(transitive = [lib[PyInfo].transitive_sources for lib in libraries])
    roots = _python_roots(sources.to_list())
    ctx.actions.run(
        executable = runtime.interpreter,
        arguments = ["-m", module] + arguments,
        inputs = depset(inputs, transitive = [sources, runtime.files]),
        outputs = outputs,
        env = {
            "PYTHONPATH": ":".join(roots),
            "PYTHONSAFEPATH": "1",
            "PYTHONHASHSEED": "0",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONNOUSERSITE": "1",
            "HOME": "/nonexistent",
        },
        mnemonic = mnemonic,
        progress_message = progress_message,
    )
