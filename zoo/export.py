"""The one exporter: load -> wrap for a task -> quantize -> torch.export -> lower -> serialize.

Every front door ends here: the `executorch_model` Bazel rule, the zoo's ready targets, and the
shell (`bazel run //zoo:export -- --help`). A user error exits with status 2 and one line on
stderr; a model that cannot be exported exits with status 1 and names the model and the first
error line (the whole traceback only with --verbose). Outputs are written to temporary files
and renamed into place, so an interrupted export leaves nothing half-written.
"""
import argparse
import contextlib
import hashlib
import io
import json
import os
import sys
import tempfile
import time
import traceback


def _hermetic_environment():
    """No network and no writes outside the action's temp dir, whoever imports torch later."""
    scratch = os.environ.get("TMPDIR") or tempfile.gettempdir()
    for key, value in {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HOME": os.path.join(scratch, "hf"),
        "TORCHINDUCTOR_CACHE_DIR": os.path.join(scratch, "inductor"),
        "TRITON_CACHE_DIR": os.path.join(scratch, "triton"),
        "XDG_CACHE_HOME": os.path.join(scratch, "cache"),
        "TOKENIZERS_PARALLELISM": "false",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "TQDM_DISABLE": "1",
    }.items():
        os.environ.setdefault(key, value)


_hermetic_environment()


def _with_fixed_hash_seed():
    """Runs this command again with PYTHONHASHSEED=0 unless it has it (Bazel's actions do):
    transformers builds some models by iterating over a set of strings (Gemma 3 computes its
    rotary embeddings once per layer type, in set order), so the traced program's operator order
    would follow the interpreter's random hash seed."""
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], {**os.environ, "PYTHONHASHSEED": "0"})


if __name__ == "__main__":  # before the heavy imports
    _with_fixed_hash_seed()

from zoo import fusion, quantize, registry, sources  # noqa: E402
from zoo import recipes as _recipes  # noqa: E402,F401  (registers recipes)
from zoo import tasks as _tasks  # noqa: E402,F401  (registers tasks)
from zoo.errors import ExportError  # noqa: E402
from zoo.settings import DTYPES, ExportSettings, ModelSource  # noqa: E402


def infer_task(loaded) -> str:
    if loaded.config is None:
        return "module"
    if loaded.extras.get("task"):
        return loaded.extras["task"]
    architectures = getattr(loaded.config, "architectures", None) or []
    # the longest matching suffix wins: GPT2LMHeadModel is text-generation, BertModel feature-extraction
    best, best_len = None, 0
    for name in registry.TASKS.names():
        for suffix in registry.TASKS.get(name).architecture_suffixes or ():
            if len(suffix) > best_len and any(a.endswith(suffix) for a in architectures):
                best, best_len = name, len(suffix)
    if best:
        return best
    raise ExportError(
        f"cannot infer the task from architectures {architectures or '(none)'}; set task to one of: {', '.join(registry.TASKS.names())}"
    )


def _torch_dtype(name):
    import torch

    if name not in DTYPES:
        raise ExportError(f"unknown dtype {name!r}; choose one of: {', '.join(DTYPES)}")
    return getattr(torch, name)


def _cast_inputs(values, dtype):
    import torch

    def cast(v):
        return v.to(dtype) if isinstance(v, torch.Tensor) and v.is_floating_point() else v

    if isinstance(values, dict):
        return {k: cast(v) for k, v in values.items()}
    return tuple(cast(v) for v in values)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}".rstrip(": ")


def _inferred_reshape_sizes(graph_module):
    """Rewrites each reshape (view_copy) whose target shape has symbolic sizes, when only one of
    its output sizes is dynamic, to give that size as -1. XNNPACK takes a reshape with one
    inferred size but not one with symbolic sizes; left out, every such reshape (each layer's
    [1, n, heads * d] -> [1, n, heads, d]) cuts a delegate partition in two."""
    from executorch.exir.dialects._ops import ops as exir_ops
    from executorch.exir.pass_base import PassResult

    changed = False
    for node in graph_module.graph.nodes:
        if node.op != "call_function" or node.target != exir_ops.edge.aten.view_copy.default:
            continue
        source = node.args[0]
        if getattr(source, "target", None) == node.target and len(source.users) == 1:
            # a reshape of a reshape is one reshape (edge tensors are contiguous)
            node.args = (source.args[0],) + tuple(node.args[1:])
            changed = True
        if all(isinstance(size, int) for size in node.args[1]) or "val" not in node.meta:
            continue
        sizes = [size if isinstance(size, int) else -1 for size in node.meta["val"].shape]
        if sizes.count(-1) == 1:
            node.args = (node.args[0], sizes) + tuple(node.args[2:])
            changed = True
    if changed:
        graph_module.graph.eliminate_dead_code()
        graph_module.recompile()
    return PassResult(graph_module, changed)


def _common_subexpressions(graph_module):
    """Computes once what the graph computes twice from the same inputs: transformers calls each
    projection on its own, so the dynamic 8-bit quantization of an input shared by the query,
    key and value projections (or gate and up) is traced once per projection, as are the group
    means of GridLinear layers; in XNNPACK each copy is an operator run on every token. The
    edge graph is functional here (the cache updates are made in place only later), so merging
    equal nodes is sound."""
    from executorch.exir.pass_base import PassResult
    from torch.fx.passes.dialect.common.cse_pass import CSEPass

    result = CSEPass()(graph_module)
    return PassResult(result.graph_module, result.modified)


def _identity_clones(graph_module):
    """Drops clones that copy a tensor to the same layout: transformers makes a reshaped
    transpose contiguous (attention outputs, grouped queries), which in the edge graph, where
    every tensor is already contiguous, leaves a copy that XNNPACK would run on every token.
    The edge graph is functional, so reading the tensor itself is the same."""
    from executorch.backends.transforms.remove_clone_ops import RemoveCloneOpsTransform

    return RemoveCloneOpsTransform(preserve_input_output_copies=True)(graph_module)


_DATA_TAG = "model"


def _tied_table_placeholders(exported, tied):
    """(names of the exported program's placeholders for a TiedTable's lookup: the table and its
    scales, the name prefix of the output projection's placeholders). The task wrapper prefixes
    the model's names."""
    named = {**exported.graph_signature.inputs_to_parameters, **exported.graph_signature.inputs_to_buffers}

    def find(tensor):
        found = [(name, fqn[: len(fqn) - len(tensor)]) for name, fqn in named.items() if fqn == tensor or fqn.endswith("." + tensor)]
        return found[0] if len(found) == 1 else None

    # an unquantized tied table is one parameter: strict export lifts it once, named after either
    # of its owners, non-strict export once per owner (both placeholders hold the same tensor)
    embedding, output = find(tied.embedding), find(tied.output + ".weight")
    table = embedding or output
    scales = find(tied.scales) if tied.scales else None
    if table is None or (tied.scales and scales is None):
        raise ExportModelError(f"cannot find the tied embedding table {tied.embedding} in the exported program")
    lookup = [table[0]] + ([scales[0]] if scales else [])
    if embedding and output and _same_tensor(exported, named[embedding[0]], named[output[0]]):
        lookup.append(output[0])
    return lookup, "p_" + (table[1] + tied.output).replace(".", "_") + "_"


def _same_tensor(exported, fqn, other):
    tensors = exported.state_dict
    return fqn in tensors and other in tensors and tensors[fqn] is tensors[other]


def _delegate_constants_to_data_file(names, prefix):
    """An edge transform pass: the delegate stores the constants of the placeholders `names` and
    of those starting with `prefix` in the data file instead of the program."""
    from executorch.exir.pass_base import PassResult

    def tag(graph_module):
        changed = False
        for node in graph_module.graph.nodes:
            if node.op == "placeholder" and (node.name in names or node.name.startswith(prefix)):
                for tagged in (node, *node.users):  # the weight as the delegate sees it: itself or its dequantize
                    tagged.meta.setdefault("custom", {})["delegate_constant_tag"] = _DATA_TAG
                changed = True
        return PassResult(graph_module, changed)

    return tag


def _initialized_buffers(names):
    """A to_executorch pass: the mutable buffers named `names` keep their initial values in the
    program. It sets the flag ExecuTorch's InitializedMutableBufferPass sets, on the placeholders
    that pass would pick (a name containing one of `names`), without re-tracing the whole graph
    to do it (one whole-graph re-trace, a few per cent of SmolLM2's export)."""
    from executorch.exir.pass_base import PassResult

    def mark(graph_module):
        for node in graph_module.graph.nodes:
            if node.op == "placeholder" and any(name in node.name for name in names):
                node.meta["et_init_buffer"] = True
        return PassResult(graph_module, False)

    return mark


def lower(settings: ExportSettings, plan, tied=None):
    """torch.export + edge lowering + ExecuTorch serialization of an ExportPlan. With a TiedTable,
    the table goes to the data file twice (as the embedding's constant and as the delegate's
    output-projection weight), where equal bytes are stored once."""
    from executorch.exir import EdgeCompileConfig, ExecutorchBackendConfig, to_edge_transform_and_lower

    recipe = registry.RECIPES.get(settings.recipe)
    name = settings.source.label or settings.source.path
    try:
        exported = _traced(plan)
    except ExportError:
        raise
    except Exception as e:  # noqa: BLE001 - torch.export raises many kinds
        raise ExportModelError(f"torch.export cannot trace {name}: {_first_line(e)}") from e
    transform_passes, external_constants = [_common_subexpressions, _identity_clones, _inferred_reshape_sizes], False
    if tied is not None:
        lookup, output_prefix = _tied_table_placeholders(exported, tied)
        transform_passes.append(_delegate_constants_to_data_file(lookup, output_prefix))
        external_constants = lambda node: _DATA_TAG if node.name in lookup else None  # noqa: E731
    try:
        passes = [_initialized_buffers(plan.initialized_buffers)] if plan.initialized_buffers else []
        with recipe.lowering():
            edge = to_edge_transform_and_lower(
                exported,
                transform_passes=transform_passes,
                partitioner=recipe.partitioners(settings),
                compile_config=EdgeCompileConfig(_check_ir_validity=False),
                constant_methods=plan.constant_methods or None,
            )
            # quant fusion turns torchao's dequantize_affine + embedding into the runtime's
            # quantized_decomposed kernels (there is no out variant of dequantize_affine);
            # re-inplacing turns KV-cache index_put back into an in-place update (no cache copy)
            return edge.to_executorch(ExecutorchBackendConfig(
                passes=passes, do_quant_fusion_and_const_prop=True, run_reinplace_pass=True,
                external_constants=external_constants))
    except Exception as e:  # noqa: BLE001
        raise ExportModelError(f"lowering {name} with recipe {settings.recipe!r} failed: {_first_line(e)}") from e


def _traced(plan):
    """torch.export of the plan (non-strict: the module runs as Python, its tensor operations
    traced). torch prints the partial graph of a failed trace to stderr; it goes with the error
    instead (shown with --verbose), so the exporter's error stays one line."""
    import torch

    printed = io.StringIO()
    try:
        with torch.no_grad(), contextlib.redirect_stderr(printed):
            exported = torch.export.export(plan.module, plan.example_args, plan.example_kwargs or None,
                                           dynamic_shapes=plan.dynamic_shapes, strict=False)
    except Exception as e:
        if printed.getvalue().strip():
            e.add_note(printed.getvalue().strip())
        raise
    sys.stderr.write(printed.getvalue())
    return exported


class ExportModelError(Exception):
    """The model itself could not be exported (not a settings problem)."""


def _describe_program(program_manager, pte: bytes, constant_methods) -> dict:
    """Methods (inputs/outputs/planned memory), operators and delegates, read back from the program."""
    from executorch.runtime import Runtime

    program = Runtime.get().load_program(pte)
    plans = {plan.name: plan for plan in program_manager.executorch_program.execution_plan}
    methods, operators, delegates = {}, set(), set()
    for plan in plans.values():
        operators.update(f"{op.name}.{op.overload}" if op.overload else op.name for op in plan.operators)
        delegates.update(d.id for d in plan.delegates)
    for method in sorted(set(program.method_names) - set(constant_methods)):
        meta = program.metadata(method)

        def tensors(count, get):
            out = []
            for i in range(count):
                try:
                    info = get(i)
                except Exception:  # noqa: BLE001 - non-tensor values (ints, lists)
                    out.append({"kind": "non-tensor"})
                    continue
                out.append({"dtype": _DTYPE_NAMES.get(int(info.dtype()), f"scalar_type_{int(info.dtype())}"), "shape": list(info.sizes())})
            return out

        methods[method] = {
            "inputs": tensors(meta.num_inputs(), meta.input_tensor_meta),
            "outputs": tensors(meta.num_outputs(), meta.output_tensor_meta),
            "planned_memory_bytes": sum(plans[method].non_const_buffer_sizes[1:]),
            # what firmware sizes its static arenas from: one buffer per planned memory id
            # (id 0 is reserved), and the counts the method allocator's use grows with
            "planned_buffers_bytes": list(plans[method].non_const_buffer_sizes[1:]),
            "num_values": len(plans[method].values),
            "num_instructions": sum(len(chain.instructions) for chain in plans[method].chains),
        }
    return {"methods": methods, "operators": sorted(operators), "delegates": sorted(delegates)}


# ExecuTorch ScalarType codes -> the dtype names torch and numpy users know
_DTYPE_NAMES = {0: "uint8", 1: "int8", 2: "int16", 3: "int32", 4: "int64", 5: "float16", 6: "float32",
                7: "float64", 11: "bool", 15: "bfloat16"}


def _versions() -> dict:
    from importlib import metadata

    out = {}
    for dist in ("torch", "executorch", "torchao", "transformers"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out


@contextlib.contextmanager
def _atomic_output(path):
    """Yields a temp path next to `path`; renames it into place only on success."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".partial-", dir=directory)
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _write_bytes(path, data: bytes):
    with _atomic_output(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)


def _npz_bytes(arrays: dict) -> bytes:
    """An .npz (numpy.load reads it) with fixed timestamps, so equal arrays give equal bytes."""
    import io
    import zipfile

    import numpy as np

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(arrays):
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            archive.writestr(zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0)), member.getvalue())
    return buffer.getvalue()


def _tokenizer_json(loaded) -> bytes:
    """tokenizer.json bytes of the source, or None when it has none."""
    if loaded.tokenizer_json:
        with open(loaded.tokenizer_json, "rb") as f:
            return f.read()
    tokenizer = sources.hf_tokenizer(loaded)
    if tokenizer is not None and "gguf_file" in loaded.extras:
        return tokenizer.backend_tokenizer.to_str().encode("utf-8")
    return None


def _data_file_bytes(program_manager) -> bytes:
    """The program's .ptd (ExecuTorch program-data separation), serialized by ExecuTorch."""
    with tempfile.TemporaryDirectory() as directory:
        program_manager.write_tensor_data_to_file(directory)
        files = os.listdir(directory)
        if files != [_DATA_TAG + ".ptd"]:
            raise ExportModelError(f"expected one data file {_DATA_TAG}.ptd, ExecuTorch wrote {sorted(files)}")
        with open(os.path.join(directory, files[0]), "rb") as f:
            return f.read()


def export(settings: ExportSettings, pte_path: str, manifest_path: str = None, tokenizer_path: str = None,
           report: bool = False, reference_path: str = None, data_path: str = None) -> dict:
    """Runs one export and writes its outputs. Returns the manifest. `report` prints a one-line summary."""
    import torch

    started = time.monotonic()
    dtype = _torch_dtype(settings.dtype)
    # fail on a bad name before any loading
    if settings.task:
        registry.TASKS.get(settings.task)
    registry.RECIPES.get(settings.recipe)
    if settings.data_file != bool(data_path):
        raise ExportError("data_file and a data output path go together: pass both or neither")
    if settings.data_file and settings.recipe != "xnnpack":
        raise ExportError(f"data_file needs recipe xnnpack (the output projection is stored by the delegate), got {settings.recipe!r}")
    if settings.qlinear:
        quantize.QLINEAR.get(settings.qlinear)
    if settings.qembedding:
        quantize.QEMBEDDING.get(settings.qembedding)
    if settings.qoutput:
        quantize.QLINEAR.get(settings.qoutput)
    torch.manual_seed(0)

    with sources.gguf_read_once():
        loaded = sources.load(settings.source)
        task_name = settings.task or infer_task(loaded)
        task = registry.TASKS.get(task_name)
        model = task.load(loaded, settings).to(dtype)
        fused_projections = fusion.fuse_sibling_projections(model)
        quantization, tied = quantize.quantize_model(model, settings.qlinear, settings.qlinear_group_size, settings.qembedding,
                                                     settings.qoutput, share_tied=settings.data_file, exact_grid=settings.exact_grid)
        plan = task.plan(model, loaded, settings)
    plan.example_args = _cast_inputs(plan.example_args, dtype)
    plan.example_kwargs = _cast_inputs(plan.example_kwargs, dtype)

    with quantize.shape_only_kernels():
        program_manager = lower(settings, plan, tied)
    pte = program_manager.buffer
    data = _data_file_bytes(program_manager) if tied else None
    tokenizer = _tokenizer_json(loaded) if (tokenizer_path or reference_path) else None
    if tokenizer_path and tokenizer is None:
        raise ExportError(f"{settings.source.label or settings.source.path} has no tokenizer.json to emit; drop the tokenizer output")

    manifest = {
        "format_version": 1,
        "task": task_name,
        "settings": {**settings.as_manifest(), "task": task_name},
        "metadata": plan.constant_methods,
        **plan.manifest,
        **_describe_program(program_manager, pte, plan.constant_methods),
        "quantization": quantization,
        "fused_projections": fused_projections,
        "pte": {"size_bytes": len(pte), "sha256": hashlib.sha256(pte).hexdigest()},
        "data_file": {"size_bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()} if data else None,
        "tokenizer": {"sha256": hashlib.sha256(tokenizer).hexdigest()} if tokenizer else None,
        "versions": _versions(),
    }
    reference = None
    if reference_path:
        # after lowering: running the eager model must not change the state that was exported
        reference = _npz_bytes(task.reference(model, loaded, settings, plan, tokenizer))
    _write_bytes(pte_path, pte)
    if data_path:
        _write_bytes(data_path, data)
    if reference_path:
        _write_bytes(reference_path, reference)
    if tokenizer_path:
        _write_bytes(tokenizer_path, tokenizer)
    if manifest_path:
        _write_bytes(manifest_path, (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode())
    if report:
        print(
            f"exported {settings.source.label or settings.source.path} ({task_name}, {settings.recipe}) -> "
            f"{pte_path}: {len(pte)} bytes{f' + {len(data)} in {data_path}' if data else ''} in {time.monotonic() - started:.1f} s",
            file=sys.stderr,
        )
    return manifest


def _bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("1", "true", "yes"):
        return True
    if lowered in ("0", "false", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="export",
        description="Export a PyTorch / Hugging Face model to an ExecuTorch .pte program.",
    )
    src = p.add_argument_group("model source (exactly one)")
    src.add_argument("--zoo_config", help="zoo model config (.json): seeded random weights")
    src.add_argument("--checkpoint", help="Hugging Face model directory (config.json + safetensors)")
    src.add_argument("--gguf", help=".gguf file")
    src.add_argument("--module", help="package.module:factory returning (torch.nn.Module, example_inputs)")
    p.add_argument("--tokenizer", help="tokenizer.json that goes with --zoo_config")
    p.add_argument("--source_label", default="", help="name of the source in the manifest and in messages")
    p.add_argument("--task", help="one of: " + ", ".join(registry.TASKS.names()) + " (inferred when omitted)")
    p.add_argument("--recipe", default="xnnpack", help="one of: " + ", ".join(registry.RECIPES.names()))
    p.add_argument("--qlinear", help="linear quantization: " + ", ".join(quantize.QLINEAR.names()))
    p.add_argument("--qlinear_group_size", type=int, default=32, help="group size for grouped schemes (0: per channel)")
    p.add_argument("--qembedding", help="embedding quantization: " + ", ".join(quantize.QEMBEDDING.names()))
    p.add_argument("--qoutput", help="output projection (lm_head) quantization, one of the qlinear schemes (default: as --qlinear)")
    p.add_argument("--dtype", default="float32", help="one of: " + ", ".join(DTYPES))
    p.add_argument("--max_seq_len", type=int, default=128)
    p.add_argument("--dynamic_shapes", type=_bool, default=True, help="parallel prefill for LLMs (true/false)")
    p.add_argument("--exact_grid", type=_bool, default=True,
                   help="keep grouped 4-bit weights that already lie on such a grid (GGUF Q4_1) exact (true/false)")
    p.add_argument("--output", "-o", required=True, help="the .pte to write")
    p.add_argument("--data_file", help="store a tied embedding/output table once, in this .ptd data file next to the .pte")
    p.add_argument("--manifest", help="the manifest .json to write")
    p.add_argument("--tokenizer_out", help="where to write the model's tokenizer.json")
    p.add_argument("--reference", help="where to write eager reference inputs/outputs (.npz) for runner tests")
    p.add_argument("--verbose", action="store_true", help="full tracebacks and library warnings")
    p.add_argument("--quiet", action="store_true", help="print nothing on success")
    args = p.parse_args(argv)

    given = [(kind, value) for kind, value in (
        ("zoo", args.zoo_config), ("checkpoint", args.checkpoint), ("gguf", args.gguf), ("module", args.module)
    ) if value]
    if len(given) != 1:
        raise ExportError(
            "give exactly one model source (--zoo_config, --checkpoint, --gguf or --module), got "
            + (", ".join(kind for kind, _ in given) or "none")
        )
    kind, path = given[0]
    settings = ExportSettings(
        source=ModelSource(kind=kind, path=path, tokenizer=args.tokenizer, label=args.source_label or path),
        task=args.task,
        recipe=args.recipe,
        qlinear=args.qlinear,
        qlinear_group_size=args.qlinear_group_size,
        qembedding=args.qembedding,
        qoutput=args.qoutput,
        dtype=args.dtype,
        max_seq_len=args.max_seq_len,
        dynamic_shapes=args.dynamic_shapes,
        data_file=bool(args.data_file),
        exact_grid=args.exact_grid,
    )
    return args, settings


def _quiet_libraries():
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    os.environ.setdefault("TORCH_CPP_LOG_LEVEL", "ERROR")


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if os.environ.get("BUILD_WORKING_DIRECTORY"):  # `bazel run`: paths are relative to where the user is
        os.chdir(os.environ["BUILD_WORKING_DIRECTORY"])
    verbose = "--verbose" in argv
    if not verbose:
        _quiet_libraries()
    try:
        args, settings = parse_args(argv)
        # Silent on success inside a build action (Bazel shows any output of an action).
        export(settings, args.output, args.manifest, args.tokenizer_out, report=not args.quiet,
               reference_path=args.reference, data_path=args.data_file)
        return 0
    except ExportError as e:
        if verbose:
            traceback.print_exc()
        print(f"export: error: {e}", file=sys.stderr)
        return 2
    except ExportModelError as e:
        if verbose:
            traceback.print_exc()
        else:
            print(f"export: error: {e} (rerun with --verbose for the full traceback)", file=sys.stderr)
        return 1
    except Exception as e:  # noqa: BLE001 - anything else is a bug of ours: still one line
        if verbose:
            traceback.print_exc()
        else:
            print(f"export: internal error: {_first_line(e)} (rerun with --verbose for the full traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
