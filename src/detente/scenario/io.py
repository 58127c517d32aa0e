"""Reading and writing scenario files; loading built-in scenarios by name.

The formats — ``yaml``, ``json``, ``long-csv``, ``detente-xlsx``, ``decide-csv``, ``decide-xlsx``, ``bdm-csv``,
``ktab-csv``, ``ktab-xml``, ``deu`` — are read and written by one registry, :mod:`detente.scenario.formats`, that says
what each one is and where it is implemented. A file's format is detected from its content and extension
(``input_format`` overrides). ``FILE.xlsx#SHEET`` reads one sheet of a workbook by name (decide records or a long
table); ``FILE#PROPOSAL`` (e.g. ``deu.csv#d00062``) loads one proposal of a DEU data file.

Every problem raises one :class:`~detente.errors.ScenarioError` naming the file, the line or field, the bad value
and what was expected. Files are read through :func:`read_limited`: at most :data:`MAX_BYTES` bytes are read, from
a regular file, a device or a pipe alike.
"""

from __future__ import annotations

import math
from importlib import resources
from pathlib import Path
from typing import Any

from detente.errors import ScenarioError, UnknownNameError
from detente.scenario import formats
from detente.scenario.formats import FORMATS, detect
from detente.scenario.formats.bdm_table import parse_scale
from detente.scenario.formats.document import from_dict, to_dict
from detente.scenario.formats.text import MAX_BYTES, decode_text, gc_paused, read_limited
from detente.scenario.formats.yaml_json import MAX_DIGITS, parse_json, parse_yaml
from detente.scenario.schema import Scenario

__all__ = [
    "FORMATS",
    "LIBRARY",
    "MAX_BYTES",
    "MAX_DIGITS",
    "decode_text",
    "detect_format",
    "dumps",
    "from_dict",
    "library_names",
    "library_path",
    "library_summaries",
    "load",
    "loads",
    "parse_json",
    "parse_scale",
    "parse_yaml",
    "read_limited",
    "save",
    "to_dict",
    "with_scale",
]

LIBRARY = "detente.scenario.library"


def __getattr__(name: str) -> Any:
    """``_decide_xlsx_bytes`` loads the spreadsheet modules when first asked for (start-up time)."""
    if name == "_decide_xlsx_bytes":
        from detente.scenario.formats.xlsx import write_decide_xlsx

        return write_decide_xlsx
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ---- built-in library -----------------------------------------------------------------------------------------
def library_names() -> list[str]:
    """Names of the built-in scenarios."""
    files = resources.files(LIBRARY)
    return sorted(p.name[: -len(".yaml")] for p in files.iterdir() if p.name.endswith(".yaml"))


def library_path(name: str) -> Path:
    return Path(str(resources.files(LIBRARY).joinpath(f"{name}.yaml")))


def library_summaries() -> list[tuple[str, str]]:
    """(name, one-line description) of every built-in scenario."""
    out = []
    for name in library_names():
        s = load(name)
        out.append((name, s.title or (s.description or "").split("\n")[0]))
    return out


# ---- loading ----------------------------------------------------------------------------------------------------
def load(
    ref: str | Path, input_format: str | None = None, *, scale: tuple[float, float] | str | None = None
) -> Scenario:
    """A built-in scenario by name, or a scenario file.

    Parameters
    ----------
    ref : str or Path
        A built-in name (``detente scenarios`` lists them), a file path, ``FILE#PROPOSAL`` for one proposal of a
        DEU data file, or ``FILE.xlsx#SHEET`` for one sheet of a workbook (decide records or a long table).
    input_format : str, optional
        The file format (one of :data:`FORMATS`); default: detected from the suffix and content.
    scale : (float, float) or str, optional
        ``(lower, upper)`` or ``"LO,HI"``: puts every issue on that scale — the way to give the
        ``Actor,Capability,Position,Salience`` table, which carries none, the scale its positions are on.

    Returns
    -------
    Scenario
        The validated scenario.

    Raises
    ------
    UnknownNameError
        No such file or built-in scenario.
    ScenarioError
        The file does not parse or validate (the message names the file, the field and the value), or
        ``input_format`` or ``scale`` is not one (the message names the argument).

    Examples
    --------
    >>> import detente
    >>> s = detente.load("korea-2019")
    >>> len(s.actors), len(s.issues)
    (9, 8)
    """
    ref_s = str(ref)
    s = _load_part(ref_s) or _load_file(ref_s, input_format)
    return s if scale is None else with_scale(s, scale, ref_s)


def _load_part(ref: str) -> Scenario | None:
    """``FILE.xlsx#SHEET`` or ``FILE#PROPOSAL`` where ``ref`` names no file itself; otherwise None."""
    head, _, part = ref.rpartition("#")
    if not head or Path(ref).exists() or not Path(head).is_file():
        return None
    if Path(head).suffix.lower() in (".xlsx", ".xlsm"):
        from detente.scenario.formats.xlsx import read_xlsx_sheet

        return read_xlsx_sheet(read_limited(head, head), head, part)
    from detente.scenario.deu import load_proposal

    return load_proposal(head, part)


def _load_file(ref: str, input_format: str | None) -> Scenario:
    path = Path(ref)
    if input_format is None and not path.exists() and ref in library_names():
        path = library_path(ref)
    if not path.exists():
        hint = f"; built-in scenarios are {', '.join(library_names())}" if "/" not in ref and "." not in ref else ""
        raise UnknownNameError(f"{ref}: no such file or built-in scenario{hint}")
    data = read_limited(path, ref)
    fmt = formats.get(input_format or detect(path, data), file=ref)
    with gc_paused():
        return fmt.read(data, ref)


def loads(text: str, input_format: str = "yaml", name: str = "<string>") -> Scenario:
    """Parse a scenario from a string in one of :data:`FORMATS` (not xlsx)."""
    return formats.get(input_format, file=name).read(text.encode("utf-8"), name)


def detect_format(path: Path, data: bytes) -> str:
    """The format of a file from its suffix and content (see :func:`detente.scenario.formats.detect`)."""
    return detect(Path(path), data)


def with_scale(scenario: Scenario, scale: tuple[float, float] | str, file: str | None = None) -> Scenario:
    """The scenario with every issue on the scale ``(lower, upper)`` (``"LO,HI"`` is parsed); positions, status quo,
    labelled points and observed outcomes must lie on it."""
    lo, hi = parse_scale(scale) if isinstance(scale, str) else (float(scale[0]), float(scale[1]))
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ScenarioError(None, file=file, where="scale", value=scale, expected="finite LO < HI")
    doc = scenario.model_dump(mode="python", exclude_none=True)
    for issue in doc["issues"]:
        issue.setdefault("scale", {})
        issue["scale"]["lower"], issue["scale"]["upper"] = lo, hi
        desc = issue.get("description") or ""
        if desc.startswith("scale: "):
            issue["description"] = f"scale: [{lo:g}, {hi:g}], set with --scale"
    try:
        return from_dict(doc, file or scenario.name)
    except ScenarioError as e:
        raise ScenarioError(
            f"{e.message} (on the scale [{lo:g}, {hi:g}] that `scale` sets)", file=e.file, where=e.where
        ) from None


# ---- writing ----------------------------------------------------------------------------------------------------
def dumps(scenario: Scenario, fmt: str = "yaml") -> str:
    """The scenario as the text of a file in a text format (yaml, json, long-csv, decide-csv, bdm-csv)."""
    write = formats.writer(fmt, text=True).write
    assert write is not None
    return str(write(scenario))


def save(scenario: Scenario, path: str | Path, fmt: str | None = None) -> Path:
    """Write a scenario to a file, atomically (:func:`detente.files.write_atomic`).

    Parameters
    ----------
    scenario : Scenario
    path : str or Path
    fmt : str, optional
        The format; default from the suffix: .yaml/.yml (detente YAML), .json, .csv (the long table, ``long-csv``),
        .txt (decide CSV), .xlsx (the detente workbook, ``detente-xlsx``); YAML for any other suffix.
        ``decide-csv``, ``decide-xlsx`` and ``bdm-csv`` are written when named.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ScenarioError
        A format that cannot be written, or a scenario the format cannot hold.
    ParameterError
        A directory, a missing folder or a file that cannot be written (the message names ``path``).
    """
    from detente.files import write_atomic

    path = Path(path)
    write = formats.writer(fmt or formats.for_suffix(path)).write
    assert write is not None
    return write_atomic(write(scenario), path)
