"""The perspective (quadrant) chart of Bueno de Mesquita's expected-utility model.

For a focal actor i, every other actor j is a point (E^i(U_ij), E(U_ji)): i's expected utility of challenging j
against j's expected utility of challenging i as it enters i's decision. The quadrants are Scholz, Calbert & Smith's
(ICAART 2011) fig. 6 regions: confrontation (upper right), compromise / compel (upper left and lower right, split by
the diagonal |a| = |b|) and stalemate (lower left); their figs. 7-10 are examples. The table comes from
:func:`detente.models.expected_utility.perspective`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def spread_labels(y: np.ndarray, gap: float) -> np.ndarray:
    """Label heights, as close to ``y`` as they can be, at least ``gap`` apart (order kept).

    A deterministic one-dimensional spreading step: labels sorted by height are pushed up until each clears the one
    below, then the whole run is shifted back down by the mean displacement, so the labels stay centred on their
    points. Used for labels whose points are close in x.

    >>> spread_labels(np.array([0.0, 0.01, 0.02]), 0.1).round(3).tolist()
    [-0.09, 0.01, 0.11]
    """
    y = np.asarray(y, dtype=float)
    order = np.argsort(y, kind="stable")
    out = y[order].copy()
    for i in range(1, out.size):
        out[i] = max(out[i], out[i - 1] + gap)
    out -= (out - y[order]).mean()
    for i in range(1, out.size):  # the shift may not undo a gap
        out[i] = max(out[i], out[i - 1] + gap)
    res = np.empty_like(out)
    res[order] = out
    return res


def perspective_figure(table: pd.DataFrame, title: str | None = None, actors: list[str] | None = None) -> Any:
    """A matplotlib Figure of a perspective table (columns other, eu_i_challenges_j, eu_j_challenges_i).

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`detente.models.expected_utility.perspective`.
    title : str, optional
        The chart title (default: the focal actor, issue and round).
    actors : list of str, optional
        The scenario's actor order, which fixes each actor's colour (:mod:`detente.report.colors`).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    from detente.report.colors import actor_styles

    fig = Figure(figsize=(7.0, 6.4), layout="constrained")
    ax = fig.subplots()
    x = table["eu_i_challenges_j"].to_numpy(float)
    y = table["eu_j_challenges_i"].to_numpy(float)
    lim = max(float(abs(x).max(initial=0.0)), float(abs(y).max(initial=0.0)), 0.1) * 1.2
    ax.axhline(0, color="0.4", lw=0.8)
    ax.axvline(0, color="0.4", lw=0.8)
    ax.plot([-lim, lim], [-lim, lim], color="0.8", lw=0.6, ls="--")
    ax.plot([-lim, lim], [lim, -lim], color="0.8", lw=0.6, ls="--")
    others = [str(o) for o in table["other"]]
    styles = actor_styles(actors or others)
    ax.scatter(x, y, c=[styles.get(o, {"color": "0.3"})["color"] for o in others], zorder=3, s=40,
               edgecolors="white", linewidths=0.6)
    labels: dict[tuple[float, float], list[str]] = {}
    for xi, yi, name in zip(x, y, others):  # coincident points share one label
        labels.setdefault((round(float(xi), 4), round(float(yi), 4)), []).append(name)
    pts = list(labels)
    if pts:
        px = np.array([p[0] for p in pts])
        py = np.array([p[1] for p in pts])
        ly = py.copy()
        gap = 0.055 * lim  # about one line of 8-point text on this chart
        # points whose labels would share a line (labels start right of the point and run about a third of the axis)
        cluster = np.zeros(len(pts), dtype=int)
        order = np.argsort(px, kind="stable")
        c = 0
        for a, b in zip(order[:-1], order[1:]):
            if px[b] - px[a] > 0.6 * lim:
                c += 1
            cluster[b] = c
        for c in np.unique(cluster):
            sel = np.flatnonzero(cluster == c)
            ly[sel] = spread_labels(py[sel], gap)
        for (xi, yi), yl, key in zip(zip(px, py), ly, pts):
            ax.annotate(", ".join(labels[key]), (xi, yi), xytext=(xi + 0.03 * lim, yl), fontsize=8, va="center",
                        arrowprops={"arrowstyle": "-", "color": "0.6", "lw": 0.5} if abs(yl - yi) > 0.3 * gap
                        else None)
    for tx, ty, label in (
        (0.5, 0.5, "confrontation"),
        (-0.5, 0.5, "i compromises / capitulates"),
        (0.5, -0.5, "j compromises / capitulates"),
        (-0.5, -0.5, "stalemate"),
    ):
        ax.text(tx * lim * 1.6, ty * lim * 1.85, label, ha="center", va="center", fontsize=8, color="0.45")
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    actor = str(table["actor"].iloc[0]) if len(table) else "i"
    ax.set_xlabel(f"E^i(U_ij): {actor}'s expected utility of challenging j")
    ax.set_ylabel(f"E(U_ji): j's expected utility of challenging {actor}, as {actor} sees it")
    if title is None and len(table):
        title = f"{actor}'s perspective · {table['issue'].iloc[0]} · round {table['round'].iloc[0]}"
    ax.set_title(title or "perspective")
    return fig
