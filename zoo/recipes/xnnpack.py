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


@contextlib.contextmanager
def _nonempty_data_dependent_sizes():
    """XNNPACK's partitioner refuses every tensor whose size depends on data (it cannot rule out
    an empty tensor, which XNNPACK does not take). Attention over a KV-cache prefix has such a
    size (cache_position[0] + n, at least 1), and leaving it out keeps each layer's attention on
    the portable kernels between two delegate calls. Within this context the partitioner refuses
    only sizes that may be 0; XNNPACK itself sizes them by their upper bound at export and by
    the actual tensors at run time."""
    from executorch.backends.xnnpack.partition.config import xnnpack_config

    original = xnnpack_config.has_free_unbacked_symbols
    xnnpack_config.has_free_unbacked_symbols = _may_be_empty
    try:
        yield
    finally:
        xnnpack_config.has_free_unbacked_symbols = original


def _partitioner():
    from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner

    class Partitioner(XnnpackPartitioner):
        def partition(self, exported_program):
            with _nonempty_data_dependent_sizes():
                return super().partition(exported_program)

    return Partitioner()


@RECIPES.register("xnnpack")
class Xnnpack:
    @staticmethod
    def partitioners(settings):
        return [_partitioner()]
