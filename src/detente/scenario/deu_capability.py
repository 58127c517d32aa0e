"""Capability rules for DEU proposals: who can do how much in EU legislation, by named rule.

DEU records positions and saliences but no capabilities; studies add them from the Council's voting rules and the
legislative procedure (Thomson et al. 2006, ch. 1 and 10; Achen 2006). A rule sets each member state's capability
from the Council's voting rules in force at the decision (:mod:`detente.scenario.council`), and the Commission's and
the Parliament's relative to the largest member's (``L``) or to the whole Council's (``C``, the sum over every member
of the time, whether or not each took a position):

================================  ============================================  ====================================
rule                              member states                                 Commission, Parliament
================================  ============================================  ====================================
``vote-weights`` (default)        Council vote weights                          each ``L`` (flat)
``vote-weights-procedure``        Council vote weights                          by procedure (below)
``shapley-shubik``                exact Shapley–Shubik index of the QMV game,   by procedure
                                  1/n under unanimity (Shapley & Shubik 1954)
``banzhaf``                       exact normalised Banzhaf index, 1/n under     by procedure
                                  unanimity (Banzhaf 1965)
``equal``                         1                                             1
================================  ============================================  ====================================

``vote-weights`` is the convention behind the published compromise figure on DEU III (weighted mean MAE 22.99 over
351 issues; ``docs/validation.md`` shows that this rule reproduces that study's per-issue forecasts). The vote weights
are used under unanimity too, as a resource measure (Achen 2006).

By procedure:

- codecision (COD): the Parliament is a co-legislator whose approval the act needs as much as the Council's
  (Tsebelis & Garrett 2000, "Legislative politics in the European Union", *European Union Politics* 1(1)) — ``C``,
  the whole Council's capability; the Commission, whose proposal both chambers can amend — ``L``;
- consultation (CNS): the Parliament is only consulted, its opinion binds nobody (Tsebelis & Garrett 2000; Crombez
  1996, "Legislative procedures in the European Community", *BJPolS* 26) — ``L/10``, a voice without a vote; the
  Commission is the agenda-setter whose proposal the Council can amend only by unanimity (Art. 250(1) TEC; Crombez
  1996) — ``2L``;
- another or unknown procedure: the consultation values, with a note.

Decisions from 2014-11-01 fall under the Treaty of Lisbon's double majority (55% of the members representing 65%
of the population), which has no vote weights; every rule then carries the last Nice weights (EU-28) forward — any
member could still ask for a vote by them until 2017-03-31 (Protocol 36 on transitional provisions, Art. 3(2)) — and
says so in the proposal's notes.

These values are modelling choices, not measurements; the back-test shows how the ranking moves with the rule. Every
back-test's provenance names the rule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from detente.errors import ParameterError
from detente.scenario.council import LISBON_START, REGIMES, Regime, power_indices, regime_at

LISBON_NOTE = (
    "decided under the Treaty of Lisbon's double majority, which has no vote weights: the last Nice weights "
    "(EU-28) are carried forward, as any member could still invoke them until 2017-03-31 (Protocol 36, Art. 3(2))"
)

RULES = ("vote-weights", "vote-weights-procedure", "shapley-shubik", "banzhaf", "equal")
DEFAULT_RULE = "vote-weights"


@dataclass(frozen=True)
class CapabilityRule:
    """A named capability rule: how members are weighed and whether the institutions follow the procedure."""

    name: str
    members: str  # "weights", "shapley-shubik", "banzhaf" or "equal"
    by_procedure: bool

    def describe(self) -> str:
        """One line for provenance and output."""
        if self.members == "equal":
            return "equal: every actor capability 1"
        what = {
            "weights": "Council vote weights",
            "shapley-shubik": "exact Shapley–Shubik index of the QMV game (1/n under unanimity)",
            "banzhaf": "exact normalised Banzhaf index of the QMV game (1/n under unanimity)",
        }[self.members]
        inst = (
            "Commission and Parliament by procedure (COD: Commission L, Parliament the whole Council; CNS: "
            "Commission 2L, Parliament L/10)"
            if self.by_procedure
            else "Commission and Parliament each L"
        )
        return f"{self.name}: members by {what} of the treaty in force at the decision; {inst}; L = the largest member"


def get_rule(name: str, council_data: str | Path | None = None) -> CapabilityRule:
    """The capability rule called ``name`` (one of :data:`RULES`).

    With ``council_data`` (a folder holding ``eucouncil_weights_sumtxt_coresize.csv``), the built-in vote weights
    are checked against that table first; a disagreement is an error naming the member and both values.
    """
    if name not in RULES:
        raise ParameterError(f"capability rule {name!r}: expected one of {', '.join(RULES)}")
    if council_data is not None:
        check_weights(Path(council_data))
    members = {"vote-weights": "weights", "vote-weights-procedure": "weights"}.get(name, name)
    return CapabilityRule(name, members, by_procedure=name not in ("vote-weights", "equal"))


def check_weights(folder: Path) -> int:
    """Compare the built-in vote weights with ``eucouncil_weights_sumtxt_coresize.csv``; returns the cells compared."""
    import pandas as pd

    from detente.scenario.council import MEMBER_NAMES

    path = folder / "eucouncil_weights_sumtxt_coresize.csv"
    if not path.exists():
        raise ParameterError(f"{path}: no such file; expected the Council weights table in the data folder")
    df = pd.read_csv(path)
    by_name = {v: k for k, v in MEMBER_NAMES.items()}
    columns = {"eu15": REGIMES[0], "eu25_bv": REGIMES[1], "eu25_av": REGIMES[4]}  # Nice weights of every member
    n = 0
    for _, row in df.iterrows():
        code = by_name.get(str(row["name"]))
        if code is None:
            continue
        for colname, regime in columns.items():
            v = row.get(colname)
            if v is None or pd.isna(v):
                continue
            if regime.weights.get(code) != int(v):
                raise ParameterError(
                    f"{path}: {row['name']} {colname} = {v}; the built-in {regime.name} weight is "
                    f"{regime.weights.get(code)} ({regime.source})"
                )
            n += 1
    return n


def member_capabilities(rule: CapabilityRule, voting_rule: str, date: dt.date) -> tuple[dict[str, float], Regime]:
    """Each Council member's capability on ``date``, summing to 1 over the whole Council."""
    regime = regime_at(date) if date < LISBON_START else REGIMES[-1]
    codes = list(regime.weights)
    n = len(codes)
    if rule.members == "weights":
        w = np.array([regime.weights[c] for c in codes], float)
        v = w / w.sum()
    elif voting_rule == "unanimity":
        v = np.full(n, 1.0 / n)
    else:
        ss, bz = power_indices(regime.weights, regime.quota)
        v = ss if rule.members == "shapley-shubik" else bz
    return dict(zip(codes, (float(x) for x in v))), regime


def apply_rule(
    rule: CapabilityRule, actors: list[str], procedure: str, voting_rule: str, date: dt.date | None
) -> tuple[dict[str, float], list[str]]:
    """Capability per actor of one proposal, and notes on anything the rule had to decide."""
    notes: list[str] = []
    if rule.members == "equal":
        return {a: 1.0 for a in actors}, notes
    if date is None:
        raise ParameterError(
            f"capability rule {rule.name!r} needs the decision date to pick the Council's vote weights; the proposal "
            "has neither a final-act nor a proposal date (use the rule 'equal')"
        )
    members, regime = member_capabilities(rule, voting_rule, date)
    notes.append(f"Council: {regime.name} ({regime.source}), decision {date.isoformat()}")
    if date >= LISBON_START:
        notes.append(LISBON_NOTE)
    largest, council = max(members.values()), sum(members.values())
    if not rule.by_procedure:
        com = ep = largest
    elif procedure == "COD":
        com, ep = largest, council
    else:
        com, ep = 2 * largest, largest / 10
        if procedure != "CNS" and any(a in ("com", "ep") for a in actors):
            notes.append(f"procedure {procedure!r} unknown to the rule: the consultation values are used")
    caps: dict[str, float] = {}
    for a in actors:
        if a == "com":
            caps[a] = com
        elif a == "ep":
            caps[a] = ep
        elif a in members:
            caps[a] = members[a]
        else:
            # a member with a position before its accession (a dating slip): its weight in its first regime
            first = next((r for r in REGIMES if a in r.weights), None)
            if first is None:
                raise ParameterError(f"actor {a!r}: not a Council member in any known period")
            m, _ = member_capabilities(rule, voting_rule, first.start)
            caps[a] = m[a]
            notes.append(f"{a} holds a position before joining the Council ({regime.name}); weight of {first.name}")
    return caps, notes
