"""Monte Carlo ensembles: one model run on a batch of perturbed scenarios.

``detente.uncertainty.ensemble(scenario, model, draws=B, perturb=spec, seed=S)`` draws B perturbed copies of the
scenario (:mod:`detente.uncertainty.perturb`) and solves them with the model's batch axis, in blocks of
:data:`BLOCK` draws (``chunk`` draws per model call). The :class:`Ensemble` holds every draw's outcome and the actors'
final positions and summarises them: per issue mean, sd, quantiles, a histogram over the issue's scale,
P(outcome ≥ t) and P(outcome ≤ t); per actor the distribution of its final position; a tidy DataFrame of all draws;
provenance.

Determinism and parallelism: block ``k`` (draws ``k·BLOCK`` to ``(k+1)·BLOCK``) draws its perturbations from
``SeedSequence(seed).spawn()[k]`` (:func:`detente.execution.block_seed`), one generator row per draw, so results
depend neither on ``chunk`` nor on where the block runs: in-process, or on ``workers`` Dask worker processes
(``scheduler`` for a cluster) give the same bytes. A stochastic model gets its own generator per block (its results
then depend on ``chunk`` too, which the provenance records). Same inputs and seed → byte-identical JSON.

Memory: the draws are written into arrays allocated once (outcomes, final positions, participation, a status code and
rounds: about ``17·m + 9·n·m`` bytes per draw); before it starts, the run estimates that plus the blocks in flight
and refuses with one line when it exceeds ``max_memory`` (default half the machine's memory).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from detente import display
from detente.errors import ParameterError
from detente.execution import Blocks, block_seed, check_memory, format_bytes, run_blocks
from detente.execution.device import Backend
from detente.execution.device import current as current_device
from detente.execution.device import resolve as resolve_device
from detente.execution.device import use as use_device
from detente.execution.footprint import BASE_BYTES, check_solve, model_bytes
from detente.execution.memory import resolve_limit
from detente.interventions import LabelledEdit, apply, final_positions, resolve, solve
from detente.models.base import STATUSES, Model, _jsonable, get, issue_scales, no_forecast, outcome_table, version
from detente.results import Provenance
from detente.scenario.arrays import ScenarioArrays, to_arrays
from detente.scenario.schema import Scenario, Variant
from detente.uncertainty.perturb import Uniforms, draw_uniforms
from detente.uncertainty.perturb import perturb as perturb_batch
from detente.uncertainty.spec import PerturbationSpec, resolve_spec

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["BLOCK", "DEFAULT_CHUNK", "DEFAULT_QUANTILES", "Ensemble", "ensemble"]

BLOCK = 1000
"""Draws per block: the unit of work and of random streams (fixed, whatever the number of workers)."""
DEFAULT_CHUNK = 1000
DEFAULT_QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)


def qkey(q: float) -> str:
    """``0.05 → 'q5'``, ``0.025 → 'q2.5'``."""
    return f"q{q * 100:g}"


def tkey(t: float) -> str:
    return f"{t:g}"


@dataclass(eq=False, repr=False)
class Ensemble(display.SummaryRepr):
    """The draws of one ensemble and their summaries (a :class:`~detente.results.Result`)."""

    scenario: str
    model: str
    actors: tuple[str, ...]
    issues: tuple[str, ...]
    lower: np.ndarray
    upper: np.ndarray
    outcomes: np.ndarray  # (B, m)
    positions: np.ndarray  # (B, n, m) final positions
    mask: np.ndarray  # (B, n, m) who took part in each draw
    status_codes: np.ndarray  # (B, m) uint8 index into detente.models.base.STATUSES
    rounds: np.ndarray  # (B, m)
    provenance: Provenance
    thresholds: dict[str, list[float]] = field(default_factory=dict)
    quantiles: tuple[float, ...] = DEFAULT_QUANTILES
    bins: int = 20

    frame_columns: ClassVar[tuple[str, ...]] = ("draw", "issue", "outcome", "status", "rounds")
    """The columns of :meth:`frame`."""

    def __post_init__(self) -> None:
        self.provenance = Provenance(self.provenance)

    def _summary(self) -> display.Summary:
        facts = [
            ("scenario", self.scenario),
            ("model", self.model),
            ("draws", str(self.draws)),
            ("actors", str(len(self.actors))),
            ("issues", str(len(self.issues))),
        ]
        header, rows = display.frame_rows(self.summary(), ["issue", "n", "mean", "sd", "min", "max"])
        return display.Summary("Ensemble", facts, header, rows)

    @property
    def status(self) -> np.ndarray:
        """(B, m) status per draw and issue (strings shared with :data:`STATUSES`)."""
        return np.asarray(STATUSES, dtype=object)[self.status_codes]

    def status_counts(self, issue: str | int) -> dict[str, int]:
        """How many draws ended in each status on ``issue`` (sorted by name)."""
        counts = np.bincount(self.status_codes[:, self._col(issue)], minlength=len(STATUSES))
        return {STATUSES[i]: int(c) for i, c in sorted(enumerate(counts), key=lambda ic: STATUSES[ic[0]]) if c}

    @property
    def draws(self) -> int:
        return int(self.outcomes.shape[0])

    def _col(self, issue: str | int) -> int:
        if isinstance(issue, int):
            return issue
        if issue not in self.issues:
            raise ParameterError(f"unknown issue {issue!r}; expected one of {list(self.issues)}")
        return self.issues.index(issue)

    # ---- per issue ----------------------------------------------------------------------------------------------
    def summary(self) -> pd.DataFrame:
        """Per issue: n (finite draws), mean, sd, se (of the mean), the quantiles, min and max."""
        import pandas as pd

        return pd.DataFrame(self._summary_rows())

    def _summary_rows(self) -> list[dict[str, Any]]:
        rows = []
        for j, iid in enumerate(self.issues):
            x = self.outcomes[:, j]
            x = x[np.isfinite(x)]
            rows.append({"issue": iid, **_stats(x, self.quantiles)})
        return rows

    def histogram(self, issue: str | int) -> tuple[np.ndarray, np.ndarray]:
        """``(counts, edges)``: ``bins`` equal bins over the issue's scale."""
        j = self._col(issue)
        x = self.outcomes[:, j]
        return np.histogram(x[np.isfinite(x)], bins=self.bins, range=(float(self.lower[j]), float(self.upper[j])))

    def probability(self, issue: str | int, op: str, threshold: float) -> float:
        """P(outcome ``op`` threshold) over the finite draws, ``op`` one of ``>=``, ``<=``, ``>``, ``<``."""
        j = self._col(issue)
        x = self.outcomes[:, j]
        x = x[np.isfinite(x)]
        if x.size == 0:
            return math.nan
        ops = {">=": np.greater_equal, "<=": np.less_equal, ">": np.greater, "<": np.less}
        if op not in ops:
            raise ParameterError(f"probability op {op!r}: expected one of {list(ops)}")
        return float(ops[op](x, threshold).mean())

    # ---- per actor ----------------------------------------------------------------------------------------------
    def actor_summary(self) -> pd.DataFrame:
        """Per actor and issue: the share of draws it took part in and its final position's distribution."""
        import pandas as pd

        return pd.DataFrame(self._actor_rows())

    def _actor_rows(self) -> list[dict[str, Any]]:
        rows = []
        for a, aid in enumerate(self.actors):
            for j, iid in enumerate(self.issues):
                present = self.mask[:, a, j]
                if not present.any():
                    continue
                x = self.positions[present, a, j]
                x = x[np.isfinite(x)]
                rows.append({"actor": aid, "issue": iid, "present": float(present.mean()), **_stats(x, self.quantiles)})
        return rows

    # ---- tidy tables ----------------------------------------------------------------------------------------------
    def frame(self) -> pd.DataFrame:
        """Every draw: draw, issue, outcome, status, rounds."""
        return outcome_table(tuple(self.issues), self.outcomes, self.status, self.rounds)

    def positions_frame(self) -> pd.DataFrame:
        """Every draw's final actor positions: draw, actor, issue, position (rows where the actor took part)."""
        import pandas as pd

        B, n, m = self.positions.shape
        d, a, i = np.meshgrid(np.arange(B), np.arange(n), np.arange(m), indexing="ij")
        keep = self.mask.ravel()
        return pd.DataFrame(
            {
                "draw": d.ravel()[keep],
                "actor": np.asarray(self.actors, dtype=object)[a.ravel()[keep]],
                "issue": np.asarray(self.issues, dtype=object)[i.ravel()[keep]],
                "position": self.positions.ravel()[keep],
            }
        )

    # ---- documents ------------------------------------------------------------------------------------------------
    def no_forecast(self) -> dict[str, str]:
        """The issues no draw forecasts (nobody holds a stance on them in any draw), with the reason."""
        every = {
            iid: STATUSES[int(codes[0])]
            for iid, codes in zip(self.issues, self.status_codes.T)
            if codes.size and (codes == codes[0]).all()
        }
        return no_forecast(every)

    def to_dict(self, *, draws: bool = False) -> dict[str, Any]:
        """The JSON document of ``detente ensemble --format json`` (``draws=True`` adds every draw's outcomes).

        An issue no draw forecasts has no statistics: it is listed under ``no_forecast`` with the reason."""
        # the rows of summary() and actor_summary() without a DataFrame (no pandas for a JSON document): every row
        # has the same keys and native int / float values, as the frames' records would
        summary = {r["issue"]: r for r in self._summary_rows()}
        missing = self.no_forecast()
        issues: dict[str, Any] = {}
        for j, iid in enumerate(self.issues):
            if iid in missing:
                continue
            counts, edges = self.histogram(j)
            row = summary[iid]
            ts = self.thresholds.get(iid, [])
            issues[iid] = {
                "n": int(row["n"]),
                "mean": row["mean"],
                "sd": row["sd"],
                "se": row["se"],
                "quantiles": {qkey(q): row[qkey(q)] for q in self.quantiles},
                "min": row["min"],
                "max": row["max"],
                "histogram": {"edges": edges.tolist(), "counts": counts.tolist()},
                "p_ge": {tkey(t): self.probability(j, ">=", t) for t in ts},
                "p_le": {tkey(t): self.probability(j, "<=", t) for t in ts},
                "status": self.status_counts(j),
            }
        actors: dict[str, Any] = {}
        for rec in self._actor_rows():
            actors.setdefault(rec.pop("actor"), {})[rec.pop("issue")] = rec
        doc = {**self.provenance, "issues": issues, "actors": actors}
        if missing:
            doc["no_forecast"] = missing
        if draws:
            doc["draws"] = {iid: self.outcomes[:, j] for j, iid in enumerate(self.issues) if iid not in missing}
        return _jsonable(doc)

    def figure(self) -> Figure:
        """The outcome's distribution over the draws, one panel per issue
        (:func:`detente.report.ensemble.distribution_figure`)."""
        from detente.report.ensemble import distribution_figure

        return distribution_figure(self)


def _stats(x: np.ndarray, quantiles: tuple[float, ...]) -> dict[str, float]:
    n = int(x.size)
    if n == 0:
        nan = math.nan
        return {"n": 0, "mean": nan, "sd": nan, "se": nan, **{qkey(q): nan for q in quantiles}, "min": nan, "max": nan}
    sd = float(np.std(x, ddof=1)) if n > 1 else 0.0
    qs = np.quantile(x, quantiles)
    return {
        "n": n,
        "mean": float(np.mean(x)),
        "sd": sd,
        "se": sd / math.sqrt(n),
        **{qkey(q): float(v) for q, v in zip(quantiles, qs)},
        "min": float(np.min(x)),
        "max": float(np.max(x)),
    }


# ---- the engine shared with compare -------------------------------------------------------------------------------
@dataclass(eq=False)
class Member:
    """One scenario of a run: the baseline or a variant (undated edits applied, dated ones pending)."""

    label: str
    arrays: ScenarioArrays
    dated: list[LabelledEdit]
    variant: str | None = None


@dataclass(eq=False)
class Raw:
    """One member's draws, filled block by block into arrays allocated once (status as codes into STATUSES)."""

    outcomes: np.ndarray  # (B, m)
    positions: np.ndarray  # (B, n, m)
    mask: np.ndarray  # (B, n, m)
    status: np.ndarray  # (B, m) uint8 codes
    rounds: np.ndarray  # (B, m)
    clipped: dict[str, int] = field(default_factory=dict)

    @classmethod
    def empty(cls, draws: int, n: int, m: int) -> Raw:
        return cls(
            np.empty((draws, m)),
            np.empty((draws, n, m)),
            np.empty((draws, n, m), bool),
            np.empty((draws, m), np.uint8),
            np.empty((draws, m), np.int64),
        )


def kept_bytes(n: int, m: int) -> int:
    """Bytes an ensemble keeps per draw and member: outcomes, positions, mask, status code, rounds."""
    return m * (8 + 1 + 8) + n * m * (8 + 1)


def new_seed() -> int:
    """A fresh seed (recorded in the provenance so that the run can be repeated)."""
    return int(np.random.SeedSequence().generate_state(1, dtype=np.uint64)[0] >> 1)


def member(scenario: Scenario | ScenarioArrays, variant: str | Variant | None) -> Member:
    """The member of a run for ``variant`` (None = the baseline)."""
    if variant is None:
        arrays = to_arrays(scenario) if isinstance(scenario, Scenario) else scenario
        return Member("baseline", arrays, [])
    if not isinstance(scenario, Scenario):
        raise ParameterError("variants need a Scenario (they are looked up by id and validated), not bare arrays")
    vid, items = resolve(scenario, variant)
    label = vid or "variant"
    edited = apply(scenario, variant, dated="skip")
    return Member(label, to_arrays(edited), [le for le in items if le.round > 0], variant=label)


@dataclass(eq=False)
class Job:
    """Everything a block needs (sent once to each worker)."""

    model: Model
    members: list[Member]
    spec: PerturbationSpec
    seed: int
    blocks: Blocks
    chunk: int
    base_actors: tuple[str, ...]
    extra: tuple[str, ...]
    delegations: str | None = None  # None: the scenario's default (docs/two-level.md)
    vetoes: str | None = None


def run_block(job: Job, k: int) -> list[tuple[np.ndarray, ...]]:
    """Block ``k`` of a run: per member (outcomes, positions, mask, status codes, rounds, clipped cells).

    The block's perturbations come from ``block_seed(seed, k)`` child 0 (child 1 for actors only variants have),
    one generator row per draw, so splitting the block into model calls of ``chunk`` draws changes nothing; a
    stochastic model gets a generator from child 2, the same one for every member (common random numbers).
    """
    lo, hi = job.blocks.bounds(k)
    s_base, s_extra, s_model = block_seed(job.seed, k).spawn(3)
    base_rng, extra_rng = np.random.default_rng(s_base), np.random.default_rng(s_extra)
    rngs = [np.random.default_rng(s_model) for _ in job.members]
    m = job.members[0].arrays.n_issues
    parts: list[list[tuple[np.ndarray, ...]]] = [[] for _ in job.members]
    clipped = [0 for _ in job.members]
    for start in range(lo, hi, job.chunk):
        c = min(job.chunk, hi - start)
        u: Uniforms = draw_uniforms(base_rng, c, job.base_actors, m)
        if job.extra:
            u = u.join(draw_uniforms(extra_rng, c, job.extra, m))
        for i, mb in enumerate(job.members):
            batch = perturb_batch(mb.arrays, job.spec, u)
            if mb.dated:
                counter: dict[str, int] = {}
                fc = solve(
                    job.model,
                    batch,
                    mb.dated,
                    rng=rngs[i],
                    on_bounds="clip",
                    counter=counter,
                    delegations=job.delegations,
                    vetoes=job.vetoes,
                    keep="final",
                )
                outcomes, positions, status, rounds = fc.outcomes, final_positions(fc), fc.status, fc.rounds
                clipped[i] += int(counter.get("clipped", 0))
            else:
                outcomes, positions, status, rounds = solve_draws(
                    job.model, batch, rngs[i], job.delegations, job.vetoes
                )
            parts[i].append(
                (np.asarray(outcomes, float), np.asarray(positions, float), batch.mask, status_codes(status), rounds)
            )
    out = []
    for i in range(len(job.members)):
        cols = [np.concatenate([p[f] for p in parts[i]]) if len(parts[i]) > 1 else parts[i][0][f] for f in range(5)]
        out.append((*cols, np.asarray(clipped[i])))
    return out


def status_codes(status: np.ndarray) -> np.ndarray:
    """Status strings → uint8 codes into :data:`STATUSES`."""
    st = np.asarray(status, dtype=object)
    codes = np.full(st.shape, 255, np.uint8)
    for i, name in enumerate(STATUSES):
        codes[st == name] = i
    if (codes == 255).any():
        bad = st[codes == 255].ravel()[0]
        raise ValueError(f"model status {bad!r}: expected one of {STATUSES}")
    return codes


def simulate(
    model: Model,
    members: list[Member],
    spec: PerturbationSpec,
    *,
    draws: int,
    seed: int,
    chunk: int,
    progress: bool | None,
    base_actors: tuple[str, ...],
    workers: int | None = None,
    scheduler: str | None = None,
    max_memory: str | int | None = None,
    delegations: str | None = None,
    vetoes: str | None = None,
) -> list[Raw]:
    """Run every member on the same perturbation draws, block by block (common random numbers).

    The draws are cut into blocks of :data:`BLOCK`; each block's random numbers come from the seed and the block
    index only, so the results are the same bytes in-process and on any number of Dask workers.
    """
    if draws < 1:
        raise ParameterError(f"draws={draws}: expected at least 1")
    if chunk < 1:
        raise ParameterError(f"chunk={chunk}: expected at least 1")
    chunk = min(chunk, BLOCK)
    m = members[0].arrays.n_issues
    extra = tuple(dict.fromkeys(a for mb in members for a in mb.arrays.actors if a not in base_actors))
    check_ensemble_memory(model, members, draws, chunk, workers, max_memory)
    for mb in members:  # a dated edit is checked on the unperturbed scenario first: off-scale values are refused
        if mb.dated:
            solve(
                model,
                mb.arrays,
                mb.dated,
                rng=np.random.default_rng(0),
                on_bounds="raise",
                delegations=delegations,
                vetoes=vetoes,
            )
    blocks = Blocks(draws, BLOCK)
    job = Job(model, members, spec, seed, blocks, chunk, base_actors, extra, delegations, vetoes)
    raws = [Raw.empty(draws, mb.arrays.n_actors, m) for mb in members]
    results = run_blocks(
        run_block,
        job,
        range(blocks.count),
        workers=workers,
        scheduler=scheduler,
        show_progress=progress,
        what=f"{model.name} × {len(members)}: blocks of {BLOCK} draws",
    )
    for k, res in enumerate(results):
        lo, hi = blocks.bounds(k)
        for raw, (outcomes, positions, mask, status, rounds, clipped) in zip(raws, res):
            raw.outcomes[lo:hi] = outcomes
            raw.positions[lo:hi] = positions
            raw.mask[lo:hi] = mask
            raw.status[lo:hi] = status
            raw.rounds[lo:hi] = rounds
            raw.clipped["clipped"] = raw.clipped.get("clipped", 0) + int(clipped)
    return raws


def check_ensemble_memory(
    model: Model,
    members: list[Member],
    draws: int,
    chunk: int,
    workers: int | None,
    max_memory: str | int | None,
) -> None:
    """Refuse a run whose kept draws plus the blocks in flight would exceed ``max_memory`` (see execution.memory)."""
    limit = resolve_limit(max_memory)
    m = members[0].arrays.n_issues
    kept = sum(draws * kept_bytes(mb.arrays.n_actors, m) for mb in members)
    n_max = max(mb.arrays.n_actors for mb in members)
    check_solve(model, n_max, m, 1, max_memory)
    concurrent = 1 if workers is None else int(workers)
    block = model_bytes(model, n_max, m, min(chunk, draws)) + min(BLOCK, draws) * sum(
        kept_bytes(mb.arrays.n_actors, m) for mb in members
    ) * (1 + 2 * concurrent)
    need = BASE_BYTES * (1 + (concurrent if workers else 0)) + kept + concurrent * block
    check_memory(
        need,
        limit,
        f"a {model.name} ensemble of {draws} draws × {len(members)} scenario(s) "
        f"({format_bytes(kept)} kept for exact summaries, {format_bytes(concurrent * block)} for the blocks in flight)",
        "use fewer draws or raise the limit"
        if kept + BASE_BYTES > limit
        else "use a smaller `chunk`, fewer `workers`, or raise the limit",
    )


def solve_draws(
    model: Model,
    batch: ScenarioArrays,
    rng: np.random.Generator,
    delegations: str | None = None,
    vetoes: str | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(outcomes, final positions, status, rounds) of ``model`` on ``batch``: all that an ensemble keeps of a run.

    ``model.solve(..., keep="final")``: a model skips building per-round histories and tables where it can.
    ``delegations`` and ``vetoes`` are as in :meth:`Model.solve` (None: the scenario's default).
    """
    fc = model.solve(batch, rng=rng, keep="final", delegations=delegations, vetoes=vetoes)
    return fc.outcomes, np.asarray(fc.trajectory[:, -1]), fc.status, fc.rounds


def build(
    raw: Raw,
    mb: Member,
    model: Model,
    *,
    provenance: dict[str, Any],
    thresholds: dict[str, list[float]],
    quantiles: tuple[float, ...],
    bins: int,
) -> Ensemble:
    a = mb.arrays
    prov = dict(provenance)
    prov["scenario"], prov["scenario_hash"] = a.name, a.scenario_hash
    prov["scales"] = issue_scales(a.issues, a.lower, a.upper)
    if mb.variant is not None:
        prov["variant"] = mb.variant
    if mb.dated:
        prov["dated_edits"] = [{"round": le.round, "edit": le.label, "what": le.describe()} for le in mb.dated]
        prov["dated_edit_cells_clipped"] = int(raw.clipped.get("clipped", 0))
    return Ensemble(
        scenario=a.name,
        model=model.name,
        actors=a.actors,
        issues=a.issues,
        lower=a.lower,
        upper=a.upper,
        outcomes=raw.outcomes,
        positions=raw.positions,
        mask=raw.mask,
        status_codes=raw.status,
        rounds=raw.rounds,
        provenance=Provenance(prov),
        thresholds=thresholds,
        quantiles=quantiles,
        bins=bins,
    )


def default_thresholds(scenario: Scenario | None, arrays: ScenarioArrays) -> dict[str, list[float]]:
    """Per issue: its labelled scale points, else the quarter points of its scale."""
    out: dict[str, list[float]] = {}
    for j, iid in enumerate(arrays.issues):
        pts: list[float] = []
        if scenario is not None:
            pts = sorted({p.value for p in scenario.issue(iid).scale.points})
        if not pts:
            lo, hi = float(arrays.lower[j]), float(arrays.upper[j])
            pts = [lo + f * (hi - lo) for f in (0.25, 0.5, 0.75)]
        out[iid] = pts
    return out


def normalise_thresholds(
    thresholds: dict[str, list[float]] | list[float] | None, scenario: Scenario | None, arrays: ScenarioArrays
) -> dict[str, list[float]]:
    if thresholds is None:
        return default_thresholds(scenario, arrays)
    if isinstance(thresholds, dict):
        for iid in thresholds:
            if iid not in arrays.issues:
                raise ParameterError(f"threshold for unknown issue {iid!r}; expected one of {list(arrays.issues)}")
        return {iid: sorted(float(t) for t in thresholds.get(iid, [])) for iid in arrays.issues}
    ts = sorted(float(t) for t in thresholds)
    return {iid: ts for iid in arrays.issues}


def prepare(
    scenario: Scenario | ScenarioArrays | str,
    model: str | Model,
    params: dict[str, Any] | None,
    perturb_arg: Any,
    seed: int | None,
    chunk: int | None,
    draws: int,
) -> tuple[Scenario | None, Scenario | ScenarioArrays, Model, PerturbationSpec, int, int]:
    """Common argument handling of ensemble / compare / sensitivity."""
    if isinstance(scenario, str):
        from detente.scenario.io import load

        scenario = load(scenario)
    sc = scenario if isinstance(scenario, Scenario) else None
    mdl = get(model, **(params or {})) if isinstance(model, str) else model
    if params and not isinstance(model, str):
        raise ParameterError("params are given with a model name, not with a model instance")
    spec = resolve_spec(perturb_arg, sc.perturbation if sc else None, sc.name if sc else "")
    if seed is None:
        seed = new_seed()
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParameterError(f"seed={seed!r}: expected a non-negative integer")
    if chunk is None:
        chunk = min(draws, DEFAULT_CHUNK)
    return sc, scenario, mdl, spec, int(seed), int(chunk)


@contextmanager
def on_device(device: str | None, workers: int | None, scheduler: str | None) -> Iterator[Backend | None]:
    """The run's kernels on ``device`` (:func:`detente.execution.device.use`; None: where the caller's are, by
    default the CPU); a GPU runs in this process only."""
    backend = current_device() if device is None else resolve_device(device)
    if backend is not None and (workers is not None or scheduler is not None):
        shown = device if device is not None else backend.name
        raise ParameterError(f"`device` {shown!r} runs the kernels in this process: give no `workers` or `scheduler`")
    with use_device(backend):
        yield backend


def structure_modes(arrays: ScenarioArrays, delegations: str | None, vetoes: str | None) -> dict[str, str]:
    """``{"delegations": ..., "vetoes": ...}`` in force on ``arrays`` when either is given, else ``{}``.

    A bad mode is refused here, before any draw runs. Nothing is recorded when neither is given, so a run on the
    scenario's defaults keeps the provenance (and the bytes) it had before these options existed.
    """
    from detente.scenario.twolevel import modes

    d, v = modes(arrays, delegations, vetoes)
    return {} if delegations is None and vetoes is None else {"delegations": d, "vetoes": v}


def base_provenance(
    model: Model,
    spec: PerturbationSpec,
    seed: int,
    draws: int,
    chunk: int,
    structure: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "scenario": "",
        "scenario_hash": "",
        "model": model.name,
        "parameters": model.parameters(),
        "seed": seed,
        "version": version(),
        "draws": draws,
        "block": BLOCK,
        "chunk": chunk,
        "perturbation": spec.model_dump(mode="json", exclude_none=True),
        **(structure or {}),
    }


def ensemble(
    scenario: Scenario | ScenarioArrays | str,
    model: str | Model = "compromise",
    *,
    draws: int = 1000,
    perturb: PerturbationSpec | dict[str, Any] | str | bool | None = None,
    seed: int | None = None,
    chunk: int | None = None,
    variant: str | Variant | None = None,
    params: dict[str, Any] | None = None,
    thresholds: dict[str, list[float]] | list[float] | None = None,
    quantiles: tuple[float, ...] = DEFAULT_QUANTILES,
    bins: int = 20,
    progress: bool | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    max_memory: str | int | None = None,
    delegations: str | None = None,
    vetoes: str | None = None,
    device: str | None = None,
) -> Ensemble:
    """Run a model on perturbed copies of a scenario: a Monte Carlo ensemble.

    Parameters
    ----------
    scenario : Scenario, ScenarioArrays or str
        A scenario, a built-in name or file path, or arrays with one draw.
    model : str or Model
        A registered name (``"expected-utility(Q=0.5)"`` works) with ``params``, or a Model instance.
    draws : int
        Number of perturbed copies (run in blocks of :data:`BLOCK` draws, ``chunk`` per model call).
    perturb : PerturbationSpec, dict, str or bool, optional
        The noise: a spec, a dict or a YAML/JSON path; ``None``: the scenario's ``perturbation`` block, else
        :data:`detente.uncertainty.spec.DEFAULT`; ``False`` or ``"none"``: no perturbation.
    seed : int, optional
        The run's seed (a fresh one is drawn and recorded when None); the same seed gives the same bytes.
    chunk : int, optional
        Draws per model call.
    variant : str, Variant or list of Edit, optional
        Run a what-if variant instead of the baseline.
    params : dict, optional
        Model parameters.
    thresholds : list of float or dict, optional
        For P(outcome ≥ t) and P(outcome ≤ t): a list for every issue or ``{issue: [t, ...]}``; default the labelled
        points of each issue's scale.
    quantiles : tuple of float
        The quantiles of :meth:`Ensemble.summary`.
    bins : int
        Histogram bins per issue.
    progress : bool, optional
        A progress bar on stderr (default: when stderr is a terminal and the work lasts over half a second).
    workers : int, optional
        Run the blocks on that many worker processes forked from this one (a Dask LocalCluster where the platform
        cannot fork); same bytes as in-process.
    scheduler : str, optional
        Run the blocks on the Dask cluster at this address.
    max_memory : str or int, optional
        Refuse when the estimated memory exceeds this many bytes (``"2GB"`` works); default half the machine's.
    delegations : {"collapse", "separate"}, optional
        How the scenario's delegations run (docs/two-level.md); default: collapsed where it declares any.
    vetoes : {"on", "off"}, optional
        Whether outcomes are bounded by the veto players; default: on where the scenario names any. Either option,
        when given, is recorded in the provenance with the other's mode in force.
    device : {"cpu", "cuda"}, optional
        Where the expected-utility round kernel runs (:mod:`detente.execution.device`): ``"cpu"`` (default) numpy,
        the same bytes as ever; ``"cuda"`` (``"cuda:N"``) CuPy or PyTorch on a GPU, agreeing with the CPU to
        rounding (recorded in the provenance). Other models run on the CPU either way. Not with ``workers`` or
        ``scheduler``.

    Returns
    -------
    Ensemble
        Every draw's outcomes and final positions, with summaries per issue and actor.

    Raises
    ------
    ParameterError
        A bad argument or perturbation spec.
    MemoryLimitError
        The run would need more than ``max_memory``.

    Examples
    --------
    >>> import detente
    >>> e = detente.ensemble("korea-2019", "compromise", draws=64, seed=1, progress=False)
    >>> e.draws, e.outcomes.shape
    (64, (64, 8))
    """
    sc, scen, mdl, spec, seed, chunk = prepare(scenario, model, params, perturb, seed, chunk, draws)
    chunk = min(chunk, BLOCK)
    mb = member(scen, variant)
    base_arrays = to_arrays(scen) if isinstance(scen, Scenario) else scen
    struct = structure_modes(mb.arrays, delegations, vetoes)
    spec.check(
        tuple(dict.fromkeys((*base_arrays.actors, *mb.arrays.actors))),
        base_arrays.issues,
        file=f"<{sc.name}>.perturbation" if sc is not None and perturb is None and sc.perturbation else None,
    )
    prov = base_provenance(mdl, spec, seed, draws, chunk, struct)
    with on_device(device, workers, scheduler) as backend:
        raw = simulate(
            mdl,
            [mb],
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
        )[0]
    if backend is not None:
        prov["device"] = backend.name
    return build(
        raw,
        mb,
        mdl,
        provenance=prov,
        thresholds=normalise_thresholds(thresholds, sc, mb.arrays),
        quantiles=tuple(quantiles),
        bins=bins,
    )
