"""The CNS missile-test record (E13): the monthly figures the package records are recomputed from the data file
(read from ../shared/data/korea beside the repository; skipped when absent), and the fitted values are a maximum."""

from __future__ import annotations

import numpy as np
import pytest

from detente.strategy.staged import cns

DATA = cns.default_data_dir()
needs_data = pytest.mark.skipif(not (DATA / "nk_missile_tests_cns_via_nagix.json").is_file(),
                                reason=f"CNS data not found in {DATA} (set DETENTE_SHARED or place ../shared)")


@needs_data
def test_e13_recorded_test_days_are_recomputed_from_the_file():
    launches = cns.load_launches()
    days, cat = cns.monthly(launches, "2019-03", 23, korean=False)
    assert tuple(days) == cns.TEST_DAYS_2019_2021
    # 2019: one test day on 17 April and 13 from 4 May; 2020: four, all in March; none after
    assert days[1] == 1 and sum(days[2:10]) == 13 and days[12] == 4 and sum(days[13:]) == 0
    assert set(cat) == {0, 1}  # no strategic test in the window
    # the pause: no test day from the Hwasong-15 (Nov 2017) to 17 April 2019
    pause, _ = cns.monthly(launches, "2017-12", 16, korean=False)
    assert sum(pause) == 0
    # Korean-date binning gives the same months with tests and the same categories; it splits one September 2019
    # event (a record with a time and one without) over two dates, the only difference in the window
    kdays, kcat = cns.monthly(launches, "2019-03", 23, korean=True)
    assert kcat == cat and [d > 0 for d in kdays] == [d > 0 for d in days]
    assert [i for i in range(23) if kdays[i] != days[i]] == [6]


@needs_data
def test_recorded_climatology_is_recomputed_from_the_file():
    days, _ = cns.monthly(cns.load_launches(), "1993-01", 300, korean=False)
    y = np.array([d > 0 for d in days], dtype=int)
    assert (int(y.sum()), y.size) == cns.CLIMATOLOGY["test_months"]
    quiet_then = int(((y[:-1] == 0) & (y[1:] == 1)).sum()), int((y[:-1] == 0).sum())
    test_then = int(((y[:-1] == 1) & (y[1:] == 1)).sum()), int((y[:-1] == 1).sum())
    assert quiet_then == cns.CLIMATOLOGY["quiet_then_test"] and test_then == cns.CLIMATOLOGY["test_then_test"]


def test_recorded_estimates_are_a_maximum_of_the_likelihood():
    """The recorded estimates beat nearby points (one standard error away) on the same likelihood."""
    from detente.strategy.staged.game import SWEEP_GRID, make_game
    from detente.strategy.staged.rules import PRESETS

    days = list(cns.TEST_DAYS_2019_2021)
    est = cns.FITTED_CENTRAL

    def ll(mu: float, kc: float) -> float:
        g = make_game(PRESETS["hanoi"], {"mu_tau": mu, "kappa_cov": kc}, grid=SWEEP_GRID)
        return cns.log_likelihood(g, days, est["lambda_d"])

    best = ll(est["mu_tau"], est["kappa_cov"])
    assert abs(best - (-26.34)) < 0.05  # recorded with the border closure unforeseen (-26.38 when foreseen)
    for dm, dk in ((0.15, 0), (-0.15, 0), (0, 0.2), (0, -0.2)):
        assert ll(est["mu_tau"] + dm, est["kappa_cov"] + dk) < best


def test_prequential_refit_forecasts_each_month_from_the_months_before():
    """Refit on months < t and forecast month t: one probability per month from ``first`` on, strictly inside
    (0, 1); the first refit sees no test month, so its estimate of the test value is below the full-window one;
    the naive running rates are scored on the same months (tiny grid, few iterations: shapes and invariants)."""
    from detente.strategy.staged.game import Grid

    days = list(cns.TEST_DAYS_2019_2021[:9])
    out = cns.prequential(days, first=1, grid=Grid(3, 1, 3), maxiter=3)
    assert out["months"] == 8 and len(out["engine_forecasts"]) == 8 and out["observed_test_months"] == [1, 1, 0, 1,
                                                                                                       1, 1, 1, 1]
    assert all(0 < p < 1 for p in out["engine_forecasts"])
    assert out["fits"][0]["mu_tau"] < cns.FITTED_CENTRAL["mu_tau"]
    assert set(out["log_scores"]) == {"engine (refitted each month)", "M0 one running rate", "M1 two running rates"}
    assert all(np.isfinite(v) and v < 0 for v in out["log_scores"].values())


def test_penalised_prequential_refit_is_pulled_toward_the_priors():
    """With the pre-fit priors as a penalty the refit's test value lies between the unpenalised one and the prior
    centre (-1.5), and the output says which refit it used (tiny grid, few iterations)."""
    from detente.strategy.staged.game import Grid

    days = list(cns.TEST_DAYS_2019_2021[:6])
    plain = cns.prequential(days, first=3, grid=Grid(3, 1, 3), maxiter=5)
    pen = cns.prequential(days, first=3, grid=Grid(3, 1, 3), maxiter=5, penalised=True)
    assert plain["penalised"] is False and pen["penalised"] is True
    for a, b in zip(plain["fits"], pen["fits"], strict=True):
        assert -1.5 < b["mu_tau"] < a["mu_tau"]
