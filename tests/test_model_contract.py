"""The model contract, proved by every registered model (``detente.models.contract``).

Each test runs over ``available()``: a new model is done when it passes. Scenarios: korea-2019 and a small
generated batch (five actors, three issues, one on a −1..1 scale, one actor without a stance on one issue).
"""

from __future__ import annotations

import dataclasses
import json
import re
from functools import cache

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import detente
from detente.errors import ParameterError, ScenarioError, UnknownNameError
from detente.models import available, get
from detente.models.base import Forecast, Model
from detente.models.contract import COMMON_OUTPUTS, RunState, require
from detente.scenario.arrays import ScenarioArrays, to_arrays
from detente.testing import scenario_arrays
from detente.uncertainty.perturb import draw as perturbed

NAMES = sorted(available())
ROUND_BASED = [n for n in NAMES if available()[n].capabilities.round_based]
#: parameters under which a stochastic model draws (its defaults are deterministic)
DRAWING = {"exchange": {"p": 0.4, "max_rounds": 4}, "spatial": {"state_transitions": "Stochastic"}}
#: parameters under which a model that declares needs_status_quo needs one
NEEDING = {"nash": {"disagreement": "status_quo"}}
PERMUTATION_TOL = 1e-9  # issue units: sums over actors in another order may differ in the last bits


@cache
def korea() -> ScenarioArrays:
    return to_arrays(detente.load("korea-2019"))


@cache
def small() -> ScenarioArrays:
    """Three draws of five actors × three issues; issue 'c' on −1..1; actor 'e' holds no stance on issue 'b'."""
    rng = np.random.default_rng(12)
    B, n, m = 3, 5, 3
    lower, upper = np.array([0.0, 0.0, -1.0]), np.array([100.0, 10.0, 1.0])
    pos = lower + rng.random((B, n, m)) * (upper - lower)
    mask = np.ones((B, n, m), bool)
    mask[:, 4, 1] = False
    return ScenarioArrays.from_numpy(
        pos,
        0.2 + 0.8 * rng.random((B, n, m)),
        1.0 + 4.0 * rng.random((B, n)),
        mask=mask,
        status_quo=np.broadcast_to(lower + 0.3 * (upper - lower), (B, m)).copy(),
        lower=lower,
        upper=upper,
        actors=("a", "b", "c", "d", "e"),
        issues=("a", "b", "c"),
        name="small",
    )


def scenarios() -> list[ScenarioArrays]:
    return [korea(), small()]


def same(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype == object or b.dtype == object:
        return a.shape == b.shape and bool((a == b).all())
    return bool(np.array_equal(a, b, equal_nan=True))


def assert_same_run(got: Forecast, want: Forecast) -> None:
    """Outcomes, status, rounds and final positions identical (bit for bit)."""
    assert same(got.outcomes, want.outcomes)
    assert same(got.status, want.status)
    assert same(got.rounds, want.rounds)
    assert same(got.trajectory[:, -1], want.trajectory[:, -1])


# ---- capabilities ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_require_refuses_what_a_model_lacks(name):
    model = get(name)
    for cap, value, _ in type(model).capabilities.describe():
        if value:
            require(model, cap, "a test")
        else:
            with pytest.raises(ParameterError, match=f"model '{name}' .*which a test needs"):
                require(model, cap, "a test")


@pytest.mark.parametrize("name", NAMES)
def test_round_based_models_stop_after_and_others_refuse(name):
    model = get(name)
    if not model.capabilities.round_based:
        with pytest.raises(ParameterError, match="not round-based.*stop_after=2"):
            model.solve(korea(), stop_after=2)
        assert model.solve(korea()).state is None
        return
    for r in (0, 1, 2):
        fc = model.solve(small(), stop_after=r)
        assert fc.state is not None and fc.state.round <= r
        assert (fc.rounds <= r).all() and fc.trajectory.shape[1] <= r + 1
    with pytest.raises(ParameterError, match="stop_after=-1"):
        model.solve(korea(), stop_after=-1)


@pytest.mark.parametrize("name", NAMES)
def test_deterministic_models_ignore_the_seed(name):
    model = get(name)
    if model.capabilities.stochastic:
        assert not model.uses_randomness(), "a stochastic model's defaults should not draw"
        drawing = get(name, **DRAWING[name])
        assert drawing.uses_randomness()
        one, two = drawing.solve(korea(), seed=1), drawing.solve(korea(), seed=2)
        assert not same(one.trajectory, two.trajectory)  # it does draw
    for arrays in scenarios():
        one, two = model.solve(arrays, seed=1), model.solve(arrays, seed=2)
        assert_same_run(one, two)
        assert same(one.trajectory, two.trajectory)


@pytest.mark.parametrize("name", NAMES)
def test_models_that_need_a_status_quo_refuse_an_issue_without_one(name):
    arrays = dataclasses.replace(small(), status_quo=np.full_like(small().status_quo, np.nan))
    model = get(name, **NEEDING.get(name, {}))
    reason = model.cannot_run(arrays)
    if model.capabilities.needs_status_quo:
        assert name in NEEDING, "say under which parameters the model needs a status quo"
        assert reason is not None and "status quo" in reason
        with pytest.raises(ScenarioError, match=f"model '{name}' cannot run it: .*status quo"):
            model.solve(arrays)
    else:
        assert reason is None
        assert np.isfinite(model.solve(arrays).outcomes).all()


# ---- one entry point -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_keep_final_equals_full(name):
    configs = [{}] + ([DRAWING[name]] if name in DRAWING else [])
    for params in configs:
        model = get(name, **params)
        for arrays in scenarios():
            full = model.solve(arrays, seed=4)
            final = model.solve(arrays, seed=4, keep="final")
            assert_same_run(final, full)
            B, _, n, m = full.trajectory.shape
            assert final.trajectory.shape == (B, 1, n, m)
            assert final.tables == {} and final.arrays == {} and set(final.info) <= {"structure"}
            assert final.provenance() == full.provenance()


@pytest.mark.parametrize("name", ROUND_BASED)
@pytest.mark.parametrize("r", [1, 3])
def test_stop_after_then_start_equals_one_run(name, r):
    model = get(name)
    for arrays in scenarios():
        one = model.solve(arrays)
        part = model.solve(arrays, stop_after=r)
        assert part.state is not None and part.state.round == min(r, int(one.rounds.max()))
        rest = model.solve(arrays, start=part.state)
        assert_same_run(rest, one)
        assert rest.trajectory.shape[1] == one.trajectory.shape[1] - part.state.round
        assert same(rest.trajectory, one.trajectory[:, part.state.round :])
        lean = model.solve(arrays, start=model.solve(arrays, stop_after=r, keep="final").state, keep="final")
        assert_same_run(lean, one)
        # in two steps, through a second stop
        mid = model.solve(arrays, start=part.state, stop_after=r + 2)
        assert_same_run(model.solve(arrays, start=mid.state), one)


#: round limits low enough for random scenarios to hit them (and for the test to stay quick)
SHORT = {"exchange": {"max_rounds": 6}, "expected-utility": {"max_rounds": 12}, "spatial": {"max_rounds": 8}}


@pytest.mark.parametrize("name", ROUND_BASED)
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    arrays=scenario_arrays(min_issues=2, max_actors=6, batch=2, grid=True),
    r=st.integers(0, 7),
    keep=st.sampled_from(["full", "final"]),
)
def test_stop_and_start_on_random_scenarios(name, arrays, r, keep):
    """Random scales, ties, absent stances, zero saliences, draws that stop before others, ``stop_after=0``."""
    model = get(name, **SHORT.get(name, {}))
    if model.cannot_run(arrays) is not None:
        return
    one = model.solve(arrays)
    part = model.solve(arrays, stop_after=r, keep=keep)
    assert_same_run(model.solve(arrays, start=part.state, keep=keep), one)


@pytest.mark.parametrize("name", [n for n in ROUND_BASED if n in DRAWING])
def test_a_drawing_run_continues_with_its_generator(name):
    """One draw: the generator's state at the stop is part of the model's state."""
    model = get(name, **DRAWING[name])
    arrays = small().take([0])
    one = model.solve(arrays, seed=9)
    part = model.solve(arrays, seed=9, stop_after=2)
    assert_same_run(model.solve(arrays, start=part.state), one)


@pytest.mark.parametrize("name", ROUND_BASED)
def test_start_refuses_a_state_of_other_actors(name):
    state = get(name).solve(small(), stop_after=1).state
    assert isinstance(state, RunState)
    with pytest.raises(ParameterError, match="expected the same actors"):
        get(name).solve(small().select_actors([0, 1, 2, 3]), start=state)
    other = next(n for n in ROUND_BASED if n != name)
    with pytest.raises(ParameterError, match=f"state of model '{name}' cannot start model '{other}'"):
        get(other).solve(small(), start=state)


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_bytes(name):
    model = get(name, **DRAWING.get(name, {}))
    for arrays in scenarios():
        docs = [json.dumps(model.solve(arrays, seed=11).to_dict(), sort_keys=True) for _ in range(2)]
        assert docs[0] == docs[1]


@pytest.mark.parametrize("name", NAMES)
def test_forecasts_are_frozen(name):
    fc = get(name).solve(small())
    with pytest.raises(dataclasses.FrozenInstanceError):
        fc.rounds = fc.rounds + 1  # type: ignore[misc]


# ---- invariances -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_actor_permutation_leaves_outcomes(name):
    """Reordering the actors changes no outcome (to PERMUTATION_TOL), unless the model declares why it may."""
    model = get(name)
    why = model.capabilities.order_dependent
    for arrays in scenarios():
        perm = np.random.default_rng(3).permutation(arrays.n_actors)
        want = model.solve(arrays)
        got = model.solve(arrays.select_actors(perm))
        close = np.allclose(got.outcomes, want.outcomes, rtol=0, atol=PERMUTATION_TOL, equal_nan=True)
        if why:
            continue  # declared order-dependent: nothing to hold it to
        assert close, f"{name} changes its outcome when the actors are reordered"
        assert same(got.status, want.status)


@pytest.mark.parametrize("name", NAMES)
def test_batch_equals_single_draws(name):
    batch = perturbed(detente.load("korea-2019"), draws=3, seed=7)
    model = get(name)
    whole = model.solve(batch, keep="final")
    for i in range(3):
        one = model.solve(batch.take([i]), keep="final")
        assert same(one.outcomes[0], whole.outcomes[i])
        assert same(one.status[0], whole.status[i]) and same(one.rounds[0], whole.rounds[i])
        assert same(one.trajectory[0], whole.trajectory[i])


# ---- declared outputs --------------------------------------------------------------------------------------------
def _dims(shape: str) -> int:
    inside = re.match(r"\((.*)\)", shape)
    assert inside, f"array shape {shape!r}: expected '(B, …)'"
    return len([d for d in inside.group(1).split(",") if d.strip()])


@pytest.mark.parametrize("name", NAMES)
def test_outputs_produced_are_declared_and_declared_are_produced(name):
    cls = available()[name]
    declared = {(o.kind, o.name): o for o in cls.declared_outputs()}
    assert len(declared) == len(cls.declared_outputs()), "an output is declared twice"
    always = {k for k, o in declared.items() if not o.when}
    for arrays in scenarios():
        fc = get(name).solve(arrays, seed=1)
        produced = (
            {("table", k) for k in fc.tables} | {("array", k) for k in fc.arrays} | {("info", k) for k in fc.info}
        )
        assert produced <= set(declared), f"undeclared: {sorted(produced - set(declared))}"
        assert always <= produced, f"declared but not produced: {sorted(always - produced)}"
        for (kind, key), out in declared.items():
            if (kind, key) not in produced:
                continue
            value = fc.output(key, kind=kind)
            if kind == "table":
                assert list(value.columns) == out.shape.split(", "), key
            elif kind == "array":
                assert np.ndim(value) == _dims(out.shape), key
    with pytest.raises(UnknownNameError, match="declares no output 'nonsense'"):
        fc.output("nonsense")


def test_every_model_declares_its_own_outputs_apart_from_the_common_ones():
    common = {(o.kind, o.name) for o in COMMON_OUTPUTS}
    for name, cls in available().items():
        assert issubclass(cls, Model)
        assert not common & {(o.kind, o.name) for o in cls.outputs}, name


@pytest.mark.parametrize("name", ROUND_BASED)
@pytest.mark.parametrize("delegations", ["separate", "collapse"])
def test_a_dated_edit_that_changes_nothing_is_one_run(name, delegations):
    """Dated edits stop the model and continue it from its own state: an edit that changes nothing (at round 2,
    before any korea-2019 issue stops) gives the run without it, trajectory included."""
    from detente import interventions

    s = detente.load("korea-2019")
    edit = {"op": "shift", "actor": "dprk", "field": "salience", "value": 0, "round": 2}
    fc = interventions.solve(get(name), s, [edit], delegations=delegations)
    one = get(name).solve(korea(), delegations=delegations)
    assert_same_run(fc, one)
    assert same(fc.trajectory, one.trajectory)


@pytest.mark.parametrize("name", NAMES)
def test_detente_models_name_prints_capabilities_and_outputs(name):
    from typer.testing import CliRunner

    from detente.cli import _load_commands, app

    _load_commands()
    res = CliRunner().invoke(app, ["models", name], env={"COLUMNS": "250"})
    assert res.exit_code == 0, res.output
    assert f"{name}: capabilities" in res.output and f"{name}: outputs" in res.output
    caps = available()[name].capabilities
    for what, value, _ in caps.describe():
        assert re.search(rf"{what.replace('_', '-')}\s+{'yes' if value else 'no'}\b", res.output), what
    for out in available()[name].declared_outputs():
        assert re.search(rf"^\s*{re.escape(out.name)}\s+{out.kind}\b", res.output, re.M), out.name


@pytest.mark.parametrize("name", ROUND_BASED)
@pytest.mark.parametrize("r", [0, 1])
def test_a_draw_that_stopped_before_the_others_keeps_its_outcome(name, r):
    """Draw 1 has nothing to move (every actor at one point) and stops at once; draw 0 runs on."""
    position = np.array([[[0.0, 0.0], [0.25, 0.25]], [[0.25, 0.25], [0.25, 0.25]]])
    salience = np.array([[[0.5, 1.0], [1.0, 1.0]], [[1.0, 1.0], [1.0, 1.0]]])
    arrays = ScenarioArrays.from_numpy(position, salience, np.ones((2, 2)), lower=0.0, upper=1.0)
    model = get(name)
    one = model.solve(arrays)
    part = model.solve(arrays, stop_after=r)
    rest = model.solve(arrays, start=part.state)
    assert_same_run(rest, one)
    assert np.isfinite(rest.outcomes).all() and np.isfinite(part.outcomes).all()


@pytest.mark.parametrize("name", ROUND_BASED)
def test_dated_edits_keep_final_equals_full(name):
    from detente import interventions

    edits = [
        {"op": "scale", "actor": "dprk", "field": "salience", "value": 0.8, "round": 1},
        {"op": "set", "actor": "rok", "issue": "sequencing", "field": "position", "value": 60, "round": 3},
    ]
    s = detente.load("korea-2019")
    full = interventions.solve(get(name), s, edits, seed=2)
    final = interventions.solve(get(name), s, edits, seed=2, keep="final")
    assert_same_run(final, full)
    assert final.trajectory.shape[1] == 1 and final.seed == full.seed == 2
