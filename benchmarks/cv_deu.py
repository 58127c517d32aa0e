"""Out-of-sample error of ``core-compromise`` against ``compromise`` on DEU: nested cross-validation grouped by proposal.

    python benchmarks/cv_deu.py                                   # ../shared/data/deu/deu3_dev.csv, vote weights
    python benchmarks/cv_deu.py PATH --capability shapley-shubik --repeats 20 --folds 10 --with-eu
    python benchmarks/cv_deu.py --snap                            # also snap-compromise (its three parameters)
    python benchmarks/cv_deu.py --snap --waves                    # also: fitted on one wave, scored on the other

Every issue with an observed outcome is scored. The model's two parameters (``extreme_weight``, ``theta``; with
``--with-eu`` also the weight of a blend with the expected-utility model) are chosen on a grid, and only ever on
training proposals: the outer loop splits the *proposals* into ``--folds`` groups (repeated ``--repeats`` times with
different splits); on each split the grid point with the lowest MAE on the training proposals (which, the grid points
having nothing else fitted, is also their inner cross-validated MAE) forecasts the held-out proposals. Reported: the
out-of-sample MAE of the model and of the compromise model on the same issues, each with its standard error, and
their paired difference with its standard error, all clustered by proposal (issues of one proposal are not
independent); the share of splits that chose each parameter value; and the grid point that fits all the proposals of
the file (the model's shipped defaults). With ``--snap`` the same for ``snap-compromise``, whose grid adds the snap
radius (a share of the 0–100 scale) to the two of ``core-compromise``; its defaults are that full-file fit. With
``--waves`` also a transfer check: each model's parameters fitted on the proposals of one wave (DEU I, 1996–2000;
DEU II–III, 2001 on) and scored on the other's.

The DEU file is third-party data (see its SOURCE.md); it is read from where it lies, never copied.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from detente.models import get
from detente.models.core_compromise import core_compromise, issue_weights
from detente.models.snap_compromise import snap_to_positions
from detente.scenario.arrays import ScenarioArrays, to_arrays
from detente.scenario.deu import DeuProposal, read_deu

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = Path(os.environ.get("DETENTE_SHARED", ROOT.parent / "shared")) / "data" / "deu" / "deu3_dev.csv"
EXTREME_WEIGHTS = (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0)
THETAS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0)
EU_WEIGHTS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3)
RADII = (0.0, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3)
GRID = list(itertools.product(EXTREME_WEIGHTS, THETAS))  # core-compromise's grid, theta varying fastest


def core_grid(position: np.ndarray, weight: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``core-compromise`` at every point of :data:`GRID`, (issues, grid points), from the models' (1, actors,
    issues) positions, weights and mask."""
    return np.stack([core_compromise(position, weight, mask, e, t)[0] for e, t in GRID], axis=1)


def add_common_args(ap: argparse.ArgumentParser,
                    capability_help: str = "capability rule (detente backtest --capability)") -> None:  # fmt: skip
    """The arguments every DEU cross-validation script takes, first: the file, the capability rule, the folds, the
    repeats and the seed of the outer splits."""
    ap.add_argument("path", nargs="?", type=Path, default=DEFAULT, help="a DEU file (either variant)")
    ap.add_argument("--capability", default="vote-weights", help=capability_help)
    ap.add_argument("--folds", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)


def data_missing(path: Path, doc: str = "docs/core-compromise.md") -> bool:
    """Whether the DEU file is absent; if so, says that the run is skipped (the data are not shipped; ``doc`` tells
    where to get them)."""
    if path.exists():
        return False
    print(f"skipped: {path} not found (the DEU data are not shipped; see {doc})")
    return True


def scored_proposals(path: Path, capability: str) -> Iterator[tuple[DeuProposal, ScenarioArrays, list[int]]]:
    """The proposals of the DEU file that have an observed outcome on some issue: each with its arrays and the
    indices of the issues with an outcome (the ones scored), in file order."""
    for p in read_deu(path, capability=capability):
        a = to_arrays(p.scenario)
        keep = [j for j, iid in enumerate(a.issues) if iid in p.scenario.observed]
        if keep:
            yield p, a, keep


def load(path: Path, capability: str, with_eu: bool, snap: bool = False) -> dict[str, np.ndarray]:
    """Per scored issue: proposal, outcome, the compromise forecast, the model's forecast at every grid point (with
    ``snap``: also snap-compromise's, at every grid point of core-compromise × radius, radius varying slowest)."""
    eu = get("expected-utility") if with_eu else None
    prop, obs, comp, eu_pred, table, snapped, wave = [], [], [], [], [], [], []
    for p, a, keep in scored_proposals(path, capability):
        w = issue_weights(a)
        preds = core_grid(a.position, w, a.mask)[keep]
        table.append(preds)
        if snap:
            width = (a.upper - a.lower)[keep]
            x, mask = a.position[0][:, keep], a.mask[0][:, keep]
            snapped.append(np.concatenate([snap_to_positions(preds.T, x[None], mask[None], r * width).T
                                           for r in RADII], axis=1))  # fmt: skip
        comp.append(get("compromise").solve(a).outcomes[0, keep])
        if eu is not None:
            eu_pred.append(eu.solve(a).outcomes[0, keep])
        obs += [p.scenario.observed[a.issues[j]] for j in keep]
        prop += [p.proposal] * len(keep)
        wave += [p.wave] * len(keep)
    out = {
        "proposal": np.array(prop),
        "wave": np.array(wave),
        "observed": np.array(obs, float),
        "compromise": np.concatenate(comp),
        "grid": np.concatenate(table),  # (issues, grid points)
        "points": np.array(GRID),
    }
    if with_eu:
        out["eu"] = np.concatenate(eu_pred)
    if snap:
        out["snap"] = np.concatenate(snapped)
        out["snap_points"] = np.array([(e, t, r) for r in RADII for e, t in GRID])
    return out


def snap_data(d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The table as :func:`nested_cv` reads it, for snap-compromise."""
    return d | {"grid": d["snap"], "points": d["snap_points"]}


def candidates(d: dict[str, np.ndarray], with_eu: bool) -> tuple[np.ndarray, list[tuple[float, ...]]]:
    """Forecasts of every candidate parameter set, (issues, candidates), and the sets."""
    if not with_eu:
        return d["grid"], [tuple(map(float, g)) for g in d["points"]]
    cols, sets = [], []
    for beta in EU_WEIGHTS:
        cols.append((1 - beta) * d["grid"] + beta * d["eu"][:, None])
        sets += [(float(e), float(t), beta) for e, t in d["points"]]
    return np.concatenate(cols, axis=1), sets


def clustered_se(err: np.ndarray, groups: np.ndarray) -> float:
    """Standard error of the mean of ``err`` with observations clustered by ``groups`` (sandwich, small-G factor)."""
    _, inv = np.unique(groups, return_inverse=True)
    G = inv.max() + 1
    resid = np.bincount(inv, weights=err - err.mean(), minlength=G)
    return float(np.sqrt(G / (G - 1) * (resid**2).sum()) / err.size)


def nested_cv(d: dict[str, np.ndarray], with_eu: bool, folds: int, repeats: int, seed: int) -> dict[str, object]:
    forecasts, sets = candidates(d, with_eu)
    abs_err = np.abs(forecasts - d["observed"][:, None])
    props = np.unique(d["proposal"])
    oos = np.zeros((repeats, d["observed"].size))
    chosen: list[tuple[float, ...]] = []
    rng = np.random.default_rng(seed)
    for r in range(repeats):
        perm = rng.permutation(props)
        fold_of = {p: k % folds for k, p in enumerate(perm)}
        fold = np.array([fold_of[p] for p in d["proposal"]])
        for k in range(folds):
            train, test = fold != k, fold == k
            best = int(np.argmin(abs_err[train].mean(axis=0)))
            chosen.append(sets[best])
            oos[r, test] = abs_err[test, best]
    e_model = oos.mean(axis=0)  # each issue's out-of-sample error, averaged over the repeated splits
    e_comp = np.abs(d["compromise"] - d["observed"])
    full = int(np.argmin(abs_err.mean(axis=0)))
    return {
        "issues": int(e_model.size),
        "proposals": int(props.size),
        "model_mae": float(e_model.mean()),
        "model_se": clustered_se(e_model, d["proposal"]),
        "compromise_mae": float(e_comp.mean()),
        "compromise_se": clustered_se(e_comp, d["proposal"]),
        "difference": float((e_model - e_comp).mean()),
        "difference_se": clustered_se(e_model - e_comp, d["proposal"]),
        "repeat_maes": oos.mean(axis=1),
        "chosen": chosen,
        "full_fit": sets[full],
        "full_fit_mae": float(abs_err[:, full].mean()),
    }


def transfer(d: dict[str, np.ndarray]) -> list[dict[str, object]]:
    """Fit on one wave's proposals (the grid point with the lowest MAE there), score on the other wave's: per wave
    scored, the parameters, the model's MAE and its SE (clustered by proposal), compromise's MAE, the issues."""
    err = np.abs(d["grid"] - d["observed"][:, None])
    e_comp = np.abs(d["compromise"] - d["observed"])
    out = []
    for w in np.unique(d["wave"]):
        test = d["wave"] == w
        best = int(np.argmin(err[~test].mean(axis=0)))
        out.append({"wave": str(w), "fit": tuple(float(v) for v in d["points"][best]), "mae": float(err[test, best].mean()),
                    "se": clustered_se(err[test, best], d["proposal"][test]), "compromise": float(e_comp[test].mean()),
                    "issues": int(test.sum())})  # fmt: skip
    return out


def print_transfer(d: dict[str, np.ndarray], label: str, names: tuple[str, ...]) -> None:
    for t in transfer(d):
        fit = ", ".join(f"{n}={v:g}" for n, v in zip(names, t["fit"]))  # type: ignore[call-overload]
        print(f"  {label} fitted on the other wave ({fit}), scored on {t['wave']} ({t['issues']} issues): MAE "
              f"{t['mae']:.3f} (SE {t['se']:.3f}); compromise {t['compromise']:.3f}")  # fmt: skip


def report(res: dict[str, object], label: str, names: tuple[str, ...] = ("extreme_weight", "theta", "eu_weight")
           ) -> None:  # fmt: skip
    mae, se = res["model_mae"], res["model_se"]
    cmae, cse = res["compromise_mae"], res["compromise_se"]
    diff, dse = res["difference"], res["difference_se"]
    reps = np.asarray(res["repeat_maes"])
    print(f"{label}: {res['issues']} issues of {res['proposals']} proposals")
    print(f"  out-of-sample MAE  {mae:.3f} (SE {se:.3f}); per repeat {reps.min():.3f}–{reps.max():.3f}")
    print(f"  compromise MAE     {cmae:.3f} (SE {cse:.3f})")
    print(f"  difference         {diff:+.3f} (SE {dse:.3f}), {100 * diff / cmae:+.1f} % of compromise's MAE")
    chosen = res["chosen"]
    assert isinstance(chosen, list)
    for k in range(len(chosen[0])):
        vals, counts = np.unique([c[k] for c in chosen], return_counts=True)
        top = sorted(zip(counts, vals), reverse=True)[:4]
        print(f"  {names[k]} chosen: " + ", ".join(f"{v:g} ({100 * c / len(chosen):.0f} %)" for c, v in top))
    fit = ", ".join(f"{n}={v:g}" for n, v in zip(names, res["full_fit"]))  # type: ignore[arg-type]
    print(f"  fit on all {res['issues']} issues: {fit} (in-sample MAE {res['full_fit_mae']:.3f})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(ap)
    ap.add_argument("--with-eu", action="store_true", help="also blend with the expected-utility model")
    ap.add_argument("--snap", action="store_true", help="also snap-compromise (core-compromise × snap radius)")
    ap.add_argument("--waves", action="store_true", help="also fit on one wave, score on the other")
    a = ap.parse_args(argv)
    if data_missing(a.path):
        return 0
    t0 = time.perf_counter()
    d = load(a.path, a.capability, a.with_eu, a.snap)
    print(f"capability rule {a.capability!r}; grouped {a.folds}-fold CV × {a.repeats} repeats (seed {a.seed})")
    report(nested_cv(d, False, a.folds, a.repeats, a.seed), "core-compromise")
    if a.with_eu:
        report(nested_cv(d, True, a.folds, a.repeats, a.seed), "core-compromise blended with expected-utility")
    if a.snap:
        report(nested_cv(snap_data(d), False, a.folds, a.repeats, a.seed), "snap-compromise",
               ("extreme_weight", "theta", "radius"))  # fmt: skip
    if a.waves:
        print("transfer between waves (one split each way; SE clustered by proposal):")
        print_transfer(d, "core-compromise", ("extreme_weight", "theta"))
        if a.snap:
            print_transfer(snap_data(d), "snap-compromise", ("extreme_weight", "theta", "radius"))
    print(f"({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
