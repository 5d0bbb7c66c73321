"""Recipes: how an exported program is lowered for a backend.

A recipe is a class registered in zoo.registry.RECIPES with `partitioners(settings)` returning
the partitioners handed to `to_edge_transform_and_lower` and `lowering()`, a context manager the
lowering runs in (changes to the backend's own lowering, undone after). Adding a backend is adding a file.
"""
from zoo import registry

registry.import_submodules(__name__, __path__)
