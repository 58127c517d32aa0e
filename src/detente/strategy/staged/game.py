"""North Korea's dynamic programme: a finite-horizon soft (logit) Bellman recursion ending in a stationary
continuation value, over a grid of private types.

Q_t(θ, s, α) = ū_t(θ, s, α) + δ Σ_s′ P_t(s′ | s, α) V_{t+1}(θ, s′),  V_t = σ log Σ_α exp(Q_t/σ),
π_t = exp((Q_t − V_t)/σ): Rust's (1987) dynamic discrete choice with extreme-value shocks, a quantal response in
McKelvey & Palfrey's (1995) sense (Signorino 1999 in IR). After the horizon every parameter takes its long-run value
and V_∞ solves the time-homogeneous soft Bellman equation by policy iteration (Newton-Kantorovich, Rust 1987),
cell by cell: belief cells only move upward, so each cell's small linear system is solved once the cells above it are
known. Nothing in this module computes a transition probability; it reads :mod:`.kernel`.

Covert cheating is a nested sub-choice (McFadden 1978) valued by the log of the *mean* of exp(Q/σ) over its two
options, not their sum. With the plain logit sum, a near-neutral duplicate option adds σ log 2 a month, which a
patient North capitalises into several months of sanctions: stages where cheating is possible (a freeze and above)
would look better than the moratorium for no reason in the payoffs, and a North would "freeze" under a rule that pays
nothing for a freeze (McFadden's red-bus/blue-bus problem). Moves and testing keep the plain logit: they are distinct
alternatives, and a bad one adds almost nothing to the sum. Formally the logit has reference weights w(a) (½ for each
cheating variant, else 1): V = σ log Σ w exp(Q/σ), π = w exp((Q − V)/σ), V = Σ π (Q − σ log(π/w)); with σ → 0 the
best response is unchanged.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from detente.strategy.staged import kernel as kern
from detente.strategy.staged.misperception import Truth
from detente.strategy.staged.priors import central
from detente.strategy.staged.rules import SUCCESSOR, Phase, Rule
from detente.strategy.staged.space import Space, TypeGrid, belief_nodes, type_grid


@dataclass(frozen=True)
class Calendar:
    """Month indices (month 0 = the first simulated month). Defaults: the korea-2019 scenario's calendar."""

    start: str = "2019-03"
    election: int = 20
    inauguration: int = 22
    horizon: int = 30
    # dated shocks (month indices; None: the shock does not happen, nor its long-run part)
    covid: int | None = 11
    bolton: int | None = 6
    leak_switch: int | None = 10
    long_run: int = 30  # from this month every parameter takes its long-run value (and the rule may switch)
    # the dated shocks (names of the fields above) that nobody foresaw: North Korea's programme is solved without
    # them until their month, then re-solved from the realised state with them in force (a surprise)
    unanticipated: tuple[str, ...] = ("covid", "bolton")

    def foreseen(self, t: int) -> Calendar:
        """The calendar as known at the start of month t: an unanticipated shock later than t is absent (one that has
        happened stays, and stays unanticipated for the months before it)."""
        gone: dict[str, Any] = {
            name: None for name in self.unanticipated if (m := getattr(self, name)) is not None and m > t
        }
        return dataclasses.replace(self, unanticipated=tuple(n for n in self.unanticipated if n not in gone), **gone)

    def surprises(self, t0: int = 0) -> list[int]:
        """The months after ``t0`` and before the long-run month in which an unanticipated shock that enters North
        Korea's problem happens (Bolton's departure changes only the president's cost of relief)."""
        months = {getattr(self, name) for name in self.unanticipated if name != "bolton"}
        return sorted(m for m in months if m is not None and t0 < m < min(self.long_run, self.horizon))

    def label(self, t: int) -> str:
        y, m = (int(x) for x in self.start.split("-"))
        k = y * 12 + (m - 1) + t
        return f"{k // 12:04d}-{k % 12 + 1:02d}"


@dataclass(frozen=True)
class Grid:
    """Grid sizes: deterrent-value types, test-value types, belief nodes. The default is the reporting grid (72
    types); :data:`SWEEP_GRID` (48 types) is for searches, fits and sweeps."""

    n_v: int = 24
    n_tau: int = 3
    n_lam: int = 10


# Three test-value nodes, not two: with two, the share of months with tests is off by about 0.015 (the test choice
# is steep in the test value); with three (and 16 deterrent values) the sweep and default grids agree to 0.005 on every exact metric.
SWEEP_GRID = Grid(16, 3, 8)


@dataclass
class Game:
    """One parameter point, one incumbent rule: the kernels, N's value functions and policies."""

    params: dict[str, float]
    rule: Rule
    calendar: Calendar = field(default_factory=Calendar)
    grid: Grid = field(default_factory=Grid)
    successor: Rule = SUCCESSOR
    # (month, mask of states): solve for a forward run that starts from this support at this month (default: the
    # baseline state at month 0)
    origin: tuple[int, np.ndarray] | None = None
    # the true distribution of the US exploitation rate when it differs from North Korea's prior (misperception;
    # :mod:`.misperception`); None: the common prior
    truth: Truth | None = None
    # compute South Korea's payoff in the forward equation even when the US leads (to compare rules on it)
    with_K: bool = False

    def __post_init__(self) -> None:
        self.space = Space(self.grid.n_lam)
        self.types: TypeGrid = type_grid(self.params, self.grid.n_v, self.grid.n_tau)
        self.lam0 = kern.baseline_exposure(self.params)
        self.nodes = belief_nodes(self.lam0, self.grid.n_lam)
        self._kernels: dict[Any, kern.Kernel] = {}
        self._partials: dict[Any, Any] = {}
        self.V: np.ndarray | None = None
        self.V_believed: np.ndarray | None = None
        self.V_inf: np.ndarray | None = None
        self.stationary_residual = np.nan
        self._pi: dict[int, tuple[np.ndarray, np.ndarray, Any]] = {}
        self._reach: list[np.ndarray] = []

    # ------------------------------------------------------------------ time-varying inputs
    def epoch(self, t: int | None) -> int | None:
        """The month's key for dated inputs: None from the long-run month on (the stationary kernel and values)."""
        return None if t is None or t >= self.calendar.long_run else t

    def bite(self, t: int | None) -> float:
        p, cal = self.params, self.calendar
        t = self.epoch(t)
        if t is None:
            return (1 - p["leak_inf"]) * (1 - p["c_cov_inf"] * (cal.covid is not None))
        leak = p["leak_2019"] if not _after(t, cal.leak_switch) else min(0.8, p["leak_2019"] * p["leak_2020_mult"])
        return (1 - leak) * (1 - p["c_cov"] * _after(t, cal.covid))

    def covid_share(self, t: int | None) -> float:
        p = self.params
        t = self.epoch(t)
        if t is None:
            return p["c_cov_inf"] / p["c_cov"] if p["c_cov"] > 0 and self.calendar.covid is not None else 0.0
        return float(_after(t, self.calendar.covid))

    def c_R(self, t: int | None) -> float:
        p = self.params
        bolton = self.calendar.bolton
        return p["c_R"] * (1 - p["varpi_B"] * (bolton is not None and (t is None or t >= bolton)))

    def kernel(self, t: int | None, true: bool = False) -> kern.Kernel:
        """The kernel of month t (None: the stationary kernel after the horizon): as North Korea sees it, or with
        ``true`` as events really unfold (the same kernel unless the exploitation rate is misperceived)."""
        if true and self.truth is not None:
            return self._true_kernel(t)
        cal = self.calendar
        t = self.epoch(t)
        if t is None:
            key: tuple[Any, ...] = ("inf", self.rule.last())
            ph_I: Phase = self.rule.last()
        else:
            ph_I = self.rule.at(t)
            key = (ph_I, t == cal.election, t == cal.inauguration)
        if key not in self._kernels:
            # an ordinary month, the election and the inauguration share every event before the election step
            part = ("partial", ph_I, t is None)
            if part not in self._partials:
                self._partials[part] = kern.partial(
                    self.params, self.space, self.nodes, ph_I, self.successor.last(), stationary=t is None
                )
            self._kernels[key] = self._partials[part](
                t is not None and t == cal.election, t is not None and t == cal.inauguration
            )
        return self._kernels[key]

    def _true_kernel(self, t: int | None) -> kern.Kernel:
        assert self.truth is not None
        seen = self.kernel(t)
        key = ("true", id(seen))
        if key not in self._kernels:
            cal = self.calendar
            t = self.epoch(t)
            ph_I = self.rule.last() if t is None else self.rule.at(t)
            self._kernels[key] = kern.build(
                self.params,
                self.space,
                self.nodes,
                ph_I,
                self.successor.last(),
                election=t is not None and t == cal.election,
                inauguration=t is not None and t == cal.inauguration,
                stationary=t is None,
                truth=self.truth.gamma(self.params),
            )
        return self._kernels[key]

    def flow_N(self, t: int | None, split: bool = False, rows: np.ndarray | None = None) -> Any:
        return kern.flow_N(
            self.kernel(t), self.params, self.bite(t), self.covid_share(t), self.types.v, self.types.tau, split=split,
            rows=rows,
        )

    def flow_P(self, t: int | None, split: bool = False) -> Any:
        """The president's flow payoff of each row, as events really unfold."""
        return kern.flow_P(self.kernel(t, true=True), self.params, self.c_R(t), stationary=self.epoch(t) is None, split=split)

    @property
    def s0(self) -> int:
        """Baseline state: moratorium, no relief in force, baseline exposure, no act seen, incumbent."""
        return int(self.space.index(1, 0, 0, 0, 0))

    # ------------------------------------------------------------------ solution
    @property
    def sigma(self) -> float:
        return self.params["sigma_N"]

    def _lse(self, k: kern.Kernel, Q: np.ndarray, n_states: int) -> np.ndarray:
        return lse_rows(k.row_s, Q + self.sigma * k.f["logw"][:, None], n_states, self.sigma)

    def Q(self, t: int | None, V_next: np.ndarray) -> np.ndarray:
        k = self.kernel(t)
        return self.flow_N(t) + self.params["delta_N"] * (k.P @ V_next)

    def reachable(self) -> list[np.ndarray]:
        """For each month t = 0..T, the states the game can be in at the start of t (a boolean mask over states):
        the baseline state at month 0 (or the ``origin``'s support from its month), then every successor of a
        reachable state. Every valid action has positive logit probability, so this is exactly the support of the
        forward distribution; the finite-horizon programme needs V_t and π_t on these states only."""
        T = self.calendar.horizon
        ns = self.space.n_states
        t0, m0 = self.origin if self.origin is not None else (0, np.arange(ns) == self.s0)
        reach = [np.zeros(ns, dtype=bool) for _ in range(T + 1)]
        reach[t0] = np.asarray(m0, dtype=bool).copy()
        for t in range(t0, T):
            k = self.kernel(t)
            rows = np.flatnonzero(reach[t][k.row_s])
            reach[t + 1][k.P[rows].indices] = True
        return reach

    def solve(self) -> Game:
        """N's soft Bellman recursion, backward from the stationary continuation, on the reachable states of each
        month; the choice probabilities are kept for the forward equation and the Monte Carlo.

        With unanticipated shocks (:meth:`Calendar.surprises`) the months before a shock take the choices of the
        programme solved on the calendar known then (:meth:`Calendar.foreseen`), which has no such shock; from the
        shock's month on, the programme with the shock in force, solved from whatever state the earlier months
        reached (a soft Bellman recursion from month t does not depend on how the state was reached, so this is the
        remaining game re-solved from the realised state). ``V`` is then the value realised under these choices
        (what the Monte Carlo's discounted payoffs average to), ``V_believed`` the value North Korea expects when it
        chooses in each month."""
        if self.V is not None:
            return self
        reach = self.reachable()
        self._reach = reach
        t0 = self.origin[0] if self.origin is not None else 0
        cuts = self.calendar.surprises(t0)
        self.V_inf = self.solve_stationary()
        V, self._pi = self._backward(reach, cuts[-1] if cuts else 0)
        believed = V.copy() if cuts else V
        bounds = [t0, *cuts]
        delta = self.params["delta_N"]
        for n in range(len(cuts) - 1, -1, -1):
            lo, hi = bounds[n], bounds[n + 1]
            w = Game(self.params, self.rule, self.calendar.foreseen(lo), self.grid, self.successor, self.origin)
            w._kernels = self._kernels  # the kernel rows do not depend on the dated shocks, only the flows do
            w._partials = self._partials
            w.V_inf = w.solve_stationary()
            Vw, piw = w._backward(reach, lo, stop=hi)
            for t in range(hi - 1, lo - 1, -1):
                if t not in piw:
                    continue
                rows, e, Pr = piw[t]
                self._pi[t] = piw[t]
                believed[t] = Vw[t]
                # realised value of the foreseen choices: V_w plus the expected gap in flows and continuation
                rs = self.kernel(t).row_s[rows]
                firsts = np.flatnonzero(np.r_[True, rs[1:] != rs[:-1]])
                gap = (self.flow_N(t, rows=rows) - w.flow_N(t, rows=rows)) + delta * (Pr @ (V[t + 1] - Vw[t + 1]))
                V[t, rs[firsts]] = Vw[t, rs[firsts]] + np.add.reduceat(e * gap, firsts, axis=0)
        self.V_believed = believed
        self.V = V
        return self

    def _backward(self, reach: list[np.ndarray], first: int, stop: int | None = None
                  ) -> tuple[np.ndarray, dict[int, tuple[np.ndarray, np.ndarray, Any]]]:
        """V_t and π_t (on the reachable rows) for t = T − 1 down to ``first``, from V_T = V_∞; the choice
        probabilities are kept for the months before ``stop`` only (default: all)."""
        T = self.calendar.horizon
        ns, nt = self.space.n_states, self.types.n
        assert self.V_inf is not None
        V = np.zeros((T + 1, ns, nt))
        V[T] = self.V_inf
        delta, sig = self.params["delta_N"], self.sigma
        pis: dict[int, tuple[np.ndarray, np.ndarray, Any]] = {}
        for t in range(T - 1, first - 1, -1):
            k = self.kernel(t)
            rows = np.flatnonzero(reach[t][k.row_s])
            if rows.size == 0:
                continue
            Pr = k.P[rows]
            Qw = self.flow_N(t, rows=rows) + delta * (Pr @ V[t + 1]) + sig * k.f["logw"][rows, None]
            rs = k.row_s[rows]
            firsts = np.flatnonzero(np.r_[True, rs[1:] != rs[:-1]])
            m = np.maximum.reduceat(Qw, firsts, axis=0)
            grp = np.cumsum(np.r_[False, rs[1:] != rs[:-1]])
            e = np.exp((Qw - m[grp]) / sig)
            z = np.add.reduceat(e, firsts, axis=0)
            V[t, rs[firsts]] = m + sig * np.log(z)
            if stop is None or t < stop:
                e /= z[grp]
                pis[t] = (rows, e, Pr)
        return V, pis

    def cover(self, t: int, support: np.ndarray) -> Game:
        """Make sure the solution covers a forward run from ``support`` (a mask of states) at month t: solve from
        that origin when not yet solved, re-solve when the solved months do not reach it."""
        support = np.asarray(support, dtype=bool)
        if self.V is None:
            if not (t == 0 and np.array_equal(np.flatnonzero(support), [self.s0])):
                self.origin = (t, support)
            return self
        if t >= self.calendar.horizon or not np.any(support & ~self._reach[t]):
            return self
        self.origin = (t, support | self._reach[t])
        self.V = None
        return self.solve()

    def policy_rows(self, t: int) -> tuple[np.ndarray, np.ndarray, Any]:
        """(rows, π on those rows (rows x types), the kernel's successor rows) for month t < T: the rows of the states
        reachable at t."""
        self.solve()
        if t not in self._pi:
            k = self.kernel(t)
            return np.zeros(0, dtype=np.int64), np.zeros((0, self.types.n)), k.P[np.zeros(0, dtype=np.int64)]
        return self._pi[t]

    def policy(self, t: int | None) -> np.ndarray:
        """π_t on the kernel's rows (rows x types); zero on the rows of states not reachable at t."""
        self.solve()
        assert self.V is not None and self.V_inf is not None
        k = self.kernel(t)
        if t is not None and t < self.calendar.horizon:
            rows, pi, _ = self.policy_rows(t)
            full = np.zeros((k.row_s.size, self.types.n))
            full[rows] = pi
            return full
        V_next = self.V_inf
        Q = self.Q(t, V_next)
        return np.asarray(k.f["w"][:, None] * np.exp((Q - self.V_inf[k.row_s]) / self.sigma))

    def solve_stationary(self, tol: float = 1e-10, max_iter: int = 60) -> np.ndarray:
        """V_∞ by soft policy iteration, one belief cell at a time from the top (block-triangular kernel)."""
        k = self.kernel(None)
        u = self.flow_N(None)
        delta, sig = self.params["delta_N"], self.sigma
        sp = self.space
        nt = self.types.n
        V = np.zeros((sp.n_states, nt))
        Bk = sp.block
        starts = np.searchsorted(k.row_s, np.arange(sp.n_cell + 1) * Bk)
        worst = 0.0
        for cell in range(sp.n_cell - 1, -1, -1):
            lo, hi = cell * Bk, (cell + 1) * Bk
            r0, r1 = starts[cell], starts[cell + 1]
            Pc = k.P[r0:r1]
            P_in_sp = Pc[:, lo:hi].tocoo()
            P_in = Pc[:, lo:hi].tocsr()
            cont = u[r0:r1] + delta * (Pc[:, hi:] @ V[hi:])
            rs = k.row_s[r0:r1] - lo
            firsts = np.searchsorted(rs, np.arange(Bk))
            logw = k.f["logw"][r0:r1, None]
            wref = k.f["w"][r0:r1, None]
            Vc = V[hi : hi + Bk].copy() if cell < sp.n_cell - 1 else np.zeros((Bk, nt))
            # states no transition of the cell enters (after the horizon: a defeated incumbent still in office) take
            # no part in the linear system; their value follows from the others'
            entered = np.zeros(Bk, dtype=bool)
            entered[P_in_sp.col] = True
            keep, other = np.flatnonzero(entered), np.flatnonzero(~entered)
            nk = keep.size
            pos = np.full(Bk, -1)
            pos[keep] = np.arange(nk)
            into = entered[P_in_sp.col]
            from_keep = entered[rs[P_in_sp.row]]
            flat_k = (pos[rs[P_in_sp.row]] * nk + pos[P_in_sp.col])[from_keep & into]
            sel_k = np.flatnonzero(from_keep & into)
            for _ in range(max_iter):
                Q = cont + delta * (P_in @ Vc)
                Vn = lse_rows(rs, Q + sig * logw, Bk, sig)
                res = np.max(np.abs(Vn - Vc), axis=0)
                if float(res.max()) < tol:
                    break
                # policy evaluation with relative entropy (Newton step) for the types not yet converged:
                # (I − δ P_π) V = Σ π ū − σ Σ π log(π / w), with w the reference weights of the options; a converged
                # type takes the Bellman step Vn, which moves it by less than the tolerance
                act = np.flatnonzero(res >= tol)
                na = act.size
                ratio = (Q[:, act] - Vn[rs][:, act]) / sig
                pi = wref * np.exp(ratio)
                rpi = np.add.reduceat(pi * (cont[:, act] - sig * ratio), firsts, axis=0)  # (Bk, na)
                w = pi[P_in_sp.row].T * P_in_sp.data[None, :]  # (na, nnz)
                offs = (np.arange(na) * nk * nk)[:, None]
                Ppi = np.bincount((offs + flat_k[None, :]).ravel(), weights=w[:, sel_k].ravel(),
                                  minlength=na * nk * nk).reshape(na, nk, nk)
                A = np.eye(nk)[None] - delta * Ppi
                Vk = np.linalg.solve(A, rpi[keep].T[:, :, None])[:, :, 0].T  # (nk, na)
                Vnew = Vn[:, act]
                Vnew[keep] = Vk
                if other.size:  # V(s) = Σ π (ū − σ log(π/w)) + δ Σ π P V for a state that nothing enters
                    ro = np.flatnonzero(np.isin(rs, other))
                    contrib = np.zeros((Bk, na))
                    np.add.at(contrib, rs[ro], pi[ro] * (P_in[ro][:, keep] @ Vk))
                    Vnew[other] = rpi[other] + delta * contrib[other]
                Vn[:, act] = Vnew
                Vc = Vn
            Q = cont + delta * (P_in @ Vc)
            worst = max(worst, float(np.max(np.abs(lse_rows(rs, Q + sig * logw, Bk, sig) - Vc))))
            V[lo:hi] = Vc
        self.stationary_residual = worst
        return V

    def bellman(self, t: int | None, V_next: np.ndarray) -> np.ndarray:
        """One application of the soft Bellman operator: V_t on the live states given V_{t+1}."""
        return self._lse(self.kernel(t), self.Q(t, V_next), self.space.n_live)

    @cached_property
    def mu0(self) -> np.ndarray:
        mu = np.zeros((self.space.n_states, self.types.n))
        mu[self.s0] = self.types.weight
        return mu


def _after(t: int, month: int | None) -> bool:
    """Whether a dated shock of ``month`` is in force in month t (never when the shock is absent)."""
    return month is not None and t >= month


def lse_rows(rs: np.ndarray, Q: np.ndarray, nb: int, sigma: float) -> np.ndarray:
    """σ log Σ exp(Q/σ) over the rows of each state (rows sorted by state; every state has a row)."""
    firsts = np.searchsorted(rs, np.arange(nb))
    m = np.maximum.reduceat(Q, firsts, axis=0)
    z = np.add.reduceat(np.exp((Q - m[rs]) / sigma), firsts, axis=0)
    return np.asarray(m + sigma * np.log(z))


def make_game(
    rule: Rule,
    overrides: dict[str, float] | None = None,
    *,
    grid: Grid | None = None,
    calendar: Calendar | None = None,
    params: dict[str, float] | None = None,
    truth: Truth | None = None,
) -> Game:
    p = dict(params) if params is not None else central()
    if overrides:
        p.update(overrides)
    return Game(p, rule, calendar or Calendar(), grid or Grid(), truth=truth)
