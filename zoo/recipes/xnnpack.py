"""xnnpack: delegate what XNNPACK supports (linear, conv, elementwise, quantized matmuls) to
the XNNPACK backend; the rest runs on the portable/optimized kernels."""
import contextlib

from zoo.registry import RECIPES


def _may_be_empty(value) -> bool:
    """Whether a tensor value with data-dependent (unbacked) sizes may have no elements: true
    unless each such size is provably at least 1."""
    import torch
    from torch.fx.experimental.symbolic_shapes import has_free_unbacked_symbols
    from torch.utils._sympy.value_ranges import bound_sympy

    if not has_free_unbacked_symbols(value):
        return False
    for size in value.shape:
        if isinstance(size, torch.SymInt):
            lower = bound_sympy(size.node.expr, size.node.shape_env.var_to_range).lower
            if not lower >= 1:
                return True
    return False


def _call_targets(graph_module) -> set:
    return {node.target for node in graph_module.graph.nodes if node.op == "call_function"}


def _matches_a_pattern(patterns):
    """A subgraph-matching pass can change a graph only if the graph holds every operator of
    one of its patterns."""
    def may_change(graph_module):
        targets = _call_targets(graph_module)
        return any(_call_targets(pattern) <= targets for pattern in patterns())
    return may_change


def _has(*names):
    def may_change(graph_module):
        return any(getattr(target, "__name__", None) in names for target in _call_targets(graph_module))
    return may_change


def _rewrites():
    """For XNNPACK's preprocessing passes that rewrite only particular operators: when each can
    change a partition's graph. Each such pass re-traces the whole partition even when it finds
    nothing to do (a sixth of SmolLM2's export went there); passes not named here always run."""
    from executorch.backends.xnnpack._passes.fuse_activation_pass import FuseActivationPass
    from executorch.backends.xnnpack.partition.graphs import bilinear_2d, sdpa
    from executorch.backends.xnnpack.utils.quant_utils import is_dequant, is_quant
    from executorch.exir.passes.memory_format_ops_pass import MemoryFormatOpsMap

    def custom_meta_to_propagate(graph_module):
        return any((is_quant(node) or is_dequant(node)) and node.args and "custom" in getattr(node.args[0], "meta", {})
                   for node in graph_module.graph.nodes)

    def long_concatenation(graph_module):
        return any(node.op == "call_function" and getattr(node.target, "__name__", None) == "aten.cat.default"
                   and len(node.args[0]) > 5 for node in graph_module.graph.nodes)

    batch_norm = _has("aten._native_batch_norm_legit_no_training.default", "aten.native_batch_norm.default")
    return {
        "DimOrderOpsRevertPass": lambda gm: not _call_targets(gm).isdisjoint(MemoryFormatOpsMap),
        "ConvertToUpsampleBilinear2d": _matches_a_pattern(bilinear_2d.get_graphs),
        "PropagateCustomMetaPass": custom_meta_to_propagate,
        "ConvertToSDPAPass": _matches_a_pattern(sdpa.get_graphs),
        "FuseBatchNormPass": batch_norm,
        "DecomposeBatchNorm": batch_norm,
        "FuseActivationPass": lambda gm: not _call_targets(gm).isdisjoint(FuseActivationPass.FUSEABLE_ACTIVATIONS),
        "DecomposeConcatenate": long_concatenation,
        "RemoveGetItemPass": _has("aten.max_pool2d_with_indices.default", "aten.max.dim"),
        "Conv1dUnsqueezePass": _has("aten.convolution.default"),
        "PReLUReshapePass": _has("aten._prelu_kernel.default"),
        "RemoveRedundantCopyPass": _has("aten._to_copy.default"),
    }


@contextlib.contextmanager
def _lowering():
    """Two changes to XNNPACK's lowering, for the duration of one:
    - its partitioner refuses every tensor whose size depends on data (it cannot rule out an
      empty tensor, which XNNPACK does not take). Attention over a KV-cache prefix has such a
      size (cache_position[0] + n, at least 1), and leaving it out keeps each layer's attention
      on the portable kernels between two delegate calls. Here the partitioner refuses only
      sizes that may be 0; XNNPACK itself sizes them by their upper bound at export and by the
      actual tensors at run time.
    - its preprocessing skips a pass that cannot change the partition at hand (see _rewrites):
      the same program, in less time."""
    from executorch.backends.xnnpack._passes import XNNPACKPassManager, XNNPACKPass
    from executorch.backends.xnnpack.partition.config import xnnpack_config
    from executorch.exir.program._program import _transform

    rewrites = _rewrites()

    def transform(self):
        program = self.exported_program
        for pass_class in self.passes:
            may_change = rewrites.get(pass_class.__name__)
            if may_change is not None and not may_change(program.graph_module):
                continue
            transform_pass = pass_class(program) if issubclass(pass_class, XNNPACKPass) else pass_class()
            program = _transform(program, transform_pass)
        return program

    patches = [(xnnpack_config, "has_free_unbacked_symbols", _may_be_empty), (XNNPACKPassManager, "transform", transform)]
    originals = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
    try:
        for owner, name, value in patches:
            setattr(owner, name, value)
        yield
    finally:
        for owner, name, value in originals:
            setattr(owner, name, value)


@RECIPES.register("xnnpack")
class Xnnpack:
    @staticmethod
    def partitioners(settings):
        from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner

        return [XnnpackPartitioner()]

    lowering = staticmethod(_lowering)
