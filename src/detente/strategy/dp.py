"""North Korea's best response to a fixed US policy: finite-horizon dynamic programme per type (docs/strategy.md).

Backward induction over months t = T-1 .. 0 for each type theta in (S, G), batched over B parameter points
(arrays (B, K+1)). Flow utility at stage k::

    u(k, t) = -s (1 - min(1, (1-eps) m_t R_k)) + v (1 - D_k)(1 - e_BMD) - (1 - rho_j) h D_k X + 1[G, 2<=k<K] b_cheat

with m_t = 1 + kappa 1[t in pre-election window], rho_j = rho0 / (rho0 + (1-rho0)(1-phi)^j) and j = the policy's
honoured exchanges on the way to k. Bellman::

    V_t(k) = E_avail max{ u(k,t) + delta Vt_{t+1}(k),  (1-b_k)[u(k',t) + delta Vt_{t+1}(k')] + b_k VB(k') }
    b_k = (1 - rho_{j(k)}) phi,   VB(k) = [-s + v (1-D_k)(1-e_BMD) - h D_k X] / (1 - delta)

where Vt_{t+1}(k) = det_k VB(k) + (1-det_k)[x_t(k) VB(k) + (1-x_t(k)) V_{t+1}(k)], det_k = d for the hold-out type at
covert stages 2 <= k < K, and x_t(k) = (1-q)(1-eta) at t = t_E for stages with relief (turnover shock). Terminal
V_T(k) = u(k, T-1)/(1-delta). The expectation over availability covers a move the US accepts only with some
probability (the Hanoi-type small deal); the policy table records N's choice in both cases.

Sources: Powell 2006 and Fearon 1995 (power-shifting steps); Kydd 2000/2005 (beliefs about the US); Bas & Coe 2016
(covert work and detection); Simsek & Yildiz 2016, Buisseret & Bernhardt 2018 (election).

Note: VB applies the missile-defence discount (1 - e_BMD) to the arsenal value, like the flow utility (with
e_BMD = 0 a VB without the discount agrees).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from detente.strategy.closed_forms import bayes_reliability
from detente.strategy.params import ParamBatch
from detente.strategy.policies import Policy

TYPES = ("S", "G")


@dataclass
class Model:
    """The arrays of N's decision problem under one policy, batched over B points (shared by DP and simulation)."""

    flow: np.ndarray  # (2, B, T, K+1)
    VB: np.ndarray  # (2, B, K+1)
    b: np.ndarray  # (B, K+1)  reneging risk of an exchange from k
    det: np.ndarray  # (2, B, K+1)
    elec: np.ndarray  # (B, K+1) repudiation chance at t_E
    avail: np.ndarray  # (B, T, K+1, K+1)
    frac_target: np.ndarray  # (K+1,) the move with a chance in (0, 1), or -1
    relief: np.ndarray  # (B, K+1)
    delta: np.ndarray  # (B,)
    t_E: int


def build_model(pb: ParamBatch, policy: Policy) -> Model:
    K, T, B = pb.K, pb.T, pb.B
    D = pb.D  # (B, K+1)
    R = policy.relief(pb)
    j = policy.exchanges(K)
    rho = bayes_reliability(pb.rho0[:, None], pb.phi[:, None], j[None, :])  # (B, K+1)
    e = policy.e_bmd(pb)[:, None]
    t = np.arange(T)
    in_window = (t >= pb.t_E - pb.window) & (t < pb.t_E)
    m = 1.0 + pb.kappa[:, None] * in_window[None, :]  # (B, T)
    eps, s, h, X = pb.col("eps"), pb.col("s"), pb.col("h"), pb.col("X")
    sanctions = -s[:, :, None] * (1.0 - np.minimum(1.0, (1.0 - eps)[:, :, None] * m[:, :, None] * R[:, None, :]))
    fear = ((1.0 - rho) * h * D * X)[:, None, :]
    covert = ((np.arange(K + 1) >= 2) & (np.arange(K + 1) < K)).astype(float)
    flows, VBs, dets = [], [], []
    for theta in TYPES:
        v = pb.v_S if theta == "S" else pb.v_G
        arsenal = (v[:, None] * (1.0 - D) * (1.0 - e))[:, None, :]
        bonus = (pb.b_cheat[:, None] * covert[None, :])[:, None, :] if theta == "G" else 0.0
        flows.append(sanctions + arsenal - fear + bonus)
        VBs.append((-s + v[:, None] * (1.0 - D) * (1.0 - e) - h * D * X) / (1.0 - pb.delta[:, None]))
        dets.append(pb.d[:, None] * covert[None, :] if theta == "G" else np.zeros((B, K + 1)))
    avail = policy.availability(pb)
    frac: np.ndarray = np.asarray(((avail > 0) & (avail < 1)).any(axis=(0, 1)))  # (K+1, K+1)
    if (frac.sum(axis=1) > 1).any():
        raise ValueError(f"policy {policy.name}: at most one move per stage may be accepted by chance")
    frac_target = np.where(frac.any(axis=1), frac.argmax(axis=1), -1)
    elec = ((1.0 - pb.q) * (1.0 - pb.eta))[:, None] * (R > 0)
    b = (1.0 - bayes_reliability(pb.rho0[:, None], pb.phi[:, None], j[None, :])) * pb.phi[:, None]
    return Model(
        flow=np.stack(flows),
        VB=np.stack(VBs),
        b=b,
        det=np.stack(dets),
        elec=elec,
        avail=avail,
        frac_target=frac_target,
        relief=R,
        delta=pb.delta.copy(),
        t_E=pb.t_E,
    )


@dataclass
class DPSolution:
    """N's optimal policy tables and values. ``target[theta, case, b, t, k]``: the stage N moves to (k = hold);
    case 1 = the chance move is on offer this month, case 0 = it is not. ``V[theta, b, t, k]`` for t = 0..T."""

    target: np.ndarray
    V: np.ndarray
    model: Model


def continuation(mod: Model, Vnext: np.ndarray, theta: int, t: int) -> np.ndarray:
    """Vt_{t+1}(k): detection and (at t = t_E) turnover applied to V_{t+1}; shape (B, K+1)."""
    VB = mod.VB[theta]
    x = mod.elec if t == mod.t_E else 0.0
    det = mod.det[theta]
    return det * VB + (1.0 - det) * (x * VB + (1.0 - x) * Vnext)


def solve(mod: Model) -> DPSolution:
    """Backward induction for both types, all B points at once."""
    n_types, B, T, K1 = mod.flow.shape
    delta = mod.delta[:, None]
    V = np.empty((n_types, B, T + 1, K1))
    target = np.empty((n_types, 2, B, T, K1), dtype=np.int8)
    ks = np.arange(K1)
    has_frac = mod.frac_target >= 0
    ft = np.where(has_frac, mod.frac_target, 0)
    for th in range(n_types):
        V[th, :, T] = mod.flow[th, :, T - 1] / (1.0 - delta)
        for t in range(T - 1, -1, -1):
            u = mod.flow[th, :, t]  # (B, K+1)
            cont = u + delta * continuation(mod, V[th, :, t + 1], th, t)  # value of being at k' after this month
            # Q[b, k, k'] = value of moving k -> k' (k' = k: hold)
            Q = (1.0 - mod.b[:, :, None]) * cont[:, None, :] + mod.b[:, :, None] * mod.VB[th][:, None, :]
            Q[:, ks, ks] = cont
            a = mod.avail[:, t]  # (B, K+1, K+1)
            always = a >= 1.0
            always[:, ks, ks] = True
            always[:, ks[has_frac], ft[has_frac]] = False
            Q0 = np.where(always, Q, -np.inf)
            # prefer holding on ties (tiny bonus), so tables are deterministic
            Q0 = Q0 + np.eye(K1)[None] * 1e-12
            best0 = Q0.argmax(axis=2)
            v0 = np.take_along_axis(Q, best0[:, :, None], axis=2)[:, :, 0]
            q_frac = np.where(has_frac[None, :], Q[:, ks, ft], -np.inf)
            p_frac = np.where(has_frac[None, :], a[:, ks, ft], 0.0)
            take = q_frac > v0 + 1e-12
            best1 = np.where(take, ft[None, :], best0)
            v1 = np.where(take, q_frac, v0)
            V[th, :, t] = (1.0 - p_frac) * v0 + p_frac * v1
            target[th, 0, :, t] = best0
            target[th, 1, :, t] = best1
    return DPSolution(target=target, V=V, model=mod)


def best_response(pb: ParamBatch, policy: Policy) -> DPSolution:
    """N's best response to ``policy`` for every point of ``pb`` and both types."""
    return solve(build_model(pb, policy))
