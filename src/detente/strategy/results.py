"""Result types of the strategy engine, with Monte Carlo confidence intervals and provenance.

A :class:`StrategyResult` holds, per policy, every output of the simulation (docs/strategy.md: P(deal) by level over time, arsenal mean
and 10/50/90% quantiles over time, tension and Rivera escalation-score profiles, P(crisis), P(war/regime change)),
each final outcome broken down by North Korea's type and US reliability, and the provenance fields every detente
result carries (policy, parameters, seed, scenario, scenario hash, version).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from detente import display
from detente.strategy.simulate import PathSummary, group_means

if TYPE_CHECKING:
    from matplotlib.figure import Figure

Z95 = 1.959963984540054


def wilson(p: np.ndarray | float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Wilson 95% interval for a binomial proportion p observed on n paths."""
    p = np.asarray(p, float)
    den = 1.0 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / den
    half = Z95 * np.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / den
    return np.clip(np.minimum(centre - half, p), 0, 1), np.clip(np.maximum(centre + half, p), 0, 1)


def mean_ci(x: np.ndarray, axis: int = -1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and normal-approximation 95% interval along ``axis``."""
    m = x.mean(axis=axis)
    se = x.std(axis=axis, ddof=1) / np.sqrt(x.shape[axis])
    return m, m - Z95 * se, m + Z95 * se


def _r(x: Any, nd: int = 4) -> Any:
    if isinstance(x, np.ndarray):
        return [_r(v, nd) for v in x.tolist()]
    if isinstance(x, list | tuple):
        return [_r(v, nd) for v in x]
    if isinstance(x, dict):
        return {k: _r(v, nd) for k, v in x.items()}
    if isinstance(x, float | np.floating):
        return None if not np.isfinite(x) else round(float(x), nd)
    if isinstance(x, np.integer):
        return int(x)
    return x


HEADLINE = (
    ("p_deal", "full_by_E", "P(full deal, CVID, by the election)"),
    ("p_partial", "partial_by_E", "P(partial deal, freeze or more, by the election)"),
    ("p_small", "small_by_E", "P(Hanoi-type small deal or more by the election)"),
    ("p_crisis", "crisis", "P(militarised crisis over the horizon)"),
    ("p_war", "war_or_regime_change", "P(war or regime change over the horizon)"),
)


def point_metrics(ps: PathSummary, b: int) -> dict[str, Any]:
    """Headline metrics with 95% intervals at batch point b."""
    n = ps.n_paths
    out: dict[str, Any] = {}
    for key, src, _ in HEADLINE:
        p = float(ps.final[src][b].mean())
        lo, hi = wilson(p, n)
        out[key] = {"value": p, "lo": float(lo), "hi": float(hi)}
    m, lo, hi = mean_ci(ps.final["W_E"][b])
    out["arsenal_E"] = {"value": float(m), "lo": float(lo), "hi": float(hi)}
    fs = ps.final["first_step"][b]
    fs = fs[~np.isnan(fs)]
    if len(fs) >= 2:
        m, lo, hi = mean_ci(fs.astype(float))
        out["first_step_month"] = {"value": float(m), "lo": float(lo), "hi": float(hi)}
    else:
        out["first_step_month"] = {"value": float("nan"), "lo": float("nan"), "hi": float("nan")}
    return out


def policy_document(ps: PathSummary, b: int, t_labels: list[str]) -> dict[str, Any]:
    """Every output of the simulation for one policy at batch point b, JSON-ready."""
    K = ps.p_level.shape[2]
    groups = group_means(ps)
    by_group = {
        g: {name: _r(float(v[b])) for name, v in row.items() if name not in ("W_end",)} for g, row in groups.items()
    }
    return {
        "policy": ps.policy,
        "paths": ps.n_paths,
        "headline": _r(point_metrics(ps, b)),
        "months": t_labels,
        "p_deal_by_level": {f"k>={lv}": _r(ps.p_level[b, :, lv - 1]) for lv in range(1, K + 1)},
        "arsenal": {
            "mean": _r(ps.W_mean[b, 1:], 2),
            "q10": _r(ps.W_q[b, 1:, 0], 2),
            "q50": _r(ps.W_q[b, 1:, 1], 2),
            "q90": _r(ps.W_q[b, 1:, 2], 2),
        },
        "tension_mean": _r(ps.E_mean[b], 3),
        "escalation_score_mean": _r(ps.ES_mean[b], 3),
        "p_crisis_by_month": _r(ps.p_crisis_t[b]),
        "by_group": by_group,
    }


def month_labels(T: int, start: str = "2018-06") -> list[str]:
    """Month labels from June 2018 (t = 0)."""
    return [str(p) for p in pd.period_range(start=start, periods=T, freq="M")]


@dataclass(repr=False)
class StrategyResult(display.SummaryRepr):
    """Outputs of the policy engine for several policies at one parameter point, with provenance (a
    :class:`~detente.results.Result`)."""

    runs: dict[str, PathSummary]
    params: dict[str, Any]
    sources: dict[str, str]
    seed: int | None
    paths: int
    scenario: str | None
    scenario_hash: str | None
    version: str
    T: int
    t_E: int
    extra: dict[str, Any] = field(default_factory=dict)

    frame_columns: ClassVar[tuple[str, ...]] = ("policy",) + tuple(
        key + end for key in (*(k for k, _, _ in HEADLINE), "arsenal_E", "first_step_month") for end in ("", "_lo", "_hi")
    )
    """The columns of :meth:`frame` (:meth:`headline_frame`): each headline metric with its 95% interval."""

    def _summary(self) -> display.Summary:
        facts = [("scenario", str(self.scenario)), ("policies", display.listed(list(self.runs))),
                 ("paths", str(self.paths)), ("seed", str(self.seed))]
        df = self.headline_frame()
        header, rows = display.frame_rows(df, [c for c in df.columns if not c.endswith(("_lo", "_hi"))])
        return display.Summary("StrategyResult", facts, header, rows)

    def provenance(self) -> dict[str, Any]:
        """Engine, scenario and its hash, version, seed, paths, parameters and where each came from."""
        return {
            "engine": "strategy",
            "scenario": self.scenario,
            "scenario_hash": self.scenario_hash,
            "version": self.version,
            "seed": self.seed,
            "paths": self.paths,
            "parameters": _r(self.params),
            "parameter_sources": self.sources,
        }

    def frame(self) -> pd.DataFrame:
        """:meth:`headline_frame` (:attr:`frame_columns`): one row per policy."""
        return self.headline_frame()

    def figure(self) -> Figure:
        """Each policy's P(deal) by month and arsenal by month (:func:`detente.report.strategy.policy_figure`)."""
        from detente.report.strategy import policy_figure

        return policy_figure(self)

    def headline_frame(self) -> pd.DataFrame:
        """Per policy: the headline metrics (P(full, partial, small deal by the election), P(crisis), P(war), the
        arsenal at the election, the month of the first step), each with its 95% interval (``_lo``, ``_hi``)."""
        rows = []
        for name, ps in self.runs.items():
            m = point_metrics(ps, 0)
            row: dict[str, Any] = {"policy": name}
            for key, v in m.items():
                row[key] = v["value"]
                row[key + "_lo"] = v["lo"]
                row[key + "_hi"] = v["hi"]
            rows.append(row)
        return pd.DataFrame(rows, columns=list(self.frame_columns))

    def to_dict(self) -> dict[str, Any]:
        labels = month_labels(self.T)
        return {
            "engine": "strategy",
            "policies": list(self.runs),
            "paths": self.paths,
            "seed": self.seed,
            "scenario": self.scenario,
            "scenario_hash": self.scenario_hash,
            "version": self.version,
            "election_month": labels[self.t_E] if self.t_E < len(labels) else None,
            "parameters": _r(self.params),
            "parameter_sources": self.sources,
            "results": {name: policy_document(ps, 0, labels) for name, ps in self.runs.items()},
            **self.extra,
        }
