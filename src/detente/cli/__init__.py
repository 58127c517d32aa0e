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
    # `detente scenarios random ...` is the same command as `detente random-scenario ...`
    from detente.cli.main_commands import scenarios_app
    from detente.cli.spatial import random_scenario

    scenarios_app.command("random", help=random_scenario.__doc__)(random_scenario)


def main() -> None:
    _load_commands()
    app()
