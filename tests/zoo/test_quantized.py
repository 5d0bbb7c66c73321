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
    ids = torch.tensor([[5, 0, 3]])
    expected = (q.float().reshape(6, 2, 32) * scales[..., None]).reshape(6, 64)[ids]
    assert torch.equal(table(ids), expected)
