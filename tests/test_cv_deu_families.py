"""The model-family comparison on DEU (``benchmarks/cv_deu_families.py``): the procedural point by hand, the nested
cross-validation never looks at held-out outcomes and finds a family that is right by construction, and its
figures on the DEU development subset.

The DEU test reads ``../shared/data/deu/deu3_dev.csv`` (third-party data, not in the repository) and skips without it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
DEU = Path(os.environ.get("DETENTE_SHARED", REPO.parent / "shared")) / "data" / "deu" / "deu3_dev.csv"
sys.path.insert(0, str(REPO / "benchmarks"))
import cv_deu_families as fam  # noqa: E402

NAN = float("nan")
X = np.array([0.0, 40.0, 60.0, 100.0])
W = np.ones(4)
ALL = np.ones(4, bool)


def test_setter_point_by_hand():
    # QMV 0.71 of 4 equal members: 3 of them at or above 40 (lower pivot), at or below 60 (upper pivot)
    # reference point 10 below the core: the pivot at 40 accepts up to 70; the Commission at 100 gets 70
    assert fam.setter_point(X, W, ALL, com=100, ep=NAN, rp=10, qmv=True, cod=False) == 70
    # a Commission inside what the pivot accepts gets its own position
    assert fam.setter_point(X, W, ALL, com=55, ep=NAN, rp=10, qmv=True, cod=False) == 55
    # unanimity: 10 lies inside the unanimity core [0, 100] (the member at 0 vetoes any move up): it stays
    assert fam.setter_point(X, W, ALL, com=100, ep=NAN, rp=10, qmv=False, cod=False) == 10
    # codecision: the Parliament at 25 accepts up to 40 from 10
    assert fam.setter_point(X, W, ALL, com=100, ep=25, rp=10, qmv=True, cod=True) == 40
    # the reference point inside the Council's core stays; missing, the Commission is clipped to the core
    assert fam.setter_point(X, W, ALL, com=100, ep=NAN, rp=50, qmv=True, cod=False) == 50
    assert fam.setter_point(X, W, ALL, com=100, ep=NAN, rp=NAN, qmv=True, cod=False) == 60
    # mirror image: reference point above the core
    assert fam.setter_point(100 - X, W, ALL, com=0, ep=NAN, rp=90, qmv=True, cod=False) == 30
    # no Commission: no procedural point
    assert np.isnan(fam.setter_point(X, W, ALL, com=NAN, ep=NAN, rp=10, qmv=True, cod=False))


def synthetic(seed: int = 0, proposals: int = 30, exact: int = 2):
    """Issues in proposals of 2–4 issues; candidate ``exact`` of family "b" is the outcome itself."""
    rng = np.random.default_rng(seed)
    prop = np.repeat(np.arange(proposals), rng.integers(2, 5, proposals))
    n = prop.size
    y = rng.uniform(0, 100, n)
    a = rng.uniform(0, 100, (n, 3))
    b = rng.uniform(0, 100, (n, 4))
    b[:, exact] = y
    return {"proposal": prop, "observed": y, "compromise": a[:, 0]}, {"a": (a, None), "b": (b, None)}


def test_fits_never_look_at_held_out_outcomes():
    d, fams = synthetic()
    y = d["observed"]
    train = d["proposal"] % 3 != 0
    err = np.abs(fams["a"][0] - y[:, None])
    got = fam.fit_family(fams["a"], err, train)
    y2 = np.where(train, y, 1000 - y)  # garbage outcomes on the held-out proposals
    err2 = np.abs(fams["a"][0] - y2[:, None])
    np.testing.assert_array_equal(fam.fit_family(fams["a"], err2, train), got)
    split = (fams["a"][0], d["proposal"] % 2 == 0)
    np.testing.assert_array_equal(fam.fit_family(split, err, train), fam.fit_family(split, err2, train))


def test_nested_choice_finds_the_exact_family_and_is_reproducible():
    d, fams = synthetic()
    fitters = {k: (lambda tr, rng, f=f: fam.fit_family(f, np.abs(f[0] - d["observed"][:, None]), tr))
               for k, f in fams.items()}  # fmt: skip
    res = fam.nested(d, fitters, folds=5, repeats=3, seed=7)
    assert res["picks"] == {"b": 15}
    np.testing.assert_array_equal(res["chosen"], np.broadcast_to(d["observed"], (3, d["observed"].size)))
    s = fam.summary(d, res["single"]["a"], res["single"]["b"])
    assert s["mae"] > 10 and s["vs_cc"] == pytest.approx(s["mae"])
    again = fam.nested(d, fitters, folds=5, repeats=3, seed=7)
    np.testing.assert_array_equal(again["single"]["a"], res["single"]["a"])


def test_lad_lasso_reaches_the_linear_programme_optimum():
    """IRLS against the exact optimum from HiGHS: the objective within 1e-4 (relative; IRLS stops on a relative
    improvement of 1e-8 and floors residuals at 1e-7, which costs less than that)."""
    from scipy import sparse
    from scipy.optimize import linprog

    rng = np.random.default_rng(3)
    for _ in range(5):
        X = rng.normal(0, 20, (120, 4))
        y = X @ rng.normal(0, 0.2, 4) + 20 * rng.standard_t(2, 120)
        for lam in (0.0, 1.0, 30.0):
            m, k = X.shape
            pen = lam * m / 100
            A = sparse.hstack([sparse.csr_matrix(X), sparse.csr_matrix(-X), sparse.eye(m), -sparse.eye(m)])
            best = linprog(np.r_[np.full(2 * k, pen), np.ones(2 * m)], A_eq=A, b_eq=y, bounds=(0, None)).fun
            b = fam.lad_lasso(X, y, lam)
            got = np.abs(y - X @ b).sum() + pen * np.abs(b).sum()
            assert best <= got + 1e-6 and got <= best * (1 + 1e-4)


def test_isotonic_median_regression_by_hand():
    # 1, 3, 2, 4 at x = 0..3: the violators 3, 2 pool at their median 2.5
    xs, steps = fam.pava_l1(np.array([0.0, 1.0, 2.0, 3.0]), np.array([1.0, 3.0, 2.0, 4.0]))
    np.testing.assert_array_equal(xs, [0, 1, 2, 3])
    np.testing.assert_array_equal(steps, [1, 2.5, 2.5, 4])
    # a decreasing run pools into one block at the median; order of x, not of input
    xs, steps = fam.pava_l1(np.array([3.0, 1.0, 2.0, 0.0]), np.array([0.0, 2.0, 1.0, 3.0]))
    np.testing.assert_array_equal(steps, [1.5, 1.5, 1.5, 1.5])
    # already monotone: returned as is
    _, steps = fam.pava_l1(np.arange(5.0), np.array([0.0, 0.0, 1.0, 7.0, 9.0]))
    np.testing.assert_array_equal(steps, [0, 0, 1, 7, 9])


def test_convex_lad_by_hand_and_against_a_grid():
    # the outcome is the second forecast: all the weight on it
    F = np.array([[0.0, 10.0], [5.0, 20.0], [50.0, 30.0]])
    np.testing.assert_allclose(fam.convex_lad(F, F[:, 1]), [0, 1], atol=1e-9)
    # against a fine grid over the simplex of three forecasts: the programme's optimum is no worse
    rng = np.random.default_rng(2)
    F = rng.uniform(0, 100, (40, 3))
    y = F @ np.array([0.2, 0.5, 0.3]) + rng.normal(0, 10, 40)
    beta = fam.convex_lad(F, y)
    assert beta.min() >= 0 and beta.sum() == pytest.approx(1)
    grid = [(a, b, 1 - a - b) for a in np.linspace(0, 1, 101) for b in np.linspace(0, 1, 101) if a + b <= 1 + 1e-12]
    best = min(np.abs(y - F @ np.array(w)).sum() for w in grid)
    assert np.abs(y - F @ beta).sum() <= best + 1e-6


def test_mixture_median_by_hand():
    z = np.array([[0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0]])
    lottery = (z >= 100).astype(float) * 0.7 + (z >= 0).astype(float) * 0.3  # 0.3 at 0, 0.7 at 100
    centre, none = np.array([40.0]), np.zeros(1)
    at_rp = (z >= 20).astype(float)
    # a point mass at 40 with λ = 1/3: CDF 0.2 below 40, 0.533 at 40 -> 40 (the core [0, 100] does not clip)
    assert fam.mixture_median(z, lottery, centre, none, at_rp, 1 / 3, none)[0] == 40.0
    # λ = 0.2: 0.24 below 40, 0.44 at 40, 1 at 100 -> the lottery's upper position
    assert fam.mixture_median(z, lottery, centre, none, at_rp, 0.2, none)[0] == 100.0
    # a reference point at 20 with r = 0.5: 0.5 · 0.3 + 0.5 = 0.65 at 20 -> 20
    assert fam.mixture_median(z, lottery, centre, none, at_rp, 1 / 3, np.array([0.5]))[0] == 20.0
    # a Laplace of scale 30 around 40: the mixture's CDF is 0.2 + L(z)/3, which reaches 1/2 where L = 0.9, i.e.
    # 1 − exp(−(z − 40)/30)/2 = 0.9, z = 40 + 30 ln 5 = 88.3: the next candidate point is 90
    assert fam.mixture_median(z, lottery, centre, np.array([30.0]), at_rp, 1 / 3, none)[0] == 90.0
    z2 = np.array([[0.0, 40.0, 88.0, 88.5, 100.0]])
    lottery2 = (z2 >= 100) * 0.7 + 0.3
    assert fam.mixture_median(z2, lottery2, centre, np.array([30.0]), z2 >= 20, 1 / 3, none)[0] == 88.5


@pytest.mark.skipif(not DEU.exists(), reason=f"DEU data not found at {DEU} (third-party, not shipped)")
def test_no_family_reaches_ten_percent_below_compromise_on_deu():
    """Measured with 20 repeats (docs/snap-compromise.md): compromise 22.79, core-compromise 21.58, snap to positions
    20.82, the nested choice among the 29 grid and fitted families of the first rounds 21.63 (−5.1 %; among all 37
    tried, 21.56). With 2 repeats the figures move by a few tenths;
    the bounds leave room for that and still say what the table says: nothing is 10 % below compromise."""
    d = fam.load(DEU, "vote-weights")
    assert d["observed"].size == 252 and np.unique(d["proposal"]).size == 98
    assert np.abs(d["compromise"] - d["observed"]).mean() == pytest.approx(22.787, abs=1e-3)
    assert not np.isnan(d["setter_or_c"]).any()
    # the costly no-agreement (docs/validation.md): in sample every cost helps nash, and its quadratic error falls with
    # each increase of the cost toward compromise's (the limit, 2·100/99 points away at c = 100) without going below
    nash_cost = np.abs(d["nash_cost"] - d["observed"][:, None]).mean(axis=0)
    quadratic = nash_cost[[k for k, m in enumerate(fam.NASH_COSTS) if m.startswith("nash(p=2")]]
    assert (nash_cost < np.abs(d["nash"] - d["observed"]).mean()).all() and (np.diff(quadratic) < 0).all()
    assert quadratic[-1] == pytest.approx(22.787, abs=0.01) and quadratic.min() > 22.787 - 1e-3
    res = fam.nested(d, fam.grid_fitters(d), folds=10, repeats=2, seed=0)
    chosen = fam.summary(d, np.asarray(res["chosen"]))
    cc = fam.summary(d, res["single"]["core-compromise"])
    snap = fam.summary(d, res["single"]["snap to positions"], res["single"]["core-compromise"])
    assert -9.0 < chosen["pct"] < -2.0
    assert -8.0 < cc["pct"] < -3.0
    assert -10.0 < snap["pct"] < -6.0 and snap["vs_cc"] < 0
    # the snap family is the registered model: its forecasts at the shipped defaults are the model's
    import cv_deu
    from detente.models.snap_compromise import FITTED_EXTREME_WEIGHT, FITTED_RADIUS, FITTED_THETA

    column = fam.SNAP.index(100 * FITTED_RADIUS) * len(fam.GRID) + fam.GRID.index((FITTED_EXTREME_WEIGHT, FITTED_THETA))
    snap_model = fam.get("snap-compromise")  # its forecasts of the issues with an observed outcome, in file order
    model = np.concatenate([snap_model.solve(a).outcomes[0, keep]
                            for _, a, keep in cv_deu.scored_proposals(DEU, "vote-weights")])  # fmt: skip
    np.testing.assert_allclose(fam.snap_table(d)[:, column], model, rtol=0, atol=1e-9)
    # the outer splits are those of benchmarks/cv_deu.py: the core-compromise row is its figure
    assert cc["mae"] == pytest.approx(cv_deu.nested_cv(cv_deu.load(DEU, "vote-weights", False), False, 10, 2, 0)
                                      ["model_mae"], abs=1e-12)  # fmt: skip


def small_deu(seed: int = 0, issues: int = 40, actors: int = 5) -> dict[str, np.ndarray]:
    """Issues of four-issue proposals in the layout of ``fam.load``: positions on 0–100, capability × salience."""
    rng = np.random.default_rng(seed)
    x = rng.choice([0.0, 25.0, 50.0, 75.0, 100.0], (issues, actors))
    cap, sal = rng.uniform(0.5, 2.0, (issues, actors)), rng.uniform(0.1, 1.0, (issues, actors))
    cap[:] = cap[:1]  # one capability per actor
    d = {"x": x, "cap": cap, "sal": sal, "w": cap * sal, "present": np.ones((issues, actors), bool),
         "proposal": np.repeat(np.arange(issues // 4), 4), "observed": rng.uniform(0, 100, issues),
         "lowest": x.min(axis=1), "highest": x.max(axis=1), "com": x[:, 0], "ep": np.full(issues, NAN),
         "rp": np.full(issues, NAN)}  # fmt: skip
    d["grid"] = fam.core_grid(*fam._actors(d))
    return d


def test_relative_salience_is_the_snap_at_gamma_0_and_ignores_an_actors_scale_at_gamma_1():
    d = small_deu()
    table = fam.relative_salience_table(d)
    block = table.shape[1] // len(fam.RELATIVE_SALIENCE)
    np.testing.assert_array_equal(table[:, :block], fam.snap_table(d))
    # γ = 1: an actor that states every salience of a proposal 3 times as high carries the same weight there
    louder = d | {"sal": d["sal"] * np.where(np.arange(5) == 2, 3.0, 1.0), "w": d["w"] * np.where(np.arange(5) == 2,
                                                                                                3.0, 1.0)}  # fmt: skip
    g1 = slice(2 * block, 3 * block)
    np.testing.assert_allclose(fam.relative_salience_table(louder)[:, g1], table[:, g1], rtol=0, atol=1e-9)
    assert not np.allclose(fam.relative_salience_table(louder)[:, :block], table[:, :block])  # γ = 0 is moved


def test_rank_scale_equals_the_snap_on_evenly_spaced_positions_and_not_otherwise():
    d = small_deu()
    even = d | {"x": np.tile([0.0, 25.0, 50.0, 75.0, 100.0], (40, 1))}
    even["grid"] = fam.core_grid(*fam._actors(even))
    np.testing.assert_allclose(fam.rank_scale_table(even), fam.snap_table(even), rtol=0, atol=1e-9)
    uneven = d | {"x": np.tile([0.0, 5.0, 10.0, 15.0, 100.0], (40, 1))}
    uneven["grid"] = fam.core_grid(*fam._actors(uneven))
    ranked = fam.rank_scale_table(uneven)
    assert ((ranked >= 0) & (ranked <= 100)).all() and not np.allclose(ranked, fam.snap_table(uneven))


def test_conditional_logit_learns_that_the_largest_share_wins():
    """Outcomes always on the position with the largest share of capability × salience: fitted on half the
    proposals, the logit forecasts that position on most issues of the other half (0.81 measured; where two shares
    are close neither holds half the probability), more often than core-compromise (0.65), and only voiced positions
    or the core-compromise forecast."""
    d = small_deu(seed=3, issues=200)
    share = np.stack([[d["w"][i][d["x"][i] == v].sum() for v in d["x"][i]] for i in range(200)])
    d["observed"] = d["x"][np.arange(200), np.argmax(share, axis=1)]
    train = d["proposal"] % 2 == 0
    f = fam.clogit_fitter(d, fam.CLOGIT_FEATURES[:2])(train, np.random.default_rng(0))
    k = int(np.argmin(np.abs(d["grid"][train] - d["observed"][train, None]).sum(axis=0)))
    hits = np.mean(f[~train] == d["observed"][~train])
    assert hits > 0.75 and hits > np.mean(np.isclose(d["grid"][~train, k], d["observed"][~train])) + 0.1  # 0.65
    on_position = (f[:, None] == d["x"]).any(axis=1)
    assert (on_position | (f == d["grid"][:, k])).all()


def test_presidency_by_date():
    import datetime as dt

    assert fam.presidency(dt.date(1999, 6, 30)) == "de" and fam.presidency(dt.date(1999, 7, 1)) == "fi"
    assert fam.presidency(dt.date(2008, 3, 1)) == "si" and fam.presidency(dt.date(2003, 1, 1)) == "el"
    assert fam.presidency(None) is None and fam.presidency(dt.date(1990, 1, 1)) is None
    # the six founding members all chair within 1995–2006
    assert {c for pair in list(fam.PRESIDENCIES.values())[:12] for c in pair} >= {"de", "fr", "it", "nl", "be", "lu"}


def test_presidency_weight_1_is_the_snap():
    d = small_deu()
    d["is_presidency"] = np.zeros_like(d["present"])
    d["is_presidency"][:, 1] = True
    table = fam.presidency_table(d)
    block = table.shape[1] // len(fam.PRESIDENCY_WEIGHTS)
    np.testing.assert_array_equal(table[:, :block], fam.snap_table(d))
    assert not np.allclose(table[:, -block:], table[:, :block])  # k = 5 moves forecasts toward actor 1
