"""A claim's hypotheses evaluated at one parameter point, on exact aggregates of the staged engine.

Every model metric is an exact expectation from the forward equation (:mod:`detente.strategy.staged.forward`): no
Monte Carlo paths are drawn, so a margin is a deterministic, smooth function of the parameters (up to the president's
discrete choice of rule) and no verdict can move with a number of paths. The signed difference ``d`` of a hypothesis
is taken in the claimed direction (positive: the claim's way); the margin subtracts the minimum effect later
(:mod:`detente.claims.verdict`), so halving or doubling it costs no solve.

Parameter points are built from unit-cube rows through each varied parameter's prior (inverse CDF); the fitted
parameters use their maximum-likelihood estimate and standard error (a normal Laplace approximation).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from detente.claims.rules import candidates, expand
from detente.claims.schema import STAGES, Claim, Hypothesis, Metric, RuleRef
from detente.strategy.staged import priors
from detente.strategy.staged.forward import Forward, forward
from detente.strategy.staged.game import Calendar, Grid, make_game
from detente.strategy.staged.rules import PRESETS, Rule

# Sobol groups: the engine's parameter registry in four blocks (registry order)
GROUPS: dict[str, tuple[str, ...]] = {
    "stages, sanctions and relief": (
        "D1", "D2", "D3", "D4", "L5", "mu_W", "W0", "omega_u", "omega_c", "sigma_UN", "R_H_share", "leak_2019",
        "leak_2020_mult", "leak_inf", "c_cov", "c_cov_inf", "pi_C",
    ),
    "North Korea's values, costs and fears": (
        "m_v", "sigma_v", "mu_tau", "sigma_tau", "Delta2", "rho_vt", "b_c", "c_m", "C_N", "X_W", "X_RC", "delta_N",
        "sigma_N", "c_X", "tau_X", "phi_G", "kappa_cov", "lambda_d", "p60", "alpha_psi", "p_ex", "kappa_x", "a_s",
        "m_S", "omega_G", "det", "eps_f",
    ),
    "crisis, war and missile defence": (
        "p_cb", "p_c0_1", "p_c0_2", "pi_ult", "rho_U", "zeta", "G_e", "e_B", "omega_H", "c_B",
    ),
    "the president and the election": (
        "q0", "dq_D", "dq_R", "k_E", "eta", "tau_inf", "d1", "d2", "d3", "d4", "c_R", "varpi_B", "w_T", "w_S", "A",
        "w_C", "W_US0", "g_RC", "W_P", "c_G", "c_XP", "beta_P", "sigma_P", "w_L",
    ),
    # read only when Seoul leads (drawn only by claims with a Seoul-led rule)
    "South Korea leading": ("omega_K", "theta_K", "rho_K", "e_K", "W_K", "w_CK", "w_TK", "k_P", "nu_K"),
}
GROUP_OF = {p: g for g, ps in GROUPS.items() for p in ps}


def prior_text(claim: Claim, name: str) -> str:
    """The prior a claim draws ``name`` from (its override, the fitted Laplace normal, or the registry's)."""
    if name in claim.priors:
        return claim.priors[name]
    from detente.strategy.staged.cns import FITTED_CENTRAL, FITTED_SE

    if name in FITTED_SE:
        return f"N({FITTED_CENTRAL[name]:g}, {FITTED_SE[name]:g})"
    return priors.BY_NAME[name].prior


def seoul_leads(claim: Claim) -> bool:
    """Whether any rule of the claim lets South Korea lead (only then are its parameters read)."""
    refs = list(claim.rules.values()) + [r for h in claim.hypotheses for r in (h.a, h.b) if r is not None]
    return any(r.best == "seoul" or r.with_.get("lead") == 1 for r in refs)


def varied(claim: Claim) -> list[str]:
    """The parameters a claim draws (registry order): non-degenerate priors, minus those it fixes, and minus those
    read only when Seoul leads unless one of its rules lets Seoul lead."""
    names = [p.name for p in priors.REGISTRY] if claim.vary == "all" else list(claim.vary)
    seoul = seoul_leads(claim)
    out = []
    for n in names:
        if n in claim.fix or (priors.BY_NAME[n].scope == priors.SEOUL and not seoul):
            continue
        if prior_text(claim, n).replace(" ", "").startswith("fixed("):
            continue
        out.append(n)
    return [p.name for p in priors.REGISTRY if p.name in out]


def to_params(claim: Claim, names: list[str], u: np.ndarray) -> np.ndarray:
    """Unit-cube rows (n, D) to parameter rows through each prior's inverse CDF (clipped to the registry range)."""
    u = np.clip(np.asarray(u, float), 1e-9, 1 - 1e-9)
    out = np.empty_like(u)
    for j, n in enumerate(names):
        d = priors._dist(prior_text(claim, n))
        lo, hi = priors.BY_NAME[n].bounds
        out[:, j] = np.clip(np.asarray(d.ppf(u[:, j]), float), lo, hi)
    return out


def central_row(claim: Claim, names: list[str]) -> np.ndarray:
    """Every varied parameter at its central value: prior median (fitted ones at their estimate)."""
    return to_params(claim, names, np.full((1, len(names)), 0.5))[0]


def quantile_of(claim: Claim, name: str, x: float) -> float:
    d = priors._dist(prior_text(claim, name))
    return float(d.cdf(x)) if hasattr(d, "cdf") else 0.5


def base_params(claim: Claim) -> dict[str, float]:
    p = priors.central()
    p.update(claim.fix)
    return p


@dataclass(frozen=True)
class Plan:
    """What a worker needs to evaluate a claim: the claim, the calendar, the grid and the varied names."""

    claim: Claim
    calendar: Calendar
    grid: Grid
    names: tuple[str, ...]
    months: int = field(default=0)


def horizon(metric: Metric, cal: Calendar) -> int:
    if metric.at == "election":
        return cal.election
    if metric.at == "inauguration":
        return cal.inauguration
    y0, m0 = (int(x) for x in cal.start.split("-"))
    y, m = (int(x) for x in metric.at.split("-"))
    return (y - y0) * 12 + (m - m0)


def _month(cal: Calendar, label: str) -> int:
    y0, m0 = (int(x) for x in cal.start.split("-"))
    y, m = (int(x) for x in label.split("-"))
    return (y - y0) * 12 + (m - m0)


def months_needed(claim: Claim, cal: Calendar) -> int:
    need = cal.horizon
    for h in claim.hypotheses:
        if h.metric is not None:
            need = max(need, horizon(h.metric, cal) + 1)
    return need


def metric_value(metric: Metric, fw: Forward, params: dict[str, float], cal: Calendar, weight: np.ndarray) -> float:
    """One metric from an exact forward solution."""
    name = metric.name
    h = min(max(horizon(metric, cal), 0), fw.months)
    if name == "reached":
        assert metric.stage is not None
        return float(fw.reached[h, STAGES.index(metric.stage) + 1])
    if name == "cvid_started":
        return float(fw.reached[h, 5])
    if name == "cvid_done":
        return float(fw.reached[h, 6])
    if name == "agreement":
        return float(fw.status[max(h - 1, 0), 4])
    if name == "crisis":
        return float(fw.crisis_ever[h])
    if name == "war":
        return float(fw.war[h])
    if name == "strike_disarmed":
        return float(fw.regime_change[h])
    if name == "test_months":
        return float(fw.test_month[:h].sum())
    if name == "test_days":
        return float(fw.test_month[:h].sum() * (1 + params["lambda_d"]))
    if name == "arsenal_mean":
        return float(fw.arsenal_mean[h])
    if name == "value_P":
        return float(fw.value_P)
    if name == "value_N":
        return float(weight @ fw.value_N)
    if name == "first_step_in":
        assert metric.window is not None
        a, b = (_month(cal, x) for x in metric.window)
        return float(fw.first_step[max(a, 0): b + 1].sum())
    raise AssertionError(name)  # pragma: no cover - the schema refuses other names


class Evaluator:
    """Solves (rule, parameter changes) pairs once per parameter point and reads metrics off the solutions."""

    def __init__(self, plan: Plan, params: dict[str, float]) -> None:
        self.plan = plan
        self.params = params
        self.cache: dict[tuple[str, tuple[tuple[str, float], ...]], tuple[Forward, dict[str, float], Any]] = {}

    def solve(self, rule: Rule, changes: dict[str, float]) -> tuple[Forward, dict[str, float], Any]:
        key = (rule.code(), tuple(sorted(changes.items())))
        if key not in self.cache:
            p = dict(self.params)
            p.update(changes)
            g = make_game(rule, None, grid=self.plan.grid, calendar=self.plan.calendar, params=p)
            fw = forward(g, self.plan.months)
            self.cache[key] = (fw, p, g.types.weight)
        return self.cache[key]

    def objective(self, fw: Forward, ref: RuleRef) -> float:
        if ref.objective == "value_P_no_election":
            return float(fw.value_P - fw.value_P_parts.get("re-election", 0.0))
        return float(fw.value_P)

    def seoul_choice(self, ref: RuleRef, cands: list[Rule]) -> Rule:
        """South Korea's choice among Seoul-led candidates, under the US veto (:mod:`detente.strategy.staged.seoul`):
        the best for South Korea of those worth at least the Hanoi offer to the president minus his deference; when
        he vetoes them all, the US leads with the candidate he prefers."""
        nu = {**self.params, **ref.params}["nu_K"]
        floor = self.solve(PRESETS["hanoi"], ref.params)[0].value_P - nu
        sols = [(self.solve(r, ref.params)[0], r) for r in cands]
        ok = [(float(fw.value_K), r.code(), r) for fw, r in sols if fw.value_K is not None and fw.value_P >= floor]
        if ok:
            return sorted(ok, key=lambda s: (-s[0], s[1]))[0][2]
        us = [Rule(r.name, dataclasses.replace(r.phase1, lead=0)) for r in cands]
        return sorted(((self.solve(r, ref.params)[0].value_P, r.code(), r) for r in us),
                      key=lambda s: (-s[0], s[1]))[0][2]

    def value(self, ref: RuleRef, metric: Metric) -> float:
        ref = expand(ref, self.plan.claim.rules)
        cands = candidates(ref, self.plan.claim.rules)
        cal = self.plan.calendar
        if ref.best == "seoul":
            fw, p, w = self.solve(self.seoul_choice(ref, cands), ref.params)
            return metric_value(metric, fw, p, cal, w)
        if ref.best:
            sols = [(self.objective(self.solve(r, ref.params)[0], ref), r.code(), r) for r in cands]
            chosen = sorted(sols, key=lambda s: (-s[0], s[1]))[0][2]
            fw, p, w = self.solve(chosen, ref.params)
            return metric_value(metric, fw, p, cal, w)
        vals = []
        for r in cands:
            fw, p, w = self.solve(r, ref.params)
            vals.append(metric_value(metric, fw, p, cal, w))
        if ref.extreme == "min":
            return float(min(vals))
        return float(max(vals))  # one rule, or extreme: max

    def difference(self, h: Hypothesis) -> float:
        """The signed difference d: positive when the metric moves the claimed way (safety: the rise in harm)."""
        assert h.metric is not None and h.a is not None
        ma = self.value(h.a, h.metric)
        if h.kind == "level":
            assert h.threshold is not None
            return float(h.threshold - ma) if h.op == "<" else float(ma - h.threshold)
        assert h.b is not None
        mb = self.value(h.b, h.metric)
        if h.role == "safety":
            return float(ma - mb)
        return float(ma - mb) if h.direction == "higher" else float(mb - ma)


def model_hypotheses(claim: Claim) -> list[Hypothesis]:
    return [h for h in claim.hypotheses if h.kind != "record"]


def evaluate_rows(plan: Plan, rows: np.ndarray) -> np.ndarray:
    """d for every model hypothesis (columns, claim order) at every parameter row (n, D) -> (n, H)."""
    hyps = model_hypotheses(plan.claim)
    base = base_params(plan.claim)
    out = np.empty((rows.shape[0], len(hyps)))
    for i, row in enumerate(rows):
        p = dict(base)
        p.update({n: float(x) for n, x in zip(plan.names, row)})
        ev = Evaluator(plan, p)
        for j, h in enumerate(hyps):
            out[i, j] = ev.difference(h)
    return out


def evaluate_block(plan: Plan, block: tuple[int, np.ndarray]) -> tuple[int, np.ndarray]:
    """A block task (pure: its result depends on the plan and the rows only)."""
    k, rows = block
    return k, evaluate_rows(plan, rows)


def chart_values(plan: Plan, rows: np.ndarray) -> list[list[float | None]]:
    """For the claim's first primary hypothesis: [value under a, value under b (None for a level)] per row."""
    hyps = model_hypotheses(plan.claim)
    h = next(x for x in hyps if x.role == "primary")
    assert h.metric is not None and h.a is not None
    base = base_params(plan.claim)
    out: list[list[float | None]] = []
    for row in rows:
        p = dict(base)
        p.update({n: float(x) for n, x in zip(plan.names, row)})
        ev = Evaluator(plan, p)
        out.append([ev.value(h.a, h.metric), ev.value(h.b, h.metric) if h.b is not None else None])
    return out


def scale(h: Hypothesis) -> float:
    """The unit a hypothesis's margin is measured in, for combining margins of different units."""
    if h.role == "safety":
        return float(h.tolerance or 1.0) or 1.0
    if h.kind == "level":
        return abs(float(h.threshold or 1.0)) or 1.0
    return float(h.min_effect or 1.0) or 1.0


def margins(claim: Claim, d: np.ndarray, factor: float = 1.0) -> np.ndarray:
    """Margins m = d − δ (safety: τ − d) per hypothesis column, with δ scaled by ``factor`` (½, 1 or 2)."""
    hyps = model_hypotheses(claim)
    m = np.empty_like(d)
    for j, h in enumerate(hyps):
        if h.role == "safety":
            m[:, j] = factor * float(h.tolerance or 0.0) - d[:, j]
        elif h.kind == "level":
            m[:, j] = d[:, j]
        else:
            m[:, j] = d[:, j] - factor * float(h.min_effect or 0.0)
    return m


def claim_margin(claim: Claim, d: np.ndarray, factor: float = 1.0) -> np.ndarray:
    """The claim's normalised margin: min (all) or max (any) over primary hypotheses of m / scale."""
    hyps = model_hypotheses(claim)
    m = margins(claim, d, factor)
    cols = [j for j, h in enumerate(hyps) if h.role == "primary"]
    if not cols:
        return np.full(d.shape[0], np.nan)
    z = np.stack([m[:, j] / scale(hyps[j]) for j in cols], axis=1)
    return z.max(axis=1) if claim.combine == "any" else z.min(axis=1)


__all__ = ["GROUPS", "Evaluator", "Plan", "claim_margin", "evaluate_block", "evaluate_rows", "margins", "stats",
           "to_params", "varied"]
