"""The core compromise: a moderated weighted mean, kept inside the supermajority core of the weighted vote.

Two changes to the compromise model (the capability × salience weighted mean; Achen 2006, the best performer in
Thomson, Stokman, Achen & König 2006, *The European Union Decides*, and in Schneider, Finke & Bailer 2010):

1. **Moderation.** Actors who hold one of the two most extreme positions taken on the issue weigh ``extreme_weight``
   times their capability × salience. Stated positions are bargaining positions, and those at the ends of the
   range are the likeliest to be exaggerated (Bueno de Mesquita 1994 on posturing; Thomson et al. 2006 ch. 1 on the
   coding of DEU scales, whose end points are the most extreme positions voiced); down-weighting them is the
   trimmed-mean idea of robust statistics (Tukey 1960; Huber 1981) applied to the two tails.

       m_j = Σ_i v_ij x_ij / Σ_i v_ij,   v_ij = c_ij s_ij · (extreme_weight if x_ij ∈ {min_k x_kj, max_k x_kj} else 1)

2. **Core.** The forecast is m_j clipped to the θ-core of the capability × salience weighted vote: the interval
   [L_j, U_j] of positions that no weighted supermajority θ would overturn in favour of a point beyond them, with
   U_j the smallest position at or below which at least θ of the weight lies and L_j its mirror image (Black 1958
   for the one-dimensional weighted majority; Krehbiel 1998, *Pivotal Politics*, and Tsebelis 2002, *Veto Players*,
   for supermajority pivots and the gridlock interval they bound). θ = 1/2 gives the weighted median, θ = 1 the
   range of the weighted positions (no clipping).

       forecast_j = min(max(m_j, L_j), U_j)

Both parameters were chosen by cross-validation grouped by proposal on DEU III (Arregui & Perarnaud 2021; 100 of its
141 proposals), with the other proposals held back; ``benchmarks/cv_deu.py`` runs it, ``docs/core-compromise.md``
reports the out-of-sample errors next to the compromise model's. The forecast stays within the range of the
positions, does not depend on the order of the actors or on the unit of capability, and is mirror-symmetric.

Weights fall back as in the compromise model (capability, then head count, where nobody on an issue has weight);
an issue nobody holds a stance on has no forecast (status ``no_stances``, as in every model).
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from detente.models.base import Model, Solution, register, static_solution
from detente.models.compromise import fallback_weights
from detente.models.contract import Capabilities
from detente.scenario.arrays import ScenarioArrays

QUANTILE_RTOL = 1e-9  # cumulative weights within this (relative) of the threshold count as reaching it

# fitted on DEU III (100-proposal development subset), grouped 10-fold cross-validation; see docs/core-compromise.md
FITTED_EXTREME_WEIGHT = 0.05
FITTED_THETA = 0.75


class CoreCompromiseParams(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    extreme_weight: float = Field(
        FITTED_EXTREME_WEIGHT,
        ge=0.0,
        le=1.0,
        description="weight multiplier of actors at the issue's most extreme positions (1: the compromise model's "
        "weighted mean). Default fitted by grouped cross-validation on DEU III (docs/core-compromise.md).",
    )
    theta: float = Field(
        FITTED_THETA,
        ge=0.5,
        le=1.0,
        description="supermajority of the core the mean is clipped to (0.5: the weighted median; 1: no clipping). "
        "Default fitted by grouped cross-validation on DEU III (docs/core-compromise.md).",
    )


def issue_weights(arrays: ScenarioArrays) -> np.ndarray:
    """Capability × salience per actor and issue, falling back (per issue) to capability, then head count. (B, n, m)"""
    weights = fallback_weights(arrays)
    out = weights[-1]
    for w in reversed(weights[:-1]):
        out = np.where(w.sum(axis=-2, keepdims=True) > 0, w, out)
    return out


def _upper_pivot(x: np.ndarray, w: np.ndarray, mask: np.ndarray, theta: float) -> np.ndarray:
    """Smallest position at or below which at least ``theta`` of the weight lies; (B, n, m) → (B, m)."""
    key = np.where(mask, x, np.inf)
    order = np.argsort(key, axis=-2, kind="stable")
    xs = np.take_along_axis(key, order, axis=-2)
    cum = np.cumsum(np.take_along_axis(np.where(mask, w, 0.0), order, axis=-2), axis=-2)
    total = cum[..., -1:, :]
    k = np.argmax(cum >= theta * total * (1.0 - QUANTILE_RTOL), axis=-2)[..., None, :]
    return np.take_along_axis(xs, k, axis=-2)[..., 0, :]


def core_compromise(
    position: np.ndarray, weight: np.ndarray, mask: np.ndarray, extreme_weight: float, theta: float
) -> np.ndarray:
    """The forecast per issue, (B, n, m) → (B, m); NaN where no actor takes part or nobody has weight."""
    mask = mask & (weight >= 0)
    present = mask.any(axis=-2)
    lo = np.min(np.where(mask, position, np.inf), axis=-2, keepdims=True)
    hi = np.max(np.where(mask, position, -np.inf), axis=-2, keepdims=True)
    w = np.where(mask, weight, 0.0)
    extreme = mask & ((position == lo) | (position == hi))
    v = w * np.where(extreme, extreme_weight, 1.0)
    # all the weight at the extremes and extreme_weight 0: the plain weighted mean
    v = np.where(v.sum(axis=-2, keepdims=True) > 0, v, w)
    # scaled to a maximum of 1 per issue, so that tiny weights keep their ratios (no subnormal products)
    top = v.max(axis=-2, keepdims=True)
    v = v / np.where(top > 0, top, 1.0)
    total = v.sum(axis=-2)
    ok = present & (total > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (v * np.where(mask, position, 0.0)).sum(axis=-2) / np.where(ok, total, 1.0)
    upper = _upper_pivot(position, w, mask, theta)
    lower = -_upper_pivot(-position, w, mask, theta)
    # θ = 1/2 with an exact half-weight tie: L > U, and every point between them ties
    return np.where(ok, np.clip(mean, np.minimum(lower, upper), np.maximum(lower, upper)), np.nan)


@register
class CoreCompromise(Model[CoreCompromiseParams]):
    """Moderated capability × salience weighted mean within the θ-core (fitted on DEU III by grouped CV)."""

    name = "core-compromise"
    fitted_on = "deu3-dev"
    capabilities = Capabilities()
    summary = "moderated weighted mean clipped to the supermajority core; fitted on DEU III by grouped CV"
    Params = CoreCompromiseParams

    def _solve(self, arrays: ScenarioArrays, rng: np.random.Generator) -> Solution:
        p = self.params
        out = core_compromise(arrays.position, issue_weights(arrays), arrays.mask, p.extreme_weight, p.theta)
        status = np.where(np.isnan(out), "no_agreement", "static").astype(object)
        out = np.where(np.isnan(out), arrays.status_quo, out)
        return static_solution(arrays, out, status)
