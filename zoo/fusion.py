"""Sibling projections of one input computed as one matrix product.

transformers computes a layer's query, key and value projections (and an MLP's gate and up
projections) as separate linear layers of the same input. Here they become one linear layer
with the siblings' weights stacked, of which each sibling takes its columns: one quantized
matrix product per layer input instead of three (and, for weights kept on their source grid,
one offset product and one addition instead of three). The exported graph traces the fused
product once per sibling; the exporter's common-subexpression pass merges them into one."""
import torch

# sibling projection names -> the name of the fused layer on their parent module
SIBLINGS = {
    ("q_proj", "k_proj", "v_proj"): "qkv_proj",
    ("gate_proj", "up_proj"): "gate_up_proj",
    ("query", "key", "value"): "query_key_value",
}


class FusedPart(torch.nn.Module):
    """Columns [start, stop) of `owner.<fused>(x)`. The owner is looked up on every call (not a
    submodule: the fused layer is registered once, on the owner, where quantization replaces it)."""

    def __init__(self, owner, fused: str, start: int, stop: int):
        super().__init__()
        object.__setattr__(self, "_owner", owner)
        self.fused, self.start, self.stop = fused, start, stop

    def forward(self, x):
        return getattr(self._owner, self.fused)(x)[..., self.start:self.stop]

    def extra_repr(self):
        return f"{self.fused}[..., {self.start}:{self.stop}]"


def _fusible(layers) -> bool:
    """Plain linear layers of the same input size, dtype and bias use, none sharing its weight."""
    if not all(type(layer) is torch.nn.Linear for layer in layers):
        return False
    first = layers[0]
    weights = {id(layer.weight) for layer in layers}
    return (len(weights) == len(layers)
            and all(layer.in_features == first.in_features and layer.weight.dtype == first.weight.dtype
                    and (layer.bias is None) == (first.bias is None) for layer in layers))


def fuse_sibling_projections(model: torch.nn.Module) -> int:
    """Fuses each group of SIBLINGS found on one module of `model`; returns how many groups."""
    fused_groups = 0
    for parent in list(model.modules()):
        if getattr(parent, "is_cross_attention", False):
            continue  # keys and values read another input than the queries: nothing to share
        for names, fused_name in SIBLINGS.items():
            layers = [getattr(parent, name, None) for name in names]
            if hasattr(parent, fused_name) or not _fusible(layers):
                continue
            weight = torch.cat([layer.weight.detach() for layer in layers])
            fused = torch.nn.Linear(weight.shape[1], weight.shape[0], bias=layers[0].bias is not None,
                                    dtype=weight.dtype, device=weight.device)
            with torch.no_grad():
                fused.weight.copy_(weight)
                if fused.bias is not None:
                    fused.bias.copy_(torch.cat([layer.bias.detach() for layer in layers]))
            parent.add_module(fused_name, fused)
            start = 0
            for name, layer in zip(names, layers):
                setattr(parent, name, FusedPart(parent, fused_name, start, start + layer.out_features))
                start += layer.out_features
            fused_groups += 1
    return fused_groups
