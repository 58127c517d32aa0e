"""Equations of Bueno de Mesquita's expected-utility model, vectorised over problems and ordered actor pairs.

Helper module of :mod:`detente.models.expected_utility` (which holds the round loop, the parameters and the
output). The public functions take a leading axis P of independent one-dimensional problems (draw × issue
flattened), then the actor axis n; pairwise quantities are (P, n, n) arrays with entry [i, j] for the ordered pair
(i, j). Inside, one round is computed once, in the problems-last layout (see the section that says so).

Equations and their numbers follow Scholz, Calbert & Smith, "Unravelling Bueno de Mesquita's group decision model",
ICAART 2011 pp. 18-30 (doi 10.5220/0003121500180030), after Bueno de Mesquita (1985, 1994, 1997). Where the print is
ambiguous the readings are options; see ``docs/expected-utility.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

# codes of the accepted offer kinds (the "kind" arrays); 0 = no move
NONE, CONFLICT, COMPROMISE, CAPITULATION = 0, 1, 2, 3
KIND_NAMES = {CONFLICT: "conflict", COMPROMISE: "compromise", CAPITULATION: "capitulation"}
_SMALL_BATCH = 16  # up to this many problems: reductions and midpoint searches row by row
_DIRECT_COUNT = 24  # up to this many voters, midpoint counts by direct comparison rather than binary search
SAME = 1e-9  # positions closer than SAME × (spread or R) count as equal (rounding guard)
_ZERO_INF = np.array([0.0, np.inf])


def _row_max(a: np.ndarray) -> np.ndarray:
    """max over the last axis of a (P, n) array (numpy reduces a short contiguous axis slowly: reduce its transpose)."""
    return np.maximum.reduce(np.ascontiguousarray(a.T), axis=0) if a.shape[0] > _SMALL_BATCH else a.max(axis=1)


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


# ---- the round, in the problems-last layout ----------------------------------------------------------------------
#
# The round is computed on arrays laid out (n_i, n_j, P) for pairs and (n, P) for actors, so that every elementwise
# operation runs along the long problem axis (numpy's inner loops would otherwise run over n elements, and broadcast
# along the short actor axes slowly). The public functions below take and return problems-first arrays ((P, n),
# (P, n, n)) and transpose at their edges. Elementwise IEEE operations do not depend on the layout; reductions are
# exact (min, max, argmin) or taken in numpy's order over a contiguous axis (sums: see :func:`_sum_actors`), so a
# problem's numbers do not depend on the batch it is solved in.


def _probability(
    x: np.ndarray,
    w: np.ndarray,
    r: np.ndarray | float,
    R: np.ndarray,
    mask: np.ndarray,
    kind: str,
    xT: np.ndarray,
    diff: np.ndarray,
) -> np.ndarray:
    """:func:`success_probability` as (n_i, n_j, P); ``xT`` = x.T contiguous, ``diff`` (n_i, n_j, P) = x_j − x_i.

    Entries of pairs with an absent actor are left as computed (not cleared): callers mask what they derive from
    them. ``r``: a scalar or (P, n) risk exponents (used by ``global`` only).
    """
    Pn, n = x.shape
    key = np.where(mask, x, np.inf)
    order = np.argsort(key, axis=1, kind="stable")
    order += np.arange(0, Pn * n, n)[:, None]  # flat indices: one gather each instead of fancy indexing
    xs = np.take(key, order)  # voters by position, absent ones last (inf)
    ws = np.take(np.where(mask, w, 0.0), order)
    xv = xs if mask.all() else np.where(np.take(mask, order), xs, 0.0)
    sums = xT[:, None, :] + xT[None, :, :]  # x_i + x_j
    below = _midpoint_counts(xs, sums)  # voters strictly left of (x_i + x_j)/2; symmetric in (i, j)
    if kind == "global":
        u = np.abs(xv.T[:, None, :] - xT[None, :, :]) / R  # u[k (sorted), a]
        if not np.isscalar(r):
            u = u ** np.take(r, order).T[:, None, :]
        C = np.zeros((n + 1, n, Pn))  # C[t, a] = Σ_{first t voters} w_k u_k(a)
        np.cumsum(ws.T[:, None, :] * u, axis=0, out=C[1:])
        # T[i, j] = C[below_ij, j]; below is symmetric, so C[below_ij, i] = T[j, i]
        T = np.take(C, (below.astype(np.intp) * n + np.arange(n)[None, :, None]) * Pn + np.arange(Pn))
        left = T - np.swapaxes(T, 0, 1)  # x_i < x_j: voters left of the midpoint support i
        # x_i > x_j: voters right of it support i (voters exactly at the midpoint add w·0 either way)
        right = (C[n][None, :, :] - C[n][:, None, :]) - left
        xi, xj = xT[:, None, :], xT[None, :, :]
        num = np.maximum(np.where(xi < xj, left, np.where(xi > xj, right, 0.0)), 0.0)
        # Z = Σ_k w_k Σ_a Σ_b |u_k(a) − u_k(b)|; for sorted values Σ_a Σ_b |u_a − u_b| = 2 Σ_t (2t − (c−1)) u_(t)
        us = np.sort(np.where(mask.T[None, :, :], u, np.inf), axis=1)
        cnt = mask.sum(axis=1)
        idx = np.arange(n)[None, :, None]
        coef = np.where(idx < cnt, 2 * idx - (cnt - 1), 0)
        pair_sum = 2.0 * _sum_actors(np.where(np.isfinite(us), us, 0.0) * coef, 1)  # (k, P)
        Z = _sum_actors(ws.T * pair_sum, 0)
        return np.where(Z > 0, num / np.where(Z > 0, Z, 1.0), 0.0)
    cw, cs = np.empty((n + 1, Pn)), np.empty((n + 1, Pn))  # prefix sums of w and w·x (as np.cumsum)
    cw[0] = cs[0] = 0.0
    np.cumsum(ws.T, axis=0, out=cw[1:])
    np.cumsum((ws * xv).T, axis=0, out=cs[1:])
    flat = np.multiply(below, Pn, dtype=np.intp)
    flat += np.arange(Pn)  # (i, j, p) → index of (below_ij, p) in the (n+1, P) prefix sums
    c = np.diagonal(flat, axis1=0, axis2=1).T  # c_i = #(x_k < x_i) (the midpoint of i and i is x_i), offset
    cw_i, cs_i = np.take(cw, c), np.take(cs, c)
    cw_m, cs_m = np.take(cw, flat), np.take(cs, flat)
    cw_ii, cs_ii = cw_i[:, None, :], cs_i[:, None, :]
    # x_i < x_j: voters left of x_i add D each, voters in [x_i, m) add x_i + x_j − 2 x_k
    # (evaluated in place, in the order (D·cw_i + (x_i + x_j)·(cw_m − cw_i)) − 2·(cs_m − cs_i))
    cw_m -= cw_ii
    cw_m *= sums
    left = np.multiply(diff, cw_ii, out=sums)
    left += cw_m
    cs_m -= cs_ii
    cs_m *= 2.0
    left -= cs_m
    # A_i = Σ_k w_k |x_k − x_i|, and Σ_k w_k a_k = A_j − A_i (support for i minus support for j)
    A = xT * cw_i - cs_i + (cs[n] - cs_i) - xT * (cw[n] - cw_i)
    net = np.subtract(A[None, :, :], A[:, None, :], out=cw_m)
    # (x_i = x_j gives exactly 0 on both branches: D = 0, no voter between, A_i = A_j)
    num = np.add(np.swapaxes(left, 0, 1), net, out=net)
    # x_i < x_j (exactly, for finite positions): left, else num — as a blend, u·1 + v·0 = u up to the sign of a
    # zero, and zeros are cleared next (branch-free, faster than np.where)
    lower = diff > 0
    left *= lower
    num *= ~lower
    num += left
    # no support is 0 up to the rounding of the prefix sums: make it 0 (±0; only 1 − P is ever used)
    scale = 2e-13 * cw[n] * _row_max(np.abs(xv))
    num *= num > scale
    other = np.swapaxes(num, 0, 1)  # support for j against i
    den = np.add(num, other, out=cs_m)  # Σ_k w_k |a_k| (voters at the midpoint have a_k = 0)
    top = num if kind == "eq31" else np.maximum(num - other, 0.0)
    # top is 0 where den is 0 (num, other ≥ 0): divide by 1 there instead of masking the division
    den += den <= 0
    return np.divide(top, den, out=den)


def _midpoint_counts(xs: np.ndarray, sums: np.ndarray) -> np.ndarray:
    """#{k : xs[p, k] < sums[i, j, p]/2} for the (n, n, P) sums x_i + x_j, counted as 2·x_k < x_i + x_j → (n, n, P).

    2·x_k < fl(x_i + x_j) is exactly x_k < fl(x_i + x_j)/2 in floating point. ``xs`` (P, n) is sorted along its last
    axis (absent voters as +inf, last). Up to ``_DIRECT_COUNT`` voters: one comparison per voter and pair; beyond,
    a binary search per problem for few problems, else a batched branchless one (log2(n) rounds of one gather and
    one comparison, with 2·xs padded by +inf to a power of two), O(n² log n) per problem. Every way gives the same
    counts.
    """
    Pn, n = xs.shape
    two = 2.0 * xs
    if n <= _DIRECT_COUNT:
        return np.less(np.ascontiguousarray(two.T)[:, None, None, :], sums).sum(axis=0, dtype=np.uint8)
    if Pn <= _SMALL_BATCH:
        return np.stack([np.searchsorted(two[q], sums[:, :, q], side="left") for q in range(Pn)], axis=-1)
    flat_sums = np.ascontiguousarray(sums.reshape(n * n, Pn).T)  # (P, n²)
    size = 1 << max(n - 1, 0).bit_length()  # the smallest power of two ≥ n
    if size > n:
        two = np.concatenate([two, np.full((Pn, size - n), np.inf)], axis=1)
    flat = two.ravel()
    base = (np.arange(Pn, dtype=np.intp) * size)[:, None]
    pos = np.zeros((Pn, n * n), np.intp)  # count of 2·xs_k < sum found so far (a prefix of the sorted values)
    h = size >> 1
    while h:
        probe = np.take(flat, base + (pos + (h - 1)))
        pos += h * (probe < flat_sums)
        h >>= 1
    # the last probe decides whether the element at pos itself lies below
    pos += np.take(flat, base + np.minimum(pos, size - 1)) < flat_sums
    return np.ascontiguousarray(np.minimum(pos, n).T).reshape(n, n, Pn)


def risk_exponents(sec: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Eqs. 32-34 (BDM 1985's form): R_i = (2 Sec_i − max − min)/(max − min), r_i = (1 − R_i/3)/(1 + R_i/3).

    The most threatened actor (largest security sum) gets r = 0.5, the safest r = 2. Where all security levels are
    equal (max = min) every r is 1. Absent actors get r = 1. (n, P) → (n, P) in [0.5, 2].
    """
    anyone = mask.any(axis=0)
    hi = np.where(anyone, np.maximum.reduce(np.where(mask, sec, -np.inf), axis=0), 0.0)
    lo = np.where(anyone, np.minimum.reduce(np.where(mask, sec, np.inf), axis=0), 0.0)
    span = hi - lo
    ok = span > 1e-12 * np.maximum(np.abs(hi), 1.0)
    Rr = np.clip((2.0 * sec - hi - lo) / np.where(ok, span, 1.0), -1.0, 1.0)
    r = (1.0 - Rr / 3.0) / (1.0 + Rr / 3.0)
    return np.where(ok & mask, r, 1.0)


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
) -> tuple[np.ndarray | None, np.ndarray, bool]:
    """a[i, j] = E(i challenges j) with r_i; b[i, j] = E(j challenges i) with r_i ('mover') or r_j ('own').

    ``d`` = |x_i − x_j|/R and ``prob`` (n_i, n_j, P), ``dmu`` = |x_i − μ|/R, ``s`` and ``r`` (n, P). Also returns
    whether b is aᵀ: with own-r utilities and the target's salience, b is exactly the transpose of a.
    """
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


class _Round(NamedTuple):
    """One round's state in the problems-last layout ((n, P) and (n_i, n_j, P) arrays)."""

    xT: np.ndarray
    mT: np.ndarray
    diff: np.ndarray  # x_j − x_i
    dist: np.ndarray  # |x_j − x_i|
    pair: np.ndarray  # pairs of distinct present actors
    prob1: np.ndarray  # first-pass probabilities (uncleared outside the pairs)
    prob: np.ndarray  # second-pass probabilities (uncleared)
    sec: np.ndarray
    r: np.ndarray
    a: np.ndarray
    b: np.ndarray


def _state(
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
) -> _Round:
    """Steps 1-5 of Scholz's Appendix for one round on (P, n) problems: first pass (r = 1), security levels, risk
    exponents, second pass; in the problems-last layout."""
    n = x.shape[1]
    xT, sT, mT = (np.ascontiguousarray(v.T) for v in (x, s, mask))
    diff = xT[None, :, :] - xT[:, None, :]  # x_j − x_i
    dist = np.abs(diff)
    d = dist / R  # |x_i − x_j| / R
    dmu = np.abs(xT - median) / R
    pair = mT[:, None, :] & mT[None, :, :]
    prob1 = _probability(x, w, 1.0, R, mask, p_success, xT, diff)
    _, b1, _ = _pair_values(d, dmu, sT, 1.0, prob1, Q, reverse_salience, "own", only_b=True)
    pair[np.arange(n), np.arange(n)] = False
    # security level: Sec_i = Σ_{j≠i} E^j(U_ji), the first-pass utility others expect from challenging i
    # (b1·pair: exact up to the sign of zeros, which no later step distinguishes; b1 is finite unless positions are)
    sec = _sum_actors(b1 * pair if np.isfinite(b1).all() else np.where(pair, b1, 0.0), 1)
    r = risk_exponents(sec, mT)
    prob = prob1
    if p_success == "global":
        prob = _probability(x, w, r.T, R, mask, p_success, xT, diff)
    a, b, transposed = _pair_values(d, dmu, sT, r, prob, Q, reverse_salience, risk_perspective)
    assert a is not None
    a = np.where(pair, a, 0.0)  # (pairs with an absent actor: whatever was computed for them is dropped here)
    b = np.swapaxes(a, 0, 1) if transposed else np.where(pair, b, 0.0)  # b = aᵀ: mask a once (pair is symmetric)
    return _Round(xT, mT, diff, dist, pair, prob1, prob, sec, r, a, b)


def _moves(
    st: _Round, *, offer_selection: str, conflict: str, zero: float, capitulation: str, same: float = SAME
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`choose_moves` on a round's state in the problems-last layout: (x_new, kind, j) as (n, P)."""
    xT, mT, a, b, diff, pair = st.xT, st.mT, st.a, st.b, st.diff, st.pair
    n, P = xT.shape
    # actors at the same position do not bargain; "same" is to ``same`` × the spread of positions (default SAME), which
    # absorbs the rounding that the compromise fractions amplify (positions equal in exact arithmetic stay "equal");
    # same = 0 is exact equality, the replication's rule
    if same > 0:
        spread = np.maximum.reduce(np.where(mT, xT, -np.inf), axis=0) - np.minimum.reduce(
            np.where(mT, xT, np.inf), axis=0
        )
        valid = st.dist > same * np.where(np.isfinite(spread), spread, 0.0)
    else:
        valid = st.dist > 0
    if not mT.all():
        valid &= pair
    # |E| ≤ zero counts as 0: a > 0 reads a > zero, a < 0 reads a < −zero
    lower_hand = valid & (b > zero)
    lower_hand &= a < -zero
    is_comp = np.greater_equal(b, -a, out=np.empty(a.shape, bool))  # |b| ≥ |a| (here b > 0 > a)
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
        # largest proposer EU first, then the smallest move
        key1 = np.where(rank < 4, -b, np.inf)
        key = np.where(key1 <= np.minimum.reduce(key1, axis=1)[:, None, :], move, np.inf)
    else:
        # category first, then the second key within it
        cand = rank == np.minimum.reduce(rank, axis=1)[:, None, :]
        if offer_selection == "scholz_code":
            # (|a| x_i + |b| x_j)/(|a| + |b|) = x_i + (x_j − x_i)·|b|/(|a| + |b|) for compromises
            wavg = xT[:, None, :] + diff * np.divide(b, b - a, out=np.zeros_like(a), where=is_comp)
            key = np.where(cand, np.where(is_comp, wavg, move), np.inf)
        elif np.isfinite(xT).all():
            # move + 0 = move for candidates (move ≥ +0), move + ∞ = ∞ for the others
            key = np.add(move, np.take(_ZERO_INF, (~cand).view(np.uint8)), out=move)
        else:
            np.copyto(move, np.inf, where=~cand)  # move is not needed after the key
            key = move
    jT = _first_min(key)
    cols = np.arange(P)
    flat = (np.arange(n)[:, None] * n + jT) * P + cols  # entry (i, j_ip, p) of the (n, n, P) arrays
    k = np.take(rank, flat)
    chosen = k < 4
    # a full move lands exactly on x_j (x_i + (x_j − x_i) need not round to x_j)
    target = np.where(k == 2, xT + np.take(step, flat), np.take(xT, jT * P + cols))
    new = np.where(chosen, target, xT)
    kind = np.where(chosen, np.array([NONE, CONFLICT, COMPROMISE, CAPITULATION, NONE], np.int8)[k], NONE)
    return new, kind, np.where(chosen, jT, -1)


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
_PAIRWISE_MIN = 32  # problems from which sums over actors run as slices (:func:`_pairwise`) rather than transposed


def _sum_actors(a: np.ndarray, axis: int) -> np.ndarray:
    """Σ over the actor axis ``axis`` of a problems-last array, bit for bit numpy's sum over a contiguous axis.

    ``a`` is (n, n, P) with ``axis`` 1 (→ (n, P)) or (n, P) with ``axis`` 0 (→ (P,)). For many problems the n slices
    are added by :func:`_pairwise` once a probe has shown that it reproduces this numpy's sum of n terms; otherwise
    (few problems, or another numpy summation order) a transposed copy is summed by numpy.
    """
    n = a.shape[axis]
    if n not in _PAIRWISE_OK:
        probe = np.random.default_rng(n).standard_normal((64, n, n)) * 10.0 ** np.arange(-6, 7)[np.arange(n) % 13]
        probe[:, :, ::3] *= -1.0
        want = probe.sum(axis=2)
        got = _pairwise([np.ascontiguousarray(probe[:, :, j]) for j in range(n)])
        _PAIRWISE_OK[n] = bool(np.array_equal(want, got))
    if a.shape[-1] >= _PAIRWISE_MIN and _PAIRWISE_OK[n]:
        return _pairwise([a[(slice(None),) * axis + (j,)] for j in range(n)])
    return np.ascontiguousarray(np.moveaxis(a, axis, -1)).sum(axis=-1)


# ---- problems-first entry points --------------------------------------------------------------------------------


def _first(v: np.ndarray) -> np.ndarray:
    """A problems-last array ((n, P) or (n_i, n_j, P)) in the problems-first layout ((P, n) or (P, n_i, n_j))."""
    return np.ascontiguousarray(np.moveaxis(v, -1, 0))


def _last(v: np.ndarray) -> np.ndarray:
    """A problems-first array in the problems-last layout (the inverse of :func:`_first`)."""
    return np.ascontiguousarray(np.moveaxis(v, 0, -1))


def success_probability(
    x: np.ndarray, w: np.ndarray, r: np.ndarray | float, R: np.ndarray, mask: np.ndarray, kind: str
) -> np.ndarray:
    """P[i, j], challenger i's probability of prevailing over j, (P, n) problems → (P, n, n).

    - ``eq31`` (printed, eq. 30/31): Σ_{k: a_k>0} w_k a_k / Σ_k w_k |a_k| with a_k = |x_k − x_j| − |x_k − x_i|;
      linear distances, no risk exponent; P[i, j] + P[j, i] = 1 whenever some voter is not indifferent.
    - ``net`` (dmasad): max(0, Σ_k w_k a_k) / Σ_k w_k |a_k|.
    - ``global`` (the code that reproduces Scholz et al.): Σ_k max(0, v_k(i, j)) / Z with
      v_k(a, b) = w_k·[(|x_k − x_b|/R)^{r_k} − (|x_k − x_a|/R)^{r_k}] and Z = Σ_k Σ_a Σ_b |v_k(a, b)| over all voters
      and ordered actor pairs, so P is small and does not sum to one.

    Sums run over every present voter k, i and j included. P = 0 when x_i = x_j and for pairs with an absent actor.

    Computation: the voters with a_k > 0 (or v_k > 0, whatever r_k > 0) are exactly those strictly on i's side of
    the midpoint (x_i + x_j)/2, a prefix or suffix of the voters sorted by position, so every sum is a difference of
    prefix sums: O(n²) per problem after sorting, no (n, n, n) tensor. Linear readings: for x_i < x_j,
    Σ_{k left of the midpoint} w_k a_k = D·W(x_k < x_i) + (x_i + x_j)·W(x_i ≤ x_k < m) − 2·S(x_i ≤ x_k < m) with
    D = x_j − x_i, W and S prefix sums of w and w·x; the support for the right-hand actor follows from
    Σ_k w_k a_k = A_j − A_i, A_i = Σ_k w_k |x_k − x_i|. Global: C[t, a] = Σ_{first t voters} w_k u_k(a) (n × n).
    """
    xT = np.ascontiguousarray(x.T)
    out = _first(_probability(x, w, r, R, mask, kind, xT, xT[None, :, :] - xT[:, None, :]))
    return np.where(mask[:, :, None] & mask[:, None, :], out, 0.0)


@dataclass
class RoundState:
    """Everything computed for one round from the positions at its start, problems first.

    ``a[i, j]`` is i's expected utility of challenging j and ``b[i, j]`` the expected utility of j challenging i, both
    as they enter i's decision (the second pass, after the risk exponents); ``prob`` the second-pass probabilities,
    ``prob1`` the first pass (r = 1), ``sec`` the security levels.
    """

    median: np.ndarray  # (P,)
    r: np.ndarray  # (P, n)
    sec: np.ndarray  # (P, n)
    prob1: np.ndarray  # (P, n, n)
    prob: np.ndarray  # (P, n, n)
    a: np.ndarray  # (P, n, n)
    b: np.ndarray  # (P, n, n)
    diff: np.ndarray  # (P, n, n) x_j − x_i
    pair: np.ndarray  # (P, n, n) pairs of distinct present actors


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
    mu = weighted_median(x, w, mask) if median is None else median
    st = _state(
        x,
        w,
        s,
        mask,
        R,
        mu,
        p_success=p_success,
        reverse_salience=reverse_salience,
        risk_perspective=risk_perspective,
        Q=Q,
    )
    present = mask[:, :, None] & mask[:, None, :]
    p1, p2 = (np.where(present, _first(p), 0.0) for p in (st.prob1, st.prob))
    return RoundState(
        mu, _first(st.r), _first(st.sec), p1, p2, _first(st.a), _first(st.b), _first(st.diff), _first(st.pair)
    )


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
    capitulation: str = "full_move",
    same: float = SAME,
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
    Actors whose positions agree to ``same`` (default 1e-9) of the spread do not bargain. All moves are applied simultaneously. ``kind``
    holds the codes of :data:`KIND_NAMES`, ``j`` the proposer (−1). Shapes: x, mask (P, n); a, b (P, n, n).
    """
    xT, mT = np.ascontiguousarray(x.T), np.ascontiguousarray(mask.T)
    diff = xT[None, :, :] - xT[:, None, :]
    pair = mT[:, None, :] & mT[None, :, :]
    st = _Round(xT, mT, diff, np.abs(diff), pair, diff, diff, xT, xT, _last(a), _last(b))  # (no probabilities needed)
    moves = _moves(
        st, offer_selection=offer_selection, conflict=conflict, zero=zero, capitulation=capitulation, same=same
    )
    new, kind, j = (_first(v) for v in moves)
    return new, kind, j


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
    same: float = SAME,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One round for (P, n) problems: :func:`round_state` then :func:`choose_moves`. Returns (x_new, kind, j, r)."""
    st = _state(
        x,
        w,
        s,
        mask,
        R,
        median,
        p_success=p_success,
        reverse_salience=reverse_salience,
        risk_perspective=risk_perspective,
        Q=Q,
    )
    new, kind, j = _moves(
        st, offer_selection=offer_selection, conflict=conflict, zero=zero, capitulation=capitulation, same=same
    )
    return _first(new), _first(kind), _first(j), _first(st.r)
