"""executorch_firmware: a bare-metal ELF with the model's .pte in flash and static arenas sized
from its manifest at build time, and executorch_firmware_test."""

load("@executorch_runtime_cortex_m3//:runtime_info.bzl", _M3_RUNTIME = "CONFIGURED", _M3_REASON = "REASON")
load("@executorch_runtime_cortex_m55//:runtime_info.bzl", _M55_RUNTIME = "CONFIGURED", _M55_REASON = "REASON")
load("//rules:providers.bzl", "ExecuTorchModelInfo")
load(":platform_binary.bzl", "platform_binary")
load(":python.bzl", "PY_TOOLCHAIN", "run_python")
load(":runner.bzl", "check_model_test")

_SEMIHOSTING = "-nographic -semihosting-config enable=on,target=native -kernel"

# Memory is what the board's linker script gives code+model (flash) and data (RAM).
BOARDS = {
    "mps3_an547": struct(
        platform = "cortex_m55",
        flash_bytes = 4 * 1024 * 1024,
        ram_bytes = 2 * 1024 * 1024,
        emulator = "qemu-system-arm -M mps3-an547 " + _SEMIHOSTING,
        runtime = (_M55_RUNTIME, _M55_REASON),
    ),
    "mps2_an385": struct(
        platform = "cortex_m3",
        flash_bytes = 4 * 1024 * 1024 - 1024,
        ram_bytes = 4 * 1024 * 1024,
        emulator = "qemu-system-arm -M mps2-an385 " + _SEMIHOSTING,
        runtime = (_M3_RUNTIME, _M3_REASON),
    ),
}

def _board(board, what):
    if board not in BOARDS:
        fail("{}: unknown board \"{}\"; choose one of: {}".format(what, board, ", ".join(sorted(BOARDS))))
    return BOARDS[board]

def board_cc_binary(name, board, deps = [], **kwargs):
    """A cc_binary that, built for bare metal, links startup code, semihosting and the board's
    linker script (built for the host it is a plain binary)."""
    _board(board, name)
    script = Label("//runtime/firmware/boards:{}_ld".format(board))
    bare = str(Label("//runtime/firmware/boards:bare_metal"))
    native.cc_binary(
        name = name,
        deps = deps + select({bare: [Label("//runtime/firmware/boards:startup")], "//conditions:default": []}),
        linkopts = select({
            # the compiler driver links as C: name the C++ library (static, so after the objects)
            bare: ["-nostartfiles", "--specs=rdimon.specs", "-Wl,-T,$(location {})".format(script), "-lstdc++", "-lm"],
            "//conditions:default": [],
        }),
        additional_linker_inputs = select({bare: [script], "//conditions:default": []}),
        **kwargs
    )

def _firmware_sources_impl(ctx):
    info = ctx.attr.model[ExecuTorchModelInfo]
    if info.data:
        fail("{}: firmware embeds one .pte, but {} keeps its tied embedding table in a .ptd; export it without data_file".format(ctx.label, info.label))
    board = _board(ctx.attr.board, str(ctx.label))
    name = ctx.label.name
    pte_include = ctx.actions.declare_file(name + "_model.inc")  # a header, so the assembler sees it
    ctx.actions.symlink(output = pte_include, target_file = info.pte)
    asm = ctx.actions.declare_file(name + "_model.S")
    config = ctx.actions.declare_file(name + "_model_config.cc")
    ops_yaml = ctx.actions.declare_file(ctx.attr.firmware + ".selected_operators.yaml")
    ops_list = ctx.actions.declare_file(ctx.attr.firmware + ".select_ops_list.txt")
    args = [
        "--label", "//{}:{}".format(ctx.label.package, ctx.attr.firmware),
        "--model_label", str(info.label),
        "--manifest", info.manifest.path,
        "--reference", info.reference.path,
        "--pte", info.pte.path,
        "--pte_include", pte_include.path,
        "--board", ctx.attr.board,
        "--flash_bytes", str(board.flash_bytes),
        "--ram_bytes", str(board.ram_bytes),
        "--code_bytes", str(ctx.attr.code_bytes),
        "--method", ctx.attr.method,
        "--method_pool_bytes", str(ctx.attr.method_pool_bytes),
        "--temp_pool_bytes", str(ctx.attr.temp_pool_bytes),
        "--asm", asm.path,
        "--config_cc", config.path,
        "--ops_yaml", ops_yaml.path,
        "--ops_list", ops_list.path,
    ]
    run_python(
        ctx,
        module = "rules.private.firmware_gen",
        arguments = args,
        inputs = [info.manifest, info.reference, info.pte],
        outputs = [asm, config, ops_yaml, ops_list],
        libraries = [ctx.attr._generator],
        mnemonic = "ExecuTorchFirmware",
        progress_message = "Checking that {} fits {} and generating its firmware sources".format(info.label, ctx.attr.board),
    )
    return [
        DefaultInfo(files = depset([asm, config, pte_include])),
        OutputGroupInfo(selected_operators = depset([ops_yaml, ops_list])),
    ]

_firmware_sources = rule(
    implementation = _firmware_sources_impl,
    attrs = {
        "model": attr.label(mandatory = True, providers = [ExecuTorchModelInfo]),
        "firmware": attr.string(mandatory = True),
        "board": attr.string(mandatory = True),
        "method": attr.string(default = "forward"),
        "code_bytes": attr.int(mandatory = True),
        "method_pool_bytes": attr.int(default = 0),
        "temp_pool_bytes": attr.int(default = 0),
        "_generator": attr.label(default = Label("//rules/private:firmware_gen")),
    },
    toolchains = [PY_TOOLCHAIN],
)

def executorch_firmware(
        name,
        model,
        board = "mps3_an547",
        method = "forward",
        code_bytes = 600 * 1024,
        method_pool_bytes = 0,
        temp_pool_bytes = 1024,
        **kwargs):
    """A firmware ELF that runs `model` once from static memory and prints its outputs.

    The .pte is embedded (128-byte aligned, section .executorch_model, in the board's flash);
    planned buffers and the method/temp pools are static arenas sized from the model's manifest.
    The build fails with one sentence when the program plus `code_bytes` exceed the board's
    flash, or planned memory + pools + stack its RAM. Built for the board's platform
    (--config=cortex_m55 for mps3_an547) it links startup code, the board's linker script and
    semihosting; built for the host it is the same main against the host runtime.

    Outputs besides the ELF: `<name>_selected_operators` (filegroup) with
    `<name>.selected_operators.yaml` (ExecuTorch's gen_oplist format) and
    `<name>.select_ops_list.txt` (the EXECUTORCH_SELECT_OPS_LIST value).

    Args:
      name: target name (the ELF).
      model: an executorch_model target (static shapes; portable recipe for microcontrollers).
      board: "mps3_an547" (Corstone-300, Cortex-M55) or "mps2_an385" (Cortex-M3).
      method: the method to run.
      code_bytes: flash kept for code (runtime, kernels, firmware) in the fit check.
      method_pool_bytes: method allocator arena; 0 sizes it from the manifest's value and
        instruction counts.
      temp_pool_bytes: kernels' scratch arena.
      **kwargs: passed to cc_binary (tags, visibility, testonly, ...).
    """
    _board(board, name)
    _firmware_sources(
        name = name + "_sources",
        model = model,
        firmware = name,
        board = board,
        method = method,
        code_bytes = code_bytes,
        method_pool_bytes = method_pool_bytes,
        temp_pool_bytes = temp_pool_bytes,
        testonly = kwargs.get("testonly", False),
        tags = kwargs.get("tags", []),
        visibility = ["//visibility:private"],
    )
    native.filegroup(
        name = name + "_selected_operators",
        srcs = [":" + name + "_sources"],
        output_group = "selected_operators",
        testonly = kwargs.get("testonly", False),
        tags = kwargs.get("tags", []),
        visibility = kwargs.get("visibility"),
    )
    board_cc_binary(
        name = name,
        board = board,
        srcs = [":" + name + "_sources"],
        copts = ["-std=c++17"],
        deps = [Label("//runtime/firmware:firmware_main")],
        **kwargs
    )

def executorch_firmware_test(name, firmware, model, board = None, size = "small", **kwargs):
    """Runs an executorch_firmware and checks its printed outputs against the eager reference
    recorded at export time (like executorch_model_test).

    Args:
      name: test name.
      firmware: the executorch_firmware target.
      model: its executorch_model.
      board: None runs the firmware built for the host; a board name builds it for the board's
        platform and runs it under QEMU, or, when no ExecuTorch runtime is configured for
        that platform, makes a test that passes after printing why it skipped.
      size: test size.
      **kwargs: passed to the test.
    """
    runner = firmware
    args = ["--firmware"]
    if board:
        spec = _board(board, name)
        configured, reason = spec.runtime
        if not configured:
            native.py_test(
                name = name,
                srcs = [Label("//rules/private:skip_test.py")],
                main = Label("//rules/private:skip_test.py"),
                args = ["'skipped: {}'".format(reason.replace("'", ""))],
                python_version = "PY3",
                size = "small",
                **kwargs
            )
            return
        platform_binary(
            name = name + "_" + board,
            binary = firmware,
            platform = Label("//rules/platforms:" + spec.platform),
            testonly = True,
            tags = kwargs.get("tags", []),
        )
        runner = name + "_" + board
        args.append("'--wrapper={}'".format(spec.emulator))
    check_model_test(name, runner, model, args, size, **kwargs)
