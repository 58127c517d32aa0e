"""Solving with edits, dated ones included: :func:`solve` runs a round-based model up to each dated edit's round,
applies the edit to the positions reached and continues from there; :func:`final_positions` reads where a
forecast's actors ended."""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

import numpy as np

from detente.interventions.edits import EditsLike, resolve
from detente.interventions.on_arrays import apply_labelled
from detente.interventions.on_scenario import apply
from detente.models.base import Forecast, Model, get
from detente.models.contract import require
from detente.scenario.arrays import ScenarioArrays, to_arrays
from detente.scenario.schema import Scenario

__all__ = ["final_positions", "solve"]


def final_positions(forecast: Forecast) -> np.ndarray:
    """The actors' last positions (B, n, m): the last trajectory row, or row ``rounds`` where the model pads with NaN."""
    traj = forecast.trajectory
    last = traj[:, -1]
    if np.isfinite(last).all() or traj.shape[1] == 1:
        return np.asarray(last)
    B, R, n, m = traj.shape
    idx = np.clip(np.asarray(forecast.rounds, int), 0, R - 1)
    picked = np.take_along_axis(traj, np.broadcast_to(idx[:, None, None, :], (B, 1, n, m)), axis=1)[:, 0]
    return np.where(np.isfinite(last), last, picked)


def solve(
    model: Model | str,
    scenario: Scenario | ScenarioArrays,
    edits: EditsLike = (),
    *,
    seed: int | None = None,
    rng: np.random.Generator | None = None,
    base: Scenario | None = None,
    on_bounds: Literal["raise", "clip"] = "raise",
    counter: dict[str, int] | None = None,
    delegations: str | None = None,
    vetoes: str | None = None,
) -> Forecast:
    """Forecast ``scenario`` with ``edits``: undated edits first, dated edits (``round = r``) at round ``r``.

    For a Scenario, undated edits go through :func:`~detente.interventions.apply` (validated); for arrays (a batch)
    through :func:`~detente.interventions.apply_arrays`. Dated edits need a round-based model (its ``capabilities``
    say so): the model runs ``r`` rounds, the edit is applied to the positions reached and the model continues from
    there. The returned forecast's trajectory joins the segments (round ``r`` holds the edited positions), ``rounds``
    counts all rounds and ``info["dated_edits"]`` lists what was applied when. ``base`` is the scenario to look a
    variant id up in when ``scenario`` is arrays. ``delegations`` and ``vetoes`` are as in :meth:`Model.solve`.
    Neither the inputs nor any forecast a model returned are modified.
    """
    m = get(model) if isinstance(model, str) else model
    if rng is None:
        rng = np.random.default_rng(seed)
    lookup = scenario if isinstance(scenario, Scenario) else base
    _, items = resolve(lookup, edits)
    undated = [le for le in items if le.round == 0]
    dated = [le for le in items if le.round > 0]
    if dated:
        le = dated[0]
        require(m, "round_based", f"a dated edit ({le.label}: {le.describe()}, round = {le.round})")
    if isinstance(scenario, Scenario):
        arrays = to_arrays(apply(scenario, edits, dated="skip"))
    else:
        arrays = apply_labelled(scenario, undated, on_bounds, counter) if undated else scenario
    if not dated:
        return m.solve(arrays, seed=seed, rng=rng, delegations=delegations, vetoes=vetoes)
    params = m.parameters()
    segments: list[tuple[tuple[str, ...], np.ndarray]] = []
    done = 0
    for r in sorted({le.round for le in dated}):
        steps = r - done
        part = type(m)(**{**params, "max_rounds": steps}).solve(arrays, rng=rng, delegations=delegations, vetoes=vetoes)
        traj = part.trajectory[:, : steps + 1]
        if traj.shape[1] < steps + 1:  # converged early: the actors stay where they are until round r
            pad = np.repeat(final_positions(part)[:, None], steps + 1 - traj.shape[1], axis=1)
            traj = np.concatenate([traj, pad], axis=1)
        segments.append((arrays.actors, traj[:, :-1]))
        here = [le for le in dated if le.round == r]
        # absent cells keep the arrays' convention (the lower bound); the forecast reports them as NaN
        arrays = replace(arrays, position=np.where(arrays.mask, final_positions(part), arrays.position))
        arrays = apply_labelled(arrays, here, on_bounds, counter)
        done = r
    fin = m.solve(arrays, seed=seed, rng=rng, delegations=delegations, vetoes=vetoes)
    return replace(
        fin,
        trajectory=np.concatenate([*(_on_actors(t, a, fin.actors) for a, t in segments), fin.trajectory], axis=1),
        rounds=np.asarray(fin.rounds) + done,
        info={
            **fin.info,
            "dated_edits": [{"round": le.round, "edit": le.label, "what": le.describe()} for le in dated],
        },
    )


def _on_actors(traj: np.ndarray, actors: tuple[str, ...], final: tuple[str, ...]) -> np.ndarray:
    """A trajectory segment (B, R, n, m) re-indexed to the final actor list: NaN for actors who joined later."""
    if actors == final:
        return traj
    B, R, _, m = traj.shape
    out = np.full((B, R, len(final), m), np.nan)
    index = {a: k for k, a in enumerate(actors)}
    for k, a in enumerate(final):
        if a in index:
            out[:, :, k] = traj[:, :, index[a]]
    return out
