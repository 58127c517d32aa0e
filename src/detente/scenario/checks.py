"""Checks of a loaded scenario beyond its schema: what later commands will need, found before they run.

:func:`check` returns :class:`Finding` s — ``error`` (a command that uses the part will fail) or ``warning`` (the
scenario runs, but part of it is probably not what was meant):

- errors: every dated event applied in date order, every variant applied to the baseline (dry runs of the edits
  ``forecast --as-of`` and ``compare --variant`` make), the ``strategy`` block (the strategy engine's parameters), the
  ``perturbation`` block (the uncertainty spec ``ensemble``/``compare``/``sensitivity`` use by default);
- warnings: an issue nobody holds a stance on (no model has anything to forecast there), an actor with no stance (it
  takes part in nothing), a model that declares it cannot run the scenario (:func:`model_findings`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from detente.errors import LINE_CHARS, DetenteError, cap

if TYPE_CHECKING:
    from detente.scenario.schema import Scenario

__all__ = ["Finding", "check", "model_findings"]


@dataclass(frozen=True)
class Finding:
    level: Literal["error", "warning"]
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.level}: {self.where}: {self.message}"


def check(scenario: Scenario) -> list[Finding]:
    """Every problem found, errors first (in file order within each level)."""
    found = _edits(scenario) + _blocks(scenario) + model_findings(scenario) + _coverage(scenario)
    return [f for f in found if f.level == "error"] + [f for f in found if f.level == "warning"]


def _edits(s: Scenario) -> list[Finding]:
    from detente.interventions import apply
    from detente.scenario.schema import Variant

    out: list[Finding] = []
    cur = s
    order = sorted(range(len(s.events)), key=lambda k: s.events[k].date)
    for k in order:
        ev = s.events[k]
        if not ev.edits:
            continue
        try:  # cumulative, in date order: what `forecast --as-of` does
            cur = apply(cur, Variant(id=f"event {ev.id}", title=ev.title, edits=ev.edits), name=s.name)
        except DetenteError as e:
            out.append(Finding("error", f"events[{k}] ({ev.id}, {ev.date})", _message(e)))
    for k, v in enumerate(s.variants):
        try:
            apply(s, v.id)
        except DetenteError as e:
            out.append(Finding("error", f"variants[{k}] ({v.id})", _message(e)))
    return out


def _blocks(s: Scenario) -> list[Finding]:
    out: list[Finding] = []
    if s.strategy is not None:
        try:
            from detente.strategy.params import from_scenario

            from_scenario(s)  # the policy engine's parameters
            if isinstance(s.strategy, dict) and "game" in s.strategy:
                from detente.strategy.needs import STAGED
                from detente.strategy.staged.engine import calendar_from_block

                calendar_from_block(STAGED.check(s))  # the staged game's roles, calendar and dated shocks
        except DetenteError as e:
            out.append(Finding("error", "strategy", _message(e)))
        except (TypeError, ValueError, KeyError, AttributeError) as e:  # a value of the wrong kind deep in the block
            out.append(Finding("error", "strategy", _message(e)))
    if s.perturbation is not None:
        try:
            from detente.uncertainty.spec import resolve_spec

            resolve_spec(None, s.perturbation, s.name)
        except DetenteError as e:
            out.append(Finding("error", "perturbation", _message(e)))
    return out


def model_findings(s: Scenario) -> list[Finding]:
    """Models that declare they cannot run this scenario, and why.

    Every model (with its default parameters) is asked :meth:`~detente.models.base.Model.cannot_run`; a string is
    the reason. It is a warning, not an error: the file is valid and every other model runs it (``forecast --model
    all`` runs those and reports this one); only a command that asks for this model fails, with this reason.
    """
    from detente.models.base import available
    from detente.scenario.arrays import to_arrays

    arrays = to_arrays(s)
    out: list[Finding] = []
    for name, cls in available().items():
        reason = cls().cannot_run(arrays)
        if reason:
            out.append(Finding("warning", f"model {name}", f"cannot run this scenario: {reason}"))
    return out


def _coverage(s: Scenario) -> list[Finding]:
    held_issues = {st.issue for st in s.stances}
    held_actors = {st.actor for st in s.stances}
    out = [
        Finding(
            "warning", f"issues[{k}] ({i.id})", "no actor holds a stance on this issue: there is nothing to forecast"
        )
        for k, i in enumerate(s.issues)
        if i.id not in held_issues
    ]
    out += [
        Finding("warning", f"actors[{k}] ({a.id})", "this actor holds no stance on any issue: it takes part in nothing")
        for k, a in enumerate(s.actors)
        if a.id not in held_actors
    ]
    return out


def _message(e: Exception) -> str:
    return cap(str(e), LINE_CHARS)
