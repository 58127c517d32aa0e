"""Reading a scenario file's bytes and text: bounded reads, UTF-8 decoding, CSV fields and numbers, each problem one
:class:`~detente.errors.ScenarioError` naming the file and the line."""

from __future__ import annotations

import csv
import gc
import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from detente.errors import ScenarioError

MAX_BYTES = 64 * 1024 * 1024
"""The most bytes read from one file."""


def read_limited(path: str | Path, file: str | None = None, limit: int = MAX_BYTES) -> bytes:
    """The bytes of a file, at most ``limit`` of them: a larger file, a device or a pipe that streams on is refused
    after ``limit + 1`` bytes (the bytes actually read count, not what ``stat()`` says)."""
    path = Path(path)
    file = str(path) if file is None else file
    if path.is_dir():
        raise ScenarioError("is a directory", file=file, expected="a scenario file")
    try:
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
    except OSError as e:
        raise ScenarioError(f"cannot read the file ({e.strerror or e})", file=file) from None
    if len(data) > limit:
        raise ScenarioError(
            "file too large", file=file, value=f"more than {limit} bytes", expected=f"at most {limit} bytes"
        )
    return data


def decode_text(data: bytes, file: str) -> str:
    """UTF-8 text (a byte-order mark is dropped); binary data or bad bytes are an error naming the line."""
    if b"\x00" in data[:8192]:
        raise ScenarioError("binary file", file=file, expected="a text scenario file (YAML, JSON or CSV) or XLSX")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise ScenarioError(
            "not UTF-8 text", file=file, where=f"line {line}", value=data[e.start : e.start + 4], expected="UTF-8 text"
        ) from None


def csv_fields(line: str, delim: str, file: str, lineno: int, quote: str = '"') -> list[str]:
    """One CSV line's fields; a field longer than the csv module's limit (128 KiB) is an error naming the line."""
    try:
        return next(csv.reader([line], delimiter=delim, quotechar=quote), [])
    except csv.Error as e:
        raise ScenarioError(
            f"unreadable CSV line ({e})",
            file=file,
            where=f"line {lineno}",
            value=line,
            expected=f"fields of at most {csv.field_size_limit()} characters separated by {delim!r}",
        ) from None


def number(s: str, file: str, lineno: int, field: str) -> float:
    """A finite number from a cell (a decimal comma is read when the cell holds one comma and no point)."""
    try:
        v = float(s.replace(",", ".")) if s.count(",") == 1 and "." not in s else float(s)
    except ValueError:
        raise ScenarioError(
            None, file=file, where=f"line {lineno}, field {field}", value=s, expected="a number"
        ) from None
    if not math.isfinite(v):
        raise ScenarioError(None, file=file, where=f"line {lineno}, field {field}", value=s, expected="a finite number")
    return v


def fmt_number(v: float) -> str:
    """A number as a file writes it: integers without a point (below 1e15), others as Python's shortest repr."""
    return repr(float(v)) if not float(v).is_integer() else str(int(v)) if abs(v) < 1e15 else repr(float(v))


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a document's objects are built (they hold no cycles).

    Building millions of small objects triggers collections that rescan everything built so far: a 13 MB scenario
    took minutes instead of seconds.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
