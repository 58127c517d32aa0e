"""The game's state and action spaces, North Korea's type grid and the belief grid.

State at the start of a month (one path): sub-stage j (0 testing, 1 moratorium, 2 Yongbyon freeze, 3 Yongbyon
dismantled, 4 declaration and inspections, 5 = "4+" disarmament agreed and under way, 6 = disarmament done), relief
status r (0 delivered, 1 statutory part blocked by Congress, 2 suspended), belief cell (exposure node i, whether an
exploitation act has been seen n_x), administration a (0 incumbent, 1 incumbent defeated and still in office,
2 successor). Two absorbing states follow: war, and regime change by a strike on a disarmed North.

States are ordered with the belief cell outermost, so that cells only move upward (block-triangular kernel).

Types θ = (v, τ) on a grid of equal-probability bins of the prior log v ~ N(log m_v, σ_v²), τ | v normal with
correlation ρ
(Rust 1987 style discrete types; the logit shocks of McKelvey & Palfrey 1995 make aggregates smooth).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import stats

N_J, N_R, N_A = 7, 3, 3
J_NAMES = ("testing", "moratorium", "freeze", "yongbyon-dismantled", "declaration", "cvid-under-way", "cvid-done")
J_LEVEL = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 4.5, 5.0])  # n(j) in the relief schedule
CVID_STARTED, CVID_DONE = 5, 6
R_NAMES = ("delivered", "statutory-blocked", "suspended")
A_NAMES = ("incumbent", "incumbent-defeated", "successor")


@dataclass(frozen=True)
class Actions:
    """North Korea's action set: target stage j′, testing y (0 none, 1 short-range campaign, 2 strategic), covert
    cheating c. Valid combinations per current stage are listed in slot order; at most ``width`` per state.

    Leaving the moratorium (or a freeze) is resuming strategic tests: the exit comes with y = 2, so its value and its
    risks are those of a strategic test (an exit with no test would gain the deterrent share for nothing)."""

    @cached_property
    def table(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """For each current stage j: arrays (jp, y, c) padded to width, plus validity mask; shapes (7, width)."""
        per_j = []
        for j in range(N_J):
            acts = []
            if j == CVID_DONE:
                targets = [j]
            else:
                targets = [j] + [k for k in range(j + 1, CVID_DONE)]
                if j in (1, 2):
                    targets.append(0)
                if j == CVID_STARTED:
                    targets.append(4)
            for jp in targets:
                if j == CVID_DONE:
                    ys: tuple[int, ...] = (0,)
                elif jp == 0 and j >= 1:
                    ys = (2,)  # leaving the moratorium means resuming strategic tests
                else:
                    ys = (0, 1, 2) if jp == 0 else (0, 1)
                cs = (0, 1) if jp >= 2 else (0,)
                for y in ys:
                    for c in cs:
                        acts.append((jp, y, c))
            per_j.append(acts)
        width = max(len(a) for a in per_j)
        t_jp = np.zeros((N_J, width), dtype=np.int64)
        t_y = np.zeros((N_J, width), dtype=np.int64)
        t_c = np.zeros((N_J, width), dtype=np.int64)
        t_ok = np.zeros((N_J, width), dtype=bool)
        for j, acts in enumerate(per_j):
            for k, (a, b, d) in enumerate(acts):
                t_jp[j, k], t_y[j, k], t_c[j, k], t_ok[j, k] = a, b, d, True
        return t_jp, t_y, t_c, t_ok

    @property
    def width(self) -> int:
        return int(self.table[0].shape[1])


ACTIONS = Actions()


@dataclass(frozen=True)
class Space:
    """Index arithmetic for n_lam exposure nodes."""

    n_lam: int

    @property
    def n_cell(self) -> int:
        return 2 * self.n_lam

    @property
    def block(self) -> int:
        return N_A * N_R * N_J

    @property
    def n_live(self) -> int:
        return self.n_cell * self.block

    @property
    def n_states(self) -> int:
        return self.n_live + 2

    @property
    def war(self) -> int:
        return self.n_live

    @property
    def rc(self) -> int:
        return self.n_live + 1

    def index(
        self, j: np.ndarray | int, r: np.ndarray | int, i: np.ndarray | int, nx: np.ndarray | int, a: np.ndarray | int
    ) -> np.ndarray:
        cell = np.asarray(nx) * self.n_lam + np.asarray(i)
        return np.asarray(((cell * N_A + np.asarray(a)) * N_R + np.asarray(r)) * N_J + np.asarray(j))

    @cached_property
    def components(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(j, r, i, nx, a) of every live state."""
        s = np.arange(self.n_live)
        j = s % N_J
        r = (s // N_J) % N_R
        a = (s // (N_J * N_R)) % N_A
        cell = s // self.block
        return j, r, cell % self.n_lam, cell // self.n_lam, a


@dataclass(frozen=True)
class TypeGrid:
    """Quantile grid of North Korea's private type: deterrent value v and test value τ (units: bite-months)."""

    v: np.ndarray
    tau: np.ndarray
    weight: np.ndarray
    z_v: np.ndarray

    @property
    def n(self) -> int:
        return int(self.v.size)


def centroids(n: int) -> np.ndarray:
    """The standard normal cut into n bins of equal probability, each represented by its mean: n·(φ(a) − φ(b)) for
    the bin [a, b]. Unlike the bins' medians Φ⁻¹((i − ½)/n), these nodes keep the spread of the prior (two median
    nodes ±0.67 have variance 0.45; two centroids ±0.80 have 0.64), so a test-value dimension with few nodes is
    not too narrow: with three test-value nodes the 48- and 72-type grids agree to 0.005 on every exact metric."""
    edges = stats.norm.ppf(np.linspace(0.0, 1.0, n + 1))
    pdf = stats.norm.pdf(edges)
    return np.asarray(n * (pdf[:-1] - pdf[1:]))


def type_grid(p: dict[str, float], n_v: int, n_tau: int) -> TypeGrid:
    """Types on the product of equal-probability bins of the standardised log v and of τ's own shock, each bin at
    its centroid (:func:`centroids`); equal weights."""
    z = centroids(n_v)
    w = centroids(n_tau)
    zz, ww = np.meshgrid(z, w, indexing="ij")
    rho = p["rho_vt"]
    v = p["m_v"] * np.exp(p["sigma_v"] * zz)
    tau = p["mu_tau"] + p["sigma_tau"] * (rho * zz + np.sqrt(1 - rho**2) * ww)
    n = n_v * n_tau
    return TypeGrid(v=v.ravel(), tau=tau.ravel(), weight=np.full(n, 1.0 / n), z_v=zz.ravel())


def belief_nodes(lam0: float, n_lam: int, top: float = 240.0) -> np.ndarray:
    """Exposure nodes: the baseline exposure, then a geometric grid from 0.05 to ``top`` months of full exposure."""
    return np.concatenate([[lam0], lam0 + np.geomspace(0.05, top, n_lam - 1)])
