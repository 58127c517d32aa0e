"""DEU back-test time: every registered model on every proposal of a DEU file, batched vs one proposal at a time.

    python benchmarks/bench_backtest.py                       # the DEU subset under ../shared/data/deu
    python benchmarks/bench_backtest.py --file Dataset_DEU_III.csv --repeat 3
    python benchmarks/bench_backtest.py --workers 2           # the same run on a local Dask cluster

Reports, per model, the wall and CPU time (``time.process_time``) of solving every proposal in batches of equal shape
(:func:`detente.validation.deu.run_model`, what ``detente backtest FILE`` does) against solving them one call per
proposal, checks that both give the same outcomes (max|Δ| must be 0), and times the whole back-test
(:func:`detente.validation.deu.deu_backtest` with the default 2,000 bootstrap replicates, without ensembles). The
load average is printed beside the times because the machines this runs on are often shared. Goal: all models on
the whole file (141 proposals) in well under a minute; on the 100-proposal subset the back-test should take at most
30 s of CPU time.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = Path(os.environ.get("DETENTE_SHARED", ROOT.parent / "shared")) / "data" / "deu" / "deu3_dev.csv"
GOAL_CPU_S = 30.0


def _solve_or_none(model: Any, arrays: Any) -> np.ndarray | None:
    """Draw 0's outcomes, or None where the model cannot run the proposal (e.g. exchange on one issue)."""
    try:
        return np.asarray(model.solve(arrays, seed=0).outcomes[0])
    except Exception:
        return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--file", type=Path, default=DEFAULT)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--workers", type=int, default=None)
    a = ap.parse_args()
    if not a.file.exists():
        print(f"skipped: no DEU file at {a.file} (give --file)")
        return 0
    from detente.models import available, get
    from detente.scenario.arrays import to_arrays
    from detente.scenario.deu import read_deu
    from detente.validation.deu import deu_backtest, run_model, shape_groups

    t0 = time.perf_counter()
    proposals = read_deu(a.file)
    arrays = [to_arrays(p.scenario) for p in proposals]
    print(f"{a.file.name}: {len(proposals)} proposals, {sum(len(x.issues) for x in arrays)} issues, "
          f"{len(shape_groups(arrays))} batches of equal shape; read in {time.perf_counter() - t0:.2f} s")  # fmt: skip
    print(f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'model':18s} {'batched s':>10s} {'cpu s':>7s} {'one by one s':>13s} {'cpu s':>7s} {'ratio':>6s} max|Δ|")
    tot_b = tot_bc = 0.0
    for name in available():
        m = get(name)
        best, best_cpu = np.inf, np.inf
        for _ in range(a.repeat):
            w, c = time.perf_counter(), time.process_time()
            outs, _, fails, _ = run_model(m, arrays, 0)
            best, best_cpu = min(best, time.perf_counter() - w), min(best_cpu, time.process_time() - c)
        w, c = time.perf_counter(), time.process_time()
        singles = [_solve_or_none(m, x) for x in arrays]
        one, one_cpu = time.perf_counter() - w, time.process_time() - c
        diff = max(float(np.max(np.abs(o - s))) for o, s in zip(outs, singles) if o is not None and s is not None)
        if any((o is None) != (s is None) for o, s in zip(outs, singles)):
            print(f"FAIL: {name}: batched and single runs fail on different proposals")
            return 1
        tot_b, tot_bc = tot_b + best, tot_bc + best_cpu
        print(f"{name:18s} {best:10.2f} {best_cpu:7.2f} {one:13.2f} {one_cpu:7.2f} {one / best:6.1f} {diff:g}"
              + (f"  ({len(fails)} failed)" if fails else ""))  # fmt: skip
        if diff != 0.0:
            print(f"FAIL: {name}: batched and single outcomes differ by {diff:g}")
            return 1
    print(f"{'all models':18s} {tot_b:10.2f} {tot_bc:7.2f}")
    w, c = time.perf_counter(), time.process_time()
    r = deu_backtest(a.file, draws=0, workers=a.workers)
    wall, cpu = time.perf_counter() - w, time.process_time() - c
    print(f"whole back-test (read, every model, metrics, 2000 bootstrap replicates): {wall:.2f} s wall, {cpu:.2f} s CPU"
          f"{'' if a.workers is None else ' in this process (the workers add theirs)'}; "
          f"{len(r.table) - 1} models × {r.provenance['issues_scored']} issues")  # fmt: skip
    if a.workers is None and cpu > GOAL_CPU_S:
        print(f"FAIL: {cpu:.1f} s CPU > goal {GOAL_CPU_S:.0f} s")
        return 1
    print(f"goal: ≤ {GOAL_CPU_S:.0f} s CPU on the subset — met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
