"""The strategy engine's entry point: parameters from a scenario, N's best response, the Monte Carlo, one result.

>>> from detente.strategy import run_strategy
>>> res = run_strategy(policies=["aon", "sfs-screen"], paths=2000, seed=1, overrides={"rho0": 0.9})
>>> sorted(res.runs)
['aon', 'sfs-screen']
"""

from __future__ import annotations

from typing import Any

from detente.execution.runner import progress
from detente.strategy.params import ParamBatch, StrategyParams, from_scenario, parse_overrides
from detente.strategy.policies import get_policy
from detente.strategy.results import StrategyResult
from detente.strategy.simulate import simulate

DEFAULT_POLICIES = ("aon", "sfs-screen")


def scenario_identity(scenario: Any) -> tuple[str | None, str | None]:
    """(name, content hash) of a Scenario, or (None, None)."""
    if scenario is None:
        return None, None
    from detente.scenario.arrays import scenario_hash

    return getattr(scenario, "name", None), scenario_hash(scenario)


def run_strategy(
    scenario: Any = None,
    policies: list[str] | tuple[str, ...] = DEFAULT_POLICIES,
    *,
    paths: int = 20000,
    seed: int | None = 0,
    overrides: dict[str, Any] | None = None,
    params: StrategyParams | None = None,
) -> StrategyResult:
    """Simulate each policy at one parameter point.

    Parameters come from ``params``, else the scenario's ``strategy`` block (the engine's defaults where absent), then
    ``overrides`` (``--param k=v``). Each policy uses the same seed (common random numbers across policies).
    """
    sources: dict[str, str] = {}
    if params is None:
        params, sources = from_scenario(scenario) if scenario is not None else (StrategyParams(), {})
    if overrides:
        params = parse_overrides(params, overrides)
        sources = {**sources, **{k: "override" for k in overrides}}
    if paths < 1:
        from detente.errors import ParameterError

        raise ParameterError(f"`paths` {paths}: expected a positive number of paths")
    pols = [get_policy(p) for p in policies]
    pb = ParamBatch([params])
    runs = {}
    with progress(None, len(pols), "strategy Monte Carlo") as advance:
        for p in pols:
            runs[p.name] = simulate(pb, p, paths, seed=seed)
            advance()
    name, h = scenario_identity(scenario)
    from detente import __version__

    return StrategyResult(
        runs=runs,
        params=params.model_dump(),
        sources=sources,
        seed=seed,
        paths=paths,
        scenario=name,
        scenario_hash=h,
        version=__version__,
        T=params.T,
        t_E=params.t_E,
        extra={"policy_descriptions": {p.name: p.describe() for p in pols}},
    )
