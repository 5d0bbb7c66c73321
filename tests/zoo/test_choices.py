"""The names Starlark checks at analysis time are exactly the exporter's registries."""
import ast
import re

from tests.zoo.helpers import runfile
from zoo import quantize, registry
from zoo import recipes as _recipes  # noqa: F401
from zoo import tasks as _tasks  # noqa: F401
from zoo.settings import DTYPES


def _starlark_lists():
    with open(runfile("rules/private/choices.bzl"), encoding="utf-8") as f:
        text = f.read()
    lists = {m.group(1): ast.literal_eval(m.group(2)) for m in re.finditer(r"^([A-Z_]+) = (\[.*?\])$", text, re.M)}
    lists.update({m.group(1): ast.literal_eval(m.group(2)) for m in re.finditer(r"^([A-Z_]+) = (\{.*?\n\})$", text, re.M | re.S)})
    return lists


def test_choices_match_registries():
    lists = _starlark_lists()
    assert lists["TASKS"] == registry.TASKS.names()
    assert lists["RECIPES"] == registry.RECIPES.names()
    assert lists["QLINEAR"] == quantize.QLINEAR.names()
    assert lists["QLINEAR_REFUSED"] == quantize.QLINEAR.refused()
    assert lists["QEMBEDDING"] == quantize.QEMBEDDING.names()
    assert lists["DTYPES"] == list(DTYPES)
