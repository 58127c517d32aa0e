"""The DEU data set (Decision-making in the European Union): one scenario per legislative proposal.

DEU codes contested issues of EU legislative proposals from expert interviews, one row per issue, on an
issue-specific 0–100 scale: the position ``p<actor>`` and salience ``s<actor>`` of the Commission (``com``), the
European Parliament (``ep``) and each member state (two-letter codes), the reference point ``rp`` (what happens if
no law is adopted) and the observed outcome ``out``. Thomson, Stokman, Achen & König (2006), *The European Union
Decides* (DEU I); Thomson et al. (2012), *JEPP* 19(4) (DEU II); Arregui & Perarnaud (2021), "A new dataset on
legislative decision-making in the European Union: the DEU III dataset", *JEPP* (CORA/CSUC Dataverse,
doi:10.34810/data53) — cite all three with results on it.

Two variants are read, detected from the header and the delimiter: the Dataverse original (``;``-separated, ``999``
for missing values) and a TAB-separated copy with quoted header and blank cells for missing values. What a reading
does with each cell (see ``docs/validation.md``):

- a blank cell, ``NA``, ``.`` or a code 900–999 is *missing*; any other value outside 0–100 is an error;
- an actor takes part on an issue when it has a position there; a salience without a position is ignored (DEU codes
  absent members so);
- a position with salience 0 is kept as it is (the actor takes part with no weight) and counted in
  :attr:`DeuProposal.zero_salience`;
- a position with a missing salience is dropped (``missing_salience="drop"``, the default: without a salience the
  actor's weight is unknown; counted in :attr:`DeuProposal.dropped_stances`) or gets the mean salience of the other
  actors on that issue (``"mean"``; counted in :attr:`DeuProposal.imputed_salience`);
- ``rp`` is the issue's status quo (none where missing), ``out`` its observed outcome (none where missing);
- ``proc`` (COD/CNS), ``counvte`` (QMV/unanimity) and the dates ``intro``/``finact`` are kept as metadata.

Dates: many rows of the circulating copies were mangled by a spreadsheet that read ``dd-mm-yy`` as ``yy-mm-dd``
(``23-07-01`` became ``2023-07-01``; years 30–31 became 1930–1931). :func:`parse_deu_date` undoes that: a
``yyyy-mm-dd`` whose year lies in 1930–2031 and whose last two digits are a day of the month is read back as
``dd-mm-yy``; ``dd-mm-yy``, ``dd-mm-yyyy`` and ``dd/mm/yyyy`` are read as they are. A ``yyyy-mm-dd`` that reads
both ways (years 2001–2031) is settled per proposal: the proposal date must fall in the year of the proposal's COM
number (``d97264`` → 1997), the final act is the reading closest after the proposal; where neither decides, the
file's usual form (:func:`date_readings`). The decision year is that of the final act (``finact``), else of the
proposal (``intro``), recorded in :attr:`DeuProposal.year_basis`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from detente.errors import ScenarioError
from detente.scenario.council import MEMBER_NAMES
from detente.scenario.schema import Scenario

MISSING_TOKENS = {"", "na", "nan", ".", "-"}
SOURCE_ID = "deu"
SOURCE_CITATION = (
    "DEU III: Arregui & Perarnaud (2021), JEPP, CORA/CSUC Dataverse doi:10.34810/data53; includes DEU I "
    "(Thomson, Stokman, Achen & König 2006, The European Union Decides) and DEU II (Thomson et al. 2012, JEPP 19(4))"
)
INSTITUTIONS = {"com": "European Commission", "ep": "European Parliament"}
REQUIRED = ("prnr", "isnr", "proc", "rp", "out")


@dataclass(frozen=True)
class DeuDate:
    """A DEU date as recovered: the date, and whether the spreadsheet had mangled it."""

    date: dt.date
    mangled: bool


@dataclass(eq=False)
class DeuProposal:
    """One DEU proposal: the scenario (capabilities by the chosen rule) and its metadata.

    ``n_actors`` maps each issue to the number of actors with a position on it; ``outcomes`` every observed outcome
    (also in ``scenario.observed``).
    """

    scenario: Scenario
    proposal: str
    title: str
    procedure: str  # "COD" or "CNS" (or what the file says)
    voting_rule: str  # "QMV" or "unanimity"
    voting_rule_raw: str
    intro: DeuDate | None
    final_act: DeuDate | None
    decision_date: dt.date | None
    year_basis: str  # "final act", "proposal" or "unknown"
    wave: str
    n_actors: dict[str, int]
    lines: dict[str, int]
    zero_salience: int = 0
    imputed_salience: int = 0
    dropped_stances: int = 0
    capability_rule: str = ""
    capability_notes: list[str] = field(default_factory=list)

    @property
    def decision_year(self) -> int | None:
        return None if self.decision_date is None else self.decision_date.year


_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_DMY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})$")


def _year2(yy: int) -> int:
    """A two-digit year: 00–49 → 20xx, 50–99 → 19xx (DEU covers 1996 onwards)."""
    return 2000 + yy if yy < 50 else 1900 + yy


def parse_deu_date(text: str) -> DeuDate | None:
    """A DEU date, undoing the spreadsheet's ``dd-mm-yy`` → ``yy-mm-dd`` mangling; None when missing or unreadable.

    >>> parse_deu_date("2023-07-01")            # was 23-07-01
    DeuDate(date=datetime.date(2001, 7, 23), mangled=True)
    >>> parse_deu_date("1931-01-09").date       # was 31-01-09
    datetime.date(2009, 1, 31)
    >>> parse_deu_date("14-03-00").date, parse_deu_date("14-12-1999").date
    (datetime.date(2000, 3, 14), datetime.date(1999, 12, 14))
    >>> parse_deu_date("999") is None
    True
    """
    s = text.strip().strip('"')
    if s.lower() in MISSING_TOKENS or _missing_code(s):
        return None
    try:
        m = _ISO.match(s)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            if 1930 <= y <= 2031 and 1 <= y % 100 <= 31:
                return DeuDate(dt.date(_year2(d), mo, y % 100), True)
            return DeuDate(dt.date(y, mo, d), False)
        m = _DMY.match(s)
        if m:
            d, mo, y = (int(g) for g in m.groups())
            return DeuDate(dt.date(_year2(y) if y < 100 else y, mo, d), False)
    except ValueError:
        return None
    return None


def date_readings(text: str) -> list[DeuDate]:
    """Every reading of a DEU date: two for a ``yyyy-mm-dd`` that may be a real ISO date or a mangled ``dd-mm-yy``
    (years 2001–2031 with a valid day and month both ways), else the one :func:`parse_deu_date` gives (or none).

    >>> [(r.date.isoformat(), r.mangled) for r in date_readings("2008-02-13")]
    [('2013-02-08', True), ('2008-02-13', False)]
    """
    first = parse_deu_date(text)
    if first is None or not first.mangled:
        return [] if first is None else [first]
    m = _ISO.match(text.strip().strip('"'))
    assert m is not None
    y, mo, d = (int(g) for g in m.groups())
    try:
        return [first, DeuDate(dt.date(y, mo, d), False)] if y >= 1996 else [first]
    except ValueError:
        return [first]


def _choose(
    readings: list[DeuDate], *, year: int | None = None, after: dt.date | None = None, prefer_iso: bool = False
) -> DeuDate | None:
    """The reading of an ambiguous date that fits: the proposal year (from its COM number), else the first on or after
    ``after`` (the final act follows the proposal, usually within a few years), else the file's usual form."""
    if len(readings) < 2:
        return readings[0] if readings else None
    if year is not None:
        fit = [r for r in readings if r.date.year == year]
        if len(fit) == 1:
            return fit[0]
    if after is not None:
        fit = sorted((r for r in readings if r.date >= after), key=lambda r: r.date - after)
        if fit:
            return fit[0]
    return next((r for r in readings if r.mangled != prefer_iso), readings[0])


def _iso_file(dates: list[str]) -> bool:
    """Whether the file's ``yyyy-mm-dd`` dates are real ISO dates: some could not be mangled (a year 1996–1999 or
    2000, or a year whose last two digits are no day) and none could only be mangled (years 1930–1931)."""
    iso = mangled = False
    for t in dates:
        m = _ISO.match(t.strip().strip('"'))
        if not m:
            continue
        y = int(m.group(1))
        if y in (1930, 1931):
            mangled = True
        elif not (1 <= y % 100 <= 31) or 1932 <= y <= 2000:
            iso = True
    return iso and not mangled


def _missing_code(s: str) -> bool:
    try:
        v = float(s)
    except ValueError:
        return False
    return 900 <= v <= 999 and v == int(v)


HEADER = "a header with prnr, isnr, proc, rp, out and position columns such as pcom, pep"


def _header(text: str) -> set[str]:
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    return {c.strip().strip('"').strip("'").lower() for c in re.split(r"[;\t,]", first)}


def looks_like_deu(text: str) -> bool:
    """Whether the first line is a DEU header (``prnr``, ``isnr``, ``rp``, ``out`` and actor columns)."""
    cols = _header(text)
    return all(c in cols for c in REQUIRED) and any(c.startswith("p") and c[1:] in INSTITUTIONS for c in cols)


def missing_deu_columns(text: str) -> tuple[str, ...]:
    """The required columns a DEU-like header lacks: one that names proposals or issues (``prnr``, ``isnr``) and has
    an institution's position column (``pcom``, ``pep``) but not all of :data:`REQUIRED`. Empty for a DEU header
    and for one that is nothing like it, so a file that is almost DEU gets an error that names what it lacks."""
    cols = _header(text)
    if not ({"prnr", "isnr"} & cols and any(c.startswith("p") and c[1:] in INSTITUTIONS for c in cols)):
        return ()
    return tuple(c for c in REQUIRED if c not in cols)


def reject_almost_deu(text: str, file: str) -> None:
    """Raise the error that names the missing columns if ``text`` starts with an almost-DEU header
    (:func:`missing_deu_columns`); otherwise nothing."""
    missing = missing_deu_columns(text)
    if missing:
        raise ScenarioError(
            f"a DEU header without the column{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
            file=file,
            where="line 1",
            expected=HEADER,
        )


def _delimiter(first: str, file: str) -> str:
    counts = {d: first.count(d) for d in (";", "\t", ",")}
    best = max(counts, key=lambda d: counts[d])
    if counts[best] == 0:
        raise ScenarioError(
            "cannot tell the delimiter", file=file, where="line 1", value=first[:60], expected="';' or TAB"
        )
    return best


def read_deu(
    source: str | Path | bytes,
    *,
    capability: str = "vote-weights",
    missing_salience: str = "drop",
    name: str | None = None,
    council_data: str | Path | None = None,
) -> list[DeuProposal]:
    """Read a DEU file (either variant) into one :class:`DeuProposal` per proposal, in file order.

    ``capability`` names the rule that sets every actor's capability (:mod:`detente.scenario.deu_capability`);
    ``missing_salience`` is ``"mean"`` or ``"drop"`` (see the module docstring); ``council_data`` optionally points
    at a folder with ``council_capability.csv`` / ``eucouncil_weights_sumtxt_coresize.csv`` whose weights are checked
    against the built-in table.
    """
    from detente.scenario.deu_capability import apply_rule, get_rule

    rule = get_rule(capability, council_data=council_data)
    if missing_salience not in ("mean", "drop"):
        from detente.errors import ParameterError

        raise ParameterError(f"missing_salience {missing_salience!r}: expected 'mean' or 'drop'")
    if isinstance(source, (bytes, bytearray)):
        data, file = bytes(source), name or "<deu>"
    else:
        from detente.scenario.formats.text import read_limited

        data, file = read_limited(source), str(source)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    if not looks_like_deu(text):
        reject_almost_deu(text, file)
        raise ScenarioError(
            "not a DEU file", file=file, where="line 1", value=text.split("\n", 1)[0][:60], expected=HEADER
        )
    delim = _delimiter(text.split("\n", 1)[0], file)
    rows = list(csv.reader(io.StringIO(text), delimiter=delim, quotechar='"'))
    header = [h.strip().lower() for h in rows[0]]
    col = {h: k for k, h in enumerate(header)}
    actors = [h[1:] for h in header if h.startswith("p") and h[1:] in {**INSTITUTIONS, **MEMBER_NAMES}]
    groups: dict[str, list[tuple[int, list[str]]]] = {}
    for k, r in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in r):
            continue
        if len(r) != len(header):
            raise ScenarioError(
                f"{len(r)} fields", file=file, where=f"line {k}", value=delim.join(r)[:60],
                expected=f"{len(header)} fields like the header, separated by {delim!r}",
            )  # fmt: skip
        prnr = r[col["prnr"]].strip()
        if not prnr:
            raise ScenarioError("empty proposal id", file=file, where=f"line {k}, field prnr", value=prnr,
                                expected="a proposal id such as d00062")  # fmt: skip
        groups.setdefault(prnr, []).append((k, r))
    if not groups:
        raise ScenarioError("no rows", file=file, expected="one row per issue after the header")
    prefer_iso = _iso_file([r[col[c]] for g in groups.values() for _, r in g for c in ("intro", "finact") if c in col])
    out = [
        _proposal(prnr, g, col, actors, file, missing_salience, rule, apply_rule, prefer_iso)
        for prnr, g in groups.items()
    ]
    return out


def _value(r: list[str], col: dict[str, int], key: str, file: str, line: int) -> float | None:
    if key not in col:
        return None
    s = r[col[key]].strip().strip('"')
    if s.lower() in MISSING_TOKENS or _missing_code(s):
        return None
    try:
        v = float(s.replace(",", ".")) if s.count(",") == 1 and "." not in s else float(s)
    except ValueError:
        raise ScenarioError(None, file=file, where=f"line {line}, field {key}", value=s,
                            expected="a number 0–100, blank, or a missing-value code 900–999") from None  # fmt: skip
    if not (math.isfinite(v) and 0 <= v <= 100):
        raise ScenarioError(None, file=file, where=f"line {line}, field {key}", value=s,
                            expected="a number 0–100, blank, or a missing-value code 900–999")  # fmt: skip
    return v


def _text(r: list[str], col: dict[str, int], key: str) -> str:
    return r[col[key]].strip().strip('"') if key in col else ""


def _voting_rule(raw: str) -> str:
    low = raw.lower()
    if low.startswith("unan"):
        return "unanimity"
    if low.startswith("qmv") or "qualified" in low:
        return "QMV"
    return raw or "unknown"


def _proposal(
    prnr: str,
    group: list[tuple[int, list[str]]],
    col: dict[str, int],
    actors: list[str],
    file: str,
    missing_salience: str,
    rule: Any,
    apply_rule: Any,
    prefer_iso: bool = False,
) -> DeuProposal:
    line0, r0 = group[0]
    title = _text(r0, col, "prname") or prnr
    procedure = _text(r0, col, "proc").upper() or "unknown"
    vote_raw = _text(r0, col, "counvte")
    com_year = re.match(r"^[A-Za-z](\d{2})\d", prnr)
    year = _year2(int(com_year.group(1))) if com_year else None
    intro = _choose(date_readings(_text(r0, col, "intro")), year=year, prefer_iso=prefer_iso)
    final = _choose(date_readings(_text(r0, col, "finact")), after=intro.date if intro else None, prefer_iso=prefer_iso)
    if final is not None:
        decision, basis = final.date, "final act"
    elif intro is not None:
        decision, basis = intro.date, "proposal"
    else:
        decision, basis = None, "unknown"
    wave = "unknown" if intro is None else ("DEU I (1996–2000)" if intro.date.year <= 2000 else "DEU II–III (2001–)")
    issues: list[dict[str, Any]] = []
    stances: list[dict[str, Any]] = []
    observed: dict[str, float] = {}
    n_act: dict[str, int] = {}
    lines: dict[str, int] = {}
    zero = imputed = dropped = 0
    present: set[str] = set()
    for line, r in group:
        iid = _text(r, col, "isnr") or f"{prnr}i{len(issues) + 1}"
        if iid in lines:
            raise ScenarioError("issue id given twice", file=file, where=f"line {line}, field isnr", value=iid,
                                expected=f"each issue once (first on line {lines[iid]})")  # fmt: skip
        lines[iid] = line
        rp = _value(r, col, "rp", file, line)
        issues.append(
            {"id": iid, "name": f"{title}: issue {iid}", "scale": {"lower": 0.0, "upper": 100.0}, "status_quo": rp,
             **({"status_quo_basis": {"source": SOURCE_ID}} if rp is not None else {})}
        )  # fmt: skip
        o = _value(r, col, "out", file, line)
        if o is not None:
            observed[iid] = o
        cells: list[tuple[str, float, float | None]] = []
        for a in actors:
            p = _value(r, col, "p" + a, file, line)
            if p is None:
                continue
            cells.append((a, p, _value(r, col, "s" + a, file, line)))
        known = [s for _, _, s in cells if s is not None]
        mean_s = sum(known) / len(known) if known else None
        n = 0
        for a, p, s in cells:
            if s is None:
                if missing_salience == "drop" or mean_s is None:
                    dropped += 1
                    continue
                s, imputed = mean_s, imputed + 1
            elif s == 0:
                zero += 1
            stances.append({"actor": a, "issue": iid, "position": p, "salience": s,
                            "position_basis": {"source": SOURCE_ID}})  # fmt: skip
            present.add(a)
            n += 1
        n_act[iid] = n
    order = [a for a in actors if a in present]
    if not order:
        raise ScenarioError("no actor has a position", file=file, where=f"lines {group[0][0]}–{group[-1][0]}",
                            value=prnr, expected="at least one position on an issue of the proposal")  # fmt: skip
    caps, notes = apply_rule(rule, order, procedure, _voting_rule(vote_raw), decision)
    doc = {
        "name": prnr,
        "title": f"{title} ({prnr})",
        "description": (
            f"DEU proposal {prnr} ({title}): procedure {procedure}, Council voting rule {vote_raw or 'unknown'}, "
            f"proposed {intro.date.isoformat() if intro else 'unknown'}, final act "
            f"{final.date.isoformat() if final else 'unknown'}; capabilities by rule {rule.name!r}"
        ),
        "date": decision,
        "sources": [{"id": SOURCE_ID, "kind": "data", "citation": SOURCE_CITATION}],
        "issues": issues,
        "actors": [
            {
                "id": a,
                "name": INSTITUTIONS.get(a) or MEMBER_NAMES.get(a, a),
                "group": "institution" if a in INSTITUTIONS else "member state",
                "capability": caps[a],
                "capability_basis": {"note": f"capability rule {rule.name!r}"},
            }
            for a in order
        ],  # fmt: skip
        "stances": stances,
        "observed": observed,
    }
    from detente.scenario.formats.document import from_dict

    scenario = from_dict(doc, file=f"{file} (proposal {prnr}, line {line0})")
    return DeuProposal(
        scenario=scenario, proposal=prnr, title=title, procedure=procedure, voting_rule=_voting_rule(vote_raw),
        voting_rule_raw=vote_raw, intro=intro, final_act=final, decision_date=decision, year_basis=basis, wave=wave,
        n_actors=n_act, lines=lines, zero_salience=zero, imputed_salience=imputed, dropped_stances=dropped,
        capability_rule=rule.name, capability_notes=notes,
    )  # fmt: skip


UNANIMITY_NOTE = (
    "Council unanimity (DEU counvte): every member state with a position can block the act (Tsebelis & Garrett 2000)"
)


def unanimity_vetoes(proposal: DeuProposal) -> DeuProposal:
    """The proposal with its member states as veto players on every issue when the Council decides by unanimity.

    Under unanimity each member state can block the act, so the outcome must lie in what every one of them accepts
    instead of the reference point (Tsebelis & Garrett 2000; docs/two-level.md). The institutions (Commission,
    Parliament) are not made veto players. A proposal under another voting rule is returned unchanged.
    """
    from dataclasses import replace

    from detente.scenario.twolevel import unanimity

    if proposal.voting_rule != "unanimity":
        return proposal
    states = [a.id for a in proposal.scenario.actors if a.group == "member state"]
    return replace(proposal, scenario=unanimity(proposal.scenario, note=UNANIMITY_NOTE, actors=states))


def single_proposal(data: bytes, file: str) -> Scenario:
    """The scenario of a DEU file that holds one proposal; with more, an error that says how to pick one."""
    proposals = read_deu(data, name=file)
    if len(proposals) == 1:
        return proposals[0].scenario
    ids = [p.proposal for p in proposals]
    shown = ", ".join(ids[:5]) + (", …" if len(ids) > 5 else "")
    raise ScenarioError(
        f"a DEU file with {len(ids)} proposals ({shown})",
        file=file,
        expected=f"one proposal named as FILE#PROPOSAL (e.g. {file}#{ids[0]}), or `detente backtest {file}` for all",
    )


def load_proposal(file: str | Path, proposal: str, **options: Any) -> Scenario:
    """One proposal of a DEU file, by its id (``prnr``)."""
    proposals = read_deu(file, **options)
    for p in proposals:
        if p.proposal == proposal:
            return p.scenario
    ids = [p.proposal for p in proposals]
    raise ScenarioError(
        "no such proposal", file=str(file), where="prnr", value=proposal,
        expected=f"one of the file's {len(ids)} proposal ids ({', '.join(ids[:5])}{', …' if len(ids) > 5 else ''})",
    )  # fmt: skip
