"""Charts of the strategy engines' results: the staged game's status by month (``detente strategy --out F.png``),
a claim experiment's metrics by point (``detente experiment NAME --out F.png``), the policy engine's deals and
arsenal by month, and a replay's score by month.

The figures of docs/strategy.md are drawn by :mod:`detente.report.staged_strategy`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from detente.strategy.experiments import ExperimentResult
    from detente.strategy.replay import ReplayResult
    from detente.strategy.results import StrategyResult

__all__ = ["experiment_figure", "policy_figure", "replay_figure", "staged_status_figure"]


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
    axes[-1].set_xlabel("parameter point")
    fig.tight_layout()
    return fig


def policy_figure(res: StrategyResult) -> Figure:
    """Two panels by month: each policy's P(stage 1 or more reached through an honoured exchange), and its mean
    arsenal with the 10-90 % band of the paths; the election month marked.

    Parameters
    ----------
    res : StrategyResult

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    from detente.strategy.results import month_labels

    labels = month_labels(res.T)
    fig = Figure(figsize=(10, 6.4), layout="constrained")
    deal, arsenal = fig.subplots(2, 1, sharex=True)
    for k, (name, ps) in enumerate(res.runs.items()):
        color = f"C{k}"
        deal.plot(range(res.T), ps.p_level[0, :, 0], color=color, label=name)
        x = range(res.T + 1)
        arsenal.plot(x, ps.W_mean[0], color=color, label=name)
        arsenal.fill_between(x, ps.W_q[0, :, 0], ps.W_q[0, :, 2], color=color, alpha=0.15)
    for ax in (deal, arsenal):
        if res.t_E < res.T:
            ax.axvline(res.t_E, color="grey", lw=0.8, ls=":")
        ax.grid(alpha=0.3)
    deal.set_ylabel("P(stage 1 or more reached)")
    deal.set_ylim(0, 1)
    deal.legend(fontsize=8)
    deal.set_title(f"{res.scenario or 'default parameters'}: {len(res.runs)} policies, {res.paths} paths, "
                   f"seed {res.seed} (dotted: the election)", fontsize=10)
    arsenal.set_ylabel("arsenal (mean; band: 10-90 % of paths)")
    ticks = list(range(0, res.T + 1, 3))
    arsenal.set_xticks(ticks)
    arsenal.set_xticklabels([labels[t] if t < len(labels) else "" for t in ticks], rotation=45, ha="right",
                            fontsize=7)
    arsenal.set_xlabel("month")
    return fig


def replay_figure(res: ReplayResult) -> Figure:
    """Each policy's Jaccard score by month (simulated against observed events, mean over paths), with the
    "nothing happens" and "shuffled months" references as horizontal lines.

    Parameters
    ----------
    res : ReplayResult

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4), layout="constrained")
    ax = fig.subplots()
    x = np.arange(len(res.months))
    for k, (name, s) in enumerate(res.scores.items()):
        ax.plot(x, s["jaccard_by_month"], color=f"C{k}", label=f"{name} (mean {s['jaccard_mean']:.3f})")
    for (name, v), ls in zip(res.references.items(), ("--", ":")):
        ax.axhline(v, color="0.4", lw=1, ls=ls, label=f"reference: {name.replace('_', ' ')} ({v:.3f})")
    ax.set_xticks(x[::3])
    ax.set_xticklabels(res.months[::3], rotation=45, ha="right", fontsize=7)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("month")
    ax.set_ylabel("Jaccard score, simulated vs observed")
    ax.set_title(f"replay against the dated events: {res.paths} paths, seed {res.seed}", fontsize=10)
    ax.legend(fontsize=7)
    return fig
