"""Edits of a batch of :class:`ScenarioArrays`, every draw at once: :func:`apply_arrays`, through
:class:`ArraysTable`, the arrays' side of :class:`~detente.interventions.ops.Table`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import replace

import numpy as np

from detente.interventions.edits import EditsLike, LabelledEdit, resolve
from detente.interventions.ops import OnBounds, apply_edit
from detente.scenario.arrays import ScenarioArrays
from detente.scenario.schema import SALIENCE_MAX, Actor, Scenario, Stance

__all__ = ["ArraysTable", "apply_arrays", "apply_labelled"]


class ArraysTable:
    """A batch of arrays (replaced, never written into): salience in 0–1, a capability per cell only."""

    salience_points = SALIENCE_MAX

    def __init__(self, arrays: ScenarioArrays) -> None:
        self.arrays = arrays

    @property
    def name(self) -> str:
        return self.arrays.name

    @property
    def actors(self) -> tuple[str, ...]:
        return self.arrays.actors

    @property
    def issues(self) -> tuple[str, ...]:
        return self.arrays.issues

    @property
    def lower(self) -> np.ndarray:
        return self.arrays.lower

    @property
    def upper(self) -> np.ndarray:
        return self.arrays.upper

    def stances(self, a: int) -> np.ndarray:
        return self.arrays.mask[:, a, :]

    def values(self, field: str, a: int) -> np.ndarray:
        return getattr(self.arrays, field)[:, a, :]

    def own_capability(self, a: int) -> None:
        return None

    def put(self, field: str, a: int, cells: np.ndarray, new: np.ndarray, own: np.ndarray | None, clear: bool) -> None:
        arr = getattr(self.arrays, field).copy()
        arr[:, a, :] = np.where(cells, new, arr[:, a, :])
        self.arrays = replace(self.arrays, **{field: arr})

    def remove_actor(self, a: int) -> None:
        self.arrays = self.arrays.select_actors([k for k in range(self.arrays.n_actors) if k != a])

    def set_status_quo(self, j: int, value: float) -> None:
        sq = self.arrays.status_quo.copy()
        sq[:, j] = value
        self.arrays = replace(self.arrays, status_quo=sq)

    def add_actor(self, actor: Actor, stances: list[Stance]) -> None:
        arrays = self.arrays
        issues = list(arrays.issues)
        B, m = arrays.batch, len(issues)
        pos = np.tile(arrays.lower, (B, 1))
        sal, cap, msk = np.zeros((B, m)), np.zeros((B, m)), np.zeros((B, m), bool)
        for st in stances:
            j = issues.index(st.issue)
            pos[:, j], sal[:, j], msk[:, j] = st.position, st.salience / SALIENCE_MAX, True
            cap[:, j] = actor.capability if st.capability is None else st.capability
        cat = lambda old, new: np.concatenate([old, new[:, None, :]], axis=1)  # noqa: E731
        self.arrays = replace(
            arrays,
            actors=(*arrays.actors, actor.id),
            position=cat(arrays.position, pos),
            salience=cat(arrays.salience, sal),
            capability=cat(arrays.capability, cap),
            mask=cat(arrays.mask, msk),
        )


def apply_arrays(
    arrays: ScenarioArrays,
    edits: EditsLike,
    *,
    scenario: Scenario | None = None,
    on_bounds: OnBounds = "raise",
    counter: dict[str, int] | None = None,
) -> ScenarioArrays:
    """Apply edits to every draw of a batch (vectorised). Salience values are in file units (0–100).

    ``on_bounds="raise"`` refuses a value pushed off its range, as :func:`~detente.interventions.apply` does;
    ``"clip"`` clips it and counts the clipped cells in ``counter["clipped"]`` (ensembles use this for dated edits on
    perturbed draws, after the nominal scenario has been checked with ``"raise"``). Cells an actor does not take part
    in (mask False, e.g. a dropped-out actor) are left alone. ``scenario`` is needed only to look up a variant id.
    """
    vid, items = resolve(scenario, edits, file=f"<{arrays.name}>")
    out = apply_labelled(arrays, items, on_bounds, counter)
    digest = hashlib.sha256(
        (out.scenario_hash + json.dumps([le.edit.model_dump(mode="json") for le in items], sort_keys=True)).encode()
    ).hexdigest()[:16]
    return replace(out, scenario_hash=digest, name=f"{arrays.name}+{vid}" if vid else out.name)


def apply_labelled(
    arrays: ScenarioArrays, items: Iterable[LabelledEdit], on_bounds: OnBounds, counter: dict[str, int] | None
) -> ScenarioArrays:
    """``arrays`` with resolved edits applied in order (names and hash untouched)."""
    table = ArraysTable(arrays)
    for le in items:
        apply_edit(table, le, on_bounds, counter)
    return table.arrays
