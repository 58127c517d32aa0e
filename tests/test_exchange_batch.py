"""The exchange model's lock-step batch equals its draws solved one at a time, bit for bit.

Blocks of one draw (``_LOCKSTEP_CANDIDATES = 1``) run each draw's rounds alone, and
``_exchange_tables._build_tables_loop`` builds the tables one draw and round at a time; the default path runs all
draws of the batch together (``play_round`` on the whole block) and builds the tables vectorised. Every output must be
equal exactly: outcomes, trajectory, status, rounds, every table (``check_exact``), every array and ``info``.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from functools import cache

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import detente
import detente.models.exchange as exchange_module
from detente.models import get
from detente.models._exchange_tables import _build_tables_loop
from detente.scenario.arrays import ScenarioArrays
from detente.testing import scenario_arrays
from detente.uncertainty.perturb import draw as perturbed

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PRESETS = ("default", "decide_compat")


@contextmanager
def one_draw_at_a_time():
    """Inside the block, run every draw's rounds alone and build the tables with the per-draw reference loop."""
    saved = exchange_module.build_tables, exchange_module._LOCKSTEP_CANDIDATES
    exchange_module.build_tables, exchange_module._LOCKSTEP_CANDIDATES = _build_tables_loop, 1
    try:
        yield
    finally:
        exchange_module.build_tables, exchange_module._LOCKSTEP_CANDIDATES = saved


def solve_both(arr: ScenarioArrays, **params):
    model = get("exchange", **params)
    off = {"delegations": "separate", "vetoes": "off"}  # the kernel alone, without a scenario's two-level structure
    with one_draw_at_a_time():
        ref = model.solve(arr, seed=5, **off)
    return model.solve(arr, seed=5, **off), ref


def assert_identical(a, b) -> None:
    for key in ("outcomes", "trajectory", "rounds"):
        x, y = getattr(a, key), getattr(b, key)
        assert x.dtype == y.dtype and np.array_equal(x, y, equal_nan=True), key
    assert a.status.dtype == b.status.dtype and np.array_equal(a.status, b.status)
    assert a.tables.keys() == b.tables.keys()
    for key in a.tables:
        pd.testing.assert_frame_equal(a.tables[key], b.tables[key], check_exact=True)
    assert a.arrays.keys() == b.arrays.keys()
    for key in a.arrays:
        assert np.array_equal(a.arrays[key], b.arrays[key], equal_nan=True), key
    assert json.dumps(a.info, sort_keys=True) == json.dumps(b.info, sort_keys=True)  # NaN-aware, floats exact


@st.composite
def rounded_batches(draw):
    """Batches of continuous draws rounded to a coarse grid: ties between positions and outcomes, absent
    actor-issues, zero saliences, per-cell capabilities."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    B, n, m = draw(st.integers(1, 6)), draw(st.integers(2, 10)), draw(st.integers(2, 4))  # exchange needs 2 issues
    pos = np.round(rng.uniform(0, 10, (B, n, m)))
    sal = np.round(rng.uniform(0, 1, (B, n, m)), 1)  # 0.0 about one time in twenty
    cap = np.round(rng.uniform(0.05, 1, (B, n, m)), 1) + 0.05
    mask = rng.uniform(size=(B, n, m)) < 0.85
    actors = tuple(f"actor{k}" for k in rng.permutation(n))
    return ScenarioArrays.from_numpy(pos, sal, cap, mask=mask, lower=0.0, upper=10.0, actors=actors)


params = st.fixed_dictionaries(
    {
        "preset": st.sampled_from(PRESETS),
        "max_rounds": st.integers(1, 6),
        "tol": st.sampled_from([None, 1e-3, 0.05, 0.5]),
    }
)


@SETTINGS
@given(rounded_batches(), params)
def test_lockstep_equals_one_draw_at_a_time_on_rounded_batches(arr, prm):
    assert_identical(*solve_both(arr, **prm))


@SETTINGS
@given(st.integers(1, 5).flatmap(lambda b: scenario_arrays(batch=b, max_actors=7, min_issues=2, max_issues=4,
                                                           grid=True)), params)  # fmt: skip
def test_lockstep_equals_one_draw_at_a_time_on_grid_batches(arr, prm):
    assert_identical(*solve_both(arr, **prm))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 4).flatmap(lambda b: scenario_arrays(batch=b, max_actors=8, min_issues=2, max_issues=4)), params)
def test_lockstep_equals_one_draw_at_a_time_on_continuous_batches(arr, prm):
    assert_identical(*solve_both(arr, **prm))


@cache
def perturbed_batch(name: str, draws: int) -> ScenarioArrays:
    return perturbed(detente.load(name), draws=draws, seed=7)


@pytest.mark.parametrize(
    ("name", "draws", "preset", "tol"),
    [
        ("korea-2019", 24, "default", None),
        ("korea-2019", 24, "decide_compat", None),
        ("cop21-paris-2015", 6, "default", None),
        ("cop21-paris-2015", 6, "decide_compat", 0.05),
    ],
)
def test_lockstep_equals_one_draw_at_a_time_on_perturbed_scenarios(name, draws, preset, tol):
    a, b = solve_both(perturbed_batch(name, draws), preset=preset, tol=tol)
    assert_identical(a, b)
    assert len(a.tables["exchanges"]) > 0
    assert set(a.tables["exchanges"]["draw"]) == set(range(draws))  # every draw trades


@pytest.mark.parametrize("preset", PRESETS)
def test_some_draws_stop_early_while_others_run_on(preset):
    """Draws that converge leave the lock-step while the rest continue; their later rounds repeat the last state."""
    arr = perturbed_batch("korea-2019", 24)
    a, b = solve_both(arr, preset=preset, tol=5.0, max_rounds=10)
    assert_identical(a, b)
    rounds = a.rounds[:, 0]
    assert rounds.min() < rounds.max()  # mixed stopping rounds in one batch
    assert set(a.status[rounds < rounds.max(), 0]) == {"converged"}
    # a draw that converges in the last allowed round is "converged", not "max_rounds"
    last = int(np.bincount(rounds[rounds < 10]).argmax())  # the commonest early stop
    c, d = solve_both(arr, preset=preset, tol=5.0, max_rounds=last)
    assert_identical(c, d)
    assert set(c.status[rounds == last, 0]) == {"converged"}
    assert set(c.status[rounds > last, 0]) == {"max_rounds"}


def test_rex_consumes_the_stream_draw_after_draw():
    """p > 0: a batch gives the numbers of its draws solved one after the other with one generator (each draw's
    rounds take their random numbers before the next draw's), whatever the lock-step block size."""
    arr = perturbed_batch("korea-2019", 24).take(np.arange(3))
    model = get("exchange", p=0.5, max_rounds=2)
    off = {"delegations": "separate", "vetoes": "off"}
    batch = model.solve(arr, rng=np.random.default_rng(5), **off)
    rng = np.random.default_rng(5)
    singles = [model.solve(arr.take(np.array([k])), rng=rng, **off) for k in range(3)]
    assert np.array_equal(batch.outcomes, np.concatenate([f.outcomes for f in singles]))
    assert np.array_equal(batch.trajectory, np.concatenate([f.trajectory for f in singles]), equal_nan=True)
    assert not np.array_equal(singles[1].outcomes, model.solve(arr.take(np.array([1])), seed=5, **off).outcomes)
    assert_identical(*solve_both(arr, p=0.5, max_rounds=2))


def test_batch_without_candidates():
    """Everyone on one side of every issue's outcome: no candidates; a batch of such draws converges in round 1."""
    pos = np.array([[[10.0, 10.0], [10.0, 10.0], [10.0, 10.0]]] * 2)
    arr = ScenarioArrays.from_numpy(pos, np.full(pos.shape, 0.5), np.ones(pos.shape), lower=0.0, upper=100.0)
    a, b = solve_both(arr)
    assert_identical(a, b)
    assert a.info["candidates_per_round"] == [0]
    assert (a.rounds == 1).all() and len(a.tables["exchanges"]) == 0


@pytest.mark.parametrize("limit", [1, 2000])
def test_blocks_of_draws_give_the_same_results(limit, monkeypatch):
    """Large batches run in lock-step blocks of draws (memory bound); any block size gives the same results."""
    arr = perturbed_batch("korea-2019", 24).take(np.arange(7))
    whole = get("exchange", tol=5.0).solve(arr, seed=5)
    monkeypatch.setattr(exchange_module, "_LOCKSTEP_CANDIDATES", limit)  # 1 or 3 korea draws per block
    assert_identical(get("exchange", tol=5.0).solve(arr, seed=5), whole)


@pytest.mark.parametrize("params", [{}, {"preset": "decide_compat", "tol": 5.0}, {"p": 0.4, "max_rounds": 3}])
@pytest.mark.parametrize("limit", [1, 2000])
def test_keep_final_equals_full(params, limit, monkeypatch):
    """``keep="final"`` (what an ensemble asks for: no log, no tables) gives the numbers of a full run."""
    arr = perturbed_batch("korea-2019", 24).take(np.arange(6))
    model = get("exchange", **params)
    monkeypatch.setattr(exchange_module, "_LOCKSTEP_CANDIDATES", limit)  # 1 or 3 korea draws per block
    full, lean = model.solve(arr, seed=3), model.solve(arr, seed=3, keep="final")
    assert np.array_equal(lean.outcomes, full.outcomes, equal_nan=True)
    assert np.array_equal(lean.trajectory, full.trajectory[:, -1:], equal_nan=True)
    assert np.array_equal(lean.status, full.status) and np.array_equal(lean.rounds, full.rounds)
    assert lean.tables == {} and set(lean.info) <= {"structure"}  # only the provenance's part


@pytest.mark.parametrize("m", [2, 3, 4])  # the exchange model needs two issues
def test_many_actors_sum_in_the_per_draw_order(m):
    """With 8+ actors numpy's sum over actors depends on the memory layout (pairwise or row by row): the batch must
    keep each draw's slice laid out as the per-draw arrays (a fancy-indexed (B, n, m) array is not C-ordered)."""
    rng = np.random.default_rng(m)
    B, n = 4, 13
    pos = rng.uniform(0, 100, (B, n, m)) ** 1.5 / 10
    sal, cap = rng.uniform(0, 1, (B, n, m)) ** 3, rng.uniform(0.05, 1, (B, n, m)) ** 3
    actors = tuple(f"actor{k:02d}" for k in rng.permutation(n))
    arr = ScenarioArrays.from_numpy(pos, sal, cap, lower=0.0, upper=100.0, actors=actors)
    for preset in PRESETS:
        assert_identical(*solve_both(arr, preset=preset, max_rounds=3))
