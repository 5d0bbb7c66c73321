"""Weight quantization with torchao, named like `optimum-cli export executorch`
(--qlinear 8da4w|8da8w|4w|8w, --qembedding 4w|8w)."""
import torch

from zoo.errors import ExportError
from zoo.registry import Registry

QLINEAR = Registry("qlinear scheme")
QEMBEDDING = Registry("qembedding scheme")


def _linear_config(weight_dtype, dynamic_activations, group_size):
    from torchao.quantization import Int8DynamicActivationIntxWeightConfig, IntxWeightOnlyConfig
    from torchao.quantization.granularity import PerAxis, PerGroup

    granularity = PerGroup(group_size) if group_size else PerAxis(0)
    if dynamic_activations:
        return Int8DynamicActivationIntxWeightConfig(weight_dtype=weight_dtype, weight_granularity=granularity)
    return IntxWeightOnlyConfig(weight_dtype=weight_dtype, granularity=granularity)


# name -> (weight dtype, dynamically quantized int8 activations, grouped)
_LINEAR = {
    "8da4w": (torch.int4, True, True),
    "8da8w": (torch.int8, True, False),
    "4w": (torch.int4, False, True),
    "8w": (torch.int8, False, False),
}
_EMBEDDING = {"4w": (torch.int4, True), "8w": (torch.int8, False)}

for _name, _scheme in _LINEAR.items():
    QLINEAR.register(_name)(_scheme)
for _name, _scheme in _EMBEDDING.items():
    QEMBEDDING.register(_name)(_scheme)


def _check_group_size(model, group_size):
    for name, module in model.named_modules():
        if isinstance(module, torch.nn.Linear) and module.in_features % group_size:
            raise ExportError(
                f"qlinear_group_size {group_size} does not divide the {module.in_features} input features of {name}; "
                "choose a divisor (or 0 for per-channel)"
            )


def quantize_model(model: torch.nn.Module, qlinear, group_size: int, qembedding) -> dict:
    """Quantizes `model` in place; returns what was done, for the manifest."""
    if not qlinear and not qembedding:
        return {}
    from torchao.quantization import IntxWeightOnlyConfig, quantize_
    from torchao.quantization.granularity import PerAxis, PerGroup

    report = {}
    if qembedding:
        weight_dtype, grouped = QEMBEDDING.get(qembedding)
        granularity = PerGroup(group_size) if grouped and group_size else PerAxis(0)
        quantize_(
            model,
            IntxWeightOnlyConfig(weight_dtype=weight_dtype, granularity=granularity),
            lambda m, fqn: isinstance(m, torch.nn.Embedding),
        )
        report["embedding"] = {"scheme": qembedding, "granularity": str(granularity)}
    if qlinear:
        weight_dtype, dynamic, grouped = QLINEAR.get(qlinear)
        if grouped and group_size:
            _check_group_size(model, group_size)
        quantize_(model, _linear_config(weight_dtype, dynamic, group_size if grouped else 0))
        report["linear"] = {"scheme": qlinear, "group_size": group_size if grouped else None}
    return report
