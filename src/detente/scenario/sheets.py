"""Two spreadsheet-friendly scenario layouts: the detente workbook and the long CSV table.

- ``detente-xlsx`` — a workbook with the sheets ``scenario`` (``field``, ``value`` rows: name, title, description,
  date, salience_scale, strategy, perturbation), ``issues`` (id, name, …, lower, upper, status_quo, observed,
  points), ``actors``, ``stances`` (actor, issue, position, salience, capability and the basis columns such as
  ``position_basis.source``), ``sources``, and ``events``, ``variants``, ``delegations``, ``vetoes``, ``outcomes``
  where the scenario has them. Nested records are columns with dotted names (``capability_basis.note``); lists
  (scale points, edits, members, players) are JSON text in their cell. It holds the whole scenario: saving and
  loading gives the same scenario back.
- ``long-csv`` — ``actor,issue,position,salience,capability`` (+ optional ``note`` and basis columns
  ``position_source``, ``position_note``, ``position_supports``, ``position_low``, ``position_high``, likewise for
  salience and capability), one row per stance. A ``#`` comment block before the header carries what the numbers
  need: ``# name``, ``# title``, ``# salience_scale``, ``# scale ISSUE LO HI``, ``# status_quo ISSUE V``,
  ``# observed ISSUE V``, ``# capability ACTOR V``, and ``# source``, ``# delegation``, ``# veto`` lines holding
  one JSON record each. An issue without a ``# scale`` line is on [0, 100]; an actor without a ``# capability``
  line takes the capability of its first row. The table drops descriptions, actor names and groups, labelled scale
  points, events, variants, outcomes, strategy and perturbation blocks.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from typing import Any

from detente.errors import ScenarioError
from detente.scenario.schema import Scenario

SHEETS = ("scenario", "issues", "actors", "stances", "sources")
"""The sheets that mark a workbook as the detente layout (``issues``, ``actors`` and ``stances`` must be there)."""
OPTIONAL_SHEETS = ("events", "variants", "delegations", "vetoes", "outcomes")
_JSON_FIELDS = {"points", "edits", "members", "players", "stances", "strategy", "perturbation", "new_actor"}
CELL_MAX = 32767
"""Excel's limit on the characters of one cell."""


# ---- detente workbook -------------------------------------------------------------------------------------------
def _flat(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in row.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and k not in _JSON_FIELDS:
            out.update(_flat(v, key + "."))
        elif isinstance(v, list | dict):
            out[key] = json.dumps(v, ensure_ascii=False)
        else:
            out[key] = v
    return out


def _table(rows: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    flat = [_flat(r) for r in rows]
    cols: list[str] = []
    for r in flat:
        cols.extend(k for k in r if k not in cols)
    return cols, [[r.get(c) for c in cols] for r in flat]


def xlsx_bytes(s: Scenario) -> bytes:
    """The scenario as a detente workbook (see the module docstring); same scenario, same bytes."""
    import pandas as pd

    from detente.scenario.io import to_dict
    from detente.workbook import workbook_bytes

    doc = to_dict(s)
    observed = doc.pop("observed", {})
    issues = []
    for i in doc.pop("issues"):
        scale = i.pop("scale", {})
        row = {k: i[k] for k in ("id", "name", "description", "units") if k in i}
        row.update({"lower": scale.get("lower", 0.0), "upper": scale.get("upper", 100.0)})
        if "status_quo" in i:
            row["status_quo"] = i.pop("status_quo")
        if i["id"] in observed:
            row["observed"] = observed[i["id"]]
        row["points"] = scale.get("points", [])
        row.update({k: v for k, v in i.items() if k not in row})
        issues.append(row)
    sheets: dict[str, tuple[list[str], list[list[Any]]]] = {}
    top = {k: doc.pop(k) for k in list(doc) if k not in ("sources", "actors", "stances", *OPTIONAL_SHEETS)}
    sheets["scenario"] = (
        ["field", "value"],
        [[k, json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v] for k, v in top.items()],
    )
    sheets["issues"] = _table(issues)
    for name in ("actors", "stances", "sources", *OPTIONAL_SHEETS):
        if name in ("actors", "stances", "sources") or doc.get(name):
            sheets[name] = _table(doc.get(name, []))
    frames = {}
    for name, (cols, rows) in sheets.items():
        for r, line in enumerate(rows):
            for c, cell in enumerate(line):
                if isinstance(cell, str) and len(cell) > CELL_MAX:
                    raise ScenarioError(
                        "text too long for one workbook cell",
                        file=s.name,
                        where=f"sheet {name!r}, row {r + 2}, column {cols[c]!r}",
                        value=f"{len(cell)} characters",
                        expected=f"at most {CELL_MAX} characters (save as YAML instead)",
                    )
        frames[name] = pd.DataFrame(rows, columns=cols, dtype=object)
    return workbook_bytes(frames)


def _where(sheet: str, row: int, col: str) -> str:
    return f"sheet {sheet!r}, row {row}, column {col!r}"


def _cell(v: Any, sheet: str, row: int, col: str, file: str) -> Any:
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return v
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, str) and col.rsplit(".", 1)[-1] in _JSON_FIELDS:
        try:
            return json.loads(v)
        except json.JSONDecodeError as e:
            raise ScenarioError(
                f"not JSON ({e.msg})", file=file, where=_where(sheet, row, col), value=v, expected="a JSON list"
            ) from None
    return v


def _records(ws: Any, file: str, rownums: list[int] | None = None) -> list[dict[str, Any]]:
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        return []
    cols = ["" if c is None else str(c).strip() for c in header]
    out = []
    for k, r in enumerate(rows, start=2):
        if r is None or all(v is None or v == "" for v in r):
            continue
        rec: dict[str, Any] = {}
        for c, v in zip(cols, r, strict=False):
            if v is None or v == "":
                continue
            if not c:
                raise ScenarioError(
                    "a value under a column without a name",
                    file=file,
                    where=f"sheet {ws.title!r}, row {k}",
                    value=v,
                    expected="a header cell naming the column",
                )
            node = rec
            *path, leaf = c.split(".")
            for p in path:
                node = node.setdefault(p, {})
            node[leaf] = _cell(v, ws.title, k, c, file)
        out.append(rec)
        if rownums is not None:
            rownums.append(k)
    return out


def read_workbook(wb: Any, file: str) -> Scenario:
    """A scenario from an open detente workbook (see the module docstring)."""
    from detente.scenario.io import from_dict

    names = wb.sheetnames
    doc: dict[str, Any] = {}
    if "scenario" in names:
        for k, r in enumerate(wb["scenario"].iter_rows(values_only=True), start=1):
            if k == 1 or r is None or not r or r[0] is None:
                continue
            field = str(r[0]).strip()
            value = r[1] if len(r) > 1 else None
            if value is None:
                continue
            doc[field] = _cell(value, "scenario", k, field, file)
    observed: dict[str, Any] = {}
    issues = []
    rows: dict[str, list[int]] = {name: [] for name in ("issues", "actors", "stances", "sources", *OPTIONAL_SHEETS)}
    for rec in _records(wb["issues"], file, rows["issues"]):
        scale = {k: rec.pop(k) for k in ("lower", "upper", "points") if k in rec}
        if "observed" in rec:
            observed[str(rec.get("id"))] = rec.pop("observed")
        issues.append({**rec, "scale": scale})
    doc["issues"] = issues
    if observed:
        doc["observed"] = observed
    for name in ("actors", "stances", "sources", *OPTIONAL_SHEETS):
        if name in names:
            doc[name] = _records(wb[name], file, rows[name])
    try:
        return from_dict(doc, file)
    except ScenarioError as e:
        raise _located(
            e, lambda name, k: f"sheet {name!r}, row {rows[name][k]}" if k < len(rows.get(name, ())) else None
        ) from None


_ITEM = re.compile(r"^([a-z_]+)\[(\d+)\]\.?(.*)$")


def _located(e: ScenarioError, where: Any) -> ScenarioError:
    """The error with its ``records[k].field`` place told as the sheet row or file line it came from."""
    m = _ITEM.match(e.where or "")
    place = where(m.group(1), int(m.group(2))) if m else None
    if not m or place is None:
        return e
    field = m.group(3)
    new = ScenarioError(
        e.message, file=e.file, where=f"{place}, field {field}" if field else place, value=None, has_value=False
    )
    new.value, new.expected = e.value, e.expected
    return new


def is_detente_workbook(sheetnames: list[str]) -> bool:
    return {"issues", "actors", "stances"} <= set(sheetnames)


# ---- long CSV -----------------------------------------------------------------------------------------------------
HEADER = ("actor", "issue", "position", "salience", "capability")
_BASIS_KEYS = ("source", "note", "supports", "low", "high")
_LONG_HEAD = re.compile(r"^\s*['\"]?actor['\"]?\s*,\s*['\"]?issue['\"]?\s*,\s*['\"]?position['\"]?\s*,", re.I)


def looks_like_long_csv(text: str) -> bool:
    for line in text.splitlines()[:2000]:
        if line.startswith("#") or not line.strip():
            continue
        return bool(_LONG_HEAD.match(line))
    return False


def _fmt(v: float) -> str:
    return repr(float(v)) if not float(v).is_integer() or abs(v) >= 1e15 else str(int(v))


def long_csv_text(s: Scenario) -> str:
    """The scenario as the long ``actor,issue,position,salience,capability`` table with its comment block."""
    head = ["# detente long table: one row per actor and issue (the '#' lines carry scales, capabilities, sources)"]
    head.append(f"# name {s.name}")
    if s.title:
        head.append(f"# title {' '.join(s.title.split())}")
    if s.salience_scale is not None:
        head.append(f"# salience_scale {s.salience_scale}")
    for i in s.issues:
        head.append(f"# scale {i.id} {_fmt(i.scale.lower)} {_fmt(i.scale.upper)}")
    for i in s.issues:
        if i.status_quo is not None:
            head.append(f"# status_quo {i.id} {_fmt(i.status_quo)}")
    for k, v in s.observed.items():
        head.append(f"# observed {k} {_fmt(v)}")
    for a in s.actors:
        head.append(f"# capability {a.id} {_fmt(a.capability)}")
    for kind, items in (("source", s.sources), ("delegation", s.delegations), ("veto", s.vetoes)):
        for x in items:
            head.append(f"# {kind} " + json.dumps(x.model_dump(mode="json", exclude_none=True), ensure_ascii=False))
    caps = {a.id: a.capability for a in s.actors}
    extra: list[str] = []
    rows: list[dict[str, str]] = []
    for st in s.stances:
        row = {
            "actor": st.actor,
            "issue": st.issue,
            "position": _fmt(st.position),
            "salience": _fmt(st.salience),
            "capability": _fmt(caps[st.actor] if st.capability is None else st.capability),
        }
        if st.note:
            row["note"] = st.note
        for what in ("position", "salience", "capability"):
            b = getattr(st, f"{what}_basis")
            if b is None:
                continue
            for k in _BASIS_KEYS:
                v = getattr(b, k)
                if v is not None:
                    row[f"{what}_{k}"] = _fmt(v) if isinstance(v, float) else str(v)
        extra.extend(k for k in row if k not in HEADER and k not in extra)
        rows.append(row)
    order = ["note"] if "note" in extra else []
    order += [f"{w}_{k}" for w in ("position", "salience", "capability") for k in _BASIS_KEYS if f"{w}_{k}" in extra]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([*HEADER, *order])
    for row in rows:
        w.writerow([row.get(c, "") for c in (*HEADER, *order)])
    return "\n".join(head) + "\n" + buf.getvalue()


def read_long_csv(text: str, file: str) -> Scenario:
    """A scenario from the long table (see the module docstring)."""
    from detente.scenario.io import _num, from_dict

    doc: dict[str, Any] = {"name": None}
    scales: dict[str, dict[str, float]] = {}
    status_quo: dict[str, float] = {}
    observed: dict[str, float] = {}
    caps: dict[str, float] = {}
    lists: dict[str, list[Any]] = {"source": [], "delegation": [], "veto": []}
    lines = text.splitlines()
    n = 0
    while n < len(lines) and (lines[n].startswith("#") or not lines[n].strip()):
        line, n = lines[n].lstrip("#").strip(), n + 1
        key, _, rest = line.partition(" ")
        rest = rest.strip()
        where = f"line {n}"

        def split(k: int, what: str, *, _rest: str = rest, _where: str = where, _key: str = key) -> list[str]:
            parts = _rest.rsplit(None, k)
            if len(parts) != k + 1:
                raise ScenarioError(
                    None, file=file, where=_where, value=f"# {_key} {_rest}", expected=f"'# {_key} {what}'"
                )
            return parts

        if key == "name":
            doc["name"] = rest
        elif key == "title":
            doc["title"] = rest
        elif key == "salience_scale":
            doc["salience_scale"] = int(_num(rest, file, n, "salience_scale"))
        elif key == "scale":
            iid, lo, hi = split(2, "ISSUE LO HI")
            scales[iid] = {"lower": _num(lo, file, n, "LO"), "upper": _num(hi, file, n, "HI")}
        elif key in ("status_quo", "observed", "capability"):
            ident, v = split(1, "ID VALUE")
            {"status_quo": status_quo, "observed": observed, "capability": caps}[key][ident] = _num(v, file, n, key)
        elif key in lists:
            try:
                lists[key].append(json.loads(rest))
            except json.JSONDecodeError as e:
                raise ScenarioError(
                    f"not JSON ({e.msg})", file=file, where=where, value=rest, expected=f"'# {key} {{...}}'"
                ) from None
    header_line = n + 1
    reader = csv.reader(io.StringIO("\n".join(lines[n:])))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [h for h in HEADER[:4] if h not in header]
    if missing:
        raise ScenarioError(
            "missing columns",
            file=file,
            where=f"line {header_line}",
            value=missing,
            expected="a header with actor, issue, position, salience (and capability)",
        )
    known = {*HEADER, "note", *(f"{w}_{k}" for w in ("position", "salience", "capability") for k in _BASIS_KEYS)}
    unknown = [h for h in header if h not in known]
    if unknown:
        raise ScenarioError(
            "unknown columns",
            file=file,
            where=f"line {header_line}",
            value=unknown,
            expected=f"columns among {', '.join(sorted(known))}",
        )
    actors: dict[str, dict[str, Any]] = {a: {"id": a, "capability": c} for a, c in caps.items()}
    issues: dict[str, dict[str, Any]] = {i: {"id": i, "scale": sc} for i, sc in scales.items()}
    stances: list[dict[str, Any]] = []
    stance_lines: list[int] = []
    for row in reader:
        lineno = header_line + reader.line_num - 1
        if not any(c.strip() for c in row) or row[0].lstrip().startswith("#"):
            continue
        if len(row) != len(header):
            raise ScenarioError(
                "wrong number of fields",
                file=file,
                where=f"line {lineno}",
                value=len(row),
                expected=f"{len(header)} fields, as in the header",
            )
        rec = {h: c.strip() for h, c in zip(header, row, strict=True)}
        for h in ("actor", "issue"):
            if not rec[h]:
                raise ScenarioError(None, file=file, where=f"line {lineno}, field {h}", value="", expected="an id")
        st: dict[str, Any] = {
            "actor": rec["actor"],
            "issue": rec["issue"],
            "position": _num(rec["position"], file, lineno, "position"),
            "salience": _num(rec["salience"], file, lineno, "salience"),
        }
        cap = _num(rec["capability"], file, lineno, "capability") if rec.get("capability") else None
        a = actors.setdefault(rec["actor"], {"id": rec["actor"], "capability": 1.0 if cap is None else cap})
        if cap is not None and cap != a["capability"]:
            st["capability"] = cap
        issues.setdefault(rec["issue"], {"id": rec["issue"], "scale": {"lower": 0.0, "upper": 100.0}})
        if rec.get("note"):
            st["note"] = rec["note"]
        for what in ("position", "salience", "capability"):
            b: dict[str, Any] = {}
            for k in _BASIS_KEYS:
                v = rec.get(f"{what}_{k}", "")
                if v:
                    b[k] = _num(v, file, lineno, f"{what}_{k}") if k in ("low", "high") else v
            if b:
                st[f"{what}_basis"] = b
        stances.append(st)
        stance_lines.append(lineno)
    if not stances:
        raise ScenarioError("no rows", file=file, expected="one row per actor and issue after the header")
    for iid, sq in status_quo.items():
        if iid not in issues:
            raise ScenarioError(None, file=file, where="# status_quo", value=iid, expected="an issue of the table")
        issues[iid]["status_quo"] = sq
    doc.update(
        name=doc["name"] or re.sub(r"\.[^./\\]*$", "", file.replace("\\", "/").rsplit("/", 1)[-1]) or "scenario",
        issues=list(issues.values()),
        actors=list(actors.values()),
        stances=stances,
        sources=lists["source"],
        delegations=lists["delegation"],
        vetoes=lists["veto"],
    )
    if observed:
        doc["observed"] = observed
    try:
        return from_dict(doc, file, check_salience_scale=True)
    except ScenarioError as e:
        raise _located(
            e, lambda name, k: f"line {stance_lines[k]}" if name == "stances" and k < len(stance_lines) else None
        ) from None
