"""Readers for KTAB's spatial-model scenario files (CSV and XML), with KTAB's checks as clear errors.

Formats as KTAB documents them (KTAB ``examples/smp/doc/dummyData_3Dim.csv`` and
``smpSchema.xsd``):

- CSV: line 1 ``scenario name, description, N, D`` (trailing fields ignored); line 2 a header (3 fields, then per
  dimension a position column named after the dimension and a salience column); then N actor lines ``name,
  description, capability, pos_1, sal_1, …, pos_D, sal_D``. Quotes are stripped.
- XML: ``Scenario{name, desc, prngSeed, ModelParameters{…}, Dimensions{dName…}, Actors{Actor{name, description,
  capability, Position{dCoord…}, Salience{dSal…}}…}, IdealAdjustment{iaPair{adjustingIdeal, referencePos,
  adjust}…}}``.

Where KTAB aborts, detente raises :class:`~detente.errors.ScenarioError` naming file, line/element, value and what
was expected: capability 0 (KTAB reads it but its votes need a positive weight), a total salience of 0 (KTAB divides
by it), saliences summing over 100, positions or saliences outside [0, 100]. KTAB's XML reader *requires*
``IdealAdjustment`` although its schema marks it optional (KTAB's smp schema): detente accepts a file without it (identity
accommodation) unless ``strict=True``, and rejects accommodation rows that sum over 1, which KTAB aborts on.

Saliences are KTAB's shares of attention; they become detente per-issue saliences unchanged (see
:mod:`detente.models.spatial` for the mapping), so running ``spatial`` in ``ktab_compat`` mode on the loaded
scenario reproduces KTAB.
"""

from __future__ import annotations

import csv
import io
import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from detente.errors import ScenarioError
from detente.scenario.schema import Scenario

_XML_ENUMS: dict[str, tuple[str, dict[str, str]]] = {
    "VictoryProbModel": ("victory_prob_model", {k: k for k in ("Linear", "Square", "Quartic", "Octic", "Binary")}),
    "PCEModel": ("pce_model", {k: k for k in ("Conditional", "MarkovIncentive", "MarkovUniform")}),
    "StateTransitions": ("state_transitions", {k: k for k in ("Deterministic", "Stochastic")}),
    "VotingRule": (
        "voting_rule",
        {
            "Binary": "Binary",
            "PropBin": "PropBin",
            "Prop": "Proportional",
            "Proportional": "Proportional",
            "PropCbc": "PropCbc",
            "Cubic": "Cubic",
            "ASymProsp": "ASymProsp",
        },
    ),
    "BigRAdjust": ("big_r_adjust", {k: k for k in ("None", "OneThird", "Half", "TwoThirds", "Full")}),
    "BigRRange": ("big_r_range", {k: k for k in ("Min", "Mid", "Max")}),
    "ThirdPartyCommit": ("third_party_commit", {k: k for k in ("NoCommit", "SemiCommit", "FullCommit")}),
    "InterVecBrgn": ("inter_vec_brgn", {k: k for k in ("S1P1", "S2P2", "S2PMax")}),
    "BargnModel": ("bargn_model", {k: k for k in ("InitOnlyInterp", "InitRcvrInterp", "PWCompInterp")}),
}


@dataclass
class KtabFile:
    """A KTAB scenario file: the detente scenario plus what only KTAB's XML can carry."""

    scenario: Scenario
    params: dict[str, Any] = field(default_factory=dict)
    """``spatial`` model parameters (XML ``ModelParameters``, and ``accommodation`` from ``IdealAdjustment``)."""
    seed: int | None = None


def looks_like_ktab_csv(text: str) -> bool:
    """Sniff: does this text look like a KTAB SMP CSV (name, desc, N, D / header / N actor rows)?"""
    try:
        rows = [r for r in csv.reader(io.StringIO(_lf(text))) if any(c.strip() for c in r)]
    except csv.Error:
        return False
    if len(rows) < 3 or len(rows[0]) < 4:
        return False
    try:
        n, d = int(rows[0][2].strip()), int(rows[0][3].strip())
    except ValueError:
        return False
    if n < 1 or d < 1 or len(rows) < 2 + n:
        return False
    body = rows[2]
    try:
        float(body[2])
        [float(body[3 + k]) for k in range(2 * d)]
    except (ValueError, IndexError):
        return False
    return True


def _lf(text: str) -> str:
    """Line ends as \\n: \\r\\n (Windows) and a lone \\r (classic Mac OS) too."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read(path: str | Path) -> bytes:
    from detente.scenario.formats.text import read_limited

    return read_limited(path)


def _num(text: str, file: str, where: str, what: str) -> float:
    try:
        v = float(text.strip())
    except ValueError:
        raise ScenarioError(
            f"{what} is not a number", file=file, where=where, value=text, expected="a number"
        ) from None
    if not math.isfinite(v):
        raise ScenarioError(f"{what} is not finite", file=file, where=where, value=text, expected="a finite number")
    return v


def _check_actor(
    file: str, where: str, name: str, cap: float, pos: list[float], sal: list[float], dims: list[str]
) -> None:
    if not 1 <= len(name) <= 25:
        raise ScenarioError("actor name", file=file, where=where, value=name, expected="1 to 25 characters (KTAB)")
    if cap <= 0 or cap > 1e8:
        raise ScenarioError(
            "capability (KTAB aborts on a capability of 0)",
            file=file,
            where=f"{where} capability",
            value=cap,
            expected="0 < capability <= 1e8",
        )
    for k, (x, sv) in enumerate(zip(pos, sal)):
        if not 0.0 <= x <= 100.0:
            raise ScenarioError(
                "position", file=file, where=f"{where} {dims[k]!r} position", value=x, expected="0 to 100"
            )
        if not 0.0 <= sv <= 100.0:
            raise ScenarioError(
                "salience", file=file, where=f"{where} {dims[k]!r} salience", value=sv, expected="0 to 100"
            )
    total = 0.0
    for sv in sal:
        total += sv / 100.0
    if total <= 0.0:
        raise ScenarioError(
            "total salience is 0 (KTAB divides by it)",
            file=file,
            where=f"{where} saliences",
            value=sal,
            expected="saliences with a sum > 0",
        )
    if total > 1.0 + 1e-9:
        raise ScenarioError(
            "saliences are shares of attention and sum over 100",
            file=file,
            where=f"{where} saliences",
            value=round(total * 100.0, 9),
            expected="a sum <= 100 (KTAB)",
        )


def _unique(names: list[str]) -> list[str]:
    out: list[str] = []
    for k, nm in enumerate(names):
        base = nm.strip() or f"dim{k}"
        cand, j = base, 2
        while cand in out:
            cand, j = f"{base}_{j}", j + 1
        out.append(cand)
    return out


def _build(
    file: str, name: str, desc: str, dims: list[str], actors: list[tuple[str, str, float, list[float], list[float]]]
) -> Scenario:
    ids = _unique(dims)
    seen: set[str] = set()
    for k, a in enumerate(actors):
        if a[0].strip() in seen:
            raise ScenarioError(
                "duplicate actor name", file=file, where=f"actor {k + 1}", value=a[0], expected="unique actor names"
            )
        seen.add(a[0].strip())
    doc = {
        "name": name.strip() or Path(file).stem,
        "title": name.strip() or Path(file).stem,
        "description": desc.strip() or None,
        "issues": [{"id": i, "scale": {"lower": 0.0, "upper": 100.0}} for i in ids],
        "actors": [{"id": a[0], "description": a[1].strip() or None, "capability": a[2]} for a in actors],
        "stances": [
            {"actor": a[0], "issue": ids[k], "position": a[3][k], "salience": a[4][k]}
            for a in actors
            for k in range(len(ids))
        ],
    }
    from detente.scenario.formats.document import from_dict

    return from_dict(doc, file)


def read_ktab_csv(path: str | Path, *, data: bytes | None = None) -> Scenario:
    """A KTAB SMP CSV file as a detente :class:`Scenario` (issues 0–100, saliences as given).

    ``data``: the file's bytes when already read (``path`` then only names the file in errors).
    """
    return load_ktab_csv(path, data=data).scenario


def _decode(path: str | Path, data: bytes | None) -> str:
    raw = _read(path) if data is None else data
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def load_ktab_csv(path: str | Path, *, data: bytes | None = None) -> KtabFile:
    """Scenario of a KTAB CSV (a CSV carries no model parameters: KTAB's defaults, identity accommodation)."""
    file = str(path)
    text = _decode(path, data)
    reader = csv.reader(io.StringIO(_lf(text)))
    rows: list[list[str]] = []
    linenos: list[int] = []
    try:
        for r in reader:
            if any(c.strip() for c in r):
                rows.append(r)
                linenos.append(reader.line_num)
    except csv.Error as e:
        raise ScenarioError(
            f"unreadable CSV ({e})",
            file=file,
            where=f"line {reader.line_num}",
            expected=f"comma-separated fields of at most {csv.field_size_limit()} characters",
        ) from None
    if len(rows) < 2:
        raise ScenarioError(
            "too short for a KTAB CSV",
            file=file,
            where="line 1",
            expected="a line 'name, description, N, D', a header line and N actor lines",
        )
    head = rows[0]
    if len(head) < 4:
        raise ScenarioError(
            "first line",
            file=file,
            where="line 1",
            value=",".join(head),
            expected="'scenario name, description, number of actors, number of dimensions'",
        )
    try:
        n, d = int(head[2].strip()), int(head[3].strip())
    except ValueError:
        raise ScenarioError(
            "actor/dimension counts",
            file=file,
            where="line 1",
            value=head[2:4],
            expected="two integers (N actors, D dimensions)",
        ) from None
    if not 1 <= n <= 250 or d < 1:
        raise ScenarioError(
            "actor/dimension counts",
            file=file,
            where="line 1",
            value=(n, d),
            expected="1 <= N <= 250 actors and D >= 1 dimensions",
        )
    hdr = rows[1]
    if len(hdr) < 3 + 2 * d:
        raise ScenarioError(
            "header line",
            file=file,
            where="line 2",
            value=len(hdr),
            expected=f"at least {3 + 2 * d} columns (3 + position/salience per dimension)",
        )
    dims = [hdr[3 + 2 * k].strip() for k in range(d)]
    if len(rows) < 2 + n:
        raise ScenarioError(
            "missing actor lines",
            file=file,
            where=f"line {len(rows) + 1}",
            value=len(rows) - 2,
            expected=f"{n} actor lines",
        )
    if len(rows) > 2 + n:
        raise ScenarioError(
            f"more actor lines than line 1 announces ({len(rows) - 2} lines, N = {n})",
            file=file,
            where=f"line {linenos[2 + n]}",
            value=",".join(rows[2 + n]),
            expected=f"N = {len(rows) - 2} on line 1, or {n} actor lines",
        )
    actors = []
    for a in range(n):
        r = rows[2 + a]
        where = f"line {linenos[2 + a]}"
        if len(r) < 3 + 2 * d:
            raise ScenarioError("too few columns", file=file, where=where, value=len(r), expected=f"{3 + 2 * d}")
        name = r[0].strip()
        cap = _num(r[2], file, f"{where} capability", "capability")
        pos = [_num(r[3 + 2 * k], file, f"{where} {dims[k]!r} position", "position") for k in range(d)]
        sal = [_num(r[4 + 2 * k], file, f"{where} {dims[k]!r} salience", "salience") for k in range(d)]
        _check_actor(file, where, name, cap, pos, sal, dims)
        actors.append((name, r[1], cap, pos, sal))
    return KtabFile(_build(file, head[0], head[1], dims, actors), {}, None)


def _text(el: ET.Element | None, file: str, where: str) -> str:
    if el is None or el.text is None or not el.text.strip():
        raise ScenarioError("missing or empty element", file=file, where=where, expected="a value")
    return el.text.strip()


def read_ktab_xml(path: str | Path, *, data: bytes | None = None, strict: bool = False) -> Scenario:
    """A KTAB SMP XML file as a detente :class:`Scenario` (its model parameters: :func:`load_ktab_xml`)."""
    return load_ktab_xml(path, data=data, strict=strict).scenario


def load_ktab_xml(path: str | Path, *, data: bytes | None = None, strict: bool = False) -> KtabFile:
    """Scenario, ``spatial`` parameters (``ModelParameters``, ``IdealAdjustment`` → ``accommodation``) and seed."""
    file = str(path)
    raw = _read(path) if data is None else data
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as e:
        raise ScenarioError(f"not well-formed XML ({e})", file=file) from None
    if root.tag != "Scenario":
        raise ScenarioError("root element", file=file, where="/", value=root.tag, expected="<Scenario>")
    name = _text(root.find("name"), file, "Scenario/name")
    desc_el = root.find("desc")
    desc = desc_el.text.strip() if desc_el is not None and desc_el.text else ""
    seed = None
    seed_el = root.find("prngSeed")
    if seed_el is not None and seed_el.text and seed_el.text.strip():
        try:
            seed = int(seed_el.text.strip())
        except ValueError:
            raise ScenarioError(
                "prngSeed",
                file=file,
                where="Scenario/prngSeed",
                value=seed_el.text,
                expected="an unsigned 64-bit integer",
            ) from None
    params: dict[str, Any] = {}
    mp = root.find("ModelParameters")
    if mp is not None:
        for child in mp:
            if child.tag not in _XML_ENUMS:
                raise ScenarioError(
                    "unknown model parameter",
                    file=file,
                    where=f"ModelParameters/{child.tag}",
                    value=child.tag,
                    expected=f"one of {sorted(_XML_ENUMS)}",
                )
            key, allowed = _XML_ENUMS[child.tag]
            val = (child.text or "").strip()
            if val not in allowed:
                raise ScenarioError(
                    "model parameter",
                    file=file,
                    where=f"ModelParameters/{child.tag}",
                    value=val,
                    expected=f"one of {sorted(allowed)}",
                )
            params[key] = allowed[val]
    dims_el = root.find("Dimensions")
    if dims_el is None or not list(dims_el):
        raise ScenarioError("missing dimensions", file=file, where="Scenario/Dimensions", expected="<dName> elements")
    dims = [(_text(e, file, f"Dimensions/dName[{k + 1}]")) for k, e in enumerate(dims_el.findall("dName"))]
    d = len(dims)
    acts_el = root.find("Actors")
    if acts_el is None or not acts_el.findall("Actor"):
        raise ScenarioError("missing actors", file=file, where="Scenario/Actors", expected="<Actor> elements")
    actors = []
    for a, ael in enumerate(acts_el.findall("Actor")):
        where = f"Actors/Actor[{a + 1}]"
        nm = _text(ael.find("name"), file, f"{where}/name")
        de = ael.find("description")
        cap = _num(
            _text(ael.find("capability"), file, f"{where}/capability"), file, f"{where}/capability", "capability"
        )
        pel, sel = ael.find("Position"), ael.find("Salience")
        coords = pel.findall("dCoord") if pel is not None else []
        sals = sel.findall("dSal") if sel is not None else []
        if len(coords) != d or len(sals) != d:
            raise ScenarioError(
                "wrong number of coordinates",
                file=file,
                where=f"{where} ({nm})",
                value=(len(coords), len(sals)),
                expected=f"{d} dCoord and {d} dSal",
            )
        pos = [
            _num(
                _text(e, file, f"{where}/Position/dCoord[{k + 1}]"),
                file,
                f"{where}/Position/dCoord[{k + 1}]",
                "position",
            )
            for k, e in enumerate(coords)
        ]
        sal = [
            _num(_text(e, file, f"{where}/Salience/dSal[{k + 1}]"), file, f"{where}/Salience/dSal[{k + 1}]", "salience")
            for k, e in enumerate(sals)
        ]
        _check_actor(file, f"{where} ({nm})", nm, cap, pos, sal, dims)
        actors.append((nm, (de.text or "") if de is not None else "", cap, pos, sal))
    scenario = _build(file, name, desc, dims, actors)
    ia = root.find("IdealAdjustment")
    if ia is None:
        if strict:
            raise ScenarioError(
                "KTAB requires <IdealAdjustment> (its schema says optional)",
                file=file,
                where="Scenario/IdealAdjustment",
                expected="an <IdealAdjustment> element",
            )
    else:
        names = [a[0].strip() for a in actors]
        n = len(names)
        A = [[1.0 if i == j else 0.0 for j in range(n)] for i in range(n)]
        for k, pair in enumerate(ia.findall("iaPair")):
            where = f"IdealAdjustment/iaPair[{k + 1}]"
            ai = _text(pair.find("adjustingIdeal"), file, f"{where}/adjustingIdeal")
            rp = _text(pair.find("referencePos"), file, f"{where}/referencePos")
            for nm, tag in ((ai, "adjustingIdeal"), (rp, "referencePos")):
                if nm not in names:
                    raise ScenarioError(
                        "unknown actor", file=file, where=f"{where}/{tag}", value=nm, expected=f"one of {names}"
                    )
            v = _num(_text(pair.find("adjust"), file, f"{where}/adjust"), file, f"{where}/adjust", "adjust")
            if not 0.0 <= v <= 1.0:
                raise ScenarioError("adjust", file=file, where=f"{where}/adjust", value=v, expected="0 to 1")
            A[names.index(ai)][names.index(rp)] = v
        for i, row in enumerate(A):
            tot = 0.0
            for v in row:
                tot += v
            if tot > 1.0 + 1e-12:
                raise ScenarioError(
                    "ideal-accommodation row sums over 1 (an off-diagonal iaPair needs the diagonal set too)",
                    file=file,
                    where=f"IdealAdjustment (adjustingIdeal {names[i]!r})",
                    value=tot,
                    expected="<= 1",
                )
        if any(A[i][j] != (1.0 if i == j else 0.0) for i in range(n) for j in range(n)):
            params["accommodation"] = A
    return KtabFile(scenario, params, seed)


def write_ktab_csv(scenario: Scenario) -> str:
    """A scenario as KTAB's SMP CSV text (positions mapped to 0–100; saliences as KTAB shares, see ``spatial``).

    Per-issue saliences whose per-actor sum exceeds 100 are scaled to a sum of 100 (detente's ``share_capped``
    mapping), so the file passes KTAB's reader; positions are rescaled from each issue's scale to 0–100.
    Capabilities are per actor (a per-issue override is ignored).
    """
    issues = scenario.issues
    stance = {(s.actor, s.issue): s for s in scenario.stances}
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(
        [scenario.name, scenario.description or scenario.title or scenario.name, len(scenario.actors), len(issues)]
    )
    head = ["Actor", "Description", "Power"]
    for k, i in enumerate(issues):
        head += [i.id, f"Sal{k + 1}"]
    w.writerow(head)
    for a in scenario.actors:
        sal = [stance[(a.id, i.id)].salience if (a.id, i.id) in stance else 0.0 for i in issues]
        tot = 0.0
        for v in sal:
            tot += v
        scale = 100.0 / tot if tot > 100.0 else 1.0
        row: list[Any] = [a.id, a.description or "", repr(float(a.capability))]
        for k, i in enumerate(issues):
            st = stance.get((a.id, i.id))
            lo, hi = i.scale.lower, i.scale.upper
            x = 0.0 if st is None else (st.position - lo) / (hi - lo) * 100.0
            row += [repr(float(x)), repr(float(sal[k] * scale))]
        w.writerow(row)
    return out.getvalue()


def load_ktab(path: str | Path, *, strict: bool = False) -> KtabFile:
    """A KTAB CSV or XML file (by content) with the ``spatial`` parameters it sets: ``spatial(**f.params)``."""
    raw = _read(path)
    head = raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head == b"<":
        return load_ktab_xml(path, data=raw, strict=strict)
    return load_ktab_csv(path, data=raw)
