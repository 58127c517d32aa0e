"""Back-testing: every model on every negotiation with a known outcome, against a naive baseline.

:func:`backtest` runs each registered model (:func:`detente.models.available`, each with its default parameters) on
each built-in scenario that records ``observed`` outcomes, compares the forecast of every observed issue with the
outcome, and returns a :class:`~detente.validation.leaderboard.Leaderboard`. A model that raises on a scenario (or
returns a non-finite forecast) is listed in ``Leaderboard.failures`` with the reason; it is never dropped silently.
Same inputs and seed, same numbers (every model gets the same ``seed`` on every scenario).

This is the out-of-sample check the forecasting literature asks of these models: Thomson, Stokman, Achen & König
(2006), *The European Union Decides* (Cambridge UP), compared them the same way against observed EU outcomes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from detente.errors import ParameterError, ScenarioError
from detente.execution.runner import progress
from detente.models.base import Model, available, get, version
from detente.results import Provenance
from detente.scenario.arrays import scenario_hash, to_arrays
from detente.scenario.schema import Scenario
from detente.validation.leaderboard import (
    BASELINE,
    FAILURE_COLUMNS,
    Leaderboard,
    issue_frame,
    score,
)
from detente.validation.outcomes import ObservedOutcome, baseline, observed_outcomes

BASELINE_NOTE = "naive baseline: the issue's status quo where the scenario gives one, else the midpoint of its scale"
METRIC_NOTE = "absolute error as a percentage of the issue's scale width; each observed issue counts once"


@dataclass(frozen=True)
class _Case:
    scenario: Scenario
    primary: list[ObservedOutcome]
    secondary: list[ObservedOutcome]


def backtest(
    scenarios: Sequence[str | Scenario] | None = None,
    models: Sequence[str | Model] | None = None,
    seed: int | None = 0,
    *,
    delegations: str | None = None,
    vetoes: str | None = None,
) -> Leaderboard:
    """Back-test models on negotiations with observed outcomes.

    Parameters
    ----------
    scenarios : sequence of str or Scenario, optional
        Built-in names, file paths or scenarios; default every built-in scenario with ``observed`` outcomes (those
        without are listed under ``provenance["skipped_scenarios"]``). A scenario named here that has no observed
        outcome is an error.
    models : sequence of str or Model, optional
        Names, specs such as ``"expected-utility(Q=0.5)"`` or instances; default every registered model with its
        default parameters. A model that raises while forecasting is recorded in ``failures``.
    seed : int, optional
        Passed to every model on every scenario.
    delegations, vetoes : str, optional
        The two-level structure (``"collapse"``/``"separate"``, ``"on"``/``"off"``; default: each scenario's own, see
        docs/two-level.md), recorded in ``provenance["structure"]``.

    Returns
    -------
    Leaderboard
        The ranking against the naive baseline, per-issue errors, failures and provenance.

    Raises
    ------
    UnknownNameError
        An unknown scenario or model name.
    ParameterError
        A bad model parameter, or a named scenario without observed outcomes.

    Examples
    --------
    >>> from detente.validation import backtest
    >>> lb = backtest(scenarios=["emission-standards-1994"], models=["compromise", "median"])
    >>> lb.table.set_index("model")["mae_pct"].round(2).to_dict()
    {'compromise': 24.05, 'baseline': 30.55, 'median': 30.55}
    """
    cases, skipped = _cases(scenarios)
    runners, failures = _models(models, [c.scenario.name for c in cases])
    rows: list[dict[str, Any]] = []
    second: list[dict[str, Any]] = []
    work = progress(None, len(cases) * max(1, sum(m is not None for _, m in runners)), "back-test")
    with work as advance:
        for case in cases:
            s = case.scenario
            for o in case.primary:
                x, basis = baseline(s, o.issue)
                rows.append(_row(s, o, BASELINE, BASELINE, x, basis))
            for o in case.secondary:
                x, basis = baseline(s, o.issue)
                second.append(_row(s, o, BASELINE, BASELINE, x, basis))
            arrays = to_arrays(s)
            for label, model in runners:
                if model is None:
                    continue
                try:
                    fc = model.solve(arrays, seed=seed, delegations=delegations, vetoes=vetoes)
                except Exception as e:  # a model's failure is a result: reported, never hidden
                    failures.append(_failure(label, s.name, None, f"{type(e).__name__}: {e}"))
                    continue
                finally:
                    advance()
                out = {iid: (float(fc.outcomes[0, j]), str(fc.status[0, j])) for j, iid in enumerate(fc.issues)}
                for target, observed in ((rows, case.primary), (second, case.secondary)):
                    for o in observed:
                        x, status = out.get(o.issue, (math.nan, "missing"))
                        if not math.isfinite(x):
                            if target is rows:
                                failures.append(_failure(label, s.name, o.issue, f"no finite forecast (got {x}, {status})"))
                            continue
                        target.append(_row(s, o, label, "model", x, status))
    labels = [label for label, _ in runners]
    fail = pd.DataFrame(failures, columns=FAILURE_COLUMNS, dtype=object)
    issues = issue_frame(rows)
    return Leaderboard(
        table=score(issues, fail, labels),
        issues=issues,
        secondary=issue_frame(second),
        failures=fail,
        provenance=Provenance({
            "version": version(),
            "seed": seed,
            "structure": {
                "delegations": delegations or "each scenario's default",
                "vetoes": vetoes or "each scenario's default",
            },
            "metric": METRIC_NOTE,
            "baseline": BASELINE_NOTE,
            "models": [
                {"label": label, "model": m.name if m else label, "parameters": m.parameters() if m else None}
                for label, m in runners
            ],
            "scenarios": [
                {
                    "name": c.scenario.name,
                    "hash": scenario_hash(c.scenario),
                    "observed": {o.issue: o.value for o in c.primary},
                    "scales": {i.id: [i.scale.lower, i.scale.upper] for i in c.scenario.issues},
                }
                for c in cases
            ],
            "skipped_scenarios": skipped,
        }),
    )


def _row(s: Scenario, o: ObservedOutcome, label: str, kind: str, x: float, status: str) -> dict[str, Any]:
    sc = s.issue(o.issue).scale
    width = sc.upper - sc.lower
    return {
        "scenario": s.name,
        "issue": o.issue,
        "model": label,
        "kind": kind,
        "forecast": x,
        "observed": o.value,
        "error": x - o.value,
        "abs_error": abs(x - o.value),
        "error_pct": abs(x - o.value) / width * 100.0,
        "scale_width": width,
        "range_low": o.low,
        "range_high": o.high,
        "in_range": o.in_range(x),
        "status": status,
        "horizon": o.horizon,
    }


def _failure(model: str, scenario: str, issue: str | None, reason: str) -> dict[str, Any]:
    return {"model": model, "scenario": scenario, "issue": issue, "reason": reason}


def _cases(scenarios: Sequence[str | Scenario] | None) -> tuple[list[_Case], list[dict[str, str]]]:
    from detente.scenario.io import library_names, load

    skipped: list[dict[str, str]] = []
    loaded: list[Scenario] = []
    if scenarios is None:
        for name in library_names():
            s = load(name)
            if s.observed:
                loaded.append(s)
            else:
                skipped.append({"name": name, "reason": "no observed outcomes"})
    else:
        if isinstance(scenarios, (str, Scenario)):
            scenarios = [scenarios]
        for ref in scenarios:
            s = ref if isinstance(ref, Scenario) else load(ref)
            if not s.observed:
                raise ScenarioError(
                    "nothing to back-test",
                    file=str(ref) if isinstance(ref, str) else s.name,
                    where="observed",
                    value={},
                    expected="a scenario that records at least one observed outcome",
                )
            loaded.append(s)
    seen: set[str] = set()
    for s in loaded:
        if s.name in seen:
            raise ParameterError(f"scenario {s.name!r} given twice; expected each scenario once")
        seen.add(s.name)
    return [_Case(s, observed_outcomes(s), observed_outcomes(s, primary=False)) for s in loaded], skipped


def _models(
    models: Sequence[str | Model] | None, scenario_names: list[str]
) -> tuple[list[tuple[str, Model | None]], list[dict[str, Any]]]:
    """(label, configured model) pairs; a registered model that cannot even be built is a failure on every case."""
    runners: list[tuple[str, Model | None]] = []
    failures: list[dict[str, Any]] = []
    if models is None:
        for name in available():
            try:
                runners.append((name, get(name)))
            except Exception as e:  # a registered model whose defaults do not build: report it
                runners.append((name, None))
                for sname in scenario_names:
                    failures.append(_failure(name, sname, None, f"{type(e).__name__}: {e}"))
    else:
        if isinstance(models, (str, Model)):
            models = [models]
        for spec in models:
            if isinstance(spec, Model):
                runners.append((spec.name, spec))
            else:
                runners.append((spec.strip(), get(spec)))
    labels = [label for label, _ in runners]
    for label in labels:
        if label == BASELINE or labels.count(label) > 1:
            raise ParameterError(f"model {label!r}: expected each model once (and not named {BASELINE!r})")
    return runners, failures
