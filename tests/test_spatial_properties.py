"""Properties of the spatial model and of the PCE (hypothesis), modes, stochastic reproducibility, outputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.errors import ParameterError, ScenarioError
from detente.models import get
from detente.models._pce import PCE_MODELS, VICTORY_MODELS, VOTING_RULES, pce
from detente.models.spatial import SpatialParams, ktab_inputs, simulate
from detente.scenario.arrays import ScenarioArrays, to_arrays
from detente.scenario.ktab_io import load_ktab

DATA = Path(__file__).parent / "data" / "spatial"
PROPS = settings(max_examples=12, deadline=None, derandomize=True)


@st.composite
def scenarios(draw, n_min: int = 3, n_max: int = 6, m_max: int = 3):
    n = draw(st.integers(n_min, n_max))
    m = draw(st.integers(1, m_max))
    seed = draw(st.integers(0, 2**31))
    r = np.random.default_rng(seed)
    pos = r.uniform(0, 100, (n, m))
    sal = r.uniform(0.05, 0.6, (n, m))
    cap = r.uniform(5, 200, n)
    return pos, sal, cap


def _arrays(pos, sal, cap, lower=0.0, upper=100.0) -> ScenarioArrays:
    return ScenarioArrays.from_numpy(pos, sal, cap, lower=lower, upper=upper)


@PROPS
@given(
    st.integers(1, 4),
    st.integers(2, 7),
    st.sampled_from(VOTING_RULES),
    st.sampled_from(VICTORY_MODELS),
    st.sampled_from(PCE_MODELS),
    st.integers(0, 2**31),
)
def test_pce_probabilities_sum_to_one(B, M, rule, victory, model, seed) -> None:
    r = np.random.default_rng(seed)
    V = r.integers(2, 8)
    util = r.uniform(0, 1, (B, V, M))
    w = r.uniform(0.1, 10, (B, V))
    p = pce(util, w, rule=rule, victory=victory, model=model)
    assert p.shape == (B, M)
    assert np.all(p >= 0)
    assert np.allclose(p.sum(axis=-1), 1.0, atol=1e-12)


def test_pce_padding_does_not_change_valid_options() -> None:
    r = np.random.default_rng(3)
    util = r.uniform(0, 1, (1, 5, 3))
    w = r.uniform(1, 5, (1, 5))
    p = pce(util, w)
    padded = np.concatenate([util, np.zeros((1, 5, 2))], axis=-1)
    valid = np.array([[True, True, True, False, False]])
    q = pce(padded, w, valid=valid)
    assert np.array_equal(q[0, :3], p[0]) and np.all(q[0, 3:] == 0)


@PROPS
@given(scenarios(), st.sampled_from(["ktab_compat", "corrected"]))
def test_permuting_actors_permutes_results(sc, mode) -> None:
    pos, sal, cap = sc
    n = len(cap)
    perm = np.random.default_rng(n).permutation(n)
    m = get("spatial", mode=mode)
    a = m.solve(_arrays(pos, sal, cap))
    b = m.solve(_arrays(pos[perm], sal[perm], cap[perm]))
    assert np.array_equal(a.rounds, b.rounds)
    assert np.allclose(a.trajectory[:, :, perm], b.trajectory, atol=1e-9, rtol=0)
    if mode == "corrected":  # KTAB's own equivalence classes of near-equal positions depend on the actor order
        assert np.allclose(a.arrays["win_prob"][:, :, perm], b.arrays["win_prob"], atol=1e-9)
        assert np.allclose(a.outcomes, b.outcomes, atol=1e-9)


@PROPS
@given(scenarios())
def test_positions_stay_in_the_hull(sc) -> None:
    pos, sal, cap = sc
    fc = get("spatial").solve(_arrays(pos, sal, cap))
    lo, hi = pos.min(axis=0), pos.max(axis=0)
    slack = 0.5e-4 * 100 + 1e-9  # bargains are rounded to 1e-4 of the range (KTAB)
    assert np.all(fc.trajectory >= lo - slack) and np.all(fc.trajectory <= hi + slack)
    assert np.all(fc.outcomes >= lo - slack) and np.all(fc.outcomes <= hi + slack)


@PROPS
@given(scenarios(), st.floats(0.01, 100.0))
def test_capability_scaling_changes_nothing(sc, k) -> None:
    pos, sal, cap = sc
    a = get("spatial").solve(_arrays(pos, sal, cap))
    b = get("spatial").solve(_arrays(pos, sal, cap * k))
    # equal up to KTAB's absolute guard constants (1e-8, 1e-10), which do not scale
    assert np.array_equal(a.rounds, b.rounds)
    assert np.allclose(a.trajectory, b.trajectory, atol=1e-6, rtol=0)


@PROPS
@given(scenarios(n_min=2, n_max=2, m_max=3))
def test_corrected_equals_compat_without_third_parties(sc) -> None:
    """The modes differ only in the third-party quirk (§4.12.1, default bargaining): two actors, no third parties."""
    pos, sal, cap = sc
    arr = _arrays(pos, sal, cap)
    a = get("spatial", preset="ktab_compat").solve(arr)
    b = get("spatial", preset="corrected").solve(arr)
    assert np.array_equal(a.trajectory, b.trajectory)
    assert np.array_equal(a.arrays["win_prob"], b.arrays["win_prob"])


def test_corrected_differs_from_compat_where_the_quirk_applies() -> None:
    arr = to_arrays(load_ktab(DATA / "inputs" / "dummyData_3Dim.csv").scenario)
    a = get("spatial", preset="ktab_compat").solve(arr)
    b = get("spatial", preset="corrected").solve(arr)
    x, s, c = ktab_inputs(arr)
    ea = simulate(x, s, c, SpatialParams(mode="ktab_compat", max_rounds=1))["engine"]
    eb = simulate(x, s, c, SpatialParams(mode="corrected", max_rounds=1))["engine"]
    Pa, _, _ = ea.perspective_challenges(ea.state(x, x))
    Pb, _, _ = eb.perspective_challenges(eb.state(x, x))
    assert np.max(np.abs(Pa - Pb)) > 1e-3  # third parties weigh in differently
    assert not np.array_equal(a.trajectory[:, : b.trajectory.shape[1]], b.trajectory[:, : a.trajectory.shape[1]])


def test_stochastic_is_reproducible_per_seed() -> None:
    kf = load_ktab(DATA / "inputs" / "smpExample_at_06542ee.xml")
    assert kf.params["state_transitions"] == "Stochastic" and "accommodation" in kf.params
    arr = to_arrays(kf.scenario)
    m = get("spatial", preset="ktab_compat", **kf.params)
    a, b = m.solve(arr, seed=11), m.solve(arr, seed=11)
    assert a.trajectory.tobytes() == b.trajectory.tobytes()
    assert a.arrays["win_prob"].tobytes() == b.arrays["win_prob"].tobytes()
    assert a.tables["moves"].equals(b.tables["moves"])
    runs = {m.solve(arr, seed=s).trajectory.tobytes() for s in range(6)}
    assert len(runs) > 1  # the seed matters
    # ideals follow the accommodation matrix: y(t+1) = A x(t+1) + (1 - rowsum A) y(t)
    ideals, traj = a.arrays["ideals"][0], a.trajectory[0]
    A = np.asarray(kf.params["accommodation"])
    expect = A @ traj[1] + (1 - A.sum(1))[:, None] * ideals[0]
    assert np.allclose(ideals[1], expect, atol=1e-9)


def test_batch_runs_like_single_draws() -> None:
    r = np.random.default_rng(5)
    pos = r.uniform(0, 100, (3, 6, 2))
    sal = r.uniform(0.1, 0.5, (3, 6, 2))
    cap = r.uniform(10, 100, (3, 6))
    batch = get("spatial").solve(ScenarioArrays.from_numpy(pos, sal, cap))
    for b in range(3):
        one = get("spatial").solve(ScenarioArrays.from_numpy(pos[b], sal[b], cap[b]))
        T = int(one.rounds[0, 0])
        assert int(batch.rounds[b, 0]) == T
        assert np.array_equal(batch.trajectory[b, : T + 1], one.trajectory[0])
        assert np.all(batch.trajectory[b, T:] == one.trajectory[0, T])  # padded with the final state


def test_multi_issue_scenario_on_own_scales() -> None:
    """8 actors, 7 issues on different scales, one missing stance: all issues are dimensions of one run."""
    r = np.random.default_rng(8)
    n, m = 8, 7
    lower = np.array([0, -1, 0, 10, 0, 0, -50.0])
    upper = np.array([100, 1, 10, 20, 1, 100, 50.0])
    pos = lower + r.uniform(0, 1, (n, m)) * (upper - lower)
    sal = r.uniform(0.2, 0.9, (n, m))  # per-issue saliences: sums > 1 are mapped to shares
    mask = np.ones((n, m), bool)
    mask[3, 2] = False
    arr = ScenarioArrays.from_numpy(pos, sal, r.uniform(10, 90, n), mask=mask, lower=lower, upper=upper)
    fc = get("spatial").solve(arr, seed=1)
    T = int(fc.rounds[0, 0])
    assert fc.trajectory.shape == (1, T + 1, n, m)
    assert np.array_equal(fc.trajectory[0, 0][mask], pos[mask])
    held = fc.trajectory[0][:, mask]
    assert np.all((held >= lower[None, np.nonzero(mask)[1]] - 1e-9) & (held <= upper[np.nonzero(mask)[1]] + 1e-9))
    assert np.isnan(fc.trajectory[0][:, ~mask]).all()  # no position where the actor holds no stance
    assert np.all((fc.outcomes >= lower) & (fc.outcomes <= upper))
    assert fc.arrays["win_prob"].shape == (1, T + 1, n)
    assert fc.arrays["stop_ratio"].shape == (1, T + 1)
    if fc.converged is True:
        assert fc.arrays["stop_ratio"][0, T] < 0.02
    moves = fc.tables["moves"]
    assert len(moves) == T * n
    moved = moves[moves.moved]
    assert len(moved) > 0
    assert set(moved.via) <= {"own proposal", "accepted proposal"}
    # every move is explained: the actor is a party of the bargain and its partner is the other party
    for row in moved.itertuples():
        assert row.actor in (row.initiator, row.receiver)
        assert row.partner == (row.receiver if row.actor == row.initiator else row.initiator)
    still = moves[moves.via == "status quo"]
    for row in still.itertuples():
        a = fc.actors.index(row.actor)
        assert np.array_equal(fc.trajectory[0, row.turn, a], fc.trajectory[0, row.turn - 1, a], equal_nan=True)
    doc = fc.to_dict()
    assert doc["turns"] == [T] and len(doc["stop_ratio"][0]) == T


def test_share_mapping_capped_and_normalized() -> None:
    pos = np.array([[10.0, 20.0], [80.0, 60.0], [50.0, 50.0]])
    sal = np.array([[0.3, 0.2], [0.9, 0.6], [1.0, 1.0]])
    arr = ScenarioArrays.from_numpy(pos, sal, np.array([1.0, 2.0, 3.0]))
    _, s, _ = ktab_inputs(arr, "share_capped")
    assert np.allclose(s[0], [[0.3, 0.2], [0.6, 0.4], [0.5, 0.5]])
    _, s, _ = ktab_inputs(arr, "share_normalized")
    assert np.allclose(s[0].sum(-1), 1.0)


def test_bad_inputs_raise() -> None:
    pos = np.array([[10.0], [80.0], [50.0]])
    fc = get("spatial").solve(ScenarioArrays.from_numpy(pos, np.array([[0.5], [0.0], [0.5]]), np.ones(3)))
    assert fc.info["zero_salience_actors"]["actors"] == ["A01"]  # out of the arithmetic, not refused
    with pytest.raises(ScenarioError, match="at least two actors"):
        get("spatial").solve(ScenarioArrays.from_numpy(pos, np.array([[0.5], [0.0], [0.0]]), np.ones(3)))
    with pytest.raises(ScenarioError, match="capabilit"):
        get("spatial").solve(ScenarioArrays.from_numpy(pos, np.full((3, 1), 0.5), np.array([1.0, 0.0, 1.0])))
    with pytest.raises(ParameterError):
        get("spatial", voting_rule="Prop")
    with pytest.raises(ParameterError, match="accommodation"):
        get("spatial", accommodation=[[1.0]]).solve(ScenarioArrays.from_numpy(pos, np.full((3, 1), 0.5), np.ones(3)))


@pytest.mark.parametrize(
    "opts",
    [
        {"bargn_model": "InitRcvrInterp"},
        {"bargn_model": "PWCompInterp"},
        {"inter_vec_brgn": "S2PMax", "third_party_commit": "FullCommit"},
        {"inter_vec_brgn": "S1P1", "big_r_range": "Max", "big_r_adjust": "Full", "voting_rule": "Cubic"},
        {"pce_model": "MarkovUniform", "victory_prob_model": "Quartic", "voting_rule": "ASymProsp"},
        {"pce_model": "MarkovIncentive", "victory_prob_model": "Binary", "voting_rule": "PropBin"},
        {"big_r_range": "Min", "big_r_adjust": "None", "voting_rule": "Binary", "state_transitions": "Stochastic"},
    ],
)
@pytest.mark.parametrize("mode", ["ktab_compat", "corrected"])
def test_every_option_runs(opts: dict, mode: str) -> None:
    arr = to_arrays(load_ktab(DATA / "inputs" / "dummyData_3Dim.csv").scenario)
    fc = get("spatial", mode=mode, max_rounds=15, **opts).solve(arr, seed=2)
    T = int(fc.rounds[0, 0])
    assert 1 <= T <= 15
    assert np.all(np.isfinite(fc.trajectory)) and np.all((fc.trajectory >= 0) & (fc.trajectory <= 100))
    wp = fc.arrays["win_prob"][0, : T + 1]
    assert np.all((wp >= 0) & (wp <= 1 + 1e-12))


def test_chunked_batches_equal_one_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    import detente.models.spatial as sp

    r = np.random.default_rng(9)
    arr = ScenarioArrays.from_numpy(
        r.uniform(0, 100, (5, 4, 2)), r.uniform(0.1, 0.5, (5, 4, 2)), r.uniform(1, 9, (5, 4))
    )
    whole = get("spatial").solve(arr)
    monkeypatch.setattr(sp, "CHUNK_CELLS", 2 * 4**3)  # chunks of two draws
    parts = get("spatial").solve(arr)
    assert np.array_equal(whole.trajectory, parts.trajectory)
    assert np.array_equal(whole.outcomes, parts.outcomes) and np.array_equal(whole.rounds, parts.rounds)
    assert np.array_equal(whole.arrays["win_prob"], parts.arrays["win_prob"])
    assert whole.tables["moves"].equals(parts.tables["moves"])
