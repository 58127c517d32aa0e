"""The ``detente`` command line. Every module in this package registers its commands on :data:`app`."""

from __future__ import annotations

import importlib
import pkgutil

from detente.cli.app import app

__all__ = ["app", "main"]


def _load_commands() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name != "app" and not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")


def main() -> None:
    _load_commands()
    app()
