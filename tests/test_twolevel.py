"""Delegations and veto players (Putnam 1988; Tsebelis 2002): properties of the mechanism, on any model.

The guarantees tested are those stated in :mod:`detente.scenario.twolevel`: every veto player weakly prefers the
projected outcome to the status quo (so no outcome lies beyond a veto player's ideal point, on the far side from the
status quo, by more than that player's distance from it); the projection is the identity when nothing binds, when
vetoes are off, or for a delegation of one; it moves outcomes only back toward the status quo; veto players on both
sides of the status quo lock it in. Tolerances: 1e-9 of a scale width (sums of a few floats).
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import detente
from detente.errors import ParameterError, ScenarioError
from detente.models import get
from detente.scenario.io import from_dict
from detente.scenario.twolevel import (
    DelegationSpec,
    Structure,
    apply_vetoes,
    collapse,
    delegation_stance,
    unanimity,
    veto_bounds,
    with_structure,
)
from detente.testing import scenario_arrays

EXAMPLES = settings(max_examples=150, deadline=None)
TOL = 1e-9
MODELS = ["compromise", "median", "nash"]


def _veto_structure(draw: st.DrawFn, actors: tuple[str, ...], issues: tuple[str, ...]) -> Structure:
    vetoes = {}
    for iid in issues:
        players = draw(st.lists(st.sampled_from(actors), min_size=0, max_size=len(actors), unique=True))
        if players:
            vetoes[iid] = tuple(players)
    return Structure((), vetoes)


@st.composite
def with_vetoes(draw: st.DrawFn, batch: int = 1) -> tuple:
    a = draw(scenario_arrays(batch=batch))
    struct = _veto_structure(draw, a.actors, a.issues)
    return with_structure(a, struct), struct


def _ideal(a, struct, p):
    k = a.actors.index(p)
    return a.position[:, k], a.mask[:, k]


@EXAMPLES
@given(with_vetoes(batch=3), st.sampled_from(MODELS))
def test_every_veto_player_weakly_prefers_the_outcome_to_the_status_quo(case, model):
    a, struct = case
    fc = get(model).solve(a)
    y, q = fc.outcomes, a.status_quo
    w = (a.upper - a.lower)[None, :]
    for j, iid in enumerate(a.issues):
        for p in struct.vetoes.get(iid, ()):
            x, present = _ideal(a, struct, p)
            ok = np.abs(y[:, j] - x[:, j]) <= np.abs(q[:, j] - x[:, j]) + TOL * w[:, j]
            assert np.all(ok | ~present[:, j]), (iid, p)
            # the default acceptance: the outcome lies between the status quo and the ideal point, never past it
            between = (y[:, j] >= np.minimum(q[:, j], x[:, j]) - TOL * w[:, j]) & (
                y[:, j] <= np.maximum(q[:, j], x[:, j]) + TOL * w[:, j]
            )
            assert np.all(between | ~present[:, j] | ~np.isfinite(q[:, j])), (iid, p)


@EXAMPLES
@given(with_vetoes(batch=3), st.sampled_from(MODELS))
def test_projection_moves_only_back_toward_the_status_quo_and_is_minimal(case, model):
    a, struct = case
    free = get(model).solve(a, vetoes="off").outcomes
    y = get(model).solve(a).outcomes
    q = a.status_quo
    w = (a.upper - a.lower)[None, :]
    lo, hi = veto_bounds(a)
    acceptable = (free >= lo) & (free <= hi)  # acceptable to every veto player: kept exactly
    np.testing.assert_array_equal(y[acceptable], free[acceptable])
    # y lies between the free outcome and the status quo (hull of y0 and q), hence on the scale
    assert np.all(y >= np.minimum(free, q) - TOL * w) and np.all(y <= np.maximum(free, q) + TOL * w)
    assert np.all(y >= a.lower - TOL * w) and np.all(y <= a.upper + TOL * w)
    # the nearest acceptable point: nothing in [lo, hi] is closer to the free outcome
    nearest = np.clip(free, lo, hi)
    assert np.all(np.abs(y - nearest) <= TOL * w)


@EXAMPLES
@given(with_vetoes(batch=2), st.sampled_from(MODELS))
def test_vetoes_off_is_the_identity(case, model):
    a, _ = case
    bare = with_structure(a, Structure())
    off = get(model).solve(a, vetoes="off")
    plain = get(model).solve(bare)
    np.testing.assert_array_equal(off.outcomes, plain.outcomes)
    np.testing.assert_array_equal(off.status, plain.status)
    assert off.info.get("structure", {"vetoes": "off"})["vetoes"] == "off" and "structure" not in plain.info


@EXAMPLES
@given(scenario_arrays(batch=2), st.sampled_from(["leader", "weighted-median", "weighted-mean"]), st.data())
def test_collapsing_a_delegation_of_one_is_the_identity(a, rule, data):
    who = data.draw(st.sampled_from(a.actors))
    struct = Structure((DelegationSpec(who, (who,), rule, who),), {})  # named as its only member
    out, keep = collapse(a, struct)
    assert keep.all() and out.actors == a.actors
    np.testing.assert_array_equal(out.mask, a.mask)
    np.testing.assert_allclose(out.position, a.position, rtol=0, atol=1e-12)
    np.testing.assert_allclose(out.salience, a.salience, rtol=0, atol=1e-12)
    np.testing.assert_allclose(out.capability, a.capability, rtol=0, atol=1e-12)
    for model in MODELS:
        fc1 = get(model).solve(with_structure(a, struct))
        fc0 = get(model).solve(a)
        np.testing.assert_allclose(fc1.outcomes, fc0.outcomes, rtol=0, atol=1e-9)


@EXAMPLES
@given(scenario_arrays(min_actors=3, batch=2), st.data())
def test_collapse_counts_a_delegation_once_with_its_rule(a, data):
    k = data.draw(st.integers(2, a.n_actors))
    members = tuple(a.actors[:k])
    leader = data.draw(st.sampled_from(members))
    struct = Structure((DelegationSpec("side", members, "leader", leader),), {})
    out, keep = collapse(a, struct)
    seat = a.actors.index(leader)
    assert out.actors[seat] == "side" and keep.sum() == a.n_actors - k + 1
    np.testing.assert_array_equal(out.position[:, seat], a.position[:, seat])
    others = [i for i in range(k) if i != seat]
    assert not out.mask[:, others].any() and not out.capability[:, others].any()
    # the compromise of the collapsed scenario equals that of the scenario without the other members
    fc = get("compromise").solve(with_structure(a, struct))
    rest = a.select_actors([i for i in range(a.n_actors) if i not in others])
    np.testing.assert_allclose(fc.outcomes, get("compromise").solve(rest).outcomes, rtol=0, atol=1e-9)
    assert fc.actors == out.actors and fc.trajectory.shape[2] == a.n_actors
    np.testing.assert_array_equal(fc.trajectory[:, 0][:, others], a.position[:, others])  # seated: unmoved
    # the weighted median rule gives a member's position, inside the members' hull
    med = DelegationSpec("side", members, "weighted-median")
    x, _, c, present = delegation_stance(a, med)
    pos = np.where(a.mask[:, :k], a.position[:, :k], np.nan)
    lo, hi = np.nanmin(pos, axis=1), np.nanmax(pos, axis=1)
    inside = (x >= lo - 1e-9) & (x <= hi + 1e-9)
    assert np.all(inside | ~present)
    assert np.all(c <= a.capability[:, :k].max(axis=1) + 1e-12)


def test_gridlock_veto_players_on_both_sides_keep_the_status_quo():
    pos = np.array([[10.0], [80.0], [50.0]])  # two veto players either side of q = 40, a third actor
    a = with_structure(
        detente.scenario.arrays.ScenarioArrays.from_numpy(
            pos, np.ones((3, 1)), np.array([1.0, 1.0, 5.0]), status_quo=np.array([40.0]), actors=("a", "b", "c")
        ),
        Structure((), {"I00": ("a", "b")}),
    )
    fc = get("compromise").solve(a)
    assert fc.outcomes[0, 0] == 40.0 and fc.status[0, 0] == "no_agreement"
    assert fc.arrays["unconstrained"][0, 0] == pytest.approx((10 + 80 + 250) / 7)
    # one veto player alone at 80: its win-set [x − |q − x|, x + |q − x|] = [40, 120] does not bind the free outcome
    b = with_structure(a, Structure((), {"I00": ("b",)}, {"I00": "win-set"}))
    assert get("compromise").solve(b).outcomes[0, 0] == pytest.approx(340 / 7)
    # nor does [q, x] = [40, 80] (the default acceptance): 340/7 ≈ 48.6 lies between the status quo and its ideal
    b = with_structure(a, Structure((), {"I00": ("b",)}))
    assert get("compromise").solve(b).outcomes[0, 0] == pytest.approx(340 / 7)
    # a veto player at 45: the default stops the outcome at its ideal, the win-set [40, 50] lets it pass (340/7)
    c = detente.scenario.arrays.ScenarioArrays.from_numpy(
        np.array([[20.0], [45.0], [55.0]]), np.ones((3, 1)), np.array([1.0, 1.0, 5.0]),
        status_quo=np.array([40.0]), actors=("a", "b", "c"),
    )  # fmt: skip
    free = get("compromise").solve(c).outcomes[0, 0]
    assert free == pytest.approx(340 / 7) and 45 < free < 50
    assert get("compromise").solve(with_structure(c, Structure((), {"I00": ("b",)}))).outcomes[0, 0] == 45.0
    win_set = with_structure(c, Structure((), {"I00": ("b",)}, {"I00": "win-set"}))
    assert get("compromise").solve(win_set).outcomes[0, 0] == pytest.approx(340 / 7)
    # a veto player at 45 with q = 40 accepts [40, 50]: the median (50) is kept, the mean of a, b alone is pulled back
    y, st_, moved = apply_vetoes(
        np.array([[60.0]]), np.array([["static"]], object), np.array([[40.0]]), np.array([[50.0]]), np.array([[40.0]])
    )
    assert y[0, 0] == 50.0 and moved[0, 0] and st_[0, 0] == "static"


def test_a_delegation_that_vetoes_uses_its_rule_even_with_actors_separate():
    pos = np.array([[90.0], [20.0], [30.0]])
    a = detente.scenario.arrays.ScenarioArrays.from_numpy(
        pos, np.ones((3, 1)), np.array([1.0, 1.0, 1.0]), status_quo=np.array([50.0]), actors=("lead", "m", "x")
    )
    struct = Structure((DelegationSpec("side", ("lead", "m"), "leader", "lead"),), {"I00": ("side",)})
    a = with_structure(a, struct)
    lo, hi = veto_bounds(a)
    assert (lo[0, 0], hi[0, 0]) == (50.0, 90.0)  # between the status quo and the leader's ideal, though "m" sits at 20
    sep = get("compromise").solve(a, delegations="separate")
    assert sep.outcomes[0, 0] == 50.0 and sep.info["structure"]["delegations"] == "separate"  # mean 46.7 → 50
    col = get("compromise").solve(a)
    assert col.outcomes[0, 0] == pytest.approx(60.0) and col.actors == ("side", "m", "x")


def test_batch_equals_draws_one_by_one():
    from hypothesis import find

    a = find(scenario_arrays(batch=4, min_actors=4), lambda x: x.n_issues >= 2)
    struct = Structure((DelegationSpec("d", a.actors[:2], "weighted-median"),), {a.issues[0]: ("d", a.actors[2])})
    a = with_structure(a, struct)
    for model in MODELS:
        whole = get(model).solve(a).outcomes
        for b in range(a.batch):
            np.testing.assert_allclose(get(model).solve(a.take(b)).outcomes[0], whole[b], rtol=0, atol=1e-9)


# ---- the scenario format ---------------------------------------------------------------------------------------
def _doc(**extra):
    doc = {
        "name": "t",
        "issues": [{"id": "x", "status_quo": 40}, {"id": "y", "status_quo": 50}],
        "actors": [{"id": "a", "capability": 10}, {"id": "b", "capability": 5}, {"id": "c", "capability": 20}],
        "stances": [
            {"actor": k, "issue": i, "position": p, "salience": 50}
            for k, i, p in [
                ("a", "x", 90),
                ("b", "x", 70),
                ("c", "x", 10),
                ("a", "y", 60),
                ("b", "y", 0),
                ("c", "y", 70),
            ]
        ],
    }
    doc.update(extra)
    return doc


def test_file_format_round_trip_and_provenance():
    s = from_dict(
        _doc(
            delegations=[{"id": "ab", "members": ["a", "b"], "rule": "weighted-mean"}],
            vetoes=[{"issue": "x", "players": ["ab", "c"]}],
        )
    )
    fc = detente.forecast(s, "median")
    assert fc.provenance()["structure"]["delegations"] == "collapse"
    assert fc.provenance()["structure"]["veto_players"] == {"x": ["ab", "c"]}
    # x: ab at (10·90 + 5·70)/15 = 83.3 and c at 10 are either side of q = 40: gridlock
    assert fc.outcome["x"] == 40.0 and fc.status[0, 0] == "no_agreement"
    doc = fc.to_dict()
    assert doc["structure"]["vetoes"] == "on"


@pytest.mark.parametrize(
    ("extra", "where"),
    [
        ({"delegations": [{"id": "d", "members": ["a", "zz"]}]}, "delegations[0].members[1]"),
        ({"delegations": [{"id": "d", "members": ["a"]}, {"id": "e", "members": ["a"]}]}, "delegations[1].members[0]"),
        ({"delegations": [{"id": "a", "members": ["a"]}]}, "delegations[0].id"),
        ({"delegations": [{"id": "d", "members": ["a"], "leader": "b"}]}, "delegations[0].leader"),
        ({"delegations": [{"id": "d", "members": []}]}, "delegations"),
        ({"vetoes": [{"issue": "nope", "players": ["a"]}]}, "vetoes[0].issue"),
        ({"vetoes": [{"issue": "x", "players": ["a", "ghost"]}]}, "vetoes[0].players[1]"),
        ({"vetoes": [{"issue": "x", "players": ["a"]}, {"issue": "x", "players": ["b"]}]}, "vetoes[1].issue"),
    ],
)
def test_bad_structure_is_one_clear_error(extra, where):
    with pytest.raises(ScenarioError, match=re.escape(where)) as e:
        from_dict(_doc(**extra), file="t.yaml")
    assert where in str(e.value) and "t.yaml" in str(e.value)


def test_bad_modes_are_parameter_errors():
    s = from_dict(_doc(vetoes=[{"issue": "x", "players": ["a"]}]))
    with pytest.raises(ParameterError, match="vetoes='maybe'"):
        detente.forecast(s, "compromise", vetoes="maybe")
    with pytest.raises(ParameterError, match="delegations='merge'"):
        detente.forecast(s, "compromise", delegations="merge")


def test_unanimity_makes_every_participant_a_veto_player():
    s = unanimity(from_dict(_doc()), ["x"])
    assert [(v.issue, v.players) for v in s.vetoes] == [("x", ["a", "b", "c"])]
    assert detente.forecast(s, "compromise").outcome["x"] == 40.0  # a, b above q = 40 and c below: gridlock
    assert len(unanimity(s).vetoes) == 2
    with pytest.raises(ParameterError, match="'z'"):
        unanimity(s, ["z"])


def test_removing_an_actor_prunes_its_delegation_and_vetoes():
    from detente.interventions import apply

    s = from_dict(
        _doc(
            delegations=[{"id": "ab", "members": ["a", "b"], "leader": "a"}, {"id": "cc", "members": ["c"]}],
            vetoes=[{"issue": "x", "players": ["cc"]}, {"issue": "y", "players": ["a", "cc"]}],
        )
    )
    t = apply(s, [{"op": "remove_actor", "actor": "c"}])
    assert [d.id for d in t.delegations] == ["ab"]
    assert [(v.issue, v.players) for v in t.vetoes] == [("y", ["a"])]
    u = apply(s, [{"op": "remove_actor", "actor": "a"}])
    assert u.delegations[0].members == ["b"] and u.delegations[0].leader is None
