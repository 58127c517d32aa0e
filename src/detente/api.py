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
    """Forecast a scenario with one model.

    Parameters
    ----------
    scenario : Scenario, ScenarioArrays or str
        A scenario object, its arrays (a batch of B draws), a built-in name or a file path.
    model : str or Model
        A registered model name (``"compromise"``, ``"expected-utility(Q=0.5)"``) or a configured instance.
    seed : int, optional
        For models that draw random numbers; the same seed gives the same forecast.
    preset : str, optional
        A model preset (e.g. ``"scholz_compat"`` for expected-utility).
    delegations : {"collapse", "separate"}, optional
        How delegations are treated (docs/two-level.md); default: collapsed to one seat per side.
    vetoes : {"on", "off"}, optional
        Whether the scenario's veto players bound the outcome; default on.
    **params
        Model parameters (see ``detente models``).

    Returns
    -------
    Forecast
        Outcome per issue, trajectory by round, status and provenance.

    Raises
    ------
    UnknownNameError
        An unknown scenario or model name.
    ParameterError
        A parameter the model does not take, or a bad value.
    ScenarioError
        A scenario file that does not validate.

    Examples
    --------
    >>> import detente
    >>> f = detente.forecast("emission-standards-1994", model="median")
    >>> f.model, round(f.outcome["emission-standards"], 1)
    ('median', 7.0)
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
