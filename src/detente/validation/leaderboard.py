"""The leaderboard: per-issue errors of every model (and of the naive baseline) aggregated into one table.

Errors are absolute errors as a percentage of the issue's scale width, |forecast − observed| / (upper − lower) × 100,
so that issues on different scales (years on 4–10, positions on 0–100) can be averaged. Per model:

- ``mae_pct`` — mean of those errors over every issue the model forecast (each issue counts once);
- ``median_ae_pct`` — their median;
- ``scenario_mae_pct`` — the mean over scenarios of each scenario's mean (each scenario counts once, so a scenario
  with many observed issues does not dominate);
- ``wins`` — for each issue, the model(s) closest to the observed outcome win it; a tie of k models gives each 1/k
  (the baseline does not compete), so the wins add up to the number of issues;
- ``beats_baseline`` — issues on which the model is strictly closer than the naive baseline;
- ``in_range`` / ``with_range`` — forecasts inside the observed plausible range, out of the issues that have one;
- ``failed`` — scenarios on which the model raised (the reasons are in :attr:`Leaderboard.failures`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from detente import display
from detente.results import Provenance

if TYPE_CHECKING:
    from matplotlib.figure import Figure

BASELINE = "baseline"
TIE_TOL = 1e-9  # errors (in % of the scale width) closer than this are a tie

ISSUE_COLUMNS = [
    "scenario",
    "issue",
    "model",
    "kind",
    "forecast",
    "observed",
    "error",
    "abs_error",
    "error_pct",
    "scale_width",
    "range_low",
    "range_high",
    "in_range",
    "status",
    "horizon",
]
TABLE_COLUMNS = [
    "rank",
    "model",
    "kind",
    "mae_pct",
    "median_ae_pct",
    "scenario_mae_pct",
    "issues",
    "scenarios",
    "wins",
    "beats_baseline",
    "in_range",
    "with_range",
    "failed",
]
FAILURE_COLUMNS = ["model", "scenario", "issue", "reason"]


def issue_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Tidy per-issue frame with :data:`ISSUE_COLUMNS`; ``in_range`` is a nullable boolean (NA: no range known)."""
    df = pd.DataFrame(rows, columns=ISSUE_COLUMNS)
    for c in ("forecast", "observed", "error", "abs_error", "error_pct", "scale_width", "range_low", "range_high"):
        df[c] = df[c].astype(float)
    df["in_range"] = df["in_range"].astype("boolean")
    return df


def score(issues: pd.DataFrame, failures: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    """The leaderboard table (:data:`TABLE_COLUMNS`) from the per-issue frame; one row per model plus the baseline."""
    models = issues[issues["kind"] == "model"]
    wins = _wins(models)
    base = issues[issues["kind"] == BASELINE].set_index(["scenario", "issue"])["error_pct"]
    rows = []
    for label in [*labels, BASELINE]:
        d = issues[issues["model"] == label]
        e = d["error_pct"].to_numpy(float)
        ranged = d["in_range"].notna().to_numpy()
        is_model = label != BASELINE
        if is_model and len(d):
            b = base.reindex(pd.MultiIndex.from_frame(d[["scenario", "issue"]])).to_numpy(float)
            beats: float = float(np.sum(e < b - TIE_TOL))
        else:
            beats = np.nan if not is_model else 0.0
        rows.append(
            {
                "model": label,
                "kind": "model" if is_model else BASELINE,
                "mae_pct": float(np.mean(e)) if len(e) else np.nan,
                "median_ae_pct": float(np.median(e)) if len(e) else np.nan,
                "scenario_mae_pct": float(d.groupby("scenario", sort=False)["error_pct"].mean().mean())
                if len(e)
                else np.nan,
                "issues": len(d),
                "scenarios": int(d["scenario"].nunique()),
                "wins": float(wins.get(label, 0.0)) if is_model else np.nan,
                "beats_baseline": beats,
                "in_range": int(d["in_range"].fillna(False).astype(bool).sum()),
                "with_range": int(ranged.sum()),
                "failed": int(failures.loc[failures["model"] == label, "scenario"].nunique()) if is_model else 0,
            }
        )
    table = pd.DataFrame(rows)
    order = np.lexsort((table["model"].to_numpy(str), table["mae_pct"].fillna(np.inf).to_numpy(float)))
    table = table.iloc[order].reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table[TABLE_COLUMNS]


def _wins(models: pd.DataFrame) -> dict[str, float]:
    """Issue wins per model: the closest model(s) per (scenario, issue); a k-way tie gives each 1/k."""
    wins: dict[str, float] = {}
    for _, g in models.groupby(["scenario", "issue"], sort=False):
        e = g["error_pct"].to_numpy(float)
        if not len(e):
            continue
        best = np.abs(e - e.min()) <= TIE_TOL
        for label in g["model"].to_numpy()[best]:
            wins[str(label)] = wins.get(str(label), 0.0) + 1.0 / int(best.sum())
    return wins


@dataclass(eq=False, repr=False)
class Leaderboard(display.SummaryRepr):
    """The result of :func:`detente.validation.backtest` (a :class:`~detente.results.Result`).

    - ``table``: one row per model and one for the naive baseline, best (lowest ``mae_pct``) first;
    - ``issues``: one row per model × scenario × observed issue (the primary outcomes), baseline rows included;
    - ``secondary``: the same against secondary outcomes (a later horizon) where scenarios give them — not scored;
    - ``failures``: model, scenario, issue (empty when the whole run failed), reason — never hidden;
    - ``provenance``: detente version, seed, models with their parameters, scenarios with their hashes.
    """

    table: pd.DataFrame
    issues: pd.DataFrame
    secondary: pd.DataFrame
    failures: pd.DataFrame
    provenance: Provenance = field(default_factory=Provenance)

    frame_columns: ClassVar[tuple[str, ...]] = tuple(TABLE_COLUMNS)
    """The columns of :meth:`frame` (the leaderboard ``table``)."""

    def __post_init__(self) -> None:
        self.provenance = Provenance(self.provenance)

    def _summary(self) -> display.Summary:
        scen = self.issues["scenario"].nunique() if "scenario" in self.issues else 0
        facts = [("models", str(len(self.table))), ("scenarios", str(scen)), ("failures", str(len(self.failures)))]
        cols = ["rank", "model", "mae_pct", "median_ae_pct", "issues", "wins", "beats_baseline", "in_range"]
        header, rows = display.frame_rows(self.table, cols)
        return display.Summary("Leaderboard", facts, header, rows)

    def frame(self) -> pd.DataFrame:
        """The leaderboard ``table`` (:attr:`frame_columns`), best first."""
        return self.table

    def figure(self) -> Figure:
        """Each model's mean absolute error in % of the scale width, best first
        (:func:`detente.report.leaderboard.error_figure`)."""
        from detente.report.leaderboard import error_figure

        scen = self.issues["scenario"].nunique() if "scenario" in self.issues else 0
        return error_figure(
            self.table,
            "mae_pct",
            "mean absolute error, % of the scale width",
            f"back-test: {scen} scenarios, seed {self.provenance.get('seed')}",
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``detente backtest --format json``."""
        return {
            "provenance": self.provenance,
            "leaderboard": _records(self.table),
            "issues": _records(self.issues),
            "secondary": _records(self.secondary),
            "failures": _records(self.failures),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, allow_nan=False, ensure_ascii=False)


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): _plain(v) for k, v in row.items()} for row in df.to_dict(orient="records")]


def _plain(v: Any) -> Any:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v) if np.isfinite(v) else None
    return v
