"""What-if interventions: declarative edits of a scenario ("what if Seoul is put at the centre?").

An :class:`~detente.scenario.schema.Edit` is data (it lives in a scenario file's ``variants`` and ``events``):

- ``set`` / ``shift`` / ``scale`` an actor's ``position``, ``salience`` (0–100 points, as in the file) or
  ``capability`` on one issue, or on all its issues when ``issue`` is omitted. ``capability`` without an issue edits
  the actor's capability (and, for ``shift``/``scale``, every per-issue override it has; ``set`` clears the
  overrides, so the actor then has the new capability everywhere);
- ``add_actor`` (``new_actor`` = the actor's fields, ``stances`` = its stances, ``actor`` defaulting to the new id);
- ``remove_actor``;
- ``set_status_quo`` of an issue.

:func:`apply` returns a new, validated :class:`Scenario`. An edit that would put a value off its valid range (a
position off the issue's scale, a salience outside 0–100, a negative capability) raises :class:`ScenarioError`
naming the variant, the edit's index, the field and the value: nothing is silently clipped.
:func:`apply_arrays` does the same on a batch of :class:`ScenarioArrays` (used inside ensembles).

**Dated edits.** An edit with ``round = r > 0`` happens at round ``r`` of a round-based model. :func:`solve` honours
it generically for any model whose parameters include ``max_rounds``: it runs the model for ``r`` rounds, takes the
actors' positions at that round, applies the edit to them and runs the model again from there (state other than the
positions, e.g. a model's risk exponents, is recomputed from the restart point). A static model cannot honour a round:
:func:`solve` raises :class:`ParameterError`. :func:`apply` works on scenario data, which has no rounds: by default it
applies dated edits at round 0 (``dated="round0"``); ``dated="error"`` refuses them, ``dated="skip"`` leaves them out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Literal

import numpy as np
from pydantic import ValidationError

from detente.errors import ParameterError, ScenarioError
from detente.models.base import Forecast, Model, get
from detente.scenario.arrays import ScenarioArrays, to_arrays
from detente.scenario.schema import SALIENCE_MAX, Actor, Edit, Scenario, Stance, Variant

__all__ = [
    "EditsLike",
    "LabelledEdit",
    "apply",
    "apply_arrays",
    "final_positions",
    "resolve",
    "solve",
]

EditsLike = str | Variant | Edit | Mapping[str, Any] | Sequence["Edit | Mapping[str, Any] | LabelledEdit"]


class LabelledEdit:
    """An edit with the label errors use (``variant 'x' edits[2]``) and its index in the list."""

    __slots__ = ("edit", "index", "variant")

    def __init__(self, edit: Edit, index: int, variant: str | None) -> None:
        self.edit, self.index, self.variant = edit, index, variant

    @property
    def label(self) -> str:
        head = f"variant {self.variant!r} " if self.variant else ""
        return f"{head}edits[{self.index}]"

    @property
    def round(self) -> int:
        return int(self.edit.round or 0)

    def describe(self) -> str:
        e = self.edit
        if e.op in ("set", "shift", "scale"):
            on = f" on {e.issue!r}" if e.issue else ""
            return f"{e.op} {e.field} of {e.actor!r}{on} ({e.value:g})" if e.value is not None else e.op
        if e.op == "set_status_quo":
            return f"set_status_quo of {e.issue!r}"
        return f"{e.op} {e.actor or (e.new_actor or {}).get('id')!r}"


def resolve(
    scenario: Scenario | None, edits: EditsLike, *, file: str | None = None
) -> tuple[str | None, list[LabelledEdit]]:
    """``(variant id or None, labelled edits)`` from a variant id, a Variant, one Edit or a list of edits/dicts."""
    where_file = file or (f"<{scenario.name}>" if scenario is not None else None)
    if isinstance(edits, str):
        if scenario is None:
            raise ParameterError(f"variant {edits!r}: a variant id needs a scenario to look it up in")
        v = scenario.variant(edits)
        return v.id, [LabelledEdit(e, k, v.id) for k, e in enumerate(v.edits)]
    if isinstance(edits, Variant):
        return edits.id, [LabelledEdit(e, k, edits.id) for k, e in enumerate(edits.edits)]
    if isinstance(edits, (Edit, Mapping)):
        edits = [edits]
    if isinstance(edits, Sequence) and edits and all(isinstance(e, LabelledEdit) for e in edits):
        return None, list(edits)  # type: ignore[arg-type]
    out: list[LabelledEdit] = []
    for k, e in enumerate(edits):
        if not isinstance(e, Edit):
            try:
                e = Edit.model_validate(e)
            except ValidationError as err:
                first = err.errors()[0]
                loc = ".".join(str(x) for x in first["loc"])
                raise ScenarioError(
                    first["msg"],
                    file=where_file,
                    where=f"edits[{k}]" + (f".{loc}" if loc else ""),
                    value=first.get("input"),
                    expected="a valid edit (op, actor, issue, field, value, round, ...)",
                ) from None
        out.append(LabelledEdit(e, k, None))
    return None, out


# ---- scenario level ---------------------------------------------------------------------------------------------
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
    s = scenario.model_copy(deep=True)
    for le in items:
        if le.round > 0:
            if dated == "skip":
                continue
            if dated == "error":
                raise ParameterError(f"{le.label}: dated round={le.round} cannot be applied to scenario data")
        _apply_one(s, le)
    data = s.model_dump(mode="python")
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
        raise ParameterError(f"--as-of {date!r}: expected a date YYYY-MM-DD") from None
    s = scenario
    for ev in sorted(scenario.events, key=lambda e: e.date):  # sorted() is stable: same-day events keep file order
        if ev.date > day or not ev.edits:
            continue
        s = apply(s, Variant(id=f"event {ev.id}", title=ev.title, edits=ev.edits), name=f"{scenario.name}@{day}")
    if s is scenario:
        s = scenario.model_copy(update={"name": f"{scenario.name}@{day}"})
    return s


def _error(name: str, le: LabelledEdit, what: str, message: str, value: Any, expected: str) -> ScenarioError:
    return ScenarioError(
        f"{le.describe()}: {message}", file=f"<{name}>", where=f"{le.label}.{what}", value=value, expected=expected
    )


def _need(s: Scenario, le: LabelledEdit, attr: str) -> Any:
    v = getattr(le.edit, attr)
    if v is None:
        raise _error(s.name, le, attr, f"op {le.edit.op!r} needs {attr!r}", None, f"a value for {attr!r}")
    return v


def _actor_index(s: Scenario, le: LabelledEdit, actor: str) -> int:
    for k, a in enumerate(s.actors):
        if a.id == actor:
            return k
    raise _error(s.name, le, "actor", "unknown actor", actor, f"one of the actor ids {[a.id for a in s.actors]}")


def _check_issue(s: Scenario, le: LabelledEdit, issue: str) -> None:
    if issue not in {i.id for i in s.issues}:
        raise _error(s.name, le, "issue", "unknown issue", issue, f"one of the issue ids {[i.id for i in s.issues]}")


def _op(op: str, old: float, value: float) -> float:
    if op == "set":
        return float(value)
    if op == "shift":
        return float(old + value)
    return float(old * value)


def _apply_one(s: Scenario, le: LabelledEdit) -> None:
    e = le.edit
    if e.op in ("set", "shift", "scale"):
        actor, field, value = _need(s, le, "actor"), _need(s, le, "field"), _need(s, le, "value")
        a = _actor_index(s, le, actor)
        if e.issue is not None:
            _check_issue(s, le, e.issue)
        stances = [st for st in s.stances if st.actor == actor and (e.issue is None or st.issue == e.issue)]
        if field == "capability" and e.issue is None:
            act = s.actors[a]
            new = _op(e.op, act.capability, value)
            if new < 0:
                raise _error(s.name, le, "value", f"capability of {actor!r} becomes {new:g}", value, "a capability ≥ 0")
            act.capability = new
            for st in stances:
                if st.capability is not None:
                    st.capability = None if e.op == "set" else _op(e.op, st.capability, value)
                    if st.capability is not None and st.capability < 0:
                        raise _error(
                            s.name,
                            le,
                            "value",
                            f"capability of {actor!r} on {st.issue!r} becomes {st.capability:g}",
                            value,
                            "a capability ≥ 0",
                        )
            return
        if not stances:
            on = f"issue {e.issue!r}" if e.issue else "any issue"
            raise _error(
                s.name,
                le,
                "issue",
                f"actor {actor!r} has no stance on {on}",
                e.issue,
                "an issue the actor has a stance on",
            )
        for st in stances:
            if field == "position":
                sc = s.issue(st.issue).scale
                new = _op(e.op, st.position, value)
                if not sc.lower <= new <= sc.upper:
                    raise _error(
                        s.name,
                        le,
                        "value",
                        f"position of {actor!r} on {st.issue!r} becomes {new:g}",
                        value,
                        f"a result on the issue's scale [{sc.lower:g}, {sc.upper:g}]",
                    )
                st.position = new
            elif field == "salience":
                new = _op(e.op, st.salience, value)
                if not 0.0 <= new <= SALIENCE_MAX:
                    raise _error(
                        s.name,
                        le,
                        "value",
                        f"salience of {actor!r} on {st.issue!r} becomes {new:g}",
                        value,
                        f"a result within [0, {SALIENCE_MAX:g}]",
                    )
                st.salience = new
            else:
                old = st.capability if st.capability is not None else s.actors[a].capability
                new = _op(e.op, old, value)
                if new < 0:
                    raise _error(
                        s.name,
                        le,
                        "value",
                        f"capability of {actor!r} on {st.issue!r} becomes {new:g}",
                        value,
                        "a capability ≥ 0",
                    )
                st.capability = new
        return
    if e.op == "remove_actor":
        actor = _need(s, le, "actor")
        a = _actor_index(s, le, actor)
        if len(s.actors) == 1:
            raise _error(
                s.name, le, "actor", "cannot remove the only actor", actor, "a scenario with at least one actor left"
            )
        del s.actors[a]
        s.stances = [st for st in s.stances if st.actor != actor]
        _drop_from_structure(s, actor)
        return
    if e.op == "set_status_quo":
        issue, value = _need(s, le, "issue"), _need(s, le, "value")
        _check_issue(s, le, issue)
        iss = s.issue(issue)
        if not iss.scale.lower <= value <= iss.scale.upper:
            raise _error(
                s.name,
                le,
                "value",
                f"status quo of {issue!r}",
                value,
                f"a value on the issue's scale [{iss.scale.lower:g}, {iss.scale.upper:g}]",
            )
        iss.status_quo = float(value)
        return
    # add_actor
    scales = {i.id: (i.scale.lower, i.scale.upper) for i in s.issues}
    actor, stances = _new_actor(s.name, le, [a.id for a in s.actors], scales)
    s.actors.append(actor)
    s.stances.extend(stances)


def _new_actor(
    name: str, le: LabelledEdit, actors: Sequence[str], scales: dict[str, tuple[float, float]]
) -> tuple[Actor, list[Stance]]:
    """The validated actor and stances of an ``add_actor`` edit (``scales``: issue id → (lower, upper))."""
    e = le.edit
    if e.new_actor is None:
        raise _error(name, le, "new_actor", "op 'add_actor' needs 'new_actor'", None, "a value for 'new_actor'")
    spec = dict(e.new_actor)
    if e.actor is not None:
        spec.setdefault("id", e.actor)
    try:
        actor = Actor.model_validate(spec)
    except ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(x) for x in first["loc"])
        raise _error(
            name, le, f"new_actor.{loc}", first["msg"], first.get("input"), "a valid actor (id, capability ≥ 0)"
        ) from None
    if actor.id in actors:
        raise _error(name, le, "new_actor.id", "an actor with this id exists already", actor.id, "a new actor id")
    out: list[Stance] = []
    for k, raw in enumerate(e.stances or []):
        try:
            st = Stance.model_validate({"actor": actor.id, **dict(raw)})
        except ValidationError as err:
            first = err.errors()[0]
            loc = ".".join(str(x) for x in first["loc"])
            raise _error(name, le, f"stances[{k}].{loc}", first["msg"], first.get("input"), "a valid stance") from None
        if st.actor != actor.id:
            raise _error(name, le, f"stances[{k}].actor", "stance of another actor", st.actor, repr(actor.id))
        if st.issue not in scales:
            raise _error(
                name, le, f"stances[{k}].issue", "unknown issue", st.issue, f"one of the issue ids {list(scales)}"
            )
        lo, hi = scales[st.issue]
        if not lo <= st.position <= hi:
            raise _error(
                name,
                le,
                f"stances[{k}].position",
                f"position on {st.issue!r}",
                st.position,
                f"a position on the issue's scale [{lo:g}, {hi:g}]",
            )
        out.append(st)
    if not out:
        raise _error(name, le, "stances", "a new actor needs at least one stance", e.stances, "a list of stances")
    return actor, out


# ---- arrays level -----------------------------------------------------------------------------------------------
def apply_arrays(
    arrays: ScenarioArrays,
    edits: EditsLike,
    *,
    scenario: Scenario | None = None,
    on_bounds: Literal["raise", "clip"] = "raise",
    counter: dict[str, int] | None = None,
) -> ScenarioArrays:
    """Apply edits to every draw of a batch (vectorised). Salience values are in file units (0–100).

    ``on_bounds="raise"`` refuses a value pushed off its range, as :func:`apply` does; ``"clip"`` clips it and counts
    the clipped cells in ``counter["clipped"]`` (ensembles use this for dated edits on perturbed draws, after the
    nominal scenario has been checked with ``"raise"``). Cells an actor does not take part in (mask False, e.g. a
    dropped-out actor) are left alone. ``scenario`` is needed only to look up a variant id.
    """
    vid, items = resolve(scenario, edits, file=f"<{arrays.name}>")
    out = arrays
    for le in items:
        out = _apply_arrays_one(out, le, on_bounds, counter)
    digest = hashlib.sha256(
        (out.scenario_hash + json.dumps([le.edit.model_dump(mode="json") for le in items], sort_keys=True)).encode()
    ).hexdigest()[:16]
    return replace(out, scenario_hash=digest, name=f"{arrays.name}+{vid}" if vid else out.name)


def _bounded(
    arrays: ScenarioArrays,
    le: LabelledEdit,
    new: np.ndarray,
    lo: np.ndarray | float,
    hi: np.ndarray | float,
    cells: np.ndarray,
    on_bounds: str,
    counter: dict[str, int] | None,
    what: str,
    unit: float = 1.0,
) -> np.ndarray:
    """Check (or clip) edited values; ``unit`` converts them to the file's units for the message (salience: 100)."""
    bad = cells & ((new < lo) | (new > hi))
    if bad.any():
        if on_bounds == "raise":
            worst = float(new[bad].flat[0]) * unit
            raise _error(
                arrays.name,
                le,
                "value",
                f"{what} becomes {worst:g}",
                le.edit.value,
                f"a result within its range [{np.min(lo) * unit:g}, {np.max(hi) * unit:g}]",
            )
        if counter is not None:
            counter["clipped"] = counter.get("clipped", 0) + int(bad.sum())
        new = np.clip(new, lo, hi)
    return new


def _apply_arrays_one(
    arrays: ScenarioArrays, le: LabelledEdit, on_bounds: str, counter: dict[str, int] | None
) -> ScenarioArrays:
    e = le.edit
    actors, issues = list(arrays.actors), list(arrays.issues)

    def actor_index(actor: str) -> int:
        if actor not in actors:
            raise _error(arrays.name, le, "actor", "unknown actor", actor, f"one of the actor ids {actors}")
        return actors.index(actor)

    def issue_index(issue: str) -> int:
        if issue not in issues:
            raise _error(arrays.name, le, "issue", "unknown issue", issue, f"one of the issue ids {issues}")
        return issues.index(issue)

    def need(attr: str) -> Any:
        v = getattr(e, attr)
        if v is None:
            raise _error(arrays.name, le, attr, f"op {e.op!r} needs {attr!r}", None, f"a value for {attr!r}")
        return v

    if e.op in ("set", "shift", "scale"):
        a, field, value = actor_index(need("actor")), need("field"), float(need("value"))
        cols = np.zeros(len(issues), bool)
        if e.issue is None:
            cols[:] = True
        else:
            cols[issue_index(e.issue)] = True
        cells = arrays.mask[:, a, :] & cols[None, :]  # (B, m)
        if not cells.any() and not (field == "capability" and e.issue is None):
            raise _error(
                arrays.name,
                le,
                "issue",
                f"actor {e.actor!r} has no stance on {repr(e.issue) if e.issue else 'any issue'}",
                e.issue,
                "an issue the actor has a stance on",
            )
        old = getattr(arrays, field)[:, a, :]
        v = value / SALIENCE_MAX if (field == "salience" and e.op != "scale") else value
        new = np.full_like(old, v) if e.op == "set" else (old + v if e.op == "shift" else old * v)
        if field == "position":
            new = _bounded(
                arrays,
                le,
                new,
                arrays.lower[None, :],
                arrays.upper[None, :],
                cells,
                on_bounds,
                counter,
                f"position of {e.actor!r}",
            )
        elif field == "salience":
            new = _bounded(
                arrays, le, new, 0.0, 1.0, cells, on_bounds, counter, f"salience of {e.actor!r}", SALIENCE_MAX
            )
        else:
            new = _bounded(arrays, le, new, 0.0, np.inf, cells, on_bounds, counter, f"capability of {e.actor!r}")
        arr = getattr(arrays, field).copy()
        arr[:, a, :] = np.where(cells, new, old)
        return replace(arrays, **{field: arr})
    if e.op == "remove_actor":
        a = actor_index(need("actor"))
        if len(actors) == 1:
            raise _error(arrays.name, le, "actor", "cannot remove the only actor", e.actor, "at least one actor left")
        return arrays.select_actors([k for k in range(len(actors)) if k != a])
    if e.op == "set_status_quo":
        j, value = issue_index(need("issue")), float(need("value"))
        if not arrays.lower[j] <= value <= arrays.upper[j]:
            raise _error(
                arrays.name,
                le,
                "value",
                f"status quo of {e.issue!r}",
                value,
                f"a value on the issue's scale [{arrays.lower[j]:g}, {arrays.upper[j]:g}]",
            )
        sq = arrays.status_quo.copy()
        sq[:, j] = value
        return replace(arrays, status_quo=sq)
    # add_actor
    actor, stances = _new_actor(arrays.name, le, actors, dict(zip(issues, zip(arrays.lower, arrays.upper))))
    B, m = arrays.batch, len(issues)
    pos = np.tile(arrays.lower, (B, 1))
    sal, cap, msk = np.zeros((B, m)), np.zeros((B, m)), np.zeros((B, m), bool)
    for st in stances:
        j = issues.index(st.issue)
        pos[:, j], sal[:, j], msk[:, j] = st.position, st.salience / SALIENCE_MAX, True
        cap[:, j] = actor.capability if st.capability is None else st.capability
    cat = lambda old, new: np.concatenate([old, new[:, None, :]], axis=1)  # noqa: E731
    return replace(
        arrays,
        actors=(*arrays.actors, actor.id),
        position=cat(arrays.position, pos),
        salience=cat(arrays.salience, sal),
        capability=cat(arrays.capability, cap),
        mask=cat(arrays.mask, msk),
    )


# ---- solving with dated edits -----------------------------------------------------------------------------------
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


def is_round_based(model: Model) -> bool:
    """True when the model can be stopped after a given number of rounds (its parameters include ``max_rounds``)."""
    return "max_rounds" in type(model).Params.model_fields


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

    For a Scenario, undated edits go through :func:`apply` (validated); for arrays (a batch) through
    :func:`apply_arrays`. Dated edits need a round-based model (one with a ``max_rounds`` parameter): the model runs
    ``r`` rounds, the edit is applied to the positions reached and the model continues from there. The returned
    forecast's trajectory joins the segments (round ``r`` holds the edited positions), ``rounds`` counts all rounds
    and ``info["dated_edits"]`` lists what was applied when. ``base`` is the scenario to look a variant id up in when
    ``scenario`` is arrays. ``delegations`` and ``vetoes`` are as in :meth:`Model.solve`.
    """
    m = get(model) if isinstance(model, str) else model
    if rng is None:
        rng = np.random.default_rng(seed)
    lookup = scenario if isinstance(scenario, Scenario) else base
    _, items = resolve(lookup, edits)
    undated = [le for le in items if le.round == 0]
    dated = [le for le in items if le.round > 0]
    if dated and not is_round_based(m):
        le = dated[0]
        raise ParameterError(
            f"{le.label} ({le.describe()}) is dated round={le.round}, but model {m.name!r} has no rounds "
            f"(no 'max_rounds' parameter), so it cannot apply an edit at a round; drop 'round' to apply it at the start"
        )
    if isinstance(scenario, Scenario):
        arrays = to_arrays(apply(scenario, edits, dated="skip"))
    else:
        arrays = _apply_labelled(scenario, undated, on_bounds, counter) if undated else scenario
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
        arrays = _apply_labelled(arrays, here, on_bounds, counter)
        done = r
    fin = m.solve(arrays, seed=seed, rng=rng, delegations=delegations, vetoes=vetoes)
    fin.trajectory = np.concatenate([*(_on_actors(t, a, fin.actors) for a, t in segments), fin.trajectory], axis=1)
    fin.rounds = np.asarray(fin.rounds) + done
    fin.info = {
        **fin.info,
        "dated_edits": [{"round": le.round, "edit": le.label, "what": le.describe()} for le in dated],
    }
    return fin


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


def _apply_labelled(
    arrays: ScenarioArrays, items: list[LabelledEdit], on_bounds: str, counter: dict[str, int] | None
) -> ScenarioArrays:
    for le in items:
        arrays = _apply_arrays_one(arrays, le, on_bounds, counter)
    return arrays


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
