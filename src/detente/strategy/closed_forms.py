"""Closed forms the engine's building blocks must reproduce (Fearon 1995, Powell 2006, Kydd 2000,
Tsebelis 1990, Nowak & Sigmund 1990).

Each function is vectorised: arguments may be numpy arrays that broadcast against each other.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def fearon_war_probability(c_bar: ArrayLike, c_U: ArrayLike) -> np.ndarray:
    """Fearon (1995) risk-return trade-off, N's war cost c_N ~ U[0, c_bar]: P(war) = max(0, (c_bar - c_U)/(2 c_bar))."""
    c_bar, c_U = np.asarray(c_bar, float), np.asarray(c_U, float)
    return np.maximum(0.0, (c_bar - c_U) / (2.0 * c_bar))


def fearon_optimal_offer(p: ArrayLike, c_bar: ArrayLike, c_U: ArrayLike) -> np.ndarray:
    """Fearon (1995): U's optimal take-it-or-leave-it offer to N, y* = (1 - p) - max(0, (c_bar - c_U)/2)."""
    p, c_bar, c_U = (np.asarray(a, float) for a in (p, c_bar, c_U))
    return (1.0 - p) - np.maximum(0.0, (c_bar - c_U) / 2.0)


def fearon_expected_utility(y: ArrayLike, p: ArrayLike, c_bar: ArrayLike, c_U: ArrayLike) -> np.ndarray:
    """U's expected payoff of offering N the share y: Pr(accept)(1 - y) + (1 - Pr(accept))(p - c_U).

    N accepts iff y >= (1 - p) - c_N, so Pr(accept) = clip((y - (1 - p)) / c_bar + 1, 0, 1) for c_N ~ U[0, c_bar].
    """
    y, p, c_bar, c_U = (np.asarray(a, float) for a in (y, p, c_bar, c_U))
    acc = np.clip((y - (1.0 - p) + c_bar) / c_bar, 0.0, 1.0)
    return acc * (1.0 - y) + (1.0 - acc) * (p - c_U)


def powell_shift_war(p0: ArrayLike, p1: ArrayLike, c_D: ArrayLike, c_R: ArrayLike, delta: ArrayLike) -> np.ndarray:
    """Powell (2006) single power shift p0 -> p1 (rising side's win probability): the declining side prefers war at
    t = 0 iff delta*p1 - p0 > (1 - delta)(c_D + delta*c_R). Valid for p1 >= (1 - delta) c_R (Powell 2006)."""
    p0, p1, c_D, c_R, delta = (np.asarray(a, float) for a in (p0, p1, c_D, c_R, delta))
    return delta * p1 - p0 > (1.0 - delta) * (c_D + delta * c_R)


def powell_war_value_gap(p0: ArrayLike, p1: ArrayLike, c_D: ArrayLike, c_R: ArrayLike, delta: ArrayLike) -> np.ndarray:
    """The declining side's value of war at t = 0 minus its best peace value, computed period by period.

    From t = 1 on, D concedes R its per-period war value x1 = p1 - (1 - delta) c_R (stationary bargaining). At t = 0 D
    offers the least x0 >= 0 that R accepts: x0 + delta x1/(1 - delta) >= p0/(1 - delta) - c_R. D's peace value is
    (1 - x0) + delta (1 - x1)/(1 - delta); its war value (1 - p0)/(1 - delta) - c_D. A positive gap means war is
    preferred. This is the direct computation behind :func:`powell_shift_war` (checked against it in the tests).
    """
    p0, p1, c_D, c_R, delta = (np.asarray(a, float) for a in (p0, p1, c_D, c_R, delta))
    x1 = p1 - (1.0 - delta) * c_R
    x0 = np.maximum(0.0, p0 / (1.0 - delta) - c_R - delta * x1 / (1.0 - delta))
    peace_D = (1.0 - x0) + delta * (1.0 - x1) / (1.0 - delta)
    war_D = (1.0 - p0) / (1.0 - delta) - c_D
    return np.where(x0 > 1.0, np.inf, war_D - peace_D)


def kydd_trust_threshold(c: ArrayLike, t: ArrayLike) -> np.ndarray:
    """Kydd (2000, 2005): a trustworthy player (exploiting pays t < 1, mutual cooperation 1, mutual defection 0,
    being exploited -c) cooperates iff its belief pi that the other cooperates satisfies pi >= c / (1 - t + c)."""
    c, t = np.asarray(c, float), np.asarray(t, float)
    return c / (1.0 - t + c)


def inspection_equilibrium(i: ArrayLike, L: ArrayLike, G: ArrayLike, F: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Inspection game (Tsebelis 1990): N cheats with q* = i/L, U inspects with r* = G/(G + F).

    i: U's inspection cost; L: U's loss from undetected cheating; G: N's gain from undetected cheating; F: N's penalty
    if caught. Returns (q*, r*).
    """
    i, L, G, F = (np.asarray(a, float) for a in (i, L, G, F))
    return i / L, G / (G + F)


def gtft_generosity_bound(T: ArrayLike, R: ArrayLike, P: ArrayLike, S: ArrayLike) -> np.ndarray:
    """Generous tit-for-tat bound (Molander 1985; Nowak & Sigmund 1992): g* = min{1 - (T-R)/(R-S), (R-P)/(T-P)}."""
    T, R, P, S = (np.asarray(a, float) for a in (T, R, P, S))
    return np.minimum(1.0 - (T - R) / (R - S), (R - P) / (T - P))


def ipd_transition_matrix(p: ArrayLike, q: ArrayLike, eps: ArrayLike = 0.0) -> np.ndarray:
    """The 4-state Markov chain over (CC, CD, DC, DD) of two memory-one strategies with noise eps (Nowak & Sigmund 1990).

    p, q: (..., 4) cooperation probabilities after (CC, CD, DC, DD), each from its own player's view; noise flips an
    intended action with probability eps: p' = (1 - eps) p + eps (1 - p). Returns (..., 4, 4).
    """
    pa, qa = np.asarray(p, float), np.asarray(q, float)
    e = np.asarray(eps, float)[..., None]
    pn = (1 - e) * pa + e * (1 - pa)
    qn = (1 - e) * qa + e * (1 - qa)
    q_sw = qn[..., [0, 2, 1, 3]]  # sigma swaps CD and DC: player 2 sees player 1's CD as its DC
    return np.stack([pn * q_sw, pn * (1 - q_sw), (1 - pn) * q_sw, (1 - pn) * (1 - q_sw)], axis=-1)


def stationary_distribution(M: ArrayLike) -> np.ndarray:
    """Stationary v (v M = v, sum v = 1) of a batch of row-stochastic matrices (..., n, n), one batched solve."""
    M = np.asarray(M, float)
    n = M.shape[-1]
    A = np.swapaxes(M, -1, -2) - np.eye(n)
    A = A.copy()
    A[..., -1, :] = 1.0
    b = np.zeros(M.shape[:-1])
    b[..., -1] = 1.0
    return np.linalg.solve(A, b[..., None])[..., 0]


def memory_one_payoffs(
    p: ArrayLike, q: ArrayLike, eps: ArrayLike = 0.0, payoffs: tuple[float, float, float, float] = (3, 0, 5, 1)
) -> tuple[np.ndarray, np.ndarray]:
    """Long-run payoffs of two memory-one strategies: v . (R, S, T, P) and v . (R, T, S, P) (Nowak & Sigmund 1990).

    ``payoffs`` is (R, S, T, P); default Axelrod's (3, 0, 5, 1). Batched over leading axes of p, q, eps.
    """
    R, S, T, P = payoffs
    v = stationary_distribution(ipd_transition_matrix(p, q, eps))
    return v @ np.array([R, S, T, P], float), v @ np.array([R, T, S, P], float)


def bayes_reliability(rho0: ArrayLike, phi: ArrayLike, j: ArrayLike) -> np.ndarray:
    """N's belief that the US is reliable after j honoured exchanges: rho0 / (rho0 + (1 - rho0)(1 - phi)^j) (Bayes' rule)."""
    rho0, phi, j = (np.asarray(a, float) for a in (rho0, phi, j))
    den = rho0 + (1.0 - rho0) * (1.0 - phi) ** j
    return np.where(den > 0, rho0 / np.where(den > 0, den, 1.0), 0.0)


def logistic(x: ArrayLike) -> np.ndarray:
    """Crisis hazard link (docs/strategy.md): 1 / (1 + exp(-x))."""
    return 1.0 / (1.0 + np.exp(-np.asarray(x, float)))
