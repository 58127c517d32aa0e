"""Can anything beat ``core-compromise`` on DEU? Model families against compromise, each and their choice nested.

    python benchmarks/cv_deu_families.py                         # ../shared/data/deu/deu3_dev.csv, vote weights
    python benchmarks/cv_deu_families.py PATH --repeats 20 --feature-stacks

Every family below is a set of candidate forecasts per issue with a few parameters on a grid (or, with
``--feature-stacks``, a penalised regression); it is fitted on training proposals only. Two figures per family:

- the family alone: grouped 10-fold cross-validation over proposals, ``--repeats`` times, its parameters chosen on
  each split's training proposals (nested: the held-out proposals never touch the choice);
- "choice of family": on each outer split, an inner grouped 5-fold cross-validation on the training proposals
  picks the family (each family refitted inside every inner split), which is then refitted on all the training
  proposals and forecasts the held-out ones. This is the honest figure for "try these families, keep the best":
  the per-family figures are each honest, but the best of them is not, because picking it is itself a fit.

Standard errors are clustered by proposal (issues of one proposal are not independent); differences are paired on
the same issues. The families (bases: the ``core-compromise`` grid of ``benchmarks/cv_deu.py``, 110 points):

- ``core-compromise`` — the registered model, its two parameters chosen on the grid.
- ``... by procedure / voting rule / bimodality`` — separate parameters for codecision and consultation, for QMV
  and unanimity, or for issues with two distinct positions and with three or more (the position distribution's
  most visible feature; on two-position issues every actor is at an extreme, so only θ acts).
- ``stack`` — convex combination of ``core-compromise`` with ``expected-utility`` (Bueno de Mesquita 1994;
  Scholz et al. 2011) and ``spatial`` (weights 0–0.3 each): the combination of models of Thomson et al. (2006,
  ch. 10) and Schneider, Finke & Bailer (2010), fitted by grouped CV; also split as above.
- ``shrink to 50`` — pull toward the scale's midpoint where the positions are dispersed (weighted standard
  deviation above τ): weight 0–0.5, τ 0–40.
- ``cc + setter`` — convex combination with the procedural point: the Commission's position within what the
  Council's QMV pivot (threshold 0.71 of the Council's capability × salience; under unanimity the member nearest the
  reference point) and, under codecision, the Parliament prefer to the reference point (Steunenberg 1994; Tsebelis
  1994; Tsebelis & Garrett 2000); the reference point where it lies in the Council's core; the Commission's position
  clipped to that core where the reference point is missing.
- ``cc + nash`` — convex combination with the Nash bargaining solution (Achen 2006).
- ``snap clipped to the win-set``, ``snap clipped to the setter's set``, ``clip to the win-set, then snap``, ``snap +
  win-set setter`` — the procedural round (``benchmarks/cv_deu_procedural.py``, docs/procedural.md): ``snap to
  positions`` clipped into the reference point's win-set under the treaty's QMV quota or unanimity with the treaty's
  vote weights (and the Parliament's under codecision), or into its intersection with the amendment-proof set;
  ``core-compromise`` clipped into the win-set, then snapped; blended with the Commission's point in that set
  (``detente.models.procedural``), weight 0–0.5.
- ``snap by procedure``, ``snap by voting rule``, ``snap (also to rp under unanimity)`` — ``snap to positions`` with
  separate parameters for codecision and consultation or for QMV and unanimity, or with the reference point as a
  further target on unanimity proposals only (gridlock where every member is a veto player; Tsebelis 2002).
- ``snap, relative salience`` — each actor's salience divided by the γ-th power of its mean salience over the
  proposal's scored issues (γ = 0, 0.5, 1): the weight under a budget of attention across one proposal, the premise
  of logrolling (Coleman 1966; Stokman & Van Oosten 1994). ``snap, ranks of the positions`` — ``core-compromise``
  on the ranks of the distinct positions, mapped back piecewise linearly (DEU's scales read as ordinal).
- ``snap, presidency weight`` — the weight of the member state holding the Council presidency at the decision date
  (:data:`PRESIDENCIES`) times k = 1–5 (Tallberg 2006; Thomson 2008).
- ``Nash, costly no-agreement`` — ``nash(cost=c, p=p)``: the Nash bargaining solution with the reference point as
  disagreement point, its utility lowered by a cost c of failing to agree (Franchino & Mariotto 2021), c from 0.01 to
  100 and p 1 or 2 (:data:`NASH_COSTS`). It runs from the pure solution, where an actor at the reference point
  vetoes every deal, to the weighted mean (p = 2) or median (p = 1) as c grows.
- ``conditional logit ...`` — the outcome as a choice among the positions voiced or none (McFadden 1974), its
  coefficients by maximum likelihood on the training issues, the forecast the median of that distribution
  (:func:`clogit_fitter`); three sets of features.
- With ``--feature-stacks``: least-absolute-deviation regressions with an L1 penalty (chosen by inner grouped
  5-fold CV; λ from 0 to 100) of the outcome's distance from ``core-compromise`` on the distances of the weighted
  median, the Commission's, the Parliament's and the reference point and the scale's midpoint (``features``), the
  same with separate slopes on two-position issues (``features by bimodality``), and on four interpretable terms:
  Commission, Parliament, reference point, midpoint on two-position issues (``four features``). A missing
  Commission, Parliament or reference point stands at the compromise forecast. These are scored alone, with the same
  outer splits, and are not among the families the nested choice picks from.

The DEU file is third-party data (see its SOURCE.md); it is read from where it lies, never copied.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.optimize import linprog, minimize

from cv_deu import GRID, add_common_args, clustered_se, core_grid, data_missing, scored_proposals
from detente.models import get
from detente.models.core_compromise import _upper_pivot, core_compromise, issue_weights
from detente.models.procedural import acceptable_set, council_weights, proposal_rules, setter_outcome
from detente.models.snap_compromise import snap_to_positions

QMV_THRESHOLD = 0.71  # share of the Council's weight a qualified majority needs (Nice: 232 of 321 votes ≈ 0.72)
BLEND = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3)
SHRINK = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
SPREAD = (0.0, 10.0, 20.0, 30.0, 40.0)
LAMBDAS = (0.0, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
WINSET_BLEND = tuple(round(0.05 * k, 2) for k in range(11))
NASH_COSTS = tuple(f"nash(p={p}, cost={c})" for p in (1, 2) for c in (0.01, 0.03, 0.1, 0.3, 1, 3, 10, 100))


def _pivot(x: np.ndarray, w: np.ndarray, q: float) -> float:
    """Smallest position at or below which at least ``q`` of the weight lies."""
    order = np.argsort(x, kind="stable")
    cum = np.cumsum(w[order])
    return float(x[order][np.argmax(cum >= q * cum[-1] * (1 - 1e-9))])


def setter_point(x: np.ndarray, w: np.ndarray, council: np.ndarray, com: float, ep: float, rp: float, qmv: bool,
                 cod: bool) -> float:  # fmt: skip
    """The Commission's position within what the Council's pivot (and the Parliament under codecision) prefers to the
    reference point ``rp`` (Steunenberg 1994; Tsebelis & Garrett 2000); NaN where there is no Commission."""
    if np.isnan(com) or not council.any():
        return np.nan
    xc, wc = x[council], w[council]
    wc = wc if wc.sum() > 0 else np.ones_like(wc)
    q = QMV_THRESHOLD if qmv else 1.0
    # lower: the largest position with at least q of the weight at or above it; upper: its mirror image
    lower, upper = -_pivot(-xc, wc, q), _pivot(xc, wc, q)
    if np.isnan(rp):
        return float(np.clip(com, lower, upper))
    # moving away from rp needs the pivot on that side: points between rp and its mirror image 2·pivot − rp
    if rp < lower:
        lo, hi = rp, 2 * lower - rp
    elif rp > upper:
        lo, hi = 2 * upper - rp, rp
    else:  # rp inside the Council's core: nothing beats it
        return float(rp)
    if cod and not np.isnan(ep):
        lo, hi = max(lo, min(rp, 2 * ep - rp)), min(hi, max(rp, 2 * ep - rp))
        if lo > hi:
            return float(rp)
    return float(np.clip(com, lo, hi))


# The Council presidency by half-year, 1995–2014: the rotation fixed by Council Decisions 95/2/EC and 2007/5/EC
# (DEU's member-state codes; el = Greece).
PRESIDENCIES = {
    1995: ("fr", "es"), 1996: ("it", "ie"), 1997: ("nl", "lu"), 1998: ("uk", "at"), 1999: ("de", "fi"),
    2000: ("pt", "fr"), 2001: ("se", "be"), 2002: ("es", "dk"), 2003: ("el", "it"), 2004: ("ie", "nl"),
    2005: ("lu", "uk"), 2006: ("at", "fi"), 2007: ("de", "pt"), 2008: ("si", "fr"), 2009: ("cz", "se"),
    2010: ("es", "be"), 2011: ("hu", "pl"), 2012: ("dk", "cy"), 2013: ("ie", "lt"), 2014: ("el", "it"),
}  # fmt: skip
PRESIDENCY_WEIGHTS = (1.0, 1.5, 2.0, 3.0, 5.0)


def presidency(date: dt.date | None) -> str | None:
    """The member state holding the Council presidency on ``date`` (None: unknown date or outside the calendar)."""
    if date is None or date.year not in PRESIDENCIES:
        return None
    return PRESIDENCIES[date.year][0 if date.month <= 6 else 1]


def load(path: Path, capability: str) -> dict[str, np.ndarray]:
    """Per scored issue: proposal, outcome, metadata, the bases' forecasts and the core-compromise grid."""
    cols: dict[str, list] = {k: [] for k in ("proposal", "observed", "cod", "qmv", "bimodal", "spread", "compromise",
                                             "median", "com", "ep", "rp", "eu", "spatial", "nash", "exchange", "setter", "grid",
                                             "lowest", "highest", "core_lower", "core_upper", "x", "w", "cap", "sal",
                                             "is_com", "is_ep", "is_presidency", "present", "win_lower", "win_upper",
                                             "feasible_lower", "feasible_upper", "winset_setter", "nash_cost")}  # fmt: skip
    for p, a, keep in scored_proposals(path, capability):
        w = issue_weights(a)
        grid = core_grid(a.position, w, a.mask)
        comp = get("compromise").solve(a).outcomes[0]
        solved = {m: get(m).solve(a).outcomes[0] for m in ("expected-utility", "spatial", "nash", "exchange")}
        nash_cost = np.stack([get(m).solve(a).outcomes[0] for m in NASH_COSTS], axis=-1)
        med = core_compromise(a.position, w, a.mask, 1.0, 0.5)[0]
        core_u = _upper_pivot(a.position, w, a.mask, 0.75)[0]
        core_l = -_upper_pivot(-a.position, w, a.mask, 0.75)[0]
        actors = list(a.actors)
        council = np.array([x not in ("com", "ep") for x in actors])
        chair = presidency(p.decision_date)
        quota, codecision = proposal_rules(p)
        votes = council_weights(p)  # the treaty's votes, whatever the capability rule
        win = acceptable_set(a, quota, codecision, weights=votes)
        win["winset_setter"] = setter_outcome(a, quota, codecision, weights=votes)
        for j in keep:
            mk, x, wj = a.mask[0, :, j], a.position[0, :, j], w[0, :, j]
            com = x[actors.index("com")] if "com" in actors and mk[actors.index("com")] else np.nan
            ep = x[actors.index("ep")] if "ep" in actors and mk[actors.index("ep")] else np.nan
            rp = a.status_quo[0, j]
            sp = setter_point(x[mk], wj[mk], council[mk], com, ep, rp, p.voting_rule == "QMV", p.procedure == "COD")
            sd = np.sqrt((wj[mk] * (x[mk] - comp[j]) ** 2).sum() / wj[mk].sum())
            vals = {"proposal": p.proposal, "observed": p.scenario.observed[a.issues[j]], "cod": p.procedure == "COD",
                    "qmv": p.voting_rule == "QMV", "bimodal": np.unique(x[mk]).size == 2, "spread": sd,
                    "compromise": comp[j], "median": med[j], "com": com, "ep": ep, "rp": rp,
                    "eu": solved["expected-utility"][j], "spatial": solved["spatial"][j], "nash": solved["nash"][j],
                    "exchange": solved["exchange"][j], "nash_cost": nash_cost[j],
                    "setter": sp, "grid": grid[j], "lowest": x[mk].min(), "highest": x[mk].max(),
                    "core_lower": core_l[j], "core_upper": core_u[j], "x": x, "w": wj, "cap": a.capability[0, :, j],
                    "sal": a.salience[0, :, j], "is_com": np.array([y == "com" for y in actors]),
                    "is_ep": np.array([y == "ep" for y in actors]), "present": mk,
                    "is_presidency": np.array([y == chair for y in actors]),
                    **{k: win[k][0, j] for k in ("win_lower", "win_upper", "feasible_lower", "feasible_upper",
                                                 "winset_setter")}}  # fmt: skip
            for k, v in vals.items():
                cols[k].append(v)
    ragged = ("x", "w", "cap", "sal", "is_com", "is_ep", "is_presidency", "present")
    d = {k: np.array(v) for k, v in cols.items() if k not in ragged}
    width = max(v.size for v in cols["x"])  # actors of the issue, padded to the widest proposal (absent: masked)
    for k in ragged:
        d[k] = np.stack([np.pad(v, (0, width - v.size)) for v in cols[k]])
    for k in ("com", "ep", "rp", "setter"):  # missing: at the compromise forecast
        d[k + "_or_c"] = np.where(np.isnan(d[k]), d["compromise"], d[k])
    return d


Family = tuple[np.ndarray, np.ndarray | None]  # candidate forecasts (issues, candidates); split attribute or None


def families(d: dict[str, np.ndarray]) -> dict[str, Family]:
    g = d["grid"]

    def blend(*others: str) -> np.ndarray:
        cols = []
        for ws in itertools.product(BLEND, repeat=len(others)):
            cols.append((1 - sum(ws)) * g + sum(wk * d[o][:, None] for wk, o in zip(ws, others)))
        return np.concatenate(cols, axis=1)

    stack = blend("eu", "spatial")
    shrink = np.concatenate([g + a * (d["spread"] > t)[:, None] * (50 - g) for a in SHRINK for t in SPREAD], axis=1)
    setter = blend("setter_or_c")
    cod, qmv, bi = d["cod"], d["qmv"], d["bimodal"]
    snap, snap_rel = snap_table(d), snap_table(d, relative=True)
    snap_rp, snap_w = snap_table(d, "with rp"), snap_table(d, "weighted")
    w_lo, w_hi = np.nan_to_num(d["win_lower"], nan=-np.inf)[:, None], np.nan_to_num(d["win_upper"], nan=np.inf)[:, None]
    f_lo, f_hi = d["feasible_lower"][:, None], d["feasible_upper"][:, None]
    snap_setter = np.concatenate([(1 - b) * snap + b * d["winset_setter"][:, None] for b in WINSET_BLEND], axis=1)
    return {
        "core-compromise": (g, None),
        "core-compromise by procedure": (g, cod),
        "core-compromise by voting rule": (g, qmv),
        "core-compromise by bimodality": (g, bi),
        "stack": (stack, None),
        "stack by procedure": (stack, cod),
        "stack by voting rule": (stack, qmv),
        "stack by bimodality": (stack, bi),
        "shrink to 50": (shrink, None),
        "cc + setter": (setter, None),
        "cc + setter by procedure": (setter, cod),
        "cc + nash": (blend("nash"), None),
        "snap to positions": (snap, None),
        "snap by bimodality": (snap, bi),
        "snap (radius per range)": (snap_rel, None),
        "snap (radius per range) by bimodality": (snap_rel, bi),
        "snap (also to rp)": (snap_rp, None),
        "snap (also to rp) by bimodality": (snap_rp, bi),
        "snap to weighted positions": (snap_w, None),
        "snap to weighted positions by bimodality": (snap_w, bi),
        "snap clipped to the win-set": (np.clip(snap, w_lo, w_hi), None),
        "snap clipped to the setter's set": (np.clip(snap, f_lo, f_hi), None),
        "clip to the win-set, then snap": (snap_table(d | {"grid": np.clip(d["grid"], w_lo, w_hi)}), None),
        "snap + win-set setter": (snap_setter, None),
        "weights": (weights_table(d), None),
        "mixture median": (mixture_table(d), None),
        "snap by procedure": (snap, cod),
        "snap by voting rule": (snap, qmv),
        "snap (also to rp under unanimity)": (np.where(qmv[:, None], snap, snap_rp), None),
        "snap, relative salience": (relative_salience_table(d), None),
        "snap, ranks of the positions": (rank_scale_table(d), None),
        "snap, presidency weight": (presidency_table(d), None),
        "Nash, costly no-agreement": (d["nash_cost"], None),
    }


def fit_family(fam: Family, abs_err: np.ndarray, train: np.ndarray) -> np.ndarray:
    """Forecasts for every issue by the candidate(s) with the lowest error on the ``train`` issues."""
    table, split = fam
    if split is None:
        return table[:, int(np.argmin(abs_err[train].sum(axis=0)))]
    a = int(np.argmin(abs_err[train & split].sum(axis=0)))
    b = int(np.argmin(abs_err[train & ~split].sum(axis=0)))
    return np.where(split, table[:, a], table[:, b])


def grouped_folds(groups: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Fold number per observation, whole groups to a fold."""
    uniq = rng.permutation(np.unique(groups))
    fold_of = {g: i % k for i, g in enumerate(uniq)}
    return np.array([fold_of[g] for g in groups])


Fitter = Callable[[np.ndarray, np.random.Generator], np.ndarray]  # training mask, rng -> forecasts of every issue


def nested(d: dict[str, np.ndarray], fitters: dict[str, Fitter], folds: int, repeats: int, seed: int,
           inner_folds: int = 5, choose: bool = True, inner_repeats: int = 1) -> dict[str, object]:  # fmt: skip
    """Each family's out-of-sample forecasts, and those of the family chosen by inner grouped CV (``inner_repeats``
    different inner splits, their errors summed)."""
    y, prop, n = d["observed"], d["proposal"], d["observed"].size
    outer_rng = np.random.default_rng(seed)  # the outer splits depend on the seed only, whatever is fitted
    rng = np.random.default_rng([seed, 1])
    single = {k: np.zeros((repeats, n)) for k in fitters}
    chosen = np.zeros((repeats, n))
    picks: list[str] = []
    for r in range(repeats):
        fold = grouped_folds(prop, folds, outer_rng)
        for k in range(folds):
            train, test = fold != k, fold == k
            for name, f in fitters.items():
                single[name][r, test] = f(train, rng)[test]
            if not choose:
                continue
            idx = np.flatnonzero(train)
            score = dict.fromkeys(fitters, 0.0)
            for _ in range(inner_repeats):  # the inner splits' errors summed over repeated splits
                inner = grouped_folds(prop[train], inner_folds, rng)
                for name, f in fitters.items():
                    for j in range(inner_folds):
                        tr = np.zeros(n, bool)
                        tr[idx[inner != j]] = True
                        held = idx[inner == j]
                        score[name] += np.abs(f(tr, rng)[held] - y[held]).sum()
            best = min(score, key=score.__getitem__)
            picks.append(best)
            chosen[r, test] = fitters[best](train, rng)[test]
    out: dict[str, object] = {"single": single, "picks": Counter(picks)}
    if choose:
        out["chosen"] = chosen
    return out


def lad_lasso(X: np.ndarray, y: np.ndarray, lam: float, iterations: int = 200, eps: float = 1e-7) -> np.ndarray:
    """argmin_b Σ|y − X b| + lam · (len(y)/100) · Σ|b|, by iteratively reweighted least squares: each step minimises
    the quadratic majoriser Σ r²/(2|r_old|) + pen · Σ b²/(2|b_old|) (|·| floored at ``eps``), so the objective never
    rises; a linear programme gives the same optimum but costs a hundred times more on these small problems."""
    m, k = X.shape
    pen = lam * m / 100
    b = np.linalg.lstsq(X, y, rcond=None)[0]
    obj = np.abs(y - X @ b).sum() + pen * np.abs(b).sum()
    for _ in range(iterations):
        wr = 1 / np.maximum(np.abs(y - X @ b), eps)
        A = (X * wr[:, None]).T @ X + np.diag(pen / np.maximum(np.abs(b), eps))
        b_new = np.linalg.solve(A, (X * wr[:, None]).T @ y)
        new = np.abs(y - X @ b_new).sum() + pen * np.abs(b_new).sum()
        b, done, obj = b_new, obj - new <= 1e-8 * max(obj, 1.0), new
        if done:
            break
    return b


def feature_fitters(d: dict[str, np.ndarray]) -> dict[str, Fitter]:
    """Penalised LAD stacks on position-distribution and institutional features over ``core-compromise``."""
    g, y, prop = d["grid"], d["observed"], d["proposal"]
    g_err = np.abs(g - y[:, None])
    bi = d["bimodal"][:, None].astype(float)

    def design(base: np.ndarray, kind: str) -> np.ndarray:
        dev = {k: d[k] - base for k in ("median", "com_or_c", "ep_or_c", "rp_or_c")}
        dev["mid"] = 50 - base
        five = np.stack([dev[k] for k in ("median", "com_or_c", "ep_or_c", "rp_or_c", "mid")], axis=1)
        if kind == "features":
            return five
        if kind == "features by bimodality":
            return np.concatenate([five * bi, five * (1 - bi)], axis=1)
        return np.stack([dev["com_or_c"], dev["ep_or_c"], dev["rp_or_c"], dev["mid"] * bi[:, 0]], axis=1)

    lower, upper = d["lowest"], d["highest"]  # forecasts stay within the positions taken

    def fit_lam(train: np.ndarray, kind: str, lam: float) -> np.ndarray:
        base = g[:, int(np.argmin(g_err[train].sum(axis=0)))]
        X = design(base, kind)
        beta = lad_lasso(X[train], (y - base)[train], lam)
        return np.clip(base + X @ beta, lower, upper)

    def make(kind: str) -> Fitter:
        def fit(train: np.ndarray, rng: np.random.Generator) -> np.ndarray:
            inner = grouped_folds(prop[train], 5, rng)
            idx = np.flatnonzero(train)
            errs = []
            for lam in LAMBDAS:
                e = 0.0
                for j in range(5):
                    tr = np.zeros(y.size, bool)
                    tr[idx[inner != j]] = True
                    held = idx[inner == j]
                    e += np.abs(fit_lam(tr, kind, lam)[held] - y[held]).sum()
                errs.append(e)
            return fit_lam(train, kind, LAMBDAS[int(np.argmin(errs))])

        return fit

    return {k: make(k) for k in ("features", "features by bimodality", "four features")}


SNAP = (0.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0)
RELATIVE_SALIENCE = (0.0, 0.5, 1.0)
CAP_POWERS = (0.5, 1.0, 1.5)
SAL_POWERS = (0.5, 1.0, 2.0)
INSTITUTION_FACTORS = (0.5, 1.0, 2.0, 3.0)
WEIGHT_EXTREME = (0.0, 0.05, 0.1, 0.2)
WEIGHT_THETA = (0.6, 0.65, 0.7, 0.75, 0.8, 0.85)
MIX_EXTREME = (0.0, 0.05, 0.1)
MIX_GAMMA = (0.5, 1.0, 1.5)
MIX_SPREAD = (0.0, 0.1, 0.2, 0.3, 0.5, 0.8)
MIX_CONTINUOUS = (0.2, 1 / 3, 0.4, 0.5, 0.6, 0.7)
MIX_REFERENCE = (0.0, 0.1, 0.2, 0.3)
MIX_STEP = 0.05  # resolution of the mixture's median between the actors' positions (points on the 0–100 scale)
STACK_BASES = ("compromise", "median", "eu", "spatial", "exchange", "nash", "setter_or_c", "com_or_c", "ep_or_c",
               "rp_or_c")  # fmt: skip


def _actors(d: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions, weights and mask as the models' (1, actors, issues) arrays."""
    return d["x"].T[None], d["w"].T[None], d["present"].T[None]


def snap_table(d: dict[str, np.ndarray], targets: str = "positions", relative: bool = False) -> np.ndarray:
    """Every ``core-compromise`` grid point moved onto the nearest target where that is within δ points (``SNAP``;
    ``relative``: δ per 100 points of the range of the positions) — with ``targets="positions"`` (every actor taking
    part) and absolute δ, the ``snap-compromise`` model (``detente.models.snap_compromise``); ``"weighted"``: only
    actors with weight; ``"with rp"``: the positions and the reference point. (issues, grid points × δ)."""
    x, w, mask = _actors(d)
    if targets == "weighted":
        mask = mask & (w > 0)
    elif targets == "with rp":
        rp = d["rp"][None, None, :]
        x = np.concatenate([x, np.nan_to_num(rp)], axis=1)
        mask = np.concatenate([mask, ~np.isnan(rp)], axis=1)
    per = (d["highest"] - d["lowest"]) / 100 if relative else np.ones(d["observed"].size)
    g = d["grid"].T[None]  # (1, grid points, issues)
    return np.concatenate([snap_to_positions(g[:, k], x, mask, delta * per)[0][:, None] for delta in SNAP
                           for k in range(g.shape[1])], axis=1)  # fmt: skip


def weights_table(d: dict[str, np.ndarray]) -> np.ndarray:
    """``core-compromise`` with weights capability^a · salience^b, the Commission's and the Parliament's times a factor
    (each scaled to a maximum of 1 per issue first, as the models do); (issues, 3 · 3 · 4 · 4 · 4 · 6 candidates)."""
    x, w0, mask = _actors(d)
    cap, sal = d["cap"].T[None] * mask, d["sal"].T[None] * mask
    cap = cap / np.where(cap.max(axis=1, keepdims=True) > 0, cap.max(axis=1, keepdims=True), 1.0)
    sal = sal / np.where(sal.max(axis=1, keepdims=True) > 0, sal.max(axis=1, keepdims=True), 1.0)
    com, ep = d["is_com"].T[None], d["is_ep"].T[None]
    cols = []
    for a, b, kc, ke in itertools.product(CAP_POWERS, SAL_POWERS, INSTITUTION_FACTORS, INSTITUTION_FACTORS):
        w = cap**a * sal**b * np.where(com, kc, 1.0) * np.where(ep, ke, 1.0)
        w = np.where(w.sum(axis=1, keepdims=True) > 0, w, w0)
        cols += [core_compromise(x, w, mask, e, t)[0] for e, t in itertools.product(WEIGHT_EXTREME, WEIGHT_THETA)]
    return np.stack(cols, axis=1)


def mixture_median(z: np.ndarray, lottery: np.ndarray, centre: np.ndarray, scale: np.ndarray, at_rp: np.ndarray,
                   continuous: float, reference: np.ndarray) -> np.ndarray:  # fmt: skip
    """The median of the predictive distribution  (1 − r) · [λ · Laplace(centre, scale) + (1 − λ) · lottery] + r · δ_rp
    evaluated on the candidate points ``z`` (issues, K; sorted): the smallest z with CDF ≥ 1/2. ``lottery`` is the
    lottery's CDF at z, ``at_rp`` whether z ≥ the reference point, ``reference`` r per issue (0 where there is none);
    scale 0 is a point mass at the centre."""
    dz = (z - centre[:, None]) / np.maximum(scale, 1e-12)[:, None]
    laplace = np.where(dz < 0, 0.5 * np.exp(np.minimum(dz, 0.0)), 1 - 0.5 * np.exp(-np.maximum(dz, 0.0)))
    laplace = np.where((scale > 0)[:, None], laplace, (z >= centre[:, None] - 1e-9).astype(float))
    r = reference[:, None]
    cdf = (1 - r) * (continuous * laplace + (1 - continuous) * lottery) + r * at_rp
    return np.take_along_axis(z, np.argmax(cdf >= 0.5 - 1e-12, axis=1)[:, None], axis=1)[:, 0]


def mixture_table(d: dict[str, np.ndarray]) -> np.ndarray:
    """The median of a mixture forecast, (issues, 3 · 3 · 6 · 6 · 4 candidates). The outcome is, with probability
    λ, continuous: Laplace around the moderated weighted mean (``core-compromise``'s, extreme_weight e) with scale
    β × the positions' weighted standard deviation; with probability 1 − λ, an actor's position drawn with probability
    ∝ (capability × salience)^γ (the lottery reading of the weighted median, Black 1958; γ = 1); and, where the issue
    has a reference point, with probability r the reference point (gridlock; Tsebelis 2002). The median is the
    forecast that minimises the expected absolute error. With β = 0, r = 0, γ = 1 it is ``core-compromise`` with
    θ = 1 / (2 (1 − λ)) (λ = 1/3: θ = 0.75), up to ties; computed on a 0.05-point grid plus the actors' positions."""
    x, w, p = d["x"], d["w"], d["present"]
    n = x.shape[0]
    z = np.sort(np.concatenate([np.broadcast_to(np.arange(0, 100 + MIX_STEP / 2, MIX_STEP), (n, int(100 / MIX_STEP) + 1)),
                                np.where(p, x, 0.0)], axis=1), axis=1)  # fmt: skip
    below = (x[:, None, :] <= z[:, :, None] + 1e-9) & p[:, None, :]
    rp = d["rp"]
    has = ~np.isnan(rp)
    at_rp = (has[:, None] & (np.nan_to_num(rp)[:, None] <= z + 1e-9)).astype(float)
    wpos = np.where(p, w, 0.0)
    wpos = np.where(wpos.sum(axis=1, keepdims=True) > 0, wpos, p.astype(float))
    xa, wa, ma = _actors(d)
    cols = []
    for e, gamma, beta, lam, r in itertools.product(MIX_EXTREME, MIX_GAMMA, MIX_SPREAD, MIX_CONTINUOUS,
                                                   MIX_REFERENCE):  # fmt: skip
        if beta == MIX_SPREAD[0] and lam == MIX_CONTINUOUS[0] and r == MIX_REFERENCE[0]:
            centre = core_compromise(xa, wa, ma, e, 1.0)[0]
            sd = np.sqrt((wpos * (x - centre[:, None]) ** 2).sum(axis=1) / wpos.sum(axis=1))
            wg = np.where(p, wpos**gamma, 0.0)
            lottery = np.einsum("nkj,nj->nk", below, wg / wg.sum(axis=1, keepdims=True))
        cols.append(mixture_median(z, lottery, centre, beta * sd, at_rp, lam, np.where(has, r, 0.0)))
    return np.stack(cols, axis=1)


def pava_l1(x: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Isotonic (non-decreasing) median regression of ``t`` on ``x`` by pooling adjacent violators, each pool at its
    median (Robertson, Wright & Dykstra 1988, ch. 1): the sorted ``x`` and the fitted step values."""
    order = np.argsort(x, kind="stable")
    pools: list[list[float]] = []
    medians: list[float] = []
    for v in t[order]:
        pools.append([float(v)])
        medians.append(float(v))
        while len(pools) > 1 and medians[-2] > medians[-1]:
            last = pools.pop()
            pools[-1] += last
            medians.pop()
            medians[-1] = float(np.median(pools[-1]))
    return x[order], np.repeat(medians, [len(q) for q in pools])


def isotonic_fitter(d: dict[str, np.ndarray]) -> Fitter:
    """Recalibration: the outcome's place between the lowest and the highest position, (y − lo) / (hi − lo), as a
    non-decreasing step function of ``core-compromise``'s place (its grid point chosen on the training proposals),
    fitted by isotonic median regression on the training issues, separately on two-position issues and the rest."""
    g, y, lo = d["grid"], d["observed"], d["lowest"]
    span = np.maximum(d["highest"] - lo, 1e-9)
    g_err = np.abs(g - y[:, None])
    target = (y - lo) / span

    def fit(train: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        place = (g[:, int(np.argmin(g_err[train].sum(axis=0)))] - lo) / span
        out = np.empty(y.size)
        for part in (d["bimodal"], ~d["bimodal"]):
            xs, steps = pava_l1(place[train & part], target[train & part])
            at = np.clip(np.searchsorted(xs, place[part], side="right") - 1, 0, steps.size - 1)
            out[part] = steps[at]
        return lo + out * span

    return fit


def convex_lad(F: np.ndarray, y: np.ndarray) -> np.ndarray:
    """argmin_β Σ |y − F β| over the simplex (β ≥ 0, Σ β = 1), a linear programme (HiGHS)."""
    m, k = F.shape
    eye = sparse.eye(m)
    res = linprog(np.r_[np.zeros(k), np.ones(2 * m)],
                  A_eq=sparse.vstack([sparse.hstack([sparse.csr_matrix(F), eye, -eye]),
                                      sparse.hstack([sparse.csr_matrix(np.ones((1, k))), sparse.csr_matrix((1, 2 * m))])]),
                  b_eq=np.r_[y, 1.0], bounds=(0, None), method="highs")  # fmt: skip
    if res.status != 0:
        raise RuntimeError(f"linear programme failed: {res.message}")
    beta = np.clip(res.x[:k], 0.0, None)
    return beta / beta.sum()


def bases(d: dict[str, np.ndarray], train: np.ndarray) -> np.ndarray:
    """``core-compromise`` (grid point chosen on ``train``) and the other models' forecasts, (issues, 11)."""
    g = d["grid"]
    cc = g[:, int(np.argmin(np.abs(g - d["observed"][:, None])[train].sum(axis=0)))]
    return np.stack([cc] + [d[k] for k in STACK_BASES], axis=1)


def lad_stack_fitter(d: dict[str, np.ndarray]) -> Fitter:
    """Convex combination of ``core-compromise`` and the ten other forecasts, weights by least absolute deviations
    on the training issues (missing Commission, Parliament or reference point: at the compromise forecast)."""

    def fit(train: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        F = bases(d, train)
        return F @ convex_lad(F[train], d["observed"][train])

    return fit


def median_stack_fitter(d: dict[str, np.ndarray]) -> Fitter:
    """The median of 3 or 5 of the eleven forecasts of :func:`bases`, the subset chosen on the training issues."""
    combos = [c for k in (3, 5) for c in itertools.combinations(range(1 + len(STACK_BASES)), k)]
    y = d["observed"]

    def fit(train: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        F = bases(d, train)
        best, best_err = F[:, 0], np.inf
        for c in combos:
            f = np.median(F[:, c], axis=1)
            err = np.abs(f - y)[train].sum()
            if err < best_err:
                best, best_err = f, err
        return best

    return fit


def relative_salience_table(d: dict[str, np.ndarray]) -> np.ndarray:
    """``snap to positions`` with each actor's salience divided by the γ-th power of its mean salience over the
    proposal's scored issues (γ = 0, 0.5, 1): under a budget of attention across the issues of one proposal the
    weight an actor gives an issue is its salience relative to its others — the premise of logrolling within a
    proposal (Coleman 1966; Stokman & Van Oosten 1994). (issues, 3 × grid points × δ)."""
    x, w0, mask = _actors(d)
    sal = d["sal"].T[None] * mask
    mean = np.zeros_like(sal)
    for p in np.unique(d["proposal"]):
        on = d["proposal"] == p
        mean[:, :, on] = ((sal[:, :, on]).sum(-1) / np.maximum(mask[:, :, on].sum(-1), 1))[..., None]
    cols = []
    for gamma in RELATIVE_SALIENCE:
        w = w0 / np.where(mean > 0, mean, 1.0) ** gamma
        w = np.where(w.sum(axis=1, keepdims=True) > 0, w, w0)
        cols.append(snap_table(d | {"grid": core_grid(x, w, mask)}))
    return np.concatenate(cols, axis=1)


def presidency_table(d: dict[str, np.ndarray]) -> np.ndarray:
    """``snap to positions`` with the weight of the member state holding the Council presidency at the decision
    multiplied by k (``PRESIDENCY_WEIGHTS``): the presidency's agenda power in the Council (Tallberg 2006, *Leadership
    and Negotiation in the European Union*; Thomson 2008, "The Council Presidency in the European Union:
    Responsibility with power", *JCMS* 46(3)). (issues, 5 × grid points × δ)."""
    x, w0, mask = _actors(d)
    chair = d["is_presidency"].T[None]
    cols = []
    for k in PRESIDENCY_WEIGHTS:
        cols.append(snap_table(d | {"grid": core_grid(x, np.where(chair, k * w0, w0), mask)}))
    return np.concatenate(cols, axis=1)


def rank_scale_table(d: dict[str, np.ndarray]) -> np.ndarray:
    """``snap to positions`` with ``core-compromise`` computed on the ranks of the distinct positions and mapped back
    piecewise linearly: the reading of DEU's scales as ordinal, the distances between positions not meant (Thomson
    et al. 2006, ch. 2, on how the scales are built). (issues, grid points × δ)."""
    x, w, mask = _actors(d)
    ranks = np.zeros_like(x)
    distinct = []
    for i in range(x.shape[-1]):
        u = np.unique(x[0, mask[0, :, i], i])
        distinct.append(u)
        ranks[0, mask[0, :, i], i] = np.searchsorted(u, x[0, mask[0, :, i], i])
    g = core_grid(ranks, w, mask)
    back = np.stack([np.interp(g[i], np.arange(u.size), u) for i, u in enumerate(distinct)])
    return snap_table(d | {"grid": back})


CLOGIT_FEATURES = ("log share", "distance", "Commission's", "Parliament's", "reference point", "lowest", "highest")


def clogit_fitter(d: dict[str, np.ndarray], features: tuple[str, ...]) -> Fitter:
    """A conditional logit over the positions voiced (McFadden 1974): the outcome is position k with probability
    ∝ exp(β · z_k) — z_k: the log of the share of capability × salience there (+0.01), its distance from
    ``core-compromise`` (its grid point chosen on the training issues), whether the Commission, the Parliament or
    the reference point stands there, whether it is the lowest or the highest — or, with a probability of its own
    (an intercept), not on a position (then the ``core-compromise`` forecast). β by maximum likelihood (ridge 1) on
    the training issues; the forecast is the median of that distribution, the best point under absolute error."""
    y, g = d["observed"], d["grid"]
    x, w, present = d["x"], d["w"], d["present"]
    use = [CLOGIT_FEATURES.index(f) for f in features] + [len(CLOGIT_FEATURES)]  # and the intercept
    cache: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}

    def alternatives(k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        cc = g[:, k]
        n, width = y.size, 1 + max(np.unique(x[i][present[i]]).size for i in range(y.size))
        vals, valid = np.full((n, width), np.nan), np.zeros((n, width), bool)
        z, chosen = np.zeros((n, width, len(CLOGIT_FEATURES) + 1)), np.full(n, width - 1)
        for i in range(n):
            xs, ws = x[i][present[i]], w[i][present[i]]
            u = np.unique(xs)
            for j, v in enumerate(u):
                share = ws[xs == v].sum() / (ws.sum() if ws.sum() > 0 else 1.0)
                vals[i, j], valid[i, j] = v, True
                z[i, j, :-1] = (np.log(share + 0.01), abs(v - cc[i]) / 100, np.isclose(v, d["com"][i]),
                                np.isclose(v, d["ep"][i]), np.isclose(v, d["rp"][i]), v == u[0], v == u[-1])  # fmt: skip
                if np.isclose(v, y[i]):
                    chosen[i] = j
            vals[i, -1], valid[i, -1], z[i, -1, -1] = cc[i], True, 1.0
        return vals, z[:, :, use], valid, chosen

    def probabilities(b: np.ndarray, z: np.ndarray, valid: np.ndarray) -> np.ndarray:
        u = np.where(valid, z @ b, -np.inf)
        e = np.exp(u - u.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def fit(train: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        k = int(np.argmin(np.abs(g[train] - y[train, None]).sum(axis=0)))
        if k not in cache:
            cache[k] = alternatives(k)
        vals, z, valid, chosen = cache[k]

        def nll(b: np.ndarray) -> float:
            p = probabilities(b, z[train], valid[train])
            return float(-np.log(p[np.arange(train.sum()), chosen[train]]).sum() + (b**2).sum())

        b = minimize(nll, np.zeros(z.shape[-1]), method="BFGS").x
        p = probabilities(b, z, valid)
        order = np.argsort(np.where(valid, vals, np.inf), axis=1)
        sv, sp = np.take_along_axis(vals, order, 1), np.take_along_axis(p, order, 1)
        return sv[np.arange(y.size), np.argmax(np.cumsum(sp, axis=1) >= 0.5, axis=1)]

    return fit


def grid_fitters(d: dict[str, np.ndarray]) -> dict[str, Fitter]:
    out: dict[str, Fitter] = {}
    for name, fam in families(d).items():
        err = np.abs(fam[0] - d["observed"][:, None])
        out[name] = lambda train, rng, fam=fam, err=err: fit_family(fam, err, train)
    return out


def all_fitters(d: dict[str, np.ndarray]) -> dict[str, Fitter]:
    """The grid families and the three fitted otherwise: what the nested choice picks from."""
    return grid_fitters(d) | {"isotonic recalibration": isotonic_fitter(d), "LAD stack of 11": lad_stack_fitter(d),
                              "median of 3 or 5 of 11": median_stack_fitter(d),
                              "conditional logit (share, distance)": clogit_fitter(d, CLOGIT_FEATURES[:2]),
                              "conditional logit (+ who stands there)": clogit_fitter(d, CLOGIT_FEATURES[:5]),
                              "conditional logit (+ the ends)": clogit_fitter(d, CLOGIT_FEATURES)}  # fmt: skip


def summary(d: dict[str, np.ndarray], forecasts: np.ndarray, base: np.ndarray | None = None) -> dict[str, float]:
    """MAE of (repeats, issues) forecasts (each issue's error averaged over repeats), SE, paired difference."""
    y, prop = d["observed"], d["proposal"]
    e = np.abs(forecasts - y).mean(axis=0)
    ec = np.abs(d["compromise"] - y)
    out = {"mae": float(e.mean()), "se": clustered_se(e, prop), "diff": float((e - ec).mean()),
           "diff_se": clustered_se(e - ec, prop), "pct": float(100 * (e - ec).mean() / ec.mean()),
           "rep_min": float(np.abs(forecasts - y).mean(axis=1).min()),
           "rep_max": float(np.abs(forecasts - y).mean(axis=1).max())}  # fmt: skip
    if base is not None:
        eb = np.abs(base - y).mean(axis=0)
        out["vs_cc"], out["vs_cc_se"] = float((e - eb).mean()), clustered_se(e - eb, prop)
    return out


def print_table(d: dict[str, np.ndarray], res: dict[str, object], single: dict[str, np.ndarray], base_name: str,
                choice: str, width: int, mae_width: int) -> None:  # fmt: skip
    """The comparison as a table: a row per family alone (``single``, out-of-sample forecasts), then the nested choice
    (``res["chosen"]``, labelled ``choice``): MAE (SE), the paired difference from compromise and its share of
    compromise's MAE, the paired difference from ``base_name``, and the range of the per-repeat MAEs."""
    base = single[base_name]
    rows = [(name, summary(d, f, base)) for name, f in single.items()]
    rows.append((choice, summary(d, np.asarray(res["chosen"]), base)))
    print(f"{'':{width}s} {'MAE':>{mae_width}s} {'(SE)':6s} {'vs compromise':>16s} {'%':>6s} {'vs ' + base_name:>19s}  "
          f"repeats")  # fmt: skip
    for name, s in rows:
        print(f"{name:{width}s} {s['mae']:{mae_width}.2f} ({s['se']:.2f}) {s['diff']:+9.2f} ({s['diff_se']:.2f}) "
              f"{s['pct']:+6.1f} {s['vs_cc']:+11.2f} ({s['vs_cc_se']:.2f})  {s['rep_min']:.2f}–{s['rep_max']:.2f}")  # fmt: skip


def print_picks(res: dict[str, object], lead: str) -> None:
    """How often the inner cross-validation chose each family, most chosen first."""
    picks = res["picks"]
    assert isinstance(picks, Counter)
    total = sum(picks.values())
    print(lead + ", ".join(f"{k} {100 * v / total:.0f} %" for k, v in picks.most_common()))


def diagnostics(d: dict[str, np.ndarray]) -> None:
    """In-sample looks at the reference point and the institutions' sides (nothing fitted, nothing chosen)."""
    y, c, rp = d["observed"], d["compromise"], d["rp"]
    cc = d["grid"][:, GRID.index((0.05, 0.75))]  # the shipped defaults
    has = ~np.isnan(rp)
    print(f"reference point alone: MAE {np.abs(rp - y)[has].mean():.2f} on the {has.sum()} issues that have one")
    inside = has & (rp >= d["core_lower"] - 1e-9) & (rp <= d["core_upper"] + 1e-9)
    print(f"reference point inside the 0.75-core ({inside.sum()} issues): core-compromise "
          f"{np.abs(cc - y)[inside].mean():.2f}, reference point {np.abs(rp - y)[inside].mean():.2f}, "
          f"their midpoint {np.abs((cc + rp) / 2 - y)[inside].mean():.2f}")  # fmt: skip
    span = np.maximum(d["highest"] - d["lowest"], 1e-9)
    worst = 0.0
    for cod in (True, False):
        for sc in (-1.0, 0.0, 1.0):
            for se in (-1.0, 0.0, 1.0, 9.0):
                side_c = np.sign(np.round(d["com"] - c, 6))
                side_e = np.where(np.isnan(d["ep"]), 9.0, np.sign(np.round(d["ep"] - c, 6)))
                g = (d["cod"] == cod) & (side_c == sc) & (side_e == se)
                if g.sum() >= 5:
                    worst = max(worst, abs(float(np.mean((y - c)[g] / span[g]))))
    print(f"largest mean signed deviation of the outcome from compromise, in units of the issue's range, in any group "
          f"(≥ 5 issues) of procedure × Commission side × Parliament side: {worst:.2f}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(ap)
    ap.add_argument("--diagnostics", action="store_true", help="also the in-sample looks at rp and the sides")
    ap.add_argument("--feature-stacks", action="store_true", help="also the penalised LAD feature stacks (slow)")
    ap.add_argument("--among", help="the nested choice picks among these families only (comma-separated names)")
    ap.add_argument("--inner-repeats", type=int, default=1, help="repeated inner splits for the nested choice")
    a = ap.parse_args(argv)
    if data_missing(a.path):
        return 0
    t0 = time.perf_counter()
    d = load(a.path, a.capability)
    y = d["observed"]
    ec = np.abs(d["compromise"] - y)
    print(f"capability rule {a.capability!r}; {y.size} issues of {np.unique(d['proposal']).size} proposals; "
          f"grouped {a.folds}-fold CV × {a.repeats} repeats (seed {a.seed})")  # fmt: skip
    print(f"{'compromise (nothing fitted)':34s} MAE {ec.mean():6.2f} ({clustered_se(ec, d['proposal']):.2f})")
    alone = ", ".join(f"{k} {np.abs(d[k] - y).mean():.2f}" for k in ("median", "nash", "eu", "spatial", "setter_or_c"))
    print(f"{'bases alone (nothing fitted)':34s} MAE {alone}")
    if a.diagnostics:
        diagnostics(d)
    fitters = all_fitters(d)
    if a.among:
        names = [k.strip() for k in a.among.split(",")]
        unknown = [k for k in names if k not in fitters]
        if unknown:
            print(f"unknown families {unknown}; known: {', '.join(fitters)}", file=sys.stderr)
            return 2
        fitters = {k: fitters[k] for k in dict.fromkeys(["core-compromise", *names])}
    res = nested(d, fitters, a.folds, a.repeats, a.seed, inner_repeats=a.inner_repeats)
    single = res["single"]
    assert isinstance(single, dict)
    if a.feature_stacks:  # alone only: inside the choice of family they would cost hours
        extra = nested(d, feature_fitters(d), a.folds, a.repeats, a.seed, choose=False)["single"]
        assert isinstance(extra, dict)
        single = single | extra
    print_table(d, res, single, "core-compromise", f"choice of family ({len(fitters)}, nested)", 42, 10)
    print_picks(res, "family chosen by the inner CV: ")
    print(f"({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
