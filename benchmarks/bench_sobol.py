"""Saltelli design time: SALib's sampler against detente's vectorised block-by-block design, same points.

    python benchmarks/bench_sobol.py                      # korea-2019, groups=cell (165 groups), N = 1024
    python benchmarks/bench_sobol.py --groups actor-field --base 4096

The problem is the one ``detente sensitivity korea-2019 --groups GROUPS`` analyses (the default perturbation spec's
noisy cells). "before" is ``SALib.sample.sobol.sample(problem, N, calc_second_order=False, seed=S)`` (a Python loop
over samples, groups and inputs, returning the whole N·(G + 2) × D matrix); "after" is
:func:`detente.uncertainty.sobol.design` over every block (what a run generates, block by block). It checks that the
points are the same (max |difference|, must be 0) and prints wall and CPU time with the load average.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

import detente
from detente.scenario.arrays import to_arrays
from detente.uncertainty.sensitivity import _factors
from detente.uncertainty.sobol import block_size, design
from detente.uncertainty.spec import resolve_spec


def timed(fn):  # type: ignore[no-untyped-def]
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t0, time.process_time() - c0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default="korea-2019")
    ap.add_argument("--groups", default="cell")
    ap.add_argument("--base", type=int, default=1024)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    from SALib.sample import sobol as salib_sample

    s = detente.load(a.scenario)
    arrays = to_arrays(s)
    cells, names = _factors(arrays, resolve_spec(None, s.perturbation, s.name), a.groups)
    groups = list(dict.fromkeys(names))
    G, D, N = len(groups), len(cells), a.base
    index = {g: i for i, g in enumerate(groups)}
    group_of = np.array([index[g] for g in names])
    problem = {"num_vars": D, "names": [f"x{k}" for k in range(D)], "bounds": [[0.0, 1.0]] * D, "groups": names}
    print(f"{a.scenario} groups={a.groups}: {G} groups, {D} inputs, N={N} → {N * (G + 2)} rows")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    X, w_before, c_before = timed(lambda: salib_sample.sample(problem, N, calc_second_order=False, seed=a.seed))
    c = block_size(G)

    def ours() -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        return [design(a.seed, group_of, G, lo, min(N, lo + c)) for lo in range(0, N, c)]

    parts, w_after, c_after = timed(ours)
    A = np.concatenate([p[0] for p in parts])
    B = np.concatenate([p[1] for p in parts])
    AB = np.concatenate([p[2] for p in parts], axis=1)
    rows = X.reshape(N, G + 2, D)
    diff = max(
        float(np.abs(rows[:, 0] - A).max()),
        float(np.abs(rows[:, -1] - B).max()),
        float(np.abs(rows[:, 1:-1].transpose(1, 0, 2) - AB).max()),
    )
    print(f"SALib sample (before): {w_before:8.3f} s wall, {c_before:8.3f} s CPU, matrix {X.nbytes / 1e6:.0f} MB")
    print(f"detente design (after): {w_after:8.3f} s wall, {c_after:8.3f} s CPU, blocks of {c} base samples")
    print(f"speed-up (CPU): {c_before / c_after:.1f}x; max |difference| of the points: {diff:g}")
    return 0 if diff == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
