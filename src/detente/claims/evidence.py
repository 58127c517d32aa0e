"""Evidence beside the dynamic verdict, never pooled with it: the static stakeholder models on what-if variants
(common random numbers, :func:`detente.uncertainty.compare`) with automatic flags, and record hypotheses tested
on the shipped data (an exact conditional binomial test of two rates).

Flags on static evidence:
``premise-driven`` when the variant (or the variant it is compared with) edits a position, salience, capability
or the status quo on the measured issue: the models aggregate positions, so they move toward whoever the variant
strengthens and the result is built into the what-if; ``not representable`` when the difference is exactly 0 on
every draw (the model cannot link the change to this issue); ``models disagree`` when unflagged models give
opposite signs.

The record test: conditional on the total n = x_A + x_B, x_A is Binomial(n, ½) under equal rates in two windows of
equal length; the one-sided exact p-value is P(X >= x_A), and the rate ratio's exact 90 % interval comes from the
Clopper-Pearson interval of the proportion (Clopper & Pearson 1934).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from detente.claims.schema import Claim, Hypothesis, StaticEntry

EDIT_FIELDS = ("position", "salience", "capability")


def _edits_issue(scenario: Any, variant: str, issue: str) -> bool:
    if variant == "baseline":
        return False
    v = next(x for x in scenario.variants if x.id == variant)
    for e in v.edits:
        d = e.model_dump() if hasattr(e, "model_dump") else dict(e)
        if d.get("issue") == issue and (d.get("field") in EDIT_FIELDS or d.get("op") == "set_status_quo"):
            return True
    return False


def static_entry(scenario: Any, entry: StaticEntry, draws: int, seed: int) -> list[dict[str, Any]]:
    """One static entry: per model the paired difference variant − baseline on common draws, its share and flags."""
    from detente.uncertainty.compare import compare

    members = [entry.variant] + ([entry.baseline] if entry.baseline != "baseline" else [])
    premise = any(_edits_issue(scenario, v, entry.issue) for v in members)
    out: list[dict[str, Any]] = []
    sign = 1.0 if entry.direction == "higher" else -1.0
    for model in entry.models:
        cmp = compare(scenario, model, members, draws=draws, seed=seed, progress=False)
        j = list(cmp.baseline.issues).index(entry.issue)
        a = cmp.variants[entry.variant].outcomes[:, j]
        b = cmp.baseline.outcomes[:, j] if entry.baseline == "baseline" else cmp.variants[entry.baseline].outcomes[:, j]
        ok = np.isfinite(a) & np.isfinite(b)
        d = a[ok] - b[ok]
        flags = []
        if premise:
            flags.append("premise-driven")
        if d.size and np.all(d == 0.0):
            flags.append("not representable")
        if d.size == 0:
            out.append({"model": model, "variant": entry.variant, "baseline": entry.baseline, "issue": entry.issue,
                        "draws": 0, "flags": ["no forecast"]})
            continue
        sd = float(np.std(d, ddof=1)) if d.size > 1 else 0.0
        half = 1.959963984540054 * sd / np.sqrt(d.size)
        out.append(
            {
                "model": model,
                "variant": entry.variant,
                "baseline": entry.baseline,
                "issue": entry.issue,
                "draws": int(d.size),
                "mean_diff": float(d.mean()),
                "ci95": [float(d.mean() - half), float(d.mean() + half)],
                "p_up": float((d > 0).mean()),
                "p_down": float((d < 0).mean()),
                "S_static": float((sign * d >= entry.min_effect).mean()),
                "direction": entry.direction,
                "min_effect": entry.min_effect,
                "flags": flags,
            }
        )
    clean = [e for e in out if not e["flags"] and "mean_diff" in e]
    signs = {np.sign(e["mean_diff"]) for e in clean if e["mean_diff"] != 0}
    if len(signs) > 1:
        for e in clean:
            e["flags"].append("models disagree")
    return out


def static_evidence(scenario: Any, claim: Claim, draws: int, seed: int) -> list[dict[str, Any]]:
    return [row for entry in claim.static for row in static_entry(scenario, entry, draws, seed)]


def static_summary(rows: list[dict[str, Any]], dynamic_direction_holds: bool | None) -> dict[str, Any]:
    """The merge rule: static evidence stands beside the dynamic verdict; a qualifier when every unflagged entry
    points against it, and "the what-if builds the claim in" when every entry is premise-driven."""
    usable = [r for r in rows if "mean_diff" in r and not ({"premise-driven", "not representable"} & set(r["flags"]))]
    premise_all = bool(rows) and all("premise-driven" in r["flags"] for r in rows)
    against = bool(usable) and dynamic_direction_holds is not None and all(
        (r["S_static"] < 0.5) == dynamic_direction_holds for r in usable
    )
    return {"all_premise_driven": premise_all, "points_the_other_way": against, "usable": len(usable)}


def record_test(h: Hypothesis, data_dir: Any = None) -> dict[str, Any]:
    """A record hypothesis on the CNS missile-test record: counts of test days in two equal windows."""
    from detente.strategy.staged.cns import load_launches, monthly

    assert h.window_a is not None and h.window_b is not None
    wa, wb = h.window_a, h.window_b
    start = min(wa[0], wb[0])
    end = max(wa[1], wb[1])
    y0, m0 = (int(x) for x in start.split("-"))
    y1, m1 = (int(x) for x in end.split("-"))
    months = (y1 - y0) * 12 + (m1 - m0) + 1
    days, _ = monthly(load_launches(data_dir), start, months)

    def count(w: tuple[str, str]) -> tuple[int, int]:
        ya, ma = (int(x) for x in w[0].split("-"))
        yb, mb = (int(x) for x in w[1].split("-"))
        lo, hi = (ya - y0) * 12 + (ma - m0), (yb - y0) * 12 + (mb - m0)
        return int(sum(days[lo: hi + 1])), hi - lo + 1

    xa, la = count(wa)
    xb, lb = count(wb)
    n = xa + xb
    p0 = la / (la + lb)
    if n == 0:
        return {"counts": [xa, xb], "months": [la, lb], "ratio": None, "ci90": None, "p": None,
                "verdict": "the record cannot tell", "monthly": days, "first_month": start}
    alt = "greater" if h.direction == "higher" else "less"
    res = stats.binomtest(xa, n, p0, alternative=alt)
    ci = stats.binomtest(xa, n, p0).proportion_ci(confidence_level=0.90, method="exact")

    def ratio(p: float) -> float:
        return float("inf") if p >= 1 else (p / (1 - p)) * (lb / la)

    r_lo, r_hi = ratio(ci.low), ratio(ci.high)
    rr = ratio(xa / n)
    want_up = h.direction == "higher"
    if (r_lo > 1) if want_up else (r_hi < 1):
        word = "consistent with the record"
    elif (r_hi < 1) if want_up else (r_lo > 1):
        word = "not borne out by the record"
    else:
        word = "the record cannot tell"
    return {
        "statistic": "rate ratio of test days (exact conditional binomial)",
        "counts": [xa, xb],
        "months": [la, lb],
        "windows": [list(wa), list(wb)],
        "ratio": rr if np.isfinite(rr) else None,
        "ci90": [r_lo if np.isfinite(r_lo) else None, r_hi if np.isfinite(r_hi) else None],
        "p": float(res.pvalue),
        "verdict": word,
        "monthly": [int(x) for x in days],
        "first_month": start,
    }


__all__ = ["record_test", "static_entry", "static_evidence", "static_summary"]
