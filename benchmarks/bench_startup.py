"""Start-up time of the CLI: `detente --help` and a small forecast, repeated (a hyperfine-like timer).

    python benchmarks/bench_startup.py                       # this checkout (src/ first on the path)
    python benchmarks/bench_startup.py --src /old/src --src src   # before/after: the checkouts' runs alternate

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


def _env(src: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"PYTHONPATH": src}


def _once(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{args} failed")
    return time.perf_counter() - t0, usage.ru_utime + usage.ru_stime


def measure(args: list[str], srcs: list[str], runs: int) -> list[tuple[float, float, float]]:
    """(median wall, min wall, median CPU) per checkout; the checkouts' runs alternate, so they share the load."""
    envs = [_env(src) for src in srcs]
    for env in envs:  # writes the bytecode caches
        subprocess.run(
            [sys.executable, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
        )
    times: list[list[tuple[float, float]]] = [[] for _ in srcs]
    for _ in range(runs):
        for k, env in enumerate(envs):
            times[k].append(_once(args, env))
    return [
        (statistics.median(w for w, _ in t), min(w for w, _ in t), statistics.median(c for _, c in t)) for t in times
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src", action="append", help="a checkout's src directory (repeat to compare; default: this one)")
    ap.add_argument("--runs", type=int, default=10)
    a = ap.parse_args(argv)
    srcs = a.src or [str(Path(__file__).resolve().parents[1] / "src")]
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs, {a.runs} runs each")
    for k, src in enumerate(srcs):
        print(f"[{k}] {src}")
    print(f"{'command':34} {'':4} {'median wall':>12} {'min wall':>9} {'median CPU':>11}")
    for name, args in COMMANDS.items():
        for k, (med, best, cpu) in enumerate(measure(args, srcs, a.runs)):
            print(f"{name:34} [{k}]  {med:11.3f}s {best:8.3f}s {cpu:10.3f}s")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
