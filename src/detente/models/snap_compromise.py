"""The snapped core compromise: ``core-compromise``, moved onto the nearest position voiced when one is close.

Legislative outcomes are texts, and the text adopted is often one of the formulations on the table: in DEU (Thomson,
Stokman, Achen & König 2006, *The European Union Decides*, ch. 2, on how issues, positions and outcomes are coded on
one scale) the observed outcome lies exactly on a position some actor took on 65 % of the 252 scored issues of the
DEU III development subset (Arregui & Perarnaud 2021). A forecast that lands a few points from a voiced position
is then better placed on it: under absolute error the best point forecast is the median of the predictive
distribution (Laplace 1774; Gneiting 2011, "Making and evaluating point forecasts", *JASA* 106), and a distribution
with a point mass at a voiced position has its median on that position whenever the forecast's own spread around it
leaves the mass enough weight. This model takes the simplest rule of that kind, with one parameter:

1. ``core-compromise`` with its two parameters: the capability × salience weighted mean with the actors at the
   issue's two extreme positions down-weighted (``extreme_weight``), clipped to the θ-core of the weighted vote
   (``theta``); see :mod:`detente.models.core_compromise` for the equations and their papers.
2. **Snap.** With b = the largest position at or below that forecast f and a = the smallest at or above it (over the
   actors taking part), the forecast becomes the nearer of the two where its distance is at most ``radius`` times
   the width of the issue's scale (on DEU's 0–100 scales, 100 · radius points); where both are equally near (and f
   is neither) it stays f; else f. With r_j = radius · (upper_j − lower_j):

       forecast_j = b_j if f_j − b_j ≤ r_j and f_j − b_j < a_j − f_j,
                    a_j if a_j − f_j ≤ r_j and a_j − f_j < f_j − b_j,   f_j otherwise

``radius = 0`` gives ``core-compromise``. The forecast lies within the range of the positions, does not depend on
the actors' order or the unit of capability, and mirrors with the scale. The three parameters were chosen by
cross-validation grouped by proposal on DEU III (100 of its 141 proposals, the others held back): ``benchmarks/
cv_deu.py --snap`` fits them and ``docs/snap-compromise.md`` reports the out-of-sample errors.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from detente.models.base import Model, Solution, register, static_solution
from detente.models.contract import Capabilities
from detente.models.core_compromise import core_compromise, issue_weights
from detente.scenario.arrays import ScenarioArrays

# fitted on DEU III (100-proposal development subset) by grouped cross-validation; see docs/snap-compromise.md
FITTED_EXTREME_WEIGHT = 0.15
FITTED_THETA = 0.75
FITTED_RADIUS = 0.15
TIE_RTOL = 1e-9  # distances within this (relative to the positions' magnitude) of each other count as equal


class SnapCompromiseParams(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    extreme_weight: float = Field(
        FITTED_EXTREME_WEIGHT,
        ge=0.0,
        le=1.0,
        description="weight multiplier of actors at the issue's most extreme positions (as in core-compromise). "
        "Default fitted by grouped cross-validation on DEU III (docs/snap-compromise.md).",
    )
    theta: float = Field(
        FITTED_THETA,
        ge=0.5,
        le=1.0,
        description="supermajority of the core the mean is clipped to (as in core-compromise). Default fitted by "
        "grouped cross-validation on DEU III (docs/snap-compromise.md).",
    )
    radius: float = Field(
        FITTED_RADIUS,
        ge=0.0,
        le=1.0,
        description="largest distance, as a share of the issue's scale width, from which the forecast moves onto "
        "the nearest position voiced (0: core-compromise). Default fitted by grouped cross-validation on DEU III "
        "(docs/snap-compromise.md).",
    )


def snap_to_positions(forecast: np.ndarray, position: np.ndarray, mask: np.ndarray, radius: np.ndarray | float
                      ) -> np.ndarray:  # fmt: skip
    """The forecast moved onto the nearest position of a taking-part actor where that is at most ``radius`` away
    (in the scale's units, per issue or one for all; equally near positions on both sides, to within ``TIE_RTOL``:
    not moved); (B, m) with
    (B, n, m) positions → (B, m). NaN stays NaN."""
    f = forecast[..., None, :]
    below = np.max(np.where(mask & (position <= f), position, -np.inf), axis=-2)
    above = np.min(np.where(mask & (position >= f), position, np.inf), axis=-2)
    gap_below, gap_above = forecast - below, above - forecast
    # distances equal to within rounding count as equal (a tie, or exactly the radius), so that mirroring the scale
    # mirrors the forecast
    with np.errstate(invalid="ignore"):
        eps = TIE_RTOL * np.maximum(np.maximum(np.abs(np.where(np.isfinite(below), below, 0.0)),
                                               np.abs(np.where(np.isfinite(above), above, 0.0))), 1.0)  # fmt: skip
        out = np.where((gap_below <= radius + eps) & (gap_below < gap_above - eps), below, forecast)
        out = np.where((gap_above <= radius + eps) & (gap_above < gap_below - eps), above, out)
    return np.where(np.isnan(forecast), np.nan, out)


@register
class SnapCompromise(Model[SnapCompromiseParams]):
    """core-compromise moved onto the nearest position voiced within a radius (fitted on DEU III by grouped CV)."""

    name = "snap-compromise"
    fitted_on = "deu3-dev"
    capabilities = Capabilities()
    summary = "core-compromise moved onto the nearest position voiced within a radius; fitted on DEU III by grouped CV"
    Params = SnapCompromiseParams

    def _solve(self, arrays: ScenarioArrays, rng: np.random.Generator) -> Solution:
        p = self.params
        mask = arrays.mask
        base = core_compromise(arrays.position, issue_weights(arrays), mask, p.extreme_weight, p.theta)
        out = snap_to_positions(base, arrays.position, mask, p.radius * (arrays.upper - arrays.lower))
        status = np.where(np.isnan(out), "no_agreement", "static").astype(object)
        out = np.where(np.isnan(out), arrays.status_quo, out)
        return static_solution(arrays, out, status)
