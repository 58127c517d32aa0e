"""`spatial` in ktab_compat mode against KTAB's own outputs (tests/data/spatial, see its SOURCE.md).

Tolerances: positions 1e-9 on the 0–100 scale and the same number of turns (the acceptance bar; in fact every
position is bit-identical, asserted separately with ``==``); win probabilities to KTAB's 4 printed decimals;
KTAB's database tables bit-exact where our operation order is KTAB's (utilities, victory probabilities, challenge
gains, bargain coordinates) and to 1e-15 where KTAB's thread-dependent queue order changes the last bit
(option values and queue probabilities: observed max 3.3e-16).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from detente.models import get
from detente.models.spatial import SpatialParams, ktab_inputs, simulate
from detente.scenario.arrays import to_arrays
from detente.scenario.ktab_io import load_ktab
from detente.scenario.ktab_random import eu_smp

DATA = Path(__file__).parent / "data" / "spatial"
RUNS = {
    "dummyData_3Dim": "dummyData_3Dim.csv",
    "SOE-Pol-Comp": "SOE-Pol-Comp.csv",
    "SOE-Policy": "SOE-Policy.csv",
    "dummyData_6Dim": "dummyData_6Dim.csv",
    "dummyData_3Dim_NoCommit_xml": "dummyData_3Dim_NoCommit.xml",
}


def _ref_positions(run: str, n: int, d: int) -> np.ndarray:
    pos = pd.read_csv(DATA / "runs" / run / "positions.csv.gz", float_precision="round_trip")
    T = int(pos.turn.max())
    ref = np.full((T + 1, n, d), np.nan)
    ref[pos.turn, pos.actor, pos.dim] = pos.position_0_100
    return ref


def _ref_win(run: str, T: int, n: int) -> np.ndarray:
    wp = pd.read_csv(DATA / "runs" / run / "win_prob_log.csv", float_precision="round_trip")
    w = np.full((T + 1, n), np.nan)
    w[wp.turn, wp.actor] = wp.prob_4dp
    return w


@pytest.mark.parametrize("run", sorted(RUNS))
def test_reproduces_ktab_positions_and_win_probabilities(run: str) -> None:
    kf = load_ktab(DATA / "inputs" / RUNS[run])
    arrays = to_arrays(kf.scenario)
    fc = get("spatial", preset="ktab_compat", **kf.params).solve(arrays)
    n, d = arrays.n_actors, arrays.n_issues
    ref = _ref_positions(run, n, d)
    T = ref.shape[0] - 1
    assert int(fc.rounds[0, 0]) == T
    assert fc.trajectory.shape == (1, T + 1, n, d)
    got = fc.trajectory[0]
    assert np.max(np.abs(got - ref)) <= 1e-9
    assert np.array_equal(got, ref)  # bit for bit, in fact
    w = _ref_win(run, T, n)
    assert np.array_equal(np.round(fc.arrays["win_prob"][0], 4), w)
    assert fc.converged is True


def test_eusmp_seed7_regenerated_and_reproduced() -> None:
    gen = eu_smp(7)
    actors = pd.read_csv(DATA / "runs" / "euSMP_seed7" / "actors.csv", float_precision="round_trip")
    assert gen.position.shape == (22, 1)
    assert np.array_equal(gen.capability, actors.capability.to_numpy())
    assert np.array_equal(gen.salience[:, 0], actors.sal_dim0.to_numpy())
    ref = _ref_positions("euSMP_seed7", 22, 1)
    assert np.array_equal(gen.position * 100.0, ref[0])
    # through the detente scenario and the model API, with KTAB's --euSMP first-turn quirk
    fc = get("spatial", preset="ktab_compat", euSMP_quirk=True).solve(to_arrays(gen.to_scenario()))
    T = ref.shape[0] - 1
    assert int(fc.rounds[0, 0]) == T
    assert np.max(np.abs(fc.trajectory[0] - ref)) <= 1e-9
    assert np.array_equal(np.round(fc.arrays["win_prob"][0], 4), _ref_win("euSMP_seed7", T, 22))


@pytest.fixture(scope="module")
def dummy_run() -> dict:
    kf = load_ktab(DATA / "inputs" / "dummyData_3Dim.csv")
    x, s, c = ktab_inputs(to_arrays(kf.scenario))
    return simulate(x, s, c, SpatialParams(mode="ktab_compat"))


def _db(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / "runs" / "dummyData_3Dim" / f"db_{name}.csv.gz", float_precision="round_trip")


def test_dummy3dim_per_perspective_utilities_and_victory_probabilities(dummy_run: dict) -> None:
    eng = dummy_run["engine"]
    pu, pv = _db("PosUtil"), _db("ProbVict")
    n_u = n_p = 0
    for t in range(int(dummy_run["turns"][0]) + 1):
        st = eng.state(dummy_run["positions"][:, t], dummy_run["ideals"][:, t])
        d = pu[pu.Turn_t == t]
        assert np.array_equal(st.U[0][d.Est_h, d.Act_i, d.Pos_j], d.Util.to_numpy())
        n_u += len(d)
        d = pv[pv.Turn_t == t]
        if len(d):
            P, _, _ = eng.perspective_challenges(st)
            assert np.array_equal(P[0][d.Est_h, d.Init_i, d.Rcvr_j], d.Prob.to_numpy())
            n_p += len(d)
    assert n_u == len(pu) and n_p == len(pv) and n_u > 3000


def test_dummy3dim_bargains(dummy_run: dict) -> None:
    bg, bc, bu = _db("Bargn"), _db("BargnCoords"), _db("BargnUtil")
    n_bargains = 0
    for rec in dummy_run["records"]:
        t = rec["turn"] - 1
        b = bg[bg.Turn_t == t]
        props = b[b.Init_Act_i != b.Recd_Act_j]
        tgt = rec["target"][0]
        assert {(i, int(tgt[i])) for i in range(len(tgt)) if tgt[i] >= 0} == set(
            zip(props.Init_Act_i, props.Recd_Act_j)
        )
        queue, qp = rec["queue"][0], rec["queue_probs"][0]
        choice = rec["choice_prop"][0]
        for row in b.itertuples():
            i, j = int(row.Init_Act_i), int(row.Recd_Act_j)
            if i == j:  # the status quo option of actor i
                assert abs(qp[i, 0] - row.Init_Prob) <= 1e-15
                assert bool(row.Init_Seld) == (choice[i] < 0)
                vals = bu[(bu.Turn_t == t) & (bu.BargnId == row.BargnId)]
                assert np.all(np.abs(rec["values_sq"][0][vals.Act_i] - vals.Util.to_numpy()) <= 1e-15)
                continue
            n_bargains += 1
            assert rec["gain"][0][i] == row.Value
            cc = bc[(bc.Turn_t == t) & (bc.BargnId == row.BargnId)].sort_values("Dim_k")
            assert np.array_equal(rec["b_init"][0, i] * 100.0, cc.Init_Coord.to_numpy())
            assert np.array_equal(rec["b_rcvr"][0, i] * 100.0, cc.Recd_Coord.to_numpy())
            for k, prob, seld in ((i, row.Init_Prob, row.Init_Seld), (j, row.Recd_Prob, row.Recd_Seld)):
                slot = list(queue[k]).index(i) + 1
                assert abs(qp[k, slot] - prob) <= 1e-15
                assert bool(seld) == (choice[k] == i)
            vals = bu[(bu.Turn_t == t) & (bu.BargnId == row.BargnId)]
            assert np.all(np.abs(rec["values"][0][i, vals.Act_i] - vals.Util.to_numpy()) <= 1e-15)
    assert n_bargains == 59


def test_nocommit_third_parties_inert_in_compat() -> None:
    """Spec §4.12.1: under NoCommit the compat victory probability is the principals-only ratio."""
    kf = load_ktab(DATA / "inputs" / "dummyData_3Dim_NoCommit.xml")
    assert kf.params["third_party_commit"] == "NoCommit"
    x, s, c = ktab_inputs(to_arrays(kf.scenario))
    res = simulate(x, s, c, SpatialParams(mode="ktab_compat", max_rounds=1, **kf.params))
    eng = res["engine"]
    st = eng.state(x, x)
    P, _, _ = eng.perspective_challenges(st)
    U, w = st.U[0], eng.w[0]
    h, i, j = 2, 0, 5
    ai = w[i] * (U[h, i, i] - U[h, i, j])
    aj = w[j] * (U[h, j, i] - U[h, j, j])
    A = 1e-10 + max(ai, 0.0) + max(aj, 0.0)
    B = 1e-10 + max(-ai, 0.0) + max(-aj, 0.0)
    assert P[0, h, i, j] == A / (A + B)
    corrected = _Eng(kf.params, s, c)
    Pc, _, _ = corrected.perspective_challenges(corrected.state(x, x))
    assert abs(Pc[0, h, i, j] - A / (A + B)) > 1e-6


def _Eng(params: dict, s: np.ndarray, c: np.ndarray):
    from detente.models.spatial import _Engine

    return _Engine(SpatialParams(mode="corrected", **params), s, c, None)


# KTAB's number of states (turns + 1) for runs whose positions are not stored (reference timings.tsv)
KTAB_STATES = {"dummyData-a040.csv": 21, "SOE-Competitive.csv": 36}
KTAB_RANDOM_STATES = {(10, 1): 12, (10, 3): 7, (10, 5): 7, (25, 1): 31, (25, 3): 22, (25, 5): 28}


@pytest.mark.parametrize("name", sorted(KTAB_STATES))
def test_turn_counts_of_other_ktab_inputs(name: str) -> None:
    x, s, c = ktab_inputs(to_arrays(load_ktab(DATA / "inputs" / name).scenario))
    res = simulate(x, s, c, SpatialParams(mode="ktab_compat"))
    assert int(res["turns"][0]) + 1 == KTAB_STATES[name]


@pytest.mark.parametrize(("n", "d"), sorted(KTAB_RANDOM_STATES))
def test_turn_counts_of_ktab_random_scenarios(n: int, d: int) -> None:
    from detente.scenario.ktab_random import random_smp

    sc = random_smp(n, d, seed=1)
    res = simulate(
        sc.position[None], sc.salience[None], sc.capability[None], SpatialParams(mode="ktab_compat", euSMP_quirk=True)
    )
    assert int(res["turns"][0]) + 1 == KTAB_RANDOM_STATES[(n, d)]
