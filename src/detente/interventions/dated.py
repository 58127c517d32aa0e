"""Solving with edits, dated ones included: :func:`solve` runs a round-based model up to each dated edit's round,
applies the edit to the positions reached and continues from there; :func:`final_positions` reads where a
forecast's actors ended."""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

import numpy as np

from detente.errors import ParameterError
from detente.interventions.edits import EditsLike, resolve
from detente.interventions.on_arrays import apply_labelled
from detente.interventions.on_scenario import apply
from detente.models.base import Forecast, Keep, Model, get
from detente.models.base import final_positions as _final
from detente.models.contract import RunState, require
from detente.scenario.arrays import ScenarioArrays, to_arrays
from detente.scenario.schema import Scenario

__all__ = ["final_positions", "solve"]


def final_positions(forecast: Forecast) -> np.ndarray:
    """The actors' last positions (B, n, m): the last trajectory row, or row ``rounds`` where the model pads with NaN."""
    return _final(forecast.trajectory, forecast.rounds)


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
    keep: Keep = "full",
) -> Forecast:
    """Forecast ``scenario`` with ``edits``: undated edits first, dated edits (``round = r``) at round ``r``.

    For a Scenario, undated edits go through :func:`~detente.interventions.apply` (validated); for arrays (a batch)
    through :func:`~detente.interventions.apply_arrays`. Dated edits need a round-based model (its ``capabilities``
    say so): the model runs to round ``r`` (``solve(stop_after=r)``), the edit is applied to the positions reached and
    the model continues from its own state (``solve(start=state.restart(...))``: its round count, histories and
    random generator go on, so the run is one run of the model with an edit in it; its round limit counts all
    rounds). An edit dated after a run that stopped by its own rule finds the actors where they stopped; one dated
    after the model's round limit is refused. The returned forecast's trajectory joins the segments (round ``r``
    holds the edited positions), ``rounds`` counts all rounds and ``info["dated_edits"]`` lists what was applied
    when. ``base`` is the scenario to look a variant id up in when ``scenario`` is arrays. ``delegations``, ``vetoes``
    and ``keep`` are as in :meth:`Model.solve` (``keep="final"``: the final positions only, no segments joined). Neither the inputs nor any forecast a model returned are modified.
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
        return m.solve(arrays, seed=seed, rng=rng, keep=keep, delegations=delegations, vetoes=vetoes)
    segments: list[tuple[tuple[str, ...], np.ndarray]] = []
    state: RunState | None = None
    done = 0
    # ``arrays``: the scenario's data with the edits applied so far (its positions are the stated ones, which veto
    # players' bounds and members seated in a delegation keep); the model's own positions travel in its state
    for r in sorted({le.round for le in dated}):
        part = m.solve(arrays, rng=rng, keep=keep, stop_after=r, start=state, delegations=delegations, vetoes=vetoes)
        assert part.state is not None  # a round-based model returns its state
        here = [le for le in dated if le.round == r]
        if part.state.round < r and not part.state.stopped.all():
            le = here[0]
            raise ParameterError(
                f"{le.label} ({le.describe()}) is dated round={r}, but model {m.name!r} stops at its round limit "
                f"({part.state.round}); expected a round below it, or a higher round limit"
            )
        steps = r - done
        traj = part.trajectory[:, : steps + 1]
        if traj.shape[1] < steps + 1:  # stopped early: the actors stay where they are until round r
            pad = np.repeat(final_positions(part)[:, None], steps + 1 - traj.shape[1], axis=1)
            traj = np.concatenate([traj, pad], axis=1)
        segments.append((part.actors, traj[:, :-1]))
        # the edits act on the positions reached (absent cells keep the arrays' convention, the lower bound)
        reached = replace(arrays, position=np.where(arrays.mask, final_positions(part), arrays.position))
        moved = apply_labelled(reached, here, on_bounds, counter)
        state = _restart(part.state, reached, moved, r, delegations, vetoes)
        arrays = apply_labelled(arrays, here, "clip", None)
        done = r
    fin = m.solve(arrays, rng=rng, keep=keep, start=state, delegations=delegations, vetoes=vetoes)
    if keep == "final":
        return replace(fin, seed=seed)
    return replace(
        fin,
        seed=seed,
        trajectory=np.concatenate([*(_on_actors(t, a, fin.actors) for a, t in segments), fin.trajectory], axis=1),
        info={
            **fin.info,
            "dated_edits": [{"round": le.round, "edit": le.label, "what": le.describe()} for le in dated],
        },
    )


def _restart(
    state: RunState,
    reached: ScenarioArrays,
    edited: ScenarioArrays,
    r: int,
    delegations: str | None,
    vetoes: str | None,
) -> RunState:
    """The state to continue from after the edits at round ``r``: the model's own positions wherever the edits left
    a cell of the arrays the model runs on (delegations collapsed) as it was, the edited ones elsewhere."""
    from detente.scenario.twolevel import plan

    after, _ = plan(edited, delegations, vetoes).prepare(edited)
    positions = np.where(after.mask, after.position, np.nan)
    if after.actors == state.actors:
        before, _ = plan(reached, delegations, vetoes).prepare(reached)
        kept = (before.position == after.position) & (before.mask == after.mask)
        positions = np.where(kept, state.positions, positions)
    return state.restart(positions, after.actors, round=r)


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
