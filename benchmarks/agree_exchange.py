"""Agreement of ``exchange`` with decide-exchange-model 2025.3.1 on random inputs, round 1, exchange by exchange.

    python benchmarks/agree_exchange.py                       # 40 small + 20 larger random inputs
    python benchmarks/agree_exchange.py --small 10 --large 5 --preset default

Each input is written in the tagged ``#A/#P/#M/#D`` format from ``random.Random(seed)`` (positions, saliences and
powers drawn uniformly, about 10% of actor-issue rows left out), run through the package as a black box in its own
environment (see ``bench_exchange.py`` for the install) and through detente with the chosen preset. An input agrees
when both realise the same exchanges in the same order (actor pair, supply issues, gain to 1e-7) up to detente's
first tie (candidates with equal gains), and the same gain at the tie. The package breaks exact ties by an unseeded
coin flip and detente by sorted ids, so beyond a tie the lists may part by chance: inputs with a tie are compared
only up to it (and counted apart).
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

import detente
from bench_exchange import DECIDE_PYTHON
from detente.models import get
from detente.scenario.arrays import to_arrays

Key = tuple[frozenset[tuple[str, str]], float]


def write_input(path: Path, seed: int, actors: tuple[int, int], issues: tuple[int, int]) -> None:
    rnd = random.Random(seed)
    n, m = rnd.randint(*actors), rnd.randint(*issues)
    lines = ["#/;random input for the agreement check;;;;"]
    lines += [f"#A;A{i};A{i};;;" for i in range(n)] + [f"#P;I{j};I{j};;;" for j in range(m)]
    lines += [f"#M;I{j};{v};{v};;" for j in range(m) for v in (0, 100)]
    for i in range(n):
        for j in range(m):
            x, s, c = rnd.uniform(0, 100), rnd.uniform(0.1, 1), rnd.uniform(0.05, 1)
            if rnd.random() > 0.1:
                lines.append(f"#D;A{i};I{j};{x:.3f};{s:.3f};{c:.3f};")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def package_list(path: Path) -> list[Key]:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [str(DECIDE_PYTHON), "-m", "decide.cli", "--input-file", str(path.resolve()), "-i", "1"]
        cmd += ["--output-dir", tmp, "--name", "t", "--database", ":memory:"]
        subprocess.run(cmd, cwd=tmp, capture_output=True, check=True)
        files = sorted(Path(tmp).glob("t/**/round.1.*.csv"))
        if not files:
            return []
        df = pd.read_csv(files[0], sep=";", header=None, skiprows=1)
    return [
        (frozenset({(str(r[0]), str(r[1]).split(" [")[0]), (str(r[22]), str(r[23]).split(" [")[0])}), float(r[16]))
        for r in df.itertuples(index=False)
    ]


def detente_list(path: Path, preset: str) -> tuple[list[Key], int | None]:
    """detente's round-1 list and the position (1-based) of its first tie, if any."""
    fc = get("exchange", preset=preset, max_rounds=1).solve(to_arrays(detente.load(str(path))))
    ex = fc.tables["exchanges"]
    keys = [(frozenset({(r.actor_1, r.supply_1), (r.actor_2, r.supply_2)}), float(r.gain)) for r in ex.itertuples()]
    ties = fc.info["ties"]
    return keys, (ties[0]["order"] if ties else None)


def agree(package: list[Key], mine: list[Key], first_tie: int | None) -> bool:
    """Same exchanges in the same order up to the first tie (all of them without one); the same gain at the tie."""
    k = len(mine) if first_tie is None else first_tie - 1
    if (first_tie is None and len(package) != len(mine)) or len(package) <= k - (first_tie is None):
        return False
    same = all(k1 == k2 and abs(g1 - g2) < 1e-7 for (k1, g1), (k2, g2) in zip(package[:k], mine[:k]))
    return same and (first_tie is None or abs(package[k][1] - mine[k][1]) < 1e-7)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small", type=int, default=40, help="inputs of 3–7 actors × 2–4 issues (seeds 1…)")
    ap.add_argument("--large", type=int, default=20, help="inputs of 8–14 actors × 4–7 issues (seeds 200…)")
    ap.add_argument("--preset", default="decide_compat")
    a = ap.parse_args(argv)
    if not DECIDE_PYTHON.exists():
        print(f"skipped: {DECIDE_PYTHON} not found (see bench_exchange.py for the install)")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        for label, count, first, actors, issues in (
            ("small", a.small, 1, (3, 7), (2, 4)),
            ("large", a.large, 200, (8, 14), (4, 7)),
        ):
            same, differ, tied = 0, [], 0
            for seed in range(first, first + count):
                path = Path(tmp) / f"r{seed}.csv"
                write_input(path, seed, actors, issues)
                mine, first_tie = detente_list(path, a.preset)
                tied += first_tie is not None
                if agree(package_list(path), mine, first_tie):
                    same += 1
                else:
                    differ.append(seed)
            print(
                f"{label}: {same} of {count} inputs agree exchange by exchange ({a.preset}; {tied} of them compared "
                f"only up to their first tie); differ: {differ}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
