"""Quantized programs: they load with the quantized kernels, keep the calling convention, are
smaller than fp32, and agree with the fp32 program's greedy choice most of the time. Tied
embedding tables are stored once (data_file)."""
import os

import pytest
import torch

from tests.zoo.helpers import LoadedProgram, load_manifest, pte_greedy


def test_8da4w_llama_runs_and_tracks_fp32():
    fp32 = load_manifest("zoo/llama_pte")
    q = load_manifest("zoo/llama_8da4w_pte")
    assert q["quantization"]["linear"] == {"scheme": "8da4w", "group_size": 32}
    assert q["quantization"]["embedding"]["scheme"] == "8w"
    assert q["pte"]["size_bytes"] < fp32["pte"]["size_bytes"]
    assert q["methods"]["forward"]["inputs"] == fp32["methods"]["forward"]["inputs"]

    prompt = [0, 461, 416, 261, 465]  # <|bos|>Once upon a time
    _, fp32_logits = pte_greedy(LoadedProgram("zoo/llama_pte.pte"), prompt, 1, True)
    _, q_logits = pte_greedy(LoadedProgram("zoo/llama_8da4w_pte.pte"), prompt, 1, True)
    cosine = torch.nn.functional.cosine_similarity(fp32_logits, q_logits, dim=-1).min().item()
    relative = ((fp32_logits - q_logits).abs().max() / (fp32_logits.max() - fp32_logits.min())).item()
    assert cosine > 0.9, cosine  # 4-bit weights of a 64-wide random model: coarse, but close
    assert relative < 0.25, relative  # a broken packing or scale gives cosine ~0 and relative ~1


PROMPT = [0, 461, 416, 261, 465]  # <|bos|>Once upon a time


def stored_bytes(stem):
    return sum(os.path.getsize(stem + ext) for ext in (".pte", ".ptd") if os.path.exists(stem + ext))


def test_tied_float_table_is_stored_once_and_changes_nothing():
    tied = load_manifest("zoo/llama_tied_pte")
    entry = tied["quantization"]["tied_embedding"]
    assert entry["stored_once"] and entry["format"] == "unquantized"
    assert tied["data_file"]["size_bytes"] == os.path.getsize("zoo/llama_tied_pte.ptd")
    assert load_manifest("zoo/llama_pte")["quantization"]["tied_embedding"]["stored_once"] is False
    # the untied program holds the table twice (the embedding's copy and the delegate's)
    saved = stored_bytes("zoo/llama_pte") - stored_bytes("zoo/llama_tied_pte")
    assert saved >= 0.99 * entry["table_bytes"], (saved, entry)  # less the data file's header
    assert os.path.getsize("zoo/llama_tied_pte.ptd") < 1.1 * entry["table_bytes"]  # one copy in the data file
    # the same weights: the same logits, bit for bit
    _, plain = pte_greedy(LoadedProgram("zoo/llama_pte.pte"), PROMPT, 1, True)
    _, shared = pte_greedy(LoadedProgram("zoo/llama_tied_pte.pte"), PROMPT, 1, True)
    assert torch.equal(plain, shared)


def test_tied_4bit_table_is_the_output_projections_weight():
    tied = load_manifest("zoo/llama_8da4w_tied_pte")
    entry = tied["quantization"]["tied_embedding"]
    assert entry["stored_once"] and entry["format"] == "4-bit in groups of 32"
    # one 4-bit table (and the output projection's scales) in the data file, none in the program
    assert os.path.getsize("zoo/llama_8da4w_tied_pte.ptd") < 1.25 * entry["table_bytes"]
    assert stored_bytes("zoo/llama_8da4w_tied_pte") + entry["table_bytes"] < stored_bytes("zoo/llama_8da4w_pte")
    _, fp32_logits = pte_greedy(LoadedProgram("zoo/llama_pte.pte"), PROMPT, 1, True)
    _, q_logits = pte_greedy(LoadedProgram("zoo/llama_8da4w_tied_pte.pte"), PROMPT, 1, True)
    cosine = torch.nn.functional.cosine_similarity(fp32_logits, q_logits, dim=-1).min().item()
    relative = ((fp32_logits - q_logits).abs().max() / (fp32_logits.max() - fp32_logits.min())).item()
    # 4-bit embedding and output projection of a 64-wide random model: coarser than 8-bit (an
    # untied 4-bit table measured 0.875, the tied one 0.891)
    assert cosine > 0.85, cosine
    assert relative < 0.25, relative  # a table read with the wrong nibble order gives cosine ~0


@pytest.mark.parametrize("xnnpack_layout", [False, True])
def test_4bit_embedding_rows(xnnpack_layout):
    from executorch.backends.xnnpack.operators.node_visitor import NodeVisitor

    from zoo.quantize import QuantizedEmbedding

    generator = torch.Generator().manual_seed(0)
    q = torch.randint(-8, 8, (6, 64), generator=generator, dtype=torch.int8)
    scales = torch.rand(6, 2, generator=generator) + 0.5
    table = QuantizedEmbedding(q, scales, 4, xnnpack_layout=xnnpack_layout)
    if xnnpack_layout:  # byte for byte what XNNPACK stores for a 4-bit weight
        assert torch.equal(table.weight, NodeVisitor.convert_to_qc4w(q.clone()))
    assert table.scales.dtype == torch.bfloat16  # as XNNPACK stores a 4-bit weight's scales
    ids = torch.tensor([[5, 0, 3]])
    expected = (q.float().reshape(6, 2, 32) * scales.bfloat16().float()[..., None]).reshape(6, 64)[ids]
    assert torch.equal(table(ids), expected)
    # the program's operator gives the same rows in the runtime (its kernel multiplies in float32)
    import executorch.kernels.quantized  # noqa: F401  (registers quantized_decomposed kernels)
    from executorch.exir import to_edge
    from executorch.runtime import Runtime

    program = to_edge(torch.export.export(table, (ids,))).to_executorch()
    loaded = Runtime.get().load_program(program.buffer)
    assert torch.equal(loaded.load_method("forward").execute([ids])[0], expected)


def test_weights_on_a_q4_1_grid_stay_exact():
    """Linear weights that already lie on an asymmetric 4-bit grid (a model dequantized from a
    Q4_1 .gguf file) are not rounded onto a second grid: the symmetric 4-bit part holds them
    exactly and the program is far closer to fp32 than plain symmetric 4-bit of the same weights
    (even with its 4-bit output projection, which the plain model keeps in float)."""
    from torchao.quantization import quantize_

    from zoo import quantize
    from zoo.sources import build_zoo_model, read_zoo_config

    manifest = load_manifest("zoo/llama_q4_1_8da4w_pte")
    # per layer: the fused query/key/value and gate/up projections, the output and down projections
    assert manifest["quantization"]["linear"]["exact_source_grid"] == {"modules": 8, "offsets": "8-bit per row"}
    assert manifest["fused_projections"] == 4
    assert "exact_source_grid" not in load_manifest("zoo/llama_8da4w_pte")["quantization"]["linear"]  # random weights

    entry = read_zoo_config("zoo/configs/llama_q4_1.json")
    fp32 = build_zoo_model(entry)
    model = build_zoo_model(entry)
    quantize.quantize_model(model, "8da4w", 32, None)
    grids = dict(model.named_modules())
    checked = 0
    for name, linear in fp32.named_modules():
        if isinstance(grids.get(name), quantize.GridLinear):
            q, scales, mins = quantize._asymmetric_grid(linear.weight, 32)
            symmetric = grids[name].symmetric.weight.dequantize()
            assert torch.allclose(symmetric, (scales * (q - 8)).reshape(symmetric.shape), rtol=1e-6, atol=0), name
            checked += 1
    assert checked == 14
    # the offsets read the input's group means (one product of its groups with a row of 1/32,
    # the same row tensor in every layer, so the projections that read one input compute them once)
    layers = [module for module in model.modules() if isinstance(module, quantize.GridLinear)]
    for layer in layers:
        x = torch.randn(1, 3, layer.symmetric.in_features)
        expected = layer.symmetric(x) + layer.offsets(x.reshape(1, 3, -1, 32).mean(-1))
        assert torch.allclose(layer(x), expected, atol=1e-5)
    assert len({id(layer.mean_row) for layer in layers}) == 1

    plain = build_zoo_model(entry)
    quantize_(plain, quantize._linear_config(torch.int4, 32),
              filter_fn=lambda module, fqn: isinstance(module, torch.nn.Linear) and fqn != "lm_head")
    with torch.no_grad():
        reference = fp32(torch.tensor([PROMPT])).logits[0]
        plain_error = (plain(torch.tensor([PROMPT])).logits[0] - reference).abs().max().item()
    _, logits = pte_greedy(LoadedProgram("zoo/llama_q4_1_8da4w_pte.pte"), PROMPT, 1, True)
    error = (logits - reference).abs().max().item()
    assert error < 0.5 * plain_error, (error, plain_error)


def test_exact_grid_can_be_turned_off():
    """exact_grid = False rounds weights already on a Q4_1 grid like any others (no offsets
    product per layer: faster decode), and the manifest says nothing of a grid."""
    from zoo import quantize
    from zoo.sources import build_zoo_model, read_zoo_config

    model = build_zoo_model(read_zoo_config("zoo/configs/llama_q4_1.json"))
    report, _ = quantize.quantize_model(model, "8da4w", 32, None, exact_grid=False)
    assert "exact_source_grid" not in report["linear"]
    assert not any(isinstance(module, quantize.GridLinear) for module in model.modules())


def test_4bit_groups_take_the_least_squares_scale():
    """Grouped 4-bit weights not on a grid get, per group, the bfloat16 scale with the least
    squared error among the candidates (not the largest magnitude over 7.5), and the program
    holds exactly those values: torchao and XNNPACK keep the chosen scale bit for bit."""
    from zoo import quantize

    torch.manual_seed(0)
    # rows of different magnitudes, heavy tails (a few outliers per group, as in real layers)
    weight = torch.distributions.StudentT(3.0).sample((48, 96)) * torch.rand(48, 1)
    k, scales = quantize._least_squares_grid(weight, 32)
    groups, rounded = weight.reshape(48, -1, 32), k * scales
    assert k.eq(k.round()).all() and k.ge(-8).all() and k.le(7).all()  # a symmetric 4-bit grid per group
    assert torch.equal(scales, scales.bfloat16().float())
    # each group reaches -8 or 7, so a no-clipping-error quantizer recovers its scale
    assert torch.equal(scales, torch.maximum(-rounded.amin(-1, keepdim=True) / 8, rounded.amax(-1, keepdim=True) / 7))
    plain_scale = (groups.abs().amax(-1, keepdim=True) / 7.5).to(torch.bfloat16).float()
    plain = torch.clamp(torch.round(groups / plain_scale), -8, 7) * plain_scale
    error, plain_error = (rounded - groups).pow(2).sum(-1), (plain - groups).pow(2).sum(-1)
    assert error.sum() < 0.9 * plain_error.sum(), (error.sum(), plain_error.sum())

    model = torch.nn.Sequential(torch.nn.Linear(96, 48, bias=False))
    with torch.no_grad():
        model[0].weight.copy_(weight)
    report, _ = quantize.quantize_model(model, "8da4w", 32, None)
    stored = model[0].weight
    assert torch.equal(stored.scale.float(), stored.scale.to(torch.bfloat16).float())  # as XNNPACK stores them
    values = stored.qdata.float().reshape(48, -1, 32) * stored.scale.float().reshape(48, -1, 1)
    assert torch.equal(values, rounded)
    # a 4-bit embedding table is rounded the same way
    table = quantize.QuantizedEmbedding.quantize(weight, 4, 32)
    assert torch.equal(table(torch.arange(48)), rounded.reshape(48, 96))


def test_shape_only_kernels_give_what_the_decompositions_give():
    """The export's shape-only kernels for torchao's quantization operators against the
    operators' own decompositions on fake tensors: the same shape, strides and dtype of every
    output, with a dynamic length, for activations quantized per token as 8da4w does it (the
    scales computed from the same tensor), weights in groups of 32 (constant scales),
    symmetric and asymmetric, kept dimensions or not, 4-bit unsigned."""
    from torch._subclasses.fake_tensor import FakeTensorMode
    from torch.fx.experimental.symbolic_shapes import DimDynamic, ShapeEnv, StatelessSymbolicContext

    from zoo import quantize

    ops = torch.ops.torchao
    kernels = quantize._shape_only_kernels()

    def metadata(value):
        values = value if isinstance(value, tuple) else (value,)
        return [str((tuple(v.shape), v.stride(), v.dtype)) for v in values]

    def run(call):
        mode, seen = FakeTensorMode(shape_env=ShapeEnv()), []
        dynamic = StatelessSymbolicContext(dynamic_sizes=[DimDynamic.STATIC, DimDynamic.DYNAMIC, DimDynamic.STATIC])
        x = mode.from_tensor(torch.randn(1, 5, 64), symbolic_context=dynamic)
        w = mode.from_tensor(torch.zeros(96, 64, dtype=torch.int8), static_shapes=True)
        group = mode.from_tensor(torch.ones(96, 2), static_shapes=True)

        def op(name, *args, **kwargs):
            value = call(mode, getattr(ops, name).default, *args, **kwargs)
            seen.append(metadata(value))
            return value

        for block, keepdim in (([1, 1, 64], True), ([1, 1, 32], False)):
            scale, zero_point = op("choose_qparams_affine", x, "ASYMMETRIC", block, torch.int8, -128, 127, 1e-6,
                                   torch.float32, torch.int8, keepdim)
            if keepdim:
                q = op("quantize_affine", x, block, scale, zero_point, torch.int8, -128, 127)
                op("dequantize_affine", q, block, scale, zero_point, torch.int8, quant_min=-128, quant_max=127)
        op("choose_qparams_affine", x, "SYMMETRIC", [1, 1, 32], torch.int8, -8, 7)
        op("choose_qparams_affine", w.float(), "SYMMETRIC", [1, 32], torch.int8, -8, 7, None, None, None, True)
        op("quantize_affine", w.float(), [1, 32], group, group, torch.uint4, 0, 15)
        op("dequantize_affine", w, [1, 32], group, group, torch.int8, -8, 7, torch.bfloat16)
        return seen

    def decomposed(mode, op, *args, **kwargs):
        with mode:
            return op(*args, **kwargs)

    assert run(lambda mode, op, *args, **kwargs: kernels[op](mode, op, *args, **kwargs)) == run(decomposed)
    # within the export's context (kernels registered, composites rerouted): the same metadata on
    # fake tensors, and real tensors still get the decompositions' values
    weight = torch.randn(96, 64)
    scale, zero_point = ops.choose_qparams_affine(weight, "SYMMETRIC", [1, 32], torch.int8, -8, 7)
    with quantize.shape_only_kernels():
        assert run(decomposed) == run(lambda mode, op, *args, **kwargs: kernels[op](mode, op, *args, **kwargs))
        again = ops.choose_qparams_affine(weight, "SYMMETRIC", [1, 32], torch.int8, -8, 7)
    assert torch.equal(again[0], scale) and torch.equal(again[1], zero_point)
