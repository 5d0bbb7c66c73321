"""Tasks: how a model family is loaded and wrapped for one job.

Every module in this package registers its task(s) in zoo.registry.TASKS on import; adding a
task is adding a file here.
"""
import dataclasses
from typing import Any, Dict, List, Optional

import torch

from zoo import registry


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
    # task-specific manifest entries (e.g. the chat template of an instruct model)
    manifest: Dict[str, Any] = dataclasses.field(default_factory=dict)


def eager_outputs(plan: ExportPlan) -> Dict[str, Any]:
    """Reference for programs that map tensors to tensors: the example inputs and the eager
    module's outputs on them (input_0.., output_0..)."""
    with torch.no_grad():
        outputs = plan.module(*plan.example_args, **plan.example_kwargs)
    if isinstance(outputs, torch.Tensor):
        outputs = (outputs,)
    inputs = list(plan.example_args) + list(plan.example_kwargs.values())
    ref = {f"input_{i}": t.detach().numpy() for i, t in enumerate(inputs)}
    ref.update({f"output_{i}": t.detach().float().numpy() for i, t in enumerate(outputs)})
    return ref


def encoder_plan(model, settings, module, constant_methods) -> ExportPlan:
    """forward(input_ids[1, n], attention_mask[1, n]) of an encoder wrapped in `module`; n is
    dynamic (2..max) unless static shapes are asked for, then it is the maximum length."""
    max_len = min(settings.max_seq_len, getattr(model.config, "max_position_embeddings", settings.max_seq_len))
    n = min(8, max_len)
    ids = torch.arange(n, dtype=torch.long).remainder(model.config.vocab_size).unsqueeze(0)
    example = (ids, torch.ones((1, n), dtype=torch.long))
    dynamic = None
    if settings.dynamic_shapes:
        seq = torch.export.Dim("seq_len", min=2, max=max_len)
        dynamic = ({1: seq}, {1: seq})
    else:
        example = (torch.ones((1, max_len), dtype=torch.long), torch.ones((1, max_len), dtype=torch.long))
    return ExportPlan(
        module=module,
        example_args=example,
        dynamic_shapes=dynamic,
        constant_methods={"get_max_seq_len": max_len, **constant_methods},
    )


registry.import_submodules(__name__, __path__)
