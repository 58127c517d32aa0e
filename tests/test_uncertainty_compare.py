"""Comparisons on common random numbers: exact paired differences where the model is linear, CIs, variants."""

from __future__ import annotations

import json

import numpy as np
import pytest

import detente
from detente.errors import ParameterError, ScenarioError, UnknownNameError
from detente.scenario.arrays import to_arrays
from detente.uncertainty import compare, ensemble

from ._uncertainty_scenarios import toy


def test_a_variant_without_edits_differs_by_exactly_zero():
    cmp = compare(toy(), "compromise", ["same"], draws=200, seed=1)
    d = cmp.differences()
    assert (d["diff_mean"] == 0).all() and (d["ci_low"] == 0).all() and (d["ci_high"] == 0).all()
    assert (d["p_up"] == 0).all() and (d["p_down"] == 0).all()


def test_shifting_a_position_moves_the_compromise_by_its_weight_share_in_every_draw():
    """With noise on positions only, the compromise is linear: shifting actor a by δ moves every draw by w_a δ / W."""
    s = toy()
    spec = {"position": {"scale": 3}}
    cmp = compare(s, "compromise", "shift-a", draws=400, seed=2, perturb=spec)
    arr = to_arrays(s)
    w = arr.weight[0, :, 0]
    effect = w[0] * 10 / w.sum()
    d = cmp.variants["shift-a"].outcomes[:, 0] - cmp.baseline.outcomes[:, 0]
    clipped = (cmp.baseline.positions[:, 0, 0] <= 0) | (cmp.variants["shift-a"].positions[:, 0, 0] >= 100)
    np.testing.assert_allclose(d[~clipped], effect, rtol=1e-9)
    row = cmp.differences().set_index(["variant", "issue"]).loc[("shift-a", "i1")]
    assert row["ci_low"] <= effect + 1e-9 and row["ci_high"] >= effect - 1e-9
    assert row["p_up"] == 1.0
    assert cmp.differences().set_index(["variant", "issue"]).loc[("shift-a", "i2"), "diff_mean"] == 0


def test_baseline_equals_a_plain_ensemble_with_the_same_seed():
    s = toy()
    cmp = compare(s, "median", ["no-c", "newcomer"], draws=150, seed=9)
    np.testing.assert_array_equal(cmp.baseline.outcomes, ensemble(s, "median", draws=150, seed=9).outcomes)
    np.testing.assert_array_equal(
        cmp.variants["no-c"].outcomes, ensemble(s, "median", draws=150, seed=9, variant="no-c").outcomes
    )
    # the remaining actors get the same noise in the variant as in the baseline (matched by id)
    base, var = cmp.baseline, cmp.variants["no-c"]
    np.testing.assert_array_equal(var.positions[:, [0, 1, 2]], base.positions[:, [0, 1, 3]])


def test_ci_covers_a_known_effect_under_full_noise():
    """Removing c (far right on i1) lowers the compromise on i1 in every draw; the CI is tight and negative."""
    cmp = compare(toy(), "compromise", "no-c", draws=1000, seed=4)
    row = cmp.differences().set_index(["variant", "issue"]).loc[("no-c", "i1")]
    assert row["p_down"] == 1 and row["ci_high"] < 0 and row["q_high"] < 0
    assert row["ci_high"] - row["ci_low"] == pytest.approx(2 * 1.959964 * row["diff_sd"] / np.sqrt(1000), rel=1e-5)


def test_json_document_and_figure(tmp_path):
    cmp = compare(toy(), "compromise", ["shift-a", "no-c"], draws=50, seed=1)
    doc = json.loads(json.dumps(cmp.to_dict(), allow_nan=False))
    assert doc["variants"]["no-c"]["differences"]["i1"]["n"] == 50
    assert doc["level"] == 0.95 and doc["variants"]["no-c"]["provenance"]["scenario"] == "toy+no-c"
    fig = cmp.figure()
    fig.savefig(tmp_path / "c.png")
    assert (tmp_path / "c.png").stat().st_size > 1000


def test_errors():
    s = toy()
    with pytest.raises(ParameterError, match="at least one variant"):
        compare(s, "compromise", [], draws=5, seed=1)
    with pytest.raises(UnknownNameError, match="no variant"):
        compare(s, "compromise", ["nope"], draws=5, seed=1)
    with pytest.raises(ScenarioError, match="variant 'too-far' edits\\[1\\]"):
        compare(s, "compromise", ["too-far"], draws=5, seed=1)
    with pytest.raises(ParameterError, match="level"):
        compare(s, "compromise", ["same"], draws=5, seed=1, level=1.5)


def test_korea_variants_run_with_the_expected_utility_model():
    cmp = compare("korea-2019", "expected-utility", ["seoul-centred", "bolton-departure"], draws=40, seed=1)
    d = cmp.differences()
    assert len(d) == 2 * len(detente.load("korea-2019").issues) and d["n"].min() == 40
    assert np.isfinite(d[["ci_low", "ci_high"]].to_numpy()).all()
