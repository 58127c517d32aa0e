"""Start-up time of the CLI: `detente --help` and a small forecast, repeated (a hyperfine-like timer).

    python benchmarks/bench_startup.py                       # this checkout (src/ first on the path)
    python benchmarks/bench_startup.py --src /path/to/src    # another checkout, for before/after figures

Each command runs ``--runs`` times in a fresh interpreter; the median and minimum wall time and the median CPU time
(user + system of the child, from ``os.wait4``) are printed with the load average, because the machines this runs on
are often shared: CPU time is the figure that does not depend on the neighbours. ``python -X importtime`` shows
where the time goes. The goal is under 0.3 s for both commands. One untimed run first writes the bytecode caches
(``PYTHONDONTWRITEBYTECODE`` is dropped for the children), as an installed package has them: without them every run
would compile detente's modules again.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = {
    "detente --help": ["-m", "detente", "--help"],
    "forecast korea-2019 compromise": ["-m", "detente", "forecast", "korea-2019", "--model", "compromise"],
    "import detente": ["-c", "import detente"],
}


def measure(args: list[str], src: str, runs: int) -> tuple[float, float, float]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"PYTHONPATH": src}
    subprocess.run([sys.executable, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    walls, cpus = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        walls.append(time.perf_counter() - t0)
        cpus.append(usage.ru_utime + usage.ru_stime)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{args} failed")
    return statistics.median(walls), min(walls), statistics.median(cpus)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src", default=str(Path(__file__).resolve().parents[1] / "src"))
    ap.add_argument("--runs", type=int, default=10)
    a = ap.parse_args(argv)
    print(f"src={a.src}  load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"{'command':34} {'median wall':>12} {'min wall':>9} {'median CPU':>11}")
    for name, args in COMMANDS.items():
        med, best, cpu = measure(args, a.src, a.runs)
        print(f"{name:34} {med:11.3f}s {best:8.3f}s {cpu:10.3f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
