"""Equations of Bueno de Mesquita's expected-utility model, vectorised over problems and ordered actor pairs.

Helper module of :mod:`detente.models.expected_utility` (which holds the round loop, the parameters and the
output). Every function takes a leading axis P of independent one-dimensional problems (draw × issue flattened),
then the actor axis n; pairwise quantities are (P, n, n) arrays with entry [i, j] for the ordered pair (i, j).

Equations and their numbers follow Scholz, Calbert & Smith, "Unravelling Bueno de Mesquita's group decision model",
ICAART 2011 pp. 18-30 (doi 10.5220/0003121500180030), after Bueno de Mesquita (1985, 1994, 1997). Where the print is
ambiguous the readings are options; see ``docs/expected-utility.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

# codes of the accepted offer kinds (the "kind" arrays); 0 = no move
NONE, CONFLICT, COMPROMISE, CAPITULATION = 0, 1, 2, 3
KIND_NAMES = {CONFLICT: "conflict", COMPROMISE: "compromise", CAPITULATION: "capitulation"}
_SMALL_BATCH = 16
_DIRECT_COUNT = 24  # up to this many voters, midpoint counts by direct comparison rather than binary search
SAME = 1e-9  # positions closer than SAME × (spread or R) count as equal (rounding guard)


def _row_max(a: np.ndarray) -> np.ndarray:
    """max over the last axis of a (P, n) array (numpy reduces a short contiguous axis slowly: reduce its transpose)."""
    return np.maximum.reduce(np.ascontiguousarray(a.T), axis=0) if a.shape[0] > _SMALL_BATCH else a.max(axis=1)


def _row_min(a: np.ndarray) -> np.ndarray:
    """min over the last axis of a (P, n) array (as :func:`_row_max`)."""
    return np.minimum.reduce(np.ascontiguousarray(a.T), axis=0) if a.shape[0] > _SMALL_BATCH else a.min(axis=1)


def pair_grid(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(v_i, v_j) as two contiguous (P, n, n) arrays: entry [p, i, j] holds v[p, i] and v[p, j].

    Elementwise operations on them give the same values as the broadcast v[:, :, None] ∘ v[:, None, :], faster
    (numpy broadcasts over a short inner axis slowly).
    """
    P, n = v.shape
    return np.repeat(v, n, axis=1).reshape(P, n, n), np.tile(v, n).reshape(P, n, n)


def median_weights(w: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The weights :func:`weighted_median` uses and their row totals: (P, n), (P,)."""
    w = np.where(mask, w, 0.0)
    tot = w.sum(axis=1)
    if not (tot > 0).all():
        w = np.where((tot > 0)[:, None], w, mask.astype(float))
        tot = w.sum(axis=1)
    return w, tot


def weighted_median(
    x: np.ndarray, w: np.ndarray, mask: np.ndarray, weights: tuple[np.ndarray, np.ndarray] | None = None
) -> np.ndarray:
    """The weighted median of each row: the Condorcet winner among actor positions under linear votes (Black).

    Sort by position and take the first position where the cumulative weight reaches half the total (eq. 26/28 and
    Black's theorem; Black 1948). An exact half-weight tie therefore gives the lower of the two middle positions.
    Rows without weight fall back to equal weights over present actors; rows without actors give NaN.
    Shapes: (P, n) → (P,). ``weights``: :func:`median_weights` of (w, mask) if the caller has them.
    """
    w, tot = median_weights(w, mask) if weights is None else weights
    P, n = x.shape
    start = np.arange(0, P * n, n)  # each row's first flat index
    order = np.argsort(np.where(mask, x, np.inf), axis=1, kind="stable")
    order += start[:, None]  # flat indices (gathers by np.take are cheaper than fancy indexing)
    cw = np.cumsum(np.take(w, order), axis=1)
    # relative tolerance so that sums that are exactly half in real arithmetic count as reaching half
    k = np.argmax(cw >= 0.5 * tot[:, None] * (1.0 - 1e-12), axis=1)
    return np.where(tot > 0, np.take(x, np.take(order, start + k)), np.nan)


def weighted_mean(x: np.ndarray, w: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Σ w·x / Σ w over present actors (equal weights where no actor has weight). (P, n) → (P,)."""
    w = np.where(mask, w, 0.0)
    tot = w.sum(axis=1)
    w = np.where((tot > 0)[:, None], w, mask.astype(float))
    tot = w.sum(axis=1)
    return np.where(tot > 0, (w * np.where(mask, x, 0.0)).sum(axis=1) / np.where(tot > 0, tot, 1.0), np.nan)


def success_probability(
    x: np.ndarray,
    w: np.ndarray,
    r: np.ndarray | float,
    R: np.ndarray,
    mask: np.ndarray,
    kind: str,
    *,
    diff: np.ndarray | None = None,
    pair: np.ndarray | None = None,
) -> np.ndarray:
    """P[i, j], challenger i's probability of prevailing over j, (P, n, n).

    - ``eq31`` (printed, eq. 30/31): Σ_{k: a_k>0} w_k a_k / Σ_k w_k |a_k| with a_k = |x_k − x_j| − |x_k − x_i|;
      linear distances, no risk exponent; P[i, j] + P[j, i] = 1 whenever some voter is not indifferent.
    - ``net`` (dmasad): max(0, Σ_k w_k a_k) / Σ_k w_k |a_k|.
    - ``global`` (the code that reproduces Scholz et al.): Σ_k max(0, v_k(i, j)) / Z with
      v_k(a, b) = w_k·[(|x_k − x_b|/R)^{r_k} − (|x_k − x_a|/R)^{r_k}] and Z = Σ_k Σ_a Σ_b |v_k(a, b)| over all voters
      and ordered actor pairs, so P is small and does not sum to one.

    Sums run over every present voter k, i and j included. P = 0 when x_i = x_j. ``diff`` (optional) is the
    (P, n, n) array x_j − x_i if the caller has it already, ``pair`` (optional) the (P, n, n) mask of pairs of
    present actors (its diagonal is irrelevant).

    Computation: the voters with a_k > 0 (or v_k > 0, whatever r_k > 0) are exactly those strictly on i's side of
    the midpoint (x_i + x_j)/2, a prefix or suffix of the voters sorted by position, so every sum is a difference of
    prefix sums: O(n²) per problem after sorting, no (n, n, n) tensor. Linear readings: for x_i < x_j,
    Σ_{k left of the midpoint} w_k a_k = D·W(x_k < x_i) + (x_i + x_j)·W(x_i ≤ x_k < m) − 2·S(x_i ≤ x_k < m) with
    D = x_j − x_i, W and S prefix sums of w and w·x; the support for the right-hand actor follows from
    Σ_k w_k a_k = A_j − A_i, A_i = Σ_k w_k |x_k − x_i|. Global: C[t, a] = Σ_{first t voters} w_k u_k(a) (n × n).
    """
    Pn, n = x.shape
    rows = np.arange(Pn)[:, None]
    key = np.where(mask, x, np.inf)
    order = np.argsort(key, axis=1, kind="stable")
    xs = key[rows, order]  # voters by position, absent ones last (inf)
    ws = np.where(mask, w, 0.0)[rows, order]
    xv = xs if mask.all() else np.where(mask[rows, order], xs, 0.0)
    xi, xj = x[:, :, None], x[:, None, :]
    sums = xi + xj  # x_i + x_j
    below = _midpoint_counts(xs, sums)  # voters strictly left of (x_i + x_j)/2; symmetric in (i, j)
    if diff is None:
        diff = xj - xi
    if kind == "global":
        u = np.abs(xv[:, :, None] - x[:, None, :]) / R[:, None, None]  # u[k (sorted), a]
        if not np.isscalar(r):
            u = u ** np.asarray(r)[rows, order][:, :, None]
        C = np.concatenate([np.zeros((Pn, 1, n)), np.cumsum(ws[:, :, None] * u, axis=1)], axis=1)  # (P, n+1, n)
        # T[i, j] = C[below_ij, j]; below is symmetric, so C[below_ij, i] = T[j, i]
        T = np.take_along_axis(C, below.astype(np.intp), axis=1)
        left = T - np.swapaxes(T, 1, 2)  # x_i < x_j: voters left of the midpoint support i
        # x_i > x_j: voters right of it support i (voters exactly at the midpoint add w·0 either way)
        right = (C[:, n, :][:, None, :] - C[:, n, :][:, :, None]) - left
        num = np.maximum(np.where(xi < xj, left, np.where(xi > xj, right, 0.0)), 0.0)
        # Z = Σ_k w_k Σ_a Σ_b |u_k(a) − u_k(b)|; for sorted values Σ_a Σ_b |u_a − u_b| = 2 Σ_t (2t − (c−1)) u_(t)
        us = np.sort(np.where(mask[:, None, :], u, np.inf), axis=2)
        cnt = mask.sum(axis=1)[:, None, None]
        idx = np.arange(n)[None, None, :]
        coef = np.where(idx < cnt, 2 * idx - (cnt - 1), 0)
        pair_sum = 2.0 * (np.where(np.isfinite(us), us, 0.0) * coef).sum(axis=2)  # (P, k)
        Z = (ws * pair_sum).sum(axis=1)
        out = np.where((Z > 0)[:, None, None], num / np.where(Z > 0, Z, 1.0)[:, None, None], 0.0)
    else:
        zero = np.zeros((Pn, 1))
        cw = np.concatenate([zero, np.cumsum(ws, axis=1)], axis=1)  # (P, n+1) prefix sums of w
        cs = np.concatenate([zero, np.cumsum(ws * xv, axis=1)], axis=1)  # … of w·x
        # (p, i, j) → index of (p, below_ij) in the (P, n+1) prefix sums
        flat = np.add(below, (np.arange(Pn) * (n + 1))[:, None, None], dtype=np.intp)
        c = np.diagonal(flat, axis1=1, axis2=2)  # c_i = #(x_k < x_i) (the midpoint of i and i is x_i), offset
        cw_i, cs_i = np.take(cw, c), np.take(cs, c)
        cw_m, cs_m = np.take(cw, flat), np.take(cs, flat)
        cw_ii, cs_ii = cw_i[:, :, None], cs_i[:, :, None]
        # x_i < x_j: voters left of x_i add D each, voters in [x_i, m) add x_i + x_j − 2 x_k
        # (evaluated in place, in the order (D·cw_i + (x_i + x_j)·(cw_m − cw_i)) − 2·(cs_m − cs_i))
        cw_m -= cw_ii
        cw_m *= sums
        left = np.multiply(diff, cw_ii)
        left += cw_m
        cs_m -= cs_ii
        cs_m *= 2.0
        left -= cs_m
        # A_i = Σ_k w_k |x_k − x_i|, and Σ_k w_k a_k = A_j − A_i (support for i minus support for j)
        A = x * cw_i - cs_i + (cs[:, n : n + 1] - cs_i) - x * (cw[:, n : n + 1] - cw_i)
        net = A[:, None, :] - A[:, :, None]
        # (x_i = x_j gives exactly 0 on both branches: D = 0, no voter between, A_i = A_j)
        num = np.add(np.swapaxes(left, 1, 2), net, out=net)
        # x_i < x_j (exactly, for finite positions): left, else num — as a blend, u·1 + v·0 = u up to the sign of a
        # zero, and zeros are cleared next; non-finite values (absent actors at NaN) are masked at the end
        lower = diff > 0
        left *= lower
        num *= ~lower
        num += left
        # no support is 0 up to the rounding of the prefix sums: make it 0 (±0; only 1 − P is ever used)
        scale = 2e-13 * cw[:, n] * _row_max(np.abs(xv))
        num *= num > scale[:, None, None]
        other = np.swapaxes(num, 1, 2)  # support for j against i
        den = num + other  # Σ_k w_k |a_k| (voters at the midpoint have a_k = 0)
        top = num if kind == "eq31" else np.maximum(num - other, 0.0)
        # top is 0 where den is 0 (num, other ≥ 0): divide by 1 there instead of masking the division
        den += den <= 0
        out = np.divide(top, den, out=den)
    if mask.all():
        return out  # num, hence out, is 0 where x_i = x_j
    if pair is None:
        pair = mask[:, :, None] & mask[:, None, :]
    if np.isfinite(out).all():
        out *= pair  # out is finite and ≥ ±0, so this gives ±0 outside the pairs of present actors
    else:
        np.copyto(out, 0.0, where=~pair)
    return out


def _min_last(a: np.ndarray) -> np.ndarray:
    """min over the last axis of a (P, n, n) array (reducing its contiguous transpose is faster for many rows)."""
    if a.shape[0] <= _SMALL_BATCH:
        return a.min(axis=2)
    return np.minimum.reduce(np.ascontiguousarray(np.moveaxis(a, 2, 0)), axis=0)


def _midpoint_counts(xs: np.ndarray, sums: np.ndarray) -> np.ndarray:
    """#{k : xs[p, k] < sums[p, i, j]/2} for the (P, n, n) sums x_i + x_j, counted in 2·xs (some integer dtype).

    2·x_k < fl(x_i + x_j) is exactly x_k < fl(x_i + x_j)/2 in floating point. ``xs`` is sorted along its last axis
    (absent voters as +inf, last). Batched: for up to ``_DIRECT_COUNT`` voters one comparison per voter on the
    (P, n²) sums; beyond, a branchless binary search (log2(n) rounds of one gather and one comparison, with 2·xs
    padded by +inf to a power of two), O(n² log n) per problem.
    """
    Pn, n = xs.shape
    sums = sums.reshape(Pn, n * n)
    two = 2.0 * xs
    if Pn <= _SMALL_BATCH:  # few problems: a binary search per problem is cheaper than the batched one
        return np.stack([np.searchsorted(two[q], sums[q], side="left") for q in range(Pn)]).reshape(Pn, n, n)
    if n <= _DIRECT_COUNT:  # few voters: one comparison per voter on the (P, n²) sums is cheapest
        cnt = np.zeros((Pn, n * n), np.uint8)
        for k in range(n):
            cnt += two[:, k : k + 1] < sums
        return cnt.reshape(Pn, n, n)
    size = 1 << max(n - 1, 0).bit_length()  # the smallest power of two ≥ n
    if size > n:
        two = np.concatenate([two, np.full((Pn, size - n), np.inf)], axis=1)
    flat = two.ravel()
    base = (np.arange(Pn, dtype=np.intp) * size)[:, None]
    pos = np.zeros((Pn, n * n), np.intp)  # count of 2·xs_k < sum found so far (a prefix of the sorted values)
    h = size >> 1
    while h:
        probe = np.take(flat, base + (pos + (h - 1)))
        pos += h * (probe < sums)
        h >>= 1
    # the last probe decides whether the element at pos itself lies below
    pos += np.take(flat, base + np.minimum(pos, size - 1)) < sums
    return np.minimum(pos, n).reshape(Pn, n, n)


def _util(z: np.ndarray, r: np.ndarray | float) -> np.ndarray:
    """2 − 4·z^r, the risk-curved utility of eqs. 15-16, 22-24 (z in [0, 1])."""
    if np.isscalar(r) and r == 1.0:
        return 2.0 - 4.0 * z
    return 2.0 - 4.0 * np.maximum(z, 0.0) ** r


def challenge_eu(
    d: np.ndarray,
    dmu: np.ndarray,
    r: np.ndarray | float,
    sal: np.ndarray,
    prob: np.ndarray,
    Q: float,
) -> np.ndarray:
    """Eq. 25a: a challenger's expected utility of challenging a target, all arrays broadcast to (P, n, n).

    ``d`` = |x_c − x_t|/R, ``dmu`` = |x_c − μ|/R, ``r`` the risk exponent the utilities are computed with, ``sal``
    the salience weighing resistance (the target's in eq. 25a), ``prob`` the challenger's probability of success.

    E = s·[P·U_s + (1−P)·U_f] + (1−s)·U_s − Q·U_sq − (1−Q)·[T·U_b + (1−T)·U_w], with
    U_s = 2 − 4(0.5 − 0.5d)^r, U_f = 2 − 4(0.5 + 0.5d)^r, U_b/U_w = 2 − 4(0.5 ∓ 0.25(dmu + d))^r, U_sq = 2 − 4·0.5^r
    and T = 1 iff |x_c − μ| < |x_c − x_t| (Scholz §3.1, Preana's rule; ties, to 1e-9 R, give T = 0).
    """
    if np.isscalar(r) and r == 1.0:
        # r = 1: U_s = 2d, U_f = −2d, U_sq = 0, so the first three terms are 2d·(1 − 2s(1 − P))
        # (evaluated in place, in the order (2d)·(1 − (2s)·(1 − P)))
        t = np.subtract(1.0, prob)
        t *= 2.0 * sal
        np.subtract(1.0, t, out=t)
        e = np.multiply(2.0, d)
        e *= t
    else:
        # s·[P·U_s + (1−P)·U_f] + (1−s)·U_s − Q·U_sq = U_s − Q·U_sq − s(1−P)(U_s − U_f), with U = 2 − 4 z^r:
        # = 2(1 − Q) + 4·[Q·0.5^r − A − s(1−P)(B − A)], A = (0.5 − 0.5d)^r, B = (0.5 + 0.5d)^r
        # (evaluated in place, in the order 4·((Q·0.5^r − A) − (s·(1 − P))·(B − A)))
        half = np.multiply(0.5, d)
        A = np.subtract(0.5, half)
        np.maximum(A, 0.0, out=A)
        np.power(A, r, out=A)
        half += 0.5
        np.power(half, r, out=half)
        half -= A  # B − A
        t = np.subtract(1.0, prob)
        t *= sal
        t *= half
        e = np.subtract(Q * 0.5**r, A, out=A)
        e -= t
        e *= 4.0
        if Q != 1.0:
            e = e + 2.0 * (1.0 - Q)
    if Q != 1.0:
        ub = _util(0.5 - 0.25 * (dmu + d), r)
        uw = _util(0.5 + 0.25 * (dmu + d), r)
        T = dmu < d - SAME  # ties (e.g. i at the median and j at i's position) count as T = 0, robust to rounding
        e = e - (1.0 - Q) * np.where(T, ub, uw)
    return e


def risk_exponents(sec: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Eqs. 32-34 (BDM 1985's form): R_i = (2 Sec_i − max − min)/(max − min), r_i = (1 − R_i/3)/(1 + R_i/3).

    The most threatened actor (largest security sum) gets r = 0.5, the safest r = 2. Where all security levels are
    equal (max = min) every r is 1. Absent actors get r = 1. (P, n) → (P, n) in [0.5, 2].
    """
    anyone = mask.any(axis=1, keepdims=True)
    hi = np.where(anyone, _row_max(np.where(mask, sec, -np.inf))[:, None], 0.0)
    lo = np.where(anyone, _row_min(np.where(mask, sec, np.inf))[:, None], 0.0)
    span = hi - lo
    ok = span > 1e-12 * np.maximum(np.abs(hi), 1.0)
    Rr = np.clip((2.0 * sec - hi - lo) / np.where(ok, span, 1.0), -1.0, 1.0)
    r = (1.0 - Rr / 3.0) / (1.0 + Rr / 3.0)
    return np.where(ok & mask, r, 1.0)


@dataclass
class RoundState:
    """Everything computed for one round from the positions at its start.

    ``a[i, j]`` is i's expected utility of challenging j and ``b[i, j]`` the expected utility of j challenging i, both
    as they enter i's decision (the second pass, after the risk exponents); ``prob`` the second-pass probabilities,
    ``prob1``/``eu1`` the first pass (r = 1).
    """

    median: np.ndarray  # (P,)
    r: np.ndarray  # (P, n)
    sec: np.ndarray  # (P, n)
    prob1: np.ndarray  # (P, n, n)
    prob: np.ndarray  # (P, n, n)
    a: np.ndarray  # (P, n, n)
    b: np.ndarray  # (P, n, n)
    own: np.ndarray  # (P, n, n) E^i(U_ij) with i's own r (== a)
    diff: np.ndarray | None = None  # (P, n, n) x_j − x_i
    pair: np.ndarray | None = None  # (P, n, n) pairs of distinct present actors


def _pair_values(
    d: np.ndarray,
    dmu: np.ndarray,
    s: np.ndarray,
    r: np.ndarray | float,
    prob: np.ndarray,
    Q: float,
    reverse_salience: str,
    risk_perspective: str,
    only_b: bool = False,
) -> tuple[np.ndarray | None, np.ndarray]:
    """a[i, j] = E(i challenges j) with r_i; b[i, j] = E(j challenges i) with r_i ('mover') or r_j ('own').

    ``d`` = |x_i − x_j|/R (P, n, n), ``dmu`` = |x_i − μ|/R (P, n). With own-r utilities and the target's salience,
    b is exactly the transpose of a.
    """
    scalar = np.isscalar(r)
    r_row = r if scalar else np.asarray(r)[:, :, None]
    r_col = r if scalar else np.asarray(r)[:, None, :]
    same_r = scalar or risk_perspective == "own"
    a = None
    if not only_b or (same_r and reverse_salience == "target"):
        a = challenge_eu(d, dmu[:, :, None], r_row, s[:, None, :], prob, Q)
        if same_r and reverse_salience == "target":
            return a, np.swapaxes(a, 1, 2)
    rb = r_row if risk_perspective == "mover" else r_col
    sb = s[:, :, None] if reverse_salience == "target" else s[:, None, :]
    b = challenge_eu(d, dmu[:, None, :], rb, sb, np.swapaxes(prob, 1, 2), Q)
    return a, b


def round_state(
    x: np.ndarray,
    w: np.ndarray,
    s: np.ndarray,
    mask: np.ndarray,
    R: np.ndarray,
    *,
    p_success: str,
    reverse_salience: str,
    risk_perspective: str,
    Q: float,
    median: np.ndarray | None = None,
) -> RoundState:
    """Steps 1-5 of Scholz's Appendix for one round: median, first pass (r = 1), risk exponents, second pass."""
    P, n = x.shape
    mu = weighted_median(x, w, mask) if median is None else median
    diff = x[:, None, :] - x[:, :, None]  # x_j − x_i
    d = np.abs(diff)  # |x_i − x_j| / R
    d /= R[:, None, None]
    dmu = np.abs(x - mu[:, None]) / R[:, None]
    mi, mj = pair_grid(mask)
    pair = mi & mj
    prob1 = success_probability(x, w, 1.0, R, mask, p_success, diff=diff, pair=pair)
    _, b1 = _pair_values(d, dmu, s, 1.0, prob1, Q, reverse_salience, "own", only_b=True)
    pair[:, np.arange(n), np.arange(n)] = False
    # security level: Sec_i = Σ_{j≠i} E^j(U_ji), the first-pass utility others expect from challenging i
    # (b1·pair: exact up to the sign of zeros, which no later step distinguishes; b1 is finite unless positions are)
    sec = (b1 * pair if np.isfinite(b1).all() else np.where(pair, b1, 0.0)).sum(axis=2)
    r = risk_exponents(sec, mask)
    prob = prob1
    if p_success == "global":
        prob = success_probability(x, w, r, R, mask, p_success, diff=diff, pair=pair)
    a, b = _pair_values(d, dmu, s, r, prob, Q, reverse_salience, risk_perspective)
    assert a is not None
    transposed = b.base is a and b.strides == np.swapaxes(a, 1, 2).strides  # b = aᵀ: mask a once (pair is symmetric)
    a = np.where(pair, a, 0.0)
    b = np.swapaxes(a, 1, 2) if transposed else np.where(pair, b, 0.0)
    return RoundState(mu, r, sec, prob1, prob, a, b, a, diff, pair)


def _offer_step(a: np.ndarray, b: np.ndarray, is_comp: np.ndarray, diff: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eq. 36: the signed step toward the proposer and its size, in any layout (elementwise).

    |a/b| of the way for compromises, all the way elsewhere: −a/b for compromises, −(−1)/1 = 1 otherwise (a, b
    finite: u·1 ± 0 = u exactly).
    """
    off = ~is_comp
    frac = np.multiply(a, is_comp)
    frac -= off
    bb = np.multiply(b, is_comp)
    bb += off
    np.negative(frac, out=frac)
    frac /= bb
    step = np.multiply(diff, frac, out=frac)
    return step, np.abs(step)


def choose_moves(
    x: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    mask: np.ndarray,
    *,
    offer_selection: str,
    conflict: str,
    zero: float,
    diff: np.ndarray | None = None,
    pair: np.ndarray | None = None,
    capitulation: str = "full_move",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Classify every pair from i's view (Scholz §6.1, fig. 6) and pick i's move (§6.2). Returns (x_new, kind, j).

    With a = a[i, j] (i challenging j) and b = b[i, j] (j challenging i), the regions in which *i* moves are:
    conflict b > a > 0 (i moves fully to x_j; ``conflict='no_move'`` drops it), compromise b > 0 > a with |b| ≥ |a|
    (i moves to x_i − (x_i − x_j)·|a/b|, eq. 36), capitulation b > 0 > a with |a| > |b| (i moves fully to x_j;
    ``capitulation='no_move'`` drops it, as the replication that reproduces Scholz et al. does). Values
    with |E| ≤ ``zero`` count as 0. Selection: ``least_move`` ranks conflict, compromise, capitulation and takes the
    smallest move within the first non-empty category; ``most_enforceable`` takes the offer whose proposer expects
    most (largest b), then the smallest move; ``scholz_code`` is ``least_move`` except that among compromises it takes
    the one with the numerically smallest weighted average (|a|x_i + |b|x_j)/(|a| + |b|) — orientation-dependent.
    Actors whose positions agree to 1e-9 of the spread do not bargain. All moves are applied simultaneously. ``kind``
    holds the codes of :data:`KIND_NAMES`, ``j`` the proposer (−1). ``diff`` (optional): x_j − x_i, (P, n, n);
    ``pair`` (optional): the (P, n, n) mask of pairs of present actors (its diagonal is irrelevant).
    """
    P, n = x.shape
    if diff is None:
        diff = x[:, None, :] - x[:, :, None]  # x_j − x_i
    # actors at the same position do not bargain; "same" is to SAME × the spread of positions, which absorbs the
    # rounding that the compromise fractions amplify (positions equal in exact arithmetic must stay "equal")
    spread = _row_max(np.where(mask, x, -np.inf)) - _row_min(np.where(mask, x, np.inf))
    same = SAME * np.where(np.isfinite(spread), spread, 0.0)
    valid = np.abs(diff) > same[:, None, None]
    finite = bool(np.isfinite(x).all())
    if not mask.all():
        valid &= mask[:, :, None] & mask[:, None, :] if pair is None else pair
    # |E| ≤ zero counts as 0: a > 0 reads a > zero, a < 0 reads a < −zero
    lower_hand = valid & (b > zero) & (a < -zero)
    is_comp = lower_hand & (b >= -a)  # |b| ≥ |a| (here b > 0 > a)
    is_cap = lower_hand ^ is_comp
    if capitulation == "no_move":
        is_cap &= False
    # rank of the category: 1 conflict, 2 compromise, 3 capitulation, 4 no move
    rank = 4 - 2 * is_comp.view(np.int8) - is_cap.view(np.int8)
    if conflict != "no_move":
        rank -= 3 * (valid & (a > zero) & (b > a)).view(np.int8)
    step, move = _offer_step(a, b, is_comp, diff)
    if offer_selection == "most_enforceable":
        # largest proposer EU first, then the smallest move
        key1 = np.where(rank < 4, -b, np.inf)
        key = np.where(key1 <= key1.min(axis=2, keepdims=True), move, np.inf)
    else:
        # category first, then the second key within it
        cand = rank == _min_last(rank)[:, :, None]
        second = move
        if offer_selection == "scholz_code":
            # (|a| x_i + |b| x_j)/(|a| + |b|) = x_i + (x_j − x_i)·|b|/(|a| + |b|) for compromises
            wavg = x[:, :, None] + diff * np.divide(b, b - a, out=np.zeros_like(a), where=is_comp)
            second = np.where(is_comp, wavg, move)
        if second is move and finite:
            # max(move, 0) = move (move ≥ +0) for candidates, max(move, ∞) = ∞ for the others
            off = (~cand).view(np.uint8).astype(float)
            with np.errstate(divide="ignore"):
                off /= 1.0 - off
            key = np.maximum(move, off, out=off)
        elif second is move:
            np.copyto(move, np.inf, where=~cand)  # move is not needed after the key
            key = move
        else:
            key = np.where(cand, second, np.inf)
    j = np.argmin(key.reshape(P * n, n), axis=1)
    flat = np.arange(P * n) * n + j  # entry (p, i, j_pi) of the (P, n, n) arrays
    k = np.take(rank, flat).reshape(P, n)
    chosen = k < 4
    # a full move lands exactly on x_j (x_i + (x_j − x_i) need not round to x_j)
    target = np.where(
        k == 2, x + np.take(step, flat).reshape(P, n), np.take(x, (flat // (n * n)) * n + j).reshape(P, n)
    )
    new = np.where(chosen, target, x)
    kind = np.where(chosen, np.array([NONE, CONFLICT, COMPROMISE, CAPITULATION, NONE], np.int8)[k], NONE)
    return new, kind, np.where(chosen, j.reshape(P, n), -1)


# ---- the same round in the problems-last layout, for large batches ---------------------------------------------
#
# For many problems the functions above spend much of their time broadcasting along the short actor axes (numpy's
# inner loops then run over n elements) and on temporaries they need for that. :func:`play_round` evaluates the same
# expressions on arrays laid out (n_i, n_j, P) and (n, P), so that every elementwise operation runs along the long
# problem axis. Elementwise IEEE operations do not depend on the layout; reductions are exact (min, max, argmin) or
# taken in the same order (the security levels: numpy's pairwise order, see :func:`_sum_rows`), so the results are
# identical bit for bit; ``tests/test_eu_wide.py`` checks this against :func:`round_state` and :func:`choose_moves`.
# A few steps are written differently but give the same numbers, noted where they are.

_ZERO_INF = np.array([0.0, np.inf])
WIDE_MIN = 32  # problems per call from which :func:`play_round` uses the problems-last layout
WIDE_MAX_ACTORS = _DIRECT_COUNT  # … for up to this many actors (midpoint counts by direct comparison)


def _pairwise(rows: list[np.ndarray]) -> np.ndarray:
    """Σ rows in the order of numpy's ``add.reduce`` over a contiguous axis (its pairwise summation).

    numpy sums n < 8 values one after the other starting from 0; n ≤ 128 values in eight interleaved partial sums
    combined as ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)), then the remainder one after the other; more values
    as the sum of two halves (the first a multiple of 8). (numpy/_core/src/umath/loops_utils.h.src, pairwise_sum.)
    """
    n = len(rows)
    if n < 8:
        res = 0.0 + rows[0]
        for v in rows[1:]:
            res += v
        return res
    if n <= 128:
        r = [v.copy() for v in rows[:8]] if n >= 16 else rows[:8]  # (updated in place only from 16 values on)
        i = 8
        while i < n - n % 8:
            for k in range(8):
                r[k] += rows[i + k]
            i += 8
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        for v in rows[i:]:
            res += v
        return res
    half = n // 2
    half -= half % 8
    return _pairwise(rows[:half]) + _pairwise(rows[half:])


_PAIRWISE_OK: dict[int, bool] = {}


def _sum_rows(a: np.ndarray) -> np.ndarray:
    """Σ_j a[:, j, :] for an (n, n, P) array, bit for bit as ``a.transpose(2, 0, 1).copy().sum(axis=2)`` (→ (n, P)).

    Uses :func:`_pairwise` once a probe has shown that it reproduces this numpy's sum for n terms; otherwise (another
    numpy summation order) it transposes and lets numpy sum.
    """
    n = a.shape[1]
    if n not in _PAIRWISE_OK:
        probe = np.random.default_rng(n).standard_normal((64, n, n)) * 10.0 ** np.arange(-6, 7)[np.arange(n) % 13]
        probe[:, :, ::3] *= -1.0
        want = probe.sum(axis=2)
        got = _pairwise([np.ascontiguousarray(probe[:, :, j]) for j in range(n)])
        _PAIRWISE_OK[n] = bool(np.array_equal(want, got))
    if _PAIRWISE_OK[n]:
        return _pairwise([a[:, j, :] for j in range(n)])
    return np.ascontiguousarray(np.moveaxis(a, 2, 0)).sum(axis=2).T


def _success_probability_wide(
    x: np.ndarray,
    w: np.ndarray,
    mask: np.ndarray,
    kind: str,
    diff: np.ndarray,
    xT: np.ndarray,
) -> np.ndarray:
    """:func:`success_probability` for the linear readings (``eq31``, ``net``), returned as (n_i, n_j, P).

    ``x``, ``w``, ``mask`` (P, n) as there; ``diff`` (n_i, n_j, P); ``xT`` = x.T contiguous. Entries of pairs with an
    absent actor are left as computed (not cleared): the caller masks what it derives from them.
    """
    Pn, n = x.shape
    key = np.where(mask, x, np.inf)
    order = np.argsort(key, axis=1, kind="stable")
    order += np.arange(0, Pn * n, n)[:, None]  # flat indices: one gather each instead of fancy indexing
    xs = np.take(key, order)
    ws = np.take(np.where(mask, w, 0.0), order)
    xv = xs if mask.all() else np.where(np.take(mask, order), xs, 0.0)
    sums = xT[:, None, :] + xT[None, :, :]  # x_i + x_j
    # voters strictly left of the midpoint, as in _midpoint_counts (2·x_k < x_i + x_j)
    two = np.ascontiguousarray((2.0 * xs).T)
    below = np.less(two[:, None, None, :], sums).sum(axis=0, dtype=np.uint8)
    cw, cs = np.empty((n + 1, Pn)), np.empty((n + 1, Pn))  # prefix sums (one after the other, as np.cumsum)
    cw[0] = cs[0] = 0.0
    np.cumsum(ws.T, axis=0, out=cw[1:])
    np.cumsum((ws * xv).T, axis=0, out=cs[1:])
    flat = np.multiply(below, Pn, dtype=np.intp)
    flat += np.arange(Pn)  # (i, j, p) → index of (below_ij, p) in the (n+1, P) prefix sums
    c = np.diagonal(flat, axis1=0, axis2=1).T  # (n, P)
    cw_i, cs_i = np.take(cw, c), np.take(cs, c)
    cw_m, cs_m = np.take(cw, flat), np.take(cs, flat)
    cw_ii, cs_ii = cw_i[:, None, :], cs_i[:, None, :]
    cw_m -= cw_ii
    cw_m *= sums
    left = np.multiply(diff, cw_ii, out=sums)
    left += cw_m
    cs_m -= cs_ii
    cs_m *= 2.0
    left -= cs_m
    A = xT * cw_i - cs_i + (cs[n] - cs_i) - xT * (cw[n] - cw_i)
    net = np.subtract(A[None, :, :], A[:, None, :], out=cw_m)
    num = np.add(np.swapaxes(left, 0, 1), net, out=net)
    # x_i < x_j: left, else num — blended as in success_probability (branch-free, faster than np.where)
    lower = diff > 0
    left *= lower
    num *= ~lower
    num += left
    scale = 2e-13 * cw[n] * _row_max(np.abs(xv))
    num *= num > scale
    other = np.swapaxes(num, 0, 1)
    den = np.add(num, other, out=cs_m)
    top = num if kind == "eq31" else np.maximum(num - other, 0.0)
    den += den <= 0
    # success_probability clears the entries of pairs with an absent actor here; play_round masks everything
    # computed from them (a, b and the security levels) instead, which gives the same results
    return np.divide(top, den, out=den)


def _first_min(key: np.ndarray) -> np.ndarray:
    """np.argmin(key, axis=1) for an (n_i, n_j, P) array; rows with NaN may give another j (never used).

    For many problems a branch-free pass over j is faster than numpy's argmin along a middle axis.
    """
    n, P = key.shape[1], key.shape[2]
    if P < 256:
        return np.argmin(key, axis=1)
    low = np.minimum.reduce(key, axis=1)
    j = np.zeros(low.shape, np.intp)
    ahead = np.ones(low.shape, bool)  # no minimum among the j looked at so far
    for k in range(n - 1):
        ahead &= key[:, k, :] != low
        j += ahead
    return j


def _risk_exponents_wide(sec: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """:func:`risk_exponents` for (n, P) arrays (the same operations along axis 0)."""
    anyone = mask.any(axis=0)
    hi = np.where(anyone, np.maximum.reduce(np.where(mask, sec, -np.inf), axis=0), 0.0)
    lo = np.where(anyone, np.minimum.reduce(np.where(mask, sec, np.inf), axis=0), 0.0)
    span = hi - lo
    ok = span > 1e-12 * np.maximum(np.abs(hi), 1.0)
    Rr = np.clip((2.0 * sec - hi - lo) / np.where(ok, span, 1.0), -1.0, 1.0)
    r = (1.0 - Rr / 3.0) / (1.0 + Rr / 3.0)
    return np.where(ok & mask, r, 1.0)


def _pair_values_wide(
    d: np.ndarray,
    dmu: np.ndarray,
    s: np.ndarray,
    r: np.ndarray | float,
    prob: np.ndarray,
    Q: float,
    reverse_salience: str,
    risk_perspective: str,
    only_b: bool = False,
) -> tuple[np.ndarray | None, np.ndarray, bool]:
    """:func:`_pair_values` in the (n_i, n_j, P) layout (``dmu``, ``s``, ``r`` as (n, P)); also whether b = aᵀ."""
    scalar = np.isscalar(r)
    r_row = r if scalar else np.asarray(r)[:, None, :]
    r_col = r if scalar else np.asarray(r)[None, :, :]
    same_r = scalar or risk_perspective == "own"
    a = None
    if not only_b or (same_r and reverse_salience == "target"):
        a = challenge_eu(d, dmu[:, None, :], r_row, s[None, :, :], prob, Q)
        if same_r and reverse_salience == "target":
            return a, np.swapaxes(a, 0, 1), True
    rb = r_row if risk_perspective == "mover" else r_col
    sb = s[:, None, :] if reverse_salience == "target" else s[None, :, :]
    b = challenge_eu(d, dmu[None, :, :], rb, sb, np.swapaxes(prob, 0, 1), Q)
    return a, b, False


def play_round(
    x: np.ndarray,
    w: np.ndarray,
    s: np.ndarray,
    mask: np.ndarray,
    R: np.ndarray,
    median: np.ndarray,
    *,
    p_success: str,
    reverse_salience: str,
    risk_perspective: str,
    Q: float,
    offer_selection: str,
    conflict: str,
    zero: float,
    capitulation: str = "full_move",
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One round for (P, n) problems: :func:`round_state` then :func:`choose_moves`. Returns (x_new, kind, j, r).

    Many problems (at least :data:`WIDE_MIN`, linear probability readings, few actors) run in the problems-last
    layout, with identical results; otherwise the two functions run as they are.
    """
    P, n = x.shape
    opts: dict[str, Any] = dict(
        p_success=p_success, reverse_salience=reverse_salience, risk_perspective=risk_perspective, Q=Q
    )
    if P < WIDE_MIN or p_success == "global" or n > WIDE_MAX_ACTORS:
        st = round_state(x, w, s, mask, R, median=median, **opts)
        new, kind, j = choose_moves(
            x,
            st.a,
            st.b,
            mask,
            offer_selection=offer_selection,
            conflict=conflict,
            zero=zero,
            diff=st.diff,
            pair=st.pair,
            capitulation=capitulation,
        )
        return new, kind, j, st.r
    # ---- round_state
    xT, sT, mT = (np.ascontiguousarray(v.T) for v in (x, s, mask))
    diff = xT[None, :, :] - xT[:, None, :]  # x_j − x_i
    dist = np.abs(diff)
    d = dist / R
    dmu = np.abs(xT - median) / R
    pair = mT[:, None, :] & mT[None, :, :]
    prob = _success_probability_wide(x, w, mask, p_success, diff, xT)
    _, b1, _ = _pair_values_wide(d, dmu, sT, 1.0, prob, Q, reverse_salience, "own", only_b=True)
    pair[np.arange(n), np.arange(n)] = False
    # security levels: Σ_{j≠i} b1[i, j], summed as round_state sums them
    sec = _sum_rows(b1 * pair if np.isfinite(b1).all() else np.where(pair, b1, 0.0))
    rT = _risk_exponents_wide(sec, mT)
    a, b, transposed = _pair_values_wide(d, dmu, sT, rT, prob, Q, reverse_salience, risk_perspective)
    assert a is not None
    a = np.where(pair, a, 0.0)
    b = np.swapaxes(a, 0, 1) if transposed else np.where(pair, b, 0.0)
    # ---- choose_moves
    spread = np.maximum.reduce(np.where(mT, xT, -np.inf), axis=0) - np.minimum.reduce(np.where(mT, xT, np.inf), axis=0)
    same = SAME * np.where(np.isfinite(spread), spread, 0.0)
    valid = dist > same
    if not mask.all():
        valid &= pair
    lower_hand = valid & (b > zero)
    lower_hand &= a < -zero
    is_comp = np.greater_equal(b, -a, out=np.empty(a.shape, bool))
    is_comp &= lower_hand
    # rank of the category (1 conflict, 2 compromise, 3 capitulation, 4 none): 4 − 2·comp − cap = 4 − comp − hand
    rank = np.subtract(4, is_comp.view(np.int8), dtype=np.int8)
    rank -= (is_comp if capitulation == "no_move" else lower_hand).view(np.int8)
    if conflict != "no_move":
        fight = b > a
        fight &= a > zero
        fight &= valid
        rank -= 3 * fight.view(np.int8)
    step, move = _offer_step(a, b, is_comp, diff)
    if offer_selection == "most_enforceable":
        key1 = np.where(rank < 4, -b, np.inf)
        key = np.where(key1 <= np.minimum.reduce(key1, axis=1)[:, None, :], move, np.inf)
    else:
        cand = rank == np.minimum.reduce(rank, axis=1)[:, None, :]
        if offer_selection == "scholz_code":
            wavg = xT[:, None, :] + diff * np.divide(b, b - a, out=np.zeros_like(a), where=is_comp)
            key = np.where(cand, np.where(is_comp, wavg, move), np.inf)
        elif np.isfinite(xT).all():
            # move + 0 = move for candidates (move ≥ +0), move + ∞ = ∞ for the others (choose_moves takes the max)
            key = np.add(move, np.take(_ZERO_INF, (~cand).view(np.uint8)), out=move)
        else:
            np.copyto(move, np.inf, where=~cand)
            key = move
    jT = _first_min(key)
    cols = np.arange(P)
    flat = (np.arange(n)[:, None] * n + jT) * P + cols  # entry (i, j_ip, p) of the (n, n, P) arrays
    k = np.take(rank, flat)
    chosen = k < 4
    target = np.where(k == 2, xT + np.take(step, flat), np.take(xT, jT * P + cols))
    new = np.where(chosen, target, xT)
    kind = np.where(chosen, np.array([NONE, CONFLICT, COMPROMISE, CAPITULATION, NONE], np.int8)[k], NONE)
    return (
        np.ascontiguousarray(new.T),
        np.ascontiguousarray(kind.T),
        np.ascontiguousarray(np.where(chosen, jT, -1).T),
        np.ascontiguousarray(rT.T),
    )
