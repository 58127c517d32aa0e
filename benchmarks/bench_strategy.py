"""Benchmark of the strategy engine (spec 15.7): 10^5 paths x 32 months for one policy, both DPs included.

Run: ``python benchmarks/bench_strategy.py``. Prints the best of several repeats per policy and the ratio to the
spec's prototype budget (0.5 s on a 2-core machine; the prototype took 0.3-0.5 s). One call of
``detente.strategy.simulate.simulate`` is one vectorised computation over all 10^5 paths (a Python loop over the 32
months only). Also times a 12-point x 10^4-path batched sweep (one DP per type for all points at once).
"""

from __future__ import annotations

import time

from detente.strategy.params import ParamBatch, StrategyParams
from detente.strategy.simulate import simulate

PROTOTYPE_BUDGET_S = 0.5


def best_of(fn, repeats: int = 3) -> tuple[float, float]:
    """Best wall-clock and best CPU (process) time over ``repeats`` runs; CPU time is less sensitive to other
    processes on a shared machine."""
    wall, cpu = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return min(wall), min(cpu)


def main() -> None:
    pb = ParamBatch([StrategyParams()])
    simulate(pb, "aon", 1000, seed=0)  # warm-up (imports, caches)
    print("policy           paths  months  wall_s  cpu_s  wall/0.5s  cpu/0.5s")
    for pol in ("aon", "sfs-screen", "sfs-trust-rok"):
        w, c = best_of(lambda pol=pol: simulate(pb, pol, 100_000, seed=0))
        print(
            f"{pol:15s} {100_000:6d} {pb.T:7d} {w:7.3f} {c:6.3f} {w / PROTOTYPE_BUDGET_S:10.2f} "
            f"{c / PROTOTYPE_BUDGET_S:9.2f}"
        )
    sweep = ParamBatch([StrategyParams(rho0=r, pi_S=p) for r in (0.3, 0.6, 0.9) for p in (0.3, 0.5, 0.7, 0.9)])
    w, c = best_of(lambda: simulate(sweep, "sfs-screen", 10_000, seed=0), repeats=2)
    print(f"sweep: {sweep.B} points x 10,000 paths x {sweep.T} months (sfs-screen): wall {w:.3f} s, cpu {c:.3f} s")


if __name__ == "__main__":
    main()
