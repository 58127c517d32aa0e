"""The expected-utility and exchange kernels keep their numbers bit for bit: SHA-256 digests of every output of
random scenarios (and korea-2019), per parameter set, against digests saved from a reviewed version of the code
(``tests/data/kernel_goldens.json``).

Any change to a kernel that changes one bit of an outcome, a trajectory, a status, a round count, an array or a
table fails here, whatever the tolerance of the other tests. Regenerate the file only from code whose numbers are
known to be right: ``PYTHONPATH=src python tests/test_kernel_goldens.py --write``. The file names the numpy release it was
saved under; under another release the digests are not compared (bit patterns differ between numpy releases).

Digests are taken per output; arrays and tables are compared as a set of contents (so that renaming an output
does not hide a change of numbers, and a change of numbers is never blamed on a name).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import sys
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import detente
from detente.models import get
from detente.scenario.arrays import ScenarioArrays, to_arrays
from detente.uncertainty.perturb import draw as perturbed

GOLDEN = Path(__file__).parent / "data" / "kernel_goldens.json"
PER_SET = 20  # random scenarios per model and parameter set

EU_SETS: dict[str, dict[str, Any]] = {
    "default": {"preset": "default"},
    "scholz_compat": {"preset": "scholz_compat"},
    "net-enforceable": {
        "p_success": "net",
        "offer_selection": "most_enforceable",
        "reverse_salience": "printed",
        "risk_perspective": "mover",
        "Q": 0.7,
        "range": "dynamic",
        "conflict": "no_move",
        "max_rounds": 40,
    },
    "scholz-code-mean": {
        "offer_selection": "scholz_code",
        "risk_perspective": "mover",
        "capitulation": "no_move",
        "range": "scale",
        "stable_rounds": 3,
        "outcome": "mean",
        "Q": 0.9,
        "max_rounds": 40,
    },
}
EX_SETS: dict[str, dict[str, Any]] = {
    "default": {"preset": "default", "max_rounds": 4},
    "decide_compat": {"preset": "decide_compat", "max_rounds": 4, "tol": 0.05},
    "rex": {"p": 0.3, "max_rounds": 3},
    "rex-decide": {"preset": "decide_compat", "p": 1.0, "max_rounds": 3, "tol": 0.5},
}


def _random(model: str, k: int) -> ScenarioArrays:
    """Scenario ``k`` of a model's random set: ties (positions on a grid), absent actors, saliences 0 and 1, and
    sizes that take every path of the kernels (one problem to hundreds, 1 to 30 actors)."""
    rng = np.random.default_rng(1000 * (model == "exchange") + k)
    if model == "exchange":
        B, n, m = int(rng.integers(1, 6)), int(rng.integers(2, 9)), int(rng.integers(2, 5))
    else:
        B = int(rng.choice([1, 2, 5, 20, 45]))
        n = int(rng.choice([1, 2, 3, 5, 8, 12, 24, 27]))
        m = int(rng.integers(1, 4))
    if k % 2:
        pos = rng.integers(0, 6, (B, n, m)).astype(float) * 20.0
    else:
        pos = rng.uniform(0.0, 100.0, (B, n, m))
    sal = rng.uniform(0.05, 1.0, (B, n, m))
    sal[rng.random((B, n, m)) < 0.1] = 0.0 if model == "expected-utility" else 1.0
    sal[rng.random((B, n, m)) < 0.1] = 1.0
    cap = rng.uniform(0.1, 10.0, (B, n, m))
    mask = rng.random((B, n, m)) > 0.12
    mask[:, :2] = True
    actors = tuple(f"a{j}" for j in rng.permutation(n))
    return ScenarioArrays.from_numpy(pos, sal, cap, mask=mask, lower=0.0, upper=100.0, actors=actors)


@cache
def _korea(draws: int) -> ScenarioArrays:
    scenario = detente.load("korea-2019")
    return to_arrays(scenario) if draws == 1 else perturbed(scenario, draws=draws, seed=3)


def cases() -> list[tuple[str, str, dict[str, Any], str, int]]:
    """(case id, model, parameters, scenario kind, index)."""
    out = []
    for model, sets in (("expected-utility", EU_SETS), ("exchange", EX_SETS)):
        short = "eu" if model == "expected-utility" else "ex"
        for name, prm in sets.items():
            out += [
                (f"{short}-{name}-korea1", model, prm, "korea", 1),
                (f"{short}-{name}-korea40", model, prm, "korea", 40),
            ]
            out += [(f"{short}-{name}-{k:02d}", model, prm, "random", k) for k in range(PER_SET)]
    return out


def _h(*parts: bytes) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
    return h.hexdigest()[:16]


def _array(a: Any) -> str:
    a = np.asarray(a)
    if a.dtype == object:
        return _h(repr(a.shape).encode(), "\x1f".join(map(str, a.ravel())).encode())
    return _h(a.dtype.str.encode(), repr(a.shape).encode(), np.ascontiguousarray(a).tobytes())


def _frame(df: Any) -> str:
    parts = [repr(df.shape).encode(), "\x1f".join(map(str, df.columns)).encode()]
    for col in df.columns:
        v = df[col]
        if v.dtype.kind in "biuf":
            parts.append(v.dtype.str.encode() + np.ascontiguousarray(v.to_numpy()).tobytes())
        else:
            parts.append("\x1f".join(map(str, v.tolist())).encode())
    return _h(*parts)


def digests(sol: Any) -> dict[str, Any]:
    """Digests of a forecast's outputs: the four results by name, arrays and tables as one digest of their sorted
    contents each."""
    out: dict[str, Any] = {k: _array(getattr(sol, k)) for k in ("outcomes", "trajectory", "status", "rounds")}
    out["arrays"] = _h(*sorted(_array(v).encode() for v in (sol.arrays or {}).values()))
    out["tables"] = _h(*sorted(_frame(v).encode() for v in (sol.tables or {}).values()))
    return out


def run(model: str, prm: dict[str, Any], kind: str, k: int) -> dict[str, Any]:
    arrays = _korea(k) if kind == "korea" else _random(model, k)
    return digests(get(model, **prm).solve(arrays, seed=11))


ROUND_SHAPES = [
    (n, P, Q) for n in (1, 2, 5, 9, 24, 27, 40) for P in ((3, 48, 300) if n <= 24 else (3, 40)) for Q in (1.0, 0.6)
]


def eu_round(n: int, P: int, Q: float) -> str:
    """One digest of ``play_round``'s four outputs on (P, n) random problems under every combination of options."""
    from detente.models import _eu_kernel as K

    rng = np.random.default_rng(7 * n + P)
    x = rng.integers(0, 6, (P, n)).astype(float) * 20.0
    x[: P // 3] = rng.uniform(0.0, 100.0, (P // 3, n))
    w = rng.uniform(0.1, 10.0, (P, n))
    s = rng.choice([0.0, 0.3, 0.5, 1.0], (P, n))
    mask = rng.random((P, n)) > 0.15
    mask[:, 0] = True
    mask[-2:] = True
    hi = np.max(np.where(mask, x, -np.inf), axis=1)
    lo = np.min(np.where(mask, x, np.inf), axis=1)
    R = np.where(hi - lo > 0, hi - lo, 1.0)
    mu = K.weighted_median(x, w, mask)
    parts = []
    combos = itertools.product(
        ["eq31", "net", "global"],
        ["target", "printed"],
        ["own", "mover"],
        ["least_move", "most_enforceable", "scholz_code"],
        ["full_move", "no_move"],
    )
    for k, opts in enumerate(combos):  # capitulation alternates: each of its values meets every other option
        keys = ("p_success", "reverse_salience", "risk_perspective", "offer_selection", "conflict", "capitulation")
        out = K.play_round(
            x, w, s, mask, R, mu, Q=Q, zero=1e-12, **dict(zip(keys, (*opts, ("full_move", "no_move")[k % 2])))
        )
        parts += [_array(a).encode() for a in out]
    return _h(*parts)


@cache
def _saved() -> dict[str, Any]:
    return json.loads(GOLDEN.read_text())


def _numpy() -> str:
    """numpy's major.minor version: the digests are bit patterns, which differ between numpy releases (SIMD loops,
    summation order), so they are compared only under the release they were saved with (``"numpy"`` in the file)."""
    return ".".join(np.__version__.split(".")[:2])


def _same_numpy() -> None:
    saved = _saved()["numpy"]
    if _numpy() != saved:
        pytest.skip(f"the digests were saved under numpy {saved}, this is numpy {np.__version__}: bit patterns differ "
                    f"between numpy releases, so bit identity is checked under numpy {saved} only")


@pytest.mark.parametrize(("case", "model", "prm", "kind", "k"), cases(), ids=[c[0] for c in cases()])
def test_kernel_outputs_match_saved_digests(case, model, prm, kind, k):
    _same_numpy()
    want = _saved()[case]
    got = run(model, prm, kind, k)
    for key in ("outcomes", "trajectory", "status", "rounds", "arrays", "tables"):
        assert got[key] == want[key], f"{case}: {key} differs from the saved digest"


@pytest.mark.parametrize(("n", "P", "Q"), ROUND_SHAPES)
def test_expected_utility_round_matches_saved_digest(n, P, Q):
    _same_numpy()
    assert eu_round(n, P, Q) == _saved()[f"eu-round-{n}-{P}-{Q}"]


def test_golden_file_covers_every_case():
    assert sorted(set(_saved()) - {"numpy"}) == sorted([c[0] for c in cases()] + [f"eu-round-{n}-{P}-{Q}" for n, P, Q in ROUND_SHAPES])
    assert len(cases()) == 2 * 4 * (PER_SET + 2)


if __name__ == "__main__":
    if "--write" not in sys.argv:
        sys.exit("usage: python tests/test_kernel_goldens.py --write  (from code whose numbers are known to be right)")
    rows = [f'"numpy": "{_numpy()}"']
    rows += [f"{json.dumps(c[0])}: {json.dumps(run(*c[1:]), sort_keys=True)}" for c in cases()]
    rows += [f'"eu-round-{n}-{P}-{Q}": "{eu_round(n, P, Q)}"' for n, P, Q in ROUND_SHAPES]
    GOLDEN.write_text("{\n" + ",\n".join(rows) + "\n}\n")
    print(f"wrote {GOLDEN} ({len(cases())} cases)")
