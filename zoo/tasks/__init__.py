"""Tasks: how a model family is loaded and wrapped for one job.

Every module in this package registers its task(s) in zoo.registry.TASKS on import; adding a
task is adding a file here.
"""
import dataclasses
import importlib
import pkgutil
from typing import Any, Dict, List, Optional

import torch


@dataclasses.dataclass
class ExportPlan:
    """What the exporter hands to torch.export and the recipe."""

    module: torch.nn.Module
    example_args: tuple = ()
    example_kwargs: Dict[str, Any] = dataclasses.field(default_factory=dict)
    dynamic_shapes: Optional[Any] = None
    constant_methods: Dict[str, Any] = dataclasses.field(default_factory=dict)
    # names of buffers whose initial value is serialised (the KV cache), instead of being
    # left to the runtime's zero-fill
    initialized_buffers: List[str] = dataclasses.field(default_factory=list)


def _import_all():
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")


_import_all()
