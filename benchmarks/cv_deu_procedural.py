"""Does the procedure help ``snap-compromise`` on DEU? Win-sets and the agenda setter (Steunenberg 1994; Tsebelis &
Garrett 2000; Crombez 1996) as ingredients, each and their choice scored by cross-validation grouped by proposal.

    python benchmarks/cv_deu_procedural.py                       # ../shared/data/deu/deu3_dev.csv, vote weights
    python benchmarks/cv_deu_procedural.py PATH --repeats 20 --folds 10

Per issue, ``detente.models.procedural`` gives (nothing fitted) the reference point's win-set W under the proposal's
Council voting rule — the treaty's QMV quota over its total vote weight in force at the decision (``detente.scenario.
council``), or unanimity — intersected with the Parliament's under codecision, and the setter's point: the
Commission's position clipped to W and the amendment-proof (Pareto) set. The candidates of this round, each on top of
``snap-compromise`` whose three parameters (``benchmarks/cv_deu.py``'s grid, 770 points) are chosen on the training
proposals together with anything else:

- ``snap, clipped to the win-set`` — snap-compromise's forecast clipped into W (the decisive coalition must prefer
  the act to the reference point); unchanged where there is no reference point.
- ``snap, clipped to the setter's set`` — clipped into W ∩ the Pareto set, the interval the setter proposes from.
- ``clip, then snap`` — core-compromise clipped into W, then moved onto the nearest position voiced within the
  radius (the coalition's constraint first, the text second).
- ``snap + setter`` — convex combination (1 − β) · snap-compromise + β · the setter's point, one weight β in
  0–0.5 (steps of 0.05).

Reported: each candidate alone (its parameters chosen on each outer split's training proposals), and the nested
choice among ``snap-compromise`` and the four (an inner grouped 5-fold CV on the training proposals picks one), the
honest figure for "try these, keep the best". Grouped 10-fold CV × ``--repeats`` (the outer splits of
``benchmarks/cv_deu.py``, same seed); SEs clustered by proposal, differences paired on the same issues. With
``--diagnostics`` also in-sample counts: how often the outcome lies in W, and where W is only the reference point.

The DEU file is third-party data (see its SOURCE.md); it is read from where it lies, never copied.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from cv_deu import RADII, add_common_args, clustered_se, core_grid, data_missing, scored_proposals
from cv_deu_families import fit_family, nested, print_picks, print_table
from detente.models import get
from detente.models.core_compromise import issue_weights
from detente.models.procedural import acceptable_set, council_weights, proposal_rules, setter_outcome
from detente.models.snap_compromise import snap_to_positions
from detente.scenario.arrays import to_arrays
from detente.scenario.deu import read_deu

BETAS = tuple(round(0.05 * k, 2) for k in range(11))


def load(path: Path, capability: str) -> dict[str, np.ndarray]:
    """Per scored issue: proposal, outcome, compromise, the procedural quantities and the candidates' tables
    (issues, 770): snap-compromise, and the clipped variants, radius varying slowest as in ``cv_deu.py``."""
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("proposal", "observed", "compromise", "rp", "win_lower",
                                                         "win_upper", "feasible_lower", "feasible_upper", "setter",
                                                         "snap", "snap_clip", "snap_feasible", "clip_snap", "cod",
                                                         "qmv")}  # fmt: skip
    for p, a, keep in scored_proposals(path, capability):
        quota, cod = proposal_rules(p)
        votes = council_weights(p)
        s = acceptable_set(a, quota, cod, weights=votes)
        sp = setter_outcome(a, quota, cod, weights=votes)[0, keep]
        w = issue_weights(a)
        core = core_grid(a.position, w, a.mask)[keep].T  # (110, k)
        x, mask = a.position[0][:, keep][None], a.mask[0][:, keep][None]
        width = (a.upper - a.lower)[keep]
        wl = np.nan_to_num(s["win_lower"][0, keep], nan=-np.inf)
        wh = np.nan_to_num(s["win_upper"][0, keep], nan=np.inf)
        fl, fh = s["feasible_lower"][0, keep], s["feasible_upper"][0, keep]
        snap = np.concatenate([snap_to_positions(core, x, mask, r * width) for r in RADII])  # (770, k)
        clipped_core = np.clip(core, wl, wh)
        cols["snap"].append(snap.T)
        cols["snap_clip"].append(np.clip(snap, wl, wh).T)
        cols["snap_feasible"].append(np.clip(snap, fl, fh).T)
        cols["clip_snap"].append(np.concatenate([snap_to_positions(clipped_core, x, mask, r * width)
                                                 for r in RADII]).T)  # fmt: skip
        k = len(keep)
        cols["proposal"].append(np.array([p.proposal] * k))
        cols["observed"].append(np.array([p.scenario.observed[a.issues[j]] for j in keep], float))
        cols["compromise"].append(get("compromise").solve(a).outcomes[0, keep])
        cols["rp"].append(a.status_quo[0, keep])
        for key in ("win_lower", "win_upper", "feasible_lower", "feasible_upper"):
            cols[key].append(s[key][0, keep])
        cols["setter"].append(sp)
        cols["cod"].append(np.full(k, cod))
        cols["qmv"].append(np.full(k, quota < 1))
    return {k: np.concatenate(v) for k, v in cols.items()}


def tables(d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The candidates' forecast tables (issues, parameter sets)."""
    blend = np.concatenate([(1 - b) * d["snap"] + b * d["setter"][:, None] for b in BETAS], axis=1)
    return {"snap-compromise": d["snap"], "snap, clipped to the win-set": d["snap_clip"],
            "snap, clipped to the setter's set": d["snap_feasible"], "clip, then snap": d["clip_snap"],
            "snap + setter": blend}  # fmt: skip


def absent_support_winsets(path: Path) -> tuple[int, int, int]:
    """A sensitivity reading, not a candidate: members without a position (or salience 0) do not block but count for
    any change against the treaty's quota of the whole Council (unanimity: every member taking part). Per scored issue
    with a reference point, the win-set [min(q, 2R − q), max(q, 2L − q)] with R, L the positions where the members
    taking part, sorted up (down), first reach the weight still needed. Returns (issues with a reference point, win-set
    only q, outcome inside)."""
    from detente.scenario.council import LISBON_START, REGIMES, regime_at

    has = point = inside = 0
    for p in read_deu(path):
        a, (quota, _) = to_arrays(p.scenario), proposal_rules(p)
        date = p.decision_date
        regime = REGIMES[0] if date is None else regime_at(date) if date < LISBON_START else REGIMES[-1]
        votes, member = council_weights(p), np.array([i not in ("com", "ep") for i in a.actors])
        for j, iid in enumerate(a.issues):
            q = a.status_quo[0, j]
            if iid not in p.scenario.observed or np.isnan(q):
                continue
            take = a.mask[0, :, j] & (a.salience[0, :, j] > 0) & member
            x, v = a.position[0, take, j], votes[take]
            need = quota * regime.total - (regime.total - v.sum()) if quota < 1 else v.sum()
            lo, hi = -np.inf, np.inf
            if need > 0 and v.size:
                o = np.argsort(x)
                right = x[o][np.argmax(np.cumsum(v[o]) >= need * (1 - 1e-9))]
                left = x[o][::-1][np.argmax(np.cumsum(v[o][::-1]) >= need * (1 - 1e-9))]
                lo, hi = min(q, 2 * right - q), max(q, 2 * left - q)
            y = p.scenario.observed[iid]
            has, point, inside = has + 1, point + (hi - lo < 1e-9), inside + (lo - 1e-9 <= y <= hi + 1e-9)
    return has, point, inside


def diagnostics(d: dict[str, np.ndarray], path: Path) -> None:
    """In-sample: where the outcome lies relative to the win-set (nothing fitted)."""
    y, rp = d["observed"], d["rp"]
    has = ~np.isnan(rp)
    point = has & (d["win_upper"] - d["win_lower"] < 1e-9)
    inside = has & (y >= d["win_lower"] - 1e-9) & (y <= d["win_upper"] + 1e-9)
    print(
        f"reference point on {has.sum()} issues; win-set only the reference point (it lies in the Council's core) "
        f"on {point.sum()}; the outcome in the win-set on {inside.sum()} ({(inside & point).sum()} of them where the "
        f"win-set is only the reference point, {(inside & ~point).sum()} of the {(has & ~point).sum()} others)"
    )
    for label, g in (("codecision", d["cod"] == 1), ("consultation", d["cod"] == 0), ("QMV", d["qmv"] == 1),
                     ("unanimity", d["qmv"] == 0)):  # fmt: skip
        g = g & has
        print(f"  {label:12s}: {g.sum():3d} issues with a reference point, win-set only it on {(g & point).sum():3d}, "
              f"outcome inside on {(g & inside).sum():3d}")  # fmt: skip
    n, pt, ins = absent_support_winsets(path)
    print(f"read the other way (members without a position count for any change against the whole Council's quota): "
          f"win-set only the reference point on {pt} of {n}, outcome inside on {ins}")  # fmt: skip
    e_set = np.abs(d["setter"] - y)
    print(f"the setter's point alone: MAE {e_set.mean():.2f} (SE {clustered_se(e_set, d['proposal']):.2f})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(ap, "capability rule of the compromise models (the win-sets use the treaty's vote weights)")
    ap.add_argument("--diagnostics", action="store_true", help="also where the outcomes lie relative to the win-set")
    a = ap.parse_args(argv)
    if data_missing(a.path, "docs/procedural.md"):
        return 0
    t0 = time.perf_counter()
    d = load(a.path, a.capability)
    y = d["observed"]
    ec = np.abs(d["compromise"] - y)
    print(
        f"capability rule {a.capability!r} (win-sets: the treaty's vote weights); {y.size} issues of "
        f"{np.unique(d['proposal']).size} proposals; grouped {a.folds}-fold CV × {a.repeats} repeats (seed {a.seed})"
    )
    print(f"{'compromise (nothing fitted)':38s} MAE {ec.mean():6.2f} ({clustered_se(ec, d['proposal']):.2f})")
    if a.diagnostics:
        diagnostics(d, a.path)
    fitters = {}
    for name, table in tables(d).items():
        err = np.abs(table - y[:, None])
        fitters[name] = lambda train, rng, t=table, e=err: fit_family((t, None), e, train)
    res = nested(d, fitters, a.folds, a.repeats, a.seed)
    single = res["single"]
    assert isinstance(single, dict)
    print_table(d, res, single, "snap-compromise", f"choice among the {len(fitters)} (nested)", 38, 6)
    blend = tables(d)["snap + setter"]
    best = int(np.argmin(np.abs(blend - y[:, None]).mean(axis=0)))
    print(f"snap + setter fitted on all issues: β = {BETAS[best // d['snap'].shape[1]]:g} "
          f"(in-sample MAE {np.abs(blend[:, best] - y).mean():.2f})")  # fmt: skip
    print_picks(res, "chosen by the inner CV: ")
    print(f"({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
