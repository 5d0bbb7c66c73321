"""Recipes: how an exported program is lowered for a backend.

A recipe is a class registered in zoo.registry.RECIPES with `partitioners(settings)` returning
the partitioners handed to `to_edge_transform_and_lower`. Adding a backend is adding a file.
"""
import importlib
import pkgutil


def _import_all():
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")


_import_all()
