"""Ensemble throughput: one batched run of B perturbed draws vs B single-scenario calls of the same model.

    python benchmarks/bench_uncertainty.py                          # expected-utility on korea-2019, B = 500
    python benchmarks/bench_uncertainty.py --models all --draws 200
    python benchmarks/bench_uncertainty.py --models compromise,nash --scenario road-toll

For each model: the wall time of ``detente.uncertainty.ensemble(scenario, model, draws=B, chunk=B)`` (perturbation,
the batched solve and the summaries; best of ``--repeat``) against the time of ``B`` calls ``model.solve`` on the
same perturbed draws one at a time (the solves only, so the ratio is conservative). CPU time (``time.process_time``)
is reported beside wall time, with the load average, because the machines this runs on are often shared. It also
checks that the batch and the single calls give the same outcomes (max|Δ| over the first 50 draws, must be 0). The
goal (issue 6) is a wall-time ratio ≥ 20 for expected-utility on korea-2019.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

import detente
from detente.execution import block_seed
from detente.models import available, get
from detente.scenario.arrays import to_arrays
from detente.uncertainty import ensemble
from detente.uncertainty.ensemble import BLOCK
from detente.uncertainty.perturb import draw
from detente.uncertainty.spec import resolve_spec

GOAL = 20.0


def bench(model_name: str, scenario: str, draws: int, repeat: int, seed: int) -> dict[str, float]:
    s = detente.load(scenario)
    model = get(model_name)
    batch_times, batch_cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        ens = ensemble(s, model, draws=draws, seed=seed, chunk=draws, progress=False)
        batch_times.append(time.perf_counter() - t0)
        batch_cpu.append(time.process_time() - c0)
    batch = draw(to_arrays(s), resolve_spec(None, s.perturbation, s.name), draws, seed=seed)
    singles = np.empty_like(ens.outcomes)
    t0, c0 = time.perf_counter(), time.process_time()
    for b in range(draws):
        singles[b] = model.solve(batch.take(b), seed=seed).outcomes[0]
    single_time, single_cpu = time.perf_counter() - t0, time.process_time() - c0
    # the ensemble draws block 0's perturbations from child 0 of the block's seed, so compare against that batch
    check = draw(
        to_arrays(s),
        resolve_spec(None, s.perturbation, s.name),
        min(draws, BLOCK),
        rng=np.random.default_rng(block_seed(seed, 0).spawn(3)[0]),
    )
    ref = np.empty_like(ens.outcomes)
    for b in range(min(draws, 50)):
        ref[b] = model.solve(check.take(b), seed=seed).outcomes[0]
    k = min(draws, 50)
    same = float(np.nanmax(np.abs(ref[:k] - ens.outcomes[:k]))) if model.stochastic is False else float("nan")
    best = min(batch_times)
    return {
        "batch_s": best,
        "single_s": single_time,
        "ratio": single_time / best,
        "cpu_ratio": single_cpu / min(batch_cpu),
        "max_abs_diff": same,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="expected-utility", help="comma-separated names, or 'all'")
    ap.add_argument("--scenario", default="korea-2019")
    ap.add_argument("--draws", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    names = sorted(available()) if a.models == "all" else [m.strip() for m in a.models.split(",")]
    print(
        f"scenario {a.scenario}, B = {a.draws} draws; batch = one ensemble call (best of {a.repeat}), "
        f"single = B model.solve calls on B = 1"
    )
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(
        f"{'model':18} {'batch s':>9} {'draws/s':>9} {'single s':>9} {'draws/s':>9} {'ratio':>7} {'CPU ratio':>9} "
        f"{'max|Δ|':>9}"
    )
    ok = True
    for name in names:
        r = bench(name, a.scenario, a.draws, a.repeat, a.seed)
        print(
            f"{name:18} {r['batch_s']:9.3f} {a.draws / r['batch_s']:9.0f} {r['single_s']:9.3f} "
            f"{a.draws / r['single_s']:9.0f} {r['ratio']:7.1f} {r['cpu_ratio']:9.1f} {r['max_abs_diff']:9.2g}"
        )
        if name == "expected-utility" and r["ratio"] < GOAL:
            ok = False
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    if "expected-utility" in names:
        print(f"goal: expected-utility ratio ≥ {GOAL:g}: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
