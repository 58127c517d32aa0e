"""The top-level functions the CLI and the web call."""

from __future__ import annotations

from typing import Any

from detente.models.base import Forecast, Model, get
from detente.scenario.arrays import ScenarioArrays, to_arrays
from detente.scenario.schema import Scenario


def forecast(
    scenario: Scenario | ScenarioArrays | str,
    model: str | Model = "compromise",
    *,
    seed: int | None = None,
    preset: str | None = None,
    delegations: str | None = None,
    vetoes: str | None = None,
    **params: Any,
) -> Forecast:
    """Forecast a scenario (object, arrays, built-in name or file path) with a model given by name or instance.

    ``delegations`` ("collapse"/"separate") and ``vetoes`` ("on"/"off") set the two-level structure
    (docs/two-level.md); by default a scenario's delegations are collapsed and its veto players bound the outcome.
    """
    from detente.scenario.io import load

    if isinstance(scenario, str):
        scenario = load(scenario)
    arrays = to_arrays(scenario) if isinstance(scenario, Scenario) else scenario
    if isinstance(model, str):
        m = get(model, **({"preset": preset} if preset else {}), **params)
    else:
        m = model
    return m.solve(arrays, seed=seed, delegations=delegations, vetoes=vetoes)
