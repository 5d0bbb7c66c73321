"""//bench:smollm2_decode's floor: a model's weight products alone, as one XNNPACK program."""
import torch

from bench import products_floor

CONFIG = "zoo/configs/llama.json"
SETTINGS = {"qlinear": "8da4w", "qlinear_group_size": 32}


def test_the_floor_runs_every_product_of_the_recipe(tmp_path):
    """One product per linear layer as the exporter lays them out (siblings fused), the output
    projection's included, quantized with the recipe's scheme; the program computes what the
    chained layers compute in eager, and every product's output is read."""
    from executorch.runtime import Runtime

    path = str(tmp_path / "products.pte")
    count = products_floor.export(CONFIG, SETTINGS, path)
    # per layer: the fused query/key/value, the attention output, the fused gate/up, down; the head
    assert count == 2 * 4 + 1
    layers = products_floor.linear_layers(CONFIG, SETTINGS)
    shapes = [(m.in_features, m.out_features) for m in layers]
    assert shapes == [(64, 64), (64, 128), (128, 64), (64, 256)] * 2 + [(64, 512)]
    x = torch.randn(1, 128)
    with torch.no_grad():
        expected = products_floor.ProductChain(layers)(x)
    method = Runtime.get().load_program(open(path, "rb").read()).load_method("forward")
    outputs = method.execute([x])
    assert len(outputs) == len(expected) >= 1
    for got, want in zip(outputs, expected):
        assert got.shape == want.shape
        assert (got - want).abs().max() <= 0.05 * want.abs().max(), (got, want)
