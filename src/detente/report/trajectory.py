"""Positions by round: one panel per issue, one line per actor, with the model's median/mean where it has them.

A static model (one round: the forecast is read off the input positions) draws a dot chart per issue instead: the
actors' positions on the issue's scale with the forecast and the observed outcome as vertical lines — no round axis.
Actor colours come from :func:`detente.report.colors.actor_styles` and are the same in every chart of a scenario.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from detente.errors import UnknownNameError
from detente.report.colors import FORECAST_COLOR, OBSERVED_COLOR, actor_styles


def _check_issues(fc: Any, issues: list[str] | None) -> list[str]:
    chosen = list(issues) if issues else list(fc.issues)
    for iid in chosen:
        if iid not in fc.issues:
            raise UnknownNameError(f"`issues` {iid!r}: expected one of {', '.join(fc.issues)}")
    return chosen


def positions_figure(fc: Any, scenario: Any | None = None, issues: list[str] | None = None, draw: int = 0) -> Any:
    """A matplotlib Figure of ``fc.trajectory[draw]`` for the chosen issues (default: all).

    Parameters
    ----------
    fc : Forecast
        The forecast to draw.
    scenario : Scenario, optional
        Gives issue names, scales and observed outcomes.
    issues : list of str, optional
        Issue ids to draw (default: every issue).
    draw : int
        Which draw of a batched forecast.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    UnknownNameError
        An issue id that is not in the forecast.
    """
    from matplotlib.figure import Figure

    chosen = _check_issues(fc, issues)
    traj = fc.trajectory[draw]  # (R, n, m)
    static = traj.shape[0] == 1
    k = len(chosen)
    cols = min(k, 3)
    rows = int(np.ceil(k / cols))
    n_act = len(fc.actors)
    height = (0.6 + 0.28 * n_act) if static else 3.4
    fig = Figure(figsize=(4.6 * cols + 1.8, height * rows + 0.6), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    order = [a.id for a in scenario.actors] if scenario is not None else list(fc.actors)
    # a two-level forecast may name sides the scenario's actor list does not: they take the next colours
    styles = actor_styles(order + [a for a in fc.actors if a not in order])
    R = traj.shape[0]
    last = int(np.max(fc.rounds[draw])) if fc.rounds.size else R - 1
    upto = max(1, min(R, last + 1))
    x = np.arange(upto)
    for ax, iid in zip(axes.ravel(), chosen):
        j = fc.issues.index(iid)
        issue = scenario.issue(iid) if scenario is not None else None
        lo, hi = (issue.scale.lower, issue.scale.upper) if issue is not None else (None, None)
        line = ax.axvline if static else ax.axhline
        if static:
            held = [a for a in range(n_act) if np.isfinite(traj[0, a, j])]
            for y, a in enumerate(held):
                aid = fc.actors[a]
                ax.plot([traj[0, a, j]], [y], "o", ms=7, color=styles[aid]["color"], label=aid)
            ax.set_yticks(range(len(held)), [fc.actors[a] for a in held], fontsize="small")
            ax.set_ylim(len(held) - 0.5, -0.5)
            ax.set_xlabel("position")
            ax.set_ylabel("actor")
            ax.grid(axis="y", color="0.92")
        else:
            for a, aid in enumerate(fc.actors):
                if np.isnan(traj[:upto, a, j]).all():  # no stance on this issue: no position to draw
                    continue
                ax.plot(x, traj[:upto, a, j], marker="o" if upto < 12 else None, ms=3, lw=1.4, label=aid,
                        **styles[aid])
            for key, style in (("median", "--"), ("mean", ":")):
                by_round = fc.output(key, kind="array") if fc.declares(key) else None
                if by_round is not None:
                    ax.plot(x, by_round[draw, :upto, j], style, color="0.3", lw=2, label=f"{key} (model)")
            ax.set_xlabel("round")
            ax.set_ylabel("position")
            ax.set_xticks(x if upto <= 12 else ax.get_xticks())
        if np.isfinite(fc.outcomes[draw, j]):  # an issue nobody holds a stance on has no forecast
            line(fc.outcomes[draw, j], color=FORECAST_COLOR, lw=1.6, label=f"forecast ({fc.model})")
        if scenario is not None:
            obs = scenario.observed.get(iid)
            if obs is not None:
                line(obs, color=OBSERVED_COLOR, lw=1.6, ls="-.", label="observed")
        if lo is not None and hi is not None:
            pad = 0.03 * (hi - lo)
            (ax.set_xlim if static else ax.set_ylim)(lo - pad, hi + pad)
        title = issue.name or iid if issue is not None else iid
        status = str(fc.status[draw, j])
        if status == "no_agreement":  # a veto player refuses: the forecast stays at the status quo
            title += " · no agreement (status quo)"
        elif status not in ("converged", "static"):
            title += f" · {status.replace('_', ' ')}"
        ax.set_title(title, fontsize=10)
    for ax in axes.ravel()[k:]:
        ax.axis("off")
    legend: dict[str, Any] = {}  # every actor drawn in some panel (an actor may hold no stance on the first)
    for ax in axes.ravel()[:k]:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            legend.setdefault(label, handle)
    order = [a for a in fc.actors if a in legend] + [lab for lab in legend if lab not in fc.actors]
    if static:  # the actors are named on each axis; the legend keeps the lines
        order = [lab for lab in order if lab not in fc.actors]
    fig.legend([legend[lab] for lab in order], order, loc="outside right upper", fontsize=8, frameon=False)
    kind = "positions (static model: no rounds)" if static else "positions by round"
    fig.suptitle(f"{fc.scenario} · {fc.model} · {kind}", fontsize=11)
    return fig
