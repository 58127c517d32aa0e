"""The claims scorecard's budget table: CPU seconds per parameter point for each claim of a scenario, the evaluations
of a configuration, and the estimated time of a run (one core, and on the given number of workers).

    python benchmarks/bench_claims.py                    # korea-2019, the shipped configuration, 3 points per claim
    python benchmarks/bench_claims.py --points 6 --draws 8
    python benchmarks/bench_claims.py --run-fixed --workers 2   # also run the fixed-rule claims end to end

A parameter point is one row of the claim's design: every rule its hypotheses name (for a claim that searches, every
candidate) solved once by the dynamic programme and the forward equation on the configuration's type grid. The
points timed are the first rows of the claim's own design, so their cost is that of the run. A run costs
replicates × base × (groups + 2) points per claim (the Saltelli design), plus about 10 points for the tipping point
and 3 for the chart. The goal (docs/scorecard.md): the claims on fixed rules finish within 10 minutes on 2 cores at
the shipped configuration; the script exits non-zero when the estimate (or, with ``--run-fixed``, the measured wall
time) misses it. Wall time is printed beside CPU time with the load average: the 2-core machines this project runs
on are often shared.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace

from detente.claims import Config, claims_of
from detente.claims.evaluate import Plan, evaluate_rows, months_needed, to_params, varied
from detente.claims.verdict import evaluations_at_most, group_index, searches, unit_design
from detente.scenario.io import load
from detente.strategy.staged.engine import calendar_from_block
from detente.strategy.staged.game import Grid

GOAL_FIXED_S = 600.0  # fixed-rule claims, wall seconds on 2 cores
EXTRA_POINTS = 13  # tipping point (7 grid quantiles + Brent steps, about 10) and the chart's 3 settings


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default="korea-2019")
    ap.add_argument("--points", type=int, default=3, help="parameter points timed per claim")
    ap.add_argument("--draws", type=int, default=None, help="base points per replicate for every claim")
    ap.add_argument("--workers", type=int, default=2, help="cores the estimate divides by")
    ap.add_argument("--run-fixed", action="store_true", help="run the fixed-rule claims end to end and time them")
    a = ap.parse_args(argv)
    cfg = Config()
    if a.draws:
        cfg = replace(cfg, base=a.draws, base_fixed=a.draws)
    sc = load(a.scenario)
    cal = calendar_from_block(sc.strategy)
    rows = []
    for ci, c in enumerate(claims_of(sc)):
        if not any(h.kind != "record" for h in c.hypotheses):
            rows.append((c.id, "record", 0.0, 0, 0.0))
            continue
        names = tuple(varied(c))
        plan = Plan(c, cal, Grid(*cfg.grid), names, months_needed(c, cal))
        U, n, G, _ = unit_design(plan, replace(cfg, replicates=1), ci)
        P = to_params(c, list(names), U[: a.points])
        t0 = time.process_time()
        evaluate_rows(plan, P)
        per = (time.process_time() - t0) / len(P)
        _, labels = group_index(names)
        evals = evaluations_at_most(cfg, n, len(labels)) + (EXTRA_POINTS if cfg.tipping else 3)
        rows.append((c.id, "search" if searches(c) else "fixed", per, evals, per * evals))
        print(f"claim-{c.id}: {per:.2f} s CPU per point", file=sys.stderr, flush=True)
    print(f"{a.scenario}: replicates {cfg.replicates}, base {cfg.base} (searching claims) / {cfg.base_fixed} (fixed "
          f"rules), grid {cfg.grid}, load average {os.getloadavg()[0]:.1f}")
    print()
    print(f"| claim | type | CPU s per point | points | estimate, one core | on {a.workers} workers |")
    print("|---|---|---|---|---|---|")
    for cid, kind, per, evals, total in rows:
        if kind == "record":
            print(f"| {cid} | record | — | — | < 1 s | < 1 s |")
        else:
            print(f"| {cid} | {kind} | {per:.2f} | {evals} | {total / 60:.1f} min | {total / 60 / a.workers:.1f} min |")
    fixed = sum(t for _, k, _, _, t in rows if k == "fixed")
    allc = sum(t for _, _, _, _, t in rows)
    print(f"| all fixed-rule claims | | | | {fixed / 60:.1f} min | {fixed / 60 / a.workers:.1f} min |")
    print(f"| every claim | | | | {allc / 60:.1f} min | {allc / 60 / a.workers:.1f} min |")
    ok = fixed / a.workers <= GOAL_FIXED_S
    if a.run_fixed:
        import subprocess

        ids = [cid for cid, k, *_ in rows if k == "fixed"]
        cmd = [sys.executable, "-m", "detente", "claims", a.scenario, "--recompute", "--no-static", "--workers",
               str(a.workers), "--format", "json", "--out", os.devnull]
        if a.draws:
            cmd += ["--draws", str(a.draws)]
        for cid in ids:
            cmd += ["--claim", cid]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True)
        wall = time.perf_counter() - t0
        print(f"fixed-rule claims ({', '.join(ids)}) end to end on {a.workers} workers: {wall / 60:.1f} min wall "
              f"(load average {os.getloadavg()[0]:.1f})")
        ok = wall <= GOAL_FIXED_S
    print(f"goal: fixed-rule claims within {GOAL_FIXED_S / 60:.0f} min on 2 cores: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
