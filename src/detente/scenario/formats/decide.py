"""``decide-csv``: the tagged records of Stokman's exchange model (decide-exchange-model), both ways.

``#A;id;name[;comment]``, ``#P;id;description``, ``#M;issue;position;meaning``, ``#D;actor;issue;position;salience;
power[;comment]``, ``#/`` and ``#O`` comments. Delimiter ``;``, tab or ``,`` (the one that splits every tagged line into
its fields); ``'`` or ``"`` quoting. Issue bounds are the min and max of its ``#M`` points, [0, 100] if none. Salience
and power are 0–1 in the data sets (0–100 is accepted: values above 1 on a file are read as percent). The same records
in a workbook's sheet are read by :mod:`detente.scenario.formats.xlsx` through :func:`decide_scenario`.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from detente.errors import ScenarioError
from detente.scenario.formats.document import from_dict
from detente.scenario.formats.text import csv_fields, decode_text, fmt_number, number
from detente.scenario.schema import Scenario

Rows = list[tuple[int, list[str]]]
"""(line or row number, fields) of each non-empty record."""

_TAGS = {"#A", "#P", "#M", "#D", "#/", "#O", "#0"}
_FIELDS = {"#A": 2, "#P": 2, "#M": 3, "#D": 6}
_LAYOUT = {
    "#A": "#A;id;name",
    "#P": "#P;id;description",
    "#M": "#M;issue;position;meaning",
    "#D": "#D;actor;issue;position;salience;power",
}
DATA_TAG = re.compile(r"^['\"]?#[APMD]")
"""A cell or line that starts a data record (``#A``, ``#P``, ``#M`` or ``#D``, perhaps quoted)."""


# ---- reading --------------------------------------------------------------------------------------------------------
def read_decide_csv(data: bytes, file: str) -> Scenario:
    return decide_scenario(_rows_from_text(decode_text(data, file), file), file)


def _rows_from_text(text: str, file: str) -> Rows:
    lines = text.splitlines()
    tagged = [(k + 1, ln) for k, ln in enumerate(lines) if ln.strip()]
    if not tagged:
        raise ScenarioError("empty file", file=file, expected="lines tagged #A, #P, #M or #D")
    data_lines = [(k, ln) for k, ln in tagged if re.match(r"^\s*['\"]?#[APMD]['\"]?", ln)]
    delim = _delimiter(data_lines or tagged, file)
    rows = []
    for lineno, ln in tagged:
        quote = "'" if ln.lstrip().startswith("'") else '"'
        rows.append((lineno, [f.strip() for f in csv_fields(ln, delim, file, lineno, quote)]))
    return rows


def _delimiter(lines: list[tuple[int, str]], file: str) -> str:
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


def decide_scenario(rows: Rows, file: str) -> Scenario:
    """The scenario of decide records (from a CSV file's lines or a sheet's rows); errors name ``file`` and the line."""
    records = _Records(file)
    for lineno, fields in rows:
        records.add(lineno, *_record(lineno, fields, file))
    return records.scenario()


def _record(lineno: int, fields: list[str], file: str) -> tuple[str, list[str]]:
    """A record's tag and fields (trailing empty fields dropped), checked for its tag and number of fields."""
    f = list(fields)
    tag = f[0].strip("'\"") if f else ""
    if tag not in _TAGS:
        raise ScenarioError(
            "unknown record tag", file=file, where=f"line {lineno}", value=tag, expected="#A, #P, #M, #D, #O or #/"
        )
    while f and f[-1] == "":
        f.pop()
    if len(f) < _FIELDS.get(tag, 0):
        if tag != "#D" or len(f) != 5:
            raise ScenarioError(
                f"too few fields ({len(f)}) — truncated line?",
                file=file,
                where=f"line {lineno}",
                value=";".join(f)[:60],
                expected=_LAYOUT[tag],
            )
        f.append("")  # a #D record without power: refused as a missing number below
    return tag, f


def _declared(kind: str, tag: str, ids: dict[str, Any]) -> str:
    return f"{kind} declared with {tag} ({', '.join(list(ids)[:8])}{'…' if len(ids) > 8 else ''})"


def _optional(f: list[str], k: int, unless: str = "") -> str | None:
    """Field ``k`` where it is given and differs from ``unless``."""
    return f[k] if len(f) > k and f[k] not in ("", unless) else None


@dataclass
class _Records:
    """The records read so far, by kind; :meth:`scenario` checks them together and builds the scenario."""

    file: str
    actors: dict[str, dict[str, Any]] = field(default_factory=dict)
    issues: dict[str, dict[str, Any]] = field(default_factory=dict)
    points: dict[str, list[tuple[float, str]]] = field(default_factory=dict)
    stances: list[dict[str, Any]] = field(default_factory=list)
    stance_lines: list[int] = field(default_factory=list)
    title: str | None = None
    comments: list[str] = field(default_factory=list)

    def add(self, lineno: int, tag: str, f: list[str]) -> None:
        if tag == "#O":
            self.title = f[1] if len(f) > 1 else None
        elif tag in ("#/", "#0"):
            self.comments.append(" ".join(x for x in f[1:] if x))
        elif tag == "#A":
            self._actor(lineno, f)
        elif tag == "#P":
            self._issue(lineno, f)
        elif tag == "#M":
            self._point(lineno, f)
        else:
            self._stance(lineno, f)

    def _actor(self, lineno: int, f: list[str]) -> None:
        aid = f[1]
        if aid in self.actors:
            raise ScenarioError(
                "duplicate actor id", file=self.file, where=f"line {lineno}", value=aid, expected="each #A id once"
            )
        self.actors[aid] = {"id": aid, "name": _optional(f, 2, aid), "description": _optional(f, 3), "capability": 1.0}

    def _issue(self, lineno: int, f: list[str]) -> None:
        iid = f[1]
        if iid in self.issues:
            raise ScenarioError(
                "duplicate issue id", file=self.file, where=f"line {lineno}", value=iid, expected="each #P id once"
            )
        self.issues[iid] = {"id": iid, "name": _optional(f, 2, iid), "description": _optional(f, 3)}
        self.points.setdefault(iid, [])

    def _point(self, lineno: int, f: list[str]) -> None:
        iid = f[1]
        if iid not in self.issues:
            raise ScenarioError(
                "scale point for an unknown issue",
                file=self.file,
                where=f"line {lineno}, field issue",
                value=iid,
                expected=f"an issue declared with #P before ({', '.join(self.issues) or 'none yet'})",
            )
        self.points[iid].append((number(f[2], self.file, lineno, "position"), f[3] if len(f) > 3 else ""))

    def _stance(self, lineno: int, f: list[str]) -> None:
        aid, iid = f[1], f[2]
        for what, ident, known, tag in (("actor", aid, self.actors, "#A"), ("issue", iid, self.issues, "#P")):
            if ident not in known:
                raise ScenarioError(
                    f"unknown {what} id",
                    file=self.file,
                    where=f"line {lineno}, field {what}",
                    value=ident,
                    expected=_declared(f"an {what}", tag, known),
                )
        pos = number(f[3], self.file, lineno, "position")
        sal = number(f[4], self.file, lineno, "salience")
        pw = number(f[5], self.file, lineno, "power")
        for name, v in (("salience", sal), ("power", pw)):
            if not 0 <= v <= 100:
                raise ScenarioError(
                    None,
                    file=self.file,
                    where=f"line {lineno}, field {name}",
                    value=v,
                    expected="a number in [0, 1] (or 0–100)",
                )
        note = f[6] if len(f) > 6 and f[6] else None
        self.stances.append(
            {"actor": aid, "issue": iid, "position": pos, "salience": sal, "capability": pw, "note": note}
        )
        self.stance_lines.append(lineno)

    def scenario(self) -> Scenario:
        self._check_complete()
        percent = self._saliences_in_percent()
        for iid, pts in self.points.items():
            self.issues[iid]["scale"] = _scale(pts)
        self._place_stances(percent)
        self._capabilities()
        return from_dict(self._document(), self.file)

    def _check_complete(self) -> None:
        if not self.actors or not self.issues or not self.stances:
            missing = "#A" if not self.actors else "#P" if not self.issues else "#D"
            raise ScenarioError(
                "no records", file=self.file, where=missing, has_value=False, expected=f"at least one {missing} line"
            )

    def _saliences_in_percent(self) -> bool:
        """Percent or fraction: the data sets use 0–1; a file whose values exceed 1 is on 0–100 — but a file that mixes
        a value above 1 with fractions is ambiguous (rescaling every value would silently change all of them)."""
        if not any(s["salience"] > 1 for s in self.stances):
            return False
        fractions = [ln for s, ln in zip(self.stances, self.stance_lines) if 0 < s["salience"] < 1]
        if fractions:
            k = next(k for k, s in enumerate(self.stances) if s["salience"] > 1)
            raise ScenarioError(
                f"salience above 1 on a file whose other saliences are fractions (line {fractions[0]}"
                + (f" and {len(fractions) - 1} more" if len(fractions) > 1 else "")
                + ")",
                file=self.file,
                where=f"line {self.stance_lines[k]}, field salience",
                value=self.stances[k]["salience"],
                expected="every salience a fraction 0–1 (the decide convention) or every salience in percent 0–100",
            )
        return True

    def _place_stances(self, percent: bool) -> None:
        """Check each position against its issue's scale; saliences to points of 100."""
        for st, lineno in zip(self.stances, self.stance_lines):
            sc = self.issues[st["issue"]]["scale"]
            if not sc["lower"] <= st["position"] <= sc["upper"]:
                raise ScenarioError(
                    None,
                    file=self.file,
                    where=f"line {lineno}, field position",
                    value=st["position"],
                    expected=f"a position on issue {st['issue']!r}'s scale [{sc['lower']}, {sc['upper']}] "
                    "(its #M points)",
                )
            st["salience"] = st["salience"] if percent else st["salience"] * 100.0
            if st["note"] is None:
                del st["note"]

    def _capabilities(self) -> None:
        """decide gives power per actor-issue: the actor's capability is its largest power, and a stance keeps its own
        power only where it differs from that."""
        for aid, actor in self.actors.items():
            powers = [st["capability"] for st in self.stances if st["actor"] == aid]
            actor["capability"] = max(powers) if powers else 0.0
        for st in self.stances:
            if st["capability"] == self.actors[st["actor"]]["capability"]:
                del st["capability"]

    def _document(self) -> dict[str, Any]:
        name = Path(self.file).stem if not self.file.startswith("<") else "scenario"
        doc = {
            "name": re.sub(r"[^A-Za-z0-9_.-]+", "-", name),
            "title": self.title,
            "description": "\n".join(c for c in self.comments if c) or None,
            "issues": list(self.issues.values()),
            "actors": list(self.actors.values()),
            "stances": self.stances,
        }
        return {k: v for k, v in doc.items() if v is not None}


def _scale(points: list[tuple[float, str]]) -> dict[str, Any]:
    """An issue's scale from its #M points: their range ([0, 100] without points, widened to it for one point)."""
    if points:
        lo, hi = min(v for v, _ in points), max(v for v, _ in points)
        if lo == hi:
            lo, hi = min(lo, 0.0), max(hi, 100.0)
    else:
        lo, hi = 0.0, 100.0
    labels: dict[float, str] = {}
    for v, lab in points:
        labels.setdefault(v, lab)
    return {"lower": lo, "upper": hi, "points": [{"value": v, "label": lab} for v, lab in labels.items()]}


# ---- writing --------------------------------------------------------------------------------------------------------
def decide_records(s: Scenario) -> list[list[str]]:
    """#A/#P/#M/#D records. Salience is written as a fraction (0–1), power per actor-issue."""
    rec: list[list[str]] = [["#O", s.title]] if s.title else []
    rec.extend(["#/", line] for line in (s.description or "").splitlines() if line.strip())
    rec.extend(["#A", a.id, a.name or a.id, a.description or ""] for a in s.actors)
    for i in s.issues:
        rec.append(["#P", i.id, i.name or i.id, i.description or ""])
        rec.extend(["#M", i.id, fmt_number(v), label] for v, label in _scale_points(i))
    caps = {a.id: a.capability for a in s.actors}
    for st in s.stances:
        cap = caps[st.actor] if st.capability is None else st.capability
        row = ["#D", st.actor, st.issue, fmt_number(st.position), fmt_number(st.salience / 100.0), fmt_number(cap)]
        rec.append(row + ([st.note] if st.note else []))
    return rec


def _scale_points(issue: Any) -> list[tuple[float, str]]:
    """An issue's labelled points, with unlabelled points on its bounds where no labelled point sits there (the
    reader takes an issue's bounds from its extreme #M points)."""
    pts = [(p.value, p.label) for p in issue.scale.points]
    values = {v for v, _ in pts}
    pts = ([] if issue.scale.lower in values else [(issue.scale.lower, "")]) + pts
    return pts + ([] if issue.scale.upper in values else [(issue.scale.upper, "")])


def write_decide_csv(s: Scenario) -> str:
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
    for r in decide_records(s):
        w.writerow(r)
    return buf.getvalue()
