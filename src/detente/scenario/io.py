"""Reading and writing scenario files; loading built-in scenarios by name.

Formats (detected from the file's content and extension; ``input_format`` overrides):

- ``yaml`` / ``json`` — the scenario schema (:mod:`detente.scenario.schema`); YAML is loaded safely and anchors /
  aliases are refused (no alias bombs).
- ``decide-csv`` — the tagged ``#A/#P/#M/#D`` format of Stokman's exchange model (decide-exchange-model):
  ``#A;id;name[;comment]``, ``#P;id;description``, ``#M;issue;position;meaning``, ``#D;actor;issue;position;salience;
  power[;comment]``, ``#/`` and ``#O`` comments. Delimiter ``;``, tab or ``,`` (the one that splits every tagged line
  into its fields); ``'`` or ``"`` quoting. Issue bounds are the min and max of its ``#M`` points, [0, 100] if none.
  Salience and power are 0–1 in the data sets (0–100 is accepted: values above 1 on a file are read as percent).
- ``decide-xlsx`` — the same records in the first sheet of a workbook.
- ``bdm-csv`` — the ``Actor,Capability,Position,Salience`` table of the expected-utility replications (one issue,
  salience as a probability 0–1).
- ``ktab-csv`` / ``ktab-xml`` — KTAB's spatial-model formats (:mod:`detente.scenario.ktab_io`).
- ``deu`` — the DEU data set of EU legislative decisions (:mod:`detente.scenario.deu`), ``;``- or TAB-separated:
  one scenario per proposal; ``FILE#PROPOSAL`` (e.g. ``deu.csv#d00062``) loads one of them.

Every problem raises one :class:`~detente.errors.ScenarioError` naming the file, the line or field, the bad value
and what was expected.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from detente.errors import ScenarioError, UnknownNameError
from detente.scenario.schema import Scenario, _FieldProblem

MAX_BYTES = 64 * 1024 * 1024
FORMATS = ("yaml", "json", "decide-csv", "decide-xlsx", "bdm-csv", "ktab-csv", "ktab-xml", "deu")
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
def load(ref: str | Path, input_format: str | None = None) -> Scenario:
    """A built-in scenario by name, or a scenario file (format detected, or ``input_format``)."""
    ref_s = str(ref)
    path = Path(ref_s)
    if not path.exists() and "#" in ref_s and Path(ref_s.rsplit("#", 1)[0]).is_file():
        from detente.scenario.deu import load_proposal

        file, proposal = ref_s.rsplit("#", 1)
        return load_proposal(file, proposal)
    if input_format is None and not path.exists() and ref_s in library_names():
        path = library_path(ref_s)
    if not path.exists():
        hint = f"; built-in scenarios are {', '.join(library_names())}" if "/" not in ref_s and "." not in ref_s else ""
        raise UnknownNameError(f"{ref_s}: no such file or built-in scenario{hint}")
    if path.is_dir():
        raise ScenarioError("is a directory", file=ref_s, expected="a scenario file")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise ScenarioError("file too large", file=ref_s, value=f"{size} bytes", expected=f"at most {MAX_BYTES} bytes")
    data = path.read_bytes()
    fmt = input_format or detect_format(path, data)
    if fmt not in READERS:
        raise ScenarioError(
            "unknown input format",
            file=ref_s,
            where="--input-format",
            value=fmt,
            expected=f"one of {', '.join(FORMATS)}",
        )
    return READERS[fmt](data, ref_s)


def loads(text: str, input_format: str = "yaml", name: str = "<string>") -> Scenario:
    """Parse a scenario from a string in one of :data:`FORMATS` (not xlsx)."""
    return READERS[input_format](text.encode("utf-8"), name)


def detect_format(path: Path, data: bytes) -> str:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return "decide-xlsx"
    if data[:4] == b"PK\x03\x04":
        return "decide-xlsx"
    text = _text(data, str(path))
    head = text.lstrip("\ufeff \t\r\n")[:4096]
    if suffix == ".json" or head.startswith("{"):
        return "json"
    if suffix == ".xml" or head.startswith("<"):
        return "ktab-xml"
    first = head.splitlines()[0] if head else ""
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
class _NoAliasLoader(yaml.SafeLoader):
    """Safe loader that refuses anchors and aliases (defeats 'billion laughs' alias bombs)."""

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            ev = self.peek_event()
            raise ScenarioError(
                "YAML aliases are not allowed",
                where=f"line {ev.start_mark.line + 1}",
                value=f"*{ev.anchor}",
                expected="plain values (anchors and aliases are refused)",
            )
        return super().compose_node(parent, index)


# date strings stay strings; pydantic parses them (so a bad date is reported with its field)
_NoAliasLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _read_yaml(data: bytes, file: str) -> Scenario:
    text = _text(data, file)
    try:
        doc = yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
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
    return from_dict(doc, file)


def _read_json(data: bytes, file: str) -> Scenario:
    text = _text(data, file)

    def bad_constant(c: str) -> Any:
        raise ScenarioError("non-finite number", file=file, value=c, expected="a finite number")

    try:
        doc = json.loads(text, parse_constant=bad_constant)
    except json.JSONDecodeError as e:
        raise ScenarioError(
            f"invalid JSON ({e.msg})",
            file=file,
            where=f"line {e.lineno}, column {e.colno}",
            expected="a complete JSON document",
        ) from None
    return from_dict(doc, file)


def from_dict(doc: Any, file: str = "<dict>") -> Scenario:
    """Validate a plain mapping as a Scenario, turning the first problem into a ScenarioError."""
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
        return Scenario.model_validate(doc)
    except ValidationError as e:
        raise _from_validation(e, file, doc) from None


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
        fields = next(csv.reader([ln], delimiter=delim, quotechar=quote))
        rows.append((lineno, [f.strip() for f in fields]))
    return rows


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
    # percent vs fraction: the data sets use 0–1; a file whose values exceed 1 is on 0–100
    sal_pct = any(s["salience"] > 1 for s in stances)
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


def _read_decide_xlsx(data: bytes, file: str) -> Scenario:
    import zipfile

    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as e:
        raise ScenarioError(f"not a readable XLSX workbook ({e})", file=file, expected="an .xlsx file") from None
    ws = wb.worksheets[0]
    rows = []
    for k, r in enumerate(ws.iter_rows(values_only=True)):
        cells = ["" if v is None else (repr(v) if isinstance(v, float) and not v.is_integer() else str(v)) for v in r]
        if isinstance(r[0] if r else None, str) or any(cells):
            if not any(cells):
                continue
            cells = [c[:-2] if c.endswith(".0") and _is_number(c) else c for c in cells]
            rows.append((k + 1, [c.strip() for c in cells]))
    wb.close()
    if not rows:
        raise ScenarioError("empty workbook", file=file, expected="rows tagged #A, #P, #M or #D in the first sheet")
    return _decide_scenario(rows, file)


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


# ---- BDM table --------------------------------------------------------------------------------------------------------
def _read_bdm_csv(data: bytes, file: str) -> Scenario:
    text = _text(data, file)
    lines = [ln for ln in text.splitlines()]
    header = lines[0] if lines else ""
    delim = next((d for d in (",", ";", "\t") if len(header.split(d)) == 4), None)
    if delim is None:
        raise ScenarioError(
            "cannot detect the delimiter",
            file=file,
            where="line 1",
            value=header[:60],
            expected="Actor,Capability,Position,Salience separated by ',', ';' or a tab",
        )
    cols = [c.strip().lower() for c in header.split(delim)]
    if cols != ["actor", "capability", "position", "salience"]:
        raise ScenarioError(
            "unexpected header",
            file=file,
            where="line 1",
            value=header[:60],
            expected="Actor,Capability,Position,Salience",
        )
    actors, stances, positions = [], [], []
    for k, ln in enumerate(lines[1:], start=2):
        if not ln.strip():
            continue
        f = next(csv.reader([ln], delimiter=delim))
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
        raise ScenarioError("no actor rows", file=file, where="line 2", has_value=False, expected="one row per actor")
    stem = Path(file).stem if not file.startswith("<") else "issue"
    iid = re.sub(r"[^A-Za-z0-9]+", "-", stem).strip("-").lower() or "issue"
    for st in stances:
        st["issue"] = iid
    lo, hi = min(positions), max(positions)
    if lo == hi:
        hi = lo + 1.0
    doc = {
        "name": iid,
        "issues": [{"id": iid, "scale": {"lower": lo, "upper": hi}}],
        "actors": actors,
        "stances": stances,
    }
    return from_dict(doc, file)


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
    "bdm-csv": _read_bdm_csv,
    "ktab-csv": _read_ktab_csv,
    "ktab-xml": _read_ktab_xml,
}


# ---- writing ----------------------------------------------------------------------------------------------------
def to_dict(scenario: Scenario) -> dict[str, Any]:
    """The scenario as plain data in the file schema (fields left at None are omitted)."""
    return scenario.model_dump(mode="json", exclude_none=True)


def dumps(scenario: Scenario, fmt: str = "yaml") -> str:
    if fmt == "yaml":
        return yaml.safe_dump(to_dict(scenario), sort_keys=False, allow_unicode=True, width=120)
    if fmt == "json":
        return json.dumps(to_dict(scenario), indent=2, ensure_ascii=False)
    if fmt == "decide-csv":
        return _decide_text(scenario)
    if fmt == "bdm-csv":
        return _bdm_text(scenario)
    raise ScenarioError("unknown output format", value=fmt, expected="yaml, json, decide-csv, decide-xlsx or bdm-csv")


def save(scenario: Scenario, path: str | Path, fmt: str | None = None) -> Path:
    """Write a scenario (format from ``fmt`` or the suffix: .yaml/.yml, .json, .csv (decide), .xlsx). Atomic."""
    from detente.cli.app import write_output

    path = Path(path)
    fmt = fmt or {".json": "json", ".csv": "decide-csv", ".txt": "decide-csv", ".xlsx": "decide-xlsx"}.get(
        path.suffix.lower(), "yaml"
    )
    if fmt == "decide-xlsx":
        write_output(_decide_xlsx_bytes(scenario), path)
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
    lines = ["Actor,Capability,Position,Salience"]
    for st in s.stances:
        lines.append(
            f"{st.actor},{_fmt(caps[st.actor] if st.capability is None else st.capability)},{_fmt(st.position)},{_fmt(st.salience / 100.0)}"
        )
    return "\n".join(lines) + "\n"
