"""The expected-utility kernel on a GPU (``--device cuda``: CuPy or PyTorch through the array API) vs numpy on the CPU.

    python benchmarks/bench_device.py                      # needs CuPy or PyTorch with a CUDA device
    python benchmarks/bench_device.py --problems 200000 --draws 100000 --device cuda:0
    python benchmarks/bench_device.py --strict --problems 2000 --draws 500 --strategy-paths 20000   # no GPU
    python benchmarks/bench_device.py --part strategy --strategy-paths 1000000   # the strategy Monte Carlo only

Three measurements, each with the largest absolute difference from numpy:

1. one round of the kernel (:func:`detente.models._eu_kernel.play_round` vs :func:`detente.models._eu_xp.play_round`)
   on ``--problems`` random problems of ``--actors`` actors, the arrays already on the device (the kernel alone;
   the device is synchronised before the clock stops), and again with the copies to and from the device;
2. a whole ensemble, ``detente ensemble korea-2019 --model expected-utility --draws D`` in the library, on the CPU
   and with ``device=``;
3. the staged game's Monte Carlo (:func:`detente.strategy.staged.montecarlo.simulate`, ``detente strategy
   --device``) for the sfs-freeze rule on the default grid, ``--strategy-paths`` paths (default 1e6) on numpy and on
   the device, the device's time split into drawing on the host (and copying the draws over) and the rest.

Goals: agreement to 1e-9 (positions on korea-2019's 0-100 scales; the kernels sum in different orders) and the
discrete choices (offer kinds, proposers) the same; the strategy paths identical (the draws are the same, made on
the host: state counts, test days and arsenals equal) and the sums of payoffs by type within 1e-12 relative (they
are added in another order); speed is reported, not judged. ``--strict`` runs the array API
kernel on array-api-strict instead (slow: it checks that the code stays inside the standard, it measures nothing
about GPUs).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import numpy as np


def _sync(backend: Any) -> None:
    mod = type(backend.xp.asarray(0)).__module__
    if mod.startswith("cupy"):
        import cupy

        cupy.cuda.runtime.deviceSynchronize()
    elif mod.startswith("torch"):
        import torch

        torch.cuda.synchronize()


def _problems(P: int, n: int, seed: int = 1) -> tuple[np.ndarray, ...]:
    from detente.models import _eu_kernel as K

    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 100, (P, n))
    w, s = rng.uniform(0.1, 1, (P, n)), rng.uniform(0.1, 1, (P, n))
    mask = np.ones((P, n), bool)
    R = np.ptp(x, axis=1)
    return x, w, s, mask, R, K.weighted_median(x, w, mask)


def _strategy(backend: Any, paths: int) -> bool:
    """The staged game's Monte Carlo on numpy and on ``backend``: times and the largest differences."""
    from detente.strategy.staged.game import make_game
    from detente.strategy.staged.montecarlo import simulate
    from detente.strategy.staged.montecarlo_xp import simulate_on
    from detente.strategy.staged.rules import PRESETS

    g = make_game(PRESETS["sfs-freeze"], {}).solve()
    simulate(g, min(paths, 10_000), seed=1)  # warm-up: the game's policies and flows by month computed once
    t0 = time.perf_counter()
    want = simulate(g, paths, seed=1)
    t_np = time.perf_counter() - t0
    simulate_on(backend, g, min(paths, 10_000), seed=1)  # warm-up: kernels compiled, the kernel's arrays copied
    _sync(backend)
    clock: dict[str, float] = {}
    t0 = time.perf_counter()
    got = simulate_on(backend, g, paths, seed=1, clock=clock)
    _sync(backend)
    t_dev = time.perf_counter() - t0
    host = clock["host draws"]
    same = {
        name: bool(np.array_equal(getattr(want, name), getattr(got, name)))
        for name in ("occupancy", "test_days", "arsenal_final", "arsenal_q", "type_count")
    }
    d_arsenal = float(np.max(np.abs(want.arsenal_final.astype(float) - got.arsenal_final)))
    d_occ = float(np.max(np.abs(want.occupancy - got.occupancy)))
    rel = max(
        float(np.max(np.abs(getattr(want, v) - getattr(got, v)) / np.maximum(np.abs(getattr(want, v)), 1e-300)))
        for v in ("value_N", "value_N2")
    )
    print(
        f"strategy Monte Carlo, sfs-freeze, {paths} paths, {g.calendar.horizon} months: numpy {t_np:.2f} s, device "
        f"{t_dev:.2f} s ({t_np / t_dev:.1f}×) of which host draws and copies {host:.2f} s, the rest {t_dev - host:.2f} "
        f"s; max |Δ arsenal| {d_arsenal:.2e}, max |Δ state count| {d_occ:.0f}, max relative Δ payoff sums {rel:.1e}; "
        f"identical: {', '.join(k for k, v in same.items() if v) or 'none'}"
    )
    return all(same.values()) and rel <= 1e-12


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--strict", action="store_true", help="array-api-strict on the CPU instead of a GPU")
    ap.add_argument("--problems", type=int, default=100_000, help="problems in the one-round measurement")
    ap.add_argument("--actors", type=int, default=8)
    ap.add_argument("--draws", type=int, default=100_000, help="draws of the korea-2019 ensemble")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--strategy-paths", type=int, default=1_000_000, help="paths of the strategy Monte Carlo")
    ap.add_argument("--part", choices=("all", "eu", "strategy"), default="all", help="which measurements to run")
    a = ap.parse_args(argv)

    from detente.errors import ParameterError
    from detente.execution.device import Backend, resolve, use
    from detente.models import _eu_kernel as K
    from detente.models import _eu_xp as X
    from detente.uncertainty import ensemble

    if a.strict:
        import array_api_strict

        backend = Backend(array_api_strict, name="array-api-strict (CPU)")
    else:
        try:
            backend = resolve(a.device)
        except ParameterError as e:
            raise SystemExit(f"bench_device: {e}") from None
        if backend is None:
            raise SystemExit("bench_device: --device cpu: nothing to compare (give cuda, or --strict)")
    print(f"backend: {backend.name}; numpy {np.__version__} on the CPU")
    opts: dict[str, Any] = dict(
        p_success="eq31", reverse_salience="target", risk_perspective="own", Q=1.0, offer_selection="least_move",
        conflict="full_move", capitulation="full_move", zero=1e-12, same=1e-9,
    )  # fmt: skip
    ok = True
    if a.part in ("all", "strategy"):
        ok &= _strategy(backend, a.strategy_paths)
    if a.part == "strategy":
        print(f"agreement: {ok}")
        return 0 if ok else 1

    args = _problems(a.problems, a.actors)
    t_cpu = []
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        want = K.play_round(*args, **opts)
        t_cpu.append(time.perf_counter() - t0)
    dev = [backend.asarray(v) for v in args]
    X.play_round(backend.xp, *dev, **opts)  # warm-up: kernels compiled, memory pool filled
    _sync(backend)
    t_dev, t_copy = [], []
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        X.play_round(backend.xp, *dev, **opts)
        _sync(backend)
        t_dev.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        got = X.play_round_on(backend, *args, **opts)
        t_copy.append(time.perf_counter() - t0)
    diff = float(np.max(np.abs(got[0] - want[0])))
    same = all(np.array_equal(u, v) for u, v in zip(want[1:3], got[1:3], strict=True))
    ok &= diff <= 1e-9 and same
    print(
        f"one round, {a.problems} problems × {a.actors} actors: numpy {min(t_cpu):.3f} s, device {min(t_dev):.3f} s "
        f"({min(t_cpu) / min(t_dev):.1f}×), with copies {min(t_copy):.3f} s ({min(t_cpu) / min(t_copy):.1f}×); "
        f"max |Δ position| {diff:.2e}, kinds and proposers identical: {same}"
    )

    ensemble("korea-2019", "expected-utility", draws=min(a.draws, 1000), seed=1, progress=False)  # warm-up
    t0 = time.perf_counter()
    here = ensemble("korea-2019", "expected-utility", draws=a.draws, seed=1, progress=False)
    t_here = time.perf_counter() - t0
    with use(backend):
        ensemble("korea-2019", "expected-utility", draws=min(a.draws, 1000), seed=1, progress=False)  # warm-up
        t0 = time.perf_counter()
        there = ensemble("korea-2019", "expected-utility", draws=a.draws, seed=1, progress=False)
        t_there = time.perf_counter() - t0
    diff = float(np.max(np.abs(here.outcomes - there.outcomes)))
    ok &= diff <= 1e-9
    print(
        f"ensemble korea-2019 expected-utility, {a.draws} draws: CPU {t_here:.2f} s, device {t_there:.2f} s "
        f"({t_here / t_there:.1f}×); max |Δ outcome| {diff:.2e}; rounds identical: "
        f"{bool(np.array_equal(here.rounds, there.rounds))}"
    )
    print(f"agreement within 1e-9: {ok}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
