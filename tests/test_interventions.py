"""What-if edits: every op on scenarios and on arrays, errors that name the edit, dated edits, and the
acceptance line "removing an actor by intervention equals the scenario without that actor, for every model"."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field

from detente import interventions as iv
from detente.errors import ParameterError, ScenarioError, UnknownNameError
from detente.models import available, get
from detente.models.base import Keep, Model, Solution
from detente.models.contract import Capabilities, RunState
from detente.scenario.arrays import ScenarioArrays, to_arrays
from detente.scenario.schema import Scenario

from ._uncertainty_scenarios import toy, toy_dict


def stance(s: Scenario, actor: str, issue: str):
    return next(st for st in s.stances if st.actor == actor and st.issue == issue)


# ---- the ops on a scenario --------------------------------------------------------------------------------------
def test_set_shift_scale_position_salience_capability_on_one_issue():
    s = toy()
    e = iv.apply(
        s,
        [
            {"op": "set", "actor": "a", "issue": "i1", "field": "position", "value": 25},
            {"op": "shift", "actor": "b", "issue": "i1", "field": "salience", "value": -20},
            {"op": "scale", "actor": "c", "issue": "i1", "field": "capability", "value": 2.5},
        ],
    )
    assert stance(e, "a", "i1").position == 25
    assert stance(e, "b", "i1").salience == 30
    assert stance(e, "c", "i1").capability == 2.5  # c's capability 1 × 2.5, as a per-issue override
    assert e.actor("c").capability == 1  # the actor's own capability is untouched
    assert stance(s, "a", "i1").position == 10  # the input is not modified


def test_issue_omitted_edits_all_the_actors_issues():
    e = iv.apply(toy(), {"op": "shift", "actor": "a", "field": "salience", "value": 5})
    assert (stance(e, "a", "i1").salience, stance(e, "a", "i2").salience) == (85, 45)


def test_capability_without_issue_edits_the_actor_and_its_overrides():
    s = toy()
    scaled = iv.apply(s, {"op": "scale", "actor": "b", "field": "capability", "value": 2})
    assert scaled.actor("b").capability == 4 and stance(scaled, "b", "i2").capability == 10
    fixed = iv.apply(s, {"op": "set", "actor": "b", "field": "capability", "value": 7})
    assert fixed.actor("b").capability == 7 and stance(fixed, "b", "i2").capability is None
    np.testing.assert_array_equal(to_arrays(fixed).capability[0, 1], [7, 7])


def test_add_remove_actor_and_status_quo():
    s = toy()
    e = iv.apply(s, "newcomer")
    assert e.name == "toy+newcomer"
    assert [a.id for a in e.actors] == ["a", "b", "c", "d", "e"]
    assert stance(e, "e", "i1").position == 50 and stance(e, "e", "i1").salience == 60
    r = iv.apply(s, "no-c")
    assert [a.id for a in r.actors] == ["a", "b", "d"] and all(st.actor != "c" for st in r.stances)
    q = iv.apply(s, {"op": "set_status_quo", "issue": "i2", "value": -0.25})
    assert q.issue("i2").status_quo == -0.25


def test_variant_objects_and_ids_give_the_same_result():
    s = toy()
    assert iv.apply(s, "shift-a") == iv.apply(s, s.variant("shift-a"))
    with pytest.raises(UnknownNameError, match="no variant 'nope'"):
        iv.apply(s, "nope")


# ---- errors name the variant, the edit, the field and the value ---------------------------------------------------
def test_off_scale_edit_names_variant_edit_field_and_value():
    with pytest.raises(ScenarioError) as ei:
        iv.apply(toy(), "too-far")
    msg = str(ei.value)
    assert "variant 'too-far' edits[1]" in msg
    assert "position" in msg and "120" in msg and "30" in msg and "[0, 100]" in msg


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        ({"op": "set", "actor": "a", "issue": "i1", "field": "salience", "value": 101}, "salience"),
        ({"op": "shift", "actor": "a", "issue": "i2", "field": "position", "value": -0.6}, "-1.1"),
        ({"op": "scale", "actor": "a", "issue": "i1", "field": "capability", "value": -1}, "capability"),
        ({"op": "set", "actor": "zz", "issue": "i1", "field": "position", "value": 1}, "unknown actor"),
        ({"op": "set", "actor": "a", "issue": "zz", "field": "position", "value": 1}, "unknown issue"),
        ({"op": "set", "actor": "c", "issue": "i2", "field": "position", "value": 0}, "no stance"),
        ({"op": "set", "actor": "a", "issue": "i1", "field": "position"}, "needs 'value'"),
        ({"op": "set_status_quo", "issue": "i1", "value": 101}, "status quo"),
        ({"op": "remove_actor", "actor": "zz"}, "unknown actor"),
        (
            {
                "op": "add_actor",
                "new_actor": {"id": "a", "capability": 1},
                "stances": [{"issue": "i1", "position": 5, "salience": 5}],
            },
            "exists already",
        ),
        (
            {
                "op": "add_actor",
                "new_actor": {"id": "e", "capability": 1},
                "stances": [{"issue": "i1", "position": 500, "salience": 5}],
            },
            "500",
        ),
        ({"op": "add_actor", "new_actor": {"id": "e", "capability": -1}, "stances": []}, "capability"),
    ],
)
def test_bad_edits_raise_scenario_errors_on_scenarios_and_arrays(edit, fragment):
    with pytest.raises(ScenarioError, match="edits\\[0\\]") as ei:
        iv.apply(toy(), [edit])
    assert fragment in str(ei.value)
    with pytest.raises(ScenarioError, match="edits\\[0\\]"):
        iv.apply_arrays(to_arrays(toy()), [edit])


def test_malformed_edit_is_a_scenario_error():
    with pytest.raises(ScenarioError, match="edits\\[0\\].op"):
        iv.apply(toy(), [{"op": "teleport", "actor": "a"}])


# ---- arrays level agrees with scenario level -------------------------------------------------------------------------
EDITS = [
    {"op": "set", "actor": "a", "issue": "i1", "field": "position", "value": 25},
    {"op": "shift", "actor": "b", "field": "salience", "value": -20},
    {"op": "scale", "actor": "b", "field": "capability", "value": 1.5},
    {"op": "scale", "actor": "d", "issue": "i2", "field": "capability", "value": 0.5},
    {"op": "set", "actor": "d", "field": "capability", "value": 9},
    {"op": "set_status_quo", "issue": "i2", "value": 0.3},
    {"op": "remove_actor", "actor": "c"},
    {
        "op": "add_actor",
        "actor": "e",
        "new_actor": {"capability": 4},
        "stances": [{"issue": "i2", "position": 0.1, "salience": 60, "capability": 1.5}],
    },
]


def test_apply_arrays_matches_apply_then_to_arrays():
    s = toy()
    want = to_arrays(iv.apply(s, EDITS))
    got = iv.apply_arrays(to_arrays(s).with_batch(3), EDITS)
    assert got.actors == want.actors and got.batch == 3
    for f in ("position", "salience", "capability", "mask", "status_quo"):
        np.testing.assert_allclose(getattr(got, f), np.repeat(getattr(want, f), 3, axis=0), rtol=0, atol=1e-15)


def test_apply_arrays_clip_mode_counts_clipped_cells():
    arr = to_arrays(toy())
    counter: dict[str, int] = {}
    out = iv.apply_arrays(
        arr, [{"op": "shift", "actor": "c", "field": "position", "value": 30}], on_bounds="clip", counter=counter
    )
    assert out.position[0, 2, 0] == 100 and counter == {"clipped": 1}


# ---- removing an actor equals the scenario without it, for every registered model -------------------------------
def without_c() -> Scenario:
    d = toy_dict()
    d["actors"] = [a for a in d["actors"] if a["id"] != "c"]
    d["stances"] = [st for st in d["stances"] if st["actor"] != "c"]
    return Scenario.model_validate(d)


@pytest.mark.parametrize("name", sorted(available()))
def test_remove_actor_by_intervention_equals_scenario_without_it(name):
    model = get(name)
    by_edit = iv.solve(model, toy(), "no-c", seed=7)
    direct = model.solve(to_arrays(without_c()), seed=7)
    assert by_edit.actors == direct.actors == ("a", "b", "d")
    np.testing.assert_array_equal(by_edit.outcomes, direct.outcomes)
    np.testing.assert_array_equal(by_edit.trajectory, direct.trajectory)
    np.testing.assert_array_equal(by_edit.status, direct.status)


# ---- dated edits ---------------------------------------------------------------------------------------------------
class _Rounds(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_rounds: int = Field(default=40, ge=1)


class HalfwayModel(Model[_Rounds]):
    """A test model (not registered): each round every actor moves halfway to the weighted mean, which therefore
    stays where it is; the outcome is that mean. A dated position edit at round r changes it by w_a (v − x_a(r)) / W."""

    name = "halfway-test"
    Params = _Rounds
    capabilities = Capabilities(round_based=True)

    def _solve_rounds(
        self,
        arrays: ScenarioArrays,
        rng: np.random.Generator,
        keep: Keep,
        stop_after: int | None,
        start: RunState | None,
    ) -> Solution:
        w = arrays.weight
        x = arrays.position.copy()  # (a continued run: Model.solve puts the start state's positions here)
        traj = [x]
        t0 = 0 if start is None else start.round
        last = self.params.max_rounds if stop_after is None else min(stop_after, self.params.max_rounds)
        for _ in range(t0, last):
            mean = (w * x).sum(axis=1, keepdims=True) / w.sum(axis=1, keepdims=True)
            x = np.where(arrays.mask, x + 0.5 * (mean - x), x)
            traj.append(x)
        B, m = arrays.batch, arrays.n_issues
        out = (w * x).sum(axis=1) / w.sum(axis=1)
        R = max(last, t0)
        rounds = np.full((B, m), R)
        state = RunState(self.name, arrays.actors, arrays.issues, R, x, rounds, np.zeros((B, m), bool))
        return Solution(out, np.stack(traj, axis=1), np.full((B, m), "max_rounds", dtype=object), rounds, state=state)


def test_dated_edit_is_applied_at_its_round():
    s = toy()
    arr = to_arrays(s)
    w = arr.weight[0, :, 0]
    x0 = arr.position[0, :, 0]
    mu = (w * x0).sum() / w.sum()
    r, v = 3, 95.0
    x_r = mu + 0.5**r * (x0[0] - mu)  # actor a's position at round 3
    edit = {"op": "set", "actor": "a", "issue": "i1", "field": "position", "value": v, "round": r}
    fc = iv.solve(HalfwayModel(max_rounds=10), s, [edit])
    assert fc.outcomes[0, 0] == pytest.approx(mu + w[0] * (v - x_r) / w.sum(), rel=1e-12)
    # one run of 10 rounds with an edit at round 3 (the round limit counts every round)
    assert fc.trajectory.shape[1] == 10 + 1 and fc.trajectory[0, r, 0, 0] == v
    assert fc.rounds[0, 0] == 10 and fc.info["dated_edits"][0]["round"] == r
    undated = iv.solve(HalfwayModel(max_rounds=10), s, [{**edit, "round": None}])
    assert undated.outcomes[0, 0] == pytest.approx(mu + w[0] * (v - x0[0]) / w.sum(), rel=1e-12)
    # apply() works on data without rounds: dated edits at round 0 by default, or refused on request
    assert stance(iv.apply(s, [edit]), "a", "i1").position == v
    with pytest.raises(ParameterError, match="round=3"):
        iv.apply(s, [edit], dated="error")


def test_dated_edit_on_a_static_model_is_a_parameter_error():
    edit = {"op": "set", "actor": "a", "issue": "i1", "field": "position", "value": 5, "round": 2}
    with pytest.raises(ParameterError, match="no rounds"):
        iv.solve("compromise", toy(), [edit])


@pytest.mark.parametrize("name", [n for n, cls in sorted(available().items()) if cls.capabilities.round_based])
def test_dated_edits_run_on_every_round_based_model(name):
    edit = {"op": "shift", "actor": "d", "field": "salience", "value": 10, "round": 2}
    fc = iv.solve(get(name), toy(), [edit], seed=3)
    assert np.isfinite(fc.outcomes).all()
    assert fc.info["dated_edits"] == [{"round": 2, "edit": "edits[0]", "what": "shift salience of 'd' (10)"}]
    assert (fc.rounds >= 2).all()


_edit = st.fixed_dictionaries(
    {
        "op": st.sampled_from(["set", "shift", "scale"]),
        "actor": st.sampled_from(["a", "b", "c", "d"]),
        "issue": st.sampled_from(["i1", "i2", None]),
        "field": st.sampled_from(["position", "salience", "capability"]),
        "value": st.floats(-2, 2, allow_nan=False) | st.floats(-100, 100, allow_nan=False),
    }
)


@settings(max_examples=60, deadline=None)
@given(edits=st.lists(_edit, min_size=1, max_size=4))
def test_scenario_and_arrays_level_agree_or_both_refuse(edits):
    s = toy()
    try:
        want = to_arrays(iv.apply(s, edits))
    except ScenarioError:
        with pytest.raises(ScenarioError):
            iv.apply_arrays(to_arrays(s), edits)
        return
    got = iv.apply_arrays(to_arrays(s), edits)
    for f in ("position", "salience", "capability", "mask", "status_quo"):
        np.testing.assert_allclose(getattr(got, f), getattr(want, f), rtol=1e-12, atol=1e-12)


def test_dated_removal_and_arrival_of_actors():
    """Bolton-style departure at round 2 and a newcomer at round 4: the joined trajectory follows the final actors."""
    edits = [
        {"op": "remove_actor", "actor": "c", "round": 2},
        {
            "op": "add_actor",
            "round": 4,
            "new_actor": {"id": "e", "capability": 2},
            "stances": [{"issue": "i1", "position": 70, "salience": 50}],
        },
    ]
    fc = iv.solve(HalfwayModel(max_rounds=5), toy(), edits)
    assert fc.actors == ("a", "b", "d", "e") and fc.trajectory.shape == (1, 5 + 1, 4, 2)
    assert np.isnan(fc.trajectory[0, :4, 3]).all() and fc.trajectory[0, 4, 3, 0] == 70
    np.testing.assert_allclose(fc.trajectory[0, 0, :3], to_arrays(toy()).position[0, [0, 1, 3]])


def test_as_of_applies_dated_events_in_order():
    """korea-2019's events reproduce the period: after 2019-09-10 the hawks (Bolton) are gone."""
    import detente
    from detente.interventions import as_of

    korea = detente.load("korea-2019")
    before, after = as_of(korea, "2019-09-09"), as_of(korea, "2019-09-10")
    assert "us-hawks" in [a.id for a in before.actors] and "us-hawks" not in [a.id for a in after.actors]
    assert after.name == "korea-2019@2019-09-10"
    # nothing dated before the first event changes the stances
    assert as_of(korea, "2000-01-01").stances == korea.stances
    # the full period applies every event: same as applying each event's edits by hand, in date order
    by_hand = korea
    for ev in sorted(korea.events, key=lambda e: e.date):
        if ev.edits:
            by_hand = iv.apply(by_hand, ev.edits)
    assert as_of(korea, "2020-12-31").stances == by_hand.stances


def test_as_of_rejects_a_bad_date():
    import detente
    from detente.errors import ParameterError
    from detente.interventions import as_of

    with pytest.raises(ParameterError, match="YYYY-MM-DD"):
        as_of(detente.load("korea-2019"), "2019-13-01")
