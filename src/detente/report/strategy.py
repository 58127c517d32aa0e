"""Charts of the strategy engines' results: the staged game's status by month (``detente strategy --out F.png``)
and a claim experiment's metrics by point (``detente experiment NAME --out F.png``).

The figures of docs/strategy.md are drawn by :mod:`detente.report.staged_strategy`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from detente.strategy.experiments import ExperimentResult

__all__ = ["experiment_figure", "staged_status_figure"]


def staged_status_figure(doc: dict[str, Any]) -> Figure:
    """Per rule of a ``detente strategy`` document, the status of the negotiation by month (stacked shares)."""
    from matplotlib.figure import Figure

    from detente.strategy.staged.forward import STATUS

    fig = Figure(figsize=(10, 3.0 * len(doc["rules"]) + 0.6), layout="constrained")
    axes = fig.subplots(len(doc["rules"]), 1, squeeze=False)[:, 0]
    for ax, r in zip(axes, doc["rules"], strict=True):
        months = list(r["monthly_status"])
        shares = np.array([[r["monthly_status"][m][s] for s in STATUS] for m in months])
        ax.stackplot(range(len(months)), shares.T, labels=STATUS)
        ax.set_title(f"{r['name']}: status of the negotiation by month (share of outcomes)")
        ax.set_xticks(range(0, len(months), 3))
        ax.set_xticklabels(months[::3], rotation=45, ha="right", fontsize=7)
        ax.set_ylabel("share")
        ax.set_xlim(0, len(months) - 1)
        ax.set_ylim(0, 1)
    # below the panels, not over the shares it explains
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(STATUS), fontsize=8, frameon=False)
    return fig


def experiment_figure(res: ExperimentResult) -> Figure:
    """A three-panel matplotlib figure: each policy's P(deal), arsenal and P(crisis) with 95% intervals by point."""
    from matplotlib.figure import Figure

    from detente.strategy.experiments import METRICS, WINNER_METRICS

    exp = res.experiment
    labels = [p.label for p in exp.points]
    x = np.arange(len(labels))
    fig = Figure(figsize=(max(8, 0.7 * len(labels) + 3), 10))
    axes = fig.subplots(3, 1, sharex=True)
    width = 0.8 / max(1, len(exp.policies))
    for ax, m in zip(axes, WINNER_METRICS):
        for i, pol in enumerate(exp.policies):
            v = np.array([res.metrics[lb][pol][m]["value"] for lb in labels])
            lo = np.array([res.metrics[lb][pol][m]["lo"] for lb in labels])
            hi = np.array([res.metrics[lb][pol][m]["hi"] for lb in labels])
            xs = x - 0.4 + width * (i + 0.5)
            ax.errorbar(xs, v, yerr=[np.maximum(v - lo, 0), np.maximum(hi - v, 0)], fmt="o", ms=4, capsize=2, label=pol)
        ax.set_ylabel(METRICS[m][0])
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, ncol=min(5, len(exp.policies)))
    axes[0].set_title(f"{exp.name}: {exp.title} ({res.paths} paths, seed {res.seed})")
    axes[-1].set_xticks(x)
    axes[-1].set_xticklabels(labels, rotation=60, ha="right", fontsize=7)
    fig.tight_layout()
    return fig
