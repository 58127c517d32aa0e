"""What the web app computes, on the library functions the command line calls: forecasts with every model side by
side, comparisons on common random numbers, ensembles, sensitivity, the strategy engine and the back-test.

Each function takes a request as a plain dict (the scenario as a whole document in the file schema, so that a job's
process needs nothing of the server) and returns ``(result, record)``: the result's JSON document (as the CLI's
``--format json`` writes it) and what the run store records of it.
"""

from __future__ import annotations

import time
from typing import Any


def scenario_from(req: dict[str, Any], *, sets: bool = True, variants: bool = True, dated: str = "error") -> Any:
    """The request's scenario document with its variants and ``PATH=VALUE`` sets applied (as ``--variant/--set``)."""
    from detente.scenario.io import from_dict
    from detente.whatif import what_if

    s = from_dict(req["document"], req.get("source") or "<document>")
    return what_if(s, req.get("variants") or () if variants else (), req.get("sets") or () if sets else (),
                   dated=dated)


def _record(s: Any, kind: str, model: str, parameters: Any, seed: Any, t0: float) -> dict[str, Any]:
    from detente.scenario.arrays import scenario_hash
    from detente.scenario.io import to_dict
    from detente.whatif import edits_of

    return {
        "kind": kind,
        "scenario": s.name,
        "scenario_hash": scenario_hash(s),
        "scenario_content": to_dict(s),
        "edits": edits_of(s),
        "model": model,
        "parameters": parameters,
        "seed": seed,
        "duration_s": time.perf_counter() - t0,
    }


def model_names(models: list[str]) -> list[str]:
    from detente.models.base import available

    if not models or models == ["all"]:
        return list(available())
    return list(dict.fromkeys(models))


def forecast(req: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every model named (default all) on the scenario, side by side, as ``detente forecast --model all --format
    json``: the forecasts, the models that cannot run it with the reason, the observed outcomes and nearest labels."""
    from detente.errors import ParameterError
    from detente.models.base import runnable
    from detente.scenario.arrays import to_arrays
    from detente.whatif import edits_of

    t0 = time.perf_counter()
    s = scenario_from(req)
    if req.get("as_of"):
        from detente.interventions import as_of

        s = as_of(s, req["as_of"])
    names = model_names(req.get("models") or [])
    if len(names) > 20:
        raise ParameterError(f"models: {len(names)} given; expected at most 20")
    arrays = to_arrays(s)
    ok, skipped = runnable(arrays, names)
    fcs = [m.solve(arrays, seed=req.get("seed"), delegations=req.get("delegations"), vetoes=req.get("vetoes"))
           for _, m in ok]
    labels = {
        i.id: {f"{fc.model}": s.issue(i.id).scale.nearest_label(float(fc.outcomes[0, j])) or ""
               for fc in fcs for j in [list(fc.issues).index(i.id)] if i.id in fc.issues}
        for i in s.issues
    }
    doc: dict[str, Any] = {
        "scenario": s.name,
        "scales": fcs[0].scales,
        "forecasts": [fc.to_dict() for fc in fcs],
        "cannot_run": skipped,
        "observed": dict(s.observed),
        "nearest_labels": labels,
        "what_if": edits_of(s),
    }
    rec = _record(s, "forecast", ",".join(fc.model for fc in fcs), {fc.model: fc.parameters for fc in fcs},
                  req.get("seed"), t0)
    return doc, rec


def compare(req: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The baseline (with the request's sets) against each named variant on common random numbers."""
    from detente.uncertainty.compare import compare as run

    t0 = time.perf_counter()
    s = scenario_from(req, variants=False)
    cmp = run(s, req.get("model") or "compromise", list(req.get("variants") or []), draws=int(req["draws"]),
              seed=req.get("seed"), level=float(req.get("level", 0.95)), progress=False,
              delegations=req.get("delegations"), vetoes=req.get("vetoes"))
    doc = cmp.to_dict()
    doc["differences_table"] = _records(cmp.differences())
    p = cmp.provenance
    rec = _record(s, "compare", str(p.get("model", "")), {"draws": req["draws"], "level": req.get("level", 0.95),
                  "variants": req.get("variants")}, p.get("seed"), t0)
    return doc, rec


def ensemble(req: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    from detente.uncertainty.ensemble import ensemble as run
    from detente.whatif import as_variant

    t0 = time.perf_counter()
    base = scenario_from(req, sets=False, variants=False)
    s = scenario_from(req, dated="skip")
    ens = run(base, req.get("model") or "compromise", draws=int(req["draws"]), seed=req.get("seed"),
              variant=as_variant(base, req.get("variants") or (), req.get("sets") or ()), progress=False,
              delegations=req.get("delegations"), vetoes=req.get("vetoes"))
    doc = ens.to_dict()
    doc["summary_table"] = _records(ens.summary())
    p = ens.provenance
    rec = _record(s, "ensemble", str(p.get("model", "")), {"draws": req["draws"]}, p.get("seed"), t0)
    return doc, rec


def sensitivity(req: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    from detente.uncertainty.sensitivity import sensitivity as run

    t0 = time.perf_counter()
    s = scenario_from(req)
    res = run(s, req.get("model") or "compromise", draws=int(req["draws"]), seed=req.get("seed"),
              groups=req.get("groups") or "actor-field", progress=False, delegations=req.get("delegations"),
              vetoes=req.get("vetoes"))
    doc = res.to_dict()
    doc["table"] = _records(res.frame())
    p = res.provenance
    rec = _record(s, "sensitivity", str(p.get("model", "")), {"draws": req["draws"], "groups": req.get("groups")},
                  p.get("seed"), t0)
    return doc, rec


def strategy(req: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The staged-disarmament game: each rule against North Korea's best response, and the president's best rule."""
    from detente.strategy.staged.engine import run
    from detente.strategy.staged.game import Grid

    t0 = time.perf_counter()
    s = scenario_from(req)
    g = Grid(*req["grid"]) if req.get("grid") else None
    doc = run(s, req.get("rules") or None, best=bool(req.get("best_rule")), paths=int(req.get("paths") or 2000),
              seed=int(req.get("seed") or 0), grid=g,
              search_grid=g if g is not None and g.n_v * g.n_tau < 24 else None)
    rec = _record(s, "strategy", "staged-disarmament-v2", {"rules": req.get("rules"), "best_rule": req.get("best_rule"),
                  "paths": req.get("paths"), "grid": req.get("grid")}, req.get("seed") or 0, t0)
    return doc, rec


def backtest(seed: int = 0) -> dict[str, Any]:
    """The leaderboard of every model on the built-in scenarios with observed outcomes (``detente backtest``)."""
    from detente.validation import backtest as run

    return run(seed=seed).to_dict()


JOBS = {"ensemble": ensemble, "sensitivity": sensitivity, "compare": compare, "strategy": strategy,
        "forecast": forecast}


def run_job(kind: str, request: dict[str, Any]) -> dict[str, Any]:
    """A job's work (in its own process): ``{"result": ..., "record": ...}``."""
    result, record = JOBS[kind](request)
    return {"result": result, "record": record}


def _records(df: Any) -> list[dict[str, Any]]:
    import math

    out = []
    for row in df.to_dict(orient="records"):
        clean = {}
        for k, v in row.items():
            if hasattr(v, "item"):
                v = v.item()
            if isinstance(v, float) and not math.isfinite(v):
                v = None
            clean[str(k)] = v
        out.append(clean)
    return out
