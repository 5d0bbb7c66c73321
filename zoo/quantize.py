"""Weight quantization with torchao, named like `optimum-cli export executorch`
(--qlinear 8da4w|8da8w, --qembedding 4w|8w; its weight-only --qlinear 4w|8w are refused with
the reason)."""
import contextlib
import dataclasses

import torch

from zoo.errors import ExportError
from zoo.registry import Registry

QLINEAR = Registry("qlinear scheme")
QEMBEDDING = Registry("qembedding scheme")


def _linear_config(weight_dtype, group_size, mapping_type=None):
    """torchao's config for dynamically quantized 8-bit activations times `weight_dtype` weights,
    per group of `group_size` inputs (0: per output channel)."""
    from torchao.quantization import Int8DynamicActivationIntxWeightConfig
    from torchao.quantization.granularity import PerAxis, PerGroup
    from torchao.quantization.quant_primitives import MappingType

    granularity = PerGroup(group_size) if group_size else PerAxis(0)
    return Int8DynamicActivationIntxWeightConfig(weight_dtype=weight_dtype, weight_granularity=granularity,
                                                 weight_mapping_type=mapping_type or MappingType.SYMMETRIC)


# name -> (weight dtype, grouped)
_LINEAR = {
    "8da4w": (torch.int4, True),
    "8da8w": (torch.int8, False),
}
# optimum-cli's weight-only linear schemes: torchao leaves a dequantize_affine before each
# product, which neither XNNPACK's partitioner nor the runtime's kernel libraries take
_WEIGHT_ONLY = ("weight-only linear layers have no kernel in ExecuTorch's CPU runtimes (XNNPACK or the "
                "portable kernels); use {} (the same weights with 8-bit dynamic activations)")
# name -> (bits, grouped)
_EMBEDDING = {"4w": (4, True), "8w": (8, False)}

for _name, _scheme in _LINEAR.items():
    QLINEAR.register(_name)(_scheme)
QLINEAR.refuse("4w", _WEIGHT_ONLY.format("8da4w"))
QLINEAR.refuse("8w", _WEIGHT_ONLY.format("8da8w"))
for _name, _scheme in _EMBEDDING.items():
    QEMBEDDING.register(_name)(_scheme)


def _asymmetric_grid(weight: torch.Tensor, group_size: int):
    """(q, scales, mins) when every group of `group_size` weights along a row lies exactly on an
    asymmetric 4-bit grid, w = scale * q + min with q in 0..15 (as GGUF's Q4_1 blocks dequantize),
    else None. Each group's own extremes fix its grid, as the GGUF quantizer chose them."""
    w = weight.detach().float()
    groups = w.reshape(w.shape[0], -1, group_size)
    mins, maxs = groups.amin(-1, keepdim=True), groups.amax(-1, keepdim=True)
    scales = (maxs - mins) / 15
    q = torch.round((groups - mins) / torch.where(scales > 0, scales, torch.ones_like(scales)))
    if (q * scales + mins - groups).abs().gt(1e-3 * scales + 1e-12).any():
        return None
    return q, scales, mins


# candidate scales, as fractions of the largest magnitude of a group over 7.5 (the plain symmetric
# scale); all <= 1, so each group's largest magnitude lands on -8 or 7 and a no-clipping-error
# quantizer recovers the chosen scale exactly
_SCALE_FRACTIONS = [1.0 - 0.02 * i for i in range(26)]


def _least_squares_grid(weight: torch.Tensor, group_size: int):
    """(k, scales): `weight` rounded onto a symmetric 4-bit grid per group of `group_size`
    inputs, w ~ scales * k with k in -8..7 ([rows, groups, group_size], as floats) and each
    group's scale ([rows, groups, 1]) the candidate (a bfloat16, as XNNPACK stores 4-bit scales)
    with the least squared error rather than the largest magnitude over 7.5: that plain rule
    spends a level on one outlier and rounds the rest of the group coarsely."""
    w = weight.detach().float()
    rows, columns = w.shape
    k, scales = torch.empty(rows, columns // group_size, group_size), torch.empty(rows, columns // group_size, 1)
    for start in range(0, rows, 4096):  # rows at a time: an output table is 28 M weights
        groups = w[start:start + 4096].reshape(-1, columns // group_size, group_size)
        top = groups.abs().amax(-1, keepdim=True).clamp(min=torch.finfo(torch.float32).tiny) / 7.5
        best_error = None
        for fraction in _SCALE_FRACTIONS:
            scale = _bfloat16_toward_zero(top * fraction)
            values = torch.clamp(torch.round(groups / scale), -8, 7)
            error = (values * scale - groups).pow(2).sum(-1, keepdim=True)
            if best_error is None:
                best_error, best, best_scale = error, values, scale
            else:
                better = error < best_error
                best, best_scale = torch.where(better, values, best), torch.where(better, scale, best_scale)
                best_error = torch.minimum(error, best_error)
        k[start:start + 4096], scales[start:start + 4096] = best, best_scale
    return k, scales


def _bfloat16_toward_zero(values: torch.Tensor) -> torch.Tensor:
    """Positive float32 values truncated to bfloat16 precision (never rounded up)."""
    return (values.contiguous().view(torch.int32) & -65536).view(torch.float32)


class GridLinear(torch.nn.Module):
    """A linear layer whose weights lie on an asymmetric 4-bit grid per group (w = d * q + m,
    q in 0..15; a GGUF Q4_1 model dequantized), kept exact although the runtime's 4-bit matrix
    products are symmetric: w = d * (q - 8) + (m + 8 * d). The first term is `symmetric`, a
    symmetric 4-bit matrix whose scales are exactly d (quantized with no-clipping scales); the
    second is constant within each group, so it is `offsets`, a small [out, groups] layer
    applied to the input's group means. Quantizing the dequantized weights directly instead
    rounds them onto a second, different 4-bit grid."""

    def __init__(self, linear: torch.nn.Linear, q, scales, mins, group_size: int):
        super().__init__()
        out_features, in_features = linear.weight.shape
        self.group_size = group_size
        self.symmetric = torch.nn.Linear(in_features, out_features, bias=linear.bias is not None)
        self.symmetric.weight = torch.nn.Parameter((scales * (q - 8)).reshape(out_features, in_features))
        if linear.bias is not None:
            self.symmetric.bias = linear.bias
        self.offsets = torch.nn.Linear(in_features // group_size, out_features, bias=False)
        self.offsets.weight = torch.nn.Parameter(((mins + 8 * scales) * group_size)[..., 0])
        self.register_buffer("mean_row", _mean_row(group_size, linear.weight.dtype), persistent=False)

    def forward(self, x):
        # each group of the input as a row, averaged by a product with a [1, group_size] row
        means = torch.nn.functional.linear(x.reshape(-1, self.group_size), self.mean_row)
        return self.symmetric(x) + self.offsets(means.reshape(x.shape[:-1] + (-1,)))


# (group_size, dtype) -> the [1, group_size] row of 1 / group_size: one tensor object, so the layers
# sharing an input share the product (the exporter merges equal computations, and an exported
# program holds a tensor several modules own once)
_MEAN_ROWS = {}


def _mean_row(group_size: int, dtype: torch.dtype) -> torch.Tensor:
    """Group means as a product of the input's groups (as rows) with a row of 1 / group_size: one
    small XNNPACK operator (XNNPACK averages only the inner dimensions of 4-D tensors; a dense
    [groups, in_features] averaging matrix was a product as large as the input times the number
    of groups, several microseconds per layer input on SmolLM2)."""
    key = (group_size, dtype)
    if key not in _MEAN_ROWS:
        _MEAN_ROWS[key] = torch.full((1, group_size), 1.0 / group_size, dtype=dtype)
    return _MEAN_ROWS[key]


def _quantize_linears(model, scheme, group_size, select, exact_grid=True) -> dict:
    """Quantizes the linear layers whose names `select` accepts with a qlinear scheme; returns
    the manifest entry. Grouped 4-bit schemes keep weights that already lie on an asymmetric
    4-bit grid of the same groups exact (GridLinear; their offsets take the scheme's 8-bit
    counterpart)."""
    from torchao.quantization import quantize_
    from torchao.quantization.quant_primitives import MappingType

    weight_dtype, grouped = QLINEAR.get(scheme)
    group_size = group_size if grouped else 0
    for name, module in model.named_modules():
        if group_size and isinstance(module, torch.nn.Linear) and select(name) and module.in_features % group_size:
            raise ExportError(
                f"qlinear_group_size {group_size} does not divide the {module.in_features} input features of {name}; "
                "choose a divisor (or 0 for per-channel)"
            )
    exact = []
    if weight_dtype == torch.int4 and group_size and exact_grid:
        get_output = getattr(model, "get_output_embeddings", None)
        output = get_output() if callable(get_output) else None  # stays a Linear: tied tables read it
        for name, module in list(model.named_modules()):
            if isinstance(module, torch.nn.Linear) and module is not output and select(name):
                grid = _asymmetric_grid(module.weight, group_size)
                if grid is not None:
                    _set_module(model, name, GridLinear(module, *grid, group_size))
                    exact.append(name)
    inside = tuple(name + "." for name in exact)
    rest = lambda module, fqn: isinstance(module, torch.nn.Linear) and select(fqn) and not fqn.startswith(inside)  # noqa: E731
    mapping = None
    if weight_dtype == torch.int4 and group_size:
        for name, module in model.named_modules():
            if rest(module, name):  # a new tensor: an output projection may share its weight with the embedding
                k, scales = _least_squares_grid(module.weight, group_size)
                module.weight = torch.nn.Parameter((k * scales).reshape(module.weight.shape).to(module.weight.dtype),
                                                   requires_grad=False)
        mapping = MappingType.SYMMETRIC_NO_CLIPPING_ERR  # reproduces the chosen scales exactly
    quantize_(model, _linear_config(weight_dtype, group_size, mapping), filter_fn=rest)
    entry = {"scheme": scheme, "group_size": group_size or None}
    if exact:
        # no-clipping scales are max(-min / 8, max / 7): exactly d for values d * (q - 8)
        quantize_(model, _linear_config(weight_dtype, group_size, MappingType.SYMMETRIC_NO_CLIPPING_ERR),
                  filter_fn=lambda module, fqn: fqn.startswith(inside) and fqn.endswith(".symmetric"))
        quantize_(model, _linear_config(torch.int8, 0),
                  filter_fn=lambda module, fqn: fqn.startswith(inside) and fqn.endswith(".offsets"))
        entry["exact_source_grid"] = {"modules": len(exact), "offsets": "8-bit per row"}
    return entry


class QuantizedEmbedding(torch.nn.Module):
    """An embedding stored as symmetric int8 or packed int4 rows with per-group scales, looked
    up with the runtime's quantized_decomposed::embedding_byte / embedding_4bit kernels.

    Built here rather than through torchao so the program holds exactly the operator the
    runtime's quantized kernel library implements, with no dequantize step to fuse later.
    `q` holds the integer values ([rows, dim], int8), `scales` one scale per row and group.
    With `xnnpack_layout`, 4-bit rows are packed as XNNPACK packs its 4-bit weights (even
    element in the low nibble), so the table is byte for byte an XNNPACK output projection's
    weight; embedding_4bit reads the high nibble first, so each looked-up row comes out with
    its pairs swapped and is swapped back. 4-bit scales are stored in bfloat16, as XNNPACK stores
    a 4-bit weight's scales, so a table shared with the output projection shares its scales'
    bytes too; the runtime's kernel computes in float32, and so does the eager path here
    (ExecuTorch's reference implementation multiplies in the scales' dtype)."""

    def __init__(self, q: torch.Tensor, scales: torch.Tensor, bits: int, xnnpack_layout: bool = False):
        super().__init__()
        import executorch.exir.passes._quant_patterns_and_replacements  # noqa: F401  (defines the ops)

        self.bits = bits
        self.quant_min, self.quant_max = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
        self.swapped_pairs = bits == 4 and xnnpack_layout
        q = q.to(torch.int8).contiguous()
        if bits == 4:
            u = (q + 8).to(torch.uint8)  # both nibbles offset by 8
            even, odd = u[:, 0::2], u[:, 1::2]
            q = (odd << 4) | even if self.swapped_pairs else (even << 4) | odd
        scales = scales.detach().to(torch.bfloat16 if bits == 4 else torch.float32).reshape(q.shape[0], -1)
        self.register_buffer("weight", q.contiguous())
        self.register_buffer("scales", scales if scales.shape[1] > 1 else scales[:, 0].contiguous())

    @classmethod
    def quantize(cls, weight: torch.Tensor, bits: int, group_size: int) -> "QuantizedEmbedding":
        rows, dim = weight.shape
        group = group_size if group_size and dim % group_size == 0 else dim
        if bits == 4:  # as 4-bit linear weights are rounded (bfloat16 scales, as the program keeps them)
            q, scales = _least_squares_grid(weight, group)
            return cls(q.reshape(rows, dim), scales[..., 0], bits)
        qmax = 2 ** (bits - 1) - 1
        grouped = weight.detach().float().reshape(rows, dim // group, group)
        scales = grouped.abs().amax(-1).clamp(min=1e-12) / qmax
        q = torch.clamp(torch.round(grouped / scales[..., None]), -qmax - 1, qmax)
        return cls(q.reshape(rows, dim), scales, bits)

    def forward(self, indices):
        if self.bits == 8:
            rows = torch.ops.quantized_decomposed.embedding_byte.default(
                self.weight, self.scales, None, self.quant_min, self.quant_max, indices)
        elif torch.compiler.is_exporting():
            rows = torch.ops.quantized_decomposed.embedding_4bit.dtype(
                self.weight, self.scales, None, self.quant_min, self.quant_max, indices, dtype=torch.float32)
        else:
            rows = self._rows_4bit(indices)
        if self.swapped_pairs:
            rows = rows.unflatten(-1, (-1, 2)).flip(-1).flatten(-2)
        return rows

    def _rows_4bit(self, indices):
        """The runtime kernel's arithmetic: high nibble first, (value - 8) * float32(scale)."""
        rows = self.weight[indices].to(torch.int16)
        values = torch.stack((rows >> 4, rows & 15), dim=-1).flatten(-2) - 8
        scales = self.scales.float().reshape(self.weight.shape[0], -1)[indices]  # [..., groups]
        return (values.unflatten(-1, (scales.shape[-1], -1)) * scales[..., None]).flatten(-2)


def _quantize_embeddings(model, bits, group_size, keep=None) -> list:
    """Swaps every nn.Embedding but `keep` for a QuantizedEmbedding; returns the swapped names."""
    swapped = []
    for parent_name, parent in list(model.named_modules()):
        for child_name, child in list(parent.named_children()):
            if isinstance(child, torch.nn.Embedding) and child is not keep:
                if bits == 4 and child.embedding_dim % 2:
                    raise ExportError(f"qembedding 4w needs an even embedding size; {parent_name}.{child_name} has {child.embedding_dim}")
                setattr(parent, child_name, QuantizedEmbedding.quantize(child.weight, bits, group_size))
                swapped.append(f"{parent_name}.{child_name}".lstrip("."))
    return swapped


@dataclasses.dataclass(frozen=True)
class TiedTable:
    """An embedding table stored once for the input embedding and the output projection.

    embedding: name of the tensor the embedding lookup reads (a parameter or buffer of the model)
    output: name of the output projection module, whose delegated weight has the same bytes
    format: how the table is stored, for messages and the manifest
    nbytes: size of the table (its values and scales)
    scales: name of the lookup's scales, the same bytes as the delegated projection's (None
      for an unquantized table)"""

    embedding: str
    output: str
    format: str
    nbytes: int
    scales: str = None


def _tied_pair(model):
    """(embedding name, embedding, output name, output) when the output projection's weight is
    the input embedding's (tied input/output embeddings), else None."""
    get_in, get_out = getattr(model, "get_input_embeddings", None), getattr(model, "get_output_embeddings", None)
    if not callable(get_in) or not callable(get_out):
        return None
    embedding, output = get_in(), get_out()
    if not isinstance(embedding, torch.nn.Embedding) or not isinstance(output, torch.nn.Linear) or output.weight is not embedding.weight:
        return None
    names = {id(module): name for name, module in model.named_modules()}
    return names[id(embedding)], embedding, names[id(output)], output


def _output_projection(model):
    """(name, module) of the model's output projection (transformers' lm_head)."""
    get = getattr(model, "get_output_embeddings", None)
    output = get() if callable(get) else None
    for name, module in model.named_modules():
        if module is output and isinstance(module, torch.nn.Linear):
            return name, module
    raise ExportError("qoutput needs a model with an output projection (a transformers model with an lm_head); drop qoutput")


def _table_format(bits, group_size, dim) -> str:
    if not bits:
        return "unquantized"
    if bits == 4 and group_size and dim % group_size == 0 and group_size != dim:
        return f"4-bit in groups of {group_size}"
    return f"{bits}-bit per row"


def quantize_model(model: torch.nn.Module, qlinear, group_size: int, qembedding, qoutput=None, share_tied=False,
                   exact_grid=True):
    """Quantizes `model` in place; returns (what was done, for the manifest; the TiedTable or
    None). `qoutput` overrides qlinear's scheme for the output projection, to which small models
    are the most sensitive. With `share_tied`, a tied input/output embedding is kept as one
    table in the output projection's format: the embedding looks up the projection's quantized
    weight (the exporter then stores both in one data file, where equal bytes are kept once).
    With `exact_grid` False, weights already on a grouped 4-bit grid are rounded like any other
    (fewer operators per layer, so faster decode, at the grid's cost in perplexity)."""
    report = {}
    pair = _tied_pair(model)
    head_scheme = qoutput or qlinear
    head_bits = {torch.int4: 4, torch.int8: 8}[QLINEAR.get(head_scheme)[0]] if head_scheme else 0
    head_group = group_size if head_scheme and QLINEAR.get(head_scheme)[1] else 0
    embedding_bits, embedding_grouped = QEMBEDDING.get(qembedding) if qembedding else (0, False)
    shared_format = None  # the tied table's format when it is stored once
    if share_tied:
        if pair is None:
            raise ExportError("data_file stores a tied input embedding and output projection once, but this model does not tie them; drop data_file")
        dim = pair[1].embedding_dim
        head_format = _table_format(head_bits, head_group, dim)
        embedding_format = _table_format(embedding_bits, group_size if embedding_grouped else 0, dim)
        if head_format != embedding_format:
            fix = {0: "drop qembedding", 8: 'set qembedding = "8w"', 4: 'set qembedding = "4w"'}[head_bits]
            raise ExportError(
                f"data_file stores the tied embedding table once, but the embedding would be {embedding_format} and the output "
                f"projection {pair[2]} {head_format}; {fix} (or drop data_file to store two tables)"
            )
        shared_format = head_format
    if qembedding:  # a tied table is made from the output projection's weight below
        swapped = _quantize_embeddings(model, embedding_bits, group_size if embedding_grouped else 0, pair[1] if shared_format else None)
        report["embedding"] = {"scheme": qembedding, "group_size": group_size if embedding_grouped else None, "modules": swapped}
    output_name = None
    if qoutput or (shared_format and head_bits):
        output_name, output = (pair[2], pair[3]) if pair else _output_projection(model)
        if pair:
            output.weight = torch.nn.Parameter(output.weight.detach().clone())  # quantized on its own
    if qlinear:
        report["linear"] = _quantize_linears(model, qlinear, group_size, lambda fqn: fqn != output_name or not qoutput, exact_grid)
    if qoutput:
        entry = _quantize_linears(model, qoutput, group_size, lambda fqn: fqn == output_name)
        report["output"] = {"scheme": qoutput, "module": output_name, "group_size": entry["group_size"]}
    tied = None
    if shared_format:
        embedding_name = pair[0]
        if head_bits:
            weight = pair[3].weight  # torchao's quantized tensor: integer values and per-group scales
            lookup = QuantizedEmbedding(weight.qdata, weight.scale, head_bits, xnnpack_layout=True)
            _set_module(model, embedding_name, lookup)
            report["embedding"]["modules"].insert(0, embedding_name)
            nbytes = sum(t.numel() * t.element_size() for t in (lookup.weight, lookup.scales))
            scales = f"{embedding_name}.scales"
        else:
            nbytes, scales = pair[1].weight.numel() * pair[1].weight.element_size(), None
        tied = TiedTable(embedding=f"{embedding_name}.weight", output=pair[2], format=shared_format, nbytes=nbytes,
                         scales=scales)
    if pair:
        report["tied_embedding"] = {
            "embedding": pair[0],
            "output": pair[2],
            "stored_once": tied is not None,
            **({"format": tied.format, "table_bytes": tied.nbytes} if tied else {}),
        }
    return report, tied


def _set_module(model, name, module):
    parent, _, child = name.rpartition(".")
    setattr(model.get_submodule(parent) if parent else model, child, module)


def _shape_only_kernels() -> dict:
    """{torchao operator: its fake-tensor kernel}, see shape_only_kernels."""
    from torchao.quantization import quant_primitives as primitives

    def quantize(fake_mode, func, input, block_size, scale, zero_point, output_dtype, quant_min=None, quant_max=None):
        primitives._get_reduction_params(block_size, input.size())
        if output_dtype in primitives._SUB_BYTE_UINT_BOUNDS:
            output_dtype = torch.uint8
        with fake_mode:
            return torch.empty_like(input, dtype=output_dtype)

    def dequantize(fake_mode, func, input, block_size, scale, zero_point, input_dtype, quant_min=None, quant_max=None,
                   output_dtype=torch.float32):
        primitives._get_reduction_params(block_size, input.size())
        with fake_mode:
            return torch.empty_like(input, dtype=output_dtype)

    def choose_qparams(fake_mode, func, input, mapping_type, block_size, target_dtype, quant_min=None, quant_max=None,
                       eps=None, scale_dtype=None, zero_point_dtype=None, keepdim=False):
        shape, dims = primitives._get_reduction_params(block_size, input.size())
        if keepdim:
            shape = [input.size(i) // block_size[i] for i in range(len(block_size))]
        else:
            shape = [size for i, size in enumerate(shape) if i not in dims]
        if mapping_type == primitives.MappingType.ASYMMETRIC.name and zero_point_dtype is None:
            zero_point_dtype = torch.int32
        with fake_mode:
            return (input.new_empty(shape, dtype=scale_dtype or input.dtype),
                    input.new_empty(shape, dtype=zero_point_dtype or input.dtype))

    torchao = torch.ops.torchao
    return {torchao.quantize_affine.default: quantize, torchao.dequantize_affine.default: dequantize,
            torchao.choose_qparams_affine.default: choose_qparams}


@contextlib.contextmanager
def shape_only_kernels():
    """torchao's quantize_affine, dequantize_affine and choose_qparams_affine have no fake
    (shape-only) kernels: where torch.export and its decomposition run keep them whole, they run
    the ops' whole Python decompositions on fake tensors to learn each output's shape, dtype and
    strides (~25 s of SmolLM2's export, ~1,700 calls per trace). Within this context they get
    kernels that derive the same from the inputs (torchao's own block-size checks included, so
    size guards stay the same); real tensors still go to the decompositions. They do not relate
    an input's sizes to its scale's as the decompositions' arithmetic does (in these programs
    scales are computed from the same tensor or are constants). torch drops a composite
    operator's fake kernel after each decomposition run; these stay until the context ends."""
    from torch._guards import detect_fake_mode
    from torch._subclasses import fake_impls
    from torch.export import exported_program

    composite = torch._C.DispatchKey.CompositeImplicitAutograd

    def fake_or_composite(op, kernel):
        def run(*args, **kwargs):
            fake_mode = detect_fake_mode(args)
            if fake_mode is not None:
                return kernel(fake_mode, op, *args, **kwargs)
            return op._op_dk(composite, *args, **kwargs)
        return run

    kernels = _shape_only_kernels()
    added = [op for op in kernels if op not in fake_impls.op_implementations_dict]
    routed = [op for op in kernels if composite not in op.py_kernels]
    deregister = exported_program._deregister_op_impl
    for op in added:
        fake_impls.op_implementations_dict[op] = kernels[op]
    for op in routed:  # torch.export's own trace calls the composite to learn the output
        op.py_impl(composite)(fake_or_composite(op, kernels[op]))
        op._dispatch_cache.clear()
    try:
        exported_program._deregister_op_impl = lambda op: None if op in added else deregister(op)
        yield
    finally:
        exported_program._deregister_op_impl = deregister
        for op in added:
            fake_impls.op_implementations_dict.pop(op, None)
        for op in routed:
            op.py_kernels.pop(composite, None)
            op._dispatch_cache.clear()
