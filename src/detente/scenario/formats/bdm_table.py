"""``bdm-csv``: the ``Actor,Capability,Position,Salience`` table of the expected-utility replications (Scholz et al.
2011), both ways: one issue, salience as a probability 0–1.

The table has no scale: an optional ``# scale: LO,HI`` line before the header, or ``load(..., scale=(LO, HI))``,
declares it; otherwise it is the positions' range.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from detente.errors import ScenarioError
from detente.scenario.formats.document import from_dict
from detente.scenario.formats.text import csv_fields, decode_text, fmt_number, number
from detente.scenario.schema import Scenario

SCALE_LINE = re.compile(r"^\s*#\s*scale\s*:\s*(.*)$", re.I)
HEADER = re.compile(r"^\s*actor\s*[,;\t]\s*capability\s*[,;\t]\s*position\s*[,;\t]\s*salience", re.I)


def first_line(head_lines: list[str]) -> str:
    """The line that says what a CSV file is: its first, or its second after a ``# scale:`` line."""
    first = head_lines[0] if head_lines else ""
    if SCALE_LINE.match(first) and len(head_lines) > 1:
        first = head_lines[1]
    return first


def parse_scale(text: str, where: str = "scale", file: str | None = None) -> tuple[float, float]:
    """``"LO,HI"`` as two finite numbers with LO < HI."""
    parts = [p.strip() for p in str(text).replace(";", ",").split(",")]
    try:
        lo, hi = (float(p) for p in parts)
    except ValueError:
        raise ScenarioError(None, file=file, where=where, value=text, expected="LO,HI: two numbers") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ScenarioError(None, file=file, where=where, value=text, expected="LO,HI: finite numbers with LO < HI")
    return lo, hi


def read_bdm_csv(data: bytes, file: str) -> Scenario:
    """The ``Actor,Capability,Position,Salience`` table: one issue, salience as a probability 0–1.

    The table carries no issue scale. Unless a ``# scale: LO,HI`` line before the header (which :func:`dumps` writes)
    or ``scale=`` / ``--scale`` declares one, the scale is the positions' range [min, max], the convention of the
    expected-utility replications (Scholz et al. 2011); the issue's description says which scale was used.
    """
    lines = decode_text(data, file).splitlines()
    declared, start = _comments(lines, file)
    delim = _header(lines[start] if start < len(lines) else "", file, start + 1)
    rows = [_row(ln, delim, file, k) for k, ln in enumerate(lines[start + 1 :], start=start + 2) if ln.strip()]
    if not rows:
        raise ScenarioError(
            "no actor rows", file=file, where=f"line {start + 2}", has_value=False, expected="one row per actor"
        )
    stem = Path(file).stem if not file.startswith("<") else "issue"
    iid = re.sub(r"[^A-Za-z0-9]+", "-", stem).strip("-").lower() or "issue"
    (lo, hi), how = _scale(declared, [pos for _, _, pos, _ in rows])
    doc = {
        "name": iid,
        "issues": [{"id": iid, "description": how, "scale": {"lower": lo, "upper": hi}}],
        "actors": [{"id": aid, "capability": cap} for aid, cap, _, _ in rows],
        "stances": [
            {"actor": aid, "issue": iid, "position": pos, "salience": round(sal * 100.0, 12)}
            for aid, _, pos, sal in rows
        ],
    }
    return from_dict(doc, file)


def _comments(lines: list[str], file: str) -> tuple[tuple[float, float] | None, int]:
    """The scale a ``# scale: LO,HI`` line declares (None without one), and the index of the first other line."""
    declared = None
    start = 0
    while start < len(lines) and (not lines[start].strip() or lines[start].lstrip().startswith("#")):
        m = SCALE_LINE.match(lines[start])
        if m:
            declared = parse_scale(m.group(1), f"line {start + 1}", file)
        start += 1
    return declared, start


def _header(header: str, file: str, lineno: int) -> str:
    """The delimiter of the header line ``Actor,Capability,Position,Salience`` (checked)."""
    delim = next((d for d in (",", ";", "\t") if len(header.split(d)) == 4), None)
    if delim is None:
        raise ScenarioError(
            "cannot detect the delimiter",
            file=file,
            where=f"line {lineno}",
            value=header[:60],
            expected="Actor,Capability,Position,Salience separated by ',', ';' or a tab",
        )
    if [c.strip().lower() for c in header.split(delim)] != ["actor", "capability", "position", "salience"]:
        raise ScenarioError(
            "unexpected header",
            file=file,
            where=f"line {lineno}",
            value=header[:60],
            expected="Actor,Capability,Position,Salience",
        )
    return delim


def _row(ln: str, delim: str, file: str, k: int) -> tuple[str, float, float, float]:
    """(actor, capability, position, salience) of line ``k``; salience a probability."""
    f = csv_fields(ln, delim, file, k)
    if len(f) != 4:
        raise ScenarioError(
            f"{len(f)} fields — truncated line or wrong delimiter?",
            file=file,
            where=f"line {k}",
            value=ln[:60],
            expected=f"4 fields separated by {delim!r}",
        )
    cap = number(f[1].strip(), file, k, "Capability")
    pos = number(f[2].strip(), file, k, "Position")
    sal = number(f[3].strip(), file, k, "Salience")
    if not 0 <= sal <= 1:
        raise ScenarioError(
            None, file=file, where=f"line {k}, field Salience", value=sal, expected="a probability in [0, 1]"
        )
    return f[0].strip(), cap, pos, sal


def _scale(declared: tuple[float, float] | None, positions: list[float]) -> tuple[tuple[float, float], str]:
    """The issue's scale — declared, else the positions' range — and the description that says which."""
    if declared is not None:
        lo, hi = declared
        return (lo, hi), f"scale: [{lo:g}, {hi:g}], declared in the file"
    lo, hi = min(positions), max(positions)
    if lo == hi:
        hi = lo + 1.0
    return (
        lo,
        hi,
    ), f"scale: [{lo:g}, {hi:g}], the positions' range (the table declares none; set it with --scale LO,HI)"


def write_bdm_csv(s: Scenario) -> str:
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
    head = [] if (sc.lower, sc.upper) == inferred else [f"# scale: {fmt_number(sc.lower)},{fmt_number(sc.upper)}"]
    lines = [*head, "Actor,Capability,Position,Salience"]
    for st in s.stances:
        lines.append(
            f"{st.actor},{fmt_number(caps[st.actor] if st.capability is None else st.capability)},{fmt_number(st.position)},{fmt_number(st.salience / 100.0)}"
        )
    return "\n".join(lines) + "\n"
