"""Speed-up of worker processes over one worker, with identical output bytes (the CLI as a user runs it).

    python benchmarks/bench_parallel.py                        # both workloads, 1 and 2 workers
    python benchmarks/bench_parallel.py --workload sobol-eu --workers 1,2,4
    python benchmarks/bench_parallel.py --repeat 5             # 5 interleaved rounds; medians and their ratio

Workloads: ``exchange-10k`` (``detente ensemble korea-2019 --model exchange --draws 10000``) and ``sobol-eu``
(``detente sensitivity korea-2019 --model expected-utility --draws 1024``, 28,672 model runs). Each runs with
``--workers N --format json`` for every N (and in-process with ``--in-process``); the script prints wall time, CPU time
of the command and its worker processes (``os.wait4``: user and system), the load average before and after, the
speed-up over the first N (wall time) and the CPU time relative to it, and whether the JSON bytes are identical
(sha256); with ``--in-process``, also each run's wall time over the in-process one. A worker should cost the CPU
time the same blocks cost in-process: the CPU ratios show the workers' overhead (start-up, scheduling, transfers)
apart from the load. The goal is a speed-up of at least 1.7 for 2 workers on a 2-core machine; on a machine shared
with other work the wall-time ratio is bounded by the cores actually free, which the CPU time and load average show.
On a virtual machine whose host is busy, one run's wall time moves by 10-20 % from minute to minute: ``--repeat R``
runs the configurations in R interleaved rounds (1, 2, 1, 2, ...) and prints every round, then the median wall time
of each configuration and the speed-up of the medians.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORKLOADS = {
    "exchange-10k": ["ensemble", "korea-2019", "--model", "exchange", "--draws", "10000", "--seed", "1"],
    "sobol-eu": ["sensitivity", "korea-2019", "--model", "expected-utility", "--draws", "1024", "--seed", "1"],
}
SRC = str(Path(__file__).resolve().parents[1] / "src")


def run(args: list[str], src: str = SRC) -> tuple[float, float, float, str]:
    env = {**os.environ, "PYTHONPATH": src}
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "out.json"
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "detente", *args, "--format", "json", "--no-progress", "--out", str(out)], env=env
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"failed: {args}")
        digest = hashlib.sha256(out.read_bytes()).hexdigest()[:16]
    return wall, usage.ru_utime, usage.ru_stime, digest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workload", default="all", help=f"one of {list(WORKLOADS)} or 'all'")
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--in-process", action="store_true", help="also run without Dask")
    ap.add_argument("--src", default=SRC, help="the source tree to run (default: this checkout's src/)")
    ap.add_argument("--repeat", type=int, default=1, help="interleaved rounds; medians are compared")
    a = ap.parse_args(argv)
    names = list(WORKLOADS) if a.workload == "all" else [a.workload]
    counts = [int(x) for x in a.workers.split(",")]
    ok = True
    for name in names:
        print(f"{name}: detente {' '.join(WORKLOADS[name])}")
        rows = []
        configs = ([("in-process", [])] if a.in_process else []) + [
            (f"--workers {n}", ["--workers", str(n)]) for n in counts
        ]
        walls: dict[str, list[float]] = {label: [] for label, _ in configs}
        for _ in range(max(1, a.repeat)):
            round_rows = []
            for label, extra in configs:
                load0 = os.getloadavg()[0]
                wall, user, system, digest = run(WORKLOADS[name] + extra, a.src)
                walls[label].append(wall)
                round_rows.append((label, wall, user, system, digest, load0, os.getloadavg()[0]))
            rows += round_rows
            base = next(r for r in round_rows if r[0].startswith("--workers"))
            for label, wall, user, system, digest, l0, l1 in round_rows:
                print(
                    f"  {label:12} {wall:7.1f} s wall {user + system:7.1f} s CPU ({user:.1f} user, {system:.1f} "
                    f"system)  speed-up {base[1] / wall:4.2f}x  CPU/first {(user + system) / (base[2] + base[3]):4.2f}"
                    f"  sha256 {digest}  load {l0:.1f} → {l1:.1f}"
                )
            if round_rows[0][0] == "in-process":
                print("  in-process wall / wall: "
                      + ", ".join(f"{r[0]} {round_rows[0][1] / r[1]:.2f}x" for r in round_rows[1:]))
        if a.repeat > 1:
            med = {label: statistics.median(w) for label, w in walls.items()}
            first = next(label for label in med if label.startswith("--workers"))
            print(f"  medians of {a.repeat} rounds: " + ", ".join(
                f"{label} {m:.2f} s (speed-up {med[first] / m:.2f}x)" for label, m in med.items()))
            # paired: each round's own ratio, so that a host that speeds up or slows down between rounds cancels
            print("  median of the rounds' own speed-ups: " + ", ".join(
                f"{label} {statistics.median(f / w for f, w in zip(walls[first], ws)):.2f}x"
                for label, ws in walls.items() if label != first))
        same = len({r[4] for r in rows}) == 1
        ok &= same
        print(f"  identical JSON bytes: {same}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
