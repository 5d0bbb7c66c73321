"""Names the exporter accepts, checked at analysis time so a typo fails before any export runs.

tests/zoo/test_choices.py keeps these lists equal to the exporter's registries."""

TASKS = ["feature-extraction", "fill-mask", "image-classification", "module", "text-generation"]
RECIPES = ["portable", "xnnpack"]
QLINEAR = ["8da4w", "8da8w"]

# names other tools offer that are refused, with the reason (the exporter's QLINEAR.refused())
QLINEAR_REFUSED = {
    "4w": "weight-only linear layers have no kernel in ExecuTorch's CPU runtimes (XNNPACK or the portable kernels); use 8da4w (the same weights with 8-bit dynamic activations)",
    "8w": "weight-only linear layers have no kernel in ExecuTorch's CPU runtimes (XNNPACK or the portable kernels); use 8da8w (the same weights with 8-bit dynamic activations)",
}
QEMBEDDING = ["4w", "8w"]
DTYPES = ["float32", "float16", "bfloat16"]

def check_choice(label, attr_name, value, choices, refused = {}):
    if value and value in refused:
        fail("{}: {} \"{}\" is not supported: {}".format(label, attr_name, value, refused[value]))
    if value and value not in choices:
        fail("{}: unknown {} \"{}\"; choose one of: {}".format(label, attr_name, value, ", ".join(choices)))
