"""``long-csv``: the long table, one row per stance — ``actor,issue,position,salience,capability`` (+ optional
``note`` and basis columns ``position_source``, ``position_note``, ``position_supports``, ``position_low``,
``position_high``, likewise for salience and capability).

A ``#`` comment block before the header carries what the numbers need: ``# name``, ``# title``,
``# salience_scale``, ``# scale ISSUE LO HI``, ``# status_quo ISSUE V``, ``# observed ISSUE V``,
``# capability ACTOR V``, and ``# source``, ``# delegation``, ``# veto`` lines holding one JSON record each. An issue
without a ``# scale`` line is on [0, 100]; an actor without a ``# capability`` line takes the capability of its first
row. The table drops descriptions, actor names and groups, labelled scale points, events, variants, outcomes,
strategy and perturbation blocks (the detente workbook, :mod:`detente.scenario.sheets`, keeps them).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

from detente.errors import ScenarioError
from detente.scenario.formats.document import from_dict, located
from detente.scenario.formats.text import decode_text, fmt_number, number
from detente.scenario.schema import Scenario

HEADER = ("actor", "issue", "position", "salience", "capability")
_BASIS_KEYS = ("source", "note", "supports", "low", "high")
_BASIS_OF = ("position", "salience", "capability")
_BASIS_COLUMNS = tuple(f"{w}_{k}" for w in _BASIS_OF for k in _BASIS_KEYS)
_LONG_HEAD = re.compile(r"^\s*['\"]?actor['\"]?\s*,\s*['\"]?issue['\"]?\s*,\s*['\"]?position['\"]?\s*,", re.I)


def looks_like_long_csv(text: str) -> bool:
    for line in text.splitlines()[:2000]:
        if line.startswith("#") or not line.strip():
            continue
        return bool(_LONG_HEAD.match(line))
    return False


def write_long_csv(s: Scenario) -> str:
    """The scenario as the long ``actor,issue,position,salience,capability`` table with its comment block."""
    caps = {a.id: a.capability for a in s.actors}
    rows = [_row(st, caps[st.actor] if st.capability is None else st.capability) for st in s.stances]
    extra = {k for row in rows for k in row if k not in HEADER}
    order = ["note"] if "note" in extra else []
    order += [c for c in _BASIS_COLUMNS if c in extra]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([*HEADER, *order])
    for row in rows:
        w.writerow([row.get(c, "") for c in (*HEADER, *order)])
    return "\n".join(_head_lines(s)) + "\n" + buf.getvalue()


def _head_lines(s: Scenario) -> list[str]:
    """The ``#`` block: name, title, salience unit, scales, status quo, observed outcomes, capabilities, records."""
    head = ["# detente long table: one row per actor and issue (the '#' lines carry scales, capabilities, sources)"]
    head.append(f"# name {s.name}")
    if s.title:
        head.append(f"# title {' '.join(s.title.split())}")
    if s.salience_scale is not None:
        head.append(f"# salience_scale {s.salience_scale}")
    head += [f"# scale {i.id} {fmt_number(i.scale.lower)} {fmt_number(i.scale.upper)}" for i in s.issues]
    head += [f"# status_quo {i.id} {fmt_number(i.status_quo)}" for i in s.issues if i.status_quo is not None]
    head += [f"# observed {k} {fmt_number(v)}" for k, v in s.observed.items()]
    head += [f"# capability {a.id} {fmt_number(a.capability)}" for a in s.actors]
    for kind, items in (("source", s.sources), ("delegation", s.delegations), ("veto", s.vetoes)):
        head += [
            f"# {kind} " + json.dumps(x.model_dump(mode="json", exclude_none=True), ensure_ascii=False) for x in items
        ]
    return head


def _row(st: Any, capability: float) -> dict[str, str]:
    """One stance's cells, by column."""
    row = {
        "actor": st.actor,
        "issue": st.issue,
        "position": fmt_number(st.position),
        "salience": fmt_number(st.salience),
        "capability": fmt_number(capability),
    }
    if st.note:
        row["note"] = st.note
    for what in _BASIS_OF:
        b = getattr(st, f"{what}_basis")
        for k in _BASIS_KEYS if b is not None else ():
            v = getattr(b, k)
            if v is not None:
                row[f"{what}_{k}"] = fmt_number(v) if isinstance(v, float) else str(v)
    return row


# ---- reading --------------------------------------------------------------------------------------------------------
@dataclass
class _Head:
    """What the ``#`` block before the header says."""

    doc: dict[str, Any] = field(default_factory=lambda: {"name": None})
    scales: dict[str, dict[str, float]] = field(default_factory=dict)
    status_quo: dict[str, float] = field(default_factory=dict)
    observed: dict[str, float] = field(default_factory=dict)
    caps: dict[str, float] = field(default_factory=dict)
    lists: dict[str, list[Any]] = field(default_factory=lambda: {"source": [], "delegation": [], "veto": []})

    def add(self, key: str, rest: str, file: str, n: int) -> None:
        """One ``# KEY REST`` line (line ``n``); other keys are comments."""
        if key in ("name", "title"):
            self.doc[key] = rest
        elif key == "salience_scale":
            self.doc["salience_scale"] = int(number(rest, file, n, "salience_scale"))
        elif key == "scale":
            iid, lo, hi = _split(rest, 2, "ISSUE LO HI", key, file, n)
            self.scales[iid] = {"lower": number(lo, file, n, "LO"), "upper": number(hi, file, n, "HI")}
        elif key in ("status_quo", "observed", "capability"):
            ident, v = _split(rest, 1, "ID VALUE", key, file, n)
            {"status_quo": self.status_quo, "observed": self.observed, "capability": self.caps}[key][ident] = number(
                v, file, n, key
            )
        elif key in self.lists:
            try:
                self.lists[key].append(json.loads(rest))
            except json.JSONDecodeError as e:
                raise ScenarioError(
                    f"not JSON ({e.msg})", file=file, where=f"line {n}", value=rest, expected=f"'# {key} {{...}}'"
                ) from None


def _split(rest: str, k: int, what: str, key: str, file: str, n: int) -> list[str]:
    parts = rest.rsplit(None, k)
    if len(parts) != k + 1:
        raise ScenarioError(None, file=file, where=f"line {n}", value=f"# {key} {rest}", expected=f"'# {key} {what}'")
    return parts


def _read_head(lines: list[str], file: str) -> tuple[_Head, int]:
    """The ``#`` block (and blank lines) before the header, and the number of lines it takes."""
    head = _Head()
    n = 0
    while n < len(lines) and (lines[n].startswith("#") or not lines[n].strip()):
        line, n = lines[n].lstrip("#").strip(), n + 1
        key, _, rest = line.partition(" ")
        head.add(key, rest.strip(), file, n)
    return head, n


def _check_header(header: list[str], file: str, where: str) -> None:
    missing = [h for h in HEADER[:4] if h not in header]
    if missing:
        raise ScenarioError(
            "missing columns",
            file=file,
            where=where,
            value=missing,
            expected="a header with actor, issue, position, salience (and capability)",
        )
    known = {*HEADER, "note", *_BASIS_COLUMNS}
    unknown = [h for h in header if h not in known]
    if unknown:
        raise ScenarioError(
            "unknown columns",
            file=file,
            where=where,
            value=unknown,
            expected=f"columns among {', '.join(sorted(known))}",
        )


def _record(row: list[str], header: list[str], file: str, lineno: int) -> dict[str, str]:
    """A data row's cells by column, with its actor and issue given."""
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
    return rec


def _bases(st: dict[str, Any], rec: dict[str, str], file: str, lineno: int) -> None:
    """The stance's ``position_basis`` etc. from the basis columns that have a value."""
    for what in _BASIS_OF:
        b: dict[str, Any] = {}
        for k in _BASIS_KEYS:
            v = rec.get(f"{what}_{k}", "")
            if v:
                b[k] = number(v, file, lineno, f"{what}_{k}") if k in ("low", "high") else v
        if b:
            st[f"{what}_basis"] = b


def _stance(
    rec: dict[str, str], actors: dict[str, dict[str, Any]], issues: dict[str, dict[str, Any]], file: str, lineno: int
) -> dict[str, Any]:
    """A row's stance; its actor (capability: the ``# capability`` line's, else its first row's) and issue (on [0, 100]
    without a ``# scale`` line) are added where new, and the stance keeps a capability that differs from its actor's."""
    st: dict[str, Any] = {
        "actor": rec["actor"],
        "issue": rec["issue"],
        "position": number(rec["position"], file, lineno, "position"),
        "salience": number(rec["salience"], file, lineno, "salience"),
    }
    cap = number(rec["capability"], file, lineno, "capability") if rec.get("capability") else None
    a = actors.setdefault(rec["actor"], {"id": rec["actor"], "capability": 1.0 if cap is None else cap})
    if cap is not None and cap != a["capability"]:
        st["capability"] = cap
    issues.setdefault(rec["issue"], {"id": rec["issue"], "scale": {"lower": 0.0, "upper": 100.0}})
    if rec.get("note"):
        st["note"] = rec["note"]
    _bases(st, rec, file, lineno)
    return st


def parse_long_csv(text: str, file: str) -> Scenario:
    """A scenario from the long table (see the module docstring)."""
    lines = text.splitlines()
    head, n = _read_head(lines, file)
    header_line = n + 1
    reader = csv.reader(io.StringIO("\n".join(lines[n:])))
    header = [h.strip().lower() for h in next(reader, [])]
    _check_header(header, file, f"line {header_line}")
    actors: dict[str, dict[str, Any]] = {a: {"id": a, "capability": c} for a, c in head.caps.items()}
    issues: dict[str, dict[str, Any]] = {i: {"id": i, "scale": sc} for i, sc in head.scales.items()}
    stances: list[dict[str, Any]] = []
    stance_lines: list[int] = []
    for row in reader:
        lineno = header_line + reader.line_num - 1
        if not any(c.strip() for c in row) or row[0].lstrip().startswith("#"):
            continue
        stances.append(_stance(_record(row, header, file, lineno), actors, issues, file, lineno))
        stance_lines.append(lineno)
    if not stances:
        raise ScenarioError("no rows", file=file, expected="one row per actor and issue after the header")
    for iid, sq in head.status_quo.items():
        if iid not in issues:
            raise ScenarioError(None, file=file, where="# status_quo", value=iid, expected="an issue of the table")
        issues[iid]["status_quo"] = sq
    doc = head.doc
    doc.update(
        name=doc["name"] or re.sub(r"\.[^./\\]*$", "", file.replace("\\", "/").rsplit("/", 1)[-1]) or "scenario",
        issues=list(issues.values()),
        actors=list(actors.values()),
        stances=stances,
        sources=head.lists["source"],
        delegations=head.lists["delegation"],
        vetoes=head.lists["veto"],
    )
    if head.observed:
        doc["observed"] = head.observed
    try:
        return from_dict(doc, file, check_salience_scale=True)
    except ScenarioError as e:
        raise located(
            e, lambda name, k: f"line {stance_lines[k]}" if name == "stances" and k < len(stance_lines) else None
        ) from None


def read_long_csv(data: bytes, file: str) -> Scenario:
    return parse_long_csv(decode_text(data, file), file)
