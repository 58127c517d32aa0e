"""What a scenario says was observed, and the naive baseline forecast a model has to beat.

A scenario's ``observed`` field is a flat ``{issue: value}`` map: the primary, scored outcome. Scenarios whose
outcomes have plausible ranges or a second reading (a later horizon) state them in their ``description``, one line
each, in this form::

    outcome: <issue> = <value> [<low>, <high>] <horizon> primary|secondary

e.g. ``outcome: cnpc-reform = 60 [50, 65] long-run-2020 secondary`` (see the built-in ``china-cnpc-2014``). The
primary line must agree with ``observed``. A line that starts with ``outcome:`` (lower case) and does not parse is an
error; prose such as ``Outcome: ...`` is left alone. :func:`observed_outcomes` reads them into
:class:`ObservedOutcome` records.

The naive baseline (:func:`baseline`) forecasts "nothing changes": the issue's status quo where the scenario gives
one, else the midpoint of its scale.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from detente.errors import ScenarioError
from detente.scenario.schema import Scenario

_NUM = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
OUTCOME_LINE = re.compile(
    rf"^\s*outcome:\s*(?P<issue>\S+)\s*=\s*(?P<value>{_NUM})\s*\[\s*(?P<lo>{_NUM})\s*,\s*(?P<hi>{_NUM})\s*\]"
    rf"\s+(?P<horizon>\S+)\s+(?P<role>primary|secondary)\s*$"
)
_LOOSE = re.compile(r"^\s*outcome:")  # lower case: prose such as "Outcome: ..." is left alone


@dataclass(frozen=True)
class ObservedOutcome:
    """One observed outcome of one issue. ``low``/``high`` are NaN where no plausible range is known."""

    issue: str
    value: float
    low: float = math.nan
    high: float = math.nan
    horizon: str = ""
    primary: bool = True

    @property
    def has_range(self) -> bool:
        return math.isfinite(self.low) and math.isfinite(self.high)

    def in_range(self, x: float) -> bool | None:
        """Whether ``x`` lies in the plausible range (ends included); None where no range is known."""
        if not self.has_range:
            return None
        return bool(self.low <= x <= self.high)


def outcome_lines(scenario: Scenario) -> list[ObservedOutcome]:
    """The ``outcome:`` lines of the scenario's description, checked against its issues, scales and ``observed``."""
    out: list[ObservedOutcome] = []
    issues = {i.id: i for i in scenario.issues}
    for k, line in enumerate((scenario.description or "").splitlines()):
        if not _LOOSE.match(line):
            continue
        where = f"description, line {k + 1}"
        m = OUTCOME_LINE.match(line)
        if m is None:
            raise ScenarioError(
                "malformed outcome line",
                file=scenario.name,
                where=where,
                value=line.strip(),
                expected="'outcome: ISSUE = VALUE [LOW, HIGH] HORIZON primary|secondary'",
            )
        iid = m["issue"]
        if iid not in issues:
            raise ScenarioError(
                file=scenario.name, where=where, value=iid, expected=f"one of the issue ids {sorted(issues)}"
            )
        value, lo, hi = float(m["value"]), float(m["lo"]), float(m["hi"])
        sc = issues[iid].scale
        if not (sc.lower <= lo <= value <= hi <= sc.upper):
            raise ScenarioError(
                "outcome and range out of order or off the scale",
                file=scenario.name,
                where=where,
                value=[lo, value, hi],
                expected=f"{sc.lower:g} <= LOW <= VALUE <= HIGH <= {sc.upper:g}",
            )
        out.append(ObservedOutcome(iid, value, lo, hi, m["horizon"], m["role"] == "primary"))
    _check_primaries(scenario, out)
    return out


def _check_primaries(scenario: Scenario, lines: list[ObservedOutcome]) -> None:
    seen: set[str] = set()
    for o in lines:
        if not o.primary:
            continue
        if o.issue in seen:
            raise ScenarioError(
                "two primary outcome lines", file=scenario.name, where="description", value=o.issue, expected="one"
            )
        seen.add(o.issue)
        obs = scenario.observed.get(o.issue)
        if obs is None or not math.isclose(obs, o.value, rel_tol=0.0, abs_tol=1e-12):
            raise ScenarioError(
                f"the primary outcome line of issue {o.issue!r} says {o.value:g}",
                file=scenario.name,
                where=f"observed.{o.issue}",
                value=obs,
                expected="the same value as the description's primary 'outcome:' line",
            )


def observed_outcomes(scenario: Scenario, primary: bool = True) -> list[ObservedOutcome]:
    """The primary outcomes (one per issue in ``observed``, in issue order), or the secondary ones.

    Ranges and horizons come from the description's ``outcome:`` lines where it has them.
    """
    lines = outcome_lines(scenario)
    if not primary:
        return [o for o in lines if not o.primary]
    by_issue = {o.issue: o for o in lines if o.primary}
    return [
        by_issue.get(i.id, ObservedOutcome(i.id, float(scenario.observed[i.id])))
        for i in scenario.issues
        if i.id in scenario.observed
    ]


BASELINE_STATUS_QUO = "status quo"
BASELINE_MIDPOINT = "scale midpoint (no status quo given)"


def baseline(scenario: Scenario, issue: str) -> tuple[float, str]:
    """The naive forecast for ``issue``: (its status quo, "status quo"), else (the scale midpoint, "scale midpoint")."""
    i = scenario.issue(issue)
    if i.status_quo is not None:
        return float(i.status_quo), BASELINE_STATUS_QUO
    return (i.scale.lower + i.scale.upper) / 2.0, BASELINE_MIDPOINT
