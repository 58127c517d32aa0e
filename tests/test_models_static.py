"""The one-shot models (compromise, median, nash): reference numbers and Hypothesis properties.

Properties, on ≥ 200 generated scenarios each: the outcome lies inside the hull of the taking-part actors'
positions; permuting actors, or scaling all capabilities, changes nothing; mirroring a scale mirrors the outcome;
a batch gives the same answers as its draws one by one.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import detente
from detente.errors import ParameterError, ScenarioError, UnknownNameError
from detente.models import get
from detente.models.median import weighted_median
from detente.scenario.arrays import ScenarioArrays
from detente.testing import mirrored, scaled_capability, scenario_arrays

STATIC = ["compromise", "median", "nash", "nash(p=1)", "nash(cost=0.1)", "nash(p=1, cost=0.5)"]
EXAMPLES = settings(max_examples=200, deadline=None)
# outcomes are sums of a few dozen floats (compromise) or a 64-halving bisection (nash): 1e-9 of the scale width
TOL = 1e-9


def solve(spec, arrays):
    return get(spec).solve(arrays)


def width(a):
    return a.upper - a.lower


# ---- reference numbers --------------------------------------------------------------------------------------------
def test_emission_standards_median_and_compromise():
    s = detente.load("emission-standards-1994")
    assert detente.forecast(s, model="median").outcome["emission-standards"] == 7.0
    assert round(detente.forecast(s, model="compromise").outcome["emission-standards"], 6) == 7.389956


def test_compromise_by_hand():
    a = detente.ScenarioArrays.from_numpy([[0.0], [10.0]], [[1.0], [0.5]], [1.0, 4.0], lower=0, upper=10)
    # weights 1 and 2: (0*1 + 10*2)/3
    assert solve("compromise", a).outcomes[0, 0] == pytest.approx(20 / 3, abs=1e-12)


def test_median_tie_rules():
    x = np.array([[[1.0], [2.0], [3.0], [4.0]]])
    w = np.ones_like(x)
    assert weighted_median(x, w, "midpoint")[0, 0] == 2.5
    assert weighted_median(x, w, "lower")[0, 0] == 2.0
    assert weighted_median(x, w, "upper")[0, 0] == 3.0
    w2 = np.array([[[1.0], [1.0], [3.0], [1.0]]])
    assert weighted_median(x, w2, "midpoint")[0, 0] == 3.0  # no tie: 2 < 3 = half of 6 reached at x=3


def test_nash_two_actors_closed_form():
    """Two actors, quadratic loss, status quo outside both: maximise w1 log(r1²-(x-x1)²) + w2 log(r2²-(x-x2)²)."""
    a = detente.ScenarioArrays.from_numpy(
        [[2.0], [6.0]], [[1.0], [1.0]], [1.0, 1.0], status_quo=[0.0], lower=0, upper=10
    )
    x = solve("nash", a).outcomes[0, 0]
    # feasible (0, 4); symmetric weights → stationary point of log(4-(x-2)^2)... solve numerically by grid
    grid = np.linspace(1e-9, 4 - 1e-9, 400001)
    f = np.log(4 - (grid - 2) ** 2) + np.log(36 - (grid - 6) ** 2)
    assert x == pytest.approx(grid[np.argmax(f)], abs=1e-4)


def test_nash_no_agreement_when_an_actor_sits_at_the_status_quo():
    a = detente.ScenarioArrays.from_numpy(
        [[2.0], [6.0]], [[1.0], [1.0]], [1.0, 1.0], status_quo=[2.0], lower=0, upper=10
    )
    fc = solve("nash", a)
    assert fc.status[0, 0] == "no_agreement" and fc.outcomes[0, 0] == 2.0


def test_costly_no_agreement_closed_form():
    """The same two actors with a status quo at actor 1: cost 0.1 widens the radii to r'² = r² + 0.1·10²/s, so there is
    a deal, found by the same grid search (actor 1's r'² = 0 + 10, actor 2's 16 + 10)."""
    a = detente.ScenarioArrays.from_numpy(
        [[2.0], [6.0]], [[1.0], [1.0]], [1.0, 1.0], status_quo=[2.0], lower=0, upper=10
    )
    fc = solve("nash(cost=0.1)", a)
    grid = np.linspace(6 - np.sqrt(26) + 1e-9, 2 + np.sqrt(10) - 1e-9, 400001)  # where both gain
    f = np.log(10 - (grid - 2) ** 2) + np.log(26 - (grid - 6) ** 2)
    assert fc.status[0, 0] == "static" and fc.outcomes[0, 0] == pytest.approx(grid[np.argmax(f)], abs=1e-4)
    # salience now counts: halving actor 2's doubles its widening (26 → 36) and moves the deal toward actor 1
    b = detente.ScenarioArrays.from_numpy(
        [[2.0], [6.0]], [[1.0], [0.5]], [1.0, 1.0], status_quo=[2.0], lower=0, upper=10
    )
    assert solve("nash(cost=0.1)", b).outcomes[0, 0] < fc.outcomes[0, 0]


@pytest.mark.parametrize("seed", range(20))
def test_costly_no_agreement_tends_to_the_weighted_mean_and_median(seed):
    """For large cost c each actor's weight in the first-order condition is w_i s_i / G_i with G_i within c ± 1
    (utilities are bounded by 1 in these units), so the quadratic solution is a weighted mean whose weights differ from
    the compromise model's by a factor within (c+1)/(c−1): it lies within 2W/(c−1) of it (W the scale width). The
    linear one is the capability × salience weighted median wherever no cumulative weight lies within 2/(c−1) of
    half the total."""
    rng = np.random.default_rng(seed)
    n, m, c = int(rng.integers(2, 12)), 6, 1e6
    x = rng.uniform(0, 100, (n, m))
    a = detente.ScenarioArrays.from_numpy(
        x, rng.uniform(0.05, 1, (n, m)), rng.uniform(0.5, 3, n), status_quo=rng.uniform(0, 100, m), lower=0, upper=100
    )
    fc = solve(f"nash(cost={c})", a)
    assert (fc.status == "static").all()
    assert np.abs(fc.outcomes - solve("compromise", a).outcomes).max() <= 2 * 100 / (c - 1) + 1e-7
    w = a.weight[0]
    order = np.argsort(x, axis=0)
    share = np.cumsum(np.take_along_axis(w, order, 0), axis=0) / w.sum(axis=0)
    clear = (np.abs(share - 0.5) > 2 / (c - 1)).all(axis=0)
    assert clear.any()
    lin = solve(f"nash(p=1, cost={c})", a).outcomes[0]
    assert np.abs(lin - solve("median", a).outcomes[0])[clear].max() <= 1e-6


@pytest.mark.parametrize("spec", ["nash(cost=0.1)", "nash(p=1, cost=0.1)"])
def test_costly_no_agreement_over_a_vanishing_salience_is_the_limit(spec):
    """Saliences of 5e-324 make c W^p / s overflow: the solution is then the limit, the weighted mean (p = 2) or the
    weighted median, here an even split whose maximisers fill [0, 0.25]: its midpoint, so mirroring mirrors it
    (a case Hypothesis found: bisection over an infinite radius used to stop at the left end, 0, and 0.75 mirrored)."""
    a = detente.ScenarioArrays.from_numpy(
        [[0.0], [0.25]], [[5e-324], [5e-324]], [1.0, 1.0], status_quo=[0.0], lower=0, upper=1
    )
    assert solve(spec, a).outcomes[0, 0] == pytest.approx(0.125, abs=1e-12)
    assert solve(spec, mirrored(a)).outcomes[0, 0] == pytest.approx(0.875, abs=1e-12)


def test_nash_cost_is_checked():
    with pytest.raises(ParameterError, match="cost"):
        get("nash", cost=-1)
    with pytest.raises(ParameterError, match="cost"):
        get("nash", cost=float("inf"))


def test_nash_requires_status_quo_when_asked():
    a = detente.ScenarioArrays.from_numpy([[2.0], [6.0]], [[1.0], [1.0]], [1.0, 1.0], lower=0, upper=10)
    nash = get("nash", disagreement="status_quo")
    assert nash.cannot_run(a) == "issue 'I00' has no status quo; expected one, or disagreement='worst'"
    with pytest.raises(ScenarioError, match="cannot run it: issue 'I00' has no status quo"):
        nash.solve(a)


def test_registry_by_name_and_spec():
    m = get("nash(p=1)")
    assert m.params.p == 1 and repr(m) == "nash(p=1, disagreement='worst', cost=0.0)"
    with pytest.raises(UnknownNameError, match="expected one of"):
        get("no-such-model")
    with pytest.raises(ParameterError, match="unknown parameter 'q'"):
        get("median", q=1)


def test_forecast_provenance():
    fc = detente.forecast("road-toll", model="median", seed=3)
    d = fc.to_dict()
    assert d["model"] == "median" and d["seed"] == 3 and d["version"] == detente.__version__
    assert d["scenario"] == "road-toll" and len(d["scenario_hash"]) == 16
    assert len(d["trajectory"]) == 10 * 6 and d["converged"] is True


# ---- properties -----------------------------------------------------------------------------------------------------
def hull(a):
    lo = np.where(a.mask, a.position, np.inf).min(axis=1)
    hi = np.where(a.mask, a.position, -np.inf).max(axis=1)
    return lo, hi


@pytest.mark.parametrize("spec", STATIC)
@EXAMPLES
@given(a=scenario_arrays())
def test_inside_hull(spec, a):
    fc = solve(spec, a)
    lo, hi = hull(a)
    agreed = fc.status != "no_agreement"
    tol = TOL * width(a)
    assert np.all(~agreed | ((fc.outcomes >= lo - tol) & (fc.outcomes <= hi + tol)))
    assert np.all(agreed | (fc.outcomes == a.status_quo) | np.isnan(a.status_quo))


@pytest.mark.parametrize("spec", STATIC)
@EXAMPLES
@given(a=scenario_arrays(grid=True), data=st.data())
def test_permuting_actors_changes_nothing(spec, a, data):
    order = np.array(data.draw(st.permutations(range(a.n_actors))))
    base, perm = solve(spec, a), solve(spec, a.select_actors(order))
    np.testing.assert_allclose(perm.outcomes, base.outcomes, rtol=0, atol=TOL * width(a).max())
    assert (perm.status == base.status).all()


@pytest.mark.parametrize("spec", ["compromise", "median"])
def test_tiny_weights_neither_underflow_nor_lose_precision(spec):
    """Found by Hypothesis: saliences of 5e-324 (subnormal) made c·s sums imprecise, so the weighted mean of two
    actors both at 1.5 came out 2.0, and halving capability changed it. Weights are scaled per issue first."""
    pos = np.array([[1.5], [1.5]])
    for sal, cap in ((5e-324, 1.0), (5e-324, 0.5), (1e-200, 1e-200)):
        a = ScenarioArrays.from_numpy(
            pos, np.full((2, 1), sal), np.full((2, 1), cap), lower=np.array([1.5]), upper=np.array([2.5])
        )
        assert solve(spec, a).outcomes[0, 0] == 1.5
    a = ScenarioArrays.from_numpy(
        np.array([[0.0], [10.0]]), np.array([[1e-310], [3e-310]]), np.ones((2, 1)), lower=[0.0], upper=[10.0]
    )
    expected = {"compromise": 7.5, "median": 10.0}[spec]
    assert solve(spec, a).outcomes[0, 0] == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("spec", STATIC)
@EXAMPLES
@given(a=scenario_arrays(grid=True), k=st.floats(1e-3, 1e3))
def test_scaling_capabilities_changes_nothing(spec, a, k):
    base, scaled = solve(spec, a), solve(spec, scaled_capability(a, k))
    np.testing.assert_allclose(scaled.outcomes, base.outcomes, rtol=0, atol=TOL * width(a).max())


@pytest.mark.parametrize("spec", STATIC)
@EXAMPLES
@given(a=scenario_arrays(grid=True))
def test_mirroring_the_scale_mirrors_the_outcome(spec, a):
    base, mir = solve(spec, a), solve(spec, mirrored(a))
    expect = np.where(
        base.status == "no_agreement", a.lower + a.upper - a.status_quo, a.lower + a.upper - base.outcomes
    )
    np.testing.assert_allclose(mir.outcomes, expect, rtol=0, atol=TOL * width(a).max())


@pytest.mark.parametrize("spec", STATIC)
@settings(max_examples=50, deadline=None)
@given(a=scenario_arrays(batch=4))
def test_batch_equals_draws_one_by_one(spec, a):
    whole = solve(spec, a).outcomes
    for b in range(a.batch):
        np.testing.assert_array_equal(solve(spec, a.take(slice(b, b + 1))).outcomes[0], whole[b])


@st.composite
def _near_ties(draw):
    """Scenarios whose positions take one or two nearby values (where rounding in Σ w x / Σ w shows)."""
    n = draw(st.integers(2, 12))
    base = draw(st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False))
    step = draw(st.sampled_from([0.0, 1e-9, 0.1, 1.0]))
    x = base + step * np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)), float)
    sal = np.array(draw(st.lists(st.floats(0.01, 1), min_size=n, max_size=n)))
    cap = np.array(draw(st.lists(st.floats(0.01, 100), min_size=n, max_size=n)))
    lo, hi = min(x.min(), -1e6) - 1, max(x.max(), 1e6) + 1
    return ScenarioArrays.from_numpy(x[:, None], sal[:, None], cap, lower=lo, upper=hi)


@settings(max_examples=300, deadline=None)
@given(a=st.one_of(scenario_arrays(), _near_ties()))
def test_compromise_inside_hull_exactly(a):
    """No tolerance: the weighted mean never leaves [min, max] of the present positions, not even by one ULP."""
    fc = solve("compromise", a)
    lo, hi = hull(a)
    assert np.all((fc.outcomes >= lo) & (fc.outcomes <= hi))
    same = lo == hi
    assert np.all(~same | (fc.outcomes == lo))  # everyone at one position: exactly that position
