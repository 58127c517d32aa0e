"""Back-testing every model on the DEU data set: one forecast per contested issue of EU legislation.

:func:`deu_backtest` reads a DEU file (:func:`detente.scenario.deu.read_deu`, capabilities by a named rule), runs
every registered model (or those named) on every proposal and scores each issue that has an observed outcome and at
least ``min_actors`` actors with a position — the inclusion rule of the published comparison on DEU III (351 issues
with at least three actors and an outcome). Metrics: :mod:`detente.validation.metrics`. Thomson, Stokman, Achen &
König (2006), *The European Union Decides*, ch. 10, and Schneider, Finke & Bailer (2010), "Bargaining power in the
European Union", *Political Studies* 58, compared models the same way.

Speed: proposals with the same actors and number of issues are stacked on the models' batch axis and solved in one
call (every model's kernel is vectorised over that axis and gives each draw what it gives alone; the tests check
this on the data). Reproducible: every model gets ``seed``; the bootstrap and the ensembles derive their seeds from
it.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from detente import display
from detente.errors import ParameterError
from detente.models.base import Model, _jsonable, available, get, version
from detente.results import Provenance
from detente.scenario.arrays import ScenarioArrays, to_arrays
from detente.scenario.deu import DeuProposal, read_deu, unanimity_vetoes
from detente.scenario.deu_capability import DEFAULT_RULE, get_rule
from detente.scenario.twolevel import of
from detente.validation.metrics import (
    LEVELS,
    breakdown,
    coverage,
    error_metrics,
    paired_bootstrap,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

BASELINE_MODEL = "compromise"
REFERENCE = "reference-point"
BREAKDOWNS = ("wave", "procedure", "voting_rule", "actors")
ACTOR_BINS = ((3, 9), (10, 17), (18, 25), (26, 99))
ENSEMBLE_MODELS = ("compromise", "median", "nash")
PREDICTION_COLUMNS = [
    "proposal", "issue", "model", "forecast", "observed", "reference", "error", "abs_error", "status", "in_sample",
    "n_actors", "actors", "procedure", "voting_rule", "wave", "decision_year",
]  # fmt: skip
TABLE_COLUMNS = [
    "rank", "model", "kind", "mae", "n", "in_sample", "rmse", "median_ae", "within_10", "beats_reference", "n_reference",
    "proposals", "failed", "diff_vs_compromise", "diff_lo", "diff_hi", "significant",
]  # fmt: skip


def actor_bin(n: int) -> str:
    for lo, hi in ACTOR_BINS:
        if lo <= n <= hi:
            return f"{lo}–{hi}" if hi < 99 else f"{lo}+"
    return f"<{ACTOR_BINS[0][0]}"


@dataclass(eq=False, repr=False)
class DeuBacktest(display.SummaryRepr):
    """The result of :func:`deu_backtest` (a :class:`~detente.results.Result`).

    - ``table``: one row per model (and the reference-point baseline), best MAE first, with the bootstrap interval
      of its MAE minus compromise's, and how many of its forecasts are in sample (``in_sample``: on proposals the
      model was fitted on, :mod:`detente.validation.fitted`);
    - ``held_out``: the same table on the proposals that none of the models was fitted on, every model on the same
      issues (empty where no forecast is in sample — ``table`` is then out of sample already — or where every
      proposal is in some model's fit set);
    - ``predictions``: one row per model × scored issue (:data:`PREDICTION_COLUMNS`);
    - ``breakdowns``: MAE per model within waves, procedures, voting rules and bins of the number of actors;
    - ``coverage``: interval coverage of the ensembles (empty when ``draws=0``); ``intervals`` their per-issue bounds;
    - ``excluded``: issues not scored and why; ``failures``: model, proposal, reason — never hidden;
    - ``provenance``: file hash, capability rule, inclusion rule, seeds, models with parameters, notes.
    """

    table: pd.DataFrame
    predictions: pd.DataFrame
    breakdowns: pd.DataFrame
    coverage: pd.DataFrame
    intervals: pd.DataFrame
    excluded: pd.DataFrame
    failures: pd.DataFrame
    held_out: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=TABLE_COLUMNS))
    provenance: Provenance = field(default_factory=Provenance)

    frame_columns: ClassVar[tuple[str, ...]] = tuple(TABLE_COLUMNS)
    """The columns of :meth:`frame` (the model ``table``)."""

    def __post_init__(self) -> None:
        self.provenance = Provenance(self.provenance)

    def _summary(self) -> display.Summary:
        facts = [
            ("models", str(len(self.table))),
            ("predictions", str(len(self.predictions))),
            ("excluded", str(len(self.excluded))),
            ("failures", str(len(self.failures))),
        ]
        header, rows = display.frame_rows(self.table)
        return display.Summary("DeuBacktest", facts, header, rows)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``detente backtest FILE --format json`` (per-issue predictions: :meth:`predictions`)."""
        return _jsonable(
            {
                "provenance": self.provenance,
                "models": _records(self.table.drop(columns="rank")),
                "held_out": _records(self.held_out.drop(columns="rank")),
                "breakdowns": _records(self.breakdowns),
                "coverage": _records(self.coverage),
                "excluded": _records(self.excluded),
                "failures": _records(self.failures),
            }
        )

    def frame(self) -> pd.DataFrame:
        """The model ``table`` (:attr:`frame_columns`), best MAE first."""
        return self.table

    def figure(self) -> Figure:
        """Each model's mean absolute error on the scored issues, best first, the reference point in grey
        (:func:`detente.report.leaderboard.error_figure`); interval calibration: :meth:`calibration_figure`."""
        from detente.report.leaderboard import error_figure

        return error_figure(
            self.table,
            "mae",
            "mean absolute error, points of the 0–100 scale",
            f"DEU: {self.provenance.get('issues_scored')} issues of {self.provenance.get('proposals')} proposals, "
            f"seed {self.provenance.get('seed')}",
        )

    def calibration_figure(self) -> Figure:
        """Coverage against nominal level for each ensemble model (a matplotlib Figure, object API)."""
        from detente.report.calibration import calibration_figure

        if not len(self.coverage):
            raise ParameterError("no ensembles were run (draws=0): there is no calibration to plot")
        d = self.provenance["ensembles"]
        return calibration_figure(
            self.coverage,
            title=f"DEU: central intervals of {d['draws']}-draw ensembles (seed {self.provenance['seed']})",
        )

    def predictions_csv(self) -> str:
        return self.predictions.to_csv(index=False, lineterminator="\n", float_format="%.10g")

    def predictions_json(self) -> str:
        import json

        return json.dumps(
            {"provenance": _jsonable(self.provenance), "predictions": _records(self.predictions)},
            indent=2,
            allow_nan=False,
            ensure_ascii=False,
        )


def _plain(v: Any) -> Any:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v) if math.isfinite(v) else None
    return v


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): _plain(v) for k, v in r.items()} for r in df.to_dict(orient="records")]


def stack(arrays: list[ScenarioArrays]) -> ScenarioArrays:
    """Scenarios with the same actors and number of issues as one batch (issue ids of the first)."""
    a0 = arrays[0]

    def cat(name: str) -> np.ndarray:
        return np.concatenate([getattr(a, name) for a in arrays])

    struct = of(a0)  # shape_groups stacks only proposals whose veto rules sit on the same columns
    return ScenarioArrays(
        a0.actors, a0.issues, cat("position"), cat("salience"), cat("capability"), cat("mask"), cat("status_quo"),
        a0.lower, a0.upper, name=f"{len(arrays)} DEU proposals", meta={"structure": struct} if struct else {},
    )  # fmt: skip


def veto_signature(a: ScenarioArrays) -> tuple[tuple[int, tuple[str, ...], str], ...]:
    """(issue column, veto players, acceptance) of each issue with a veto rule: the structure, by column."""
    s = of(a)
    return tuple(
        (j, s.vetoes[iid], s.acceptance.get(iid, "ideal")) for j, iid in enumerate(a.issues) if iid in s.vetoes
    )


def shape_groups(arrays: list[ScenarioArrays]) -> list[list[int]]:
    """Indices of the scenarios with the same actors, number of issues and veto rules (by column), in order of first
    appearance."""
    groups: dict[tuple[Any, ...], list[int]] = {}
    for k, a in enumerate(arrays):
        groups.setdefault((a.actors, a.n_issues, veto_signature(a)), []).append(k)
    return list(groups.values())


def _solve_group(model: Model, arrays: list[ScenarioArrays], idx: list[int], seed: int | None) -> dict[str, Any]:
    """One batch: outcomes and statuses per scenario index, failures (index, reason) and the model's notes."""
    outs: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    fails: list[tuple[int, str]] = []
    notes: list[str] = []
    try:
        fc = model.solve(stack([arrays[k] for k in idx]), seed=seed)
    except Exception:  # one proposal may spoil a batch: solve them one by one to find it
        for k in idx:
            try:
                one = model.solve(arrays[k], seed=seed)
            except Exception as e:  # a model's failure is a result: reported, never hidden
                fails.append((k, f"{type(e).__name__}: {e}"))
                continue
            outs[k] = (one.outcomes[0], one.status[0])
        return {"outs": outs, "fails": fails, "notes": notes}
    for b, k in enumerate(idx):
        outs[k] = (fc.outcomes[b], fc.status[b])
    za = fc.output("zero_salience_actors") if fc.declares("zero_salience_actors") else None
    if isinstance(za, dict) and za.get("note"):
        notes.append(str(za["note"]))
    return {"outs": outs, "fails": fails, "notes": notes}


@dataclass(frozen=True, eq=False)
class _Shared:
    """What every block reads, as one object (Dask scatters a bare dict or list element by element)."""

    data: dict[str, Any]


def _model_block(box: _Shared, key: tuple[int, int]) -> dict[str, Any]:
    """A block of the back-test: model ``key[0]`` on shape group ``key[1]`` (module level: Dask pickles it)."""
    m, g = key
    shared = box.data
    return _solve_group(shared["models"][m], shared["arrays"], shared["groups"][g], shared["seed"])


def run_model(
    model: Model, arrays: list[ScenarioArrays], seed: int | None
) -> tuple[list[np.ndarray | None], list[np.ndarray | None], list[tuple[int, str]], list[str]]:
    """Outcomes and statuses of ``model`` on each scenario, solved in batches of equal shape; failures (index,
    reason) and the notes the model attached (e.g. actors left out)."""
    outs: list[np.ndarray | None] = [None] * len(arrays)
    stats: list[np.ndarray | None] = [None] * len(arrays)
    fails: list[tuple[int, str]] = []
    notes: list[str] = []
    for idx in shape_groups(arrays):
        r = _solve_group(model, arrays, idx, seed)
        for k, (o, st) in r["outs"].items():
            outs[k], stats[k] = o, st
        fails += r["fails"]
        notes += [n for n in r["notes"] if n not in notes]
    return outs, stats, fails, notes


def _resolve_models(models: Sequence[str | Model] | None) -> list[tuple[str, Model]]:
    if models is None:
        return [(name, get(name)) for name in available()]
    if isinstance(models, (str, Model)):
        models = [models]
    out: list[tuple[str, Model]] = []
    for spec in models:
        label, m = (spec.name, spec) if isinstance(spec, Model) else (spec.strip(), get(spec))
        if label == REFERENCE or label in [x for x, _ in out]:
            raise ParameterError(f"model {label!r}: expected each model once (and not named {REFERENCE!r})")
        out.append((label, m))
    return out


def deu_backtest(
    source: str | Path | bytes | Sequence[DeuProposal],
    models: Sequence[str | Model] | None = None,
    *,
    capability: str = DEFAULT_RULE,
    missing_salience: str = "drop",
    min_actors: int = 3,
    seed: int | None = 0,
    bootstrap: int = 2000,
    level: float = 0.95,
    draws: int = 200,
    ensemble_models: Sequence[str] | None = None,
    perturb: Any = None,
    council_data: str | Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    vetoes: str = "off",
) -> DeuBacktest:
    """Back-test models on a DEU file (either variant) or on proposals already read.

    - ``models``: names or specs (``"nash(p=2)"``) or Model instances; default every registered model.
    - ``capability``: the capability rule (:mod:`detente.scenario.deu_capability`), ``missing_salience`` and
      ``council_data`` as for :func:`~detente.scenario.deu.read_deu` (ignored when proposals are given).
    - ``min_actors``: score an issue only with at least this many actors with a position (and an outcome).
    - ``bootstrap``: replicates of the proposal-level paired bootstrap (0 = none), at confidence ``level``.
    - ``draws``: ensemble draws per proposal for the interval coverage of ``ensemble_models`` (0 = none; default
      those of :data:`ENSEMBLE_MODELS` that are back-tested), with the perturbation ``perturb`` (default
      :data:`detente.uncertainty.spec.DEFAULT`).
    - ``workers`` / ``scheduler``: run the blocks (a model on a group of proposals; an ensemble on a proposal) on a
      local Dask cluster of that many processes, or on the cluster at that address (:mod:`detente.execution`);
      the results are the same bytes as in-process.
    - ``vetoes``: ``"on"`` makes the member states veto players on the issues of proposals the Council decides by
      unanimity (:func:`~detente.scenario.deu.unanimity_vetoes`; Tsebelis & Garrett 2000), for the models and the
      ensembles; ``"off"`` (the default) runs every proposal as read.
    """
    if min_actors < 1:
        raise ParameterError(f"min_actors={min_actors}: expected at least 1")
    if not 0 < level < 1:
        raise ParameterError(f"level={level}: expected a confidence level between 0 and 1")
    if bootstrap < 0 or draws < 0:
        raise ParameterError(f"bootstrap={bootstrap}, draws={draws}: expected numbers ≥ 0")
    if vetoes not in ("on", "off"):
        raise ParameterError(f"vetoes={vetoes!r}: expected 'on' or 'off'")
    file_hash = None
    if isinstance(source, (str, Path, bytes)):
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
        file_hash = hashlib.sha256(data).hexdigest()[:16]
        proposals = read_deu(
            data, capability=capability, missing_salience=missing_salience, council_data=council_data,
            name=None if isinstance(source, bytes) else str(source),
        )  # fmt: skip
        rule_name = capability
    else:
        proposals = list(source)
        rules = {p.capability_rule for p in proposals}
        rule_name = ", ".join(sorted(rules))
    if not proposals:
        raise ParameterError("no DEU proposals to back-test")
    if vetoes == "on":
        proposals = [unanimity_vetoes(p) for p in proposals]
    runners = _resolve_models(models)
    arrays = [to_arrays(p.scenario) for p in proposals]

    # which issues are scored
    scored: list[tuple[int, int, str]] = []  # (proposal index, issue column, issue id)
    excluded: list[dict[str, Any]] = []
    for k, p in enumerate(proposals):
        for j, iid in enumerate(arrays[k].issues):
            n = p.n_actors[iid]
            if iid not in p.scenario.observed:
                excluded.append({"proposal": p.proposal, "issue": iid, "n_actors": n, "reason": "no observed outcome"})
            elif n < min_actors:
                excluded.append({"proposal": p.proposal, "issue": iid, "n_actors": n,
                                 "reason": f"fewer than {min_actors} actors with a position"})  # fmt: skip
            else:
                scored.append((k, j, iid))

    rows: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    notes: dict[str, list[str]] = {}

    def meta(k: int, j: int, iid: str) -> dict[str, Any]:
        p = proposals[k]
        return {
            "proposal": p.proposal, "issue": iid, "observed": p.scenario.observed[iid],
            "reference": np.nan if math.isnan(arrays[k].status_quo[0, j]) else float(arrays[k].status_quo[0, j]),
            "n_actors": p.n_actors[iid], "actors": actor_bin(p.n_actors[iid]), "procedure": p.procedure,
            "voting_rule": p.voting_rule, "wave": p.wave, "decision_year": p.decision_year,
        }  # fmt: skip

    metas = {(k, j): meta(k, j, iid) for k, j, iid in scored}
    for k, j, _ in scored:
        mt = metas[(k, j)]
        if math.isfinite(mt["reference"]):
            rows.append({**mt, "model": REFERENCE, "forecast": mt["reference"], "status": "reference point"})
    from detente.execution import run_blocks

    groups = shape_groups(arrays)
    shared = _Shared({"models": [m for _, m in runners], "arrays": arrays, "groups": groups, "seed": seed})
    keys = [(mi, g) for mi in range(len(runners)) for g in range(len(groups))]
    results: dict[int, dict[int, tuple[np.ndarray, np.ndarray]]] = {mi: {} for mi in range(len(runners))}
    done = list(run_blocks(_model_block, shared, keys, workers=workers, scheduler=scheduler, what="DEU back-test"))
    for (mi, _), res in zip(keys, done, strict=True):
        label = runners[mi][0]
        results[mi].update(res["outs"])
        for k, reason in res["fails"]:
            failures.append({"model": label, "proposal": proposals[k].proposal, "issue": None, "reason": reason})
        for n in res["notes"]:
            if n not in notes.setdefault(label, []):
                notes[label].append(n)
    from detente.validation.fitted import fitted_proposals, held_out

    fit_sets = [fitted_proposals(m) for _, m in runners]
    for mi, (label, _) in enumerate(runners):
        for k, j, iid in scored:
            if k not in results[mi]:
                continue
            o, s = results[mi][k]
            x = float(o[j])
            if not math.isfinite(x):
                failures.append({"model": label, "proposal": proposals[k].proposal, "issue": iid,
                                 "reason": f"no finite forecast (got {x}, {s[j]})"})  # fmt: skip
                continue
            rows.append({**metas[(k, j)], "model": label, "forecast": x, "status": str(s[j]),
                         "in_sample": proposals[k].proposal in fit_sets[mi]})  # fmt: skip
    pred = pd.DataFrame(rows)
    if len(pred):
        pred["error"] = pred["forecast"] - pred["observed"]
        pred["abs_error"] = pred["error"].abs()
    pred = pred.reindex(columns=PREDICTION_COLUMNS)
    pred["in_sample"] = pred["in_sample"].eq(True)  # the reference point's rows: fitted on nothing
    bins = [actor_bin(lo) for lo, _ in ACTOR_BINS]
    pred["actors"] = pd.Categorical(pred["actors"], categories=[f"<{ACTOR_BINS[0][0]}", *bins], ordered=True)
    labels = [label for label, _ in runners]
    fail = pd.DataFrame(failures, columns=["model", "proposal", "issue", "reason"], dtype=object)

    table = _table(pred, labels, fail, bootstrap, seed, level)
    scored_props = {proposals[k].proposal for k, _, _ in scored}
    clean = set(held_out([m for _, m in runners], scored_props))  # the proposals no back-tested model was fitted on
    if pred["in_sample"].any() and clean:
        held = _table(pred[pred["proposal"].isin(clean)], labels, fail[fail["proposal"].isin(clean)], bootstrap, seed,
                      level)  # fmt: skip
    else:
        held = pd.DataFrame(columns=TABLE_COLUMNS)
    fitted = {label: m.fitted_on for label, m in runners if m.fitted_on is not None}
    dims = [d for d in BREAKDOWNS]
    brk = breakdown(pred, dims) if len(pred) else pd.DataFrame(columns=["dimension", "group", "model", "n", "mae"])
    if ensemble_models is None:
        ensemble_models = [m for m in ENSEMBLE_MODELS if m in labels]
    ens_models = [m for m in ensemble_models if draws > 0]
    intervals, cov = _ensembles(
        proposals, arrays, scored, metas, ens_models, draws, seed, perturb, workers=workers, scheduler=scheduler
    )
    return DeuBacktest(
        table=table,
        held_out=held,
        predictions=pred,
        breakdowns=brk,
        coverage=cov,
        intervals=intervals,
        excluded=pd.DataFrame(excluded, columns=["proposal", "issue", "n_actors", "reason"]),
        failures=fail,
        provenance=Provenance({
            "data": "DEU (Decision-making in the European Union)",
            "file_sha256": file_hash,
            "version": version(),
            "seed": seed,
            "capability_rule": rule_name,
            "capability": get_rule(rule_name).describe() if "," not in rule_name else rule_name,
            "missing_salience": missing_salience,
            "inclusion": f"issues with an observed outcome and at least {min_actors} actors with a position",
            "proposals": len(proposals),
            "issues": int(sum(len(a.issues) for a in arrays)),
            "issues_scored": len(scored),
            "metric": "absolute error in points of the issue's 0–100 scale; each scored issue counts once",
            "bootstrap": {
                "replicates": bootstrap,
                "level": level,
                "resampled": "proposals",
                "baseline": BASELINE_MODEL,
            },  # fmt: skip
            "ensembles": {
                "models": ens_models,
                "draws": draws,
                "levels": list(LEVELS),
                "perturbation": _spec_doc(perturb) if ens_models else None,
            },  # fmt: skip
            "batching": "proposals with the same actors and number of issues solved as one batch",
            **(
                {
                    "vetoes": "on: on unanimity proposals every member state with a position is a veto player",
                    "veto_issues": int(sum(len(of(a).vetoes) for a in arrays)),
                }
                if vetoes == "on"
                else {}
            ),
            # the same bytes whatever runs the blocks (in-process, N local workers or a scheduler): not recorded
            "execution": "seed-stable blocks merged in block order",
            "models": [{"label": label, "model": m.name, "parameters": m.parameters()} for label, m in runners],
            "fit": {
                "fitted_on": fitted,
                "scored_proposals": len(scored_props),
                "in_sample_proposals": len(scored_props) - len(clean),
                "held_out_proposals": len(clean),
                "held_out_issues": int(sum(proposals[k].proposal in clean for k, _, _ in scored)),
                "rule": "a forecast is in sample where the model's form or defaults were chosen on its proposal "
                "(detente/data/fits/); held_out scores every model on the proposals none was fitted on",
            },
            "notes": notes,
            "capability_notes": sorted({n for p in proposals for n in p.capability_notes[1:]}),
            "zero_salience_cells": int(sum(p.zero_salience for p in proposals)),
            "indifferent_actors": _indifferent(proposals, arrays),
            "dropped_stances": int(sum(p.dropped_stances for p in proposals)),
            "imputed_saliences": int(sum(p.imputed_salience for p in proposals)),
        }),
    )


def _indifferent(proposals: list[DeuProposal], arrays: list[ScenarioArrays]) -> list[dict[str, str]]:
    """Actors with a position but salience 0 on every issue of their proposal (the spatial model leaves them out)."""
    out = []
    for p, a in zip(proposals, arrays):
        total = np.where(a.mask[0], a.salience[0], 0.0).sum(axis=-1)
        for i in np.flatnonzero(a.mask[0].any(axis=-1) & (total <= 0)):
            out.append({"proposal": p.proposal, "actor": a.actors[i]})
    return out


def _spec_doc(perturb: Any) -> Any:
    from detente.uncertainty.spec import resolve_spec

    return resolve_spec(perturb, None).model_dump(mode="json", exclude_defaults=True)


def _table(
    pred: pd.DataFrame, labels: list[str], fail: pd.DataFrame, reps: int, seed: int | None, level: float
) -> pd.DataFrame:
    rows = []
    for label in [*labels, REFERENCE]:
        d = pred[pred["model"] == label]
        met = error_metrics(d["forecast"].to_numpy(float), d["observed"].to_numpy(float),
                            d["reference"].to_numpy(float))  # fmt: skip
        rows.append({"model": label, "kind": "baseline" if label == REFERENCE else "model", **met,
                     "in_sample": int(d["in_sample"].sum()),
                     "proposals": int(d["proposal"].nunique()),
                     "failed": int(fail.loc[fail["model"] == label, "proposal"].nunique())})  # fmt: skip
    table = pd.DataFrame(rows)
    if BASELINE_MODEL in labels and len(pred):
        boot = paired_bootstrap(
            pred, baseline=BASELINE_MODEL, models=[*labels, REFERENCE], reps=reps, seed=0 if seed is None else seed,
            level=level, group="proposal",
        ).set_index("model")  # fmt: skip
        table["diff_vs_compromise"] = table["model"].map(boot["diff"]).where(table["model"] != BASELINE_MODEL, 0.0)
        table["diff_lo"] = table["model"].map(boot["lo"])
        table["diff_hi"] = table["model"].map(boot["hi"])
        table["significant"] = table["model"].map(boot["significant"]).astype("boolean")
    else:
        for c in ("diff_vs_compromise", "diff_lo", "diff_hi"):
            table[c] = np.nan
        table["significant"] = pd.array([pd.NA] * len(table), dtype="boolean")
    order = np.lexsort((table["model"].to_numpy(str), table["mae"].fillna(np.inf).to_numpy(float)))
    table = table.iloc[order].reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table.reindex(columns=TABLE_COLUMNS)


def _ensemble_block(box: _Shared, key: tuple[str, int]) -> np.ndarray:
    """The quantiles of one model's ensemble on one proposal (module level: Dask pickles it)."""
    from detente.uncertainty import ensemble

    shared = box.data
    name, k = key
    base = 0 if shared["seed"] is None else shared["seed"]
    s = int(np.random.SeedSequence([base, k]).generate_state(1)[0])  # per proposal: independent of the others
    ens = ensemble(shared["arrays"][k], name, draws=shared["draws"], perturb=shared["perturb"], seed=s, progress=False)
    return np.asarray(np.quantile(ens.outcomes, shared["qs"], axis=0))  # (len(qs), m)


def _ensembles(
    proposals: list[DeuProposal],
    arrays: list[ScenarioArrays],
    scored: list[tuple[int, int, str]],
    metas: dict[tuple[int, int], dict[str, Any]],
    models: list[str],
    draws: int,
    seed: int | None,
    perturb: Any,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-issue central intervals of each model's ensemble on each proposal, and their coverage."""
    from detente.execution import run_blocks

    cols = ["proposal", "issue", "model", "observed", *[f"{s}_{lv:g}" for lv in LEVELS for s in ("lo", "hi")]]
    if not models:
        return pd.DataFrame(columns=cols), coverage(pd.DataFrame(columns=cols))
    by_prop: dict[int, list[tuple[int, str]]] = {}
    for k, j, iid in scored:
        by_prop.setdefault(k, []).append((j, iid))
    qs = sorted({q for lv in LEVELS for q in ((1 - lv) / 2, (1 + lv) / 2)})
    qi = {round(v, 6): r for r, v in enumerate(qs)}
    shared = _Shared({"arrays": arrays, "draws": draws, "perturb": perturb, "seed": seed, "qs": qs})
    keys = [(name, k) for name in models for k in by_prop]
    rows = []
    blocks = list(run_blocks(_ensemble_block, shared, keys, workers=workers, scheduler=scheduler, what="DEU ensembles"))
    for (name, k), q in zip(keys, blocks, strict=True):
        for j, iid in by_prop[k]:
            row = {"proposal": proposals[k].proposal, "issue": iid, "model": name,
                   "observed": metas[(k, j)]["observed"]}  # fmt: skip
            for lv in LEVELS:
                row[f"lo_{lv:g}"] = float(q[qi[round((1 - lv) / 2, 6)], j])
                row[f"hi_{lv:g}"] = float(q[qi[round((1 + lv) / 2, 6)], j])
            rows.append(row)
    iv = pd.DataFrame(rows, columns=cols)
    return iv, coverage(iv)
