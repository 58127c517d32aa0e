"""Sobol' indices: a vectorised Saltelli design and streaming Saltelli (first order) / Jansen (total) estimators.

Design (Saltelli 2002, Comput. Phys. Commun. 145:280–297; Saltelli et al. 2010, Comput. Phys. Commun. 181:259–270):
``N`` points of a scrambled Sobol' sequence in ``2·D`` dimensions (``scipy.stats.qmc.Sobol``, Owen's LMS + digital
shift) give two independent matrices ``A`` (first ``D`` columns) and ``B`` (last ``D``); for each of ``G`` groups of
inputs, ``AB_g`` is ``A`` with the group's columns taken from ``B``. The model runs ``N·(G + 2)`` times. The points
are those of SALib's ``SALib.sample.sobol.sample(problem, N, calc_second_order=False, seed=seed)`` (same generator,
same seed), generated block by block (:func:`design`: only the block's points) and vectorised over the groups, so no
``N·(G + 2) × D`` matrix is ever built.

The points themselves (:func:`sobol_points`) are computed here with numpy, bit for bit those of
``scipy.stats.qmc.Sobol(d, scramble=True, seed=seed)`` (a test compares them): the same direction numbers (Joe & Kuo
2008, SIAM J. Sci. Comput. 30:2635–2654, the table scipy ships), extended by the recurrence of Bratley & Fox 1988
(ACM TOMS 14:88–100), scrambled by a random lower-triangular binary matrix and a digital shift (Matoušek 1998,
J. Complexity 14:527–556) drawn from ``numpy.random.default_rng(seed)`` in the same order, and point ``k`` is the
XOR of the direction numbers of the bits of ``k``'s Gray code (Antonov & Saleev 1979). Importing ``scipy.stats``
costs about 0.3 s of CPU before the first block can start (it loads every distribution), which is most of what a
short sensitivity run does besides its model runs; where scipy's table is not found, the points come from
``scipy.stats.qmc`` itself.

Estimators, per output column (Saltelli et al. 2010, Table 2 (b) and (f); the same as SALib's ``sobol.analyze``):

    S1_g = mean(f(B)·(f(AB_g) − f(A))) / V            ST_g = mean((f(A) − f(AB_g))²) / (2·V)

with ``V`` the variance of the ``2N`` values f(A), f(B). Outputs are centred on the mean of ``f(A)`` over the first
block before the products (the estimators assume centred outputs; SALib standardises). Everything is a sum over base
samples, so blocks are reduced to sums (:class:`SobolSums`) and merged exactly in block order.

Confidence half-widths: the normal approximation of each index by the delta method, ``z·sqrt(∇ᵀΣ∇ / N)``, where ``Σ``
is the sample covariance of the per-sample terms (numerator term, ``(a² + b²)/2`` and ``(a + b)/2``) and ``∇`` the
gradient of ``mean(term) / (mean(q) − mean(u)²)``; it includes the variance estimate's own error. SALib's bootstrap
half-widths estimate the same quantity (within a few per cent at N ≥ 1024 on Ishigami).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy.special import ndtri

__all__ = ["SobolSums", "block_size", "design", "ishigami", "sobol_points"]

BITS = 30
"""Bits of every Sobol' coordinate (scipy's default): at most 2**30 points."""

EVALUATIONS_PER_BLOCK = 8192
"""Model evaluations per block (base samples per block: the largest power of 2 with (G + 2)·c ≤ this)."""


def block_size(groups: int, evaluations: int = EVALUATIONS_PER_BLOCK) -> int:
    """Base samples per block for ``groups`` groups: a power of 2, fixed by the problem (never by the workers)."""
    c = max(1, evaluations // (groups + 2))
    return 1 << (c.bit_length() - 1)


def design(
    seed: int, group_of: np.ndarray, n_groups: int, start: int, stop: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points ``start`` to ``stop`` of the design: ``A``, ``B`` (c, D) and ``AB`` (G, c, D).

    ``group_of`` (D,) is each input's group index in ``0 … n_groups − 1``.
    """
    group_of = np.asarray(group_of)
    D = group_of.size
    base = sobol_points(2 * D, seed, start, stop)  # as SALib seeds its engine: the same points
    A, B = base[:, :D], base[:, D:]
    take = group_of[None, :] == np.arange(n_groups)[:, None]  # (G, D)
    AB = np.where(take[:, None, :], B[None], A[None])
    return A, B, AB


def sobol_points(d: int, seed: int, start: int, stop: int) -> np.ndarray:
    """Points ``start`` to ``stop`` (stop − start, d) of ``scipy.stats.qmc.Sobol(d, scramble=True, seed=seed)``.

    The same floats as ``engine.fast_forward(start)`` then ``engine.random(stop - start)`` on a fresh engine.
    """
    if not 0 <= start <= stop <= 2**BITS:
        raise ValueError(f"points {start} to {stop}: expected 0 <= start <= stop <= 2**{BITS}")
    table = _scrambled(int(d), int(seed)) if isinstance(seed, (int, np.integer)) else None
    if table is None:
        return _scipy_points(d, seed, start, stop)
    sv, shift = table
    k = np.arange(start, stop, dtype=np.uint64)
    gray = k ^ (k >> np.uint64(1))
    x = np.repeat(shift[None], k.size, axis=0)
    for b in range(int(stop).bit_length()):
        x[((gray >> np.uint64(b)) & np.uint64(1)).astype(bool)] ^= sv[:, b]
    return x * (1.0 / 2**BITS)


def _scipy_points(d: int, seed: int, start: int, stop: int) -> np.ndarray:
    from scipy.stats import qmc

    engine = qmc.Sobol(d=d, scramble=True, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # balance warnings for blocks that are not powers of 2
        if start:
            engine.fast_forward(start)
        return engine.random(stop - start)


@lru_cache(maxsize=1)
def _direction_table() -> tuple[np.ndarray, np.ndarray] | None:
    """scipy's table of primitive polynomials and initial direction numbers (Joe & Kuo 2008), or None."""
    import scipy

    path = Path(scipy.__file__).parent / "stats" / "_sobol_direction_numbers.npz"
    try:
        with np.load(path) as z:
            return np.asarray(z["poly"], np.int64), np.asarray(z["vinit"], np.int64)
    except (OSError, KeyError, ValueError):  # pragma: no cover - a scipy that moved its table
        return None


@lru_cache(maxsize=8)
def _scrambled(d: int, seed: int) -> tuple[np.ndarray, np.ndarray] | None:
    """``(sv, shift)``: the scrambled direction numbers (d, BITS) and the digital shift (d,), as uint32."""
    table = _direction_table()
    if table is None or not 1 <= d <= table[0].size:
        return None
    poly, vinit = table[0][:d], table[1][:d]
    deg = np.array([int(p).bit_length() - 1 for p in poly])
    v = np.zeros((d, BITS), np.int64)
    v[0] = 1  # the first coordinate: van der Corput
    for i in range(1, d):
        v[i, : deg[i]] = vinit[i, : deg[i]]
    rows = np.arange(d)
    for j in range(BITS):  # m_j = 2 a_1 m_(j-1) ^ 4 a_2 m_(j-2) ^ … ^ 2^s m_(j-s) ^ m_(j-s) (Bratley & Fox 1988)
        r = rows[(rows >= 1) & (deg <= j)]
        if r.size == 0:
            continue
        s, p = deg[r], poly[r]
        new = v[r, j - s]
        for k in range(int(s.max())):
            use = (k < s) & (((p >> np.maximum(s - 1 - k, 0)) & 1) == 1)
            new = new ^ np.where(use, v[r, (j - k - 1) % BITS] << (k + 1), 0)
        v[r, j] = new
    v = (v << (BITS - 1 - np.arange(BITS))).astype(np.uint32)  # as binary fractions of 2**BITS
    rng = np.random.default_rng(seed)
    shift = np.dot(rng.integers(2, size=(d, BITS), dtype=np.uint32), 2 ** np.arange(BITS, dtype=np.uint32))
    ltm = np.tril(rng.integers(2, size=(d, BITS, BITS), dtype=np.uint32))
    ltm[:, np.arange(BITS), np.arange(BITS)] = 1
    # output digit p (2**-(p+1)) of a scrambled number is the parity of row p of the matrix and the input's digits
    powers = np.uint64(1) << (BITS - 1 - np.arange(BITS, dtype=np.uint64))
    rows_as_ints = (ltm.astype(np.uint64) * powers).sum(-1).astype(np.uint32)  # (d, p)
    parity = np.bitwise_count(rows_as_ints[:, None, :] & v[:, :, None]) & 1  # (d, j, p)
    sv = (parity.astype(np.uint64) * powers).sum(-1).astype(np.uint32)
    return sv, shift.astype(np.uint32)


@dataclass(eq=False)
class SobolSums:
    """Sums over base samples that give S1, ST and their half-widths; ``+`` merges blocks (in block order)."""

    n: int
    center: np.ndarray  # (m,)
    su: np.ndarray  # (m,) Σ u, u = (a + b)/2
    sq: np.ndarray  # (m,) Σ q, q = (a² + b²)/2
    suu: np.ndarray
    sqq: np.ndarray
    suq: np.ndarray
    s: np.ndarray  # (2, G, m) Σ term: [first order, total]
    ss: np.ndarray  # Σ term²
    sq_t: np.ndarray  # Σ term·q
    su_t: np.ndarray  # Σ term·u
    lo: np.ndarray  # (m,) min and max of every evaluation
    hi: np.ndarray
    finite: np.ndarray  # (m,) bool: every evaluation finite

    @classmethod
    def of(cls, fA: np.ndarray, fB: np.ndarray, fAB: np.ndarray, center: np.ndarray | None = None) -> SobolSums:
        """Sums of one block: ``fA``, ``fB`` (c, m) and ``fAB`` (G, c, m)."""
        fA, fB, fAB = (np.asarray(x, float) for x in (fA, fB, fAB))
        allv = np.concatenate([fA[None], fB[None], fAB], axis=0)
        finite = np.isfinite(allv).all(axis=(0, 1))
        # min and max of the finite evaluations (±inf where there is none: an issue nobody holds a stance on)
        ok = np.isfinite(allv)
        lo = np.min(allv, axis=(0, 1), initial=np.inf, where=ok)
        hi = np.max(allv, axis=(0, 1), initial=-np.inf, where=ok)
        if center is None:
            center = np.nanmean(fA, axis=0) if fA.shape[0] else np.zeros(fA.shape[1])
        center = np.where(np.isfinite(center), center, 0.0)
        a, b, ab = fA - center, fB - center, fAB - center
        u = (a + b) / 2
        q = (a * a + b * b) / 2
        terms = np.stack([b[None] * (ab - a[None]), 0.5 * (a[None] - ab) ** 2])  # (2, G, c, m)
        return cls(
            n=int(fA.shape[0]),
            center=center,
            su=u.sum(0),
            sq=q.sum(0),
            suu=(u * u).sum(0),
            sqq=(q * q).sum(0),
            suq=(u * q).sum(0),
            s=terms.sum(2),
            ss=(terms * terms).sum(2),
            sq_t=(terms * q).sum(2),
            su_t=(terms * u).sum(2),
            lo=lo,
            hi=hi,
            finite=finite,
        )

    def __add__(self, other: SobolSums) -> SobolSums:
        return SobolSums(
            n=self.n + other.n,
            center=self.center,
            su=self.su + other.su,
            sq=self.sq + other.sq,
            suu=self.suu + other.suu,
            sqq=self.sqq + other.sqq,
            suq=self.suq + other.suq,
            s=self.s + other.s,
            ss=self.ss + other.ss,
            sq_t=self.sq_t + other.sq_t,
            su_t=self.su_t + other.su_t,
            lo=np.fmin(self.lo, other.lo),
            hi=np.fmax(self.hi, other.hi),
            finite=self.finite & other.finite,
        )

    def variance(self) -> np.ndarray:
        """(m,) the variance of the 2N values f(A), f(B) (ddof 0)."""
        mu = self.su / self.n
        return np.maximum(self.sq / self.n - mu * mu, 0.0)

    def indices(self, conf_level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(S1, S1_conf, ST, ST_conf, variance)``, indices (m, G); NaN where some evaluation was not finite, 0 where
        no input moves the output."""
        N = self.n
        V = self.variance()
        mu = self.su / N
        mean_t = self.s / N  # (2, G, m)
        const = (self.hi - self.lo) <= 1e-12 * np.maximum(1.0, np.maximum(np.abs(self.hi), np.abs(self.lo)))
        safeV = np.where(const | (V <= 0), 1.0, V)
        est = mean_t / safeV
        # delta method on S = t̄ / (q̄ − ū²): gradient (1/V, −S/V, 2·S·ū/V) against (t, q, u)
        k = N / max(N - 1, 1)
        var_t = (self.ss / N - mean_t**2) * k
        mq = self.sq / N
        var_q = (self.sqq / N - mq**2) * k
        var_u = (self.suu / N - mu**2) * k
        c_tq = (self.sq_t / N - mean_t * mq) * k
        c_tu = (self.su_t / N - mean_t * mu) * k
        c_qu = (self.suq / N - mq * mu) * k
        g1, g2, g3 = 1 / safeV, -est / safeV, 2 * est * mu / safeV
        var_s = (
            g1**2 * var_t + g2**2 * var_q + g3**2 * var_u + 2 * g1 * g2 * c_tq + 2 * g1 * g3 * c_tu + 2 * g2 * g3 * c_qu
        )
        z = float(ndtri(0.5 + conf_level / 2))
        conf = z * np.sqrt(np.maximum(var_s, 0.0) / N)
        zero = const | (V <= 0)
        est = np.where(zero, 0.0, est)
        conf = np.where(zero, 0.0, conf)
        bad = ~self.finite
        est = np.where(bad, np.nan, est)
        conf = np.where(bad, np.nan, conf)
        V = np.where(bad, np.nan, np.where(zero, 0.0, V))
        return est[0].T, conf[0].T, est[1].T, conf[1].T, V


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    """The Ishigami function on [−π, π]³ (Ishigami & Homma 1990), ``x`` (…, 3) in [0, 1]."""
    z = -np.pi + 2 * np.pi * np.asarray(x, float)
    return np.sin(z[..., 0]) + a * np.sin(z[..., 1]) ** 2 + b * z[..., 2] ** 4 * np.sin(z[..., 0])
