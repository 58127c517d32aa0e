"""The scenario file formats: one registry of every reader and writer.

Each :class:`Format` names a format, the suffixes :func:`detente.save` picks it for, how to recognise its files
(``sniff``), and its reader and writer; :func:`detect` asks the formats in the order of their ``priority``.
:func:`detente.load`, :func:`detente.save`, ``dumps`` and the command line's format lists read this registry only.
The readers and writers load on first use (openpyxl, the KTAB and DEU readers), so importing the registry is cheap.

======================  =========================================================================================
``yaml`` / ``json``     the scenario schema: :mod:`~detente.scenario.formats.yaml_json`
``long-csv``            ``actor,issue,position,salience,capability`` rows: :mod:`~detente.scenario.formats.long_csv`
``detente-xlsx``        the detente workbook: :mod:`~detente.scenario.formats.xlsx`, :mod:`~detente.scenario.sheets`
``decide-csv``          decide's ``#A/#P/#M/#D`` records: :mod:`~detente.scenario.formats.decide`
``decide-xlsx``         the same records in a sheet: :mod:`~detente.scenario.formats.xlsx`
``bdm-csv``             the ``Actor,Capability,Position,Salience`` table: :mod:`~detente.scenario.formats.bdm_table`
``ktab-csv``/``-xml``   KTAB's spatial-model files: :mod:`~detente.scenario.ktab_io`
``deu``                 the DEU data set of EU legislative decisions: :mod:`~detente.scenario.deu`
======================  =========================================================================================
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from detente.errors import ScenarioError

if TYPE_CHECKING:
    from detente.scenario.schema import Scenario

_HERE = __name__


def _lazy(module: str, name: str) -> Callable[..., Any]:
    """``module.name``, imported when first called."""
    module = module if module.startswith("detente.") else f"{_HERE}.{module}"

    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    call.__qualname__ = call.__name__ = f"{module}.{name}"
    return call


@dataclass
class Probe:
    """What detection looks at: the file's suffix, its bytes, and (computed once, when a format asks) its text, the
    text's first 4 KB and first line, and a workbook's sheet names."""

    path: Path
    data: bytes

    @property
    def file(self) -> str:
        return str(self.path)

    @property
    def suffix(self) -> str:
        return self.path.suffix.lower()

    @property
    def is_workbook(self) -> bool:
        return self.suffix in (".xlsx", ".xlsm") or self.data[:4] == b"PK\x03\x04"

    @cached_property
    def sheet_names(self) -> list[str]:
        return list(_lazy("xlsx", "sheet_names")(self.data, self.file))

    @cached_property
    def text(self) -> str:
        return str(_lazy("text", "decode_text")(self.data, self.file))

    @cached_property
    def head(self) -> str:
        return self.text.lstrip("\ufeff \t\r\n")[:4096]

    @cached_property
    def first_line(self) -> str:
        """The first line, or the second after a ``# scale:`` line (the ``Actor,Capability,…`` table's)."""
        return str(_lazy("bdm_table", "first_line")(self.head.splitlines()))


@dataclass(frozen=True)
class Format:
    """One scenario file format: its name, how to recognise and read its files, and how to write them."""

    name: str
    summary: str
    priority: int
    """Detection order: lower asks first (a workbook before any text; the long table before JSON, ...)."""
    sniff: Callable[[Probe], bool] | None
    read: Callable[[bytes, str], Scenario]
    write: Callable[[Scenario], str | bytes] | None = None
    binary: bool = False
    """Written as bytes (a workbook), not text."""
    suffixes: tuple[str, ...] = ()
    """The suffixes :func:`detente.save` picks this format for."""


CSV_SUFFIXES = (".csv", ".txt", ".tsv")


def _sniff_detente_xlsx(p: Probe) -> bool:
    return p.is_workbook and bool(_lazy("detente.scenario.sheets", "is_detente_workbook")(p.sheet_names))


def _sniff_long_csv(p: Probe) -> bool:
    return bool(_lazy("long_csv", "looks_like_long_csv")(p.text))


def _sniff_decide_csv(p: Probe) -> bool:
    return re.match(r"^\s*['\"]?#[APMDO/]", p.first_line) is not None


def _sniff_bdm_csv(p: Probe) -> bool:
    return (
        re.match(r"^\s*actor\s*[,;\t]\s*capability\s*[,;\t]\s*position\s*[,;\t]\s*salience", p.first_line, re.I)
        is not None
    )


def _sniff_deu(p: Probe) -> bool:
    return bool(_lazy("detente.scenario.deu", "looks_like_deu")(p.head))


def _sniff_ktab_csv(p: Probe) -> bool:
    return p.suffix in CSV_SUFFIXES and bool(_lazy("detente.scenario.ktab_io", "looks_like_ktab_csv")(p.text))


def _read_ktab_csv(data: bytes, file: str) -> Scenario:
    from detente.scenario.ktab_io import read_ktab_csv

    return read_ktab_csv(file, data=data)


def _read_ktab_xml(data: bytes, file: str) -> Scenario:
    from detente.scenario.ktab_io import read_ktab_xml

    return read_ktab_xml(file, data=data)


REGISTRY: dict[str, Format] = {
    f.name: f
    for f in (
        Format(
            "yaml",
            "the scenario schema as YAML 1.2",
            7,
            lambda p: p.suffix in (".yaml", ".yml"),
            _lazy("yaml_json", "read_yaml"),
            _lazy("yaml_json", "write_yaml"),
            suffixes=(".yaml", ".yml"),
        ),
        Format(
            "json",
            "the scenario schema as JSON",
            3,
            lambda p: p.suffix == ".json" or p.head.startswith("{"),
            _lazy("yaml_json", "read_json"),
            _lazy("yaml_json", "write_json"),
            suffixes=(".json",),
        ),
        Format(
            "long-csv",
            "actor,issue,position,salience,capability rows after a # block of scales and sources",
            2,
            _sniff_long_csv,
            _lazy("long_csv", "read_long_csv"),
            _lazy("long_csv", "write_long_csv"),
            suffixes=(".csv",),
        ),
        Format(
            "detente-xlsx",
            "the detente workbook: sheets scenario, issues, actors, stances, sources, ...",
            0,
            _sniff_detente_xlsx,
            _lazy("xlsx", "read_detente_xlsx"),
            _lazy("xlsx", "write_detente_xlsx"),
            binary=True,
            suffixes=(".xlsx",),
        ),
        Format(
            "decide-csv",
            "decide's #A/#P/#M/#D records (Stokman's exchange model)",
            5,
            _sniff_decide_csv,
            _lazy("decide", "read_decide_csv"),
            _lazy("decide", "write_decide_csv"),
            suffixes=(".txt",),
        ),
        Format(
            "decide-xlsx",
            "decide's records in the first sheet that holds them",
            1,
            lambda p: p.is_workbook,
            _lazy("xlsx", "read_decide_xlsx"),
            _lazy("xlsx", "write_decide_xlsx"),
            binary=True,
        ),
        Format(
            "bdm-csv",
            "the Actor,Capability,Position,Salience table of one issue",
            6,
            _sniff_bdm_csv,
            _lazy("bdm_table", "read_bdm_csv"),
            _lazy("bdm_table", "write_bdm_csv"),
        ),
        Format(
            "ktab-csv",
            "KTAB's spatial-model CSV",
            9,
            _sniff_ktab_csv,
            _read_ktab_csv,
        ),
        Format(
            "ktab-xml",
            "KTAB's spatial-model XML",
            4,
            lambda p: p.suffix == ".xml" or p.head.startswith("<"),
            _read_ktab_xml,
        ),
        Format(
            "deu",
            "the DEU data set of EU legislative decisions, one proposal",
            8,
            _sniff_deu,
            _lazy("detente.scenario.deu", "single_proposal"),
        ),
    )
}
"""Every format, by name, in the order the documentation lists them."""

FORMATS = tuple(REGISTRY)
"""The names of the formats :func:`detente.load` reads."""

WRITABLE = tuple(name for name, f in REGISTRY.items() if f.write is not None)
"""The names of the formats :func:`detente.save` writes."""


def get(name: str, argument: str = "input_format", file: str | None = None) -> Format:
    """The format ``name``; an unknown name is an error naming ``argument``."""
    if name not in REGISTRY:
        raise ScenarioError(
            "unknown input format", file=file, where=argument, value=name, expected=f"one of {', '.join(FORMATS)}"
        )
    return REGISTRY[name]


def writer(name: str, *, text: bool = False) -> Format:
    """The format ``name`` if it can be written (as text, with ``text=True``); otherwise an error listing the formats
    that can be written."""
    fmt = REGISTRY.get(name)
    if fmt is None or fmt.write is None or (text and fmt.binary):
        raise ScenarioError(
            "unknown output format", value=name, expected=f"{', '.join(WRITABLE[:-1])} or {WRITABLE[-1]}"
        )
    return fmt


def for_suffix(path: Path, default: str = "yaml") -> str:
    """The format :func:`detente.save` writes to ``path``: the one that claims its suffix, else ``default``."""
    suffix = path.suffix.lower()
    return next((f.name for f in REGISTRY.values() if suffix in f.suffixes), default)


def detect(path: Path, data: bytes) -> str:
    """The format of a file, from its suffix and content (formats are asked in the order of their priority)."""
    probe = Probe(path, data)
    for fmt in sorted(REGISTRY.values(), key=lambda f: f.priority):
        if fmt.sniff is not None and fmt.sniff(probe):
            return fmt.name
    _lazy("detente.scenario.deu", "reject_almost_deu")(probe.head, probe.file)
    if probe.suffix in CSV_SUFFIXES:
        raise ScenarioError(
            "cannot tell the CSV dialect",
            file=probe.file,
            where="line 1",
            value=probe.first_line[:60],
            expected="a decide file (lines tagged #A/#P/#M/#D), an 'Actor,Capability,Position,Salience' table, "
            "or a KTAB scenario; or name it with `input_format`",
        )
    return "yaml"
