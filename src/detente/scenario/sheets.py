"""The detente workbook (``detente-xlsx``), a scenario layout for spreadsheets.

A workbook with the sheets ``scenario`` (``field``, ``value`` rows: name, title, description, date, salience_scale,
strategy, perturbation), ``issues`` (id, name, …, lower, upper, status_quo, observed, points), ``actors``,
``stances`` (actor, issue, position, salience, capability and the basis columns such as ``position_basis.source``),
``sources``, and ``events``, ``variants``, ``delegations``, ``vetoes``, ``outcomes`` where the scenario has them.
Nested records are columns with dotted names (``capability_basis.note``); lists (scale points, edits, members,
players) are JSON text in their cell. It holds the whole scenario: saving and loading gives the same scenario back.

The long table, the other layout for spreadsheets, is :mod:`detente.scenario.formats.long_csv`.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from detente.errors import ScenarioError
from detente.scenario.schema import Scenario

SHEETS = ("scenario", "issues", "actors", "stances", "sources")
"""The sheets that mark a workbook as the detente layout (``issues``, ``actors`` and ``stances`` must be there)."""
OPTIONAL_SHEETS = ("events", "variants", "delegations", "vetoes", "outcomes")
_JSON_FIELDS = {"points", "edits", "members", "players", "stances", "strategy", "perturbation", "new_actor", "claims"}
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

    from detente.scenario.formats.document import to_dict
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
    from detente.scenario.formats.document import from_dict, located

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
        raise located(
            e, lambda name, k: f"sheet {name!r}, row {rows[name][k]}" if k < len(rows.get(name, ())) else None
        ) from None


def is_detente_workbook(sheetnames: list[str]) -> bool:
    return {"issues", "actors", "stances"} <= set(sheetnames)
