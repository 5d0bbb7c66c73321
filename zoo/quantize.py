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
# name -> (bits, grouped)
_EMBEDDING = {"4w": (4, True), "8w": (8, False)}

for _name, _scheme in _LINEAR.items():
    QLINEAR.register(_name)(_scheme)
for _name, _scheme in _EMBEDDING.items():
    QEMBEDDING.register(_name)(_scheme)


def _quantize_linears(model, scheme, group_size, select) -> dict:
    """Quantizes the linear layers whose names `select` accepts with a qlinear scheme; returns
    the manifest entry."""
    from torchao.quantization import quantize_

    weight_dtype, dynamic, grouped = QLINEAR.get(scheme)
    group_size = group_size if grouped else 0
    for name, module in model.named_modules():
        if group_size and isinstance(module, torch.nn.Linear) and select(name) and module.in_features % group_size:
            raise ExportError(
                f"qlinear_group_size {group_size} does not divide the {module.in_features} input features of {name}; "
                "choose a divisor (or 0 for per-channel)"
            )
    quantize_(model, _linear_config(weight_dtype, dynamic, group_size),
              filter_fn=lambda module, fqn: isinstance(module, torch.nn.Linear) and select(fqn))
    return {"scheme": scheme, "group_size": group_size or None}


class QuantizedEmbedding(torch.nn.Module):
    """An embedding stored as symmetric int8 or packed int4 rows with per-group scales, looked
    up with the runtime's quantized_decomposed::embedding_byte / embedding_4bit kernels.

    Built here rather than through torchao so the program holds exactly the operator the
    runtime's quantized kernel library implements, with no dequantize step to fuse later."""

    def __init__(self, weight: torch.Tensor, bits: int, group_size: int):
        super().__init__()
        import executorch.exir.passes._quant_patterns_and_replacements  # noqa: F401  (defines the ops)

        rows, dim = weight.shape
        group = group_size if group_size and dim % group_size == 0 else dim
        self.bits = bits
        self.quant_min, self.quant_max = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
        grouped = weight.detach().float().reshape(rows, dim // group, group)
        scales = grouped.abs().amax(-1).clamp(min=1e-12) / self.quant_max
        q = torch.clamp(torch.round(grouped / scales[..., None]), self.quant_min, self.quant_max)
        q = q.to(torch.int8).reshape(rows, dim)
        if bits == 4:
            # two values a byte, even element in the high nibble, both offset by 8
            u = (q + 8).to(torch.uint8)
            q = (u[:, 0::2] << 4) | u[:, 1::2]
        self.register_buffer("weight", q)
        self.register_buffer("scales", scales if dim // group > 1 else scales[:, 0])

    def forward(self, indices):
        op = torch.ops.quantized_decomposed.embedding_byte if self.bits == 8 else torch.ops.quantized_decomposed.embedding_4bit
        return op.default(self.weight, self.scales, None, self.quant_min, self.quant_max, indices)


def _quantize_embeddings(model, bits, group_size) -> list:
    """Swaps every nn.Embedding for a QuantizedEmbedding; returns the swapped names."""
    swapped = []
    for parent_name, parent in list(model.named_modules()):
        for child_name, child in list(parent.named_children()):
            if isinstance(child, torch.nn.Embedding):
                if bits == 4 and child.embedding_dim % 2:
                    raise ExportError(f"qembedding 4w needs an even embedding size; {parent_name}.{child_name} has {child.embedding_dim}")
                setattr(parent, child_name, QuantizedEmbedding(child.weight, bits, group_size))
                swapped.append(f"{parent_name}.{child_name}".lstrip("."))
    return swapped


def _shared_with_embeddings(model) -> list:
    """Linear layers whose weight is an embedding's (tied input/output embeddings)."""
    embeddings = {id(m.weight) for m in model.modules() if isinstance(m, torch.nn.Embedding)}
    return [name for name, m in model.named_modules() if isinstance(m, torch.nn.Linear) and id(m.weight) in embeddings]


def _output_projection(model):
    """(name, module) of the model's output projection (transformers' lm_head)."""
    get = getattr(model, "get_output_embeddings", None)
    output = get() if callable(get) else None
    for name, module in model.named_modules():
        if module is output and isinstance(module, torch.nn.Linear):
            return name, module
    raise ExportError("qoutput needs a model with an output projection (a transformers model with an lm_head); drop qoutput")


def quantize_model(model: torch.nn.Module, qlinear, group_size: int, qembedding, qoutput=None) -> dict:
    """Quantizes `model` in place; returns what was done, for the manifest. `qoutput` overrides
    qlinear's scheme for the output projection, to which small models are the most sensitive."""
    if not qlinear and not qembedding and not qoutput:
        return {}
    report = {}
    if qembedding:
        bits, grouped = QEMBEDDING.get(qembedding)
        tied = _shared_with_embeddings(model)
        swapped = _quantize_embeddings(model, bits, group_size if grouped else 0)
        report["embedding"] = {
            "scheme": qembedding,
            "group_size": group_size if grouped else None,
            "modules": swapped,
            # the output projection keeps its own copy of a tied weight (quantized by qlinear)
            "untied_from_embedding": tied,
        }
    output_name = None
    if qoutput:
        output_name, output = _output_projection(model)
        if any(output.weight is m.weight for m in model.modules() if isinstance(m, torch.nn.Embedding)):
            output.weight = torch.nn.Parameter(output.weight.detach().clone())  # quantized on its own
    if qlinear:
        report["linear"] = _quantize_linears(model, qlinear, group_size, lambda fqn: fqn != output_name)
    if qoutput:
        entry = _quantize_linears(model, qoutput, group_size, lambda fqn: fqn == output_name)
        report["output"] = {"scheme": qoutput, "module": output_name, "group_size": entry["group_size"]}
    return report
