"""Delegations and veto players: the two-level structure of a negotiation, applied to any model's forecast.

Putnam, R. D. (1988), "Diplomacy and domestic politics: the logic of two-level games", *International Organization*
42(3):427–460: a side at the table is itself a coalition whose internal rule forms its stance, and whose domestic
ratifiers bound the agreements it can accept (its "win-set"). Tsebelis, G. (2002), *Veto Players: How Political
Institutions Work* (Princeton University Press): an outcome needs the agreement of every veto player, so it must lie
in the intersection of their win-sets of the status quo; the more veto players, and the further apart, the smaller
that set and the more stable the status quo. Tsebelis, G. & Garrett, G. (2000), "Legislative politics in the
European Union", *European Union Politics* 1(1):9–36, apply the same reasoning to EU legislation under unanimity.

Two switches, independent of the model (``docs/two-level.md``):

``delegations``
    ``"collapse"``: each delegation of the scenario negotiates as one actor. Its stance on each issue is formed by
    its rule (:class:`detente.scenario.schema.Delegation`): the leader's stance (``leader``), or the capability ×
    salience weighted median / mean of the members' positions, with the capability-weighted mean salience and the
    strongest member's capability. The delegation sits in its seat (the leader's row, else its first member's row)
    under the delegation's id; the other members take no part (mask False). ``"separate"``: every member is an actor
    of its own, as in a scenario without delegations.
``vetoes``
    ``"on"``: on each issue with named veto players, the model's outcome ``y0`` is projected onto the set ``F`` of
    points that every veto player (present on the issue) accepts instead of the status quo ``q``. Each veto rule
    says which points that is. ``acceptance: ideal`` (the default): the points between ``q`` and the player's ideal
    point ``x_i``. A veto player can block any outcome past its ideal and offer its ideal instead, which every actor
    beyond it also prefers to the status quo, so it never has to accept one. ``acceptance: win-set``: every point it
    weakly prefers to ``q``; with any utility that falls with the distance from its ideal point (``−s·|x − x_i|^p``
    for every ``s > 0``, ``p > 0``) that is exactly ``[x_i − |q − x_i|, x_i + |q − x_i|]`` (Tsebelis 2002's
    win-set). Either way ``F`` is an interval that contains ``q``, and the projected outcome is ``y = clip(y0, F)``.
    ``"off"``: the model's outcome.

What the projection guarantees (tested in ``tests/test_twolevel.py``):

1. acceptability: ``|y − x_i| ≤ |q − x_i|`` for every veto player i: no veto player is worse off than under the
   status quo; with ``ideal`` acceptance (the default) ``y`` also lies between ``q`` and ``x_i``, so a veto
   player's ideal point is never passed;
2. identity: ``y = y0`` when ``y0`` is already acceptable to every veto player, when vetoes are off, or when an issue
   has no veto player or no status quo;
3. the smallest move: ``y`` is the acceptable point nearest ``y0``, and it lies between ``y0`` and ``q`` (the
   constraint only pulls outcomes back toward the status quo, never past it);
4. gridlock: when veto players lie on both sides of ``q`` (no point but ``q`` is acceptable to all: their strict
   win-sets do not intersect), ``y = q`` and the issue's status is ``no_agreement`` wherever ``y0 ≠ q``;
5. hull: ``y`` lies in the hull of ``y0`` and ``q``, hence inside the scale.

Everything is vectorised over the batch axis: positions (B, n, m) → bounds (B, m).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from detente.errors import ParameterError

if TYPE_CHECKING:
    from detente.scenario.arrays import ScenarioArrays
    from detente.scenario.schema import Scenario

DELEGATION_MODES = ("collapse", "separate")
VETO_MODES = ("on", "off")
RULES = ("leader", "weighted-median", "weighted-mean")
#: tolerance of the gridlock test (width of the acceptable interval, in scale units)
GRIDLOCK_TOL = 1e-9


@dataclass(frozen=True)
class DelegationSpec:
    id: str
    members: tuple[str, ...]
    rule: Literal["leader", "weighted-median", "weighted-mean"] = "leader"
    leader: str | None = None

    @property
    def seat(self) -> str:
        return self.leader if self.leader is not None else self.members[0]


@dataclass(frozen=True)
class Structure:
    """A scenario's delegations and veto players, by id (so that it survives edits of the actor axis)."""

    delegations: tuple[DelegationSpec, ...] = ()
    vetoes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: per issue, which outcomes its veto players accept (``ideal`` where absent; see :func:`veto_bounds`)
    acceptance: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.delegations) or bool(self.vetoes)

    def describe(self) -> dict[str, Any]:
        return {
            "delegation_rules": {
                d.id: {"members": list(d.members), "rule": d.rule, "seat": d.seat} for d in self.delegations
            },
            "veto_players": {k: list(v) for k, v in self.vetoes.items()},
            "veto_acceptance": {k: self.acceptance.get(k, "ideal") for k in self.vetoes},
        }


def structure(scenario: Scenario) -> Structure:
    """The :class:`Structure` a scenario declares (empty when it declares none)."""
    dels = tuple(
        DelegationSpec(d.id, tuple(d.members), d.rule, d.leader if d.leader is not None else d.members[0])
        for d in scenario.delegations
    )
    return Structure(
        dels, {v.issue: tuple(v.players) for v in scenario.vetoes}, {v.issue: v.acceptance for v in scenario.vetoes}
    )


def of(arrays: ScenarioArrays) -> Structure:
    s = arrays.meta.get("structure") if arrays.meta else None
    return s if isinstance(s, Structure) else Structure()


def with_structure(arrays: ScenarioArrays, struct: Structure) -> ScenarioArrays:
    """The same arrays carrying ``struct`` (e.g. to add veto players to arrays built from numpy)."""
    return replace(arrays, meta={**(arrays.meta or {}), "structure": struct})


def modes(arrays: ScenarioArrays, delegations: str | None = None, vetoes: str | None = None) -> tuple[str, str]:
    """The modes in force: the given ones, else ``collapse``/``on`` where the scenario declares delegations/vetoes."""
    s = of(arrays)
    if delegations is None:
        delegations = "collapse" if s.delegations else "separate"
    if vetoes is None:
        vetoes = "on" if s.vetoes else "off"
    if delegations not in DELEGATION_MODES:
        raise ParameterError(f"delegations={delegations!r}: expected one of {list(DELEGATION_MODES)}")
    if vetoes not in VETO_MODES:
        raise ParameterError(f"vetoes={vetoes!r}: expected one of {list(VETO_MODES)}")
    return delegations, vetoes


# ---- delegations ------------------------------------------------------------------------------------------------
def delegation_stance(arrays: ScenarioArrays, d: DelegationSpec) -> tuple[np.ndarray, ...]:
    """(position, salience, capability, present), each (B, m): the delegation's stance under its rule.

    Members missing from the arrays (e.g. removed by an event) are left out; a delegation none of whose members takes
    part on an issue is absent there.
    """
    idx = [arrays.actors.index(a) for a in d.members if a in arrays.actors]
    B, m = arrays.batch, arrays.n_issues
    if not idx:
        z = np.zeros((B, m))
        return np.broadcast_to(arrays.lower, (B, m)).copy(), z, z.copy(), np.zeros((B, m), bool)
    pos, sal, cap = arrays.position[:, idx], arrays.salience[:, idx], arrays.capability[:, idx]
    msk = arrays.mask[:, idx]
    present = np.asarray(msk.any(axis=1))
    if d.rule == "leader" or len(idx) == 1:
        seat = d.seat if d.seat in arrays.actors and len(idx) > 1 else arrays.actors[idx[0]]
        k = idx.index(arrays.actors.index(seat))
        # a leader absent on an issue: the delegation is absent there too (members count only through the leader)
        return pos[:, k].copy(), sal[:, k].copy(), cap[:, k].copy(), msk[:, k].copy()
    w = cap * sal * msk
    w = np.where(w.sum(axis=1, keepdims=True) > 0, w, cap * msk)
    w = np.where(w.sum(axis=1, keepdims=True) > 0, w, msk.astype(float))
    if d.rule == "weighted-median":
        from detente.models.median import weighted_median

        x = weighted_median(pos, w)
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            x = (w * pos).sum(axis=1) / w.sum(axis=1)
    cw = cap * msk
    cw = np.where(cw.sum(axis=1, keepdims=True) > 0, cw, msk.astype(float))
    with np.errstate(invalid="ignore", divide="ignore"):
        s = (cw / cw.sum(axis=1, keepdims=True) * sal).sum(axis=1)  # weights normalised first: no underflow
    c = np.max(cap * msk, axis=1)
    lo = np.broadcast_to(arrays.lower, (B, m))
    return np.where(present, x, lo), np.where(present, s, 0.0), np.where(present, c, 0.0), present


def collapse(arrays: ScenarioArrays, struct: Structure | None = None) -> tuple[ScenarioArrays, np.ndarray]:
    """Each delegation as one actor in its seat; (arrays, keep) where ``keep`` (n,) marks the rows still taking part.

    The shape is kept (members other than the seat are masked out) so that a batch stays aligned with its inputs;
    a delegation of one is the identity.
    """
    struct = of(arrays) if struct is None else struct
    keep = np.ones(arrays.n_actors, bool)
    if not struct.delegations:
        return arrays, keep
    pos, sal, cap, msk = (a.copy() for a in (arrays.position, arrays.salience, arrays.capability, arrays.mask))
    names = list(arrays.actors)
    for d in struct.delegations:
        idx = [arrays.actors.index(a) for a in d.members if a in arrays.actors]
        if not idx:
            continue
        seat_id = d.seat if d.seat in arrays.actors else arrays.actors[idx[0]]
        seat = arrays.actors.index(seat_id)
        x, s, c, present = delegation_stance(arrays, d)
        for k in idx:
            if k != seat:
                keep[k] = False
                pos[:, k] = arrays.lower[None, :]
                sal[:, k] = 0.0
                cap[:, k] = 0.0
                msk[:, k] = False
        pos[:, seat], sal[:, seat], cap[:, seat], msk[:, seat] = x, s, c, present
        if len(idx) > 1 or d.id != seat_id:
            names[seat] = d.id
    out = replace(arrays, actors=tuple(names), position=pos, salience=sal, capability=cap, mask=msk)
    return out, keep


# ---- vetoes -----------------------------------------------------------------------------------------------------
def veto_bounds(arrays: ScenarioArrays, struct: Structure | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper), each (B, m): the interval of points every veto player accepts instead of the status quo.

    A veto player with ideal point ``x`` accepts, with acceptance ``ideal`` (the default), the points between the
    status quo ``q`` and ``x``; with ``win-set``, every point it weakly prefers to ``q``: ``[x − |q − x|, x + |q − x|]``.

    ``arrays`` are the uncollapsed inputs (a delegation that is a veto player takes its rule's position). Issues
    without veto players, or without a status quo, get (−inf, +inf). The interval always contains the status quo.
    """
    struct = of(arrays) if struct is None else struct
    B, m = arrays.batch, arrays.n_issues
    lo, hi = np.full((B, m), -np.inf), np.full((B, m), np.inf)
    if not struct.vetoes:
        return lo, hi
    dels = {d.id: d for d in struct.delegations}
    cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def ideal(p: str) -> tuple[np.ndarray, np.ndarray] | None:
        if p not in cache:
            if p in dels:
                x, _, _, present = delegation_stance(arrays, dels[p])
                cache[p] = (x, present)
            elif p in arrays.actors:
                k = arrays.actors.index(p)
                cache[p] = (arrays.position[:, k], arrays.mask[:, k])
            else:
                return None  # an actor removed by an edit no longer vetoes
        return cache[p]

    q = arrays.status_quo
    for j, iid in enumerate(arrays.issues):
        players = struct.vetoes.get(iid)
        if not players:
            continue
        for p in players:
            got = ideal(p)
            if got is None:
                continue
            x, present = got[0][:, j], got[1][:, j]
            ok = present & np.isfinite(q[:, j])
            if struct.acceptance.get(iid, "ideal") == "win-set":
                d = np.abs(q[:, j] - x)
                a, b = x - d, x + d
            else:  # between the status quo and the ideal point, never past it
                a, b = np.minimum(q[:, j], x), np.maximum(q[:, j], x)
            lo[:, j] = np.where(ok, np.maximum(lo[:, j], a), lo[:, j])
            hi[:, j] = np.where(ok, np.minimum(hi[:, j], b), hi[:, j])
    # the status quo is acceptable to every player by definition; guard against rounding in x ± |q − x|
    finite_q = np.isfinite(q)
    lo = np.where(finite_q, np.minimum(lo, np.where(finite_q, q, np.inf)), lo)
    hi = np.where(finite_q, np.maximum(hi, np.where(finite_q, q, -np.inf)), hi)
    return lo, hi


def apply_vetoes(
    outcomes: np.ndarray, status: np.ndarray, lower: np.ndarray, upper: np.ndarray, status_quo: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(outcomes, status, moved): ``outcomes`` (B, m) clipped to [lower, upper]; gridlocked moves → no_agreement."""
    y0 = np.asarray(outcomes, float)
    y = np.where(np.isfinite(y0), np.clip(y0, lower, upper), y0)
    moved = np.isfinite(y0) & (y != y0)
    gridlock = moved & (upper - lower <= GRIDLOCK_TOL)
    y = np.where(gridlock, status_quo, y)
    st = np.where(gridlock, "no_agreement", np.asarray(status, dtype=object)).astype(object)
    return y, st, moved


# ---- the two steps around a model run ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Plan:
    """What a model run does around its kernel: collapse delegations before, project onto vetoes after."""

    struct: Structure
    delegations: str
    vetoes: str

    def prepare(self, arrays: ScenarioArrays) -> tuple[ScenarioArrays, np.ndarray]:
        if self.delegations == "collapse" and self.struct.delegations:
            return collapse(arrays, self.struct)
        return arrays, np.ones(arrays.n_actors, bool)

    def constrain(
        self, arrays: ScenarioArrays, outcomes: np.ndarray, status: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """(outcomes, status, extra arrays) after the veto projection (``arrays``: the uncollapsed inputs)."""
        if self.vetoes != "on" or not self.struct.vetoes:
            return outcomes, status, {}
        lo, hi = veto_bounds(arrays, self.struct)
        y, st, moved = apply_vetoes(outcomes, status, lo, hi, arrays.status_quo)
        return (
            y,
            st,
            {"unconstrained": np.asarray(outcomes, float), "veto_lower": lo, "veto_upper": hi, "vetoed": moved},
        )

    def describe(self) -> dict[str, Any]:
        return {"delegations": self.delegations, "vetoes": self.vetoes, **self.struct.describe()}


def plan(arrays: ScenarioArrays, delegations: str | None = None, vetoes: str | None = None) -> Plan:
    d, v = modes(arrays, delegations, vetoes)
    return Plan(of(arrays), d, v)


# ---- helpers for scenario readers -------------------------------------------------------------------------------
def unanimity(
    scenario: Scenario,
    issues: list[str] | None = None,
    *,
    note: str | None = None,
    actors: Collection[str] | None = None,
) -> Scenario:
    """A copy of ``scenario`` in which every actor taking part on each of ``issues`` (default: all) is a veto player.

    For decisions taken by unanimity (e.g. EU Council unanimity issues, Tsebelis & Garrett 2000). ``actors`` limits
    the veto players to those ids (e.g. the member states, not the institutions). Existing veto rules of other issues
    are kept; those of ``issues`` are replaced.
    """
    from detente.scenario.schema import Basis, VetoRule

    wanted = [i.id for i in scenario.issues] if issues is None else list(issues)
    known = {i.id for i in scenario.issues}
    for iid in wanted:
        if iid not in known:
            raise ParameterError(
                f"unanimity: issue {iid!r} is not in scenario {scenario.name!r}; expected {sorted(known)}"
            )
    rules = [v for v in scenario.vetoes if v.issue not in wanted]
    basis = Basis(note=note or "unanimity: every participating actor is a veto player")
    for iid in wanted:
        players = list(
            dict.fromkeys(
                st.actor for st in scenario.stances if st.issue == iid and (actors is None or st.actor in actors)
            )
        )
        if players:
            rules.append(VetoRule(issue=iid, players=players, basis=basis))
    data = scenario.model_dump(mode="python")
    data["vetoes"] = [r.model_dump(mode="python") for r in rules]
    return type(scenario).model_validate(data)
