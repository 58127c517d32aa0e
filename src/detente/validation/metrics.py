"""Forecast-accuracy metrics for back-tests: errors, a proposal-level paired bootstrap, breakdowns, calibration.

Per model, over the issues it forecast (every issue counts once):

- ``mae`` — mean absolute error |forecast − outcome| (DEU: points on the issue's 0–100 scale);
- ``rmse`` — root mean squared error; ``median_ae`` — the median absolute error;
- ``within_10`` — share of issues forecast within 10 points of the outcome;
- ``beats_reference`` — share of the issues with a reference point (status quo) on which the forecast is strictly
  closer to the outcome than the reference point is (``n_reference`` such issues).

The paired bootstrap (:func:`paired_bootstrap`) resamples *proposals* (clusters of issues decided together), not
issues, since issues of one proposal share actors, capabilities and a final act (Efron & Tibshirani 1993, ch. 6 on
resampling clusters): each replicate draws as many proposals as there are, with replacement, and recomputes each
model's MAE minus the baseline's on the issues both forecast. Percentile intervals; a difference whose interval holds
0 is not significant at that level.

Interval coverage (:func:`coverage`): for an ensemble's central interval at nominal level L (from the ensemble's
quantiles (1−L)/2 and (1+L)/2), the share of issues whose outcome lies inside. A calibrated ensemble covers L of them;
:func:`detente.report.calibration.calibration_figure` plots coverage against L.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

LEVELS: tuple[float, ...] = (0.5, 0.8, 0.9, 0.95)
TIE_TOL = 1e-9


def error_metrics(
    forecast: np.ndarray, observed: np.ndarray, reference: np.ndarray | None = None
) -> dict[str, float | int]:
    """MAE, RMSE, median AE, share within 10 points and share beating the reference point (NaN = no reference)."""
    f = np.asarray(forecast, float)
    o = np.asarray(observed, float)
    e = np.abs(f - o)
    n = len(e)
    out: dict[str, float | int] = {
        "mae": float(e.mean()) if n else float("nan"),
        "n": n,
        "rmse": float(np.sqrt(np.mean(e * e))) if n else float("nan"),
        "median_ae": float(np.median(e)) if n else float("nan"),
        "within_10": float(np.mean(e <= 10.0 + TIE_TOL)) if n else float("nan"),
    }
    if reference is not None:
        r = np.asarray(reference, float)
        has = np.isfinite(r)
        out["n_reference"] = int(has.sum())
        out["beats_reference"] = (
            float(np.mean(e[has] < np.abs(r[has] - o[has]) - TIE_TOL)) if has.any() else float("nan")
        )
    return out


def paired_bootstrap(
    errors: pd.DataFrame,
    *,
    baseline: str,
    models: list[str],
    reps: int = 2000,
    seed: int = 0,
    level: float = 0.95,
    group: str = "proposal",
) -> pd.DataFrame:
    """Each model's MAE minus ``baseline``'s, with a percentile interval from resampling ``group`` (proposals).

    ``errors`` has columns ``model``, ``issue``, ``abs_error`` and ``group`` (the resampled unit). Only issues that both the model and the
    baseline forecast enter a comparison (``n`` of them). Same ``seed``, same intervals. Returns one row per model:
    model, baseline, n, diff, lo, hi, significant.
    """
    rows: list[dict[str, Any]] = []
    base = errors[errors["model"] == baseline].set_index("issue")
    groups = pd.Index(sorted(errors[group].unique()))
    # one set of proposal resamples for every model: the comparisons share their random numbers
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    P = len(groups)
    counts = rng.multinomial(P, np.full(P, 1.0 / P), size=reps) if reps > 0 and P > 0 else np.zeros((0, P))
    alpha = (1.0 - level) / 2.0
    for m in models:
        if m == baseline:
            continue
        d = errors[errors["model"] == m].set_index("issue")
        common = d.index.intersection(base.index)
        if not len(common):
            rows.append({"model": m, "baseline": baseline, "n": 0, "diff": np.nan, "lo": np.nan, "hi": np.nan,
                         "significant": False})  # fmt: skip
            continue
        diff = d.loc[common, "abs_error"].to_numpy(float) - base.loc[common, "abs_error"].to_numpy(float)
        g = groups.get_indexer(d.loc[common, group])
        sums = np.bincount(g, weights=diff, minlength=P)
        ns = np.bincount(g, minlength=P).astype(float)
        point = float(diff.mean())
        if len(counts):
            tot_n = counts @ ns
            boot = (counts @ sums) / np.where(tot_n > 0, tot_n, np.nan)
            boot = boot[np.isfinite(boot)]
            lo, hi = (
                (float(np.quantile(boot, alpha)), float(np.quantile(boot, 1 - alpha))) if len(boot) else (np.nan,) * 2
            )
        else:
            lo = hi = np.nan
        rows.append({"model": m, "baseline": baseline, "n": int(len(common)), "diff": point, "lo": lo, "hi": hi,
                     "significant": bool(np.isfinite(lo) and (lo > 0 or hi < 0))})  # fmt: skip
    return pd.DataFrame(rows, columns=["model", "baseline", "n", "diff", "lo", "hi", "significant"])


def breakdown(predictions: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """MAE and issue count per model within each group of each column in ``by`` (long format:
    dimension, group, model, n, mae)."""
    rows = []
    for dim in by:
        for (grp, m), d in predictions.groupby([dim, "model"], sort=True, observed=True):
            e = d["abs_error"].to_numpy(float)
            rows.append({"dimension": dim, "group": str(grp), "model": m, "n": len(e), "mae": float(e.mean())})
    return pd.DataFrame(rows, columns=["dimension", "group", "model", "n", "mae"])


def coverage(intervals: pd.DataFrame, levels: tuple[float, ...] = LEVELS) -> pd.DataFrame:
    """Share of outcomes inside each model's central intervals: model, level, covered, n, coverage, mean_width.

    ``intervals`` has ``model``, ``observed`` and for each level L the columns ``lo_<L>`` and ``hi_<L>``.
    """
    rows = []
    for m, d in intervals.groupby("model", sort=False):
        o = d["observed"].to_numpy(float)
        for lv in levels:
            lo = d[f"lo_{lv:g}"].to_numpy(float)
            hi = d[f"hi_{lv:g}"].to_numpy(float)
            inside = (o >= lo - TIE_TOL) & (o <= hi + TIE_TOL)
            rows.append({"model": m, "level": lv, "covered": int(inside.sum()), "n": len(o),
                         "coverage": float(inside.mean()) if len(o) else np.nan,
                         "mean_width": float(np.mean(hi - lo)) if len(o) else np.nan})  # fmt: skip
    return pd.DataFrame(rows, columns=["model", "level", "covered", "n", "coverage", "mean_width"])
