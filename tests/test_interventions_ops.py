"""Each edit operation is written once: on korea-2019, a scenario edited then turned into arrays equals the arrays
edited directly (or both refuse, with the same message), over Hypothesis-generated edit lists; and solving with
edits, dated ones included, modifies neither its inputs nor any forecast a model returned."""

from __future__ import annotations

import copy
from typing import Any, ClassVar

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import detente
from detente import interventions as iv
from detente.errors import ParameterError, ScenarioError
from detente.models import get
from detente.models.base import Forecast, Model
from detente.scenario.arrays import ScenarioArrays, to_arrays

from ._uncertainty_scenarios import toy
from .test_interventions import HalfwayModel

KOREA = detente.load("korea-2019")
ACTORS = [a.id for a in KOREA.actors]
ISSUES = [i.id for i in KOREA.issues]
_values = st.floats(-2, 2, allow_nan=False) | st.floats(-120, 120, allow_nan=False) | st.sampled_from([0.0, 1.0, 50.0])


@st.composite
def korea_edit(draw: st.DrawFn) -> dict[str, Any]:
    """One edit of any op on korea-2019's actors and issues (sometimes an unknown one, or off its range)."""
    op = draw(st.sampled_from(["set", "shift", "scale", "remove_actor", "set_status_quo", "add_actor"]))
    actor = draw(st.sampled_from([*ACTORS, "newcomer", "nobody"]))
    issue = draw(st.sampled_from([*ISSUES, "no-such-issue"]))
    if op in ("set", "shift", "scale"):
        e = {"op": op, "actor": actor, "field": draw(st.sampled_from(["position", "salience", "capability"]))}
        return {**e, "value": draw(_values), **({"issue": issue} if draw(st.booleans()) else {})}
    if op == "remove_actor":
        return {"op": op, "actor": actor}
    if op == "set_status_quo":
        return {"op": op, "issue": issue, "value": draw(_values)}
    held = draw(st.lists(st.sampled_from(ISSUES), min_size=0, max_size=3, unique=True))
    stances = [
        {
            "issue": i,
            "position": draw(st.floats(-10, 110, allow_nan=False)),
            "salience": draw(st.floats(0, 100, allow_nan=False)),
            **({"capability": draw(st.floats(0, 9, allow_nan=False))} if draw(st.booleans()) else {}),
        }
        for i in held
    ]
    new_id = draw(st.sampled_from(["newcomer", *ACTORS[:2]]))
    return {
        "op": op,
        "new_actor": {"id": new_id, "capability": draw(st.floats(-1, 9, allow_nan=False))},
        "stances": stances,
    }


def _same_arrays(got: ScenarioArrays, want: ScenarioArrays) -> None:
    assert got.actors == want.actors and got.issues == want.issues
    for f in ("position", "capability", "mask", "status_quo", "lower", "upper"):
        np.testing.assert_array_equal(getattr(got, f), getattr(want, f), err_msg=f)
    # salience: a scenario keeps 0–100 points and arrays 0–1, so (s + v) / 100 and s / 100 + v / 100 may differ in
    # the last bits; everything else is the same arithmetic on the same numbers and equal to the bit
    np.testing.assert_allclose(got.salience, want.salience, rtol=0, atol=1e-15)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(korea_edit(), min_size=1, max_size=4))
def test_every_op_edits_a_scenario_and_its_arrays_alike(edits):
    try:
        want = to_arrays(iv.apply(KOREA, edits))
    except ScenarioError as err:
        with pytest.raises(ScenarioError) as on_arrays:
            iv.apply_arrays(to_arrays(KOREA), edits)
        assert str(on_arrays.value) == str(err)  # one operation, one message
        return
    got = iv.apply_arrays(to_arrays(KOREA).with_batch(2), edits)
    assert got.batch == 2
    _same_arrays(got.take(1), want)
    _same_arrays(got.take(0), want)


def test_the_same_message_names_the_issue_on_both_sides():
    edit = {"op": "shift", "actor": "rok", "issue": "sequencing", "field": "position", "value": 30}
    old = next(s.position for s in KOREA.stances if s.actor == "rok" and s.issue == "sequencing")
    with pytest.raises(ScenarioError) as on_scenario:
        iv.apply(KOREA, [edit])
    with pytest.raises(ScenarioError) as on_arrays:
        iv.apply_arrays(to_arrays(KOREA), [edit])
    msg = str(on_scenario.value)
    assert msg == str(on_arrays.value)
    assert f"position of 'rok' on 'sequencing' becomes {old + 30:g}" in msg and "[0, 100]" in msg


# ---- solve modifies nothing it was given or got back ----------------------------------------------------------------
def _snapshot(fc: Forecast) -> dict[str, Any]:
    return copy.deepcopy(vars(fc))


def _assert_unchanged(fc: Forecast, before: dict[str, Any]) -> None:
    now = vars(fc)
    assert now.keys() == before.keys()
    for k, v in before.items():
        if isinstance(v, np.ndarray):
            assert now[k] is not None and now[k].shape == v.shape, k
            np.testing.assert_array_equal(now[k], v, err_msg=k)
        else:
            assert repr(now[k]) == repr(v), k


def _recording(cls: type[Model]) -> type[Model]:
    """A subclass of ``cls`` that keeps every forecast its ``solve`` returns, with a deep copy taken on return."""

    class Recording(cls):  # type: ignore[misc,valid-type]
        returned: ClassVar[list[tuple[Forecast, dict[str, Any]]]] = []

        def solve(self, arrays, **kw):  # type: ignore[no-untyped-def]
            fc = super().solve(arrays, **kw)
            Recording.returned.append((fc, _snapshot(fc)))
            return fc

    return Recording


DATED = [
    {"op": "shift", "actor": "a", "issue": "i1", "field": "position", "value": 5, "round": 2},
    {"op": "remove_actor", "actor": "c", "round": 3},
    {"op": "scale", "actor": "d", "field": "salience", "value": 0.5},
]


@pytest.mark.parametrize("name", ["halfway", "expected-utility", "exchange"])
def test_solve_modifies_neither_inputs_nor_returned_forecasts(name):
    cls = _recording(HalfwayModel if name == "halfway" else type(get(name)))
    model = cls(max_rounds=6) if name == "halfway" else cls()
    scenario, arrays = toy(), to_arrays(toy()).with_batch(2)
    scenario_before, arrays_before = scenario.model_dump(mode="json"), copy.deepcopy(vars(arrays))
    edits_before = copy.deepcopy(DATED)
    for target in (scenario, arrays):
        cls.returned.clear()
        fc = iv.solve(model, target, DATED, seed=5)
        assert len(cls.returned) == 3  # two segments, then the rest of the run
        for got, before in cls.returned:
            _assert_unchanged(got, before)
        assert fc.info["dated_edits"][0]["round"] == 2 and (np.asarray(fc.rounds) >= 3).all()
        assert fc.trajectory.shape[1] > cls.returned[-1][0].trajectory.shape[1]
    assert scenario.model_dump(mode="json") == scenario_before and DATED == edits_before
    for k, v in arrays_before.items():
        if isinstance(v, np.ndarray):
            np.testing.assert_array_equal(getattr(arrays, k), v, err_msg=k)
        else:
            assert getattr(arrays, k) == v, k


def test_a_dated_edit_on_a_static_model_names_the_capability_and_the_edit():
    edit = {"op": "set", "actor": "a", "issue": "i1", "field": "position", "value": 5, "round": 2}
    with pytest.raises(ParameterError) as ei:
        iv.solve("median", toy(), [edit])
    msg = str(ei.value)
    assert "model 'median' is not round-based" in msg and "edits[0]" in msg and "round = 2" in msg
    assert "expected-utility" in msg  # the models that can
