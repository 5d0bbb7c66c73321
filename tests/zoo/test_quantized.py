"""Quantized programs: they load with the quantized kernels, keep the calling convention, are
smaller than fp32, and agree with the fp32 program's greedy choice most of the time."""
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
