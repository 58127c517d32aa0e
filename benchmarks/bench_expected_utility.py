"""Benchmark of the vectorised expected-utility model against a straightforward pure-Python per-pair implementation.

Run: ``python benchmarks/bench_expected_utility.py [--singles K]``. Prints two ratios of CPU time
(``time.process_time``, so that other work on a shared machine does not distort them):

1. 50 actors, one issue, 10 rounds: pure-Python per-pair loops (:func:`reference_solve`, below) vs
   ``detente.models.get("expected-utility")`` — goal ≥ 100×. Both must agree on every position.
2. 10,000 perturbed draws of the emission-standards case in one batched call vs single calls, per draw — goal ≥ 20×.
   Single calls are timed over ``--singles`` calls (default 1,000; 10,000 with ``--singles 10000``) and compared
   per call.

:func:`reference_solve` is the same reading written as plain loops over actors, pairs and voters, straight from the
equations of Scholz, Calbert & Smith (ICAART 2011) as the spec ``expected-utility.md`` gives them; the test suite
imports it to cross-check the vectorised kernel.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent


# ---- the pure-Python reference -----------------------------------------------------------------------------------


def _median(x: list[float], w: list[float]) -> float:
    order = sorted(range(len(x)), key=lambda k: x[k])
    half = 0.5 * sum(w) * (1 - 1e-12)
    acc = 0.0
    for k in order:
        acc += w[k]
        if acc >= half:
            return x[k]
    return x[order[-1]]


def _prob(x: list[float], w: list[float], r: list[float], R: float, kind: str) -> list[list[float]]:
    n = len(x)
    P = [[0.0] * n for _ in range(n)]
    if kind == "global":
        Z = 0.0
        for k in range(n):
            for a in range(n):
                for b in range(n):
                    Z += abs(w[k] * ((abs(x[k] - x[b]) / R) ** r[k] - (abs(x[k] - x[a]) / R) ** r[k]))
    for i in range(n):
        for j in range(n):
            if i == j or x[i] == x[j]:
                continue
            num = den = net = 0.0
            for k in range(n):
                if kind == "global":
                    v = w[k] * ((abs(x[k] - x[j]) / R) ** r[k] - (abs(x[k] - x[i]) / R) ** r[k])
                    num += max(v, 0.0)
                else:
                    a_k = (abs(x[k] - x[j]) - abs(x[k] - x[i])) / R
                    num += w[k] * max(a_k, 0.0)
                    den += w[k] * abs(a_k)
                    net += w[k] * a_k
            if kind == "global":
                P[i][j] = num / Z if Z > 0 else 0.0
            elif den > 1e-300:
                P[i][j] = (num if kind == "eq31" else max(net, 0.0)) / den
    return P


def _eu(xc: float, xt: float, mu: float, R: float, r: float, s: float, p: float, Q: float) -> float:
    d = abs(xc - xt) / R
    dmu = abs(xc - mu) / R
    us = 2 - 4 * (0.5 - 0.5 * d) ** r
    uf = 2 - 4 * (0.5 + 0.5 * d) ** r
    usq = 2 - 4 * 0.5**r
    e = s * (p * us + (1 - p) * uf) + (1 - s) * us - Q * usq
    if Q != 1.0:
        ub = 2 - 4 * max(0.5 - 0.25 * (dmu + d), 0.0) ** r
        uw = 2 - 4 * (0.5 + 0.25 * (dmu + d)) ** r
        e -= (1 - Q) * (ub if dmu < d - 1e-9 else uw)
    return e


def reference_round(x: list[float], w: list[float], s: list[float], R: float, o: dict[str, Any]) -> list[float]:
    """One round, pair by pair. ``o`` holds the model options (p_success, reverse_salience, risk_perspective,
    offer_selection, conflict, capitulation, Q, zero)."""
    n = len(x)
    mu = _median(x, w)
    ones = [1.0] * n
    P1 = _prob(x, w, ones, R, o["p_success"])

    def rev(i: int, j: int, r: float, P: list[list[float]]) -> float:  # E(j challenges i)
        sal = s[i] if o["reverse_salience"] == "target" else s[j]
        return _eu(x[j], x[i], mu, R, r, sal, P[j][i], o["Q"])

    sec = [sum(rev(i, j, 1.0, P1) for j in range(n) if j != i) for i in range(n)]
    hi, lo = max(sec), min(sec)
    if hi - lo > 1e-12 * max(abs(hi), 1.0):
        r = []
        for i in range(n):
            Ri = min(max((2 * sec[i] - hi - lo) / (hi - lo), -1.0), 1.0)
            r.append((1 - Ri / 3) / (1 + Ri / 3))
    else:
        r = [1.0] * n
    P = _prob(x, w, r, R, "global") if o["p_success"] == "global" else P1
    new = list(x)
    for i in range(n):
        offers = []  # (rank, key, target, proposer EU)
        spread = max(x) - min(x)
        for j in range(n):
            if j == i or abs(x[i] - x[j]) <= 1e-9 * spread:  # the same position (up to rounding)
                continue
            a = _eu(x[i], x[j], mu, R, r[i], s[j], P[i][j], o["Q"])
            b = rev(i, j, r[i] if o["risk_perspective"] == "mover" else r[j], P)
            a = 0.0 if abs(a) <= o["zero"] else a
            b = 0.0 if abs(b) <= o["zero"] else b
            if b > a > 0 and o["conflict"] == "full_move":
                offers.append((1, abs(x[j] - x[i]), x[j], b))
            elif b > 0 > a and abs(b) >= abs(a):
                t = x[i] - (x[i] - x[j]) * abs(a / b)
                key = (abs(a) * x[i] + abs(b) * x[j]) / (abs(a) + abs(b))
                offers.append((2, key if o["offer_selection"] == "scholz_code" else abs(t - x[i]), t, b))
            elif b > 0 > a and o["capitulation"] == "full_move":
                offers.append((3, abs(x[j] - x[i]), x[j], b))
        if not offers:
            continue
        if o["offer_selection"] == "most_enforceable":
            best = max(f[3] for f in offers)
            new[i] = min((f for f in offers if f[3] >= best), key=lambda f: abs(f[2] - x[i]))[2]
        else:
            rank = min(f[0] for f in offers)
            new[i] = min((f for f in offers if f[0] == rank), key=lambda f: f[1])[2]
    return new


def reference_solve(x: list[float], w: list[float], s: list[float], rounds: int, **opts: Any) -> list[list[float]]:
    """Positions by round (round 0 = input) for ``rounds`` rounds, R = the initial spread, no early stopping."""
    o = {"p_success": "eq31", "reverse_salience": "target", "risk_perspective": "own", "offer_selection": "least_move"}
    o.update({"conflict": "full_move", "capitulation": "full_move", "Q": 1.0, "zero": 1e-12})
    o.update(opts)
    R = (max(x) - min(x)) or 1.0
    out = [list(x)]
    for _ in range(rounds):
        out.append(reference_round(out[-1], w, s, R, o))
    return out


# ---- timings ---------------------------------------------------------------------------------------------------------


def _best(fn: Any, repeat: int) -> float:
    """Best CPU time (process_time) of ``repeat`` calls: robust on a shared machine."""
    best = float("inf")
    for _ in range(repeat):
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best


def bench_actors(n: int = 50, rounds: int = 10) -> None:
    from detente.models import get
    from detente.scenario.arrays import ScenarioArrays

    rng = np.random.default_rng(2024)
    x = rng.uniform(0, 100, n)
    sal = rng.uniform(0.05, 1.0, n)
    cap = rng.uniform(0.1, 10.0, n)
    arrays = ScenarioArrays.from_numpy(x[:, None], sal[:, None], cap, lower=0.0, upper=100.0)
    for preset in ("default", "scholz_compat"):
        model = get("expected-utility", preset=preset, max_rounds=rounds, tol=0.0, stop_on_cycle=False)
        o = {k: v for k, v in model.params.model_dump().items() if k in ("p_success", "reverse_salience")}
        o.update(
            {
                k: getattr(model.params, k)
                for k in ("risk_perspective", "offer_selection", "conflict", "capitulation", "Q", "zero")
            }
        )
        t_vec = _best(lambda: model.solve(arrays), 5)  # noqa: B023
        t0 = time.process_time()
        ref = reference_solve(list(x), list(sal * cap), list(sal), rounds, **o)
        t_ref = time.process_time() - t0
        got = model.solve(arrays).trajectory[0, :, :, 0]
        err = float(np.abs(got[: len(ref)] - np.array(ref)).max())
        print(
            f"{n} actors, {rounds} rounds, preset {preset}: pure Python {t_ref:.3f} s, vectorised {t_vec * 1e3:.2f} ms,"
            f" ratio {t_ref / t_vec:.0f}x (goal >= 100x); max |position difference| {err:.1e}"
        )


def bench_batch(B: int = 10_000, singles: int = 1_000) -> None:
    import pandas as pd

    from detente.models import get
    from detente.scenario.arrays import ScenarioArrays

    d = pd.read_csv(HERE.parent / "tests" / "data" / "expected_utility" / "emission_standards.csv")
    rng = np.random.default_rng(7)
    n = len(d)
    pos = np.clip(d.Position.to_numpy(float)[None, :] + rng.normal(0, 0.5, (B, n)), 1, 10)[:, :, None]
    sal = np.clip(d.Salience.to_numpy(float)[None, :] * rng.uniform(0.8, 1.2, (B, n)), 0, 1)[:, :, None]
    cap = np.broadcast_to(d.Capability.to_numpy(float)[None, :, None], (B, n, 1))
    arrays = ScenarioArrays.from_numpy(pos, sal, cap, lower=1.0, upper=10.0)
    model = get("expected-utility", max_rounds=30)
    t0 = time.process_time()
    batch = model.solve(arrays)
    t_batch = time.process_time() - t0
    k = min(singles, B)
    singles_in = [arrays.take(b) for b in range(k)]
    t0 = time.process_time()
    outs = [model.solve(one) for one in singles_in]
    t_single = (time.process_time() - t0) / k
    assert all(o.outcomes[0, 0] == batch.outcomes[b, 0] for b, o in enumerate(outs))
    per = t_batch / B
    print(
        f"batch of {B} draws (10 actors, default preset): {t_batch:.2f} s = {per * 1e3:.3f} ms/draw; "
        f"single calls ({k} timed): {t_single * 1e3:.2f} ms/call; ratio {t_single / per:.0f}x (goal >= 20x); "
        f"rounds run: mean {batch.rounds.mean():.1f}, max {batch.rounds.max()}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--singles", type=int, default=1_000, help="single calls to time (10000 for all)")
    ap.add_argument("--actors", type=int, default=50)
    args = ap.parse_args()
    bench_actors(args.actors)
    bench_batch(singles=args.singles)


if __name__ == "__main__":
    main()
