"""Monte Carlo ensembles: one model run on a batch of perturbed scenarios.

``detente.uncertainty.ensemble(scenario, model, draws=B, perturb=spec, seed=S)`` draws B perturbed copies of the
scenario (:mod:`detente.uncertainty.perturb`) and solves them with the model's batch axis, ``chunk`` draws per call
to bound memory. The :class:`Ensemble` holds every draw's outcome and the actors' final positions and summarises
them: per issue mean, sd, quantiles, a histogram over the issue's scale, P(outcome ≥ t) and P(outcome ≤ t); per
actor the distribution of its final position; a tidy DataFrame of all draws; provenance.

Determinism: the perturbations come from ``SeedSequence(seed)`` child 0, one generator row per draw, so results do not
depend on ``chunk``; a stochastic model gets the generator ``SeedSequence(seed, spawn_key=(2, k))`` for chunk ``k``
(its results then depend on ``chunk`` too, which the provenance records). Same inputs and seed → byte-identical JSON.
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from detente.errors import ParameterError
from detente.interventions import LabelledEdit, apply, final_positions, resolve, solve
from detente.models.base import Model, _jsonable, get, outcome_table, version
from detente.scenario.arrays import ScenarioArrays, to_arrays
from detente.scenario.schema import Scenario, Variant
from detente.uncertainty.perturb import Uniforms, draw_uniforms
from detente.uncertainty.perturb import perturb as perturb_batch
from detente.uncertainty.spec import PerturbationSpec, resolve_spec

__all__ = ["DEFAULT_CHUNK", "DEFAULT_QUANTILES", "Ensemble", "ensemble"]

DEFAULT_CHUNK = 1000
DEFAULT_QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)


def qkey(q: float) -> str:
    """``0.05 → 'q5'``, ``0.025 → 'q2.5'``."""
    return f"q{q * 100:g}"


def tkey(t: float) -> str:
    return f"{t:g}"


@dataclass(eq=False)
class Ensemble:
    """The draws of one ensemble and their summaries."""

    scenario: str
    model: str
    actors: tuple[str, ...]
    issues: tuple[str, ...]
    lower: np.ndarray
    upper: np.ndarray
    outcomes: np.ndarray  # (B, m)
    positions: np.ndarray  # (B, n, m) final positions
    mask: np.ndarray  # (B, n, m) who took part in each draw
    status: np.ndarray  # (B, m)
    rounds: np.ndarray  # (B, m)
    provenance: dict[str, Any]
    thresholds: dict[str, list[float]] = field(default_factory=dict)
    quantiles: tuple[float, ...] = DEFAULT_QUANTILES
    bins: int = 20

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
        rows = []
        for j, iid in enumerate(self.issues):
            x = self.outcomes[:, j]
            x = x[np.isfinite(x)]
            rows.append({"issue": iid, **_stats(x, self.quantiles)})
        return pd.DataFrame(rows)

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
        rows = []
        for a, aid in enumerate(self.actors):
            for j, iid in enumerate(self.issues):
                present = self.mask[:, a, j]
                if not present.any():
                    continue
                x = self.positions[present, a, j]
                x = x[np.isfinite(x)]
                rows.append({"actor": aid, "issue": iid, "present": float(present.mean()), **_stats(x, self.quantiles)})
        return pd.DataFrame(rows)

    # ---- tidy tables ----------------------------------------------------------------------------------------------
    def frame(self) -> pd.DataFrame:
        """Every draw: draw, issue, outcome, status, rounds."""
        return outcome_table(tuple(self.issues), self.outcomes, self.status, self.rounds)

    def positions_frame(self) -> pd.DataFrame:
        """Every draw's final actor positions: draw, actor, issue, position (rows where the actor took part)."""
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
    def to_dict(self, *, draws: bool = False) -> dict[str, Any]:
        """The JSON document of ``detente ensemble --format json`` (``draws=True`` adds every draw's outcomes)."""
        summary = {r["issue"]: r for r in self.summary().to_dict(orient="records")}
        issues: dict[str, Any] = {}
        for j, iid in enumerate(self.issues):
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
                "status": dict(sorted(Counter(str(s) for s in self.status[:, j]).items())),
            }
        actors: dict[str, Any] = {}
        for rec in self.actor_summary().to_dict(orient="records"):
            actors.setdefault(rec.pop("actor"), {})[rec.pop("issue")] = rec
        doc = {**self.provenance, "issues": issues, "actors": actors}
        if draws:
            doc["draws"] = {iid: self.outcomes[:, j] for j, iid in enumerate(self.issues)}
        return _jsonable(doc)


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
    outcomes: list[np.ndarray] = field(default_factory=list)
    positions: list[np.ndarray] = field(default_factory=list)
    mask: list[np.ndarray] = field(default_factory=list)
    status: list[np.ndarray] = field(default_factory=list)
    rounds: list[np.ndarray] = field(default_factory=list)
    clipped: dict[str, int] = field(default_factory=dict)


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
) -> list[Raw]:
    """Run every member on the same perturbation draws, ``chunk`` draws at a time (common random numbers)."""
    if draws < 1:
        raise ParameterError(f"draws={draws}: expected at least 1")
    if chunk < 1:
        raise ParameterError(f"chunk={chunk}: expected at least 1")
    m = members[0].arrays.n_issues
    extra = tuple(dict.fromkeys(a for mb in members for a in mb.arrays.actors if a not in base_actors))
    base_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    extra_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))
    for mb in members:  # a dated edit is checked on the unperturbed scenario first: off-scale values are refused
        if mb.dated:
            solve(model, mb.arrays, mb.dated, rng=np.random.default_rng(0), on_bounds="raise")
    raws = [Raw() for _ in members]
    n_chunks = -(-draws // chunk)
    with _progress(progress, n_chunks, draws, f"{model.name} × {len(members)}") as advance:
        for k in range(n_chunks):
            c = min(chunk, draws - k * chunk)
            u: Uniforms = draw_uniforms(base_rng, c, base_actors, m)
            if extra:
                u = u.join(draw_uniforms(extra_rng, c, extra, m))
            for mb, raw in zip(members, raws):
                batch = perturb_batch(mb.arrays, spec, u)
                rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2, k)))
                if mb.dated:
                    fc = solve(model, batch, mb.dated, rng=rng, on_bounds="clip", counter=raw.clipped)
                    outcomes, positions, status, rounds = fc.outcomes, final_positions(fc), fc.status, fc.rounds
                else:
                    outcomes, positions, status, rounds = solve_final(model, batch, rng)
                raw.outcomes.append(np.asarray(outcomes, float))
                raw.positions.append(positions)
                raw.mask.append(batch.mask)
                raw.status.append(np.asarray(status, dtype=object))
                raw.rounds.append(np.asarray(rounds, int))
            advance(c)
    return raws


def solve_final(
    model: Model, batch: ScenarioArrays, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(outcomes, final positions, status, rounds) of ``model`` on ``batch``: all that an ensemble keeps of a run.

    A model that offers ``solve_final(arrays, rng=...)`` (a Solution whose trajectory holds only the final positions,
    e.g. the expected-utility model) is asked for that, which skips building per-round histories and tables.
    """
    lean = getattr(model, "solve_final", None)
    if callable(lean):
        from detente.scenario.twolevel import plan

        pl = plan(batch)  # the scenario's delegations and veto players, as Model.solve applies them
        run, _ = pl.prepare(batch)
        sol = lean(run, rng=rng)
        outcomes, status, _ = pl.constrain(batch, sol.outcomes, sol.status)
        return outcomes, np.asarray(sol.trajectory[:, -1]), status, sol.rounds
    fc = model.solve(batch, rng=rng)
    return fc.outcomes, final_positions(fc), fc.status, fc.rounds


class _progress:
    """A rich progress bar on stderr for long runs; off when stderr is not a terminal (or ``show=False``)."""

    def __init__(self, show: bool | None, n_chunks: int, total: int, what: str) -> None:
        if show is None:
            show = n_chunks > 1 and sys.stderr.isatty()
        self.show, self.total, self.what = show, total, what
        self.bar: Any = None

    def __enter__(self) -> Any:
        if not self.show:
            return lambda c: None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.bar.__enter__()
        task = self.bar.add_task(f"ensemble {self.what}", total=self.total)
        return lambda c: self.bar.advance(task, c)

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


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
    if mb.variant is not None:
        prov["variant"] = mb.variant
    if mb.dated:
        prov["dated_edits"] = [{"round": le.round, "edit": le.label, "what": le.describe()} for le in mb.dated]
        prov["dated_edit_cells_clipped"] = int(raw.clipped.get("clipped", 0))
    cat = lambda xs: np.concatenate(xs, axis=0)  # noqa: E731
    return Ensemble(
        scenario=a.name,
        model=model.name,
        actors=a.actors,
        issues=a.issues,
        lower=a.lower,
        upper=a.upper,
        outcomes=cat(raw.outcomes),
        positions=cat(raw.positions),
        mask=cat(raw.mask),
        status=cat(raw.status),
        rounds=cat(raw.rounds),
        provenance=prov,
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


def base_provenance(model: Model, spec: PerturbationSpec, seed: int, draws: int, chunk: int) -> dict[str, Any]:
    return {
        "scenario": "",
        "scenario_hash": "",
        "model": model.name,
        "parameters": model.parameters(),
        "seed": seed,
        "version": version(),
        "draws": draws,
        "chunk": chunk,
        "perturbation": spec.model_dump(mode="json", exclude_none=True),
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
) -> Ensemble:
    """Run ``model`` on ``draws`` perturbed copies of ``scenario`` (batched, ``chunk`` draws per model call).

    - ``scenario``: a Scenario, a built-in name or file path, or B = 1 ScenarioArrays.
    - ``model``: a registered name (``"expected-utility(Q=0.5)"`` works) with ``params``, or a Model instance.
    - ``perturb``: a :class:`PerturbationSpec`, dict or YAML/JSON path; ``None`` = the scenario's ``perturbation``
      field, else :data:`detente.uncertainty.spec.DEFAULT`; ``False``/``"none"`` = no perturbation.
    - ``seed``: the run's seed (a fresh one is drawn and recorded when None); same seed → same bytes.
    - ``variant``: run a what-if variant (id, Variant or list of edits) instead of the baseline.
    - ``thresholds``: for P(outcome ≥ t) / P(outcome ≤ t): a list for every issue or ``{issue: [t, ...]}``;
      default the labelled points of each issue's scale.
    - ``progress``: a progress bar on stderr (default: when stderr is a terminal and there is more than one chunk).
    """
    sc, scen, mdl, spec, seed, chunk = prepare(scenario, model, params, perturb, seed, chunk, draws)
    mb = member(scen, variant)
    base_arrays = to_arrays(scen) if isinstance(scen, Scenario) else scen
    spec.check(
        tuple(dict.fromkeys((*base_arrays.actors, *mb.arrays.actors))),
        base_arrays.issues,
        file=f"<{sc.name}>.perturbation" if sc is not None and perturb is None and sc.perturbation else None,
    )
    raw = simulate(
        mdl, [mb], spec, draws=draws, seed=seed, chunk=chunk, progress=progress, base_actors=base_arrays.actors
    )[0]
    return build(
        raw,
        mb,
        mdl,
        provenance=base_provenance(mdl, spec, seed, draws, chunk),
        thresholds=normalise_thresholds(thresholds, sc, mb.arrays),
        quantiles=tuple(quantiles),
        bins=bins,
    )
