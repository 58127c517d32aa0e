"""The vectorised Saltelli design and the streaming Sobol' estimators against SALib and Ishigami's exact indices."""

from __future__ import annotations

import numpy as np
import pytest

from detente.uncertainty.sobol import SobolSums, block_size, design, ishigami

SALib = pytest.importorskip("SALib", reason="the cross-check against SALib needs SALib installed")

# Ishigami & Homma (1990), a = 7, b = 0.1: V = a²/8 + b·π⁴/5 + b²·π⁸/18 + 1/2
_A, _B = 7.0, 0.1
_V = _A**2 / 8 + _B * np.pi**4 / 5 + _B**2 * np.pi**8 / 18 + 0.5
_V1 = 0.5 * (1 + _B * np.pi**4 / 5) ** 2
_V2 = _A**2 / 8
_V13 = 8 * _B**2 * np.pi**8 / 225
EXACT_S1 = np.array([_V1 / _V, _V2 / _V, 0.0])
EXACT_ST = np.array([(_V1 + _V13) / _V, _V2 / _V, _V13 / _V])


def _sums(seed: int, n: int, groups: np.ndarray, G: int, c: int, center: np.ndarray | None = None) -> SobolSums:
    total = None
    for start in range(0, n, c):
        A, B, AB = design(seed, groups, G, start, min(n, start + c))
        part = SobolSums.of(
            ishigami(A)[:, None],
            ishigami(B)[:, None],
            ishigami(AB)[..., None],
            center if total is None else total.center,
        )
        total = part if total is None else total + part
    assert total is not None
    return total


def test_the_design_is_salibs_point_for_point():
    from SALib.sample import sobol as salib_sample

    problem = {"num_vars": 5, "names": list("abcde"), "bounds": [[0, 1]] * 5, "groups": ["g", "h", "g", "k", "h"]}
    X = salib_sample.sample(problem, 64, calc_second_order=False, seed=11).reshape(64, 5, 5)
    group_of = np.array([0, 1, 0, 2, 1])
    blocks = [design(11, group_of, 3, s, s + 16) for s in range(0, 64, 16)]  # four blocks, fast-forwarded
    A, B, AB = (np.concatenate([b[i] for b in blocks], axis=-2) for i in range(3))
    np.testing.assert_array_equal(A, X[:, 0])
    np.testing.assert_array_equal(B, X[:, -1])
    np.testing.assert_array_equal(AB, X[:, 1:4].transpose(1, 0, 2))


def test_ishigami_indices_match_salib_and_the_exact_values():
    """Same design as SALib (N = 4096, seed 7): S1 and ST agree with SALib's within 0.002 (the estimators differ
    only in how the outputs are centred) and with the exact indices within three of our 95 % half-widths; the
    delta-method half-widths are within 25 % of SALib's bootstrap ones."""
    from SALib.analyze import sobol as salib_analyze
    from SALib.sample import sobol as salib_sample

    N, seed = 4096, 7
    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[0, 1]] * 3}
    Y = ishigami(salib_sample.sample(problem, N, calc_second_order=False, seed=seed))
    ref = salib_analyze.analyze(problem, Y, calc_second_order=False, seed=1)
    S1, S1c, ST, STc, V = _sums(seed, N, np.arange(3), 3, block_size(3, 1024)).indices()
    assert np.abs(S1[0] - ref["S1"]).max() < 0.002 and np.abs(ST[0] - ref["ST"]).max() < 0.002
    assert (np.abs(S1[0] - EXACT_S1) < 3 * S1c[0]).all() and (np.abs(ST[0] - EXACT_ST) < 3 * STc[0]).all()
    np.testing.assert_allclose(S1c[0], ref["S1_conf"], rtol=0.25)
    np.testing.assert_allclose(STc[0], ref["ST_conf"], rtol=0.25)
    assert V[0] == pytest.approx(_V, rel=0.02)


def test_block_size_does_not_change_the_indices_beyond_rounding():
    a = _sums(3, 1024, np.arange(3), 3, 1024, np.array([3.5])).indices()
    b = _sums(3, 1024, np.arange(3), 3, 64, np.array([3.5])).indices()
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-12)


def test_block_sizes_are_powers_of_two_fixed_by_the_groups():
    assert block_size(3) == 1024 and block_size(165) == 32 and block_size(24) == 256 and block_size(10_000) == 1


def test_a_constant_output_has_zero_indices_and_a_nan_output_has_none():
    c = np.ones((8, 1))
    S1, S1c, ST, STc, V = SobolSums.of(c, c, np.ones((2, 8, 1))).indices()
    assert (S1 == 0).all() and (ST == 0).all() and V[0] == 0
    bad = np.ones((8, 1))
    bad[3] = np.nan
    S1, *_ = SobolSums.of(bad, np.arange(8.0)[:, None], np.ones((2, 8, 1))).indices()
    assert np.isnan(S1).all()


@pytest.mark.parametrize(
    ("d", "seed", "start", "stop"),
    [
        (1, 0, 0, 1),
        (3, 1, 0, 8),
        (3, 1, 1, 2),
        (10, 5, 256, 512),
        (4, 0, 5, 77),
        (160, 1, 768, 1024),
        (330, 3, 0, 1024),
    ],
)
def test_sobol_points_are_scipys_bit_for_bit(d, seed, start, stop):
    """The numpy Sobol' points are the floats of scipy's scrambled engine, fast-forwarded to the block's start."""
    import warnings

    from scipy.stats import qmc

    from detente.uncertainty.sobol import sobol_points

    engine = qmc.Sobol(d=d, scramble=True, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        if start:
            engine.fast_forward(start)
        ref = engine.random(stop - start)
    got = sobol_points(d, seed, start, stop)
    assert got.dtype == ref.dtype and got.shape == ref.shape
    assert got.tobytes() == ref.tobytes()


def test_sobol_points_refuse_more_points_than_the_bits_hold():
    from detente.uncertainty.sobol import sobol_points

    with pytest.raises(ValueError, match="2\\*\\*30"):
        sobol_points(2, 1, 0, 2**30 + 1)
