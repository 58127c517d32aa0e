"""The exact forward equation: the distribution over (type, state) month by month, and every headline metric as an
exact expectation under it (no Monte Carlo error, so no metric moves with the number of paths).

μ_{t+1}(θ, s′) = Σ_s Σ_α μ_t(θ, s) π_t(α | θ, s) P_t(s′ | s, α), absorbing mass carried forward. "Ever" events use
the same operator restricted to the event's complement (no crisis yet); additive functionals (the arsenal, the
president's payoff) propagate M_t(s) = E[F_t 1(s_t = s)] with the same kernel rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from detente.strategy.staged.game import Game
from detente.strategy.staged.kernel import Kernel
from detente.strategy.staged.misperception import posterior_mean_by_state
from detente.strategy.staged.seoul import flow_K, wants_K
from detente.strategy.staged.space import CVID_DONE, CVID_STARTED, N_J

STATUS = ("war", "regime change", "crisis", "breakdown", "agreement in force", "unilateral restraint", "stalled")


@dataclass
class Forward:
    months: int
    reached: np.ndarray  # (months+1, 7): P(stage >= k, not absorbed) at the start of each month
    war: np.ndarray  # (months+1,)
    regime_change: np.ndarray
    crisis_ever: np.ndarray
    test_month: np.ndarray  # (months,) P(campaign this month)
    strategic_month: np.ndarray
    status: np.ndarray  # (months, 7)
    arsenal_mean: np.ndarray  # (months+1,)
    relief_mean: np.ndarray  # (months,)
    value_P: float
    value_P_parts: dict[str, float]
    value_N: np.ndarray  # per type, at the baseline
    mu_last: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))
    first_step: np.ndarray = field(default_factory=lambda: np.zeros(0))  # P(first advance beyond the baseline at t)
    # North Korea's posterior mean of the exploitation rate (acts per month of full exposure), averaged over the
    # paths not absorbed, at the start of each month (months+1,)
    belief_mean: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # South Korea's expected discounted payoff (the Seoul-led rule's objective), computed when South Korea leads or
    # the game asks for it (``Game.with_K``); None otherwise
    value_K: float | None = None
    value_K_parts: dict[str, float] = field(default_factory=dict)


def indicators(k: Kernel) -> dict[str, np.ndarray]:
    """Per-row 0/1 indicators (as floats) for the status ladder and the event counts; cached on the kernel."""
    f = k.f
    if "ind_test" not in f:
        brk = (f["r"] == 2) | (f["open"] > 0)
        agree = ~brk & (f["j"] >= 1) & ((f["rel_start"] > 0) | ((f["j"] == 1) & (f["x"] == 0)))
        unil = ~brk & ~agree & (f["j"] >= 1)
        for key, val in (
            ("test", f["y"] >= 1),
            ("strategic", f["y"] == 2),
            ("breakdown", brk),
            ("agreement", agree),
            ("unilateral", unil),
            ("stalled", ~brk & ~agree & ~unil),
            ("advance", f["jp"] > f["j"]),
        ):
            f["ind_" + key] = val.astype(float)
    return {key[4:]: v for key, v in f.items() if key.startswith("ind_")}


def president_stationary(game: Game, u: np.ndarray | None = None, *, always: bool = False) -> np.ndarray:
    """The president's continuation value after the horizon, while his rule is in force (zero once it is not),
    by policy evaluation under North Korea's stationary choice probabilities, one belief cell at a time. With a flow
    ``u`` per row and ``always``: the continuation value of that flow whoever governs in Washington (South Korea's)."""
    k = game.kernel(None, true=True)
    pi = game.policy(None)
    u = game.flow_P(None) if u is None else u
    beta = game.params["beta_P"]
    sp = game.space
    nt = game.types.n
    Bk = sp.block
    a_state = sp.components[4]
    Vp = np.zeros((sp.n_states, nt))
    starts = np.searchsorted(k.row_s, np.arange(sp.n_cell + 1) * Bk)
    for cell in range(sp.n_cell - 1, -1, -1):
        lo, hi = cell * Bk, (cell + 1) * Bk
        r0, r1 = starts[cell], starts[cell + 1]
        Pc = k.P[r0:r1]
        rs = k.row_s[r0:r1] - lo
        firsts = np.searchsorted(rs, np.arange(Bk))
        p = pi[r0:r1]
        office = ((a_state[lo:hi] == 0) | always)[:, None]
        cont = u[r0:r1, None] + beta * (Pc[:, hi:] @ Vp[hi:])
        rpi = np.add.reduceat(p * cont, firsts, axis=0) * office
        coo = Pc[:, lo:hi].tocoo()
        flat = rs[coo.row] * Bk + coo.col
        w = p[coo.row].T * coo.data[None, :]
        Ppi = np.bincount(
            ((np.arange(nt) * Bk * Bk)[:, None] + flat[None, :]).ravel(), weights=w.ravel(), minlength=nt * Bk * Bk
        ).reshape(nt, Bk, Bk)
        Ppi = Ppi * office.T[:, :, None]
        A = np.eye(Bk)[None] - beta * Ppi
        Vp[lo:hi] = np.linalg.solve(A, rpi.T[:, :, None])[:, :, 0].T
    return Vp


def forward(game: Game, months: int | None = None, *, light: bool = False, start: int = 0,
            mu_start: np.ndarray | None = None) -> Forward:
    """Exact metrics month by month; ``light`` computes only the occupancy and the president's payoff (the search
    needs nothing else)."""
    if mu_start is not None:
        game.cover(start, np.asarray(mu_start.any(axis=1)))
    game.solve()
    T = game.calendar.horizon
    months = T if months is None else months
    sp = game.space
    j_state = np.concatenate([sp.components[0], [-1, -1]])
    live = np.arange(sp.n_states) < sp.n_live
    mu = game.mu0.copy() if mu_start is None else mu_start.copy()
    nu = mu.copy()  # mass with no crisis so far
    fresh = mu.copy()  # mass that has not yet advanced beyond the baseline stage
    p = game.params
    M = mu * (float(game.params["W0"]))  # arsenal functional
    reached = np.zeros((months + 1, N_J))
    war = np.zeros(months + 1)
    rc = np.zeros(months + 1)
    crisis_ever = np.zeros(months + 1)
    test_m = np.zeros(months)
    strat_m = np.zeros(months)
    status = np.zeros((months, len(STATUS)))
    ars = np.zeros(months + 1)
    relief = np.zeros(months)
    first = np.zeros(months)
    bmean = np.zeros(months + 1)
    post = posterior_mean_by_state(game)
    vP_parts: dict[str, float] = {}
    vK_parts: dict[str, float] | None = {} if wants_K(game) else None
    beta = p["beta_P"]

    def snap(t: int) -> None:
        tot = mu.sum(axis=1)
        for kk in range(N_J):
            reached[t, kk] = tot[live & (j_state >= kk)].sum()
        war[t], rc[t] = tot[sp.war], tot[sp.rc]
        crisis_ever[t] = 1 - nu.sum()
        lv = tot[live].sum()
        ars[t] = M[live].sum() / lv if lv > 0 else 0.0
        bmean[t] = float(tot[live] @ post) / lv if lv > 0 else 0.0

    pi_inf = None
    for t in range(start, months):
        snap(t)
        tt = t if t < T else None
        k = game.kernel(tt, true=True)  # what happens; North Korea's choices come from its own kernel
        if tt is None:
            pi_inf = game.policy(None) if pi_inf is None else pi_inf
            rows = np.flatnonzero(np.asarray(mu[: sp.n_live].any(axis=1))[k.row_s])
            pi = pi_inf[rows]
            Pr = k.P[rows]
        else:
            rows, pi, Pr = game.policy_rows(t)
            if game.truth is not None:
                Pr = k.P[rows]
        rs = k.row_s[rows]
        f = k.f
        ind = indicators(k)
        occ = mu[rs] * pi
        w = occ.sum(axis=1)
        test_m[t] = w @ ind["test"][rows]
        strat_m[t] = w @ ind["strategic"][rows]
        relief[t] = w @ f["rel"][rows]
        pc = f["p_crisis"][rows]
        status[t, 0] = mu[sp.war].sum()
        status[t, 1] = mu[sp.rc].sum()
        status[t, 2] = w @ pc
        rest = w * (1 - pc)
        for n, key in enumerate(("breakdown", "agreement", "unilateral", "stalled")):
            status[t, 3 + n] = rest @ ind[key][rows]
        if t < T:
            for key, val in game.flow_P(t, split=True).items():
                vP_parts[key] = vP_parts.get(key, 0.0) + beta ** (t - start) * float(w @ val[rows])
            if vK_parts is not None:
                for key, val in flow_K(k, p).items():
                    vK_parts[key] = vK_parts.get(key, 0.0) + beta ** (t - start) * float(w @ val[rows])
        adv = ind["advance"][rows]
        if not light:
            occ_fresh = fresh[rs] * pi
            first[t] = float(occ_fresh.sum(axis=1) @ adv)
        mu_next = Pr.T @ occ
        mu_next[sp.war] += mu[sp.war]
        mu_next[sp.rc] += mu[sp.rc]
        if not light:
            nu_next = k.P_nc[rows].T @ (nu[rs] * pi)
            nu_next[sp.war] += nu[sp.war]
            nu_next[sp.rc] += nu[sp.rc]
            fresh = Pr.T @ (occ_fresh * (1 - adv)[:, None])
            M = k.P_keep[rows].T @ (M[rs] * pi + (p["mu_W"] / 12) * f["prod"][rows, None] * occ)
            nu = nu_next
        mu = mu_next
        if t + 1 == T:
            vP_parts["after the horizon"] = beta ** (T - start) * float(np.sum(mu * president_stationary(game)))
            if vK_parts is not None:
                uK = sum(flow_K(game.kernel(None, true=True), p).values())
                vK_parts["after the horizon"] = beta ** (T - start) * float(
                    np.sum(mu * president_stationary(game, np.asarray(uK), always=True)))
    snap(months)
    assert game.V is not None
    return Forward(
        months=months,
        reached=reached,
        war=war,
        regime_change=rc,
        crisis_ever=crisis_ever,
        test_month=test_m,
        strategic_month=strat_m,
        status=status,
        arsenal_mean=ars,
        relief_mean=relief,
        value_P=float(sum(vP_parts.values())),
        value_P_parts=vP_parts,
        value_N=game.V[0, game.s0],
        mu_last=mu,
        first_step=first,
        belief_mean=bmean,
        value_K=None if vK_parts is None else float(sum(vK_parts.values())),
        value_K_parts=vK_parts or {},
    )


__all__ = ["CVID_DONE", "CVID_STARTED", "STATUS", "Forward", "forward", "president_stationary"]


def state_at(game: Game, t: int) -> np.ndarray:
    """The exact distribution over (state, type) at the start of month t, conditioned on no absorption."""
    game.solve()
    mu = game.mu0.copy()
    sp = game.space
    for u in range(t):
        k = game.kernel(u, true=True)
        nxt = k.P.T @ (mu[k.row_s] * game.policy(u))
        nxt[sp.war] = 0.0
        nxt[sp.rc] = 0.0
        mu = nxt
    return mu / mu.sum()
