"""Name -> implementation registries for tasks, recipes and quantization schemes (see zoo.quantize).

A model family, task or backend is added by one new file that registers itself here with a
decorator; nothing else branches on names.
"""
import importlib
import pkgutil
from typing import Callable, Dict, TypeVar

from zoo.errors import ExportError

T = TypeVar("T")


class Registry:
    def __init__(self, kind: str):
        self.kind = kind
        self._entries: Dict[str, object] = {}
        self._refused: Dict[str, str] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def decorate(entry: T) -> T:
            if name in self._entries:
                raise RuntimeError(f"{self.kind} {name!r} is registered twice")
            self._entries[name] = entry
            return entry

        return decorate

    def refuse(self, name: str, reason: str) -> None:
        """A name users may expect (another tool offers it) that is not offered here: asking for it
        gets `reason`, one clause saying why and what to use instead."""
        self._refused[name] = reason

    def get(self, name: str):
        try:
            return self._entries[name]
        except KeyError:
            if name in self._refused:
                raise ExportError(f"{self.kind} {name!r} is not supported: {self._refused[name]}") from None
            raise ExportError(
                f"unknown {self.kind} {name!r}; choose one of: {', '.join(sorted(self._entries))}"
            ) from None

    def names(self):
        return sorted(self._entries)

    def refused(self) -> Dict[str, str]:
        return dict(sorted(self._refused.items()))


TASKS = Registry("task")
RECIPES = Registry("recipe")


def import_submodules(package_name: str, package_path) -> None:
    """Imports every module of a package, so each registers itself (one file per entry)."""
    for info in pkgutil.iter_modules(package_path):
        importlib.import_module(f"{package_name}.{info.name}")
