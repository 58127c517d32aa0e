"""North Korea's dynamic programme (spec 15.5) against brute-force enumeration of every deterministic Markov policy
on small instances (K = 2, T = 4; and K = 3 for covert work), evaluated by forward propagation of the state
distribution — an independent computation of the same expected discounted utility."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from detente.strategy.dp import Model, best_response, build_model, solve
from detente.strategy.params import ParamBatch, StrategyParams
from detente.strategy.policies import get_policy

SMALL = dict(T=4, t_E=2, window=2, D=[0.0, 0.4, 1.0], R=[0.0, 0.5, 1.0], h=0.05, X=20.0, d=0.3, b_cheat=0.5)
POINTS = [dict(rho0=0.3), dict(rho0=0.7, q=0.2, eta=0.3), dict(rho0=0.95, v_S=0.1, v_G=0.5, kappa=1.0)]


def _batch(**extra) -> ParamBatch:
    return ParamBatch([StrategyParams(**{**SMALL, **p, **extra}) for p in POINTS])


def forward_value(mod: Model, th: int, b: int, choose) -> float:
    """Expected discounted utility from stage 0 at t = 0 of the deterministic policy ``choose(t, k, case)``."""
    _, _, T, K1 = mod.flow.shape
    dl = float(mod.delta[b])
    u, VB, bk, det = mod.flow[th, b], mod.VB[th, b], mod.b[b], mod.det[th, b]
    mass = np.zeros(K1)
    mass[0] = 1.0
    value = 0.0
    for t in range(T):
        new = np.zeros(K1)
        for k in range(K1):
            if mass[k] == 0:
                continue
            ft = mod.frac_target[k]
            pa = mod.avail[b, t, k, ft] if ft >= 0 else 0.0
            cases = [(1 - pa, 0), (pa, 1)] if 0 < pa < 1 else [(1.0, int(pa >= 1))]
            for pc, c in cases:
                m = mass[k] * pc
                if m == 0:
                    continue
                k2 = choose(t, k, c)
                if k2 == k:
                    stay = m
                else:
                    value += dl**t * m * bk[k] * VB[k2]
                    stay = m * (1 - bk[k])
                value += dl**t * stay * u[t, k2]
                value += dl ** (t + 1) * stay * det[k2] * VB[k2]
                rest = stay * (1 - det[k2])
                x = mod.elec[b, k2] if t == mod.t_E else 0.0
                value += dl ** (t + 1) * rest * x * VB[k2]
                new[k2] += rest * (1 - x)
        mass = new
    value += dl**T * float(mass @ (u[T - 1] / (1 - dl)))
    return value


def brute_force(mod: Model, th: int, b: int) -> float:
    """Max over every deterministic policy table (t, k, case) -> allowed target."""
    _, _, T, K1 = mod.flow.shape
    slots, options = [], []
    for t in range(T):
        for k in range(K1):
            ft = mod.frac_target[k]
            pa = mod.avail[b, t, k, ft] if ft >= 0 else 0.0
            for c in (0, 1) if 0 < pa < 1 else (int(pa >= 1),):
                opts = [k] + [k2 for k2 in range(K1) if k2 != k and mod.avail[b, t, k, k2] >= 1 and k2 != ft]
                if ft >= 0 and c == 1:
                    opts.append(int(ft))
                if len(opts) > 1:
                    slots.append((t, k, c))
                    options.append(opts)
    best = -np.inf
    for combo in itertools.product(*options):
        table = dict(zip(slots, combo))
        best = max(best, forward_value(mod, th, b, lambda t, k, c, tb=table: tb.get((t, k, c), k)))
    return best


@pytest.mark.parametrize("policy", ["aon", "sfs-screen", "sfs-linear", "grit", "aon-bmd"])
def test_dp_equals_brute_force_K2_T4(policy):
    pb = _batch()
    mod = build_model(pb, get_policy(policy))
    sol = solve(mod)
    for b in range(pb.B):
        for th in (0, 1):
            bf = brute_force(mod, th, b)
            assert sol.V[th, b, 0, 0] == pytest.approx(bf, rel=1e-10, abs=1e-10)
            # the DP's own table attains that value
            never = forward_value(mod, th, b, lambda t, k, c: k)  # a policy that never moves
            assert bf >= never - 1e-12
            tbl = sol.target[th]
            assert forward_value(mod, th, b, lambda t, k, c, tb=tbl, bb=b: int(tb[c, bb, t, k])) == pytest.approx(
                bf, rel=1e-10
            )


def test_brute_force_is_not_trivial():
    """Different tables give different values, so agreement with the DP is informative."""
    mod = build_model(_batch(), get_policy("sfs-screen"))
    never = forward_value(mod, 0, 1, lambda t, k, c: k)
    always = forward_value(mod, 0, 1, lambda t, k, c: min(k + 1, 2))
    best = brute_force(mod, 0, 1)
    assert best > max(never, always) + 1.0


def test_dp_equals_brute_force_with_a_chance_offer():
    """aon-deadline: the small deal is on offer with probability pi_small inside the window (K = 2: stage 1)."""
    pb = _batch(pi_small=0.4)
    mod = build_model(pb, get_policy("aon-deadline"))
    assert (mod.frac_target >= 0).any()
    sol = solve(mod)
    for b in range(pb.B):
        for th in (0, 1):
            assert sol.V[th, b, 0, 0] == pytest.approx(brute_force(mod, th, b), rel=1e-10, abs=1e-10)


def test_dp_equals_brute_force_K3_covert_stage():
    """K = 3 has a covert stage (k = 2) for the hold-out type, with detection d."""
    extra = dict(D=[0.0, 0.2, 0.5, 1.0], R=[0.0, 0.3, 0.6, 1.0])
    pb = ParamBatch([StrategyParams(**{**SMALL, **p, **extra}) for p in POINTS])
    mod = build_model(pb, get_policy("sfs-screen"))
    assert mod.det[1, 0, 2] == pytest.approx(0.3) and mod.det[0].max() == 0
    sol = solve(mod)
    for b in range(pb.B):
        for th in (0, 1):
            assert sol.V[th, b, 0, 0] == pytest.approx(brute_force(mod, th, b), rel=1e-10, abs=1e-10)


def test_batched_dp_equals_one_point_at_a_time():
    pts = [StrategyParams(rho0=r, v_S=v) for r, v in ((0.3, 0.4), (0.6, 0.2), (0.9, 0.8))]
    joint = best_response(ParamBatch(pts), get_policy("sfs-screen"))
    for i, p in enumerate(pts):
        one = best_response(ParamBatch([p]), get_policy("sfs-screen"))
        assert np.array_equal(joint.target[:, :, i], one.target[:, :, 0])
        assert np.allclose(joint.V[:, i], one.V[:, 0])


def test_flow_utility_matches_spec_formula_at_one_cell():
    p = StrategyParams()
    pb = ParamBatch([p])
    mod = build_model(pb, get_policy("sfs-screen"))
    t, k = p.t_E - 1, 3  # inside the pre-election window
    rho_j = p.rho0 / (p.rho0 + (1 - p.rho0) * (1 - p.phi) ** k)
    m = 1 + p.kappa
    u_G = (
        -p.s * (1 - min(1, (1 - p.eps) * m * p.R[k]))
        + p.v_G * (1 - p.D[k])
        - (1 - rho_j) * p.h * p.D[k] * p.X
        + p.b_cheat
    )
    assert mod.flow[1, 0, t, k] == pytest.approx(u_G)
    vb = (-p.s + p.v_S * (1 - p.D[k]) - p.h * p.D[k] * p.X) / (1 - p.delta)
    assert mod.VB[0, 0, k] == pytest.approx(vb)
