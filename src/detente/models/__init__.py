"""Models by name. Each module of this package holds one model, its equations and its paper.

``detente.models.get("name", **params)`` returns a configured model; ``available()`` lists them.
"""

from __future__ import annotations

import importlib
import pkgutil

from detente.models.base import Forecast, Model, Solution, available, get, parse_spec, register

__all__ = ["Forecast", "Model", "Solution", "available", "get", "parse_spec", "register"]

_SKIP = {"base"}


def _import_all() -> None:
    """Import every model module so that its ``@register`` runs (modules starting with '_' are helpers)."""
    for info in pkgutil.iter_modules(__path__):
        if info.name in _SKIP or info.name.startswith("_"):
            continue
        importlib.import_module(f"{__name__}.{info.name}")
