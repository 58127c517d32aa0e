"""A comparison of what-if variants with the baseline: per issue, each variant's mean paired difference with its
confidence interval and the central range of the per-draw differences (``detente compare --out F.png``,
:meth:`detente.uncertainty.Comparison.figure`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def differences_figure(cmp: Any) -> Figure:
    """Per issue, each variant's mean difference (dot) with its CI (whiskers) and central range (band).

    Parameters
    ----------
    cmp : Comparison

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    df = cmp.differences()
    issues = list(cmp.baseline.issues)
    vids = list(cmp.variants)
    fig = Figure(figsize=(8, 0.5 + 0.45 * len(issues) * max(1, len(vids))))
    ax = fig.subplots()
    h = 0.8 / max(1, len(vids))
    for k, vid in enumerate(vids):
        sub = df[df["variant"] == vid].set_index("issue").reindex(issues)
        y = np.arange(len(issues)) + (k - (len(vids) - 1) / 2) * h
        ax.hlines(y, sub["q_low"], sub["q_high"], color=f"C{k}", alpha=0.35, lw=6)
        ax.errorbar(
            sub["diff_mean"],
            y,
            xerr=[sub["diff_mean"] - sub["ci_low"], sub["ci_high"] - sub["diff_mean"]],
            fmt="o",
            color=f"C{k}",
            label=vid,
            capsize=3,
        )
    ax.axvline(0, color="k", lw=0.8)
    ax.set_yticks(np.arange(len(issues)), issues)
    ax.set_ylabel("issue")
    ax.invert_yaxis()
    pct = f"{cmp.level * 100:g}%"
    ax.set_xlabel(f"variant − baseline (dot: mean with {pct} CI; band: central {pct} of draws)")
    ax.set_title(
        f"{cmp.provenance.get('scenario')} · {cmp.provenance.get('model')} · "
        f"{cmp.provenance.get('draws')} draws, seed {cmp.provenance.get('seed')}"
    )
    ax.legend(loc="best", fontsize="small")
    fig.tight_layout()
    return fig
