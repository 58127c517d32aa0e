"""Global sensitivity: Sobol indices of each issue's outcome with respect to groups of uncertain inputs.

Saltelli's scheme as implemented by SALib (Herman & Usher 2017, JOSS 2(9):97; Saltelli et al. 2010, Comput. Phys.
Commun. 181:259–270 for the estimators): ``N`` base samples of the inputs give ``N·(G + 2)`` model evaluations for
``G`` groups, all solved as one batch (in chunks). The inputs are the cells the perturbation spec makes noisy
(position, salience, capability of each actor on each issue); each is sampled as its uniform ``u`` in (0, 1) and
turned into a value by the same inverse-CDF transforms as :mod:`detente.uncertainty.perturb`, so the spec means the
same thing in an ensemble and here. Dropout and shocks are discrete events and are not part of the Sobol analysis.

Groups (``groups=``): ``actor-field`` (default; e.g. ``south-korea:position``), ``actor``, ``field``, ``issue``,
``cell`` (every actor × issue × field separately).

For the compromise model with noise on positions only, the outcome is linear in independent inputs, so the first-order
index of actor i on issue j is w_ij² σ_ij² / Σ_k w_kj² σ_kj² (and S1 = ST); the tests check that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from detente.errors import ParameterError
from detente.models.base import Model, _jsonable
from detente.scenario.arrays import ScenarioArrays, to_arrays
from detente.scenario.schema import Scenario
from detente.uncertainty.ensemble import base_provenance, prepare, solve_final
from detente.uncertainty.perturb import Uniforms
from detente.uncertainty.perturb import perturb as perturb_batch
from detente.uncertainty.spec import FIELDS, PerturbationSpec

__all__ = ["GROUPINGS", "Sensitivity", "sensitivity"]

Grouping = Literal["actor-field", "actor", "field", "issue", "cell"]
GROUPINGS: tuple[str, ...] = ("actor-field", "actor", "field", "issue", "cell")
_EPS = 1e-12


@dataclass(eq=False)
class Sensitivity:
    """First-order (S1) and total (ST) Sobol indices per issue and input group, with their confidence half-widths."""

    issues: tuple[str, ...]
    groups: tuple[str, ...]
    S1: np.ndarray  # (m, G)
    S1_conf: np.ndarray
    ST: np.ndarray
    ST_conf: np.ndarray
    variance: np.ndarray  # (m,) output variance
    provenance: dict[str, Any]

    def frame(self) -> pd.DataFrame:
        """Tidy: issue, group, S1, S1_conf, ST, ST_conf (sorted by issue, then ST descending)."""
        rows = [
            {
                "issue": iid,
                "group": g,
                "S1": self.S1[j, k],
                "S1_conf": self.S1_conf[j, k],
                "ST": self.ST[j, k],
                "ST_conf": self.ST_conf[j, k],
            }
            for j, iid in enumerate(self.issues)
            for k, g in enumerate(self.groups)
        ]
        df = pd.DataFrame(rows)
        order = {iid: j for j, iid in enumerate(self.issues)}
        df["_o"] = df["issue"].map(order)
        return (
            df.sort_values(["_o", "ST"], ascending=[True, False], kind="stable")
            .drop(columns="_o")
            .reset_index(drop=True)
        )

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {**self.provenance, "groups": list(self.groups), "issues": {}}
        for j, iid in enumerate(self.issues):
            doc["issues"][iid] = {
                "variance": self.variance[j],
                "indices": {
                    g: {
                        "S1": self.S1[j, k],
                        "S1_conf": self.S1_conf[j, k],
                        "ST": self.ST[j, k],
                        "ST_conf": self.ST_conf[j, k],
                    }
                    for k, g in enumerate(self.groups)
                },
            }
        return _jsonable(doc)

    def figure(self, issues: list[str] | None = None, top: int = 12) -> Any:
        """Tornado chart: per issue, the groups sorted by total index (bar: ST, inner bar: S1, whisker: ST CI)."""
        from matplotlib.figure import Figure

        chosen = list(issues or self.issues)
        for iid in chosen:
            if iid not in self.issues:
                raise ParameterError(f"unknown issue {iid!r}; expected one of {list(self.issues)}")
        k = min(top, len(self.groups))
        fig = Figure(figsize=(7.5, 0.6 + (0.28 * k + 0.7) * len(chosen)), layout="constrained")
        axes = fig.subplots(len(chosen), 1, squeeze=False)
        for ax, iid in zip(axes[:, 0], chosen):
            j = self.issues.index(iid)
            st = np.nan_to_num(self.ST[j])
            order = np.argsort(-st, kind="stable")[:k]
            y = np.arange(len(order))
            ax.barh(
                y,
                st[order],
                color="C0",
                alpha=0.45,
                label="total (ST)",
                xerr=np.nan_to_num(self.ST_conf[j, order]),
                error_kw={"lw": 0.8, "capsize": 2},
            )
            ax.barh(y, np.nan_to_num(self.S1[j, order]), height=0.45, color="C0", label="first order (S1)")
            ax.set_yticks(y, [self.groups[i] for i in order], fontsize="small")
            ax.invert_yaxis()
            ax.set_xlim(0, max(1.0, float(np.nanmax(st[order] + np.nan_to_num(self.ST_conf[j, order]))) if k else 1.0))
            ax.set_title(f"{iid} (outcome sd {np.sqrt(self.variance[j]):.3g})", fontsize="medium")
        axes[0, 0].legend(loc="lower right", fontsize="small")
        axes[-1, 0].set_xlabel("Sobol index")
        fig.suptitle(
            f"{self.provenance.get('scenario')} · {self.provenance.get('model')} · "
            f"N={self.provenance.get('base_samples')}, seed {self.provenance.get('seed')}",
            fontsize="medium",
        )
        return fig


def _factors(
    arrays: ScenarioArrays, spec: PerturbationSpec, grouping: str
) -> tuple[list[tuple[int, int, int]], list[str]]:
    """The noisy cells as (field index, actor, issue) and each one's group name."""
    cells: list[tuple[int, int, int]] = []
    groups: list[str] = []
    for f, fname in enumerate(FIELDS):
        nominal = getattr(arrays, fname)[0]
        _, scale = spec.cells(fname, arrays.actors, arrays.issues, nominal, arrays.lower, arrays.upper)
        live = (scale > 0) & arrays.mask[0]
        for a, j in zip(*np.nonzero(live)):
            cells.append((f, int(a), int(j)))
            aid, iid = arrays.actors[a], arrays.issues[j]
            groups.append(
                {
                    "actor-field": f"{aid}:{fname}",
                    "actor": aid,
                    "field": fname,
                    "issue": iid,
                    "cell": f"{aid}:{fname}:{iid}",
                }[grouping]
            )
    return cells, groups


def sensitivity(
    scenario: Scenario | ScenarioArrays | str,
    model: str | Model = "compromise",
    *,
    draws: int = 512,
    perturb: Any = None,
    seed: int | None = None,
    groups: Grouping = "actor-field",
    chunk: int | None = None,
    params: dict[str, Any] | None = None,
    num_resamples: int = 100,
    conf_level: float = 0.95,
) -> Sensitivity:
    """Sobol indices (S1, ST) of each issue's outcome for the input ``groups`` (``draws`` = N base samples).

    The perturbation spec (argument, scenario field or default, as in :func:`ensemble`) says which inputs are
    uncertain and how. The model is evaluated ``N·(G + 2)`` times (``G`` groups); ``N`` a power of 2 is best.
    """
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    if groups not in GROUPINGS:
        raise ParameterError(f"groups={groups!r}: expected one of {', '.join(GROUPINGS)}")
    sc, scen, mdl, spec, seed, chunk = prepare(scenario, model, params, perturb, seed, chunk, draws)
    arrays = to_arrays(scen) if isinstance(scen, Scenario) else scen
    spec.check(arrays.actors, arrays.issues)
    cells, names = _factors(arrays, spec, groups)
    if not cells:
        raise ParameterError("the perturbation spec makes no input uncertain: nothing to analyse")
    unique_groups = tuple(dict.fromkeys(names))
    if len(unique_groups) < 2:
        raise ParameterError(
            f"groups={groups!r} gives only {list(unique_groups)}: Sobol indices need two groups or more"
        )
    problem = {
        "num_vars": len(cells),
        "names": [f"x{k}" for k in range(len(cells))],
        "bounds": [[0.0, 1.0]] * len(cells),
        "groups": names,
    }
    X = sobol_sample.sample(problem, draws, calc_second_order=False, seed=seed)
    X = np.clip(X, _EPS, 1 - _EPS)
    total = X.shape[0]
    n, m = arrays.n_actors, arrays.n_issues
    Y = np.empty((total, m))
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2,)))
    step = max(1, min(chunk, total))
    f_idx = np.array([c[0] for c in cells])
    a_idx = np.array([c[1] for c in cells])
    j_idx = np.array([c[2] for c in cells])
    spec_nc = spec.model_copy(
        update={
            "dropout": spec.dropout.model_copy(update={"probability": 0.0}),
            "shocks": spec.shocks.model_copy(update={"probability": 0.0}),
        }
    )
    for start in range(0, total, step):
        x = X[start : start + step]
        c = x.shape[0]
        cube = np.full((c, 3, n, m), 0.5)  # u = 0.5 is "no noise" for every distribution
        cube[:, f_idx, a_idx, j_idx] = x
        u = Uniforms(
            arrays.actors, cube[:, 0], cube[:, 1], cube[:, 2], np.ones((c, n)), np.ones((c, n)), np.full((c, n, m), 0.5)
        )
        Y[start : start + c] = solve_final(mdl, perturb_batch(arrays, spec_nc, u), rng)[0]
    G = len(unique_groups)
    S1, S1c, ST, STc = (np.full((m, G), np.nan) for _ in range(4))
    var = np.nanvar(Y, axis=0)
    for j in range(m):
        y = Y[:, j]
        if not np.isfinite(y).all():
            continue  # indices undefined where some evaluation has no outcome: left NaN
        if np.ptp(y) <= 1e-12 * max(1.0, float(np.abs(y).max())):  # no input moves this issue's outcome
            S1[j], ST[j], S1c[j], STc[j] = 0.0, 0.0, 0.0, 0.0
            var[j] = 0.0
            continue
        res = sobol_analyze.analyze(
            problem,
            y,
            calc_second_order=False,
            num_resamples=num_resamples,
            conf_level=conf_level,
            print_to_console=False,
            seed=seed,
        )
        S1[j], S1c[j], ST[j], STc[j] = res["S1"], res["S1_conf"], res["ST"], res["ST_conf"]
    order = list(dict.fromkeys(names))  # SALib reports groups in order of first appearance
    assert tuple(order) == unique_groups
    prov = base_provenance(mdl, spec_nc, seed, total, step)
    prov.update(
        {
            "scenario": arrays.name,
            "scenario_hash": arrays.scenario_hash,
            "method": "sobol (Saltelli, SALib)",
            "base_samples": draws,
            "evaluations": total,
            "grouping": groups,
            "conf_level": conf_level,
        }
    )
    return Sensitivity(arrays.issues, unique_groups, S1, S1c, ST, STc, var, prov)
