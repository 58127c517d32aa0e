"""Tornado charts of Sobol indices: per issue, the input groups with the largest total index, the total (ST) with
its confidence whisker and the first-order index (S1) inside it (``detente sensitivity --out F.png``,
:meth:`detente.uncertainty.Sensitivity.figure`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from detente.errors import ParameterError

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def tornado_figure(sens: Any, issues: list[str] | None = None, top: int = 8) -> Figure:
    """Tornado charts as small multiples: per issue, the ``top`` groups by total index.

    Bar: ST with its confidence whisker; inner bar: S1. Issues whose outcome did not vary get an empty panel
    that says so.

    Parameters
    ----------
    sens : Sensitivity
    issues : list of str, optional
        Issue ids (default: all).
    top : int
        Groups shown per issue.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ParameterError
        An issue id that is not in the result.
    """
    from matplotlib.figure import Figure

    chosen = list(issues or sens.issues)
    for iid in chosen:
        if iid not in sens.issues:
            raise ParameterError(f"unknown issue {iid!r}; expected one of {list(sens.issues)}")
    k = min(top, len(sens.groups))
    cols = min(len(chosen), 3 if len(chosen) > 4 else 2) if len(chosen) > 1 else 1
    rows = -(-len(chosen) // cols)
    fig = Figure(figsize=(4.4 * cols + 0.6, (0.24 * k + 0.9) * rows + 0.6), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    xmax = 1.0
    for j, _ in enumerate(sens.issues):
        if sens.issues[j] in chosen:
            hi = np.nan_to_num(sens.ST[j]) + np.nan_to_num(sens.ST_conf[j])
            xmax = max(xmax, float(hi.max(initial=0.0)))
    for ax, iid in zip(axes.ravel(), chosen):
        j = sens.issues.index(iid)
        sd = float(np.sqrt(sens.variance[j]))
        ax.set_title(f"{iid} (outcome sd {sd:.3g})", fontsize="medium")
        ax.set_xlim(0, xmax * 1.02)
        if not sd > 0:
            ax.set_yticks([])
            ax.text(
                0.5,
                0.5,
                "the outcome did not vary:\nno index to show",
                transform=ax.transAxes,
                ha="center",
                va="center",
                fontsize="small",
                color="0.35",
            )
            continue
        st = np.nan_to_num(sens.ST[j])
        order = np.argsort(-st, kind="stable")[:k]
        y = np.arange(len(order))
        ax.barh(
            y,
            st[order],
            color="C0",
            alpha=0.45,
            label="total (ST)",
            xerr=np.nan_to_num(sens.ST_conf[j, order]),
            error_kw={"lw": 0.8, "capsize": 2},
        )
        ax.barh(y, np.nan_to_num(sens.S1[j, order]), height=0.45, color="C0", label="first order (S1)")
        ax.set_yticks(y, [sens.groups[i] for i in order], fontsize="small")
        ax.set_ylim(k - 0.5, -0.5)
        ax.grid(axis="x", color="0.92")
        ax.set_axisbelow(True)
    for ax in axes.ravel()[len(chosen) :]:
        ax.axis("off")
    for ax in axes[-1]:
        ax.set_xlabel("Sobol index")
    for ax in axes[:, 0]:
        ax.set_ylabel("input group")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if not handles:
        for ax in axes.ravel():
            handles, labels = ax.get_legend_handles_labels()
            if handles:
                break
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncol=2, fontsize="small", frameon=False)
    fig.suptitle(
        f"{sens.provenance.get('scenario')} · {sens.provenance.get('model')} · "
        f"N={sens.provenance.get('base_samples')}, seed {sens.provenance.get('seed')} · top {k} of "
        f"{len(sens.groups)} input groups per issue",
        fontsize="medium",
    )
    return fig
