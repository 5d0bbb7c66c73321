"""xnnpack: delegate what XNNPACK supports (linear, conv, elementwise, quantized matmuls) to
the XNNPACK backend; the rest runs on the portable/optimized kernels."""
from zoo.registry import RECIPES


@RECIPES.register("xnnpack")
class Xnnpack:
    @staticmethod
    def partitioners(settings):
        from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner

        return [XnnpackPartitioner()]
