"""Sibling projections fused into one matrix product compute what the separate layers did."""
import copy

import torch

from tests.zoo.helpers import runfile
from zoo.fusion import FusedPart, fuse_sibling_projections
from zoo.sources import build_zoo_model, read_zoo_config


def test_a_fused_llama_gives_the_same_logits():
    model = build_zoo_model(read_zoo_config(runfile("zoo/configs/llama.json"))).eval()
    fused = copy.deepcopy(model)
    layers = model.config.num_hidden_layers
    assert fuse_sibling_projections(fused) == 2 * layers  # attention and MLP of each layer
    attention = fused.model.layers[0].self_attn
    assert isinstance(attention.k_proj, FusedPart) and attention.qkv_proj.out_features == (
        model.model.layers[0].self_attn.q_proj.out_features + 2 * model.model.layers[0].self_attn.k_proj.out_features)
    # the weights are moved, not copied: as many parameters as before
    assert sum(p.numel() for p in fused.parameters()) == sum(p.numel() for p in model.parameters())
    ids = torch.tensor([[1, 7, 3, 9, 4]])
    with torch.no_grad():
        expected, got = model(ids).logits, fused(ids).logits
    assert (expected - got).abs().max().item() <= 1e-5


def test_siblings_that_differ_stay_apart():
    class Attention(torch.nn.Module):
        def __init__(self, key_bias, value_in):
            super().__init__()
            self.q_proj = torch.nn.Linear(8, 8, bias=False)
            self.k_proj = torch.nn.Linear(8, 4, bias=key_bias)
            self.v_proj = torch.nn.Linear(value_in, 4, bias=False)

    class MLP(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.gate_proj = torch.nn.Linear(8, 16)
            self.up_proj = self.gate_proj  # one layer under two names: nothing to fuse

    cross = Attention(False, 8)
    cross.is_cross_attention = True  # transformers' flag: keys and values read the encoder's states
    model = torch.nn.ModuleList([Attention(True, 8), Attention(False, 6), MLP(), cross, Attention(False, 8)])
    assert fuse_sibling_projections(model) == 1
    assert [hasattr(module, "qkv_proj") for module in model] == [False, False, False, False, True]
    x = torch.randn(2, 8)
    last = model[4]
    assert torch.equal(last.v_proj(x), last.qkv_proj(x)[..., 12:])
