"""Perturbed batches: the distributions the spec promises, clipping, dropout, shocks, determinism."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from detente.scenario.arrays import to_arrays
from detente.uncertainty.perturb import draw, draw_uniforms, perturb
from detente.uncertainty.spec import NONE, PerturbationSpec

from ._uncertainty_scenarios import line, toy

B = 20000


def spec(**kw) -> PerturbationSpec:
    return PerturbationSpec.model_validate(kw)


def test_shapes_and_determinism():
    s = toy()
    a = draw(s, None, 50, seed=3)
    b = draw(s, None, 50, seed=3)
    c = draw(s, None, 50, seed=4)
    assert a.position.shape == (50, 4, 2) and a.status_quo.shape == (50, 2)
    for f in ("position", "salience", "capability", "mask"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    assert not np.array_equal(a.position, c.position)


def test_uniforms_do_not_depend_on_chunking():
    actors = ("a", "b", "c")
    whole = draw_uniforms(np.random.default_rng(5), 10, actors, 2)
    rng = np.random.default_rng(5)
    parts = [draw_uniforms(rng, k, actors, 2) for k in (3, 3, 4)]
    for f in ("position", "salience", "capability", "dropout", "shock", "shock_size"):
        np.testing.assert_array_equal(getattr(whole, f), np.concatenate([getattr(p, f) for p in parts]))
    assert ((whole.position > 0) & (whole.position < 1)).all()


def test_null_spec_changes_nothing():
    arr = to_arrays(toy())
    out = draw(arr, NONE, 5, seed=1)
    for f in ("position", "salience", "capability", "mask", "status_quo"):
        np.testing.assert_array_equal(getattr(out, f), np.repeat(getattr(arr, f), 5, axis=0))


def test_normal_position_noise_has_the_stated_sd_and_is_clipped():
    s = line([50, 3], [1, 1], [50, 50])
    out = draw(s, spec(position={"scale": 0.1, "relative": True}), B, seed=1)
    x = out.position[:, 0, 0]
    # sd 10 points around 50: mean within 4 standard errors, sd within 4 of its standard errors
    assert abs(x.mean() - 50) < 4 * 10 / np.sqrt(B)
    assert abs(x.std(ddof=1) - 10) < 4 * 10 / np.sqrt(2 * (B - 1))
    assert stats.kstest((x - 50) / 10, "norm").pvalue > 1e-4
    near = out.position[:, 1, 0]  # at 3 with sd 10: clipped to the scale, ~38 % of draws at exactly 0
    assert near.min() == 0 and near.max() <= 100
    assert abs((near == 0).mean() - stats.norm.cdf(-0.3)) < 4 * np.sqrt(0.25 / B)


def test_uniform_and_lognormal_noise():
    s = line([50, 50], [2, 2], [50, 50])
    sp = spec(salience={"dist": "uniform", "scale": 20}, capability={"dist": "lognormal", "scale": 0.3})
    out = draw(s, sp, B, seed=2)
    sal = out.salience[:, 0, 0] * 100
    assert sal.min() >= 30 and sal.max() <= 70 and abs(sal.mean() - 50) < 4 * 20 / np.sqrt(3 * B)
    cap = out.capability[:, 0, 0]
    assert stats.kstest(np.log(cap / 2) / 0.3, "norm").pvalue > 1e-4  # median-preserving lognormal


def test_rules_exempt_an_actor_and_masked_cells_stay_empty():
    s = toy()
    out = draw(
        s, spec(position={"scale": 5, "rules": [{"actor": "b", "scale": 0}]}, salience={"scale": 10}), 100, seed=1
    )
    arr = to_arrays(s)
    np.testing.assert_array_equal(out.position[:, 1], np.repeat(arr.position[:, 1], 100, axis=0))
    assert (out.position[:, 0, 0] != 10).all()
    c_i2 = (slice(None), 2, 1)  # c has no stance on i2
    assert not out.mask[c_i2].any() and (out.salience[c_i2] == 0).all() and (out.position[c_i2] == -1).all()


def test_dropout_frequency_and_no_issue_is_emptied():
    s = toy()
    p = 0.3
    out = draw(s, spec(dropout={"probability": p, "actors": ["a", "b", "d"]}), B, seed=5)
    present = out.mask[:, :, 0]  # everyone has a stance on i1
    assert present[:, 2].all()  # c is not eligible
    # a drops out with p, except in draws where a, b and d (everyone on i2) would all drop: those keep everyone
    expect = p * (1 - p * p)
    assert abs((~present[:, 0]).mean() - expect) < 4 * np.sqrt(expect * (1 - expect) / B)
    assert out.mask[:, :, 1].any(axis=1).all()
    gone = ~out.mask[:, 0, 0]
    assert (out.salience[gone, 0, :] == 0).all() and (out.capability[gone, 0, :] == 0).all()


@pytest.mark.parametrize("mode", ["shift", "redraw"])
def test_shocks_change_saliences_of_a_share_of_actors(mode):
    s = line([20, 80], [1, 1], [50, 50])
    p = 0.25
    out = draw(s, spec(shocks={"probability": p, "size": 30, "mode": mode}), B, seed=6)
    sal = out.salience[:, :, 0] * 100
    hit = sal != 50
    assert abs(hit.mean() - p) < 4 * np.sqrt(p * (1 - p) / (2 * B))
    moved = sal[hit]
    if mode == "shift":
        assert moved.min() >= 20 and moved.max() <= 80
        assert stats.kstest((moved - 20) / 60, "uniform").pvalue > 1e-4
    else:
        assert stats.kstest(moved / 100, "uniform").pvalue > 1e-4


def test_perturb_needs_a_single_scenario():
    arr = to_arrays(toy()).with_batch(2)
    with pytest.raises(ValueError, match="batch 1"):
        perturb(arr, NONE, draw_uniforms(np.random.default_rng(0), 2, arr.actors, 2))


_dist = st.sampled_from(["normal", "uniform", "lognormal"])
_noise = st.fixed_dictionaries({"dist": _dist, "scale": st.floats(0, 50, allow_nan=False), "relative": st.booleans()})


@settings(max_examples=40, deadline=None)
@given(
    position=_noise,
    salience=_noise,
    capability=_noise,
    dropout=st.floats(0, 1),
    shock=st.floats(0, 1),
    seed=st.integers(0, 2**32),
)
def test_any_spec_keeps_every_value_in_its_range(position, salience, capability, dropout, shock, seed):
    s = toy()
    sp = spec(
        position=position,
        salience=salience,
        capability=capability,
        dropout=dropout,
        shocks={"probability": shock, "mode": "shift", "size": 50},
    )
    out = draw(s, sp, 64, seed=seed)
    lo, hi = out.lower[None, None, :], out.upper[None, None, :]
    assert ((out.position >= lo) & (out.position <= hi)).all()
    assert ((out.salience >= 0) & (out.salience <= 1)).all() and (out.capability >= 0).all()
    assert np.isfinite(out.position).all() and np.isfinite(out.capability).all()
    base = to_arrays(s).mask[0]
    assert not (out.mask & ~base).any()  # nobody gains a stance
    assert out.mask.any(axis=1)[:, base.any(axis=0)].all()  # no issue loses everyone
    off = ~out.mask
    assert (out.salience[off] == 0).all() and (out.capability[off] == 0).all()
