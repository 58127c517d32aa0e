"""An ensemble's outcome distribution: one histogram per issue over the issue's scale, with the mean and the central
90 % of the draws marked (:meth:`detente.uncertainty.Ensemble.figure`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from detente.report.colors import FORECAST_COLOR

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def distribution_figure(ens: Any) -> Figure:
    """Per issue: the histogram of the outcome over the draws (the ensemble's ``bins`` equal bins on the issue's
    scale), a solid line at the mean and dashed lines at the 5th and 95th percentiles.

    Parameters
    ----------
    ens : Ensemble

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    k = len(ens.issues)
    cols = min(k, 3)
    rows = -(-k // cols)
    fig = Figure(figsize=(4.2 * cols + 0.4, 2.9 * rows + 0.7), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    missing = ens.no_forecast()
    for j, (ax, iid) in enumerate(zip(axes.ravel(), ens.issues)):
        ax.set_title(iid, fontsize=10)
        ax.set_xlabel("outcome")
        ax.set_ylabel("draws")
        ax.set_xlim(float(ens.lower[j]), float(ens.upper[j]))
        if iid in missing:
            ax.text(0.5, 0.5, f"no forecast:\n{missing[iid]}", transform=ax.transAxes, ha="center", va="center",
                    fontsize="small", color="0.35")
            continue
        counts, edges = ens.histogram(j)
        ax.stairs(counts, edges, fill=True, color="0.75")
        x = ens.outcomes[:, j]
        x = x[np.isfinite(x)]
        if x.size:
            ax.axvline(float(x.mean()), color=FORECAST_COLOR, lw=1.4)
            for q in np.quantile(x, [0.05, 0.95]):
                ax.axvline(float(q), color=FORECAST_COLOR, lw=0.9, ls="--")
    for ax in axes.ravel()[k:]:
        ax.axis("off")
    p = ens.provenance
    fig.suptitle(f"{ens.scenario} · {ens.model} · {ens.draws} draws, seed {p.get('seed')} "
                 "(solid: mean; dashed: 5th and 95th percentiles)", fontsize=10)
    return fig
