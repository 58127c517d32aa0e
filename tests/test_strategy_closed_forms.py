"""The engine's building blocks against the closed forms of the papers they come from (Fearon 1995, Powell 2006,
Kydd 2000, Tsebelis 1990, Nowak & Sigmund 1992; see docs/strategy.md), each checked against an independent
computation: a numeric optimum, a period-by-period value, indifference conditions, or the `axelrod` package's simulated
matches (the optional `crosscheck` extra)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from detente.strategy.closed_forms import (
    bayes_reliability,
    fearon_expected_utility,
    fearon_optimal_offer,
    fearon_war_probability,
    gtft_generosity_bound,
    inspection_equilibrium,
    ipd_transition_matrix,
    kydd_trust_threshold,
    memory_one_payoffs,
    powell_shift_war,
    powell_war_value_gap,
    stationary_distribution,
)


# --- Fearon risk-return -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("p, c_bar, c_U", [(0.5, 0.4, 0.1), (0.3, 1.0, 0.2), (0.7, 0.5, 0.6), (0.5, 0.3, 0.0)])
def test_fearon_offer_and_war_probability_match_numeric_optimum(p, c_bar, c_U):
    ys = np.linspace(-1, 2, 300001)  # step 1e-5
    eu = fearon_expected_utility(ys, p, c_bar, c_U)
    y_num = ys[np.argmax(eu)]
    y_star = fearon_optimal_offer(p, c_bar, c_U)
    # tolerance: the grid step, doubled (the optimum is a corner when c_U >= c_bar)
    assert abs(y_num - y_star) < 2e-5 or eu.max() - fearon_expected_utility(y_star, p, c_bar, c_U) < 1e-9
    acc = np.clip((y_star - (1 - p) + c_bar) / c_bar, 0, 1)
    assert fearon_war_probability(c_bar, c_U) == pytest.approx(1 - acc, abs=1e-12)


def test_fearon_known_values():
    assert fearon_war_probability(1.0, 0.0) == pytest.approx(0.5)
    assert fearon_war_probability(1.0, 0.5) == pytest.approx(0.25)
    assert fearon_war_probability(1.0, 2.0) == 0.0
    assert fearon_optimal_offer(0.5, 1.0, 0.5) == pytest.approx(0.25)


# --- Powell single power shift ------------------------------------------------------------------------------------
@given(
    p0=st.floats(0.0, 1.0),
    p1=st.floats(0.0, 1.0),
    c_D=st.floats(0.0, 5.0),
    c_R=st.floats(0.0, 5.0),
    delta=st.floats(0.5, 0.99),
)
@example(p0=0.9232871826563617, p1=0.9576551486015032, c_D=0.0, c_R=0.0, delta=0.5482121663927568)  # an exact tie
def test_powell_condition_equals_period_by_period_values(p0, p1, c_D, c_R, delta):
    if p1 < (1 - delta) * c_R or p1 < p0:
        return  # outside the closed form's stated domain (p1 >= (1 - delta) c_R, a shift towards R)
    gap = float(powell_war_value_gap(p0, p1, c_D, c_R, delta))
    lhs, rhs = delta * p1 - p0, (1 - delta) * (c_D + delta * c_R)
    # Tolerance: the gap is a difference of values of size up to (1 + p0 + p1 + c_D + c_R) / (1 - delta), each a few
    # floating-point operations deep, so rounding moves it by up to ~16 ulp of that size. Where the exact gap is zero,
    # D is indifferent between war and peace and either answer is right: e.g. c_D = c_R = 0 with a positive first
    # offer, where the gap is exactly -(c_D + c_R) = 0 but computes as +2.2e-16. The closed form's margin is the gap
    # times (1 - delta) where the first offer is zero, and has its own rounding of a few ulp of 1 + c_D + c_R.
    eps = np.finfo(float).eps
    tol_gap = 16 * eps * (1 + p0 + p1 + c_D + c_R) / (1 - delta)
    tol_margin = 16 * eps * (1 + p0 + p1 + c_D + c_R)
    if abs(gap) <= tol_gap or abs(lhs - rhs) <= tol_margin:
        return  # an exact tie, which rounding decides either way
    assert bool(powell_shift_war(p0, p1, c_D, c_R, delta)) == bool(gap > 0)


def test_powell_gap_is_zero_where_a_costless_war_ties_with_peace():
    """The tie the property test leaves to rounding: with c_D = c_R = 0 and a positive first offer, D is indifferent
    (gap exactly -(c_D + c_R) = 0); the computed gap is within rounding of zero and the closed form says peace."""
    p0, p1, delta = 0.9232871826563617, 0.9576551486015032, 0.5482121663927568
    gap = float(powell_war_value_gap(p0, p1, 0.0, 0.0, delta))
    assert abs(gap) <= 16 * np.finfo(float).eps * (1 + p0 + p1) / (1 - delta)
    assert not powell_shift_war(p0, p1, 0.0, 0.0, delta)


def test_powell_splitting_a_shift_removes_the_commitment_problem():
    delta, c_D, c_R = 0.95, 1.0, 1.0
    assert powell_shift_war(0.2, 0.8, c_D, c_R, delta)  # the whole shift at once: war
    steps = np.linspace(0.2, 0.8, 13)  # twelve steps of 0.05
    assert not np.any(powell_shift_war(steps[:-1], steps[1:], c_D, c_R, delta))


# --- Kydd trust threshold -----------------------------------------------------------------------------------------
@given(c=st.floats(0.01, 10.0), t=st.floats(0.0, 0.99), pi=st.floats(0.0, 1.0))
def test_kydd_threshold_is_the_indifference_point(c, t, pi):
    thr = kydd_trust_threshold(c, t)
    coop = pi * 1 + (1 - pi) * (-c)
    defect = pi * t
    if abs(pi - thr) > 1e-9:
        assert (coop >= defect) == (pi >= thr)
    assert thr * 1 + (1 - thr) * (-c) == pytest.approx(thr * t, abs=1e-9)


# --- inspection game ----------------------------------------------------------------------------------------------
@given(i=st.floats(0.01, 1.0), L=st.floats(1.0, 10.0), G=st.floats(0.01, 5.0), F=st.floats(0.01, 5.0))
def test_inspection_equilibrium_makes_both_sides_indifferent(i, L, G, F):
    q, r = inspection_equilibrium(i, L, G, F)
    # U: inspecting costs i (catches cheating for sure); not inspecting loses L when N cheats
    assert -i == pytest.approx(-q * L, rel=1e-9)
    # N: cheating pays G if not inspected, -F if inspected; complying pays 0
    assert r * (-F) + (1 - r) * G == pytest.approx(0.0, abs=1e-9)


# --- generous tit-for-tat -----------------------------------------------------------------------------------------
def test_gtft_bound_is_one_third_at_axelrod_payoffs():
    assert gtft_generosity_bound(5, 3, 1, 0) == pytest.approx(1 / 3)
    assert gtft_generosity_bound(4, 3, 1, 0) == pytest.approx(min(1 - 1 / 3, 2 / 3))


def test_gtft_bound_alld_invasion_term():
    """(R-P)/(T-P) is where ALLD earns exactly R against GTFT (Molander 1985): checked with the Markov payoffs."""
    T_, R_, P_, S_ = 5.0, 3.0, 1.0, 0.0
    g = (R_ - P_) / (T_ - P_)
    alld = [0, 0, 0, 0]
    for gg, sign in ((g - 0.05, -1), (g + 0.05, +1)):
        gtft = [1, gg, 1, gg]
        _, alld_pay = memory_one_payoffs(gtft, alld, 1e-9, (R_, S_, T_, P_))
        assert np.sign(alld_pay - R_) == sign


# --- memory-one Markov payoffs ------------------------------------------------------------------------------------
def test_transition_matrix_rows_and_formula():
    p, q = np.array([0.9, 0.2, 0.7, 0.1]), np.array([0.8, 0.3, 0.6, 0.4])
    M = ipd_transition_matrix(p, q, 0.0)
    assert np.allclose(M.sum(axis=-1), 1)
    # M[CD, DC] = (1 - p_CD) q_DC: player 2 sees the CD state as DC
    assert M[1, 2] == pytest.approx((1 - 0.2) * 0.6)
    v = stationary_distribution(M)
    assert np.allclose(v @ M, v)


def test_tft_pair_with_noise_is_symmetric_and_averages_the_four_payoffs():
    tft = [1, 0, 1, 0]
    a, b = memory_one_payoffs(tft, tft, 0.1)
    assert a == pytest.approx(b)
    assert a == pytest.approx((3 + 0 + 5 + 1) / 4)  # noisy TFT pairs visit the four states equally


PAIRS = [
    ((1, 1 / 3, 1, 1 / 3), (0.9, 0.1, 0.8, 0.2), 0.05),  # GTFT vs a noisy cooperator
    ((1, 0, 1, 0), (1, 0, 0, 1), 0.05),  # TFT vs win-stay-lose-shift
    ((0.8, 0.1, 0.9, 0.3), (0, 0, 0, 0), 0.02),  # vs ALLD
]


@pytest.mark.slow  # `import axelrod` alone takes ~20 s of CPU (it imports torch and dask); the matches take ~1 s
@pytest.mark.parametrize("p, q, eps", PAIRS)
def test_memory_one_payoffs_match_axelrod_matches(p, q, eps):
    """Cross-check with the `axelrod` package: a 20,000-turn noisy match of MemoryOnePlayers. Tolerance 0.06:
    about three standard errors of a per-turn mean over 20,000 autocorrelated turns."""
    axl = pytest.importorskip(
        "axelrod", reason="the cross-check needs the `crosscheck` extra: pip install -e '.[crosscheck]'"
    )  # imported here: the package takes seconds to import
    a, b = memory_one_payoffs(p, q, eps)
    m = axl.Match(
        (axl.MemoryOnePlayer(four_vector=p), axl.MemoryOnePlayer(four_vector=q)), turns=20000, noise=eps, seed=11
    )
    m.play()
    s1, s2 = m.final_score_per_turn()
    assert s1 == pytest.approx(float(a), abs=0.06)
    assert s2 == pytest.approx(float(b), abs=0.06)


def test_memory_one_payoffs_are_batched():
    P = np.array([[1, 0, 1, 0], [1, 1 / 3, 1, 1 / 3], [0, 0, 0, 0]])
    Q = np.array([[1, 0, 0, 1]] * 3)
    a, b = memory_one_payoffs(P, Q, np.array([0.05, 0.05, 0.05]))
    for i in range(3):
        ai, bi = memory_one_payoffs(P[i], Q[i], 0.05)
        assert a[i] == pytest.approx(ai) and b[i] == pytest.approx(bi)


# --- Bayesian reliability -----------------------------------------------------------------------------------------
def test_bayes_reliability_is_bayes_rule():
    rho0, phi = 0.6, 0.35
    rho = rho0
    for j in range(1, 6):  # update after each honoured exchange: unreliable honours with prob 1 - phi
        rho = rho * 1 / (rho * 1 + (1 - rho) * (1 - phi))
        assert bayes_reliability(rho0, phi, j) == pytest.approx(rho)
    assert bayes_reliability(0.6, 0.35, 0) == pytest.approx(0.6)
