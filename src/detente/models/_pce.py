"""Votes, victory probabilities and probabilistic Condorcet elections (PCE), vectorised over a leading batch.

The equations are KTAB's (KAPSARC Toolkit for Behavioral Analysis; B. Wise, "Spatial model of politics", KTAB
documentation 2015–2019), as docs/spatial.md describes them:

- a *vote* of an actor with weight ``w`` on option a against option b, with Δ = u(a) − u(b), under a voting rule
  (``Binary``, ``PropBin``, ``Proportional``, ``PropCbc``, ``Cubic``, ``ASymProsp``);
- the *victory probability* of a coalition of strength a against one of strength b (``Linear``, ``Square``,
  ``Quartic``, ``Octic``, ``Binary``);
- the *PCE*: coalition strengths C(a,b) = 1e-8 + Σ_n max(v_n(a,b), 0), pairwise victory V(a,b), and option
  probabilities by the ``Conditional``, ``MarkovUniform`` or ``MarkovIncentive`` model.

Sums over voters and products over options are taken in index order with plain float64 arithmetic (one numpy
operation per term), so the results are bit-identical to a sequential C++ loop; that is what lets the spatial model
reproduce KTAB's outputs exactly. Options may be padded: ``valid`` marks real options, padded ones get probability 0
and do not touch the others' numbers (multiplying by 1.0 and adding 0.0 are exact).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from detente.errors import DetenteError

VotingRule = Literal["Binary", "PropBin", "Proportional", "PropCbc", "Cubic", "ASymProsp"]
VictoryProbModel = Literal["Linear", "Square", "Quartic", "Octic", "Binary"]
PCEModel = Literal["Conditional", "MarkovIncentive", "MarkovUniform"]

VOTING_RULES: tuple[str, ...] = ("Binary", "PropBin", "Proportional", "PropCbc", "Cubic", "ASymProsp")
VICTORY_MODELS: tuple[str, ...] = ("Linear", "Square", "Quartic", "Octic", "Binary")
PCE_MODELS: tuple[str, ...] = ("Conditional", "MarkovIncentive", "MarkovUniform")

COALITION_GUARD = 1e-8
"""Added to every coalition strength so that empty coalitions do not divide by zero (KTAB's constant)."""

_BIN_SCALE = 1e-8
_BIN_P = 1e-6


def vote(rule: str, w: np.ndarray | float, ua: np.ndarray, ub: np.ndarray) -> np.ndarray:
    """Influence an actor of weight ``w`` exerts for option a (positive) or b (negative) (Wise et al. 2015)."""
    d = ua - ub
    if rule == "Proportional":
        return w * d
    if rule == "Binary":
        return w * np.clip(d / _BIN_SCALE, -1.0, 1.0)
    if rule == "PropBin":
        return w * (0.8 * d + 0.2 * np.clip(d / _BIN_SCALE, -1.0, 1.0))
    if rule == "PropCbc":
        return w * (0.5 * d + 0.5 * (d * d * d))
    if rule == "Cubic":
        return w * (d * d * d)
    if rule == "ASymProsp":
        return np.where(d < 0, w * d, (2.0 / 3.0) * (w * d))
    raise DetenteError(f"voting rule {rule!r}: expected one of {', '.join(VOTING_RULES)}")


def victory_prob(model: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Probability that a coalition of strength ``a`` beats one of strength ``b`` (Wise et al. 2015)."""
    if model == "Linear":
        return a / (a + b)
    if model in ("Square", "Quartic", "Octic"):
        a2, b2 = a * a, b * b
        if model != "Square":
            a2, b2 = a2 * a2, b2 * b2
            if model == "Octic":
                a2, b2 = a2 * a2, b2 * b2
        return a2 / (a2 + b2)
    if model == "Binary":
        hi = 1.0 / (1.0 + _BIN_P)
        lo = _BIN_P / (1.0 + _BIN_P)
        ramp = (2.1 * a / (a + b) - 1.0) / 0.1
        return np.where(a >= 1.1 * b, hi, np.where(b >= 1.1 * a, lo, ramp))
    raise DetenteError(f"victory probability model {model!r}: expected one of {', '.join(VICTORY_MODELS)}")


def coalitions(util: np.ndarray, weight: np.ndarray, rule: str, voter_mask: np.ndarray | None = None) -> np.ndarray:
    """Coalition strengths C[..., a, b] = 1e-8 + Σ_n max(vote_n(a, b), 0), summed over voters in index order.

    ``util`` (..., V, M): voter n's utility of option m; ``weight`` (..., V). ``voter_mask`` (..., V) drops voters.
    """
    V = util.shape[-2]
    M = util.shape[-1]
    acc = np.full(util.shape[:-2] + (M, M), COALITION_GUARD)
    for n in range(V):
        u = util[..., n, :]
        w = weight[..., n][..., None, None]
        v = vote(rule, w, u[..., :, None], u[..., None, :])
        v = np.maximum(v, 0.0)
        if voter_mask is not None:
            v = np.where(voter_mask[..., n][..., None, None], v, 0.0)
        acc = acc + v
    M_idx = np.arange(M)
    acc[..., M_idx, M_idx] = COALITION_GUARD
    return acc


def coalitions_sparse(util: np.ndarray, weight: np.ndarray, rule: str, valid: np.ndarray) -> np.ndarray:
    """:func:`coalitions` computed only for pairs of valid options (padded option axes of very unequal lengths).

    Same numbers, bit for bit (same operations in the same voter order); padded pairs get the guard value.
    """
    lead = util.shape[:-2]
    V, M = util.shape[-2], util.shape[-1]
    L = int(np.prod(lead)) if lead else 1
    u = util.reshape(L, V, M)
    w = np.broadcast_to(weight, lead + (V,)).reshape(L, V)
    ok = valid.reshape(L, M)
    pair = ok[:, :, None] & ok[:, None, :]
    li, a, b = np.nonzero(pair)
    UA = np.ascontiguousarray(u[li, :, a].T)  # (V, P)
    UB = np.ascontiguousarray(u[li, :, b].T)
    W = np.ascontiguousarray(w[li, :].T)
    acc = np.full(li.shape, COALITION_GUARD)
    for n in range(V):
        acc = acc + np.maximum(vote(rule, W[n], UA[n], UB[n]), 0.0)
    out = np.full((L, M, M), COALITION_GUARD)
    out[li, a, b] = acc
    idx = np.arange(M)
    out[:, idx, idx] = COALITION_GUARD
    return out.reshape(lead + (M, M))


def pairwise_victory(C: np.ndarray, model: str) -> np.ndarray:
    """V[..., a, b]: probability that option a's coalition beats b's (V(a, a) = 1/2)."""
    V = victory_prob(model, C, np.swapaxes(C, -1, -2))
    M = C.shape[-1]
    idx = np.arange(M)
    V[..., idx, idx] = 0.5
    return V


def option_probs(V: np.ndarray, C: np.ndarray, pce: str, valid: np.ndarray | None = None) -> np.ndarray:
    """Option probabilities (..., M) from the pairwise victory matrix by the chosen PCE model (Wise et al. 2015)."""
    M = V.shape[-1]
    if valid is None:
        valid = np.ones(V.shape[:-1], dtype=bool)
    if pce == "Conditional":
        p = np.ones(V.shape[:-1])
        for b in range(M):
            p = p * np.where(valid[..., b][..., None], V[..., :, b], 1.0)
        p = np.where(valid, p, 0.0)
        tot = np.zeros(V.shape[:-2])
        for a in range(M):
            tot = tot + p[..., a]
        return p / tot[..., None]
    if pce == "MarkovUniform":
        return _markov(np.where(valid[..., :, None] & valid[..., None, :], V, 0.0), None, valid, 1e-6)
    if pce == "MarkovIncentive":
        Vm = np.where(valid[..., :, None] & valid[..., None, :], V, 0.0)
        inc = C * Vm
        idx = np.arange(M)
        inc[..., idx, idx] = inc[..., idx, idx] + 1e-10
        inc = np.where(valid[..., :, None] & valid[..., None, :], inc, 0.0)
        colsum = np.zeros(V.shape[:-2] + (M,))
        for a in range(M):
            colsum = colsum + inc[..., a, :]
        T = inc / np.where(colsum > 0, colsum, 1.0)[..., None, :]
        return _markov(Vm, T, valid, 1e-8)
    raise DetenteError(f"PCE model {pce!r}: expected one of {', '.join(PCE_MODELS)}")


def _markov(V: np.ndarray, T: np.ndarray | None, valid: np.ndarray, tol: float) -> np.ndarray:
    """Fixed point of the Markov PCE variants, iterated p ← (p + q)/2 from uniform; converged entries freeze."""
    nvalid = valid.sum(axis=-1, keepdims=True).astype(float)
    p = np.where(valid, 1.0 / nvalid, 0.0)
    done = np.zeros(V.shape[:-2], dtype=bool)
    M = V.shape[-1]
    for _ in range(1000):
        if T is None:
            q = np.zeros_like(p)
            for b in range(M):
                q = q + V[..., :, b] * (p + p[..., b][..., None])
            q = q / nvalid
        else:
            # q_a = Σ_b V(a,b) [p_a T(b→a) + p_b T(a→b)], T(x→y) = T[x, y]
            q = np.zeros_like(p)
            for b in range(M):
                q = q + V[..., :, b] * (p * T[..., b, :] + p[..., b][..., None] * T[..., :, b])
        q = np.where(valid, q, 0.0)
        dist = np.max(np.abs(q - p), axis=-1)
        p = np.where(done[..., None], p, (p + q) / 2.0)
        done = done | (dist <= tol)
        if done.all():
            return p
    raise DetenteError(f"Markov PCE did not converge to {tol:g} in 1000 iterations")


def pce(
    util: np.ndarray,
    weight: np.ndarray,
    *,
    rule: str = "Proportional",
    victory: str = "Linear",
    model: str = "Conditional",
    valid: np.ndarray | None = None,
) -> np.ndarray:
    """Probabilistic Condorcet election: probability of each of M options, (..., M), summing to 1.

    ``util`` (..., V, M) is each voter's utility of each option, ``weight`` (..., V) the voters' weights (> 0).
    ``valid`` (..., M) marks real options when the option axis is padded.

    >>> import numpy as np
    >>> u = np.array([[1.0, 0.0], [0.2, 0.8]])        # two voters, two options
    >>> p = pce(u, np.array([3.0, 1.0]))
    >>> bool(abs(p.sum() - 1) < 1e-15) and bool(p[0] > p[1])
    True
    """
    C = coalitions(util, weight, rule)
    V = pairwise_victory(C, victory)
    return option_probs(V, C, model, valid)
