"""Calibration of interval forecasts: the share of outcomes inside each model's central intervals against the
intervals' nominal level (:meth:`detente.validation.deu.DeuBacktest.calibration_figure`,
``detente backtest FILE --calibration F.png``). A calibrated model lies on the diagonal."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def calibration_figure(cov: pd.DataFrame, title: str = "interval coverage") -> Figure:
    """Coverage of each model's central intervals against the nominal level (a :class:`matplotlib.figure.Figure`)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.5, 5.0))
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], color="0.6", linestyle="--", linewidth=1, label="calibrated")
    for m, d in cov.groupby("model", sort=False):
        n = int(d["n"].iloc[0]) if len(d) else 0
        ax.plot(d["level"], d["coverage"], marker="o", label=f"{m} (n = {n})")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("nominal level of the central interval")
    ax.set_ylabel("share of outcomes inside")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig
