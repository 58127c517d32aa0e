"""Sobol indices: the compromise model's analytic first-order indices, groupings, the tornado chart."""

from __future__ import annotations

import json

import numpy as np
import pytest

from detente.errors import ParameterError
from detente.uncertainty import sensitivity

from ._uncertainty_scenarios import line, toy

POS = [20.0, 45.0, 60.0, 80.0]
CAP = [3.0, 1.0, 2.0, 4.0]
SAL = [50.0, 90.0, 70.0, 30.0]
SD = [4.0, 8.0, 2.0, 6.0]


@pytest.mark.parametrize("dist", ["normal", "uniform"])
def test_compromise_first_order_indices_match_the_analytic_ones(dist):
    """O = Σ w x / W is linear in independent positions: S1_i = ST_i = w_i² Var x_i / Σ_k w_k² Var x_k.

    Tolerance: 0.01 absolute, and inside the 95 % delta-method half-width (N = 2048 base samples; the estimates come
    out within about 0.001 of the analytic values, the half-widths are about 0.01–0.04).
    """
    s = line(POS, CAP, SAL)
    spec = {"position": {"dist": dist, "scale": 0, "rules": [{"actor": f"a{k}", "scale": SD[k]} for k in range(4)]}}
    res = sensitivity(s, "compromise", draws=2048, seed=3, perturb=spec, groups="actor")
    w = np.array(CAP) * np.array(SAL)
    share = w**2 * np.array(SD) ** 2
    want = share / share.sum()
    assert res.groups == ("a0", "a1", "a2", "a3")
    assert (np.abs(res.S1[0] - want) < np.minimum(res.S1_conf[0], 0.01)).all(), (res.S1[0], want)
    assert (np.abs(res.ST[0] - want) < np.minimum(res.ST_conf[0], 0.01)).all(), (res.ST[0], want)
    var = (share / w.sum() ** 2).sum() * (1 / 3 if dist == "uniform" else 1)
    assert res.variance[0] == pytest.approx(var, rel=0.1)


def test_groupings_and_documents(tmp_path):
    s = toy()
    for groups, expect in [
        ("field", {"position", "salience", "capability"}),
        ("actor", {"a", "b", "c", "d"}),
        ("issue", {"i1", "i2"}),
    ]:
        res = sensitivity(s, "compromise", draws=64, seed=1, groups=groups)  # type: ignore[arg-type]
        assert set(res.groups) == expect
        assert res.S1.shape == (2, len(expect))
    res = sensitivity(s, "median", draws=64, seed=1)
    assert "a:position" in res.groups and "c:salience" in res.groups
    df = res.frame()
    assert len(df) == 2 * len(res.groups)
    doc = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    assert doc["evaluations"] == 64 * (len(res.groups) + 2)
    res.figure().savefig(tmp_path / "t.png")
    assert (tmp_path / "t.png").stat().st_size > 1000


def test_same_seed_same_indices():
    a = sensitivity(toy(), "compromise", draws=64, seed=5).to_dict()
    b = sensitivity(toy(), "compromise", draws=64, seed=5).to_dict()
    assert json.dumps(a) == json.dumps(b)


def test_an_issue_without_uncertainty_gets_zero_indices():
    res = sensitivity(
        toy(),
        "compromise",
        draws=64,
        seed=1,
        perturb={"position": {"scale": 5, "rules": [{"issue": "i2", "scale": 0}]}},
        groups="actor",
    )
    assert (res.S1[1] == 0).all() and res.variance[1] == 0


def test_errors():
    with pytest.raises(ParameterError, match="groups"):
        sensitivity(toy(), "compromise", draws=8, seed=1, groups="everything")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="no input uncertain"):
        sensitivity(toy(), "compromise", draws=8, seed=1, perturb=False)
    with pytest.raises(ParameterError, match="two groups"):
        sensitivity(toy(), "compromise", draws=8, seed=1, perturb={"salience": {"scale": 5}}, groups="field")
