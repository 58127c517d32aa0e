"""Benchmark: detente's exchange model against decide-exchange-model 2025.3.1 on the same 50 × 10 input.

Run from the repository root::

    python benchmarks/bench_exchange.py                # detente 3 rounds, the package 1 round
    python benchmarks/bench_exchange.py --rounds 10 --decide-rounds 2
    python benchmarks/bench_exchange.py --draws 200   # a 200-draw batch vs 200 single calls on korea-2019

The input is ``tests/data/exchange/synthetic_50x10.csv`` (50 actors × 10 issues in decide's tagged format; see
``tests/data/exchange/SOURCE.md``). The reference package runs as a black box in its own Python 3.13 virtual
environment (``/tmp/decide-venv``, or the interpreter in ``$DECIDE_PYTHON``)::

    ~/.pyenv/versions/3.13.0/bin/python -m venv /tmp/decide-venv
    /tmp/decide-venv/bin/pip install decide-exchange-model==2025.3.1

It is skipped with a message when that environment is missing. Its time per round is its wall time divided by the
rounds run, start-up included (about a second, small next to its ~33 s per round).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INPUT = ROOT / "tests" / "data" / "exchange" / "synthetic_50x10.csv"
DECIDE_PYTHON = Path(os.environ.get("DECIDE_PYTHON", "/tmp/decide-venv/bin/python"))


def bench_detente(rounds: int, repeat: int, preset: str) -> tuple[float, list[int], list[int]]:
    import detente
    from detente.models import get
    from detente.scenario.arrays import to_arrays

    arr = to_arrays(detente.load(str(INPUT)))
    model = get("exchange", preset=preset, max_rounds=rounds)
    best = float("inf")
    fc = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        fc = model.solve(arr)
        best = min(best, time.perf_counter() - t0)
    assert fc is not None
    return best / rounds, fc.info["candidates_per_round"], fc.info["exchanges_per_round"]


def bench_decide(rounds: int) -> float | None:
    if not DECIDE_PYTHON.exists():
        print(f"decide-exchange-model: skipped ({DECIDE_PYTHON} not found; see the module docstring to install it)")
        return None
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            str(DECIDE_PYTHON), "-m", "decide.cli", "--input-file", str(INPUT), "-i", str(rounds),
            "--output-dir", tmp, "--name", "bench", "--database", ":memory:",
        ]  # fmt: skip
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True)
        wall = time.perf_counter() - t0
    if proc.returncode != 0:
        print(f"decide-exchange-model: failed (exit {proc.returncode}): {proc.stderr.strip()[-500:]}")
        return None
    return wall / rounds


def bench_batch(draws: int, preset: str) -> tuple[float, float, float]:
    """Seconds for one ``draws``-draw batch (lock-step, p = 0), for ``draws`` single-draw calls, and for one batch
    call in blocks of one draw (``_LOCKSTEP_CANDIDATES = 1``: each draw's rounds alone) on the same perturbed korea-2019
    draws (10 rounds); the outcomes must agree exactly."""
    import numpy as np

    import detente
    from detente.models import get
    from detente.uncertainty.perturb import draw

    arr = draw(detente.load("korea-2019"), draws=draws, seed=1)
    model = get("exchange", preset=preset)
    t0 = time.perf_counter()
    batch = model.solve(arr)
    t_batch = time.perf_counter() - t0
    t0 = time.perf_counter()
    single = [model.solve(arr.take(np.array([k]))) for k in range(draws)]
    t_single = time.perf_counter() - t0
    assert np.array_equal(batch.outcomes, np.concatenate([fc.outcomes for fc in single]), equal_nan=True)
    import detente.models.exchange as exchange_module

    saved, exchange_module._LOCKSTEP_CANDIDATES = exchange_module._LOCKSTEP_CANDIDATES, 1
    try:
        t0 = time.perf_counter()
        loop = model.solve(arr)
        t_loop = time.perf_counter() - t0
    finally:
        exchange_module._LOCKSTEP_CANDIDATES = saved
    assert np.array_equal(batch.outcomes, loop.outcomes, equal_nan=True)
    return t_batch, t_single, t_loop


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3, help="detente rounds (default 3)")
    ap.add_argument("--repeat", type=int, default=3, help="detente repetitions; the best is kept (default 3)")
    ap.add_argument("--decide-rounds", type=int, default=1, help="package rounds (default 1; ~33 s each)")
    ap.add_argument("--no-decide", action="store_true", help="skip the reference package")
    ap.add_argument("--draws", type=int, default=0, help="time a B-draw batch vs B single calls on korea-2019 only")
    args = ap.parse_args()

    if args.draws > 0:
        for preset in ("default", "decide_compat"):
            t_batch, t_single, t_loop = bench_batch(args.draws, preset)
            print(
                f"korea-2019 exchange ({preset}), {args.draws} perturbed draws, 10 rounds: one batch {t_batch:.2f} s, "
                f"{args.draws} single calls {t_single:.2f} s, one batch in blocks of one draw {t_loop:.2f} s"
            )
            print(
                f"  ratio (single calls / batch): {t_single / t_batch:.1f}x; (blocks of one draw / batch): {t_loop / t_batch:.1f}x"
            )
        return

    print(f"input: {INPUT.relative_to(ROOT)} (50 actors × 10 issues)")
    times = {}
    for preset in ("default", "decide_compat"):
        per_round, cands, realised = bench_detente(args.rounds, args.repeat, preset)
        times[preset] = per_round
        print(
            f"detente exchange ({preset}): {per_round * 1000:.1f} ms per round "
            f"(best of {args.repeat}, {args.rounds} rounds)"
        )
        print(f"  candidates per round: {cands}; realised: {realised}")
    decide = None if args.no_decide else bench_decide(args.decide_rounds)
    if decide is not None:
        print(f"decide-exchange-model 2025.3.1: {decide:.2f} s per round ({args.decide_rounds} round(s), start-up in)")
        for preset, per_round in times.items():
            print(f"ratio (package / detente {preset}, per round): {decide / per_round:.0f}x  (target >= 100x)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
