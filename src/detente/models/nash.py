"""The asymmetric Nash bargaining solution per issue, with the status quo as disagreement point.

Nash, J. (1950), "The bargaining problem", *Econometrica* 18(2):155–162; asymmetric form: Kalai, E. (1977),
"Nonsymmetric Nash solutions and replications of 2-person bargaining", *Int. J. Game Theory* 6:179–187. Applied to
EU legislative bargaining with capability weights by Schneider, Finke & Bailer (2010), "Bargaining power in the
European Union", *Political Studies* 58(1):85–103.

Per issue choose x maximising

    N(x) = Σ_i w_i · log(u_i(x) − u_i(d)),   u_i(x) = −s_i |x − x_i|^p,   w_i = capability,  d = status quo,

over the feasible set where every u_i(x) > u_i(d), i.e. |x − x_i| < |d − x_i| for every taking-part actor. Actors
with salience 0 or capability 0 (or absent from the issue) are indifferent and do not take part. The feasible set is
the open interval (max_i(x_i − r_i), min_i(x_i + r_i)) with r_i = |d − x_i|; when it is empty — some actor can gain
nothing over the status quo — the model reports ``no_agreement`` and the status quo. N is strictly concave on the
feasible interval, so its maximiser is the unique root of the (monotone decreasing) derivative, found by bisection,
vectorised over draws and issues (64 halvings: the bracket shrinks below the float spacing).

Salience cancels from the maximiser (log(s·a) = log s + log a); it only decides who takes part. Where a scenario has
no status quo on an issue, ``disagreement="worst"`` (default) takes each actor's disagreement utility at the end of
the scale farthest from its position (no deal = the worst outcome for everyone); ``"status_quo"`` then raises.

**A costly no-agreement** (``cost`` = c ≥ 0). The pure solution gives every actor a veto: one actor at the status
quo leaves no deal (on the DEU development subset, 145 of the 252 issues with an outcome). Where failing to agree
costs every actor something of its own — the "costly reference point" of Franchino & Mariotto (2021), "Bargaining
outcomes and success in EU economic governance reforms", *Political Science Research and Methods* (online 15 July
2021), who find a procedural model with one accurate and suggest that a misestimated cost of no agreement may be why
reference-point models usually do worse — the disagreement utility falls by c, in units of a fully salient actor's
loss across the whole scale (width W):

    u_i(x) = −s_i (|x − x_i| / W)^p,   u_i(d) = −s_i (|d − x_i| / W)^p − c.

Its feasible set is the pure one with each actor's radius widened to (r_i^p + c W^p / s_i)^(1/p); it always holds d,
so with c > 0 and a status quo there is always an agreement, and salience no longer cancels
(:func:`costly_nash_solution` solves it by the same bisection, in a form that stays finite for any salience). Where
it binds nobody, for large c, each log term is log(c + O(1)), the first-order condition
Σ w_i s_i p |x − x_i|^(p−1) sign(x − x_i) / (c W^p + O(1)) = 0 tends to Σ w_i s_i (x − x_i) = 0 for p = 2 — the
capability × salience weighted mean, the compromise model (Achen 2006, "Institutional realism and bargaining models",
in Thomson et al., *The European Union Decides*, ch. 4, reads it as a bargaining solution) — and to the weighted
median for p = 1. c = 0 (default) is the pure solution above, to the bit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from detente.models.base import Model, Solution, first_where, register, static_solution
from detente.models.contract import Capabilities
from detente.scenario.arrays import ScenarioArrays

HALVINGS = 64


class NashParams(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    p: Literal[1, 2] = Field(2, description="utility exponent: 1 linear loss, 2 quadratic loss")
    disagreement: Literal["worst", "status_quo"] = Field(
        "worst", description="disagreement point where an issue has no status quo: 'worst' or require one"
    )
    cost: float = Field(
        0.0,
        ge=0.0,
        description="cost of no agreement to every actor, in units of a fully salient actor's loss across the whole "
        "scale: 0 every actor must gain over the status quo; large, tends to the weighted mean (p=2) or median (p=1)",
    )


def _bisect(
    slope: Callable[[np.ndarray], np.ndarray], a: np.ndarray, b: np.ndarray, rising: Callable = np.greater
) -> np.ndarray:
    """The root of a decreasing ``slope`` in [a, b] by HALVINGS halvings; where it is 0 on an interval, that
    interval's lowest point (``rising=np.greater``) or highest (``np.greater_equal``)."""
    for _ in range(HALVINGS):
        mid = 0.5 * (a + b)
        up = rising(slope(mid), 0)
        a = np.where(up, mid, a)
        b = np.where(up, b, mid)
    return 0.5 * (a + b)


def nash_solution(
    position: np.ndarray,
    capability: np.ndarray,
    active: np.ndarray,
    radius: np.ndarray,
    p: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Maximise Σ w log(r^p − |x − x_i|^p) per (draw, issue); returns (x, feasible). Shapes (B,n,m) → (B,m)."""
    big = np.inf
    lo = np.where(active, position - radius, -big).max(axis=-2)
    hi = np.where(active, position + radius, big).min(axis=-2)
    feasible = (lo < hi) & active.any(axis=-2)
    a = np.where(feasible, lo, 0.0)
    b = np.where(feasible, hi, 1.0)
    w = np.where(active, capability, 0.0)
    rp = np.where(active, radius, 1.0) ** p

    def slope(x: np.ndarray) -> np.ndarray:
        dx = x[..., None, :] - position
        ad = np.abs(dx)
        gap = np.maximum(rp - ad**p, 1e-280)  # inside the open feasible interval; keeps 1/gap finite
        g = -p * ad ** (p - 1) * np.sign(dx) / gap
        return (w * g).sum(axis=-2)

    return _bisect(slope, a, b), feasible


def costly_nash_solution(
    position: np.ndarray,
    capability: np.ndarray,
    salience: np.ndarray,
    active: np.ndarray,
    radius: np.ndarray,
    width: np.ndarray,
    cost: float,
    p: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Maximise Σ w_i log(s_i (r_i^p − |x − x_i|^p) / W^p + c) per (draw, issue), c > 0; returns (x, feasible), feasible
    wherever some actor takes part (the status quo always is). Shapes (B,n,m) → (B,m).

    Computed in a form that stays finite for any salience and capability: with σ = s / max s and C = c W^p / max s,
    each term's derivative is the pure one's with the slack σ_i (r_i^p − |x − x_i|^p) + C, divided through by
    max(C, 1) — so where C overflows (a vanishing salience) the slack is 1 and the condition is the weighted mean's
    or median's, the limit. The search runs over the taking-part actors' hull within every actor's feasible interval
    (which holds the status quo). Where the objective is flat on an interval (a weighted median's even split, in that
    limit), the midpoint of the maximisers is returned, so mirroring the scale mirrors the answer."""
    big = np.inf
    s_max = np.where(active, salience, 0.0).max(axis=-2, keepdims=True)
    sigma = np.where(active, salience / np.where(s_max > 0, s_max, 1.0), 0.0)
    w_max = np.where(active, capability, 0.0).max(axis=-2, keepdims=True)
    omega = np.where(active, capability / np.where(w_max > 0, w_max, 1.0), 0.0) * sigma
    with np.errstate(over="ignore", divide="ignore"):
        big_c = cost * width**p / s_max  # (B, 1, m); inf where the largest salience is vanishingly small
        reach = (radius**p + big_c / np.where(active, sigma, 1.0)) ** (1 / p)  # every actor's feasible radius
    scale = 1.0 / np.maximum(big_c, 1.0)
    floor = np.minimum(big_c, 1.0)
    rp = np.where(active, radius, 0.0) ** p
    lo = np.maximum(np.where(active, position, big).min(axis=-2), np.where(active, position - reach, -big).max(axis=-2))
    hi = np.minimum(np.where(active, position, -big).max(axis=-2), np.where(active, position + reach, big).min(axis=-2))
    feasible = np.asarray(active.any(axis=-2))
    lo, hi = np.where(feasible, lo, 0.0), np.where(feasible, hi, 0.0)

    def slope(x: np.ndarray) -> np.ndarray:
        dx = x[..., None, :] - position
        ad = np.abs(dx)
        slack = np.maximum(scale * sigma * (rp - ad**p) + floor, 1e-280)
        return (omega * -p * ad ** (p - 1) * np.sign(dx) / slack).sum(axis=-2)

    lowest, highest = (_bisect(slope, lo, hi, rising) for rising in (np.greater, np.greater_equal))
    return 0.5 * (lowest + highest), feasible


@register
class Nash(Model[NashParams]):
    """Asymmetric Nash bargaining solution, status quo as disagreement point (Nash 1950; Kalai 1977)."""

    name = "nash"
    capabilities = Capabilities(needs_status_quo=True)
    summary = "asymmetric Nash bargaining solution, status quo as disagreement point (Nash 1950)"
    Params = NashParams

    def cannot_run(self, arrays: ScenarioArrays) -> str | None:
        """An issue with stances needs a status quo (``disagreement="status_quo"``), and where it has none, some
        actor with salience and capability > 0: otherwise there is neither a bargain nor a point to stay at."""
        prm = self.params
        held = arrays.mask.any(axis=1)
        missing = np.isnan(arrays.status_quo) & held
        if prm.disagreement == "status_quo":
            return first_where(
                missing, arrays.issues, "issue {} has no status quo; expected one, or disagreement='worst'"
            )
        nobody = ~(arrays.mask & (arrays.salience > 0) & (arrays.capability > 0)).any(axis=1)
        return first_where(
            missing & nobody,
            arrays.issues,
            "issue {} has no status quo and no actor with salience and capability > 0 to bargain: nothing to forecast "
            "(give the issue a status quo)",
        )

    def _solve(self, arrays: ScenarioArrays, rng: np.random.Generator) -> Solution:
        prm = self.params
        x = arrays.position
        d = arrays.status_quo[:, None, :]
        worst = np.maximum(x - arrays.lower, arrays.upper - x)
        radius = np.where(np.isnan(d), worst, np.abs(d - x))
        active = arrays.mask & (arrays.salience > 0) & (arrays.capability > 0)
        if prm.cost > 0:
            width = arrays.upper - arrays.lower
            sol, feasible = costly_nash_solution(
                x, arrays.capability, arrays.salience, active, radius, width, prm.cost, prm.p
            )
        else:
            sol, feasible = nash_solution(x, arrays.capability, active, radius, prm.p)
        no_deal = ~feasible
        out = np.where(no_deal, arrays.status_quo, sol)
        status = np.where(no_deal, "no_agreement", "static").astype(object)
        return static_solution(arrays, out, status)
