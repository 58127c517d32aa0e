"""The staged game's Monte Carlo (:func:`detente.strategy.staged.montecarlo.simulate`) on an array API namespace
(``--device cuda``: CuPy or PyTorch; array-api-strict in the tests).

The array API standard has no random number generation, so the random streams stay on the host exactly as in the
numpy code: block b of rule r draws from the same ``numpy.random.Generator`` in the same order (types, initial
arsenals and production rates by scipy's inverse CDF, then each month the action and successor uniforms of the paths
still alive, then the Poisson test days), and the uniforms are copied to the device month by month. Everything per
path runs in the namespace: the inverse-CDF choice of the action and of the successor (a binary search bounded to
each path's own keys, :func:`detente.strategy.staged.montecarlo._first_above`), the payoff, the arsenal, the state
update, the counts of states and tests and the sums by type.

A month's uniforms are drawn for the paths alive at its start and its test days need the number of tests, so the
host reads two counts back each month (the draws cannot be made ahead for many months without changing the streams).
With the same uniforms and the same element-wise arithmetic the paths take the same actions and successors as on
numpy; what differs is the order of the sums of realised payoffs by type (numpy adds path by path, here a masked sum
per type), so ``value_N`` and ``value_N2`` agree to rounding (relative 1e-12), and on a GPU ``log`` may differ in
the last bit (docs/strategy.md states the tolerances).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from detente.execution.blocks import Blocks, block_seed
from detente.execution.device import Backend
from detente.execution.runner import progress
from detente.execution.runner import step as progress_step
from detente.strategy.staged import montecarlo as mc
from detente.strategy.staged.game import Game
from detente.strategy.staged.montecarlo import Paths, _action_keys, _sampler
from detente.strategy.staged.priors import BY_NAME
from detente.strategy.staged.space import ACTIONS, CVID_DONE

QUANTILES = (0.1, 0.5, 0.9)


def first_above(xp: Any, keys: Any, q: Any, lo: Any, hi: Any, span: int) -> Any:
    """:func:`detente.strategy.staged.montecarlo._first_above` in the namespace ``xp``."""
    for _ in range(max(1, int(span).bit_length())):
        mid = (lo + hi) >> 1
        right = xp.take(keys, mid) <= q
        lo = xp.where(right, mid + 1, lo)
        hi = xp.where(right, hi, mid)
    return xp.minimum(lo, hi)


def _counts(xp: Any, values: Any, n_bins: int) -> Any:
    """``numpy.bincount(values, minlength=n_bins)`` of non-negative integers below ``n_bins`` (exact)."""
    bins = xp.arange(n_bins + 1, dtype=values.dtype, device=values.device)
    edges = xp.searchsorted(xp.sort(values), bins, side="left")
    return edges[1:] - edges[:-1]


def _quantiles(backend: Backend, W: Any, live: Any, n_live: int) -> np.ndarray:
    """``numpy.quantile(W[live], (0.1, 0.5, 0.9))`` (numpy's linear method): the order statistics are found on the
    device, the interpolation is numpy's on the host, so the result is the same number."""
    xp = backend.xp
    srt = xp.sort(xp.where(live, W, xp.asarray(xp.inf, dtype=W.dtype, device=W.device)))
    vi = (n_live - 1) * np.asarray(QUANTILES)
    lo = np.floor(vi).astype(np.int64)
    hi = np.minimum(lo + 1, n_live - 1)
    ab = backend.to_numpy(xp.take(srt, backend.asarray(np.concatenate([lo, hi]))))
    a, b = ab[:3], ab[3:]
    t = vi - lo
    diff = b - a
    return np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)


def simulate_on(
    backend: Backend,
    game: Game,
    n: int,
    seed: int,
    *,
    rule_id: int = 0,
    months: int | None = None,
    record_months: tuple[int, int] | None = None,
    clock: dict[str, float] | None = None,
) -> Paths:
    """:func:`detente.strategy.staged.montecarlo.simulate` with the paths on ``backend``: the same random streams,
    the same paths (see the module's note on the sums by type). ``clock`` (benchmarks) gets the seconds spent
    drawing on the host and copying the draws to the device, under ``"host draws"``."""
    xp, put, get = backend.xp, backend.asarray, backend.to_numpy
    f64, i64 = xp.float64, xp.int64
    game.solve()
    T = game.calendar.horizon
    months = T if months is None else months
    sp = game.space
    nt = game.types.n
    n_live, n_states = sp.n_live, sp.n_states
    occ = np.zeros((months + 1, n_states))
    tdays = np.zeros(months)
    vsum = np.zeros(nt)
    vsum2 = np.zeros(nt)
    tcount = np.zeros(nt)
    finals = []
    q_first = np.zeros((months + 1, 3))
    trans = None
    delta, sig = game.params["delta_N"], game.sigma
    lam_d = game.params["lambda_d"]
    wd = BY_NAME["W0"].dist
    mud = BY_NAME["mu_W"].dist
    # arrays made here live where the draws do (PyTorch does not mix CPU and GPU arrays)
    cvid_next = put(np.asarray(sp.components[0], dtype=np.int64))
    types = put(np.arange(nt, dtype=np.int64).reshape(nt, 1))
    zero, half, one = (put(np.asarray(v, dtype=np.float64)) for v in (0.0, 0.5, 1.0))
    zero_i, last_live = (put(np.asarray(v, dtype=np.int64)) for v in (0, n_live - 1))
    months_of: dict[int, dict[str, Any]] = {}  # the kernel's arrays on the device, by month (-1: stationary)

    def month(t: int) -> tuple[Any, dict[str, Any]]:
        tt = t if t < T else None
        k = game.kernel(tt, true=True)
        key = t if t < T else -1
        if key not in months_of:
            pi = game.policy(tt)
            u = game.flow_N(tt)
            indptr, idx, ckey, _ = _sampler(k)
            akey, firsts, lasts = _action_keys(k, pi, n_live)
            months_of[key] = {
                "n_rows": k.row_s.size,
                "max_nnz": int(np.max(np.diff(indptr))),
                "indptr": put(np.asarray(indptr, dtype=np.int64)),
                "idx": put(np.asarray(idx, dtype=np.int64)),
                "ckey": put(ckey),
                "akey": put(akey),
                "firsts": put(np.asarray(firsts, dtype=np.int64)),
                "lasts": put(np.asarray(lasts, dtype=np.int64)),
                "u": put(np.ascontiguousarray(u, dtype=np.float64).ravel()),
                "pi": put(np.ascontiguousarray(pi, dtype=np.float64).ravel()),
                **{name: put(np.asarray(k.f[name], dtype=np.float64)) for name in ("logw", "y", "prod", "j")},
            }
        return k, months_of[key]

    host = 0.0
    blocks = Blocks(n, mc.BLOCK)
    with progress(None, blocks.count, "Monte Carlo") as advance:
        for b in range(blocks.count):
            m = blocks.length(b)
            t0 = time.perf_counter()
            rng = np.random.default_rng(block_seed(seed, b).spawn(rule_id + 1)[rule_id])
            theta_h = rng.integers(0, nt, size=m)
            theta = put(np.asarray(theta_h, dtype=np.int64))
            s = put(np.full(m, game.s0, dtype=np.int64))
            W = put(np.asarray(wd.ppf(rng.random(m)), dtype=np.float64))
            muW = put(np.asarray(mud.ppf(rng.random(m)), dtype=np.float64))
            host += time.perf_counter() - t0
            disc = put(np.ones(m))
            val = put(np.zeros(m))
            wq = np.zeros((months + 1, 3))
            wq[0] = np.quantile(get(W), QUANTILES)
            occ[0] += get(_counts(xp, s, n_states))
            alive = s < n_live
            n_alive = int(xp.sum(xp.astype(alive, i64)))
            for t in range(months):
                progress_step(t, months)
                k, d = month(t)
                n_rows = d["n_rows"]
                # the alive paths' uniforms as numpy draws them (actions, then successors), each on its path
                t0 = time.perf_counter()
                draws, us_h = put(rng.random(n_alive)), put(rng.random(n_alive))
                host += time.perf_counter() - t0
                at = xp.maximum(xp.cumulative_sum(xp.astype(alive, i64)) - 1, zero_i)
                if n_alive:
                    uq = xp.where(alive, xp.take(draws, at), half)
                    us = xp.where(alive, xp.take(us_h, at), half)
                else:
                    uq = us = xp.full((m,), 0.5, dtype=f64, device=s.device)
                sa = xp.where(alive, s, last_live)  # dead paths: any live state, masked below
                # North Korea's action by inverse CDF: one search in the sorted keys (type, state, cumulative π)
                q = xp.astype(theta * (n_live + 1) + sa, f64) + uq
                off = theta * n_rows
                rows = (
                    first_above(
                        xp, d["akey"], q, off + xp.take(d["firsts"], sa), off + xp.take(d["lasts"], sa), ACTIONS.width
                    )
                    - off
                )
                # realised payoff: expected flow of the row minus σ log(π/w) (the expected shock of the choice)
                cell = rows * nt + theta
                p = xp.where(alive, xp.take(d["pi"], cell), one)
                gain = disc * (xp.take(d["u"], cell) - sig * (xp.log(p) - xp.take(d["logw"], rows)))
                val = xp.where(alive, val + gain, val)
                disc = xp.where(alive, disc * delta, disc)
                # successor by inverse CDF on the kernel row
                pos = first_above(
                    xp,
                    d["ckey"],
                    xp.astype(rows, f64) + us,
                    xp.take(d["indptr"], rows),
                    xp.take(d["indptr"], rows + 1) - 1,
                    d["max_nnz"],
                )
                nxt = xp.take(d["idx"], pos)
                if record_months is not None and record_months[0] <= t < record_months[1]:
                    assert k is game.kernel(record_months[0], true=True), "recorded months must share one kernel"
                    if trans is None:
                        trans = np.zeros((k.row_s.size, n_states))
                    mask = get(alive)
                    np.add.at(trans, (get(rows)[mask], get(nxt)[mask]), 1.0)
                test = alive & (xp.take(d["y"], rows) >= 1)
                n_test = int(xp.sum(xp.astype(test, i64)))  # 1 + Poisson(λ_d) days each: a sum of Poissons is Poisson
                t0 = time.perf_counter()
                tdays[t] += n_test + float(rng.poisson(lam_d * n_test))
                host += time.perf_counter() - t0
                Wa = W + muW / 12 * xp.take(d["prod"], rows)
                reset = (
                    (nxt < n_live)
                    & (xp.take(d["j"], rows) < CVID_DONE)
                    & (xp.take(cvid_next, xp.minimum(nxt, last_live)) == CVID_DONE)
                )
                W = xp.where(alive, xp.where(reset, zero, Wa), W)
                s = xp.where(alive, nxt, s)
                occ[t + 1] += get(_counts(xp, s, n_states))
                alive = s < n_live
                n_alive = int(xp.sum(xp.astype(alive, i64)))
                if n_alive and b == 0:
                    wq[t + 1] = _quantiles(backend, W, alive, n_alive)
            if months == T:  # stationary continuation value closes the realised payoff
                assert game.V is not None
                VT = put(np.ascontiguousarray(game.V[T], dtype=np.float64).ravel())
                cont = disc * xp.take(VT, xp.where(alive, s, zero_i) * nt + theta)
                val = xp.where(alive, val + cont, val)
            mine = xp.reshape(theta, (1, m)) == types  # (types, paths): the sums by type, masked
            vsum += get(xp.sum(xp.where(mine, xp.reshape(val, (1, m)), zero), axis=1))
            vsum2 += get(xp.sum(xp.where(mine, xp.reshape(val * val, (1, m)), zero), axis=1))
            tcount += np.bincount(theta_h, minlength=nt)
            finals.append(get(W).astype(np.float32))
            if b == 0:
                q_first = wq
            advance()
    if clock is not None:
        clock["host draws"] = clock.get("host draws", 0.0) + host
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
