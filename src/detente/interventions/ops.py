"""Each edit operation, written once, on a :class:`Table`: the few reads and writes an edit needs, which a scenario
(:class:`~detente.interventions.on_scenario.ScenarioTable`) and a batch of arrays
(:class:`~detente.interventions.on_arrays.ArraysTable`) both provide.

An operation looks its actor and issue up, computes the new values of the actor's cells as a (B, m) array in the
table's own units (a scenario keeps salience in the file's 0–100 points, arrays in 0–1), checks them against their
range (or clips them, counting the clipped cells) and hands them to the table to store. A scenario is a batch of one
(B = 1), so it gets the same arithmetic, the same checks and the same messages as every draw of an ensemble.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Protocol

import numpy as np
from pydantic import ValidationError

from detente.interventions.edits import LabelledEdit, edit_error, first_error
from detente.scenario.schema import SALIENCE_MAX, Actor, Stance

__all__ = ["OnBounds", "Table", "apply_edit"]

OnBounds = Literal["raise", "clip"]


class Table(Protocol):
    """What an edit reads and writes. Cells are (B, m): one actor's values on every issue, for each draw."""

    @property
    def name(self) -> str: ...

    @property
    def actors(self) -> tuple[str, ...]: ...

    @property
    def issues(self) -> tuple[str, ...]: ...

    @property
    def lower(self) -> np.ndarray:
        """(m,) each issue's scale's lower bound."""

    @property
    def upper(self) -> np.ndarray: ...

    @property
    def salience_points(self) -> float:
        """The file's salience points per stored unit: 1 (stored 0–100) or ``SALIENCE_MAX`` (stored 0–1)."""

    def stances(self, a: int) -> np.ndarray:
        """(B, m) bool: where actor ``a`` holds a stance."""

    def values(self, field: str, a: int) -> np.ndarray:
        """(B, m) actor ``a``'s ``field`` (a capability: the per-issue one, else the actor's own); any value off its
        stances."""

    def own_capability(self, a: int) -> np.ndarray | None:
        """(B,) actor ``a``'s own capability where the table keeps one apart from its cells, else None."""

    def put(self, field: str, a: int, cells: np.ndarray, new: np.ndarray, own: np.ndarray | None, clear: bool) -> None:
        """Store ``new`` in actor ``a``'s ``cells``. ``own`` (an edit of the actor's capability on every issue): the
        actor's new own capability; ``clear``: that edit sets it, so the per-issue capabilities go."""

    def remove_actor(self, a: int) -> None: ...

    def set_status_quo(self, j: int, value: float) -> None: ...

    def add_actor(self, actor: Actor, stances: list[Stance]) -> None: ...


def apply_edit(
    t: Table, le: LabelledEdit, on_bounds: OnBounds = "raise", counter: dict[str, int] | None = None
) -> None:
    """Apply one edit to ``t`` in place; a value pushed off its range raises (``"raise"``) or is clipped and counted
    in ``counter["clipped"]`` (``"clip"``)."""
    op = le.edit.op
    if op in ("set", "shift", "scale"):
        _set_field(t, le, on_bounds, counter)
    elif op == "remove_actor":
        _remove_actor(t, le)
    elif op == "set_status_quo":
        _set_status_quo(t, le)
    else:
        _add_actor(t, le)


def combine(op: str, old: np.ndarray, value: float) -> np.ndarray:
    """``set`` / ``shift`` (add) / ``scale`` (multiply) ``old`` by ``value``."""
    if op == "set":
        return np.full_like(old, value)
    return old + value if op == "shift" else old * value


# ---- the operations -----------------------------------------------------------------------------------------------
def _set_field(t: Table, le: LabelledEdit, on_bounds: OnBounds, counter: dict[str, int] | None) -> None:
    e = le.edit
    actor, field, value = _need(t, le, "actor"), _need(t, le, "field"), float(_need(t, le, "value"))
    a = _actor_index(t, le, actor)
    cols = np.ones(len(t.issues), bool) if e.issue is None else np.arange(len(t.issues)) == _issue_index(t, le, e.issue)
    cells = t.stances(a) & cols[None, :]
    whole = field == "capability" and e.issue is None  # the actor's own capability, with or without stances
    if not cells.any() and not whole:
        on = f"issue {e.issue!r}" if e.issue else "any issue"
        raise edit_error(
            t.name, le, "issue", f"actor {actor!r} has no stance on {on}", e.issue, "an issue the actor has a stance on"
        )
    v = value / t.salience_points if (field == "salience" and e.op != "scale") else value
    new = _bounded(t, le, field, actor, combine(e.op, t.values(field, a), v), cells, on_bounds, counter)
    own = t.own_capability(a) if whole else None
    if own is not None:
        own = _bounded(t, le, field, actor, combine(e.op, own, v), np.ones(own.shape, bool), on_bounds, counter)
    t.put(field, a, cells, new, own, whole and e.op == "set")


def _remove_actor(t: Table, le: LabelledEdit) -> None:
    actor = _need(t, le, "actor")
    a = _actor_index(t, le, actor)
    if len(t.actors) == 1:
        raise edit_error(t.name, le, "actor", "cannot remove the only actor", actor, "at least one actor left")
    t.remove_actor(a)


def _set_status_quo(t: Table, le: LabelledEdit) -> None:
    issue, value = _need(t, le, "issue"), float(_need(t, le, "value"))
    j = _issue_index(t, le, issue)
    lo, hi = float(t.lower[j]), float(t.upper[j])
    if not lo <= value <= hi:
        raise edit_error(
            t.name, le, "value", f"status quo of {issue!r}", value, f"a value on the issue's scale [{lo:g}, {hi:g}]"
        )
    t.set_status_quo(j, value)


def _add_actor(t: Table, le: LabelledEdit) -> None:
    scales = {i: (float(lo), float(hi)) for i, lo, hi in zip(t.issues, t.lower, t.upper, strict=True)}
    actor, stances = _new_actor(t.name, le, t.actors, scales)
    t.add_actor(actor, stances)


def _new_actor(
    name: str, le: LabelledEdit, actors: Sequence[str], scales: dict[str, tuple[float, float]]
) -> tuple[Actor, list[Stance]]:
    """The validated actor and stances of an ``add_actor`` edit (``scales``: issue id → (lower, upper))."""
    e = le.edit
    if e.new_actor is None:
        raise edit_error(name, le, "new_actor", "op 'add_actor' needs 'new_actor'", None, "a value for 'new_actor'")
    spec = dict(e.new_actor)
    if e.actor is not None:
        spec.setdefault("id", e.actor)
    try:
        actor = Actor.model_validate(spec)
    except ValidationError as err:
        loc, msg, value = first_error(err)
        raise edit_error(name, le, f"new_actor.{loc}", msg, value, "a valid actor (id, capability ≥ 0)") from None
    if actor.id in actors:
        raise edit_error(name, le, "new_actor.id", "an actor with this id exists already", actor.id, "a new actor id")
    out: list[Stance] = []
    for k, raw in enumerate(e.stances or []):
        try:
            st = Stance.model_validate({"actor": actor.id, **dict(raw)})
        except ValidationError as err:
            loc, msg, value = first_error(err)
            raise edit_error(name, le, f"stances[{k}].{loc}", msg, value, "a valid stance") from None
        if st.actor != actor.id:
            raise edit_error(name, le, f"stances[{k}].actor", "stance of another actor", st.actor, repr(actor.id))
        if st.issue not in scales:
            raise edit_error(
                name, le, f"stances[{k}].issue", "unknown issue", st.issue, f"one of the issue ids {list(scales)}"
            )
        lo, hi = scales[st.issue]
        if not lo <= st.position <= hi:
            raise edit_error(
                name,
                le,
                f"stances[{k}].position",
                f"position on {st.issue!r}",
                st.position,
                f"a position on the issue's scale [{lo:g}, {hi:g}]",
            )
        out.append(st)
    if not out:
        raise edit_error(name, le, "stances", "a new actor needs at least one stance", e.stances, "a list of stances")
    return actor, out


# ---- look-ups and range checks ------------------------------------------------------------------------------------
def _need(t: Table, le: LabelledEdit, attr: str) -> Any:
    v = getattr(le.edit, attr)
    if v is None:
        raise edit_error(t.name, le, attr, f"op {le.edit.op!r} needs {attr!r}", None, f"a value for {attr!r}")
    return v


def _actor_index(t: Table, le: LabelledEdit, actor: str) -> int:
    if actor not in t.actors:
        raise edit_error(t.name, le, "actor", "unknown actor", actor, f"one of the actor ids {list(t.actors)}")
    return t.actors.index(actor)


def _issue_index(t: Table, le: LabelledEdit, issue: str) -> int:
    if issue not in t.issues:
        raise edit_error(t.name, le, "issue", "unknown issue", issue, f"one of the issue ids {list(t.issues)}")
    return t.issues.index(issue)


def _bounded(
    t: Table,
    le: LabelledEdit,
    field: str,
    actor: str,
    new: np.ndarray,
    cells: np.ndarray,
    on_bounds: OnBounds,
    counter: dict[str, int] | None,
) -> np.ndarray:
    """``new`` checked (or clipped) against ``field``'s range in ``cells``: (B, m) cells, or (B,) own capabilities."""
    lo: np.ndarray | float
    hi: np.ndarray | float
    if field == "position":
        lo, hi = t.lower, t.upper
    elif field == "salience":
        lo, hi = 0.0, SALIENCE_MAX / t.salience_points
    else:
        lo, hi = 0.0, np.inf
    bad = cells & ((new < lo) | (new > hi))
    if not bad.any():
        return new
    if on_bounds == "raise":
        at = tuple(int(k) for k in np.argwhere(bad)[0])
        worst = float(new[at]) * (t.salience_points if field == "salience" else 1.0)
        j = at[1] if len(at) == 2 else None
        on = f" on {t.issues[j]!r}" if j is not None else ""
        if field == "position" and j is not None:
            expected = f"a result on the issue's scale [{t.lower[j]:g}, {t.upper[j]:g}]"
        elif field == "salience":
            expected = f"a result within [0, {SALIENCE_MAX:g}]"
        else:
            expected = "a capability ≥ 0"
        raise edit_error(t.name, le, "value", f"{field} of {actor!r}{on} becomes {worst:g}", le.edit.value, expected)
    if counter is not None:
        counter["clipped"] = counter.get("clipped", 0) + int(bad.sum())
    return np.clip(new, lo, hi)
