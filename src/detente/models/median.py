"""The median model: the weighted median of the actors' positions, weights capability × salience.

Black, D. (1948), "On the rationale of group decision-making", *Journal of Political Economy* 56(1):23–34: on one
dimension with single-peaked preferences the median voter's position beats every other in pairwise votes. With
Bueno de Mesquita's linear votes v_k(x_j vs x_m) = 2 c_k s_k (|x_k − x_m| − |x_k − x_j|)/R (Scholz et al. 2011,
eq. 26) the Condorcet winner among actor positions is the weighted median: sort the positions and take the first at
which the cumulative weight reaches half the total.

Tie rule (none is published): when the cumulative weight equals exactly half the total at a position x_k (to a
relative 1e-9), every point of [x_k, x_{k+1}] ties in pairwise votes. ``tie="midpoint"`` (default) returns the
midpoint, which keeps the model symmetric under mirroring the scale; ``"lower"`` and ``"upper"`` return x_k or
x_{k+1} (always an actor position, as Bueno de Mesquita's candidates are).

On the emission-standards case the median is 7 (Bueno de Mesquita 1994's forecast).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from detente.models.base import Model, Solution, register, static_solution
from detente.models.compromise import fallback_weights
from detente.models.contract import Capabilities
from detente.scenario.arrays import ScenarioArrays

TIE_RTOL = 1e-9


def weighted_median(
    position: np.ndarray, weight: np.ndarray, tie: Literal["midpoint", "lower", "upper"] = "midpoint"
) -> np.ndarray:
    """Weighted median over the actor axis (axis -2); (…, n, m) → (…, m). NaN where the total weight is 0."""
    order = np.argsort(position, axis=-2, kind="stable")
    x = np.take_along_axis(position, order, axis=-2)
    w = np.take_along_axis(weight, order, axis=-2)
    cum = np.cumsum(w, axis=-2)
    total = cum[..., -1:, :]
    half = total / 2.0
    tol = TIE_RTOL * total
    reached = cum >= half - tol
    k = np.argmax(reached, axis=-2)[..., None, :]  # first position reaching half
    lower = np.take_along_axis(x, k, axis=-2)[..., 0, :]
    # exact tie: cumulative weight at k equals half; the next position with positive weight is the upper median
    at_k = np.take_along_axis(cum, k, axis=-2)[..., 0, :]
    is_tie = np.abs(at_k - half[..., 0, :]) <= tol[..., 0, :]
    after = (cum > at_k[..., None, :] + tol) & (w > 0)
    k2 = np.argmax(after, axis=-2)[..., None, :]
    upper = np.take_along_axis(x, k2, axis=-2)[..., 0, :]
    upper = np.where(after.any(axis=-2), upper, lower)
    if tie == "lower":
        out = lower
    elif tie == "upper":
        out = np.where(is_tie, upper, lower)
    else:
        out = np.where(is_tie, (lower + upper) / 2.0, lower)
    return np.where(total[..., 0, :] > 0, out, np.nan)


class MedianParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tie: Literal["midpoint", "lower", "upper"] = Field(
        "midpoint", description="rule for an exact half-weight tie (see the module docstring)"
    )


@register
class Median(Model[MedianParams]):
    """Weighted median = Condorcet winner under linear votes (Black 1948; Bueno de Mesquita 1994)."""

    name = "median"
    capabilities = Capabilities()
    summary = "weighted median = Condorcet winner under linear votes (Black 1948)"
    Params = MedianParams

    def _solve(self, arrays: ScenarioArrays, rng: np.random.Generator) -> Solution:
        p = self.params
        # capability × salience; where nobody has salience, capability, then head count (as the compromise model)
        first, *fallbacks = fallback_weights(arrays)
        out = weighted_median(arrays.position, first, p.tie)
        for fallback in fallbacks:
            out = np.where(np.isnan(out), weighted_median(arrays.position, fallback, p.tie), out)
        status = np.where(np.isnan(out), "no_agreement", "static").astype(object)
        out = np.where(np.isnan(out), arrays.status_quo, out)
        return static_solution(arrays, out, status)
