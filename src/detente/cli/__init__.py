"""The ``detente`` command line. Every module in this package registers its commands on :data:`app`."""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Sequence
from typing import Any

from detente.cli.app import app

__all__ = ["app", "main", "run"]


_HOME = {
    **dict.fromkeys(("schema", "validate", "show", "forecast", "models", "plot", "new"), "main_commands"),
    **dict.fromkeys(("ensemble", "compare", "sensitivity"), "uncertainty"),
    "backtest": "backtest",
    "exchanges": "exchange",
    "perspective": "expected_utility",
    "random-scenario": "spatial",
    **dict.fromkeys(("serve", "report"), "web"),
    "claims": "claims",
    "claims-check": "claims",
    **dict.fromkeys(
        ("strategy", "strategy-params", "strategy-fit", "experiment", "experiments", "strategy-replay"), "strategy"
    ),
}
"""The module of this package that defines each command, so that running one command imports and builds only its
module's commands (building every command's options costs about as much as a small forecast's own work). A command
not named here, ``--help`` and the ``scenarios`` group load every module."""


def _load_commands() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name != "app" and not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    # `detente scenarios random ...` is the same command as `detente random-scenario ...`
    from detente.cli.main_commands import scenarios_app
    from detente.cli.spatial import random_scenario

    scenarios_app.command("random", help=random_scenario.__doc__)(random_scenario)


def _usage_errors() -> tuple[type[Exception], type[Exception]]:
    """The click exception classes typer raises (its own copy of click from typer 0.26, click itself before).

    Found from the public ``typer.BadParameter`` so that only public names are used, whichever typer is installed.
    """
    import typer

    mro = typer.BadParameter.__mro__
    base = next(c for c in mro if c.__name__ == "ClickException")
    usage = next(c for c in mro if c.__name__ == "UsageError")
    return base, usage


@functools.cache
def _command(name: str | None = None) -> Any:
    """The click command of :data:`app`, built once per process (typer resolves every signature's annotations).

    With the ``name`` of a command in :data:`_HOME`, only the modules that command needs are imported (with
    ``main_commands``, so that the app stays a group of commands whichever command runs)."""
    import typer.main

    if name in _HOME:
        for module in dict.fromkeys(("main_commands", _HOME[name])):
            importlib.import_module(f"{__name__}.{module}")
    else:
        _load_commands()
    return typer.main.get_command(app)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the CLI. Usage errors (unknown option, missing argument, bad option type) are one line and exit 2."""
    import sys

    base, usage = _usage_errors()
    args = sys.argv[1:] if argv is None else list(argv)
    command = _command(args[0] if args and args[0] in _HOME else None)
    try:
        code = command.main(args=None if argv is None else list(argv), prog_name="detente", standalone_mode=False)
    except base as e:
        if isinstance(e, usage) and type(e).__name__ == "NoArgsIsHelpError":
            e.show()  # type: ignore[attr-defined]
            code = 0
        else:
            message = " ".join(e.format_message().split())  # type: ignore[attr-defined]
            print(f"error: {message}", file=sys.stderr)
            code = 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        code = 130
    sys.exit(code if isinstance(code, int) else 0)


MMAP_THRESHOLD = 64 << 20  # bytes: blocks below this come from the heap, not from a fresh mmap
TRIM_THRESHOLD = 256 << 20  # bytes of free memory at the heap's top kept for the next block


def keep_freed_memory() -> bool:
    """Make glibc's malloc reuse freed memory for the kernels' temporary arrays (Linux; the program only).

    By default glibc serves every allocation over 128 KiB (rising to at most 32 MiB as it adapts) from a fresh
    ``mmap`` and returns it with ``munmap`` when freed, so a kernel that makes a few megabytes of temporaries per step
    has them faulted in page by page every time: the 10,000-draw exchange ensemble spent 2.7-3.5 s of its 16-22 s
    in the kernel doing that, and 0.15 s with these thresholds (``mallopt``; the same as setting
    ``MALLOC_MMAP_THRESHOLD_`` and ``MALLOC_TRIM_THRESHOLD_``). Peak memory is unchanged (the temporaries exist
    either way); up to ``TRIM_THRESHOLD`` of freed memory stays with the process until it exits. Worker processes
    forked from this one inherit the setting. Where the user set either variable, or malloc is not glibc's,
    nothing changes. Returns whether the thresholds were set.
    """
    import os
    import sys

    if not sys.platform.startswith("linux") or {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"} & set(os.environ):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # <malloc.h>
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))


def run() -> None:
    """The ``detente`` program (``python -m detente`` and the console script): :func:`main`, then a quicker exit.

    Before the interpreter shuts down, every object left is moved out of the garbage collector's reach
    (:func:`gc.freeze`): its last collection then skips the hundreds of thousands of objects that numpy, scipy,
    pydantic and Dask leave, which took 0.2 s of a command's run in-process and 0.4 s after a Dask cluster
    (atexit handlers, flushing and closing still run as before). Called as a function, :func:`main` leaves the
    collector alone.
    """
    import gc

    keep_freed_memory()
    try:
        main()
    finally:
        gc.freeze()
