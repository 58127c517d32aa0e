"""Positions by round: one panel per issue, one line per actor, with the model's median/mean where it has them."""

from __future__ import annotations

from typing import Any

import numpy as np

from detente.errors import UnknownNameError


def positions_figure(fc: Any, scenario: Any | None = None, issues: list[str] | None = None, draw: int = 0) -> Any:
    """A matplotlib Figure of ``fc.trajectory[draw]`` for the chosen issues (default: all)."""
    from matplotlib import colormaps
    from matplotlib.figure import Figure

    chosen = list(issues) if issues else list(fc.issues)
    for iid in chosen:
        if iid not in fc.issues:
            raise UnknownNameError(f"--issue {iid!r}: expected one of {', '.join(fc.issues)}")
    k = len(chosen)
    cols = min(k, 3)
    rows = int(np.ceil(k / cols))
    fig = Figure(figsize=(5.2 * cols, 3.6 * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    traj = fc.trajectory[draw]  # (R, n, m)
    R = traj.shape[0]
    last = int(np.max(fc.rounds[draw])) if fc.rounds.size else R - 1
    upto = max(1, min(R, last + 1))
    x = np.arange(upto)
    cmap = colormaps["tab20"]
    for ax, iid in zip(axes.ravel(), chosen):
        j = fc.issues.index(iid)
        for a, aid in enumerate(fc.actors):
            if np.isnan(traj[:upto, a, j]).all():  # no stance on this issue: no position to draw
                continue
            ax.plot(
                x, traj[:upto, a, j], marker="o" if upto < 12 else None, ms=3, lw=1.2, color=cmap(a % 20), label=aid
            )
        for key, style in (("median", "k--"), ("mean", "k:")):
            if key in fc.arrays:
                ax.plot(x, fc.arrays[key][draw, :upto, j], style, lw=2, label=key)
        if np.isfinite(fc.outcomes[draw, j]):  # an issue nobody holds a stance on has no forecast
            ax.axhline(fc.outcomes[draw, j], color="crimson", lw=1, alpha=0.6)
        title = iid
        if scenario is not None:
            issue = scenario.issue(iid)
            ax.set_ylim(
                issue.scale.lower - 0.02 * (issue.scale.upper - issue.scale.lower),
                issue.scale.upper + 0.02 * (issue.scale.upper - issue.scale.lower),
            )
            title = issue.name or iid
            obs = scenario.observed.get(iid)
            if obs is not None:
                ax.axhline(obs, color="green", lw=1, ls="-.", label="observed")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("round")
        ax.set_ylabel("position")
    for ax in axes.ravel()[k:]:
        ax.axis("off")
    legend: dict[str, Any] = {}  # every actor drawn in some panel (an actor may hold no stance on the first)
    for ax in axes.ravel()[:k]:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            legend.setdefault(label, handle)
    fig.legend(list(legend.values()), list(legend), loc="center right", fontsize=7, frameon=False)
    fig.suptitle(f"{fc.scenario} · {fc.model}", fontsize=11)
    fig.tight_layout(rect=(0, 0, 0.86, 0.96))
    return fig
