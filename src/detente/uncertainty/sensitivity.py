"""Global sensitivity: Sobol indices of each issue's outcome with respect to groups of uncertain inputs.

Saltelli's scheme (Saltelli 2002; Saltelli et al. 2010, Comput. Phys. Commun. 181:259–270) with the estimators of
SALib (Herman & Usher 2017, JOSS 2(9):97), implemented vectorised and streamed in :mod:`detente.uncertainty.sobol`:
``N`` base samples of the inputs give ``N·(G + 2)`` model evaluations for ``G`` groups, run in blocks of base samples
(in-process or on Dask workers, same bytes) and reduced to sums, so memory does not grow with ``N``. The design is
SALib's (same scrambled Sobol' points for the same seed). The inputs are the cells the perturbation spec makes noisy
(position, salience, capability of each actor on each issue); each is sampled as its uniform ``u`` in (0, 1) and
turned into a value by the same inverse-CDF transforms as :mod:`detente.uncertainty.perturb`, so the spec means the
same thing in an ensemble and here. Dropout and shocks are discrete events and are not part of the Sobol analysis.

Groups (``groups=``): ``actor-field`` (default; e.g. ``south-korea:position``), ``actor``, ``field``, ``issue``,
``cell`` (every actor × issue × field separately).

For the compromise model with noise on positions only, the outcome is linear in independent inputs, so the first-order
index of actor i on issue j is w_ij² σ_ij² / Σ_k w_kj² σ_kj² (and S1 = ST); the tests check that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np

from detente import display
from detente.errors import ParameterError
from detente.execution import Blocks, block_seed, check_memory, run_blocks
from detente.execution.footprint import BASE_BYTES, model_bytes
from detente.execution.memory import resolve_limit
from detente.models.base import Model, _jsonable, issue_scales, no_forecast, no_stances
from detente.results import Provenance
from detente.scenario.arrays import ScenarioArrays, to_arrays
from detente.scenario.schema import Scenario
from detente.uncertainty.ensemble import base_provenance, on_device, prepare, solve_draws, structure_modes
from detente.uncertainty.perturb import Uniforms
from detente.uncertainty.perturb import perturb as perturb_batch
from detente.uncertainty.sobol import SobolSums, block_size, design
from detente.uncertainty.spec import FIELDS, PerturbationSpec

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["GROUPINGS", "Sensitivity", "sensitivity"]

Grouping = Literal["actor-field", "actor", "field", "issue", "cell"]
GROUPINGS: tuple[str, ...] = ("actor-field", "actor", "field", "issue", "cell")
_EPS = 1e-12


@dataclass(eq=False, repr=False)
class Sensitivity(display.SummaryRepr):
    """First-order (S1) and total (ST) Sobol indices per issue and input group, with their confidence half-widths
    (a :class:`~detente.results.Result`)."""

    issues: tuple[str, ...]
    groups: tuple[str, ...]
    S1: np.ndarray  # (m, G)
    S1_conf: np.ndarray
    ST: np.ndarray
    ST_conf: np.ndarray
    variance: np.ndarray  # (m,) output variance
    provenance: Provenance
    no_forecast: dict[str, str] = field(default_factory=dict)
    """Issues no run forecasts (nobody holds a stance on them), with the reason: they have no indices."""

    frame_columns: ClassVar[tuple[str, ...]] = ("issue", "group", "S1", "S1_conf", "ST", "ST_conf")
    """The columns of :meth:`frame`."""

    def __post_init__(self) -> None:
        self.provenance = Provenance(self.provenance)

    def _summary(self) -> display.Summary:
        facts: list[tuple[str, str]] = [
            (k, str(self.provenance[k])) for k in ("scenario", "model") if k in self.provenance
        ]
        facts += [("issues", str(len(self.issues))), ("groups", display.listed(list(self.groups)))]
        df = self.frame()
        top = df.groupby("issue", sort=False).head(3)  # the three largest total indices per issue
        header, rows = display.frame_rows(top, ["issue", "group", "S1", "ST", "ST_conf"])
        return display.Summary("Sensitivity", facts, header, rows)

    def frame(self) -> pd.DataFrame:
        """Tidy: issue, group, S1, S1_conf, ST, ST_conf (sorted by issue, then ST descending)."""
        import pandas as pd

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
            if iid not in self.no_forecast
            for k, g in enumerate(self.groups)
        ]
        df = pd.DataFrame(rows, columns=list(self.frame_columns))
        order = {iid: j for j, iid in enumerate(self.issues)}
        df["_o"] = df["issue"].map(order)
        return (
            df.sort_values(["_o", "ST"], ascending=[True, False], kind="stable")
            .drop(columns="_o")
            .reset_index(drop=True)
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``detente sensitivity --format json``."""
        doc: dict[str, Any] = {**self.provenance, "groups": list(self.groups), "issues": {}}
        if self.no_forecast:
            doc["no_forecast"] = dict(self.no_forecast)
        for j, iid in enumerate(self.issues):
            if iid in self.no_forecast:
                continue
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

    def figure(self, issues: list[str] | None = None, top: int = 8) -> Figure:
        """Tornado charts as small multiples: per issue, the ``top`` groups by total index
        (:func:`detente.report.tornado.tornado_figure`, which says more).

        Raises
        ------
        ParameterError
            An issue id that is not in the result.
        """
        from detente.report.tornado import tornado_figure

        return tornado_figure(self, issues, top)


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


@dataclass(eq=False)
class SobolJob:
    """What every block of a Sobol run needs (sent once to each worker)."""

    model: Model
    arrays: ScenarioArrays
    spec: PerturbationSpec
    seed: int
    blocks: Blocks
    chunk: int
    group_of: np.ndarray  # (D,) group index of each input cell
    n_groups: int
    cells: np.ndarray  # (D, 3) field, actor, issue of each input
    center: np.ndarray  # (m,) subtracted from outputs before the products
    delegations: str | None = None  # None: the scenario's default (docs/two-level.md)
    vetoes: str | None = None


def evaluate(job: SobolJob, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The model's outcomes (rows, m) at design rows ``x`` (rows, D) of uniforms."""
    a = job.arrays
    n, m = a.n_actors, a.n_issues
    out = np.empty((x.shape[0], m))
    f_idx, a_idx, j_idx = job.cells.T
    for start in range(0, x.shape[0], job.chunk):
        xs = np.clip(x[start : start + job.chunk], _EPS, 1 - _EPS)
        c = xs.shape[0]
        cube = np.full((c, 3, n, m), 0.5)  # u = 0.5 is "no noise" for every distribution
        cube[:, f_idx, a_idx, j_idx] = xs
        u = Uniforms(
            a.actors, cube[:, 0], cube[:, 1], cube[:, 2], np.ones((c, n)), np.ones((c, n)), np.full((c, n, m), 0.5)
        )
        batch = perturb_batch(a, job.spec, u)
        out[start : start + c] = solve_draws(job.model, batch, rng, job.delegations, job.vetoes)[0]
    return out


def sobol_block(job: SobolJob, k: int) -> SobolSums:
    """Block ``k``: its design points, their ``(G + 2)·c`` evaluations, reduced to sums."""
    lo, hi = job.blocks.bounds(k)
    A, B, AB = design(job.seed, job.group_of, job.n_groups, lo, hi)
    c, D = A.shape
    rows = np.concatenate([A[None], B[None], AB]).reshape(-1, D)
    rng = np.random.default_rng(block_seed(job.seed, k))
    Y = evaluate(job, rows, rng).reshape(job.n_groups + 2, c, -1)
    return SobolSums.of(Y[0], Y[1], Y[2:], center=job.center)


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
    conf_level: float = 0.95,
    progress: bool | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    max_memory: str | int | None = None,
    delegations: str | None = None,
    vetoes: str | None = None,
    device: str | None = None,
) -> Sensitivity:
    """Sobol indices (S1, ST) of each issue's outcome for groups of uncertain inputs.

    The perturbation spec (argument, scenario field or default, as in :func:`ensemble`) says which inputs are
    uncertain and how. The model is evaluated ``N·(G + 2)`` times (``G`` groups), ``chunk`` rows per model call.

    Parameters
    ----------
    scenario : Scenario, ScenarioArrays or str
    model : str or Model
    draws : int
        ``N``, the base samples (a power of 2 is best).
    perturb, seed, chunk, params, progress, workers, scheduler, max_memory, delegations, vetoes, device
        As in :func:`detente.uncertainty.ensemble`.
    groups : str
        How inputs are grouped: ``"actor-field"`` (default), ``"actor"``, ``"field"``, ``"issue"`` or ``"cell"``.
    conf_level : float
        The confidence level of the indices' intervals (the half-widths S1_conf and ST_conf).

    Returns
    -------
    Sensitivity
        Indices per issue and group with their confidence half-widths.

    Raises
    ------
    ParameterError
        A bad argument or an unknown grouping.
    """
    if groups not in GROUPINGS:
        raise ParameterError(f"groups={groups!r}: expected one of {', '.join(GROUPINGS)}")
    if not 0 < conf_level < 1:
        raise ParameterError(f"conf_level={conf_level}: expected a number between 0 and 1")
    if draws < 2:
        raise ParameterError(f"draws={draws}: expected at least 2 base samples")
    sc, scen, mdl, spec, seed, chunk = prepare(scenario, model, params, perturb, seed, chunk, draws)
    arrays = to_arrays(scen) if isinstance(scen, Scenario) else scen
    spec.check(arrays.actors, arrays.issues)
    struct = structure_modes(arrays, delegations, vetoes)
    cells, names = _factors(arrays, spec, groups)
    if not cells:
        raise ParameterError("the perturbation spec makes no input uncertain: nothing to analyse")
    unique_groups = tuple(dict.fromkeys(names))
    if len(unique_groups) < 2:
        raise ParameterError(
            f"groups={groups!r} gives only {list(unique_groups)}: Sobol indices need two groups or more"
        )
    G = len(unique_groups)
    index = {g: i for i, g in enumerate(unique_groups)}
    group_of = np.array([index[g] for g in names])
    n, m = arrays.n_actors, arrays.n_issues
    base = block_size(G)
    blocks = Blocks(draws, base)
    total = draws * (G + 2)
    step = max(1, min(chunk, base * (G + 2)))
    D = len(cells)
    concurrent = 1 if workers is None else int(workers)
    per_block = base * (G + 2) * (D * 8 * 2 + m * 8) + step * 3 * n * m * 8 * 8 + model_bytes(mdl, n, m, step)
    check_memory(
        BASE_BYTES + concurrent * per_block,
        resolve_limit(max_memory),
        f"Sobol analysis ({G} groups, blocks of {base} base samples, {step} evaluations per model call)",
        "use a smaller `chunk`, fewer `workers`, or raise the limit",
    )
    spec_nc = spec.model_copy(
        update={
            "dropout": spec.dropout.model_copy(update={"probability": 0.0}),
            "shocks": spec.shocks.model_copy(update={"probability": 0.0}),
        }
    )
    job = SobolJob(
        mdl, arrays, spec_nc, seed, blocks, step, group_of, G, np.array(cells, int), np.zeros(m), delegations, vetoes
    )
    sums: SobolSums | None = None
    with on_device(device, workers, scheduler) as backend:
        # outputs are centred on the model's outcome at the nominal inputs (u = 0.5 everywhere)
        nominal = evaluate(job, np.full((1, D), 0.5), np.random.default_rng(seed))[0]
        job.center = np.where(np.isfinite(nominal), nominal, 0.0)
        for part in run_blocks(
            sobol_block,
            job,
            range(blocks.count),
            workers=workers,
            scheduler=scheduler,
            show_progress=progress,
            what=f"sobol {mdl.name}: blocks of {base} base samples",
        ):
            sums = part if sums is None else sums + part
    assert sums is not None
    S1, S1c, ST, STc, var = sums.indices(conf_level)
    prov = base_provenance(mdl, spec_nc, seed, total, step, struct)
    prov.update(
        {
            "scenario": arrays.name,
            "scenario_hash": arrays.scenario_hash,
            "scales": issue_scales(arrays.issues, arrays.lower, arrays.upper),
            "method": "sobol: Saltelli design, Saltelli 2010 first-order and Jansen total estimators",
            "base_samples": draws,
            "block": base,
            "evaluations": total,
            "grouping": groups,
            "conf_level": conf_level,
            "conf_method": "delta method (normal approximation)",
        }
    )
    if backend is not None:
        prov["device"] = backend.name
    nobody = no_stances(arrays)[0]
    missing = no_forecast({iid: "no_stances" for iid, x in zip(arrays.issues, nobody) if x})
    return Sensitivity(arrays.issues, unique_groups, S1, S1c, ST, STc, var, Provenance(prov), missing)
