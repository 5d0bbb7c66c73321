"""Names the exporter accepts, checked at analysis time so a typo fails before any export runs.

tests/zoo/test_choices.py keeps these lists equal to the exporter's registries."""

TASKS = ["feature-extraction", "fill-mask", "image-classification", "module", "text-generation"]
RECIPES = ["portable", "xnnpack"]
QLINEAR = ["4w", "8da4w", "8da8w", "8w"]
QEMBEDDING = ["4w", "8w"]
DTYPES = ["float32", "float16", "bfloat16"]

def check_choice(label, attr_name, value, choices):
    if value and value not in choices:
        fail("{}: unknown {} \"{}\"; choose one of: {}".format(label, attr_name, value, ", ".join(choices)))
