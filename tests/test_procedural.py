"""The procedural (agenda-setter) model's win-sets on hand-computed cases, its invariants on random inputs, and the
DEU figures its docs page quotes (skipped without ../shared)."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from detente.models.procedural import (
    DEFAULT_QUOTA,
    acceptable_set,
    council_core,
    council_weights,
    proposal_rules,
    setter_outcome,
)
from detente.scenario.arrays import ScenarioArrays, to_arrays
from detente.scenario.deu import read_deu

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DETENTE_SHARED", REPO.parent / "shared"))
DEU_DEV = SHARED / "data" / "deu" / "deu3_dev.csv"
needs_deu = pytest.mark.skipif(not DEU_DEV.exists(), reason=f"DEU data not present at {DEU_DEV}")
SAMPLE = Path(__file__).parent / "data" / "deu" / "dataverse_sample.csv"


def scenario(members: list[tuple[float, float]], rp: float | None, com: float | None = None,
             ep: float | None = None, salience: list[float] | None = None) -> ScenarioArrays:  # fmt: skip
    """One issue on 0–100: member states (position, vote weight), the Commission and the Parliament if given."""
    actors = [f"m{i}" for i in range(len(members))]
    pos = [x for x, _ in members]
    cap = [w for _, w in members]
    for name, x in (("com", com), ("ep", ep)):
        if x is not None:
            actors.append(name)
            pos.append(x)
            cap.append(1.0)
    n = len(actors)
    sal = np.array(salience if salience is not None else [50.0] * n, float)
    return ScenarioArrays(
        tuple(actors), ("i",), np.array(pos, float).reshape(1, n, 1), sal.reshape(1, n, 1),
        np.array(cap, float).reshape(1, n, 1), np.ones((1, n, 1), bool),
        np.array([[np.nan if rp is None else rp]]), np.array([0.0]), np.array([100.0]),
    )  # fmt: skip


# three members: weights 3, 2, 2 at 10, 40, 80; a qualified majority needs 5 of 7
THREE = [(10.0, 3.0), (40.0, 2.0), (80.0, 2.0)]
Q = 5 / 7


def bounds(a: ScenarioArrays, quota: float, cod: bool = False) -> tuple[float, float, float, float]:
    s = acceptable_set(a, quota, cod)
    return (float(s["win_lower"][0, 0]), float(s["win_upper"][0, 0]), float(s["feasible_lower"][0, 0]),
            float(s["feasible_upper"][0, 0]))  # fmt: skip


def outcome(a: ScenarioArrays, quota: float, cod: bool = False) -> float:
    return float(setter_outcome(a, quota, cod)[0, 0])


def test_council_core_by_hand() -> None:
    a = scenario(THREE, 0.0)
    lo, hi = council_core(a.position, a.capability, a.mask, Q)
    # at or below 40: 3 + 2 = 5 of 7; at or above 10: all 7, at or above 40: only 4
    assert (float(lo[0, 0]), float(hi[0, 0])) == (10.0, 40.0)
    lo, hi = council_core(a.position, a.capability, a.mask, 1.0)  # unanimity: the whole range
    assert (float(lo[0, 0]), float(hi[0, 0])) == (10.0, 80.0)


@pytest.mark.parametrize(
    ("rp", "quota", "win"),
    [
        (0.0, Q, (0.0, 20.0)),  # y beats 0 for members at or above y/2: all 7 up to y = 20 (the pivot at 10)
        (90.0, Q, (-10.0, 90.0)),  # y beats 90 for members at or below (90 + y)/2: 10 and 40 (5 of 7) down to −10
        (25.0, Q, (25.0, 25.0)),  # 25 lies in the core [10, 40]: nothing beats it
        (0.0, 1.0, (0.0, 20.0)),  # unanimity: the member at 10 is the pivot on this side too
        (90.0, 1.0, (70.0, 90.0)),  # unanimity: the member at 80 must gain
    ],
)
def test_win_set_by_hand(rp: float, quota: float, win: tuple[float, float]) -> None:
    assert bounds(scenario(THREE, rp), quota)[:2] == win


@pytest.mark.parametrize(
    ("com", "rp", "expected"),
    [
        (60.0, 0.0, 20.0),  # the Commission's nearest point of the win-set [0, 20]
        (15.0, 0.0, 15.0),  # its own position is accepted
        (5.0, 0.0, 10.0),  # 5 is in the win-set but the Council would amend it unanimously: the Pareto set [10, 80]
        (60.0, 25.0, 25.0),  # reference point in the core: gridlock
        (95.0, None, 80.0),  # no reference point: only the Pareto set binds
        (None, 0.0, 20.0),  # no Commission: the Council's weighted median (40), clipped to the win-set
    ],
)
def test_consultation_setter_by_hand(com: float | None, rp: float | None, expected: float) -> None:
    assert outcome(scenario(THREE, rp, com=com), Q) == expected


@pytest.mark.parametrize(
    ("ep", "win", "feasible", "expected"),
    [
        (12.0, (0.0, 20.0), (10.0, 20.0), 20.0),  # the Parliament's win-set [0, 24] does not bind
        (6.0, (0.0, 12.0), (6.0, 12.0), 12.0),  # it does: [0, 12]; conciliation's Pareto set [6, 40]
        (-5.0, (0.0, 0.0), (0.0, 0.0), 0.0),  # the Parliament wants less than the reference point: gridlock
    ],
)
def test_codecision_by_hand(ep: float, win: tuple[float, float], feasible: tuple[float, float], expected: float
                            ) -> None:  # fmt: skip
    a = scenario(THREE, 0.0, com=60.0, ep=ep)
    assert bounds(a, Q, cod=True) == (*win, *feasible)
    assert outcome(a, Q, cod=True) == expected
    # under consultation the Parliament has no say
    assert bounds(a, Q, cod=False)[:2] == (0.0, 20.0) and outcome(a, Q, cod=False) == 20.0


def test_members_without_salience_or_position_leave_the_vote() -> None:
    # unanimity: with the member at 80 the win-set of 90 is [70, 90]; without it the member at 40 is the pivot
    assert bounds(scenario(THREE, 90.0), 1.0)[:2] == (70.0, 90.0)
    zero = scenario(THREE, 90.0, salience=[50.0, 50.0, 0.0])
    assert bounds(zero, 1.0)[:2] == (-10.0, 90.0)
    absent = replace(zero, salience=np.full_like(zero.salience, 50.0), mask=np.array([True, True, False])[None, :, None])
    assert bounds(absent, 1.0)[:2] == (-10.0, 90.0)
    # no member at all: the Council does not constrain; the Commission's position under consultation
    nobody = scenario(THREE, 0.0, com=60.0, salience=[0.0, 0.0, 0.0, 50.0])
    assert outcome(nobody, Q) == 60.0


def _random(rng: np.random.Generator, B: int, n: int, m: int) -> ScenarioArrays:
    actors = tuple([f"m{i}" for i in range(n)] + ["com", "ep"])
    k = n + 2
    pos = rng.choice(np.arange(0.0, 101.0, 5.0), size=(B, k, m))
    sal = rng.choice([0.0, 30.0, 60.0, 100.0], size=(B, k, m), p=[0.1, 0.3, 0.3, 0.3])
    cap = np.broadcast_to(rng.integers(1, 11, size=(B, k, 1)).astype(float), (B, k, m)).copy()
    mask = rng.random((B, k, m)) > 0.1
    rp = np.where(rng.random((B, m)) < 0.2, np.nan, rng.choice(np.arange(0.0, 101.0, 5.0), size=(B, m)))
    return ScenarioArrays(actors, tuple(f"i{j}" for j in range(m)), pos, sal, cap, mask, rp, np.zeros(m),
                          np.full(m, 100.0))  # fmt: skip


def test_win_set_matches_brute_force_and_the_setter_stays_inside() -> None:
    rng = np.random.default_rng(7)
    a = _random(rng, 200, 7, 3)
    quota = rng.choice([62 / 87, 232 / 321, 0.5 + 1e-6, 1.0], size=200)
    cod = rng.random(200) < 0.5
    s = acceptable_set(a, quota, cod)
    out = setter_outcome(a, quota, cod)
    present = a.mask & (a.salience > 0)
    ys = np.arange(-100.0, 200.5, 0.5) + 0.25  # off the grid of positions: no ties at the boundaries
    checked = 0
    for b in range(200):
        for j in range(3):
            q = a.status_quo[b, j]
            member = present[b, :7, j]
            x, v = a.position[b, :7, j][member], a.capability[b, :7, j][member]
            lo, hi = s["win_lower"][b, j], s["win_upper"][b, j]
            if np.isnan(q) or not member.any():
                continue
            prefer = np.abs(ys[:, None] - x) < np.abs(q - x)  # (y, members): strictly prefers y to q
            council = (prefer * v).sum(axis=1) >= quota[b] * v.sum() * (1 - 1e-9)
            ep_in = cod[b] and present[b, 8, j]
            if ep_in:
                p = a.position[b, 8, j]
                council &= np.abs(ys - p) < abs(q - p)
            inside = (ys > lo) & (ys < hi)
            assert np.array_equal(council, inside), (b, j, lo, hi)
            checked += 1
            # the setter's point: accepted (in the win-set), within the positions of the actors taking part
            assert lo - 1e-9 <= out[b, j] <= hi + 1e-9
            taking = a.position[b, present[b, :, j], j]
            assert taking.min() - 1e-9 <= out[b, j] <= taking.max() + 1e-9
    assert checked > 300
    assert np.all(s["feasible_lower"] <= s["feasible_upper"])
    assert not np.isnan(out).any()


def test_batch_equals_one_by_one() -> None:
    rng = np.random.default_rng(3)
    a = _random(rng, 12, 5, 4)
    quota, cod = np.linspace(0.6, 1.0, 12), np.arange(12) % 2 == 0
    whole = setter_outcome(a, quota, cod)
    for b in range(12):
        one = replace(a, position=a.position[b : b + 1], salience=a.salience[b : b + 1],
                      capability=a.capability[b : b + 1], mask=a.mask[b : b + 1], status_quo=a.status_quo[b : b + 1])  # fmt: skip
        np.testing.assert_array_equal(setter_outcome(one, quota[b], bool(cod[b]))[0], whole[b])


def test_proposal_rules() -> None:
    qmv, unan = read_deu(SAMPLE)
    assert proposal_rules(unan) == (1.0, False)  # t05002: consultation, unanimity
    assert proposal_rules(qmv) == (62 / 87, True)  # t98001: codecision, QMV, decided 1999 (EU-15: 62 of 87 votes)
    assert proposal_rules(replace(qmv, decision_date=dt.date(2005, 6, 1)))[0] == pytest.approx(232 / 321)
    assert proposal_rules(replace(qmv, decision_date=dt.date(2016, 6, 1)))[0] == pytest.approx(260 / 352)
    assert proposal_rules(replace(qmv, decision_date=None))[0] == DEFAULT_QUOTA


def test_council_weights_are_the_treatys_votes_whatever_the_capability_rule() -> None:
    for rule in ("vote-weights", "equal", "shapley-shubik"):
        qmv, unan = read_deu(SAMPLE, capability=rule)
        ids = [a.id for a in qmv.scenario.actors]
        expected = {"com": 0, "ep": 0, "de": 10, "fr": 10, "uk": 10, "nl": 5, "dk": 3, "lu": 2}  # EU-15, 1999
        got = dict(zip(ids, council_weights(qmv)))
        assert {k: got[k] for k in expected if k in got} == {k: v for k, v in expected.items() if k in got}
        assert set(ids) - {"com", "ep"} and all(got[k] > 0 for k in ids if k not in ("com", "ep"))
        a = to_arrays(qmv.scenario)
        quota, cod = proposal_rules(qmv)
        explicit = setter_outcome(a, quota, cod, weights=council_weights(qmv))
        if rule == "vote-weights":  # capabilities proportional to the votes: the same win-sets either way
            np.testing.assert_array_equal(explicit, setter_outcome(a, quota, cod))
        else:
            ref = read_deu(SAMPLE, capability="vote-weights")[0]
            np.testing.assert_array_equal(explicit, setter_outcome(to_arrays(ref.scenario), quota, cod))
    # the weight given as one per actor or per cell is the same
    votes = council_weights(qmv)
    per_cell = np.broadcast_to(votes[None, :, None], a.capability.shape)
    np.testing.assert_array_equal(acceptable_set(a, quota, cod, weights=votes)["win_lower"],
                                  acceptable_set(a, quota, cod, weights=per_cell)["win_lower"])  # fmt: skip


@needs_deu
def test_deu_figures_of_the_docs() -> None:
    """The in-sample counts and the setter's MAE docs/procedural.md quotes (exact: nothing random)."""
    import sys

    sys.path.insert(0, str(REPO / "benchmarks"))
    from cv_deu_procedural import load

    d = load(DEU_DEV, "vote-weights")
    y, rp = d["observed"], d["rp"]
    has = ~np.isnan(rp)
    point = has & (d["win_upper"] - d["win_lower"] < 1e-9)
    inside = has & (y >= d["win_lower"] - 1e-9) & (y <= d["win_upper"] + 1e-9)
    assert (y.size, has.sum(), point.sum(), inside.sum(), (inside & point).sum()) == (252, 180, 108, 82, 28)
    assert np.abs(d["setter"] - y).mean() == pytest.approx(33.238, abs=5e-4)
    from cv_deu_procedural import absent_support_winsets

    assert absent_support_winsets(DEU_DEV) == (180, 96, 98)
    # every forecast of the clipped tables lies in the win-set where there is one
    lo, hi = np.nan_to_num(d["win_lower"], nan=-np.inf), np.nan_to_num(d["win_upper"], nan=np.inf)
    assert np.all((d["snap_clip"] >= lo[:, None] - 1e-9) & (d["snap_clip"] <= hi[:, None] + 1e-9))


@needs_deu
def test_deu_cross_validation_of_the_docs() -> None:
    """The table of docs/procedural.md: nested grouped CV, 10 folds × 20 repeats, seed 0 (deterministic; the tolerance
    0.005 is the page's rounding). No procedural ingredient improves snap-compromise; the nested choice is it."""
    import sys

    sys.path.insert(0, str(REPO / "benchmarks"))
    from cv_deu_families import fit_family, nested, summary
    from cv_deu_procedural import load, tables

    d = load(DEU_DEV, "vote-weights")
    y = d["observed"]
    fitters = {}
    for name, table in tables(d).items():
        err = np.abs(table - y[:, None])
        fitters[name] = lambda train, rng, t=table, e=err: fit_family((t, None), e, train)
    res = nested(d, fitters, 10, 20, 0)
    single = res["single"]
    got = {k: summary(d, f)["mae"] for k, f in single.items()}
    expected = {"snap-compromise": 20.82, "snap, clipped to the win-set": 29.42,
                "snap, clipped to the setter's set": 29.31, "clip, then snap": 29.51, "snap + setter": 20.82}  # fmt: skip
    assert got == pytest.approx(expected, abs=0.005)
    chosen = summary(d, np.asarray(res["chosen"]))
    assert (chosen["mae"], chosen["diff"], chosen["pct"]) == pytest.approx((20.82, -1.97, -8.6), abs=0.05)
    assert res["picks"] == {"snap-compromise": 200}
