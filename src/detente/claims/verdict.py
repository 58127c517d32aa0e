"""The verdict on a claim: the share of plausible parameter values (prior mass) where it clears its minimum effect.

Estimation (quasi-Monte Carlo over the prior, Owen 1997; Sobol' 2001): R independent scrambles of a Saltelli design
(Saltelli et al. 2010; :mod:`detente.uncertainty.sobol`) with N base points each. Within replicate r the 2N points of
its two base matrices A and B are the verdict draws, and S_r is the share of them where the claim's margin is >= 0;
S is the mean of the S_r and its 90 % interval is S ± t₀.₉₅,R−1 · sd(S_r)/√R. The same evaluations, with those of
the mixed matrices AB_g, give the first-order and total Sobol indices of the margin and of the indicator 1[margin >=
0] for each parameter group (Saltelli first order, Jansen total). The margins are exact aggregates (no paths), so the
only estimation error is the QMC error the interval reports; a verdict whose interval straddles a category boundary
is printed as borderline.

Tipping points (Brent 1973): the claim's margin at central values as a function of one parameter's prior quantile,
bracketed on a fixed grid of quantiles and refined by ``scipy.optimize.brentq``; with the root x*, the shares of the
verdict draws that hold on either side of it.

Vocabulary (first rule that applies):
``holds under most plausible assumptions`` (S_lo >= 0.8); ``real but small`` (S_hi <= 0.5 and the sign share >= 0.8);
``fails under most plausible assumptions`` (S_hi <= 0.2); ``depends on X: holds if X > x*`` (X's group carries a
total index >= 0.5 of the indicator, a central tipping point exists and the shares beyond and below it are >= 0.75
and <= 0.25); ``depends on several assumptions, chiefly X and Y`` otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize, stats

from detente.claims.evaluate import (
    GROUP_OF,
    GROUPS,
    Plan,
    claim_margin,
    evaluate_block,
    evaluate_rows,
    margins,
    model_hypotheses,
    quantile_of,
    to_params,
)
from detente.claims.schema import Claim
from detente.strategy.staged import priors
from detente.uncertainty.sobol import SobolSums, design

HOLDS = "holds under most plausible assumptions"
SMALL = "real but small"
FAILS = "fails under most plausible assumptions"
SEVERAL = "depends on several assumptions"
DEPENDS = "depends on"
NOT_TESTABLE = "cannot be tested by detente"
OTHER_WAY = "stakeholder models point the other way"
SENSITIVE = "sensitive to what counts as a meaningful effect"
TIP_GRID = (0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99)


@dataclass(frozen=True)
class Config:
    """How much work a verdict gets. ``base`` and ``base_fixed`` are base points per replicate (powers of 2) for
    claims that search rules and for claims on fixed rules."""

    replicates: int = 8
    base: int = 2
    base_fixed: int = 16
    grid: tuple[int, int, int] = (6, 1, 5)
    seed: int = 2019
    block: int = 4
    tipping: int = 1
    static_draws: int = 50
    # adaptive size of the verdict draws (base points per replicate of A and B, powers of 2): start at
    # max(base, verdict_min) and double, past the Sobol' design, until the shares settle or verdict_max is reached
    verdict_min: int = 4
    verdict_max: int = 16
    settle: float = 0.03

    def as_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


QUICK = Config(replicates=4, base=1, base_fixed=1, tipping=1, static_draws=20, verdict_min=0, verdict_max=0)


def verdict_sizes(cfg: Config, n: int) -> tuple[int, int]:
    """The first and the largest number of verdict base points per replicate for a claim whose design has ``n``."""
    start = max(n, cfg.verdict_min)
    return start, max(start, cfg.verdict_max)


def evaluations_at_most(cfg: Config, n: int, groups: int) -> int:
    """Parameter points a claim evaluates at most: its Saltelli design and the verdict draws beyond it."""
    return cfg.replicates * (n * (groups + 2) + 2 * (verdict_sizes(cfg, n)[1] - n))


def searches(claim: Claim) -> bool:
    from detente.claims.rules import expand

    for h in model_hypotheses(claim):
        for r in (h.a, h.b):
            if r is not None:
                e = expand(r, claim.rules)
                if e.best or e.extreme:
                    return True
    return False


def group_index(names: tuple[str, ...]) -> tuple[np.ndarray, list[str]]:
    labels = [g for g in GROUPS if any(GROUP_OF.get(n) == g for n in names)]
    return np.array([labels.index(GROUP_OF[n]) for n in names]), labels


def replicate_seed(seed: int, claim_index: int, r: int) -> int:
    return int(np.random.SeedSequence(seed, spawn_key=(claim_index, r)).generate_state(1)[0])


def unit_design(plan: Plan, cfg: Config, claim_index: int) -> tuple[np.ndarray, int, int, list[str]]:
    """Unit rows of every replicate's Saltelli design, stacked [A; B; AB_1 … AB_G] per replicate."""
    gi, labels = group_index(plan.names)
    n = cfg.base if searches(plan.claim) else cfg.base_fixed
    parts = []
    for r in range(cfg.replicates):
        A, B, AB = design(replicate_seed(cfg.seed, claim_index, r), gi, len(labels), 0, n)
        parts.append(np.concatenate([A, B, AB.reshape(-1, A.shape[1])]))
    return np.concatenate(parts), n, len(labels), labels


def run_rows(plan: Plan, rows: np.ndarray, cfg: Config, workers: int | None, scheduler: str | None) -> np.ndarray:
    """d at every row, in blocks of ``cfg.block`` rows on the execution layer (results in row order)."""
    from detente.execution.runner import run_blocks

    keys = [(k, rows[k: k + cfg.block]) for k in range(0, rows.shape[0], cfg.block)]
    # --workers runs a Dask LocalCluster here, as the scorecard's design asks (docs/scorecard.md); its second of
    # start-up is nothing beside a scorecard's minutes
    out = dict(run_blocks(evaluate_block, plan, keys, workers=workers, scheduler=scheduler, what="claim blocks",
                          local="dask"))
    return np.concatenate([out[k] for k, _ in keys]) if keys else np.zeros((0, len(model_hypotheses(plan.claim))))


def share_stats(per_rep: np.ndarray) -> dict[str, float]:
    R = per_rep.size
    S = float(per_rep.mean())
    se = float(per_rep.std(ddof=1) / np.sqrt(R)) if R > 1 else 0.0
    t = float(stats.t.ppf(0.95, R - 1)) if R > 1 else 0.0
    return {"S": S, "S_lo": max(0.0, S - t * se), "S_hi": min(1.0, S + t * se), "se": se}


def category(S_lo: float, S_hi: float, S_sign: float) -> str:
    if S_lo >= 0.8:
        return HOLDS
    if S_hi <= 0.5 and S_sign >= 0.8:
        return SMALL
    if S_hi <= 0.2:
        return FAILS
    return SEVERAL


def point_category(S: float, S_sign: float) -> str:
    return category(S, S, S_sign)


def tipping_point(plan: Plan, name: str, central: np.ndarray, combine_factor: float = 1.0) -> dict[str, Any]:
    """Roots of the claim margin in ``name``'s prior quantile, every other parameter central (brentq, xtol 1e-4)."""
    claim = plan.claim
    j = plan.names.index(name)
    dist = priors._dist(_prior(claim, name))

    def margin_at(q: float) -> float:
        row = central.copy()
        row[j] = float(to_params(claim, [name], np.array([[q]]))[0, 0])
        d = evaluate_rows(plan, row[None, :])
        return float(claim_margin(claim, d, combine_factor)[0])

    qs = np.array(TIP_GRID)
    ms = np.array([margin_at(q) for q in qs])
    roots = []
    for k in range(len(qs) - 1):
        if ms[k] == 0.0:
            roots.append((float(qs[k]), "up" if ms[k + 1] > 0 else "down"))
        elif ms[k] * ms[k + 1] < 0:
            q = optimize.brentq(margin_at, qs[k], qs[k + 1], xtol=1e-4, maxiter=30)
            roots.append((float(q), "up" if ms[k + 1] > ms[k] else "down"))
    return {
        "param": name,
        "plain": priors.BY_NAME[name].label,
        "unit": priors.BY_NAME[name].unit,
        "grid_quantiles": qs.tolist(),
        "grid_values": [float(dist.ppf(q)) for q in qs],
        "grid_margins": ms.tolist(),
        "roots": [
            {"quantile": q, "value": float(dist.ppf(q)), "holds_if": "above" if d == "up" else "below"}
            for q, d in roots
        ],
    }


def _prior(claim: Claim, name: str) -> str:
    from detente.claims.evaluate import prior_text

    return prior_text(claim, name)


def conditional(values: np.ndarray, ok: np.ndarray, x: float) -> dict[str, float | None]:
    above, below = values > x, values <= x
    return {
        "S_above": float(ok[above].mean()) if above.any() else None,
        "S_below": float(ok[below].mean()) if below.any() else None,
        "share_above": float(above.mean()),
    }


def spearman_top(names: tuple[str, ...], params: np.ndarray, m: np.ndarray) -> list[tuple[str, float]]:
    """Parameters ranked by |Spearman correlation| with the margin over the verdict draws."""
    out: list[tuple[str, float]] = []
    if np.ptp(m) <= 0:
        return out
    for j, n in enumerate(names):
        x = params[:, j]
        if np.ptp(x) <= 0:
            continue
        rho = float(stats.spearmanr(x, m).statistic)
        if np.isfinite(rho):
            out.append((n, rho))
    return sorted(out, key=lambda t: (-abs(t[1]), t[0]))


def _shares(ok: np.ndarray, R: int, N: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Per replicate, the share of the verdict draws where ``ok`` (R·2·N values: replicate by replicate, its A points
    then its B points), and the share on the first N/2 base points of each (a scrambled Sobol' net of its own)."""
    x = ok.astype(float).reshape(R, 2, N)
    half = x[:, :, : N // 2].reshape(R, -1).mean(axis=1) if N > 1 else None
    return x.reshape(R, -1).mean(axis=1), half


def _settled(claim: Claim, VD: np.ndarray, hyps: list[Any], cfg: Config) -> dict[str, Any]:
    """At the verdict draws ``VD`` (R, 2, N, hypotheses): the claim's share on N and N/2 base points, the largest
    move of it or of a primary hypothesis's share, and whether that is below ``cfg.settle`` with the verdict word the
    same at both ends of the interval."""
    R, _, N, H = VD.shape
    Dv = VD.reshape(-1, H)
    mh = margins(claim, Dv)
    cols = [claim_margin(claim, Dv, 1.0)] + [mh[:, j] for j, h in enumerate(hyps) if h.role == "primary"]
    shares = [_shares(mcol >= 0, R, N) for mcol in cols]
    moves = [abs(full.mean() - half.mean()) if half is not None else float("inf") for full, half in shares]
    full, half = shares[0]
    st = share_stats(full)
    S_sign = float(_shares(claim_margin(claim, Dv, 0.0) > 0, R, N)[0].mean())
    same_word = point_category(st["S_lo"], S_sign) == point_category(st["S_hi"], S_sign)
    move = max(moves)
    return {
        "draws": int(2 * N * R),
        "S": st["S"],
        "S_half_draws": float(half.mean()) if half is not None else None,
        "largest_move": float(move) if np.isfinite(move) else None,
        "settled": bool(move < cfg.settle and same_word),
    }


def verdict(
    plan: Plan,
    cfg: Config,
    claim_index: int,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
) -> dict[str, Any]:
    """Shares, intervals, Sobol indices, tipping points and the verdict category of one claim's model hypotheses."""
    claim = plan.claim
    hyps = model_hypotheses(claim)
    U, n, G, labels = unit_design(plan, cfg, claim_index)
    P = to_params(claim, list(plan.names), U)
    D = run_rows(plan, P, cfg, workers, scheduler)
    per = n * (G + 2)
    R = cfg.replicates
    # the verdict draws: the base points of every replicate's A and B, shape (R, 2, N, ·); first those of the
    # Saltelli design, then (adaptive size) the next points of the same scrambled sequences, doubling N until the
    # claim's share and its primary hypotheses' shares move by less than cfg.settle and the verdict word is the same
    # at both ends of the interval, or N reaches its cap
    VU = U.reshape(R, per, -1)[:, : 2 * n].reshape(R, 2, n, -1)
    VD = D.reshape(R, per, -1)[:, : 2 * n].reshape(R, 2, n, -1)
    gi, _ = group_index(plan.names)
    N, cap = verdict_sizes(cfg, n)
    history: list[dict[str, Any]] = []
    while True:
        if VU.shape[2] < N:
            k0 = VU.shape[2]
            new = [design(replicate_seed(cfg.seed, claim_index, r), gi, G, k0, N)[:2] for r in range(R)]
            more = np.concatenate([np.concatenate(ab) for ab in new])  # replicate by replicate: A, then B
            Dn = run_rows(plan, to_params(claim, list(plan.names), more), cfg, workers, scheduler)
            VU = np.concatenate([VU, more.reshape(R, 2, N - k0, -1)], axis=2)
            VD = np.concatenate([VD, Dn.reshape(R, 2, N - k0, -1)], axis=2)
        step = _settled(claim, VD, hyps, cfg)
        history.append(step)
        if step["settled"] or N >= cap:
            break
        N *= 2
    Dv = VD.reshape(-1, VD.shape[-1])  # replicate by replicate: its A points, then its B points
    Uv = VU.reshape(-1, VU.shape[-1])
    m_claim = {f: claim_margin(claim, Dv, f) for f in (0.5, 1.0, 2.0)}
    sign = claim_margin(claim, Dv, 0.0)
    ok = m_claim[1.0] >= 0

    def reps(x: np.ndarray) -> np.ndarray:
        return _shares(x, R, N)[0]

    half = N // 2

    def mean_or_none(h: np.ndarray | None) -> float | None:
        return float(h.mean()) if h is not None else None

    ok_reps, half_reps = _shares(ok, R, N)
    main = share_stats(ok_reps)
    S_sign = float(reps(sign > 0).mean())
    S_half = float(reps(m_claim[0.5] >= 0).mean())
    S_double = float(reps(m_claim[2.0] >= 0).mean())
    mh = margins(claim, Dv)
    hyp_out: list[dict[str, Any]] = []
    for j, h in enumerate(hyps):
        okh_reps, okh_half = _shares(mh[:, j] >= 0, R, N)
        st = share_stats(okh_reps)
        dv = Dv[:, j]
        from detente.claims.rules import describe, expand

        hyp_out.append(
            {
                "a": describe(expand(h.a, claim.rules)) if h.a is not None else None,
                "b": describe(expand(h.b, claim.rules)) if h.b is not None else None,
                "id": h.id,
                "role": h.role,
                "kind": h.kind,
                "plain": h.plain,
                "S": st["S"],
                "S_lo": st["S_lo"],
                "S_hi": st["S_hi"],
                "S_sign": float(reps(Dv[:, j] > 0).mean()),
                "S_half_draws": mean_or_none(okh_half),
                "median_d": float(np.median(dv)),
                "q10_d": float(np.quantile(dv, 0.1)),
                "q90_d": float(np.quantile(dv, 0.9)),
                "min_effect": h.min_effect,
                "tolerance": h.tolerance,
                "threshold": h.threshold,
            }
        )
    # Sobol indices of the margin and of the indicator, per group, summed over replicates
    m_design = claim_margin(claim, D, 1.0)
    Y = np.stack([m_design, (m_design >= 0).astype(float)], axis=1)
    sums: SobolSums | None = None
    for r in range(R):
        blk = Y[r * per: (r + 1) * per]
        fA, fB, fAB = blk[:n], blk[n: 2 * n], blk[2 * n:].reshape(G, n, 2)
        s = SobolSums.of(fA, fB, fAB, center=None if sums is None else sums.center)
        sums = s if sums is None else sums + s
    assert sums is not None
    S1, S1c, ST, STc, _ = sums.indices(0.9)
    sobol: list[dict[str, Any]] = []
    for g, lab in enumerate(labels):
        sobol.append(
            {
                "group": lab,
                "S1_margin": float(S1[0, g]),
                "S1_margin_ci": float(S1c[0, g]),
                "ST_margin": float(ST[0, g]),
                "ST_margin_ci": float(STc[0, g]),
                "S1_holds": float(S1[1, g]),
                "S1_holds_ci": float(S1c[1, g]),
                "ST_holds": float(ST[1, g]),
                "ST_holds_ci": float(STc[1, g]),
            }
        )
    sobol.sort(key=lambda e: (-e["ST_holds"], -e["ST_margin"], e["group"]))
    # tipping points: the parameters most tied to the margin, then the claim's own list
    Pv = to_params(claim, list(plan.names), Uv)
    ranked = spearman_top(plan.names, Pv, m_claim[1.0])
    chosen: list[str] = []
    for e in sobol[:2]:  # in each of the two most influential groups, the parameter most tied to the margin
        best = next((n for n, _ in ranked if GROUP_OF.get(n) == e["group"]), None)
        if best is not None and best not in chosen and (e["ST_holds"] > 0 or e["ST_margin"] > 0.05):
            chosen.append(best)
            break
    for name in claim.tipping:
        if name in plan.names and name not in chosen:
            chosen.append(name)
    chosen = chosen[: cfg.tipping]
    from detente.claims.evaluate import central_row

    central = central_row(claim, list(plan.names))
    tips: list[dict[str, Any]] = []
    for name in chosen:
        tp = tipping_point(plan, name, central)
        col = Pv[:, plan.names.index(name)]
        for rt in tp["roots"]:
            rt.update(conditional(col, ok, rt["value"]))
        rho = dict(ranked).get(name)
        tp["spearman"] = rho
        tips.append(tp)
    # the chart: the primary metric under a and b at low / central / high values of the first tipping parameter
    chart: dict[str, Any] = {"param": None, "settings": ["central"], "quantiles": [0.5]}
    rows = [central]
    if tips:
        tname = tips[0]["param"]
        jt = plan.names.index(tname)
        rows = []
        for q in (0.1, 0.5, 0.9):
            row = central.copy()
            row[jt] = float(to_params(claim, [tname], np.array([[q]]))[0, 0])
            rows.append(row)
        chart = {"param": tname, "plain": tips[0]["plain"], "settings": ["low", "central", "high"],
                 "quantiles": [0.1, 0.5, 0.9], "param_values": [float(r[jt]) for r in rows]}
    from detente.claims.evaluate import chart_values
    from detente.claims.rules import describe, expand

    h_first = next(h for h in hyps if h.role == "primary")
    chart["labels"] = [describe(expand(r, claim.rules)) if r is not None else None for r in (h_first.a, h_first.b)]
    chart["values"] = chart_values(plan, np.array(rows))
    chart["central_values"] = chart["values"][len(rows) // 2]
    # the verdict category
    cat = category(main["S_lo"], main["S_hi"], S_sign)
    phrase = cat
    depends_on: dict[str, Any] | None = None
    if cat == SEVERAL:
        top = sobol[0] if sobol else None
        for tp in tips:
            grp = GROUP_OF.get(tp["param"])
            st_g = next((e["ST_holds"] for e in sobol if e["group"] == grp), 0.0)
            if len(tp["roots"]) == 1 and st_g >= 0.5:
                rt = tp["roots"][0]
                hold_side = rt["S_above"] if rt["holds_if"] == "above" else rt["S_below"]
                fail_side = rt["S_below"] if rt["holds_if"] == "above" else rt["S_above"]
                if hold_side is not None and fail_side is not None and hold_side >= 0.75 and fail_side <= 0.25:
                    depends_on = tp
                    break
        if depends_on is not None:
            rt = depends_on["roots"][0]
            cat = DEPENDS
            sym = ">" if rt["holds_if"] == "above" else "<"
            phrase = f"depends on {depends_on['plain']}: holds if it is {sym} {_round_sig(rt['value'])}"
        else:
            chief = [e["group"] for e in sobol[:2] if e["ST_holds"] > 0.05] or ([top["group"]] if top else [])
            phrase = SEVERAL + (", chiefly " + " and ".join(chief) if chief else "")
    lo_cat, hi_cat = point_category(main["S_lo"], S_sign), point_category(main["S_hi"], S_sign)
    notes: list[str] = []
    if lo_cat != hi_cat:
        notes.append(f"borderline between '{lo_cat}' and '{hi_cat}'")
    if len({point_category(S_half, S_sign), point_category(main["S"], S_sign), point_category(S_double, S_sign)}) > 1:
        notes.append(SENSITIVE)
    for hh in hyp_out:
        if hh["role"] == "reason" and main["S"] >= 0.5 and hh["S"] < 0.5:
            notes.append("holds, but not for the reason the article gives")
        if hh["role"] == "safety" and hh["S"] < 0.5:
            tol = float(hh["tolerance"])
            amount = f"{tol * 100:g} percentage points" if hh["plain"].startswith("chance") else f"{tol:g}"
            notes.append(f"but raises the {hh['plain']} by more than {amount}")
    return {
        "category": cat,
        "phrase": phrase,
        "S": main["S"],
        "S_lo": main["S_lo"],
        "S_hi": main["S_hi"],
        "S_se": main["se"],
        "S_sign": S_sign,
        "S_half_delta": S_half,
        "S_double_delta": S_double,
        # convergence: the share on the first half of every replicate's base points (N/2), and the interval width
        "S_half_draws": mean_or_none(half_reps),
        "S_replicates": ok_reps.tolist(),
        "S_half_replicates": half_reps.tolist() if half_reps is not None else None,
        "draws_half": int(2 * half * R),
        "interval_width": main["S_hi"] - main["S_lo"],
        "notes": notes,
        "draws": int(2 * N * R),
        "evaluations": int(per * R + 2 * R * (N - n)),
        "sobol_draws": int(2 * n * R),
        "settled": bool(history[-1]["settled"]),
        "convergence": history,
        "replicates": R,
        "hypotheses": hyp_out,
        "sobol": sobol,
        "tipping": tips,
        "chart": chart,
        "spearman": [{"param": k, "rho": v} for k, v in ranked[:5]],
    }


def _round_sig(x: float, sig: int = 2) -> str:
    if x == 0 or not np.isfinite(x):
        return f"{x:g}"
    return f"{float(f'{x:.{sig}g}'):g}"


__all__ = ["FAILS", "HOLDS", "QUICK", "SEVERAL", "SMALL", "Config", "verdict", "quantile_of"]
