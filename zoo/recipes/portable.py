"""portable: no delegate; every operator runs on ExecuTorch's portable/optimized kernels.

The right recipe for microcontrollers and for the smallest runtime."""
import contextlib

from zoo.registry import RECIPES


@RECIPES.register("portable")
class Portable:
    @staticmethod
    def partitioners(settings):
        return []

    lowering = staticmethod(contextlib.nullcontext)
