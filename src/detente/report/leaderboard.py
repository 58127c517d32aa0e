"""A back-test's leaderboard as a chart: one bar per model, its mean absolute error, best at the top, the naive
baseline in grey (:meth:`detente.validation.Leaderboard.figure`, :meth:`detente.validation.deu.DeuBacktest.figure`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from detente.report.colors import OBSERVED_COLOR, PALETTE

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def error_figure(table: pd.DataFrame, column: str, xlabel: str, title: str) -> Figure:
    """Horizontal bars of ``table[column]`` per ``table["model"]`` in the table's order (best first, at the top);
    rows whose ``kind`` is not ``model`` (the baseline) in grey. A model with no error (it forecast nothing) keeps
    its row, without a bar, labelled "no forecast".

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``model``, ``kind`` and ``column``.
    column : str
        The error to draw.
    xlabel, title : str

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    n = len(table)
    fig = Figure(figsize=(7.0, 0.9 + 0.32 * max(n, 1)), layout="constrained")
    ax = fig.subplots()
    values = table[column].to_numpy(float)
    y = np.arange(n)
    colors = [PALETTE[0] if kind == "model" else OBSERVED_COLOR for kind in table["kind"]]
    ax.barh(y, np.nan_to_num(values), color=colors)
    top = float(np.nanmax(values)) if np.isfinite(values).any() else 1.0
    for yi, v in zip(y, values):
        label = f"{v:.3g}" if np.isfinite(v) else "no forecast"
        ax.text((v if np.isfinite(v) else 0.0) + 0.01 * top, float(yi), label, va="center", fontsize=8)
    ax.set_yticks(y, [str(m) for m in table["model"]], fontsize="small")
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xlim(0, top * 1.15)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("model")
    ax.grid(axis="x", color="0.92")
    ax.set_axisbelow(True)
    ax.set_title(title, fontsize=10)
    return fig
