"""Reading and writing scenario files; loading built-in scenarios by name.

Formats (detected from the file's content and extension; ``input_format`` overrides):

- ``yaml`` / ``json`` — the scenario schema (:mod:`detente.scenario.schema`). YAML is read as YAML 1.2 from
  libyaml's event stream (see :func:`parse_yaml`): aliases, duplicate keys and non-plain tags are refused. Saliences
  are points 0–100 unless the file declares ``salience_scale: 1``; a file whose saliences all lie in [0, 1] and that
  declares nothing is refused as ambiguous.
- ``decide-csv`` — the tagged ``#A/#P/#M/#D`` format of Stokman's exchange model (decide-exchange-model):
  ``#A;id;name[;comment]``, ``#P;id;description``, ``#M;issue;position;meaning``, ``#D;actor;issue;position;salience;
  power[;comment]``, ``#/`` and ``#O`` comments. Delimiter ``;``, tab or ``,`` (the one that splits every tagged line
  into its fields); ``'`` or ``"`` quoting. Issue bounds are the min and max of its ``#M`` points, [0, 100] if none.
  Salience and power are 0–1 in the data sets (0–100 is accepted: values above 1 on a file are read as percent).
- ``decide-xlsx`` — the same records in the first sheet of a workbook.
- ``detente-xlsx`` — the detente workbook: sheets ``scenario``, ``issues``, ``actors``, ``stances``, ``sources``
  (and ``events``, ``variants``, ``delegations``, ``vetoes``, ``outcomes``); it holds the whole scenario
  (:mod:`detente.scenario.sheets`). A workbook with ``issues``, ``actors`` and ``stances`` sheets is read as this
  layout, any other as decide records. ``FILE.xlsx#SHEET`` reads one sheet by name: decide records or a long table.
- ``long-csv`` — ``actor,issue,position,salience,capability`` (+ basis columns), one row per stance, after a ``#``
  comment block with the issue scales, status quo, capabilities and sources (:mod:`detente.scenario.sheets`).
- ``bdm-csv`` — the ``Actor,Capability,Position,Salience`` table of the expected-utility replications (one issue,
  salience as a probability 0–1). The table has no scale: an optional ``# scale: LO,HI`` line before the header, or
  ``load(..., scale=(LO, HI))``, declares it; otherwise it is the positions' range.
- ``ktab-csv`` / ``ktab-xml`` — KTAB's spatial-model formats (:mod:`detente.scenario.ktab_io`).
- ``deu`` — the DEU data set of EU legislative decisions (:mod:`detente.scenario.deu`), ``;``- or TAB-separated:
  one scenario per proposal; ``FILE#PROPOSAL`` (e.g. ``deu.csv#d00062``) loads one of them.

Every problem raises one :class:`~detente.errors.ScenarioError` naming the file, the line or field, the bad value
and what was expected. Files are read through :func:`read_limited`: at most :data:`MAX_BYTES` bytes are read, from
a regular file, a device or a pipe alike.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import math
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from detente.errors import ScenarioError, UnknownNameError
from detente.scenario.schema import Scenario, _FieldProblem

MAX_BYTES = 64 * 1024 * 1024
FORMATS = (
    "yaml",
    "json",
    "long-csv",
    "detente-xlsx",
    "decide-csv",
    "decide-xlsx",
    "bdm-csv",
    "ktab-csv",
    "ktab-xml",
    "deu",
)
LIBRARY = "detente.scenario.library"


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
        The file format; default: detected from the suffix and content.
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
        The file does not parse or validate (the message names the file, the field and the value).

    Examples
    --------
    >>> import detente
    >>> s = detente.load("korea-2019")
    >>> len(s.actors), len(s.issues)
    (9, 8)
    """
    ref_s = str(ref)
    path = Path(ref_s)
    head_s, _, sheet = ref_s.rpartition("#")
    if (
        not path.exists()
        and "#" in ref_s
        and Path(head_s).suffix.lower() in (".xlsx", ".xlsm")
        and Path(head_s).is_file()
    ):
        s = _read_xlsx_sheet(read_limited(head_s, head_s), head_s, sheet)
        return s if scale is None else with_scale(s, scale, ref_s)
    if not path.exists() and "#" in ref_s and Path(ref_s.rsplit("#", 1)[0]).is_file():
        from detente.scenario.deu import load_proposal

        file, proposal = ref_s.rsplit("#", 1)
        s = load_proposal(file, proposal)
        return s if scale is None else with_scale(s, scale, ref_s)
    if input_format is None and not path.exists() and ref_s in library_names():
        path = library_path(ref_s)
    if not path.exists():
        hint = f"; built-in scenarios are {', '.join(library_names())}" if "/" not in ref_s and "." not in ref_s else ""
        raise UnknownNameError(f"{ref_s}: no such file or built-in scenario{hint}")
    data = read_limited(path, ref_s)
    fmt = input_format or detect_format(path, data)
    if fmt not in READERS:
        raise ScenarioError(
            "unknown input format",
            file=ref_s,
            where="--input-format",
            value=fmt,
            expected=f"one of {', '.join(FORMATS)}",
        )
    with _gc_paused():
        s = READERS[fmt](data, ref_s)
        return s if scale is None else with_scale(s, scale, ref_s)


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


def loads(text: str, input_format: str = "yaml", name: str = "<string>") -> Scenario:
    """Parse a scenario from a string in one of :data:`FORMATS` (not xlsx)."""
    return READERS[input_format](text.encode("utf-8"), name)


def detect_format(path: Path, data: bytes) -> str:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm") or data[:4] == b"PK\x03\x04":
        from detente.scenario.sheets import is_detente_workbook

        wb = _open_workbook(data, str(path))
        try:
            return "detente-xlsx" if is_detente_workbook(wb.sheetnames) else "decide-xlsx"
        finally:
            wb.close()
    text = _text(data, str(path))
    from detente.scenario.sheets import looks_like_long_csv

    if looks_like_long_csv(text):
        return "long-csv"
    head = text.lstrip("\ufeff \t\r\n")[:4096]
    if suffix == ".json" or head.startswith("{"):
        return "json"
    if suffix == ".xml" or head.startswith("<"):
        return "ktab-xml"
    head_lines = head.splitlines()
    first = head_lines[0] if head_lines else ""
    if _BDM_SCALE.match(first) and len(head_lines) > 1:
        first = head_lines[1]
    if re.match(r"^\s*['\"]?#[APMDO/]", first):
        return "decide-csv"
    if re.match(r"^\s*actor\s*[,;\t]\s*capability\s*[,;\t]\s*position\s*[,;\t]\s*salience", first, re.I):
        return "bdm-csv"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    from detente.scenario.deu import looks_like_deu

    if looks_like_deu(head):
        return "deu"
    if suffix in (".csv", ".txt", ".tsv"):
        try:
            from detente.scenario import ktab_io

            if ktab_io.looks_like_ktab_csv(text):
                return "ktab-csv"
        except ImportError:
            pass
        raise ScenarioError(
            "cannot tell the CSV dialect",
            file=str(path),
            where="line 1",
            value=first[:60],
            expected="a decide file (lines tagged #A/#P/#M/#D), an 'Actor,Capability,Position,Salience' table, "
            "or a KTAB scenario; or name it with --input-format",
        )
    return "yaml"


def decode_text(data: bytes, file: str) -> str:
    """UTF-8 text (a byte-order mark is dropped); binary data or bad bytes are an error naming the line."""
    return _text(data, file)


def _text(data: bytes, file: str) -> str:
    if b"\x00" in data[:8192]:
        raise ScenarioError("binary file", file=file, expected="a text scenario file (YAML, JSON or CSV) or XLSX")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise ScenarioError(
            "not UTF-8 text", file=file, where=f"line {line}", value=data[e.start : e.start + 4], expected="UTF-8 text"
        ) from None


# ---- YAML / JSON ------------------------------------------------------------------------------------------------
MAX_DIGITS = 400
"""Longest integer literal read (a float holds at most 309 integer digits; longer literals are refused)."""

_YamlBase: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's C parser where PyYAML was built with it
_STR, _INT, _FLOAT, _BOOL, _NULL = (f"tag:yaml.org,2002:{k}" for k in ("str", "int", "float", "bool", "null"))
_SEQ, _MAP = "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"
_PLAIN = re.compile(
    r"(?P<null>~|null|Null|NULL|)"
    r"|(?P<bool>true|True|TRUE|false|False|FALSE)"
    r"|(?P<int>[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)"
    r"|(?P<float>[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))"
)


@contextmanager
def _gc_paused() -> Iterator[None]:
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


def _line(event: Any) -> str:
    return f"line {event.start_mark.line + 1}"


def _yaml_scalar(ev: Any, tags: dict[str, str]) -> Any:
    text, tag = ev.value, ev.tag
    if tag is None or tag == "!":
        if not ev.implicit[0]:
            return text  # quoted and block scalars are strings
        tag = tags.get(text)
        if tag is None:
            m = _PLAIN.fullmatch(text)
            tag = f"tag:yaml.org,2002:{m.lastgroup}" if m and m.lastgroup else _STR
            if len(tags) < 65536:
                tags[text] = tag
    if tag == _STR:
        return text
    if tag == _INT:
        digits = text.lstrip("+-")
        if len(digits) > MAX_DIGITS:
            raise ScenarioError(
                f"integer of {len(digits)} digits",
                where=_line(ev),
                value=text,
                expected=f"a number of at most {MAX_DIGITS} digits",
            )
        if digits.startswith(("0o", "0x")):
            return int(digits[2:], 8 if digits[1] == "o" else 16)
        return int(text, 10)
    if tag == _FLOAT:
        low = text.lower()
        if low.endswith(".inf"):
            return -math.inf if low.startswith("-") else math.inf
        return math.nan if low == ".nan" else float(text)
    if tag == _BOOL:
        return text.lower() == "true"
    if tag == _NULL:
        return None
    raise _unsupported_tag(ev, tag)


def _unsupported_tag(ev: Any, tag: str) -> ScenarioError:
    return ScenarioError(
        "unsupported YAML tag", where=_line(ev), value=tag, expected="plain values: strings, numbers, true/false, null"
    )


_NO_KEY: Any = object()


def _yaml_data(events: Iterator[Any]) -> Any:
    """Plain data from libyaml's event stream (no node tree is kept): aliases and duplicate keys refused."""
    tags: dict[str, str] = {}
    root: list[Any] = []
    stack: list[Any] = []  # open collections
    keys: list[Any] = []  # per open collection: the mapping key waiting for its value (_NO_KEY: none)
    documents = 0

    def add(value: Any, ev: Any) -> None:
        if not stack:
            root.append(value)
            return
        top = stack[-1]
        if top.__class__ is list:
            top.append(value)
        elif keys[-1] is _NO_KEY:
            if isinstance(value, (list, dict)):
                raise ScenarioError(
                    "a collection as a mapping key", where=_line(ev), expected="a plain key (a string or number)"
                )
            if value in top:
                raise ScenarioError(
                    "duplicate key", where=_line(ev), value=value, expected="each key once in a mapping (YAML 1.2)"
                )
            keys[-1] = value
        else:
            top[keys[-1]] = value
            keys[-1] = _NO_KEY

    for ev in events:
        cls = ev.__class__
        if cls is yaml.ScalarEvent:
            add(_yaml_scalar(ev, tags), ev)
        elif cls is yaml.MappingStartEvent or cls is yaml.SequenceStartEvent:
            if ev.tag not in (None, "!", _MAP if cls is yaml.MappingStartEvent else _SEQ):
                raise _unsupported_tag(ev, ev.tag)
            new: Any = {} if cls is yaml.MappingStartEvent else []
            add(new, ev)
            stack.append(new)
            keys.append(_NO_KEY)
        elif cls is yaml.MappingEndEvent or cls is yaml.SequenceEndEvent:
            stack.pop()
            keys.pop()
        elif cls is yaml.AliasEvent:
            raise ScenarioError(
                "YAML aliases are not allowed",
                where=_line(ev),
                value=f"*{ev.anchor}",
                expected="plain values (anchors and aliases are refused)",
            )
        elif cls is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise ScenarioError("a second YAML document", where=_line(ev), expected="one document per file")
    return root[0] if root else None


def parse_yaml(text: str, file: str) -> Any:
    """A YAML document as plain data; errors name ``file``.

    YAML 1.2 core schema (not PyYAML's 1.1): ``010`` is 10, ``1:30`` and ``2019-02-28`` are strings, only
    ``true``/``false`` are booleans, ``0o``/``0x`` prefix octal and hexadecimal. A key given twice in a mapping is an
    error (YAML 1.2 forbids it; PyYAML keeps the last). Aliases are refused (no "billion laughs" alias bombs); only
    plain tags are read (no object construction). libyaml's C parser reads the document and bounds its nesting.
    """
    try:
        with _gc_paused():
            return _yaml_data(yaml.parse(text, Loader=_YamlBase))
    except ScenarioError as e:
        raise ScenarioError(e.message, file=file, where=e.where, has_value=False) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        raise ScenarioError(
            f"invalid YAML ({e.problem or e.context})", file=file, where=where, expected="a complete YAML document"
        ) from None
    except yaml.YAMLError as e:
        raise ScenarioError(f"invalid YAML ({e})", file=file) from None
    except RecursionError:
        raise ScenarioError("YAML nested too deeply", file=file, expected="a scenario document") from None


def parse_json(text: str, file: str) -> Any:
    """A JSON document as plain data (no NaN/Infinity, no duplicate keys, integers of bounded length)."""

    def bad_constant(c: str) -> Any:
        raise ScenarioError("non-finite number", file=file, value=c, expected="a finite number")

    def parse_int(s: str) -> int:
        if len(s.lstrip("-")) > MAX_DIGITS:
            raise ScenarioError(
                f"integer of {len(s)} digits", file=file, value=s, expected=f"a number of at most {MAX_DIGITS} digits"
            )
        return int(s)

    def no_dupes(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(pairs)
        if len(out) != len(pairs):
            seen: set[str] = set()
            for k, _ in pairs:
                if k in seen:
                    raise ScenarioError("duplicate key", file=file, value=k, expected="each key once in an object")
                seen.add(k)
        return out

    try:
        return json.loads(text, parse_constant=bad_constant, parse_int=parse_int, object_pairs_hook=no_dupes)
    except json.JSONDecodeError as e:
        raise ScenarioError(
            f"invalid JSON ({e.msg})",
            file=file,
            where=f"line {e.lineno}, column {e.colno}",
            expected="a complete JSON document",
        ) from None
    except RecursionError:
        raise ScenarioError("JSON nested too deeply", file=file, expected="a scenario document") from None


def _read_yaml(data: bytes, file: str) -> Scenario:
    return from_dict(parse_yaml(_text(data, file), file), file, check_salience_scale=True)


def _read_json(data: bytes, file: str) -> Scenario:
    return from_dict(parse_json(_text(data, file), file), file, check_salience_scale=True)


def from_dict(doc: Any, file: str = "<dict>", *, check_salience_scale: bool = False) -> Scenario:
    """Validate a plain mapping as a Scenario, turning the first problem into a ScenarioError.

    ``check_salience_scale``: refuse a document that does not declare ``salience_scale`` although every salience lies
    in [0, 1] (the 0–1 convention of decide and BDM data read as points of 100 would change every forecast).
    """
    if doc is None:
        raise ScenarioError("empty scenario", file=file, expected="a mapping with name, issues, actors and stances")
    if not isinstance(doc, dict):
        raise ScenarioError(
            "not a scenario",
            file=file,
            value=type(doc).__name__,
            expected="a mapping with name, issues, actors and stances",
        )
    try:
        s = Scenario.model_validate(doc)
    except ValidationError as e:
        raise _from_validation(e, file, doc) from None
    if check_salience_scale and s.salience_scale is None:
        sal = [st.salience for st in s.stances]
        if max(sal) <= 1.0 and max(sal) > 0.0:
            raise ScenarioError(
                "every salience lies in [0, 1], but saliences are read as points of 100",
                file=file,
                where="stances[].salience",
                value=sorted(set(sal))[:5],
                expected="`salience_scale: 1` at the top level if they are fractions of 1, "
                "or `salience_scale: 100` if they are points of 100",
            )
    return s


def _from_validation(e: ValidationError, file: str, doc: Any) -> ScenarioError:
    err = e.errors(include_url=False)[0]
    loc = err["loc"]
    where = _loc(loc)
    ctx_err = (err.get("ctx") or {}).get("error")
    if isinstance(ctx_err, _FieldProblem):
        sub = ctx_err.where
        return ScenarioError(
            None, file=file, where=f"{where}.{sub}" if where else sub, value=ctx_err.value, expected=ctx_err.expected
        )
    typ = err["type"]
    value = err.get("input")
    if typ == "missing":
        return ScenarioError("missing required field", file=file, where=where, has_value=False)
    if typ == "extra_forbidden":
        return ScenarioError(
            "unknown field",
            file=file,
            where=where,
            value=value,
            expected="only the fields of the schema (see `detente schema`)",
        )
    if typ in ("finite_number",):
        return ScenarioError(None, file=file, where=where, value=value, expected="a finite number", has_value=True)
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    expected = _expected(typ, err, msg)
    return ScenarioError(
        None if expected else msg, file=file, where=where, value=value, expected=expected, has_value=True
    )


def _expected(typ: str, err: Any, msg: str) -> str | None:
    ctx = err.get("ctx") or {}
    if typ in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        sym = {"greater_than_equal": "≥", "greater_than": ">", "less_than_equal": "≤", "less_than": "<"}[typ]
        bound = next(iter(ctx.values()))
        return f"a number {sym} {bound}"
    if typ in ("float_parsing", "float_type", "int_parsing", "int_type"):
        return "a number"
    if typ in ("string_type",):
        return "a string"
    if typ in ("list_type",):
        return "a list"
    if typ in ("dict_type", "model_type", "model_attributes_type"):
        return "a mapping"
    if typ in ("literal_error", "enum"):
        return msg.replace("Input should be ", "")
    if typ.startswith("date"):
        return "a date YYYY-MM-DD"
    return None


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


# ---- decide tagged CSV / XLSX -------------------------------------------------------------------------------------
_TAGS = {"#A", "#P", "#M", "#D", "#/", "#O", "#0"}


def _decide_rows_from_text(text: str, file: str) -> list[tuple[int, list[str]]]:
    lines = text.splitlines()
    tagged = [(k + 1, ln) for k, ln in enumerate(lines) if ln.strip()]
    if not tagged:
        raise ScenarioError("empty file", file=file, expected="lines tagged #A, #P, #M or #D")
    data_lines = [(k, ln) for k, ln in tagged if re.match(r"^\s*['\"]?#[APMD]['\"]?", ln)]
    delim = _decide_delimiter(data_lines or tagged, file)
    rows = []
    for lineno, ln in tagged:
        quote = "'" if ln.lstrip().startswith("'") else '"'
        rows.append((lineno, [f.strip() for f in _csv_fields(ln, delim, file, lineno, quote)]))
    return rows


def _csv_fields(line: str, delim: str, file: str, lineno: int, quote: str = '"') -> list[str]:
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


def _decide_delimiter(lines: list[tuple[int, str]], file: str) -> str:
    """The delimiter after the first record's tag, checked on every record (not a guess from the first 1 KB)."""
    tag = r"^\s*['\"]?#[APMD/O0]['\"]?"
    first = re.match(tag + r"([;\t,])", lines[0][1])
    if first is None:
        raise ScenarioError(
            "cannot detect the delimiter",
            file=file,
            where=f"line {lines[0][0]}",
            value=lines[0][1][:60],
            expected="a tag (#A, #P, #M, #D) followed by ';', a tab or ','",
        )
    delim = first.group(1)
    for lineno, ln in lines:
        if not re.match(tag + re.escape(delim), ln):
            raise ScenarioError(
                f"delimiter differs from line {lines[0][0]}'s {delim!r}",
                file=file,
                where=f"line {lineno}",
                value=ln[:60],
                expected=f"every record separated by {delim!r}",
            )
    return delim


def _num(s: str, file: str, lineno: int, field: str) -> float:
    try:
        v = float(s.replace(",", ".")) if s.count(",") == 1 and "." not in s else float(s)
    except ValueError:
        raise ScenarioError(
            None, file=file, where=f"line {lineno}, field {field}", value=s, expected="a number"
        ) from None
    if not math.isfinite(v):
        raise ScenarioError(None, file=file, where=f"line {lineno}, field {field}", value=s, expected="a finite number")
    return v


def _decide_scenario(rows: list[tuple[int, list[str]]], file: str) -> Scenario:
    actors: dict[str, dict[str, Any]] = {}
    issues: dict[str, dict[str, Any]] = {}
    points: dict[str, list[tuple[float, str]]] = {}
    stances: list[dict[str, Any]] = []
    stance_lines: list[int] = []
    title = None
    comments: list[str] = []
    need = {"#A": 2, "#P": 2, "#M": 3, "#D": 6}
    for lineno, f in rows:
        f = list(f)
        tag = f[0].strip("'\"") if f else ""
        if tag not in _TAGS:
            raise ScenarioError(
                "unknown record tag", file=file, where=f"line {lineno}", value=tag, expected="#A, #P, #M, #D, #O or #/"
            )
        while f and f[-1] == "":
            f.pop()
        if tag in need and len(f) < need[tag]:
            if tag == "#D" and len(f) == 5:
                f.append("")
            else:
                names = {
                    "#A": "#A;id;name",
                    "#P": "#P;id;description",
                    "#M": "#M;issue;position;meaning",
                    "#D": "#D;actor;issue;position;salience;power",
                }[tag]
                raise ScenarioError(
                    f"too few fields ({len(f)}) — truncated line?",
                    file=file,
                    where=f"line {lineno}",
                    value=";".join(f)[:60],
                    expected=names,
                )
        if tag == "#O":
            title = f[1] if len(f) > 1 else None
        elif tag in ("#/", "#0"):
            comments.append(" ".join(x for x in f[1:] if x))
        elif tag == "#A":
            aid = f[1]
            if aid in actors:
                raise ScenarioError(
                    "duplicate actor id", file=file, where=f"line {lineno}", value=aid, expected="each #A id once"
                )
            actors[aid] = {
                "id": aid,
                "name": f[2] if len(f) > 2 and f[2] not in ("", aid) else None,
                "description": f[3] if len(f) > 3 and f[3] else None,
                "capability": 1.0,
            }
        elif tag == "#P":
            iid = f[1]
            if iid in issues:
                raise ScenarioError(
                    "duplicate issue id", file=file, where=f"line {lineno}", value=iid, expected="each #P id once"
                )
            issues[iid] = {
                "id": iid,
                "name": f[2] if len(f) > 2 and f[2] not in ("", iid) else None,
                "description": f[3] if len(f) > 3 and f[3] else None,
            }
            points.setdefault(iid, [])
        elif tag == "#M":
            iid = f[1]
            if iid not in issues:
                raise ScenarioError(
                    "scale point for an unknown issue",
                    file=file,
                    where=f"line {lineno}, field issue",
                    value=iid,
                    expected=f"an issue declared with #P before ({', '.join(issues) or 'none yet'})",
                )
            v = _num(f[2], file, lineno, "position")
            points[iid].append((v, f[3] if len(f) > 3 else ""))
        elif tag == "#D":
            aid, iid = f[1], f[2]
            if aid not in actors:
                raise ScenarioError(
                    "unknown actor id",
                    file=file,
                    where=f"line {lineno}, field actor",
                    value=aid,
                    expected=f"an actor declared with #A ({', '.join(list(actors)[:8])}{'…' if len(actors) > 8 else ''})",
                )
            if iid not in issues:
                raise ScenarioError(
                    "unknown issue id",
                    file=file,
                    where=f"line {lineno}, field issue",
                    value=iid,
                    expected=f"an issue declared with #P ({', '.join(list(issues)[:8])}{'…' if len(issues) > 8 else ''})",
                )
            pos = _num(f[3], file, lineno, "position")
            sal = _num(f[4], file, lineno, "salience")
            pw = _num(f[5], file, lineno, "power")
            for name, v in (("salience", sal), ("power", pw)):
                if not 0 <= v <= 100:
                    raise ScenarioError(
                        None,
                        file=file,
                        where=f"line {lineno}, field {name}",
                        value=v,
                        expected="a number in [0, 1] (or 0–100)",
                    )
            stances.append(
                {
                    "actor": aid,
                    "issue": iid,
                    "position": pos,
                    "salience": sal,
                    "capability": pw,
                    "note": f[6] if len(f) > 6 and f[6] else None,
                }
            )
            stance_lines.append(lineno)
    if not actors or not issues or not stances:
        missing = "#A" if not actors else "#P" if not issues else "#D"
        raise ScenarioError(
            "no records", file=file, where=missing, has_value=False, expected=f"at least one {missing} line"
        )
    # percent vs fraction: the data sets use 0–1; a file whose values exceed 1 is on 0–100 — but a file that mixes a
    # value above 1 with fractions is ambiguous (rescaling every value would silently change all of them)
    sal_pct = any(s["salience"] > 1 for s in stances)
    if sal_pct:
        fractions = [ln for s, ln in zip(stances, stance_lines) if 0 < s["salience"] < 1]
        if fractions:
            k = next(k for k, s in enumerate(stances) if s["salience"] > 1)
            raise ScenarioError(
                f"salience above 1 on a file whose other saliences are fractions (line {fractions[0]}"
                + (f" and {len(fractions) - 1} more" if len(fractions) > 1 else "")
                + ")",
                file=file,
                where=f"line {stance_lines[k]}, field salience",
                value=stances[k]["salience"],
                expected="every salience a fraction 0–1 (the decide convention) or every salience in percent 0–100",
            )
    for iid, pts in points.items():
        if pts:
            lo, hi = min(v for v, _ in pts), max(v for v, _ in pts)
            if lo == hi:
                lo, hi = min(lo, 0.0), max(hi, 100.0)
        else:
            lo, hi = 0.0, 100.0
        seen_vals: dict[float, str] = {}
        for v, lab in pts:
            seen_vals.setdefault(v, lab)
        issues[iid]["scale"] = {
            "lower": lo,
            "upper": hi,
            "points": [{"value": v, "label": lab} for v, lab in seen_vals.items()],
        }
    for st, lineno in zip(stances, stance_lines):
        sc = issues[st["issue"]]["scale"]
        if not sc["lower"] <= st["position"] <= sc["upper"]:
            raise ScenarioError(
                None,
                file=file,
                where=f"line {lineno}, field position",
                value=st["position"],
                expected=f"a position on issue {st['issue']!r}'s scale [{sc['lower']}, {sc['upper']}] (its #M points)",
            )
        st["salience"] = st["salience"] if sal_pct else st["salience"] * 100.0
        if st["note"] is None:
            del st["note"]
    # decide gives power per actor-issue: the actor's capability is its largest power, and a stance keeps its own
    # power only where it differs from that
    for aid, actor in actors.items():
        powers = [st["capability"] for st in stances if st["actor"] == aid]
        actor["capability"] = max(powers) if powers else 0.0
    for st in stances:
        if st["capability"] == actors[st["actor"]]["capability"]:
            del st["capability"]
    name = Path(file).stem if not file.startswith("<") else "scenario"
    doc = {
        "name": re.sub(r"[^A-Za-z0-9_.-]+", "-", name),
        "title": title,
        "description": "\n".join(c for c in comments if c) or None,
        "issues": list(issues.values()),
        "actors": list(actors.values()),
        "stances": stances,
    }
    return from_dict({k: v for k, v in doc.items() if v is not None}, file)


def _read_decide_csv(data: bytes, file: str) -> Scenario:
    return _decide_scenario(_decide_rows_from_text(_text(data, file), file), file)


def _open_workbook(data: bytes, file: str) -> Any:
    import openpyxl

    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # zipfile, XML and openpyxl errors of a damaged file all mean the same to the user
        raise ScenarioError(
            f"not a readable XLSX workbook ({type(e).__name__}: {e})", file=file, expected="an .xlsx file"
        ) from None


def _read_detente_xlsx(data: bytes, file: str) -> Scenario:
    from detente.scenario.sheets import is_detente_workbook, read_workbook

    wb = _open_workbook(data, file)
    try:
        if not is_detente_workbook(wb.sheetnames):
            raise ScenarioError(
                "not a detente workbook",
                file=file,
                value=wb.sheetnames,
                expected="sheets named issues, actors and stances (and scenario, sources)",
            )
        for ws in wb.worksheets:
            if hasattr(ws, "reset_dimensions"):
                ws.reset_dimensions()
        return read_workbook(wb, file)
    except ScenarioError:
        raise
    except Exception as e:
        raise ScenarioError(
            f"not a readable XLSX workbook ({type(e).__name__}: {e})", file=file, expected="an .xlsx file"
        ) from None
    finally:
        wb.close()


def _read_xlsx_sheet(data: bytes, file: str, sheet: str) -> Scenario:
    """One sheet of a workbook, by name: decide records, or a long ``actor,issue,position,salience`` table (its
    ``#`` rows in column A, cells joined by spaces, give scales and capabilities as in the long CSV)."""
    from detente.scenario.sheets import looks_like_long_csv, read_long_csv

    wb = _open_workbook(data, file)
    try:
        if sheet not in wb.sheetnames:
            raise ScenarioError(
                "no such sheet",
                file=file,
                value=sheet,
                expected=f"one of the workbook's sheets: {', '.join(wb.sheetnames)}",
            )
        ws = wb[sheet]
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()
        rows = _xlsx_rows(ws)
        where = f"{file}, sheet {sheet!r}"
        if any(re.match(r"^['\"]?#[APMD]", r[0]) for _, r in rows if r):
            return _decide_scenario(rows, where)
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        for _, r in rows:
            if r and r[0].startswith("#"):
                buf.write(" ".join(c for c in r if c) + "\n")
            else:
                w.writerow(r)
        text = buf.getvalue()
        if looks_like_long_csv(text):
            return read_long_csv(text, where)
        raise ScenarioError(
            "the sheet holds neither decide records nor a long table",
            file=where,
            value=rows[0][1][:4] if rows else [],
            expected="rows tagged #A, #P, #M or #D in column A, or a header actor, issue, position, salience",
        )
    except ScenarioError:
        raise
    except Exception as e:
        raise ScenarioError(
            f"not a readable XLSX workbook ({type(e).__name__}: {e})", file=file, expected="an .xlsx file"
        ) from None
    finally:
        wb.close()


def _read_long_csv(data: bytes, file: str) -> Scenario:
    from detente.scenario.sheets import read_long_csv

    return read_long_csv(_text(data, file), file)


def _read_decide_xlsx(data: bytes, file: str) -> Scenario:
    """The decide records of a workbook: the first sheet whose column A holds record tags (a notes sheet before it is
    skipped). Every cell is read, also rows beyond the range the sheet declares (openpyxl's read-only mode trusts that
    declared range unless told otherwise)."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # zipfile, XML and openpyxl errors of a damaged file all mean the same to the user
        raise ScenarioError(
            f"not a readable XLSX workbook ({type(e).__name__}: {e})", file=file, expected="an .xlsx file"
        ) from None
    try:
        sheets = []
        for ws in wb.worksheets:
            if hasattr(ws, "reset_dimensions"):
                ws.reset_dimensions()
            rows = _xlsx_rows(ws)
            if any(re.match(r"^['\"]?#[APMD]", r[0]) for _, r in rows if r):
                return _decide_scenario(rows, f"{file}, sheet {ws.title!r}")
            sheets.append(ws.title)
    except ScenarioError:
        raise
    except Exception as e:
        raise ScenarioError(
            f"not a readable XLSX workbook ({type(e).__name__}: {e})", file=file, expected="an .xlsx file"
        ) from None
    finally:
        wb.close()
    raise ScenarioError(
        "no sheet holds decide records",
        file=file,
        value=sheets,
        expected="a sheet with rows tagged #A, #P, #M or #D in its first column",
    )


def _xlsx_rows(ws: Any) -> list[tuple[int, list[str]]]:
    rows = []
    for k, r in enumerate(ws.iter_rows(values_only=True)):
        cells = ["" if v is None else (repr(v) if isinstance(v, float) and not v.is_integer() else str(v)) for v in r]
        if not any(cells):
            continue
        cells = [c[:-2] if c.endswith(".0") and _is_number(c) else c for c in cells]
        rows.append((k + 1, [c.strip() for c in cells]))
    return rows


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


# ---- BDM table --------------------------------------------------------------------------------------------------------
_BDM_SCALE = re.compile(r"^\s*#\s*scale\s*:\s*(.*)$", re.I)


def parse_scale(text: str, where: str = "--scale", file: str | None = None) -> tuple[float, float]:
    """``"LO,HI"`` as two finite numbers with LO < HI."""
    parts = [p.strip() for p in str(text).replace(";", ",").split(",")]
    try:
        lo, hi = (float(p) for p in parts)
    except ValueError:
        raise ScenarioError(None, file=file, where=where, value=text, expected="LO,HI: two numbers") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ScenarioError(None, file=file, where=where, value=text, expected="LO,HI: finite numbers with LO < HI")
    return lo, hi


def _read_bdm_csv(data: bytes, file: str) -> Scenario:
    """The ``Actor,Capability,Position,Salience`` table: one issue, salience as a probability 0–1.

    The table carries no issue scale. Unless a ``# scale: LO,HI`` line before the header (which :func:`dumps` writes)
    or ``scale=`` / ``--scale`` declares one, the scale is the positions' range [min, max], the convention of the
    expected-utility replications (Scholz et al. 2011); the issue's description says which scale was used.
    """
    text = _text(data, file)
    lines = text.splitlines()
    declared = None
    start = 0
    while start < len(lines) and (not lines[start].strip() or lines[start].lstrip().startswith("#")):
        m = _BDM_SCALE.match(lines[start])
        if m:
            declared = parse_scale(m.group(1), f"line {start + 1}", file)
        start += 1
    header = lines[start] if start < len(lines) else ""
    delim = next((d for d in (",", ";", "\t") if len(header.split(d)) == 4), None)
    if delim is None:
        raise ScenarioError(
            "cannot detect the delimiter",
            file=file,
            where=f"line {start + 1}",
            value=header[:60],
            expected="Actor,Capability,Position,Salience separated by ',', ';' or a tab",
        )
    cols = [c.strip().lower() for c in header.split(delim)]
    if cols != ["actor", "capability", "position", "salience"]:
        raise ScenarioError(
            "unexpected header",
            file=file,
            where=f"line {start + 1}",
            value=header[:60],
            expected="Actor,Capability,Position,Salience",
        )
    actors, stances, positions = [], [], []
    for k, ln in enumerate(lines[start + 1 :], start=start + 2):
        if not ln.strip():
            continue
        f = _csv_fields(ln, delim, file, k)
        if len(f) != 4:
            raise ScenarioError(
                f"{len(f)} fields — truncated line or wrong delimiter?",
                file=file,
                where=f"line {k}",
                value=ln[:60],
                expected=f"4 fields separated by {delim!r}",
            )
        aid = f[0].strip()
        cap = _num(f[1].strip(), file, k, "Capability")
        pos = _num(f[2].strip(), file, k, "Position")
        sal = _num(f[3].strip(), file, k, "Salience")
        if not 0 <= sal <= 1:
            raise ScenarioError(
                None, file=file, where=f"line {k}, field Salience", value=sal, expected="a probability in [0, 1]"
            )
        actors.append({"id": aid, "capability": cap})
        stances.append({"actor": aid, "issue": None, "position": pos, "salience": round(sal * 100.0, 12)})
        positions.append(pos)
    if not actors:
        raise ScenarioError(
            "no actor rows", file=file, where=f"line {start + 2}", has_value=False, expected="one row per actor"
        )
    stem = Path(file).stem if not file.startswith("<") else "issue"
    iid = re.sub(r"[^A-Za-z0-9]+", "-", stem).strip("-").lower() or "issue"
    for st in stances:
        st["issue"] = iid
    if declared is not None:
        lo, hi = declared
        how = f"scale: [{lo:g}, {hi:g}], declared in the file"
    else:
        lo, hi = min(positions), max(positions)
        if lo == hi:
            hi = lo + 1.0
        how = f"scale: [{lo:g}, {hi:g}], the positions' range (the table declares none; set it with --scale LO,HI)"
    doc = {
        "name": iid,
        "issues": [{"id": iid, "description": how, "scale": {"lower": lo, "upper": hi}}],
        "actors": actors,
        "stances": stances,
    }
    return from_dict(doc, file)


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
            f"{e.message} (on the scale [{lo:g}, {hi:g}] that --scale sets)", file=e.file, where=e.where
        ) from None


def _read_ktab_csv(data: bytes, file: str) -> Scenario:
    from detente.scenario import ktab_io

    return ktab_io.read_ktab_csv(file, data=data)  # type: ignore[call-arg]


def _read_ktab_xml(data: bytes, file: str) -> Scenario:
    from detente.scenario import ktab_io

    return ktab_io.read_ktab_xml(file, data=data)  # type: ignore[call-arg]


def _read_deu(data: bytes, file: str) -> Scenario:
    from detente.scenario.deu import single_proposal

    return single_proposal(data, file)


READERS: dict[str, Callable[[bytes, str], Scenario]] = {
    "deu": _read_deu,
    "yaml": _read_yaml,
    "json": _read_json,
    "decide-csv": _read_decide_csv,
    "decide-xlsx": _read_decide_xlsx,
    "detente-xlsx": _read_detente_xlsx,
    "long-csv": _read_long_csv,
    "bdm-csv": _read_bdm_csv,
    "ktab-csv": _read_ktab_csv,
    "ktab-xml": _read_ktab_xml,
}


# ---- writing ----------------------------------------------------------------------------------------------------
def to_dict(scenario: Scenario) -> dict[str, Any]:
    """The scenario as plain data in the file schema (fields left at None are omitted)."""
    doc = scenario.model_dump(mode="json", exclude_none=True)
    if "salience_scale" not in doc and max(st.salience for st in scenario.stances) <= 1.0:
        # saved saliences that all lie in [0, 1] would be refused as ambiguous on loading: declare their unit
        doc = {
            **{k: v for k, v in doc.items() if k in ("name", "title", "description", "date")},
            "salience_scale": 100,
            **doc,
        }
    return doc


def dumps(scenario: Scenario, fmt: str = "yaml") -> str:
    if fmt == "yaml":
        return yaml.safe_dump(to_dict(scenario), sort_keys=False, allow_unicode=True, width=120)
    if fmt == "json":
        return json.dumps(to_dict(scenario), indent=2, ensure_ascii=False)
    if fmt == "decide-csv":
        return _decide_text(scenario)
    if fmt == "bdm-csv":
        return _bdm_text(scenario)
    if fmt == "long-csv":
        from detente.scenario.sheets import long_csv_text

        return long_csv_text(scenario)
    raise ScenarioError(
        "unknown output format",
        value=fmt,
        expected="yaml, json, long-csv, detente-xlsx, decide-csv, decide-xlsx or bdm-csv",
    )


def save(scenario: Scenario, path: str | Path, fmt: str | None = None) -> Path:
    """Write a scenario to a file, atomically.

    Parameters
    ----------
    scenario : Scenario
    path : str or Path
    fmt : str, optional
        The format; default from the suffix: .yaml/.yml (detente YAML), .json, .csv (the long table, ``long-csv``),
        .txt (decide CSV), .xlsx (the detente workbook, ``detente-xlsx``). ``decide-csv``, ``decide-xlsx`` and
        ``bdm-csv`` are written when named.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ParameterError
        A directory, a missing folder or a file that cannot be written (the message names ``path``).
    """
    from detente.files import write_atomic as write_output

    path = Path(path)
    fmt = fmt or {".json": "json", ".csv": "long-csv", ".txt": "decide-csv", ".xlsx": "detente-xlsx"}.get(
        path.suffix.lower(), "yaml"
    )
    if fmt == "decide-xlsx":
        write_output(_decide_xlsx_bytes(scenario), path)
    elif fmt == "detente-xlsx":
        from detente.scenario.sheets import xlsx_bytes

        write_output(xlsx_bytes(scenario), path)
    else:
        write_output(dumps(scenario, fmt), path)
    return path


def _fmt(v: float) -> str:
    return repr(float(v)) if not float(v).is_integer() else str(int(v)) if abs(v) < 1e15 else repr(float(v))


def _decide_records(s: Scenario) -> list[list[str]]:
    """#A/#P/#M/#D records. Salience is written as a fraction (0–1), power per actor-issue.

    The reader takes an issue's bounds from its extreme #M points, so unlabelled bound points are written where no
    labelled point sits on a bound.
    """
    rec: list[list[str]] = [["#O", s.title]] if s.title else []
    rec.extend(["#/", line] for line in (s.description or "").splitlines() if line.strip())
    for a in s.actors:
        rec.append(["#A", a.id, a.name or a.id, a.description or ""])
    for i in s.issues:
        rec.append(["#P", i.id, i.name or i.id, i.description or ""])
        pts = [(p.value, p.label) for p in i.scale.points]
        values = {v for v, _ in pts}
        pts = ([] if i.scale.lower in values else [(i.scale.lower, "")]) + pts
        pts += [] if i.scale.upper in values else [(i.scale.upper, "")]
        rec.extend(["#M", i.id, _fmt(v), label] for v, label in pts)
    caps = {a.id: a.capability for a in s.actors}
    for st in s.stances:
        cap = caps[st.actor] if st.capability is None else st.capability
        row = ["#D", st.actor, st.issue, _fmt(st.position), _fmt(st.salience / 100.0), _fmt(cap)]
        rec.append(row + ([st.note] if st.note else []))
    return rec


def _decide_text(s: Scenario) -> str:
    if any(a.capability > 1 for a in s.actors) or any((st.capability or 0) > 1 for st in s.stances):
        raise ScenarioError(
            "capabilities above 1 cannot be written to a decide file (power is 0–1 there)",
            file=s.name,
            where="actors[].capability",
            has_value=False,
            expected="capabilities in [0, 1]",
        )
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", quotechar='"', lineterminator="\n")
    for r in _decide_records(s):
        w.writerow(r)
    return buf.getvalue()


def _decide_xlsx_bytes(s: Scenario) -> bytes:
    import openpyxl

    _decide_text(s)  # same checks
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = s.name[:31]
    numeric = {"#M": (2,), "#D": (3, 4, 5)}
    for r in _decide_records(s):
        ws.append([float(c) if k in numeric.get(r[0], ()) else c for k, c in enumerate(r)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _bdm_text(s: Scenario) -> str:
    if len(s.issues) != 1:
        raise ScenarioError(
            "the Actor,Capability,Position,Salience table holds one issue",
            file=s.name,
            where="issues",
            value=len(s.issues),
            expected="exactly 1 issue",
        )
    caps = {a.id: a.capability for a in s.actors}
    sc = s.issues[0].scale
    positions = [st.position for st in s.stances]
    inferred = (
        (min(positions), max(positions)) if min(positions) < max(positions) else (min(positions), min(positions) + 1)
    )
    head = [] if (sc.lower, sc.upper) == inferred else [f"# scale: {_fmt(sc.lower)},{_fmt(sc.upper)}"]
    lines = [*head, "Actor,Capability,Position,Salience"]
    for st in s.stances:
        lines.append(
            f"{st.actor},{_fmt(caps[st.actor] if st.capability is None else st.capability)},{_fmt(st.position)},{_fmt(st.salience / 100.0)}"
        )
    return "\n".join(lines) + "\n"
