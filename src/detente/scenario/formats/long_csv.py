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
from typing import Any

from detente.errors import ScenarioError
from detente.scenario.formats.document import from_dict, located
from detente.scenario.formats.text import decode_text, fmt_number, number
from detente.scenario.schema import Scenario


def read_long_csv(data: bytes, file: str) -> Scenario:
    return parse_long_csv(decode_text(data, file), file)


HEADER = ("actor", "issue", "position", "salience", "capability")
_BASIS_KEYS = ("source", "note", "supports", "low", "high")
_LONG_HEAD = re.compile(r"^\s*['\"]?actor['\"]?\s*,\s*['\"]?issue['\"]?\s*,\s*['\"]?position['\"]?\s*,", re.I)


def looks_like_long_csv(text: str) -> bool:
    for line in text.splitlines()[:2000]:
        if line.startswith("#") or not line.strip():
            continue
        return bool(_LONG_HEAD.match(line))
    return False


def write_long_csv(s: Scenario) -> str:
    """The scenario as the long ``actor,issue,position,salience,capability`` table with its comment block."""
    head = ["# detente long table: one row per actor and issue (the '#' lines carry scales, capabilities, sources)"]
    head.append(f"# name {s.name}")
    if s.title:
        head.append(f"# title {' '.join(s.title.split())}")
    if s.salience_scale is not None:
        head.append(f"# salience_scale {s.salience_scale}")
    for i in s.issues:
        head.append(f"# scale {i.id} {fmt_number(i.scale.lower)} {fmt_number(i.scale.upper)}")
    for i in s.issues:
        if i.status_quo is not None:
            head.append(f"# status_quo {i.id} {fmt_number(i.status_quo)}")
    for k, v in s.observed.items():
        head.append(f"# observed {k} {fmt_number(v)}")
    for a in s.actors:
        head.append(f"# capability {a.id} {fmt_number(a.capability)}")
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
            "position": fmt_number(st.position),
            "salience": fmt_number(st.salience),
            "capability": fmt_number(caps[st.actor] if st.capability is None else st.capability),
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
                    row[f"{what}_{k}"] = fmt_number(v) if isinstance(v, float) else str(v)
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


def parse_long_csv(text: str, file: str) -> Scenario:
    """A scenario from the long table (see the module docstring)."""
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
            doc["salience_scale"] = int(number(rest, file, n, "salience_scale"))
        elif key == "scale":
            iid, lo, hi = split(2, "ISSUE LO HI")
            scales[iid] = {"lower": number(lo, file, n, "LO"), "upper": number(hi, file, n, "HI")}
        elif key in ("status_quo", "observed", "capability"):
            ident, v = split(1, "ID VALUE")
            {"status_quo": status_quo, "observed": observed, "capability": caps}[key][ident] = number(v, file, n, key)
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
        for what in ("position", "salience", "capability"):
            b: dict[str, Any] = {}
            for k in _BASIS_KEYS:
                v = rec.get(f"{what}_{k}", "")
                if v:
                    b[k] = number(v, file, lineno, f"{what}_{k}") if k in ("low", "high") else v
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
        raise located(
            e, lambda name, k: f"line {stance_lines[k]}" if name == "stances" and k < len(stance_lines) else None
        ) from None
