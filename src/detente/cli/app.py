"""The typer application and the helpers every command module uses.

Each command module of :mod:`detente.cli` does ``from detente.cli.app import app`` and registers its commands with
``@app.command()``; :func:`detente.cli.main` imports them all. Commands wrap their body in :func:`guarded` so that a
:class:`detente.errors.DetenteError` becomes one line on stderr and exit code 2, and write files only through
:func:`write_output` (atomic: nothing is written on failure).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from detente.errors import DetenteError

app = typer.Typer(
    name="detente",
    help="Model, forecast and stress-test multi-party negotiations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

console = Console()
err_console = Console(stderr=True, soft_wrap=True)


@contextmanager
def guarded() -> Iterator[None]:
    """Turn a DetenteError (or an OSError on the user's files) into one line on stderr and exit code 2."""
    try:
        yield
    except DetenteError as e:
        print(f"error: {e}", file=sys.stderr)
        raise typer.Exit(2) from None
    except OSError as e:
        where = f"{e.filename}: " if getattr(e, "filename", None) else ""
        print(f"error: {where}{e.strerror or e}", file=sys.stderr)
        raise typer.Exit(2) from None


def write_output(data: str | bytes, out: Path | None) -> None:
    """Write to ``out`` atomically (temp file + rename), or to stdout when ``out`` is None."""
    if out is None:
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
        else:
            sys.stdout.write(data if data.endswith("\n") else data + "\n")
        return
    out = Path(out)
    directory = out.parent if str(out.parent) else Path(".")
    if not directory.is_dir():
        raise DetenteError(f"--out {out}: directory {directory} does not exist")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data if isinstance(data, bytes) else (data if data.endswith("\n") else data + "\n").encode())
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def print_tables(tables: list[Any], out: Path | None) -> None:
    """Print (or write) tables whole: never cut a number to fit a narrow terminal; a wide table is wider."""
    from io import StringIO

    from rich.console import Console
    from rich.measure import Measurement

    tables = [t for t in tables if t is not None]
    target = console if out is None else Console(file=StringIO(), width=160, no_color=True)
    wide = target.options.update(width=10_000)
    # tables of numbers (every column no_wrap) are printed whole; tables with text columns wrap their text
    whole = [t for t in tables if all(c.no_wrap for c in t.columns)]
    need = max((Measurement.get(target, wide, t).maximum for t in whole), default=0)
    if need > target.width:
        target = Console(file=target.file, width=need, no_color=out is not None or target.no_color)
    for t in tables:
        target.print(t)
    if out is not None:
        assert isinstance(target.file, StringIO)
        write_output(target.file.getvalue(), out)


def write_figure(fig: Any, out: Path) -> None:
    """Save a matplotlib figure atomically as PNG (or the format of ``out``'s suffix)."""
    import io

    buf = io.BytesIO()
    fmt = (Path(out).suffix.lstrip(".") or "png").lower()
    fig.savefig(buf, format=fmt, dpi=120, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    write_output(buf.getvalue(), Path(out))


def dumps(doc: Any) -> str:
    """Canonical JSON for CLI output: sorted keys off (order is meaningful), NaN refused, stable float repr."""
    return json.dumps(doc, indent=2, allow_nan=False, ensure_ascii=False)


def parse_params(items: list[str] | None) -> dict[str, Any]:
    """``--param key=value`` options into a dict (values as Python literals where they parse)."""
    from detente.models.base import parse_value

    out: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise DetenteError(f"--param {item!r}: expected key=value")
        k, v = item.split("=", 1)
        out[k.strip()] = parse_value(v.strip())
    return out


def load_scenario(ref: str, input_format: str | None = None) -> Any:
    """A built-in scenario name or a file path, as a Scenario."""
    from detente.scenario.io import load

    return load(ref, input_format=input_format)


def choice(value: str, allowed: tuple[str, ...] | list[str], option: str) -> str:
    if value not in allowed:
        raise DetenteError(f"{option} {value!r}: expected one of {', '.join(allowed)}")
    return value


Command = Callable[..., Any]

# option types shared by the command modules
Ref = Annotated[str, typer.Argument(help="a built-in scenario name (see `detente scenarios`) or a scenario file")]
InputFormat = Annotated[
    str | None,
    typer.Option(
        "--input-format",
        help="override format detection: yaml, json, decide-csv, decide-xlsx, bdm-csv, ktab-csv, ktab-xml, deu",
    ),
]
Out = Annotated[Path | None, typer.Option("--out", "-o", help="write to this file instead of stdout")]
