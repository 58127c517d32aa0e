"""What a scenario says was observed, and the naive baseline forecast a model has to beat.

A scenario's ``observed`` field is a flat ``{issue: value}`` map: the primary, scored outcome. Its ``outcomes`` list
adds what a back-test reports beside the score: a plausible range, the horizon, and secondary readings (a later
horizon), e.g. the built-in ``china-cnpc-2014``::

    outcomes:
    - {issue: cnpc-reform, value: 25, low: 15, high: 35, horizon: near-term-2017, primary: true}
    - {issue: cnpc-reform, value: 60, low: 50, high: 65, horizon: long-run-2020, primary: false}

The schema checks that each range holds its value on the issue's scale and that a primary outcome equals
``observed``. :func:`observed_outcomes` returns them as :class:`ObservedOutcome` records.

The naive baseline (:func:`baseline`) forecasts "nothing changes": the issue's status quo where the scenario gives
one, else the midpoint of its scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from detente.scenario.schema import Scenario


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


def _record(o: object) -> ObservedOutcome:
    from detente.scenario.schema import Outcome

    assert isinstance(o, Outcome)
    nan = math.nan
    return ObservedOutcome(
        o.issue,
        float(o.value),
        nan if o.low is None else float(o.low),
        nan if o.high is None else float(o.high),
        o.horizon or "",
        o.primary,
    )


def observed_outcomes(scenario: Scenario, primary: bool = True) -> list[ObservedOutcome]:
    """The primary outcomes (one per issue in ``observed``, in issue order), or the secondary ones.

    Ranges and horizons come from the scenario's ``outcomes`` where it has them.
    """
    records = [_record(o) for o in scenario.outcomes]
    if not primary:
        return [o for o in records if not o.primary]
    by_issue = {o.issue: o for o in records if o.primary}
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
