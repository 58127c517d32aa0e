"""The expected-utility kernel gives a problem the same numbers whatever batch it is solved in (``play_round`` on
many problems vs one at a time, ``round_state`` + ``choose_moves``), and the ensemble's lean solve gives those of
``solve``.

Exact equality (not a tolerance): the batch path must reproduce single calls bit for bit.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from detente.models import _eu_kernel as K
from detente.models import get
from detente.scenario.arrays import ScenarioArrays


def _problems(rng: np.random.Generator, P: int, n: int) -> tuple[np.ndarray, ...]:
    """(P, n) problems with ties: positions on a coarse grid, some actors absent, some saliences 0 or 1."""
    x = rng.integers(0, 6, (P, n)).astype(float) * 20.0
    x[: P // 4] = rng.uniform(0.0, 100.0, (P // 4, n))
    w = rng.uniform(0.1, 10.0, (P, n))
    s = rng.choice([0.0, 0.3, 0.5, 1.0], (P, n))
    mask = rng.random((P, n)) > 0.15
    mask[:, 0] = True
    mask[-2:] = True  # some problems with everybody present
    hi = np.max(np.where(mask, x, -np.inf), axis=1)
    lo = np.min(np.where(mask, x, np.inf), axis=1)
    R = np.where(hi - lo > 0, hi - lo, 1.0)
    mu = K.weighted_median(x, w, mask)
    return x, w, s, mask, R, mu


# capitulation alternates so that each of its values meets every value of the other options
OPTIONS = [
    (*o, ("full_move", "no_move")[k % 2])
    for k, o in enumerate(
        itertools.product(
            ["eq31", "net"],
            ["target", "printed"],
            ["own", "mover"],
            ["least_move", "most_enforceable", "scholz_code"],
            ["full_move", "no_move"],
        )
    )
]


@pytest.mark.parametrize("n", [1, 2, 5, 8, 9, 24, 27])
@pytest.mark.parametrize("Q", [1.0, 0.5])
def test_batch_equals_single_problems(n, Q):
    """One round on 48 problems equals the round on each problem alone: the batch's ways of counting, summing and
    choosing (direct counts or binary search, pairwise sums over slices, a pass over j) give the single problems'
    numbers; and round_state + choose_moves give play_round's."""
    rng = np.random.default_rng(100 * n + int(10 * Q))
    x, w, s, mask, R, mu = _problems(rng, 48, n)
    for p_success in ("eq31", "net", "global"):
        for _, rev, persp, sel, conflict, capitulation in OPTIONS[:: 3 if p_success == "global" else 1]:
            opts = dict(
                p_success=p_success,
                reverse_salience=rev,
                risk_perspective=persp,
                Q=Q,
                offer_selection=sel,
                conflict=conflict,
                capitulation=capitulation,
                zero=1e-12,
            )
            got = K.play_round(x, w, s, mask, R, mu, **opts)
            for p in (0, 13, 46, 47):
                one = K.play_round(
                    x[p : p + 1], w[p : p + 1], s[p : p + 1], mask[p : p + 1], R[p : p + 1], mu[p : p + 1], **opts
                )
                for name, a, b in zip(("x_new", "kind", "j", "r"), one, got):
                    assert a.dtype == b.dtype, name
                    np.testing.assert_array_equal(a[0], b[p], err_msg=f"{name} differs for problem {p}, {opts}")
            st = K.round_state(
                x, w, s, mask, R, median=mu, p_success=p_success, reverse_salience=rev, risk_perspective=persp, Q=Q
            )
            np.testing.assert_array_equal(st.r, got[3])
            new, kind, j = K.choose_moves(
                x, st.a, st.b, mask, offer_selection=sel, conflict=conflict, zero=1e-12, capitulation=capitulation
            )
            np.testing.assert_array_equal(new, got[0])
            np.testing.assert_array_equal(kind, got[1])
            np.testing.assert_array_equal(j, got[2])


@pytest.mark.parametrize("sel", ["least_move", "most_enforceable"])
@pytest.mark.parametrize("n", [8, 30])
def test_many_problems_equal_blocks(sel, n):
    """300 problems (the proposer picked by a pass over j; for 30 actors midpoints by batched binary search) give
    the numbers of blocks of 10 problems."""
    x, w, s, mask, R, mu = _problems(np.random.default_rng(9), 300, n)
    opts = dict(
        p_success="eq31",
        reverse_salience="target",
        risk_perspective="own",
        Q=1.0,
        offer_selection=sel,
        conflict="full_move",
        zero=1e-12,
    )
    got = K.play_round(x, w, s, mask, R, mu, **opts)
    parts = [K.play_round(*(v[c : c + 10] for v in (x, w, s, mask, R, mu)), **opts) for c in range(0, 300, 10)]
    for a, b in zip(got, zip(*parts)):
        np.testing.assert_array_equal(a, np.concatenate(b))
    assert (got[1] > 0).sum() > 100  # many actors move: the choice is exercised


@pytest.mark.parametrize("n", [1, 2, 3, 7, 8, 9, 15, 16, 17, 24, 130])
def test_actor_sums_are_numpys(n):
    rng = np.random.default_rng(n)
    a = rng.standard_normal((n, n, 37)) * np.exp(rng.uniform(-30, 30, (n, n, 37)))
    a[rng.random(a.shape) < 0.1] = 0.0
    want = np.ascontiguousarray(a.transpose(2, 0, 1)).sum(axis=2).T
    np.testing.assert_array_equal(K._sum_actors(a, 1), want)
    np.testing.assert_array_equal(K._sum_actors(a[0], 0), np.ascontiguousarray(a[0].T).sum(axis=1))
    assert K._PAIRWISE_OK[n]  # this numpy sums in the order _pairwise reproduces (else _sum_actors transposes)


def _arrays(rng: np.random.Generator, B: int, n: int, m: int) -> ScenarioArrays:
    mask = rng.random((B, n, m)) > 0.1
    mask[:, :2] = True
    return ScenarioArrays.from_numpy(
        rng.integers(0, 11, (B, n, m)).astype(float) * 10.0,
        rng.uniform(0.05, 1.0, (B, n, m)),
        rng.uniform(0.1, 10.0, (B, n, m)),
        mask=mask,
        lower=0.0,
        upper=100.0,
    )


@pytest.mark.parametrize("params", [{}, {"p_success": "net", "offer_selection": "most_enforceable", "Q": 0.7}])
def test_large_batch_equals_single_calls(params):
    a = _arrays(np.random.default_rng(3), 40, 7, 2)  # 80 problems: the problems-last layout
    m = get("expected-utility", max_rounds=60, **params)
    f = m.solve(a)
    lean = m.solve(a, keep="final")
    np.testing.assert_array_equal(lean.outcomes, f.outcomes)
    np.testing.assert_array_equal(lean.rounds, f.rounds)
    assert (lean.status == f.status).all()
    assert lean.trajectory.shape == (40, 1, 7, 2)
    np.testing.assert_array_equal(lean.trajectory[:, 0], f.trajectory[:, -1])
    for b in range(0, 40, 3):
        g = m.solve(a.take(b))
        np.testing.assert_array_equal(f.outcomes[b], g.outcomes[0])
        R = g.trajectory.shape[1]
        np.testing.assert_array_equal(f.trajectory[b, :R], g.trajectory[0])
        np.testing.assert_array_equal(f.arrays["risk"][b, :R], g.arrays["risk"][0])
