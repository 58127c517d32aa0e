"""Misperception mode of the staged-disarmament game: the US exploitation rate drawn from another distribution than
North Korea's prior (docs/strategy.md, "Misperception")."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import detente.cli.strategy  # noqa: F401 - registers the commands
from detente.cli.app import app
from detente.errors import ParameterError
from detente.strategy.staged.forward import forward
from detente.strategy.staged.game import Grid, make_game
from detente.strategy.staged.misperception import Truth, prior_mean
from detente.strategy.staged.montecarlo import simulate
from detente.strategy.staged.priors import central
from detente.strategy.staged.rules import PRESETS

GRID = Grid(6, 1, 5)
runner = CliRunner()


def _fw(truth, rule="sfs-freeze"):
    g = make_game(PRESETS[rule], grid=GRID, truth=truth)
    return g, forward(g, 81)


def test_truth_equal_to_the_prior_is_the_calibrated_run_bit_for_bit():
    p = central()
    g0, f0 = _fw(None)
    g1, f1 = _fw(Truth(p["p60"]))
    for name in ("reached", "war", "regime_change", "crisis_ever", "test_month", "status", "arsenal_mean",
                 "belief_mean", "first_step", "value_N"):
        assert np.array_equal(getattr(f0, name), getattr(f1, name)), name
    assert f0.value_P == f1.value_P
    m0, m1 = simulate(g0, 3000, 7), simulate(g1, 3000, 7)
    assert np.array_equal(m0.arsenal_final, m1.arsenal_final)
    assert np.array_equal(m0.occupancy, m1.occupancy)


def test_a_riskier_truth_pulls_the_belief_up_and_a_safer_one_down():
    """Exposure without acts and acts themselves move North Korea's posterior mean toward the true rate; under the
    common prior its mean over the paths stays at the prior mean (a martingale, up to the paths absorbed)."""
    p = central()
    m0 = prior_mean(p)
    _, fc = _fw(None)
    hi, lo = Truth(0.6), Truth(0.05)
    _, fh = _fw(hi)
    _, fl = _fw(lo)
    true_hi = hi.gamma(p)[0] / hi.gamma(p)[1]
    true_lo = lo.gamma(p)[0] / lo.gamma(p)[1]
    assert true_lo < m0 < true_hi
    assert fh.belief_mean[0] == fl.belief_mean[0] == pytest.approx(m0, rel=1e-6)
    # monotone in months of exposure, toward the truth, never past it
    assert np.all(np.diff(fh.belief_mean) >= -1e-15) and fh.belief_mean[80] > m0 * 1.02
    assert np.all(np.diff(fl.belief_mean) <= 1e-15) and fl.belief_mean[80] < m0 * 0.99
    assert fh.belief_mean[80] < true_hi and fl.belief_mean[80] > true_lo
    assert abs(fc.belief_mean[80] - m0) < 0.2 * abs(fh.belief_mean[80] - m0)
    # what happens follows the truth: more strikes that become war when the US is more dangerous than feared
    assert fh.war[80] > fc.war[80] > fl.war[80]


def test_truth_changes_only_what_happens_not_what_north_korea_chooses():
    g0, _ = _fw(None)
    g1, _ = _fw(Truth(0.6))
    g0.solve()
    g1.solve()
    assert np.array_equal(g0.V, g1.V)
    assert np.array_equal(g0.policy(3), g1.policy(3))
    assert g1.kernel(3, true=True) is not g1.kernel(3)
    assert g0.kernel(3, true=True) is g0.kernel(3)


@pytest.mark.parametrize("truth", [Truth(0.0), Truth(1.0), Truth(float("nan")), Truth(0.3, 50.0)])
def test_a_bad_truth_is_one_error(truth):
    with pytest.raises(ParameterError, match="true exploitation"):
        truth.check()


def test_cli_misperception_reports_the_calibrated_run_beside_it():
    args = ["strategy", "korea-2019", "--rule", "sfs-freeze", "--grid", "6,1,5", "--paths", "50", "--format", "json"]
    r = runner.invoke(app, [*args, "--true-exploitation-risk", "0.6"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["misperception"]["true_p60"] == 0.6
    entry = doc["rules"][0]
    assert "if_calibrated" in entry and entry["if_calibrated"]["metrics"].keys() == entry["metrics"].keys()
    b = entry["north_belief_mean_rate"]
    assert b["2025-11"] > b["2019-03"]
    again = runner.invoke(app, [*args, "--true-exploitation-risk", "0.6"])
    assert again.stdout == r.stdout
    bad = runner.invoke(app, [*args, "--true-exploitation-shape", "2"])
    assert bad.exit_code == 2 and "--true-exploitation-risk" in bad.output
