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
    """Run the CLI. Usage errors (unknown option, missing argument, bad option type) are one line and exit 2."""
    import sys

    import typer.main
    from typer._click import exceptions as click_exc

    _load_commands()
    command = typer.main.get_command(app)
    try:
        code = command.main(prog_name="detente", standalone_mode=False)
    except click_exc.NoArgsIsHelpError as e:
        e.show()
        code = 0
    except click_exc.UsageError as e:
        print(f"error: {e.format_message()}", file=sys.stderr)
        code = 2
    except click_exc.FileError as e:
        print(f"error: {e.format_message()}", file=sys.stderr)
        code = 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        code = 130
    sys.exit(code if isinstance(code, int) else 0)
