"""The vectorised Monte Carlo (docs/strategy.md): paths of the US-North Korea game under one US policy.

For each of B parameter points, N paths draw North Korea's type (pi_S), US reliability (rho0), the initial arsenal
W_0 ~ Normal(W0_mean, W0_sd) truncated at 0, and a production rate ~ U(prod_lo, prod_hi) per year. Then a Python loop
over months; everything inside is array-wise over the (B, N) paths:

1. N moves by its DP table (:mod:`detente.strategy.dp`) for its type, the month, its stage and whether the US offers
   the chance move; an unreliable US reneges on an exchange with probability phi (the deal collapses). The US's
   belief mu_t that N is a security-seeker is updated by Bayes' rule with the two types' tables as likelihoods
   (monitoring noise eps flips the observation); a South Korean report enters as an extra signal (``sfs-trust-rok``);
   the trust switch reverts to all-or-nothing below Kydd's threshold.
2. Covert production by the hold-out type at freeze stages (0.5 g), detected with probability d -> snap-back, mu -> 0.
   Monitoring noise: a false "violation" (probability eps) suspends relief until forgiven (probability g per month).
3. Election at t_E: turnover with probability 1 - q; a successor honours existing relief with probability eta.
4. Arsenal: W_{t+1} = max(0, W_t + g 1[k < 2 or collapsed] + covert - dismantle 1[k = K]).
5. Tension: E_{t+1} = lam E_t + alpha tests + beta threats + gamma (betrayals + snap-backs) - zeta steps; tests at
   type-dependent rates when talks stall; US threats at rate ``threat * rhetoric`` (x the missile-defence pressure).
6. Crisis with probability logistic(a0 + a1 E_t); war given crisis by Fearon's risk-return formula
   max(0, (c_bar - c_U')/(2 c_bar)) with c_U' = c_U (1 - e_BMD); an unreliable US strikes with hazard h D_k.
7. Record deal levels, arsenal, tension, crisis/war flags and a Rivera et al. (2024) escalation score per month
   (weights: de-escalation -2, posturing 4, non-violent escalation 12, violent escalation 28, war 60).

Same seed and inputs give byte-identical output: all randomness comes from one ``numpy.random.Generator``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from detente.execution.runner import step as progress_step
from detente.strategy.closed_forms import fearon_war_probability, kydd_trust_threshold, logistic
from detente.strategy.dp import DPSolution, best_response
from detente.strategy.params import ParamBatch
from detente.strategy.policies import AllOrNothing, Policy, get_policy

# Rivera et al. (2024) escalation-score weights for the engine's monthly actions
ES_WEIGHTS = {"step": -2.0, "test": 4.0, "threat": 4.0, "snapback": 12.0, "crisis": 28.0, "war": 60.0}

# event bits recorded per path and month (used by the historical replay)
EV_TALKS, EV_STEP, EV_TEST, EV_THREAT, EV_BREAKDOWN, EV_CRISIS = 1, 2, 4, 8, 16, 32
EVENT_NAMES = {
    EV_TALKS: "talks",
    EV_STEP: "step",
    EV_TEST: "test",
    EV_THREAT: "threat",
    EV_BREAKDOWN: "breakdown",
    EV_CRISIS: "crisis",
}


@dataclass
class PathSummary:
    """Per-point aggregates of one policy's simulation (arrays lead with the batch axis B)."""

    policy: str
    n_paths: int
    p_level: np.ndarray  # (B, T, K): P(stage >= l reached through an honoured exchange by the end of month t), l=1..K
    W_mean: np.ndarray  # (B, T+1)
    W_q: np.ndarray  # (B, T+1, 3): 10/50/90% quantiles
    E_mean: np.ndarray  # (B, T)
    ES_mean: np.ndarray  # (B, T)
    p_crisis_t: np.ndarray  # (B, T): P(crisis in month t)
    # per-path outcomes, aggregated by group later
    final: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (B, N)
    is_G: np.ndarray | None = None
    reliable: np.ndarray | None = None
    events: np.ndarray | None = None  # (T, B, N) uint8 bits, only when requested
    E_paths: np.ndarray | None = None  # (T, B, N) tension, only when requested


def _truncnorm(rng: np.random.Generator, mean: np.ndarray, sd: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Normal(mean, sd) truncated at 0 by resampling the (rare) negative draws."""
    x = mean + sd * rng.standard_normal(shape)
    for _ in range(20):
        bad = x < 0
        if not bad.any():
            break
        x = np.where(bad, mean + sd * rng.standard_normal(shape), x)
    return np.maximum(x, 0.0)


def simulate(
    pb: ParamBatch,
    policy: Policy | str,
    n_paths: int,
    seed: int | None = 0,
    *,
    record_events: bool = False,
    observed_tests: np.ndarray | None = None,
    dp: DPSolution | None = None,
) -> PathSummary:
    """Simulate ``n_paths`` paths at each of the B points of ``pb`` under ``policy``.

    ``observed_tests`` (T,) replaces the simulated tests by an observed monthly series (replay / claim f).
    """
    pol = get_policy(policy)
    rng = np.random.default_rng(seed)
    B, N, T, K, tE = pb.B, int(n_paths), pb.T, pb.K, pb.t_E
    sol = dp if dp is not None else best_response(pb, pol)
    mod = sol.model
    tables = [sol.target]
    if pol.trust_switch:
        tables.append(best_response(pb, AllOrNothing()).target)
    tbl = np.stack(tables)  # (regimes, 2, 2, B, T, K+1)
    n_reg = tbl.shape[0]
    # flat index: ((((reg*2 + theta)*2 + case)*B + b)*T + t)*(K+1) + k
    flat = tbl.reshape(-1)
    sK1, sT, sB, sC, sTh = K + 1, T * (K + 1), B * T * (K + 1), 2 * B * T * (K + 1), 4 * B * T * (K + 1)
    b_off = (np.arange(B) * sT)[:, None]
    relief_tbl = [mod.relief]
    if pol.trust_switch:
        relief_tbl.append(AllOrNothing().relief(pb))
    relief_tbl_a = np.stack(relief_tbl)  # (regimes, B, K+1)
    # the chance move's availability per (b, t, k)
    ft = np.where(mod.frac_target >= 0, mod.frac_target, 0)
    p_avail = np.where(mod.frac_target[None, None, :] >= 0, mod.avail[:, :, np.arange(K + 1), ft], 0.0)  # (B,T,K+1)
    has_frac = bool((mod.frac_target >= 0).any())
    f32 = np.float32
    hD = (pb.h[:, None] * pb.D).astype(f32)  # (B, K+1) strike hazard by stage

    def col(name: str) -> np.ndarray:  # a parameter as a float32 (B, 1) column: path state is float32
        return pb.col(name).astype(f32)

    is_G = rng.random((B, N)) >= pb.col("pi_S")
    reliable = rng.random((B, N)) < pb.col("rho0")
    W = _truncnorm(rng, pb.col("W0_mean"), pb.col("W0_sd"), (B, N)).astype(f32)
    prod = ((pb.col("prod_lo") + (pb.col("prod_hi") - pb.col("prod_lo")) * rng.random((B, N))) / 12.0).astype(f32)
    k = np.zeros((B, N), np.int64)
    kmax = np.zeros((B, N), np.int64)
    regime = np.zeros((B, N), np.int64)
    broken = np.zeros((B, N), bool)
    snapped = np.zeros((B, N), bool)
    dead = np.zeros((B, N), bool)
    war = np.zeros((B, N), bool)
    strike = np.zeros((B, N), bool)
    crisis_ever = np.zeros((B, N), bool)
    first_step = np.full((B, N), np.nan, np.float32)  # month of N's first honoured exchange
    mu = np.broadcast_to(col("pi_S"), (B, N)).copy()
    E = np.broadcast_to(col("E0"), (B, N)).copy()
    theta = is_G.astype(np.int64)

    e_bmd = pol.e_bmd(pb)[:, None].astype(f32)
    p_war_crisis = fearon_war_probability(col("c_bar"), col("c_U") * (1.0 - e_bmd))
    kydd = kydd_trust_threshold(col("kydd_c"), col("kydd_t"))
    threat_p = np.minimum(1.0, col("threat") * col("rhetoric") * pol.threat_multiplier(pb)[:, None].astype(f32))
    test_p = np.where(is_G, col("test_G"), col("test_S"))
    eps, g, d, phi = col("eps"), col("g"), col("d"), col("phi")
    lam, alpha, beta, gamma, zeta = col("lam"), col("alpha"), col("beta"), col("gamma"), col("zeta")
    a0, a1 = col("a0"), col("a1")
    q, eta, dismantle = col("q"), col("eta"), col("dismantle")
    tau, bias = col("tau_rok"), col("rok_bias")

    p_level = np.zeros((B, T, K))
    W_mean = np.zeros((B, T + 1))
    W_q = np.zeros((B, T + 1, 3))
    E_mean = np.zeros((B, T))
    ES_mean = np.zeros((B, T))
    p_crisis_t = np.zeros((B, T))
    events = np.zeros((T, B, N), np.uint8) if record_events else None
    E_paths = np.zeros((T, B, N), np.float32) if record_events else None
    W_mean[:, 0] = W.mean(axis=1)
    W_q[:, 0] = np.quantile(W, [0.1, 0.5, 0.9], axis=1).T
    snap_E: dict[str, np.ndarray] = {}
    bidx = np.arange(B)[:, None]

    # uniform draws per month: only the rows this policy needs (the election draws come separately at t_E)
    names = ["renege", "detect", "snap", "strike", "test", "threat", "crisis", "war"]
    names += ["avail"] if has_frac else []
    names += ["obs"] if pol.trust_switch else []
    names += ["rok"] if pol.rok_signal else []
    rows = {n: i for i, n in enumerate(names)}

    for t in range(T):
        progress_step(t, T)
        U = rng.random((len(rows), B, N), dtype=np.float32)
        U0, U1, U2 = (U[rows[n]] if n in rows else None for n in ("avail", "obs", "rok"))
        U3, U4, U5, U8, U9, U10, U11, U12 = (
            U[rows[n]] for n in ("renege", "detect", "snap", "strike", "test", "threat", "crisis", "war")
        )
        active = ~dead & ~broken
        # 1. N's move --------------------------------------------------------------------------------------------
        base = b_off + t * sK1 + k
        if U0 is not None:
            base = base + (U0 < p_avail[bidx, t, k]) * sB
        if n_reg > 1:
            base = base + regime * sTh
        tgt = flat[base + theta * sC]
        adv = active & (tgt != k)
        if U1 is not None:
            # US belief update from the observed move (noise eps flips it); only the trust switch acts on mu
            adv_S = flat[base] != k
            adv_G = flat[base + sC] != k
            obs = adv ^ (U1 < eps)
            lik_S = np.where(obs == adv_S, 1.0 - eps, eps)
            lik_G = np.where(obs == adv_G, 1.0 - eps, eps)
            if U2 is not None:
                p_says_S_S = (1.0 + tau) / 2.0
                p_says_S_G = np.minimum(1.0, (1.0 - tau) / 2.0 + bias)
                says_S = U2 < np.where(is_G, p_says_S_G, p_says_S_S)
                lik_S = lik_S * np.where(says_S, p_says_S_S, 1.0 - p_says_S_S)
                lik_G = lik_G * np.where(says_S, p_says_S_G, 1.0 - p_says_S_G)
            num = mu * lik_S
            den = num + (1.0 - mu) * lik_G
            mu = np.where(active & (den > 0), num / np.where(den > 0, den, 1.0), mu)
        reneged = adv & ~reliable & (U3 < phi)
        honoured = adv & ~reneged
        k = np.where(adv, tgt, k)
        kmax = np.where(honoured, np.maximum(kmax, k), kmax)
        first_step = np.where(honoured & np.isnan(first_step), f32(t), first_step)
        broken |= reneged
        betray = reneged.astype(f32)
        if pol.trust_switch:
            regime = np.where(active & (mu < kydd) & (k < K), n_reg - 1, regime)
        # 2. covert production, detection, noisy snap-back --------------------------------------------------------
        ok = ~dead & ~broken
        cheat = ok & is_G & (k >= 2) & (k < K)
        detected = cheat & (U4 < d)
        broken |= detected
        mu = np.where(detected, 0.0, mu)
        betray += detected
        rel = relief_tbl_a[regime, bidx, k]
        has_relief = ~dead & ~broken & (rel > 0)
        new_snap = has_relief & ~snapped & (U5 < eps)
        forgive = snapped & (U5 < g)
        snapped = np.where(new_snap, True, np.where(forgive, False, snapped)) & ~broken
        betray += new_snap
        # 3. election ----------------------------------------------------------------------------------------------
        if t == tE:
            snap_E = {"kmax": kmax.copy(), "W": W.copy(), "k": k.copy(), "broken": broken.copy()}
            UE = rng.random((2, B, N), dtype=np.float32)
            repudiate = has_relief & ~broken & (UE[0] >= q) & (UE[1] >= eta)
            broken |= repudiate
            betray += repudiate
        # strike by an unreliable US on a weakened N
        hit = ~dead & ~reliable & (U8 < hD[bidx, k])
        strike |= hit
        dead |= hit
        # 4. arsenal -----------------------------------------------------------------------------------------------
        producing = (k < 2) | broken
        dW = prod * (producing + f32(0.5) * (cheat & ~detected)) - dismantle * ((k == K) & ~broken)
        W = np.maximum(W + dW * ~dead, f32(0.0))
        # 5. tension -----------------------------------------------------------------------------------------------
        stalled = ~dead & ((~adv & (k < K)) | broken | snapped)
        if observed_tests is not None:
            tests = np.broadcast_to(observed_tests[t] > 0, (B, N)) & ~dead
            n_tests = (~dead * float(observed_tests[t])).astype(f32)
        else:
            tests = stalled & (U9 < test_p)
            n_tests = tests.astype(f32)
        threats = stalled & (U10 < threat_p)
        E = lam * E + alpha * n_tests + beta * threats + gamma * betray - zeta * honoured
        # 6. crisis and war ----------------------------------------------------------------------------------------
        pc = logistic(a0 + a1 * E)
        crisis = ~dead & (U11 < pc)
        crisis_ever |= crisis
        to_war = crisis & (U12 < p_war_crisis)
        war |= to_war
        dead |= to_war
        # 7. record ------------------------------------------------------------------------------------------------
        cnt = np.stack([np.count_nonzero(kmax == lv, axis=1) for lv in range(K + 1)], axis=1)  # (B, K+1)
        p_level[:, t] = np.cumsum(cnt[:, ::-1], axis=1)[:, ::-1][:, 1:] / N
        W_mean[:, t + 1] = W.mean(axis=1)
        W_q[:, t + 1] = np.quantile(W, [0.1, 0.5, 0.9], axis=1).T
        E_mean[:, t] = E.mean(axis=1)
        p_crisis_t[:, t] = crisis.mean(axis=1)
        es = (
            ES_WEIGHTS["step"] * honoured
            + ES_WEIGHTS["test"] * n_tests
            + ES_WEIGHTS["threat"] * threats
            + ES_WEIGHTS["snapback"] * (betray > 0)
            + ES_WEIGHTS["crisis"] * crisis
            + ES_WEIGHTS["war"] * to_war
        )
        ES_mean[:, t] = es.mean(axis=1)
        if events is not None and E_paths is not None:
            ev = (
                EV_TALKS * adv
                + EV_STEP * honoured
                + EV_TEST * tests
                + EV_THREAT * threats
                + EV_BREAKDOWN * (betray > 0)
                + EV_CRISIS * crisis
            )
            events[t] = ev.astype(np.uint8)
            E_paths[t] = E
    if not snap_E:  # election after the horizon: measure at the end
        snap_E = {"kmax": kmax, "W": W, "k": k, "broken": broken}
    final = {
        "full_by_E": snap_E["kmax"] >= K,
        "partial_by_E": snap_E["kmax"] >= 2,
        "small_by_E": snap_E["kmax"] >= pb.small_stage,
        "W_E": snap_E["W"],
        "crisis": crisis_ever,
        "war_or_regime_change": war | strike,
        "full_end": kmax >= K,
        "W_end": W,
        "first_step": first_step,
    }
    return PathSummary(
        policy=pol.name,
        n_paths=N,
        p_level=p_level,
        W_mean=W_mean,
        W_q=W_q,
        E_mean=E_mean,
        ES_mean=ES_mean,
        p_crisis_t=p_crisis_t,
        final=final,
        is_G=is_G,
        reliable=reliable,
        events=events,
        E_paths=E_paths,
    )


def group_means(ps: PathSummary) -> dict[str, dict[str, Any]]:
    """Every final outcome broken down by N's type and US reliability: {group: {outcome: (B,) mean}}."""
    assert ps.is_G is not None and ps.reliable is not None
    groups = {
        "all": np.ones_like(ps.is_G),
        "type S": ~ps.is_G,
        "type G": ps.is_G,
        "US reliable": ps.reliable,
        "US unreliable": ~ps.reliable,
    }
    out: dict[str, dict[str, Any]] = {}
    for gname, m in groups.items():
        n = m.sum(axis=1)
        row: dict[str, Any] = {"n": n}
        for name, arr in ps.final.items():
            if name == "first_step":
                ok = m & ~np.isnan(arr)
                cnt = ok.sum(axis=1)
                row[name] = np.where(cnt > 0, np.where(ok, arr, 0).sum(axis=1) / np.maximum(cnt, 1), np.nan)
                continue
            tot = np.where(m, arr, 0).sum(axis=1)
            row[name] = np.where(n > 0, tot / np.maximum(n, 1), np.nan)
        out[gname] = row
    return out
