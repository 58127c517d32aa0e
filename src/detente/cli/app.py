"""The typer application and the helpers every command module uses.

Each command module of :mod:`detente.cli` does ``from detente.cli.app import app`` and registers its commands with
``@app.command()``; :func:`detente.cli.main` imports them all. Commands wrap their body in :func:`guarded` so that a
:class:`detente.errors.DetenteError` becomes one line on stderr and exit code 2, decide their output format with
:func:`output_format` (``--format``, else ``--out``'s suffix) and write files only through :func:`write_output`
(atomic: nothing is written on failure).
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from detente.errors import DetenteError, ParameterError, _show
from detente.files import check_writable, write_atomic
from detente.options import COMMON_OPTIONS, LOAD_OPTIONS, with_options
from detente.scenario.formats import FORMATS as SCENARIO_FORMATS
from detente.workbook import cell_value, workbook_bytes

if TYPE_CHECKING:
    import pandas as pd

app = typer.Typer(
    name="detente",
    help="Model, forecast and stress-test multi-party negotiations.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from detente import __version__

        print(f"detente {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="print detente's version and exit"),
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet", "-q", help="no progress bars (they show on stderr only when it is a terminal, for long work)"
        ),
    ] = False,
) -> None:
    """Model, forecast and stress-test multi-party negotiations."""
    from detente.execution.runner import set_quiet

    set_quiet(quiet)  # every invocation sets it: a quiet run leaves no trace on the next one in the same process


console = Console()
err_console = Console(stderr=True, soft_wrap=True)


@contextmanager
def guarded() -> Iterator[None]:
    """Turn a DetenteError (or an OSError on the user's files) into one line on stderr and exit code 2."""
    try:
        yield
    except DetenteError as e:
        print(f"error: {with_options(e, COMMON_OPTIONS, quoted_only=True)}", file=sys.stderr)
        raise typer.Exit(2) from None
    except OSError as e:
        where = f"{e.filename}: " if getattr(e, "filename", None) else ""
        print(f"error: {where}{e.strerror or e}", file=sys.stderr)
        raise typer.Exit(2) from None


# ---------------------------------------------------------------------------------------------------------------
# output: which format, and writing it

SUFFIX_FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".json": "json",
    ".xlsx": "xlsx",
    ".parquet": "parquet",
    ".txt": "table",
    ".yaml": "yaml",
    ".yml": "yaml",
}
"""What an ``--out`` file's suffix says about its format (``table`` is the text table)."""

IMAGE_SUFFIXES = (".png", ".svg", ".pdf")
"""Chart files the commands that draw a chart write (matplotlib's vector and raster formats a user can open)."""

_NAMES = {
    "csv": "CSV",
    "json": "JSON",
    "xlsx": "an Excel workbook",
    "parquet": "Parquet",
    "table": "a text table",
    "yaml": "YAML",
}
_BINARY = ("xlsx", "parquet")


def _binary_to_terminal(fmt: str) -> ParameterError:
    suffix = "xlsx" if fmt == "xlsx" else "parquet"
    what = "a workbook" if fmt == "xlsx" else "a Parquet file"
    return ParameterError(f"--format {fmt}: expected --out FILE.{suffix} ({what} is not written to the terminal)")


def _check_parquet() -> None:
    import importlib.util

    if importlib.util.find_spec("pyarrow") is None:
        raise ParameterError("writing Parquet needs pyarrow: pip install 'detente[parquet]'")


def _suffixes_for(formats: Sequence[str], charts: bool) -> list[str]:
    found = [s for s, f in SUFFIX_FORMATS.items() if f in formats]
    return found + (list(IMAGE_SUFFIXES) if charts else [])


def check_out(out: Path | None, option: str = "--out") -> None:
    """Refuse an output path that cannot be written before any work is done: a directory, or a missing folder."""
    if out is not None:
        check_writable(out, option)


def output_format(
    format: str | None,
    out: Path | None,
    formats: Sequence[str],
    *,
    charts: bool = False,
    default: str = "table",
) -> tuple[str, bool]:
    """The output format and whether ``--out`` is a chart.

    ``--format`` wins where ``--out`` has no known suffix; otherwise ``--out``'s suffix decides (``r.csv`` → csv,
    ``r.json`` → json, ``r.xlsx`` → xlsx, ``r.txt`` → table; ``r.png/.svg/.pdf`` → a chart where the command draws
    one, the format then applies to what is printed). A ``--format`` that contradicts the suffix, a suffix the command
    cannot write, or an unknown suffix without ``--format`` is one error. Every command that writes CSV also writes
    the same table as Parquet (``r.parquet``; needs pyarrow, the ``parquet`` extra).
    """
    if "csv" in formats and "parquet" not in formats:
        formats = (*formats, "parquet")
    if format is not None:
        choice(format, tuple(formats), "--format")
    if out is None:
        fmt = format or default
        if fmt in _BINARY:
            raise _binary_to_terminal(fmt)
        return fmt, False
    check_out(out)
    suffix = Path(out).suffix.lower()
    supported = ", ".join(_suffixes_for(formats, charts))
    if suffix in IMAGE_SUFFIXES:
        if not charts:
            raise ParameterError(
                f"--out {_show(str(out))}: this command draws no chart; expected a file ending in {supported}"
            )
        fmt = format or default
        if fmt in _BINARY:
            raise _binary_to_terminal(fmt)
        return fmt, True
    implied = SUFFIX_FORMATS.get(suffix)
    if implied is None:
        if format is not None and suffix == "":
            return format, False
        raise ParameterError(
            f"--out {_show(str(out))}: unknown file type {suffix or '(no suffix)'!r}; expected a file ending in {supported}"
        )
    if implied not in formats:
        raise ParameterError(
            f"--out {_show(str(out))}: this command cannot write {_NAMES[implied]}; expected a file ending in {supported}"
        )
    if format is not None and format != implied:
        raise ParameterError(
            f"--format {format} contradicts --out {_show(str(out))} ({_NAMES[implied]}); give one of them, or matching ones"
        )
    if implied == "parquet":
        _check_parquet()
    return implied, False


def write_output(data: str | bytes, out: Path | None, option: str = "--out") -> None:
    """Write to ``out`` atomically (:func:`detente.files.write_atomic`; errors name ``option``), or to stdout when
    ``out`` is None."""
    if out is None:
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
        else:
            sys.stdout.write(data if data.endswith("\n") else data + "\n")
        return
    write_atomic(data, out, option)


def parquet_bytes(df: pd.DataFrame) -> bytes:
    """The table as Parquet (pyarrow): text columns of mixed cells become text, lists and mappings JSON text."""
    _check_parquet()
    import pandas as pd

    df = df.copy()
    df.columns = [str(c) for c in df.columns]
    for c in df.columns:
        if df[c].dtype == object:
            vals = [cell_value(v) for v in df[c]]
            kinds = {type(v) for v in vals if v is not None}
            if len(kinds) > 1 and not kinds <= {int, float}:
                vals = [None if v is None else str(v) for v in vals]
            df[c] = pd.Series(vals, index=df.index, dtype=object)
    raw = io.BytesIO()
    df.to_parquet(raw, index=False, engine="pyarrow")
    return raw.getvalue()


def write_data(
    fmt: str,
    out: Path | None,
    *,
    frames: Callable[[], Mapping[str, pd.DataFrame]] | None = None,
    doc: Callable[[], Any] | None = None,
) -> bool:
    """Write ``fmt`` as data: json (``doc()``), csv and parquet (the first of ``frames()``, tidy), xlsx (every frame,
    a sheet each).

    Returns False for the text table (the command draws it), True once the data is written.
    """
    if fmt == "json" and doc is not None:
        write_output(dumps(doc()), out)
        return True
    if fmt in ("csv", "xlsx", "parquet") and frames is not None:
        tables = dict(frames())
        if fmt == "csv":
            first = next(iter(tables.values()))
            write_output(first.to_csv(index=False, lineterminator="\n"), out)
        elif fmt == "parquet":
            write_output(parquet_bytes(next(iter(tables.values()))), out)
        else:
            write_output(workbook_bytes(tables), out)
        return True
    return False


def print_tables(tables: list[Any], out: Path | None) -> None:
    """Print tables fitted to the terminal (never a number cut: see :mod:`detente.cli._tables`), or write them whole."""
    from detente.cli._tables import fit, terminal_width, text_of

    tables = [t for t in tables if t is not None]
    if out is not None:
        write_output(text_of(tables, None), out)
        return
    width = terminal_width()
    for t in tables:
        for part in fit(t, width):
            console.print(part, width=width)


def write_figure(fig: Any, out: Path) -> None:
    """Save a matplotlib Figure atomically in the format of ``out``'s suffix (png, svg or pdf)."""
    out = Path(out)
    fmt = out.suffix.lower()
    if fmt not in IMAGE_SUFFIXES:
        raise ParameterError(
            f"--out {_show(str(out))}: unknown chart type {fmt or '(no suffix)'!r}; expected a file ending in "
            f"{', '.join(IMAGE_SUFFIXES)}"
        )
    check_out(out)
    buf = io.BytesIO()
    # fixed metadata: the same chart gives the same bytes (matplotlib otherwise stamps the date into svg and pdf)
    meta = {"png": {"Software": None}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}[fmt[1:]]
    from matplotlib import rc_context

    with rc_context({"svg.hashsalt": "detente"}):  # svg clip-path ids are random unless salted
        fig.savefig(buf, format=fmt[1:], dpi=120, bbox_inches="tight", metadata=meta)
    write_output(buf.getvalue(), out)


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


_SCALE: ContextVar[str | None] = ContextVar("detente_scale", default=None)


def _remember_scale(value: str | None) -> str | None:
    """``--scale`` is stored for :func:`load_scenario`, so every command that loads a scenario honours it."""
    if value is not None:
        from detente.scenario.io import parse_scale

        try:
            parse_scale(value, "--scale")  # a bad value fails here, before any work
        except DetenteError as e:
            raise typer.BadParameter(str(e).removeprefix("--scale: ")) from None
    _SCALE.set(value)
    return value


def load_scenario(ref: str, input_format: str | None = None) -> Any:
    """A built-in scenario name or a file path, as a Scenario (on the ``--scale`` given, if any)."""
    from detente.scenario.io import load

    with options_named(LOAD_OPTIONS):
        return load(ref, input_format=input_format, scale=_SCALE.get())


@contextmanager
def options_named(options: Mapping[str, str]) -> Iterator[None]:
    """Errors raised inside name the command line's options where they name the library's arguments."""
    try:
        yield
    except DetenteError as e:
        renamed = with_options(e, options)
        if renamed is e:
            raise
        raise renamed from None


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
        help=f"override format detection: {', '.join(SCENARIO_FORMATS)}",
    ),
]
Scale = Annotated[
    str | None,
    typer.Option(
        "--scale",
        metavar="LO,HI",
        callback=_remember_scale,
        help="put every issue on this scale; an Actor,Capability,Position,Salience table declares none and otherwise "
        "gets its positions' range",
    ),
]
Out = Annotated[
    Path | None,
    typer.Option(
        "--out",
        "-o",
        help="write to this file instead of stdout; its suffix (.csv, .json, .xlsx, .parquet, .txt) sets the format",
    ),
]
Seed = Annotated[
    int | None, typer.Option("--seed", min=0, help="random seed, a non-negative integer (same seed, same output)")
]
"""Seeds are non-negative integers (numpy's seed sequences take no negative numbers)."""

Variants = Annotated[
    list[str] | None,
    typer.Option(
        "--variant",
        metavar="NAME",
        help="apply the scenario's named what-if variant (repeatable: applied in order; see `detente show`)",
    ),
]
Sets = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="PATH=VALUE",
        help="what-if edit after the variants (repeatable): ACTOR.ISSUE.FIELD=V (FIELD position, salience 0-100 or "
        "capability), ACTOR.capability=V or ISSUE.status_quo=V, e.g. dprk.denuclearization.position=40",
    ),
]


def load_what_if(
    ref: str,
    input_format: str | None = None,
    variants: Sequence[str] | None = None,
    sets: Sequence[str] | None = None,
    *,
    as_of: str | None = None,
    dated: str = "error",
) -> Any:
    """:func:`load_scenario`, then its dated events up to ``as_of``, then ``--variant`` and ``--set`` edits.

    The edited scenario has a derived name and records the edits (:func:`detente.whatif.edits_of`).
    """
    from detente.whatif import what_if

    s = load_scenario(ref, input_format)
    if as_of is not None:
        from detente.interventions import as_of as after_events

        with options_named({"date": "--as-of"}):
            s = after_events(s, as_of)
    return what_if(s, variants or (), sets or (), dated=dated)
