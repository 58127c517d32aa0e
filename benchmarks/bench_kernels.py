"""CPU time of the expected-utility and exchange round kernels on fixed workloads, to compare two checkouts.

    PYTHONPATH=OLD/src python benchmarks/bench_kernels.py --out old.json
    PYTHONPATH=src python benchmarks/bench_kernels.py --out new.json --compare old.json

Workloads: korea-2019 solved once with its full output (per preset), batches of perturbed korea-2019 draws solved
with only their final state (what an ensemble keeps), and wide one-issue scenarios of 50 and 100 random actors.
Each figure is the best CPU time (``time.process_time``) of ``--repeat`` runs, because the machines this runs on are
often shared; the load average is printed beside it. ``--compare`` prints the ratio old / new per workload (above 1:
the new code is faster) and exits non-zero when a workload is more than ``--slack`` slower. A digest of every
workload's outcomes is printed too, so that two checkouts can be seen to compute the same numbers.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import detente
from detente.models import get
from detente.scenario.arrays import ScenarioArrays, to_arrays
from detente.uncertainty.perturb import draw


def _final(model: Any, arrays: ScenarioArrays, seed: int = 1) -> Any:
    """The run an ensemble makes: final state only (whichever spelling this checkout has)."""
    try:
        return model.solve(arrays, seed=seed, keep="final")
    except TypeError:
        return model.solve_final(arrays, seed=seed) if model.name == "exchange" else model.solve_final(arrays)


def _wide(n: int, seed: int) -> ScenarioArrays:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 100, n)
    return ScenarioArrays.from_numpy(
        x[:, None], rng.uniform(0.05, 1.0, n)[:, None], rng.uniform(0.1, 10.0, n), lower=0.0, upper=100.0
    )


def workloads(quick: bool) -> dict[str, Callable[[], Any]]:
    korea = to_arrays(detente.load("korea-2019"))
    batch = {B: draw(detente.load("korea-2019"), draws=B, seed=7) for B in ((1000,) if quick else (1000, 10_000))}
    eu = {p: get("expected-utility", preset=p) for p in ("default", "scholz_compat")}
    ex = {p: get("exchange", preset=p) for p in ("default", "decide_compat")}
    rex = get("exchange", p=0.5)
    out: dict[str, Callable[[], Any]] = {}
    for p, m in eu.items():
        out[f"eu {p} korea-2019 single"] = lambda m=m: m.solve(korea)
        for B, arr in batch.items():
            if p == "default" or B == 1000:
                out[f"eu {p} korea-2019 {B} draws"] = lambda m=m, arr=arr: _final(m, arr)
    for n in (50, 100):
        w = _wide(n, n)
        for p in ("default", "scholz_compat"):
            m = get("expected-utility", preset=p, max_rounds=10, tol=0.0, stop_on_cycle=False)
            out[f"eu {p} {n} actors 10 rounds"] = lambda m=m, w=w: m.solve(w)
    for p, m in ex.items():
        out[f"exchange {p} korea-2019 single"] = lambda m=m: m.solve(korea, seed=1)
        out[f"exchange {p} korea-2019 200 draws"] = lambda m=m: _final(m, batch[1000].take(list(range(200))))
    out["exchange rex p=0.5 korea-2019 single"] = lambda: rex.solve(korea, seed=1)
    out["exchange rex p=0.5 korea-2019 50 draws"] = lambda: _final(rex, batch[1000].take(list(range(50))))
    if not quick:
        out["exchange default korea-2019 1000 draws"] = lambda: _final(ex["default"], batch[1000])
    return out


def digest(sol: Any) -> str:
    h = hashlib.sha256()
    for a in (sol.outcomes, sol.trajectory, sol.rounds):
        h.update(np.ascontiguousarray(a).tobytes())
    h.update("|".join(map(str, np.asarray(sol.status).ravel())).encode())
    return h.hexdigest()[:12]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="skip the 10,000-draw and 1,000-draw exchange workloads")
    ap.add_argument("--only", default="", help="run only workloads whose name contains this text")
    ap.add_argument("--out", help="write the figures as JSON here")
    ap.add_argument("--compare", help="JSON of another checkout's run: print old / new ratios")
    ap.add_argument("--slack", type=float, default=0.1, help="allowed slowdown in --compare (default 10 %%)")
    a = ap.parse_args(argv)
    res: dict[str, dict[str, Any]] = {}
    for name, fn in workloads(a.quick).items():
        if a.only not in name:
            continue
        sol = fn()  # warm-up (imports, caches)
        best = float("inf")
        for _ in range(a.repeat):
            t = time.process_time()
            fn()
            best = min(best, time.process_time() - t)
        res[name] = {"cpu_s": best, "digest": digest(sol), "load": os.getloadavg()[0]}
        print(f"{name:45s} {best * 1e3:10.1f} ms CPU  digest {res[name]['digest']}  load {res[name]['load']:.2f}")
    if a.out:
        with open(a.out, "w") as fh:
            json.dump(res, fh, indent=1)
    if not a.compare:
        return 0
    with open(a.compare) as fh:
        old = json.load(fh)
    bad = 0
    for name, r in res.items():
        if name in old:
            ratio = old[name]["cpu_s"] / r["cpu_s"]
            same = "same numbers" if old[name]["digest"] == r["digest"] else "NUMBERS DIFFER"
            print(f"{name:45s} old/new {ratio:5.2f}  {same}")
            bad += ratio < 1.0 - a.slack or old[name]["digest"] != r["digest"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
