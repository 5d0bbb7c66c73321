"""A text-generation model's weight products alone, as one XNNPACK program: the floor of a
decode step that reads the recipe's weights through XNNPACK's matrix products and does nothing
else (no attention, norms, rotary, cache updates or the exact grid's offset products).

The model is built from its config with random weights (the products' speed does not depend on
the values), its sibling projections fused as the exporter fuses them, its linear layers
quantized with the recipe's schemes by the exporter's own quantizer, and the products chained
one row at a time (M = 1, as in decode): each reads the latest output (or the program's input)
at least as wide as its input, cut to its input's width. Timed with method_runner: one call is
one step's products."""
import torch


class ProductChain(torch.nn.Module):
    """The linear layers of a model run one after another on one row."""

    def __init__(self, linears):
        super().__init__()
        self.products = torch.nn.ModuleList(linears)

    def forward(self, x):
        outputs, read = [x], set()
        for product in self.products:
            source = max(i for i, o in enumerate(outputs) if o.shape[-1] >= product.in_features)
            read.add(source)
            outputs.append(product(outputs[source][..., :product.in_features]))
        # the outputs no product reads (the logits, at least) are the program's: nothing is dead code
        return tuple(o for i, o in enumerate(outputs) if i and i not in read)


def model_from_config(config: str) -> torch.nn.Module:
    """The model of a .gguf file (its config only: weights random) or of a zoo config, on the
    current default device (meta: shapes only)."""
    from zoo import sources
    from zoo.settings import ModelSource

    if config.endswith(".gguf"):
        import transformers

        loaded = sources.load(ModelSource(kind="gguf", path=config))
        return transformers.AutoModelForCausalLM.from_config(loaded.config, dtype=torch.float32)
    return sources.build_zoo_model(sources.read_zoo_config(config))


def linear_layers(config: str, settings: dict) -> list:
    """The model's linear layers after sibling fusion and quantization with `settings`' schemes."""
    from zoo import fusion, quantize

    torch.manual_seed(0)
    model = model_from_config(config).eval()
    fusion.fuse_sibling_projections(model)
    quantize.quantize_model(model, settings.get("qlinear"), settings.get("qlinear_group_size") or 0, None,
                            qoutput=settings.get("qoutput"))
    return [m for m in model.modules() if isinstance(m, torch.nn.Linear)]


def export(config: str, settings: dict, path: str) -> int:
    """Writes the products-only program of `config` under `settings` to `path`; returns how many
    products it holds."""
    from executorch.exir import to_edge_transform_and_lower

    from zoo import registry
    from zoo.export import _atomic_output  # importing the exporter registers its recipes

    linears = linear_layers(config, settings)
    chain = ProductChain(linears).eval()
    with torch.no_grad():
        # one row as wide as the widest input, so every product finds a source
        program = torch.export.export(chain, (torch.randn(1, max(m.in_features for m in linears)),))
    recipe = registry.RECIPES.get("xnnpack")  # the exporter's partitioner and lowering
    with recipe.lowering():
        lowered = to_edge_transform_and_lower(program, partitioner=recipe.partitioners(settings)).to_executorch()
    with _atomic_output(path) as partial, open(partial, "wb") as f:
        f.write(lowered.buffer)
    return len(linears)


if __name__ == "__main__":  # products_floor.py CONFIG SETTINGS_JSON OUT.pte
    import json
    import sys

    print(export(sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]))
