"""Compute a scenario's claims scorecard document (JSON-ready), and read or check the shipped precomputed one.

The document is a function of the scenario, the claims, the priors, the configuration and the seed only: blocks of
parameter rows are evaluated on the execution layer (:mod:`detente.execution`; in-process, a Dask LocalCluster or a
scheduler) and gathered in block order, so the bytes are the same for any number of workers. No wall-clock time or
date is written into it.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

from detente.claims.evaluate import Plan, months_needed, prior_text, varied
from detente.claims.evidence import record_test, static_evidence, static_summary
from detente.claims.schema import Claim, claims_of
from detente.claims.verdict import OTHER_WAY, Config, verdict
from detente.errors import DetenteError

SHIPPED = "data/claims"
FORMAT_VERSION = 1


class StaleResultError(DetenteError):
    """The shipped result was computed for other claims, priors or scenario inputs (the CLI exits with code 3)."""


def _hash(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


def keys(scenario: Any, claims: list[Claim]) -> dict[str, str]:
    """What a result is valid for: the claims and the inputs they read (scenario_hash), and the resolved priors."""
    from detente.scenario.arrays import to_arrays

    used_variants = {e.variant for c in claims for e in c.static} | {e.baseline for c in claims for e in c.static}
    variants = [v.model_dump(mode="json") for v in scenario.variants if v.id in used_variants]
    block = scenario.strategy if isinstance(scenario.strategy, dict) else {}
    scen = {
        "claims": [c.model_dump(mode="json", by_alias=True) for c in claims],
        # what the engine reads of the strategy block (its comments, roles and references do not change a number)
        "strategy": {k: block.get(k) for k in ("game", "calendar", "shocks")},
        "variants": variants,
        "arrays": to_arrays(scenario).scenario_hash,
    }
    pri = {c.id: {n: prior_text(c, n) for n in varied(c)} for c in claims}
    return {"scenario_hash": _hash(scen), "priors_hash": _hash(pri)}


def compute(
    scenario: Any,
    cfg: Config | None = None,
    *,
    only: list[str] | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    static: bool = True,
    quick: bool = False,
) -> dict[str, Any]:
    """The scorecard document for ``scenario``'s claims."""
    from detente import __version__
    from detente.strategy.staged.engine import calendar_from_block
    from detente.strategy.staged.game import Grid

    cfg = cfg or Config()
    claims = claims_of(scenario)
    if not claims:
        raise DetenteError(f"scenario {scenario.name!r} has no claims; add a 'claims:' list (docs/scorecard.md)")
    if only:
        unknown = [c for c in only if c not in {x.id for x in claims}]
        if unknown:
            raise DetenteError(f"--claim {unknown[0]!r}: not a claim of {scenario.name}; expected one of "
                               + ", ".join(c.id for c in claims))
    dynamic = isinstance(scenario.strategy, dict)
    cal = calendar_from_block(scenario.strategy) if dynamic else None
    out_claims = []
    for ci, c in enumerate(claims):
        if only and c.id not in only:
            continue
        entry: dict[str, Any] = {
            "id": f"claim-{c.id}",
            "title": c.title,
            "quote": c.quote,
            "source": c.source,
            "also_quotes": c.also_quotes,
            "statement": c.statement,
            "cannot_test": c.cannot_test,
            "fact_checks": [f.model_dump() for f in c.fact_checks],
            "premise_note": c.premise_note,
            "glossary_terms": c.glossary,
            "fixed": c.fix,
            "prior_overrides": c.priors,
        }
        has_model = any(h.kind != "record" for h in c.hypotheses)
        dyn = None
        if has_model and cal is not None:
            names = tuple(varied(c))
            plan = Plan(c, cal, Grid(*cfg.grid), names, months_needed(c, cal))
            dyn = verdict(plan, cfg, ci, workers=workers, scheduler=scheduler)
        rec = None
        for h in c.hypotheses:
            if h.kind == "record":
                try:
                    rec = {"id": h.id, "plain": h.plain, **record_test(h)}
                except (OSError, KeyError, ValueError) as e:
                    rec = {"id": h.id, "plain": h.plain, "verdict": "the record is not available here",
                           "error": type(e).__name__}
        st = static_evidence(scenario, c, cfg.static_draws, cfg.seed) if static and c.static else []
        verdict_word, share, summary = merge(dyn, st, rec)
        if quick:
            verdict_word = "quick estimate: " + verdict_word
        entry.update(
            {
                "verdict": verdict_word,
                "share": share,
                "tipping_points": [
                    {"param": t["param"], "plain": t["plain"], "unit": t["unit"], "roots": t["roots"]}
                    for t in (dyn["tipping"] if dyn else [])
                ],
                "dynamic": dyn,
                "record": rec,
                "static": st,
                "static_summary": summary,
            }
        )
        out_claims.append(entry)
    k = keys(scenario, claims)
    return {
        "scenario": scenario.name,
        "title": scenario.title,
        **k,
        "version": __version__,
        "format": FORMAT_VERSION,
        "seed": cfg.seed,
        "config": cfg.as_dict(),
        "quick": quick,
        "metrics_exact": True,
        "paths": 0,
        "dynamic": dynamic,
        "claims": out_claims,
    }


BUILT_IN = "the what-if builds the claim in; not a test"


def merge(
    dyn: dict[str, Any] | None, st: list[dict[str, Any]], rec: dict[str, Any] | None
) -> tuple[str, float | None, dict[str, Any]]:
    """A claim's headline verdict word, its share and the static summary, from its three kinds of evidence, which
    are never pooled.

    * With model hypotheses the headline is the dynamic verdict. The static rows stand beside it; when every usable
      (unflagged) static row points against the dynamic verdict's direction, the qualifier "(stakeholder models
      point the other way)" is added and "most" becomes "many" (a note is added to ``dyn`` as well).
    * A static-only claim gets the same vocabulary on the mean static share of its usable rows, followed by
      "(stakeholder models only)". When no row is usable and at least one is premise-driven (the others cannot
      reach the issue), the verdict is "the what-if builds the claim in; not a test".
    * A record hypothesis keeps its own verdict line; it is the headline only when nothing else speaks.
    """
    import numpy as np

    if dyn is not None:
        word = dyn["phrase"]
        summary = static_summary(st, dyn["S"] >= 0.5)
        if summary["points_the_other_way"] and "under most" in word:
            word = word.replace("under most", "under many") + f" ({OTHER_WAY})"
            if OTHER_WAY not in dyn["notes"]:
                dyn["notes"].append(OTHER_WAY)
        return word, dyn["S"], summary
    if st:
        usable = [r for r in st if "S_static" in r and not {"premise-driven", "not representable"} & set(r["flags"])]
        summary = static_summary(st, None)
        if usable:
            share = float(np.mean([r["S_static"] for r in usable]))
            return _static_word(share), share, summary
        if any("premise-driven" in r["flags"] for r in st):
            return BUILT_IN, None, summary
        return "cannot be tested by detente", None, summary
    if rec is not None:
        return rec["verdict"], None, {}
    return "cannot be tested by detente", None, {}


def _static_word(share: float | None) -> str:
    from detente.claims.verdict import category

    if share is None:
        return "cannot be tested by detente"
    return category(share, share, 0.0) + " (stakeholder models only)"


def dumps(doc: dict[str, Any]) -> str:
    """The canonical JSON text (sorted keys, floats as Python writes them, no NaN)."""
    return json.dumps(doc, sort_keys=True, indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def shipped_path(name: str) -> Path | None:
    p = resources.files("detente").joinpath(f"{SHIPPED}/{name}.json")
    return Path(str(p)) if p.is_file() else None


def shipped(scenario: Any) -> dict[str, Any] | None:
    """The shipped result for this scenario, or None; StaleResultError when its keys no longer match."""
    path = shipped_path(scenario.name)
    if path is None:
        return None
    doc = json.loads(path.read_text(encoding="utf-8"))
    now = keys(scenario, claims_of(scenario))
    stale = [f"{key} {doc.get(key)} != {now[key]}" for key in ("scenario_hash", "priors_hash") if doc.get(key) != now[key]]
    if stale:
        raise StaleResultError(
            f"the shipped claims result for {scenario.name} is stale ({'; '.join(stale)}); "
            "run with --recompute (see docs/scorecard.md for the time it takes)"
        )
    return doc


__all__ = ["StaleResultError", "compute", "dumps", "keys", "merge", "shipped", "shipped_path"]
