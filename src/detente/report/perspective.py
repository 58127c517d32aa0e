"""The perspective (quadrant) chart of Bueno de Mesquita's expected-utility model.

For a focal actor i, every other actor j is a point (E^i(U_ij), E(U_ji)): i's expected utility of challenging j
against j's expected utility of challenging i as it enters i's decision. The quadrants are Scholz, Calbert & Smith's
(ICAART 2011) fig. 6 regions: confrontation (upper right), compromise / compel (upper left and lower right, split by
the diagonal |a| = |b|) and stalemate (lower left); their figs. 7-10 are examples. The table comes from
:func:`detente.models.expected_utility.perspective`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd


def perspective_figure(table: pd.DataFrame, title: str | None = None) -> Any:
    """A matplotlib Figure of a perspective table (columns other, eu_i_challenges_j, eu_j_challenges_i)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 6.0))
    ax = fig.subplots()
    x = table["eu_i_challenges_j"].to_numpy(float)
    y = table["eu_j_challenges_i"].to_numpy(float)
    lim = max(float(abs(x).max(initial=0.0)), float(abs(y).max(initial=0.0)), 0.1) * 1.2
    ax.axhline(0, color="0.4", lw=0.8)
    ax.axvline(0, color="0.4", lw=0.8)
    ax.plot([-lim, lim], [-lim, lim], color="0.8", lw=0.6, ls="--")
    ax.plot([-lim, lim], [lim, -lim], color="0.8", lw=0.6, ls="--")
    ax.scatter(x, y, color="tab:blue", zorder=3)
    labels: dict[tuple[float, float], list[str]] = {}
    for xi, yi, name in zip(x, y, table["other"]):  # coincident points share one label
        labels.setdefault((round(float(xi), 4), round(float(yi), 4)), []).append(str(name))
    for (xi, yi), names in labels.items():
        ax.annotate(", ".join(names), (xi, yi), textcoords="offset points", xytext=(4, 4), fontsize=8)
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
