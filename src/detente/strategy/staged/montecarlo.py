"""Monte Carlo paths drawn from the same kernel rows as the dynamic programme and the forward equation.

Needed only for path metrics: arsenal quantiles (initial arsenal and production rate drawn per path), event
sequences and test days. Each month: North Korea's action by inverse CDF from π_t(· | θ, s), then the successor by
inverse CDF on the kernel's sparse row. Paths run in blocks, so memory stays flat in the number of paths; block b of
rule r uses ``numpy.random.SeedSequence(seed, spawn_key=(r, b))``, so results do not depend on how blocks are
scheduled.

Under :func:`detente.execution.device.use` (``--device``, ``device=``) the paths run on that array namespace
(:mod:`.montecarlo_xp`) from the same random streams.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from detente.execution.blocks import Blocks, block_seed
from detente.execution.device import current as current_device
from detente.execution.runner import progress
from detente.execution.runner import step as progress_step
from detente.strategy.staged.game import Game
from detente.strategy.staged.kernel import Kernel
from detente.strategy.staged.priors import BY_NAME
from detente.strategy.staged.space import ACTIONS, CVID_DONE

BLOCK = 100_000


@dataclass
class Paths:
    n: int
    months: int
    occupancy: np.ndarray  # (months+1, n_states) counts of paths by state at the start of each month
    test_days: np.ndarray  # (months,) mean test days per month
    arsenal_final: np.ndarray  # (n,) float32 arsenal at the end
    arsenal_q: np.ndarray  # (months+1, 3) 10/50/90 % (from the first block)
    value_N: np.ndarray  # (n_types,) sum of realised discounted payoffs by type
    value_N2: np.ndarray
    type_count: np.ndarray
    transitions: np.ndarray | None = None  # (rows, n_states) counts over ``record_months`` (tests only)


def _sampler(k: Kernel) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    P = k.P
    indptr, idx, data = P.indptr, P.indices, P.data
    row_of = np.repeat(np.arange(P.shape[0]), np.diff(indptr))
    cum = np.cumsum(data)
    start_cum = np.concatenate([[0.0], cum])[indptr[:-1]]
    within = cum - start_cum[row_of]
    total = np.add.reduceat(data, indptr[:-1]) if data.size else np.zeros(0)
    return indptr, idx, row_of + within / total[row_of], total


def _first_above(keys: np.ndarray, q: np.ndarray, lo: np.ndarray, hi: np.ndarray, span: int) -> np.ndarray:
    """For each query, the first index i in [lo, hi] with keys[i] > q (hi when there is none): a binary search
    bounded to each query's own group of at most ``span`` sorted keys, array-wise over the queries."""
    lo, hi = lo.copy(), hi.copy()
    for _ in range(max(1, int(span).bit_length())):
        mid = (lo + hi) >> 1
        right = keys[mid] <= q
        lo = np.where(right, mid + 1, lo)
        hi = np.where(right, hi, mid)
    return np.minimum(lo, hi)


def _action_keys(k: Kernel, pi: np.ndarray, n_live: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted keys for inverse-CDF sampling of actions: for type θ and row r of state s, θ·(n_live + 1) + s + the
    cumulative probability of the rows of s up to r; plus the first and last row of every state."""
    rs = k.row_s
    n_rows, nt = pi.shape
    csum = np.cumsum(pi, axis=0)
    firsts = np.searchsorted(rs, np.arange(n_live))
    lasts = np.searchsorted(rs, np.arange(n_live), side="right") - 1
    base = np.vstack([np.zeros((1, nt)), csum])[firsts]  # cumulative mass before each state's rows
    cum = csum - base[rs]
    key = (rs[:, None] + np.minimum(cum, 1.0)).T + (np.arange(nt) * (n_live + 1))[:, None]
    return key.ravel(), firsts, lasts


def simulate(
    game: Game, n: int, seed: int, *, rule_id: int = 0, months: int | None = None, record_months: tuple[int, int] | None = None
) -> Paths:
    backend = current_device()
    if backend is not None:
        from detente.strategy.staged.montecarlo_xp import simulate_on

        return simulate_on(backend, game, n, seed, rule_id=rule_id, months=months, record_months=record_months)
    game.solve()
    T = game.calendar.horizon
    months = T if months is None else months
    sp = game.space
    nt = game.types.n
    occ = np.zeros((months + 1, sp.n_states))
    tdays = np.zeros(months)
    vsum = np.zeros(nt)
    vsum2 = np.zeros(nt)
    tcount = np.zeros(nt)
    finals = []
    q_first = np.zeros((months + 1, 3))
    trans = None
    pol = {t: game.policy(t if t < T else None) for t in range(min(months, T))}
    if months > T:
        pi_inf = game.policy(None)
    samplers: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
    actions: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    u_rows = {t: game.flow_N(t if t < T else None) for t in range(min(months, T))}
    if months > T:
        u_inf = game.flow_N(None)
    delta, sig = game.params["delta_N"], game.sigma
    lam_d = game.params["lambda_d"]
    wd = BY_NAME["W0"].dist
    mud = BY_NAME["mu_W"].dist
    blocks = Blocks(n, BLOCK)
    with progress(None, blocks.count, "Monte Carlo") as advance:
        for b in range(blocks.count):
            m = blocks.length(b)
            rng = np.random.default_rng(block_seed(seed, b).spawn(rule_id + 1)[rule_id])
            theta = rng.integers(0, nt, size=m)
            s = np.full(m, game.s0)
            W = wd.ppf(rng.random(m))
            muW = mud.ppf(rng.random(m))
            disc = np.ones(m)
            val = np.zeros(m)
            wq = np.zeros((months + 1, 3))
            wq[0] = np.quantile(W, [0.1, 0.5, 0.9])
            occ[0] += np.bincount(s, minlength=sp.n_states)
            for t in range(months):
                progress_step(t, months)
                tt = t if t < T else None
                k = game.kernel(tt, true=True)  # events as they really unfold (misperception: the true rate)
                key = t if t < T else -1
                if key not in samplers:
                    samplers[key] = _sampler(k)
                    actions[key] = _action_keys(k, pol[t] if t < T else pi_inf, sp.n_live)
                n_rows = k.row_s.size
                indptr, idx, ckey, _ = samplers[key]
                max_nnz = int(np.max(np.diff(indptr)))
                akey, firsts, lasts = actions[key]
                pi = pol[t] if t < T else pi_inf
                u = u_rows[t] if t < T else u_inf
                alive = s < sp.n_live
                sa, ta = s[alive], theta[alive]
                # North Korea's action by inverse CDF: one search in the sorted keys (type, state, cumulative π)
                q = ta * (sp.n_live + 1) + sa + rng.random(sa.size)
                off = ta * n_rows
                rows = _first_above(akey, q, off + firsts[sa], off + lasts[sa], ACTIONS.width) - off
                # realised payoff: expected flow of the row minus σ log(π/w) (the expected shock of the choice)
                val[alive] += disc[alive] * (u[rows, ta] - sig * (np.log(pi[rows, ta]) - k.f["logw"][rows]))
                disc[alive] *= delta
                # successor by inverse CDF on the kernel row
                us = rng.random(sa.size)
                pos = _first_above(ckey, rows + us, indptr[rows], indptr[rows + 1] - 1, max_nnz)
                nxt = idx[pos]
                if record_months is not None and record_months[0] <= t < record_months[1]:
                    assert k is game.kernel(record_months[0], true=True), "recorded months must share one kernel"
                    if trans is None:
                        trans = np.zeros((k.row_s.size, sp.n_states))
                    np.add.at(trans, (rows, nxt), 1.0)
                f = k.f
                test = f["y"][rows] >= 1
                n_test = int(np.count_nonzero(test))  # 1 + Poisson(λ_d) days each: a sum of Poissons is Poisson
                tdays[t] += n_test + float(rng.poisson(lam_d * n_test))
                Wa = W[alive] + muW[alive] / 12 * f["prod"][rows]
                j_now = f["j"][rows]
                reset = (
                    (nxt < sp.n_live)
                    & (j_now < CVID_DONE)
                    & (sp.components[0][np.minimum(nxt, sp.n_live - 1)] == CVID_DONE)
                )
                W[alive] = np.where(reset, 0.0, Wa)
                s = s.copy()
                s[alive] = nxt
                occ[t + 1] += np.bincount(s, minlength=sp.n_states)
                live_now = s < sp.n_live
                if live_now.any():
                    wq[t + 1] = np.quantile(W[live_now], [0.1, 0.5, 0.9])
            if months >= T:  # stationary continuation value closes the realised payoff
                assert game.V is not None
                live_now = s < sp.n_live
                val[live_now] += disc[live_now] * game.V[T][s[live_now], theta[live_now]] if months == T else 0.0
            np.add.at(vsum, theta, val)
            np.add.at(vsum2, theta, val**2)
            tcount += np.bincount(theta, minlength=nt)
            finals.append(W.astype(np.float32))
            if b == 0:
                q_first = wq
            advance()
    return Paths(
        n=n,
        months=months,
        occupancy=occ,
        test_days=tdays / n,
        arsenal_final=np.concatenate(finals),
        arsenal_q=q_first,
        value_N=vsum,
        value_N2=vsum2,
        type_count=tcount,
        transitions=trans,
    )
