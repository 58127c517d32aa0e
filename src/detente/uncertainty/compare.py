"""Baseline vs what-if variants on common random numbers.

Every variant is run on the same perturbation draws as the baseline (the same uniforms for each actor, matched by
id; a stochastic model gets the same generator per block), so the per-draw difference ``variant − baseline`` isolates
the variant's effect from the input noise. For each variant and issue the comparison reports:

- ``diff_mean``: the mean paired difference, with a ``level`` (default 95 %) confidence interval
  ``diff_mean ± z·sd/√B`` (normal approximation; it is the Monte Carlo uncertainty of the expected effect);
- ``q_low`` / ``q_high``: the central ``level`` range of the per-draw differences (how much the effect itself varies
  over the uncertain inputs);
- ``p_up`` / ``p_down``: the share of draws in which the variant moves the outcome up / down.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from scipy.special import ndtri

from detente import display
from detente.errors import ParameterError
from detente.models.base import Model, _jsonable
from detente.results import Provenance
from detente.scenario.arrays import ScenarioArrays, to_arrays
from detente.scenario.schema import Scenario, Variant
from detente.uncertainty.ensemble import (
    BLOCK,
    DEFAULT_QUANTILES,
    Ensemble,
    base_provenance,
    build,
    member,
    normalise_thresholds,
    prepare,
    simulate,
    structure_modes,
)

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["Comparison", "compare"]


@dataclass(eq=False, repr=False)
class Comparison(display.SummaryRepr):
    """A baseline ensemble and one ensemble per variant, on the same draws (a :class:`~detente.results.Result`)."""

    baseline: Ensemble
    variants: dict[str, Ensemble]
    level: float
    provenance: Provenance

    frame_columns: ClassVar[tuple[str, ...]] = (
        "variant", "issue", "n", "baseline_mean", "variant_mean", "diff_mean", "diff_sd", "ci_low", "ci_high",
        "q_low", "q_high", "p_up", "p_down",
    )  # fmt: skip
    """The columns of :meth:`frame` (:meth:`differences`)."""

    def __post_init__(self) -> None:
        self.provenance = Provenance(self.provenance)

    def _summary(self) -> display.Summary:
        facts = [
            ("scenario", self.baseline.scenario),
            ("model", self.baseline.model),
            ("draws", str(self.baseline.draws)),
            ("variants", display.listed(list(self.variants))),
            ("level", display.fmt(self.level)),
        ]
        header, rows = display.frame_rows(
            self.differences(), ["variant", "issue", "baseline_mean", "variant_mean", "diff_mean", "ci_low", "ci_high"]
        )
        return display.Summary("Comparison", facts, header, rows)

    def differences(self) -> pd.DataFrame:
        """Per variant and issue: means, the paired difference's mean, sd, CI, central range and P(up/down)."""
        import pandas as pd

        z = float(ndtri(0.5 + self.level / 2))  # the normal quantile (scipy.stats.norm.ppf)
        lo_q, hi_q = (1 - self.level) / 2, 1 - (1 - self.level) / 2
        rows = []
        for vid, ens in self.variants.items():
            for j, iid in enumerate(self.baseline.issues):
                b, v = self.baseline.outcomes[:, j], ens.outcomes[:, j]
                ok = np.isfinite(b) & np.isfinite(v)
                d = v[ok] - b[ok]
                n = int(d.size)
                if n == 0:
                    rows.append({"variant": vid, "issue": iid, "n": 0})
                    continue
                sd = float(np.std(d, ddof=1)) if n > 1 else 0.0
                mean = float(d.mean())
                half = z * sd / math.sqrt(n)
                ql, qh = np.quantile(d, [lo_q, hi_q])
                rows.append(
                    {
                        "variant": vid,
                        "issue": iid,
                        "n": n,
                        "baseline_mean": float(b[ok].mean()),
                        "variant_mean": float(v[ok].mean()),
                        "diff_mean": mean,
                        "diff_sd": sd,
                        "ci_low": mean - half,
                        "ci_high": mean + half,
                        "q_low": float(ql),
                        "q_high": float(qh),
                        "p_up": float((d > 0).mean()),
                        "p_down": float((d < 0).mean()),
                    }
                )
        return pd.DataFrame(rows, columns=list(self.frame_columns))

    def frame(self) -> pd.DataFrame:
        """:meth:`differences`, the comparison's table (:attr:`frame_columns`)."""
        return self.differences()

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``detente compare --format json``."""
        missing = self.baseline.no_forecast()

        def summary(e: Ensemble) -> dict[Any, Any]:
            s = e.summary()
            return s[~s["issue"].isin(list(missing))].set_index("issue")[["mean", "sd"]].to_dict(orient="index")

        diffs: dict[str, Any] = {}
        for rec in self.differences().to_dict(orient="records"):
            if rec["issue"] not in missing:
                diffs.setdefault(rec.pop("variant"), {})[rec.pop("issue")] = rec
        doc = {
            **self.provenance,
            "level": self.level,
            "baseline": summary(self.baseline),
            "variants": {
                vid: {
                    "provenance": {k: e.provenance.get(k) for k in ("scenario", "scenario_hash")},
                    "summary": summary(e),
                    "differences": diffs.get(vid, {}),
                }
                for vid, e in self.variants.items()
            },
            **({"no_forecast": missing} if missing else {}),
        }
        return _jsonable(doc)

    def figure(self) -> Figure:
        """Per issue, each variant's mean difference with its CI and central range
        (:func:`detente.report.comparison.differences_figure`)."""
        from detente.report.comparison import differences_figure

        return differences_figure(self)


def compare(
    scenario: Scenario | str,
    model: str | Model = "compromise",
    variants: Sequence[str | Variant] | str | Variant = (),
    *,
    draws: int = 1000,
    perturb: Any = None,
    seed: int | None = None,
    chunk: int | None = None,
    params: dict[str, Any] | None = None,
    level: float = 0.95,
    progress: bool | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    max_memory: str | int | None = None,
    delegations: str | None = None,
    vetoes: str | None = None,
) -> Comparison:
    """Run the baseline and each variant on common random numbers.

    Undated edits are applied before the noise (a variant moves the central estimate; the uncertainty around it
    stays), dated edits at their round.

    Parameters
    ----------
    scenario : Scenario or str
    model : str or Model
    variants : str, Variant or sequence of them
        Variant ids of the scenario, or :class:`Variant` objects.
    draws, perturb, seed, chunk, params, progress, workers, scheduler, max_memory, delegations, vetoes
        As in :func:`detente.uncertainty.ensemble`; the same structure modes for the baseline and every variant.
    level : float
        The confidence level of the paired differences' intervals.

    Returns
    -------
    Comparison
        The baseline ensemble, one ensemble per variant and :meth:`Comparison.differences`.

    Raises
    ------
    UnknownNameError
        A variant the scenario does not define.
    ParameterError
        A bad argument.
    """
    if isinstance(variants, (str, Variant)):
        variants = [variants]
    if not variants:
        raise ParameterError("compare needs at least one variant")
    if not 0 < level < 1:
        raise ParameterError(f"level={level}: expected a number between 0 and 1")
    sc, scen, mdl, spec, seed, chunk = prepare(scenario, model, params, perturb, seed, chunk, draws)
    chunk = min(chunk, BLOCK)
    if sc is None:
        raise ParameterError("compare needs a Scenario (variants are looked up in it), not bare arrays")
    base = member(scen, None)
    mbs = [member(scen, v) for v in variants]
    labels = [mb.label for mb in mbs]
    if len(set(labels)) != len(labels):
        raise ParameterError(f"variants {labels}: each variant once")
    base_arrays: ScenarioArrays = to_arrays(sc)
    struct = structure_modes(base_arrays, delegations, vetoes)
    spec.check(tuple(dict.fromkeys(a for mb in [base, *mbs] for a in mb.arrays.actors)), base_arrays.issues)
    raws = simulate(
        mdl,
        [base, *mbs],
        spec,
        draws=draws,
        seed=seed,
        chunk=chunk,
        progress=progress,
        base_actors=base_arrays.actors,
        workers=workers,
        scheduler=scheduler,
        max_memory=max_memory,
        delegations=delegations,
        vetoes=vetoes,
    )
    prov = base_provenance(mdl, spec, seed, draws, chunk, struct)
    th = normalise_thresholds(None, sc, base_arrays)
    ens = [
        build(r, mb, mdl, provenance=prov, thresholds=th, quantiles=DEFAULT_QUANTILES, bins=20)
        for r, mb in zip(raws, [base, *mbs])
    ]
    prov = {
        **prov,
        "scenario": sc.name,
        "scenario_hash": ens[0].provenance["scenario_hash"],
        "scales": ens[0].provenance["scales"],
        "variants": labels,
    }
    return Comparison(baseline=ens[0], variants=dict(zip(labels, ens[1:])), level=level, provenance=Provenance(prov))
