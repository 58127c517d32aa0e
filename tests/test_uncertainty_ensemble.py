"""Ensembles: the compromise model's analytic mean and variance, determinism, summaries, every registered model."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from detente.errors import ParameterError, ScenarioError
from detente.models import available
from detente.scenario.arrays import to_arrays
from detente.uncertainty import ensemble

from ._uncertainty_scenarios import line, toy

POS = [20.0, 45.0, 60.0, 80.0]
CAP = [3.0, 1.0, 2.0, 4.0]
SAL = [50.0, 90.0, 70.0, 30.0]
SD = [4.0, 8.0, 2.0, 6.0]


def position_noise_only():
    return {"position": {"scale": 0.0, "rules": [{"actor": f"a{k}", "scale": SD[k]} for k in range(4)]}}


def test_compromise_under_normal_position_noise_has_the_analytic_mean_and_variance():
    """O = Σ w x / W with x_i ~ N(x̄_i, σ_i²) independent: E O = Σ w x̄ / W, Var O = Σ w² σ² / W².

    Tolerance: 4 Monte Carlo standard errors (mean: sd/√B; variance: σ²√(2/(B−1)), O is exactly normal). Positions
    lie ≥ 5 sd inside the scale, so clipping changes the moments by < 1e-6 of that tolerance.
    """
    B = 40000
    s = line(POS, CAP, SAL)
    ens = ensemble(s, "compromise", draws=B, perturb=position_noise_only(), seed=11)
    w = np.array(CAP) * np.array(SAL) / 100
    mean = float((w * POS).sum() / w.sum())
    var = float((w**2 * np.array(SD) ** 2).sum() / w.sum() ** 2)
    row = ens.summary().iloc[0]
    assert abs(row["mean"] - mean) < 4 * np.sqrt(var / B)
    assert abs(row["sd"] ** 2 - var) < 4 * var * np.sqrt(2 / (B - 1))
    assert stats.kstest((ens.outcomes[:, 0] - mean) / np.sqrt(var), "norm").pvalue > 1e-4
    for t in (40.0, mean, 60.0):
        p = float(stats.norm.sf(t, mean, np.sqrt(var)))
        assert abs(ens.probability("x", ">=", t) - p) < 4 * np.sqrt(p * (1 - p) / B) + 1e-12
        assert ens.probability("x", ">=", t) + ens.probability("x", "<", t) == pytest.approx(1)
    q = ens.summary().iloc[0]
    assert q["q50"] == pytest.approx(mean, abs=4 * 1.2533 * np.sqrt(var / B))


def test_same_seed_same_bytes_any_chunk_and_another_seed_differs():
    s = toy()
    a = json.dumps(ensemble(s, "compromise", draws=300, seed=5).to_dict())
    b = json.dumps(ensemble(s, "compromise", draws=300, seed=5).to_dict())
    assert a == b
    c = ensemble(s, "compromise", draws=300, seed=5, chunk=7)
    np.testing.assert_array_equal(c.outcomes, ensemble(s, "compromise", draws=300, seed=5).outcomes)
    assert json.dumps(ensemble(s, "compromise", draws=300, seed=6).to_dict()) != a


def test_summaries_histogram_actor_distribution_and_tidy_frames():
    s = toy()
    ens = ensemble(s, "compromise", draws=500, seed=2, perturb={"position": {"scale": 5}, "dropout": 0.2}, bins=10)
    counts, edges = ens.histogram("i2")
    assert counts.sum() == 500 and edges[0] == -1 and edges[-1] == 1 and len(counts) == 10
    doc = ens.to_dict()
    assert doc["seed"] == 2 and doc["draws"] == 500 and doc["model"] == "compromise"
    assert set(doc["issues"]["i1"]["p_ge"]) == {"30", "70"}  # the labelled points of i1's scale
    assert set(doc["issues"]["i2"]["p_ge"]) == {"-0.5", "0", "0.5"}  # quarter points when none are labelled
    assert doc["issues"]["i1"]["status"] == {"static": 500}
    asum = ens.actor_summary().set_index(["actor", "issue"])
    assert 0.7 < asum.loc[("a", "i1"), "present"] < 0.9  # dropout 0.2
    assert ("c", "i2") not in asum.index  # no stance
    fr = ens.frame()
    assert len(fr) == 1000 and list(fr.columns) == ["draw", "issue", "outcome", "status", "rounds"]
    pf = ens.positions_frame()
    assert len(pf) == int(ens.mask.sum())


def test_thresholds_argument_and_errors():
    s = toy()
    ens = ensemble(s, "median", draws=50, seed=1, thresholds={"i1": [50]})
    assert ens.to_dict()["issues"]["i1"]["p_ge"].keys() == {"50"}
    with pytest.raises(ParameterError, match="unknown issue"):
        ensemble(s, "median", draws=5, seed=1, thresholds={"zz": [1]})
    with pytest.raises(ParameterError, match="draws=0"):
        ensemble(s, "median", draws=0, seed=1)
    with pytest.raises(ScenarioError, match="position.rules\\[0\\].actor"):
        ensemble(s, "median", draws=5, seed=1, perturb={"position": {"scale": 1, "rules": [{"actor": "q"}]}})
    with pytest.raises(ParameterError, match="seed"):
        ensemble(s, "median", draws=5, seed=-1)


def test_seed_none_draws_a_seed_and_records_it():
    s = toy()
    e = ensemble(s, "compromise", draws=20)
    again = ensemble(s, "compromise", draws=20, seed=e.provenance["seed"])
    np.testing.assert_array_equal(e.outcomes, again.outcomes)


def test_variant_ensemble_and_arrays_input():
    s = toy()
    e = ensemble(s, "compromise", draws=100, seed=1, variant="newcomer")
    assert e.actors[-1] == "e" and e.provenance["variant"] == "newcomer" and e.scenario == "toy+newcomer"
    arr = ensemble(to_arrays(s), "compromise", draws=100, seed=1)
    np.testing.assert_array_equal(arr.outcomes, ensemble(s, "compromise", draws=100, seed=1).outcomes)


@pytest.mark.parametrize("name", sorted(available()))
def test_every_registered_model_runs_as_a_batch_and_is_deterministic(name):
    s = toy()
    a = ensemble(s, name, draws=12, seed=3, chunk=5)
    b = ensemble(s, name, draws=12, seed=3, chunk=5)
    assert a.outcomes.shape == (12, 2) and a.positions.shape == (12, 4, 2)
    assert json.dumps(a.to_dict()) == json.dumps(b.to_dict())
    fin = np.isfinite(a.outcomes)
    lo, hi = a.lower[None, :], a.upper[None, :]
    assert ((a.outcomes >= lo - 1e-9) | ~fin).all() and ((a.outcomes <= hi + 1e-9) | ~fin).all()


def test_progress_bar_does_not_change_results():
    a = ensemble(toy(), "compromise", draws=30, chunk=10, seed=1, progress=True)
    b = ensemble(toy(), "compromise", draws=30, chunk=10, seed=1, progress=False)
    np.testing.assert_array_equal(a.outcomes, b.outcomes)


def test_dated_variant_in_an_ensemble_of_a_round_based_model():
    from detente.scenario.schema import Edit, Variant

    late = Variant(
        id="late",
        title="d cares more from round 2",
        edits=[Edit(op="shift", actor="d", field="salience", value=10, round=2)],
    )
    e = ensemble(toy(), "expected-utility", draws=20, seed=1, variant=late)
    assert e.provenance["dated_edits"] == [
        {"round": 2, "edit": "variant 'late' edits[0]", "what": "shift salience of 'd' (10)"}
    ]
    assert e.provenance["dated_edit_cells_clipped"] >= 0 and (e.rounds >= 2).all()
    with pytest.raises(ParameterError, match="no rounds"):
        ensemble(toy(), "compromise", draws=5, seed=1, variant=late)
