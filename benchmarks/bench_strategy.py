"""Benchmark of the staged-disarmament game against its performance table.

Run: ``python benchmarks/bench_strategy.py`` (BLAS threads pinned to 1, as in sweeps). Prints, for each task, the
best wall-clock and CPU time over a few repeats and the ratio to its target:

* one rule at the default grid (72 types, 10 belief nodes, 30 months): dynamic programme, stationary continuation
  and forward equation — target 0.6 s;
* one rule at the sweep grid (48 types, 8 belief nodes; the target was set for 24 types) — target 0.08 s, and the
  same at 24 types;
* 10^5 Monte Carlo paths × 30 months (policies already solved) — target 0.5 s;
* memory of a 10^7-path run (blocks of 10^5 paths; the peak resident memory is printed) — target < 2 GB.

The ``before`` column is the CPU time of the same task with the code before the engine was vectorised (every state
solved every month and the policy recomputed for the forward pass; actions sampled by a dense gather over all slots),
measured back to back with this code on the shared 2-core machine at load average 6.7 (wall times there were about
three times the CPU times): 1.315 s, 0.463 s (then at 24 types) and 1.246 s. Compare CPU times; wall time depends on the machine's load.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from detente.strategy.staged.forward import forward  # noqa: E402
from detente.strategy.staged.game import SWEEP_GRID, Grid, make_game  # noqa: E402
from detente.strategy.staged.montecarlo import simulate  # noqa: E402
from detente.strategy.staged.rules import PRESETS  # noqa: E402


def best_of(fn, repeats: int = 3) -> tuple[float, float]:
    wall, cpu = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return min(wall), min(cpu)


# CPU seconds, see the module docstring; 24 types: before the month's kernels shared their events up to the election
# step (and with the border closure unforeseen, which solves a second programme for the months before it)
BEFORE = {"default": 1.315, "sweep": 0.463, "paths": 1.246, "sweep24": 0.562}


def main() -> None:
    rule = PRESETS["sfs-freeze"]
    print("task                                        wall_s   cpu_s  target_s  cpu/target  before_cpu_s  speed-up")
    for key, label, grid, target in (
        ("default", "one rule, default grid (72 types)", Grid(), 0.6),
        ("sweep", "one rule, sweep grid (48 types)", SWEEP_GRID, 0.08),
        ("sweep24", "one rule, 24 types (8 x 3, 8 belief nodes)", Grid(8, 3, 8), 0.08),
    ):
        w, c = best_of(lambda grid=grid: forward(make_game(rule, grid=grid), light=True))
        print(f"{label:42s} {w:7.3f} {c:7.3f} {target:9.2f} {c / target:10.1f} {BEFORE[key]:13.3f} "
              f"{BEFORE[key] / c:9.1f}")
    g = make_game(rule, grid=SWEEP_GRID).solve()
    simulate(g, 1000, 0)
    w, c = best_of(lambda: simulate(g, 100_000, 0), repeats=2)
    print(f"{'1e5 paths x 30 months (sweep grid)':42s} {w:7.3f} {c:7.3f} {0.5:9.2f} {c / 0.5:10.1f} "
          f"{BEFORE['paths']:13.3f} {BEFORE['paths'] / c:9.1f}")
    if "--memory" in sys.argv:
        t = time.perf_counter()
        simulate(g, 10_000_000, 0)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"1e7 paths x 30 months: {time.perf_counter() - t:.1f} s, peak resident memory {peak:.0f} MB")


if __name__ == "__main__":
    main()
