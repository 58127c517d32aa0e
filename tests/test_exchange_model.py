"""The exchange model on hand-computed cases, its determinism, REX, edge cases and parameters."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pytest

import detente
from detente.errors import ParameterError, ScenarioError
from detente.models import get
from detente.scenario.arrays import ScenarioArrays, to_arrays

DATA = Path(__file__).parent / "data" / "exchange"


@cache
def cop21() -> ScenarioArrays:
    return to_arrays(detente.load(str(DATA / "CoP21.csv")))


def two_actor_case() -> ScenarioArrays:
    """A cares about p (0.9) and sits at (0, 0); B cares about q (0.9) and sits at (100, 100); D and E have no
    capability (they cannot trade or move the outcome) but feel the externalities; C is absent from q."""
    pos = np.array([[0, 0], [100, 100], [50, 50], [0, 100], [5, 5]], float)
    sal = np.array([[0.9, 0.1], [0.1, 0.9], [0.5, 0.5], [0.5, 0.5], [0.5, 0.5]])
    cap = np.array([1.0, 1.0, 0.0, 0.0, 0.0])
    mask = np.array([[1, 1], [1, 1], [1, 0], [1, 1], [1, 1]], bool)
    return ScenarioArrays.from_numpy(
        pos, sal, cap, mask=mask, actors=("A", "B", "C", "D", "E"), issues=("p", "q"), name="two-actor"
    )


def test_hand_computed_two_rounds():
    fc = get("exchange", max_rounds=2).solve(two_actor_case())
    ex = fc.tables["exchanges"]
    assert len(ex) == 2
    assert fc.info["candidates_per_round"] == [2, 2]  # A–B and E–B (E has no weight: G = 0, never realised)
    r1, r2 = ex.iloc[0], ex.iloc[1]
    # round 1: O = (10, 90); B supplies p 100 → 0, A supplies q 0 → 100; δ = 10 each, G = 10 (0.81 − 0.01) = 8
    assert (r1.actor_1, r1.supply_1, r1.actor_2, r1.supply_2) == ("B", "p", "A", "q")
    assert r1.gain == pytest.approx(8.0, abs=1e-12)
    assert (r1.from_1, r1.to_1, r1.from_2, r1.to_2) == pytest.approx((100, 0, 0, 100), abs=1e-12)
    np.testing.assert_allclose(fc.arrays["round1_outcome"][0], [0.0, 100.0], atol=1e-12)
    # preference update: λ = 0.4 (1 − 0.1) + 0.1 = 0.46 → A: 0.54·0 + 0.46·100 = 46; B: 0.54·100 + 0 = 54
    np.testing.assert_allclose(fc.trajectory[0, 1, :2], [[0, 46], [54, 100]], atol=1e-12)
    # round 2: O = (5.4, 94.6); both full moves shift by 5.4 (k = 1), G = 5.4 · 0.8 = 4.32
    assert r2.gain == pytest.approx(4.32, abs=1e-12)
    assert (r2.from_1, r2.to_1, r2.from_2, r2.to_2) == pytest.approx((54, 0, 46, 100), abs=1e-12)
    assert fc.status[0].tolist() == ["max_rounds", "max_rounds"]


def test_hand_computed_externalities():
    fc = get("exchange", max_rounds=1).solve(two_actor_case())
    ext = fc.tables["externalities"].set_index("actor")
    assert "C" not in ext.index  # absent from q
    assert ext.loc["A", "class"] == "own" and ext.loc["A", "value"] == pytest.approx(8.0)
    assert ext.loc["B", "class"] == "own" and ext.loc["B", "value"] == pytest.approx(8.0)
    # D at (0, 100): 0.5 (|10 − 0| − |0 − 0|) + 0.5 (|90 − 100| − |100 − 100|) = 10, sides (left, right): outer
    assert ext.loc["D", "class"] == "outer" and ext.loc["D", "value"] == pytest.approx(10.0)
    # E at (5, 5), A's side pattern: 0.5 (5 − 5) + 0.5 (85 − 95) = −5, inner
    assert ext.loc["E", "class"] == "inner" and ext.loc["E", "value"] == pytest.approx(-5.0)
    by_actor = fc.tables["externalities_by_actor"].set_index("actor")
    assert by_actor.loc["E", "inner_negative"] == pytest.approx(-5.0)
    assert by_actor.loc["D", "outer_positive"] == pytest.approx(10.0)
    by_pair = fc.tables["externalities_by_pair"]
    assert by_pair[["issue_1", "issue_2"]].values.tolist() == [["p", "q"]]
    assert by_pair["total"].iloc[0] == pytest.approx(8 + 8 + 10 - 5)
    assert len(fc.tables["externalities_by_exchange"]) == 1


def _bytes(fc) -> bytes:
    doc = fc.to_dict()
    parts = [json.dumps(doc, sort_keys=True).encode(), fc.outcomes.tobytes(), fc.trajectory.tobytes()]
    parts += [t.to_csv().encode() for t in fc.tables.values()]
    parts += [a.tobytes() for a in fc.arrays.values()]
    return b"".join(parts)


def test_p0_is_byte_identical_across_runs():
    a = get("exchange", max_rounds=3).solve(cop21())
    b = get("exchange", max_rounds=3).solve(cop21())
    assert _bytes(a) == _bytes(b)


def test_rex_same_seed_same_bytes_other_seed_differs():
    m = get("exchange", max_rounds=2, p=0.5)
    a, b, c = m.solve(cop21(), seed=7), m.solve(cop21(), seed=7), m.solve(cop21(), seed=8)
    assert _bytes(a) == _bytes(b)
    assert not np.array_equal(a.outcomes, c.outcomes)


def test_rex_keeps_the_ranking_and_no_side_loses():
    eq = get("exchange", max_rounds=1).solve(cop21()).tables["exchanges"]
    rex = get("exchange", max_rounds=1, p=1.0).solve(cop21(), seed=3).tables["exchanges"]
    # the first exchange is chosen from the same state by the same equal gain
    assert tuple(rex.iloc[0][["actor_1", "supply_1", "actor_2", "supply_2"]]) == tuple(
        eq.iloc[0][["actor_1", "supply_1", "actor_2", "supply_2"]]
    )
    assert rex.iloc[0]["gain"] == pytest.approx(eq.iloc[0]["gain"], abs=1e-12)
    assert (rex["gain_1"] >= -1e-9).all() and (rex["gain_2"] >= -1e-9).all()
    assert (np.abs(rex["gain_1"] - rex["gain_2"]) > 1e-6).mean() > 0.5  # REX splits gains unequally


def test_batch_axis():
    arr = cop21().with_batch(3)
    fc = get("exchange", max_rounds=2).solve(arr)
    assert fc.outcomes.shape == (3, 13) and fc.trajectory.shape == (3, 3, 15, 13)
    assert np.array_equal(fc.outcomes[0], fc.outcomes[2])
    assert set(fc.tables["exchanges"]["draw"]) == {0, 1, 2}
    rex = get("exchange", max_rounds=1, p=0.8).solve(arr, seed=1)
    assert not np.array_equal(rex.outcomes[0], rex.outcomes[1])


def test_salience_zero_and_missing_actors():
    rng = np.random.default_rng(5)
    n, m = 8, 4
    pos = rng.uniform(0, 100, (n, m))
    sal = rng.uniform(0, 1, (n, m))
    sal[0, :] = 0.0  # an actor that cares about nothing
    sal[:, 3] = 0.0  # an issue nobody cares about (W = 0)
    sal[2, 1] = 0.0
    mask = rng.uniform(size=(n, m)) < 0.8
    mask[1, :2] = False
    arr = ScenarioArrays.from_numpy(pos, sal, rng.uniform(0.1, 1, n), mask=mask)
    fc = get("exchange", max_rounds=4).solve(arr)
    assert np.isfinite(fc.outcomes).all()
    ex = fc.tables["exchanges"]
    assert len(ex) > 0
    for s in (1, 2):
        cells = set(zip(ex[f"actor_{s}"], ex[f"supply_{s}"]))
        for a, i in cells:
            ai, ii = arr.actors.index(a), arr.issues.index(i)
            assert mask[ai, ii] and sal[ai, ii] > 0  # no one moves where it is absent or has no weight
        assert "I03" not in set(ex[f"supply_{s}"])
    # absent cells have no position (NaN) in any round, and no row in the tidy trajectory
    traj = fc.trajectory[0]
    assert np.isnan(traj[:, ~mask]).all() and np.isfinite(traj[:, mask]).all()
    rows = fc.trajectory_frame()
    held = {(a, i) for a, i in zip(rows.actor, rows.issue)}
    assert held == {(arr.actors[a], arr.issues[i]) for a, i in zip(*np.nonzero(mask))}


def test_no_candidates_converges_at_once():
    pos = np.array([[10, 10], [90, 10]], float)  # both sit at the outcome of q: no pair is split on both issues
    arr = ScenarioArrays.from_numpy(pos, np.full((2, 2), 0.5), np.ones(2))
    fc = get("exchange").solve(arr)
    assert fc.rounds[0].tolist() == [1, 1] and fc.status[0].tolist() == ["converged", "converged"]
    assert fc.info["candidates_per_round"] == [0] and fc.info["exchanges_per_round"] == [0]
    assert fc.tables["exchanges"].empty and fc.tables["externalities"].empty
    np.testing.assert_allclose(fc.outcomes[0], [50, 10])
    np.testing.assert_allclose(fc.trajectory[0, -1], pos)


def test_convergence_stop():
    fc = get("exchange", max_rounds=10, tol=1e6).solve(cop21())
    assert fc.rounds[0, 0] == 2 and fc.status[0, 0] == "converged"
    assert len(fc.info["exchange_rounds"]) == 2 and fc.trajectory.shape == (1, 3, 15, 13)
    full = get("exchange", max_rounds=10).solve(cop21())
    assert full.rounds[0, 0] == 10 and full.status[0, 0] == "max_rounds"
    np.testing.assert_array_equal(fc.arrays["round1_outcome"], full.arrays["round1_outcome"])


def test_parameters_are_checked():
    with pytest.raises(ParameterError, match="p"):
        get("exchange", p=1.5)
    with pytest.raises(ParameterError, match="unknown parameter"):
        get("exchange", rounds=3)
    with pytest.raises(ParameterError, match="salience_weight"):
        get("exchange", salience_weight=0.8, fixed_weight=0.3)
    with pytest.raises(ParameterError, match="max_rounds"):
        get("exchange", max_rounds=0)
    assert get("exchange(p=0.25, max_rounds=3)").params.p == 0.25


def test_degenerate_scale_is_an_error():
    arr = ScenarioArrays.from_numpy(np.zeros((2, 2)), np.full((2, 2), 0.5), np.ones(2), lower=0.0, upper=0.0)
    with pytest.raises(ScenarioError, match="lower < upper"):
        get("exchange").solve(arr)


def test_positions_off_the_scale_are_an_error():
    arr = ScenarioArrays.from_numpy(np.array([[10.0, 120.0], [50, 50]]), np.full((2, 2), 0.5), np.ones(2))
    with pytest.raises(ScenarioError, match="A00.*I01.*120"):
        get("exchange").solve(arr)


def test_korea_scenario_trades():
    if "korea-2019" not in detente.scenario.io.library_names():
        pytest.skip("korea-2019 not in the library yet")
    fc = detente.forecast("korea-2019", model="exchange", max_rounds=3)
    assert np.isfinite(fc.outcomes).all()
    assert fc.info["exchange_rounds"][0]["candidates"] >= len(fc.info["exchange_rounds"][0]["exchanges"])
