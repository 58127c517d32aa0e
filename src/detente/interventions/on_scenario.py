"""Edits of scenario data: :func:`apply` (a new validated :class:`Scenario`) and :func:`as_of` (the scenario after its
dated events), through :class:`ScenarioTable`, the scenario's side of :class:`~detente.interventions.ops.Table`."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import numpy as np
from pydantic import ValidationError

from detente.errors import ParameterError, ScenarioError
from detente.interventions.edits import EditsLike, resolve
from detente.interventions.ops import apply_edit
from detente.scenario.schema import Actor, Scenario, Stance, Variant

__all__ = ["ScenarioTable", "apply", "as_of"]


class ScenarioTable:
    """A scenario (edited in place) seen as one draw: salience in the file's 0–100 points, capability overrides kept
    apart from the actors' own capabilities."""

    salience_points = 1.0

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def actors(self) -> tuple[str, ...]:
        return tuple(a.id for a in self.scenario.actors)

    @property
    def issues(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.scenario.issues)

    @property
    def lower(self) -> np.ndarray:
        return np.array([i.scale.lower for i in self.scenario.issues], float)

    @property
    def upper(self) -> np.ndarray:
        return np.array([i.scale.upper for i in self.scenario.issues], float)

    def _held(self, a: int) -> list[tuple[int, Stance]]:
        """Actor ``a``'s stances with their issue's column."""
        col = {i: j for j, i in enumerate(self.issues)}
        actor = self.scenario.actors[a].id
        return [(col[st.issue], st) for st in self.scenario.stances if st.actor == actor]

    def stances(self, a: int) -> np.ndarray:
        out = np.zeros((1, len(self.scenario.issues)), bool)
        for j, _ in self._held(a):
            out[0, j] = True
        return out

    def values(self, field: str, a: int) -> np.ndarray:
        out = (self.lower if field == "position" else np.zeros(len(self.scenario.issues)))[None, :].copy()
        own = self.scenario.actors[a].capability
        for j, st in self._held(a):
            v = getattr(st, field)
            out[0, j] = own if v is None else v  # only a capability can be None: the actor's own then
        return out

    def own_capability(self, a: int) -> np.ndarray:
        return np.array([self.scenario.actors[a].capability], float)

    def put(self, field: str, a: int, cells: np.ndarray, new: np.ndarray, own: np.ndarray | None, clear: bool) -> None:
        if own is not None:
            self.scenario.actors[a].capability = float(own[0])
        for j, st in self._held(a):
            if not cells[0, j]:
                continue
            if own is None:
                setattr(st, field, float(new[0, j]))
            elif clear:  # the actor now has the set capability everywhere
                st.capability = None
            elif st.capability is not None:  # a per-issue capability moves with the actor's; the others inherit it
                st.capability = float(new[0, j])

    def remove_actor(self, a: int) -> None:
        s = self.scenario
        actor = s.actors[a].id
        del s.actors[a]
        s.stances = [st for st in s.stances if st.actor != actor]
        _drop_from_structure(s, actor)

    def set_status_quo(self, j: int, value: float) -> None:
        self.scenario.issues[j].status_quo = float(value)

    def add_actor(self, actor: Actor, stances: list[Stance]) -> None:
        self.scenario.actors.append(actor)
        self.scenario.stances.extend(stances)


def apply(
    scenario: Scenario,
    edits: EditsLike,
    *,
    dated: Literal["round0", "error", "skip"] = "round0",
    name: str | None = None,
) -> Scenario:
    """A new validated scenario with what-if edits applied in order; the original is untouched.

    Parameters
    ----------
    scenario : Scenario
    edits : str, Variant, Edit or list of Edit
        A variant id of the scenario, a Variant, one edit or a list.
    dated : {"round0", "error", "skip"}
        What to do with edits dated ``round > 0`` (scenario data has no rounds): apply them at round 0 (default),
        raise :class:`ParameterError`, or skip them (the models' ``solve`` applies those later).
    name : str, optional
        The new scenario's name; default ``"<scenario>+<variant>"`` for a variant, else the scenario's name.

    Returns
    -------
    Scenario

    Raises
    ------
    UnknownNameError
        An unknown variant, actor or issue.
    ParameterError
        An edit that pushes a value off its range, or a dated edit with ``dated="error"``.

    Examples
    --------
    >>> import detente
    >>> from detente.scenario.schema import Edit
    >>> s = detente.load("korea-2019")
    >>> e = Edit(op="set", actor="dprk", issue="denuclearization", field="position", value=40)
    >>> t = detente.apply_edits(s, [e], name="korea-2019-dprk-40")
    >>> [st.position for st in t.stances if st.actor == "dprk" and st.issue == "denuclearization"]
    [40.0]
    """
    vid, items = resolve(scenario, edits)
    table = ScenarioTable(scenario.model_copy(deep=True))
    for le in items:
        if le.round > 0:
            if dated == "skip":
                continue
            if dated == "error":
                raise ParameterError(f"{le.label}: dated round={le.round} cannot be applied to scenario data")
        apply_edit(table, le)
    data = table.scenario.model_dump(mode="python")
    data["name"] = name or (f"{scenario.name}+{vid}" if vid else scenario.name)
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        ctx = first.get("ctx", {}).get("error")
        msg = str(ctx) if ctx is not None else first["msg"]
        raise ScenarioError(
            f"the edited scenario is invalid: {msg}",
            file=f"<{scenario.name}>",
            where=(f"variant {vid!r}" if vid else "edits"),
        ) from None


def as_of(scenario: Scenario, date: dt.date | str) -> Scenario:
    """The scenario after every dated event up to and including ``date``, its edits applied in date order.

    This is how a scenario's ``events`` reproduce a period: ``as_of(korea, "2019-09-10")`` is the negotiation after
    Bolton's departure. Events on the same date apply in file order. The result is named ``"<scenario>@<date>"``.
    """
    try:
        day = date if isinstance(date, dt.date) else dt.date.fromisoformat(str(date))
    except ValueError:
        raise ParameterError(f"`date` {date!r}: expected a date YYYY-MM-DD") from None
    s = scenario
    for ev in sorted(scenario.events, key=lambda e: e.date):  # sorted() is stable: same-day events keep file order
        if ev.date > day or not ev.edits:
            continue
        s = apply(s, Variant(id=f"event {ev.id}", title=ev.title, edits=ev.edits), name=f"{scenario.name}@{day}")
    if s is scenario:
        s = scenario.model_copy(update={"name": f"{scenario.name}@{day}"})
    return s


def _drop_from_structure(s: Scenario, actor: str) -> None:
    """A removed actor leaves its delegation (an emptied delegation goes) and the veto rules that name it."""
    gone = {actor}
    for d in list(s.delegations):
        if actor in d.members:
            d.members = [a for a in d.members if a != actor]
            if d.leader == actor:
                d.leader = None
            if not d.members:
                s.delegations.remove(d)
                gone.add(d.id)
    for v in list(s.vetoes):
        v.players = [p for p in v.players if p not in gone]
        if not v.players:
            s.vetoes.remove(v)
