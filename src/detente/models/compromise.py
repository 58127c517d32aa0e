"""The compromise model: the capability × salience weighted mean of the actors' positions.

    O_j = Σ_i c_ij s_ij x_ij / Σ_i c_ij s_ij

Achen, C. H. (2006), "Evaluating political decision-making models", in Thomson, Stokman, Achen & König (eds.),
*The European Union Decides*, Cambridge University Press, pp. 264–298 — the best-performing model of that
comparison of real EU decisions. On the emission-standards case it gives 7.389956 (Bueno de Mesquita's weighted mean).

Actors absent from an issue take no part. Where every present actor has salience (or capability) 0 on an issue,
the weighted mean is undefined; detente then falls back to the capability-weighted mean, and then to the plain mean
of the present actors, and records status ``no_agreement`` only if nobody takes part at all.
"""

from __future__ import annotations

import numpy as np

from detente.models.base import Model, NoParams, Solution, register, static_solution
from detente.models.contract import Capabilities
from detente.scenario.arrays import ScenarioArrays


def _unit(a: np.ndarray) -> np.ndarray:
    """``a`` divided by its largest value over the actors (axis -2) of each issue, where that is positive."""
    top = a.max(axis=-2, keepdims=True)
    return a / np.where(top > 0, top, 1.0)


def fallback_weights(arrays: ScenarioArrays) -> tuple[np.ndarray, ...]:
    """The weights of the static models, in fallback order: capability × salience, capability, head count.

    Capability and salience are each scaled to a maximum of 1 per issue before they are multiplied, so that the
    weights neither underflow nor lose precision in subnormal numbers when every value on an issue is tiny (the
    weighted mean and median depend only on the ratios, which the scaling keeps).
    """
    cap = _unit(arrays.capability * arrays.mask)
    return cap * _unit(arrays.salience * arrays.mask), cap, arrays.mask.astype(float)


def weighted_mean(position: np.ndarray, weights: tuple[np.ndarray, ...]) -> np.ndarray:
    """Σ w x / Σ w over the actor axis (axis -2), taking each issue's first weight with a positive total;
    shapes (B, n, m) → (B, m).

    The mean is clipped to [min, max] of the positions with positive weight: it lies there mathematically, and the
    clip removes the few ULP by which rounding in the sums can leave that hull (so all actors at one position give
    exactly that position)."""
    out = np.full(position.shape[:-2] + position.shape[-1:], np.nan)
    for w in weights:
        total = w.sum(axis=-2)
        ok = np.isnan(out) & (total > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            val = (w * position).sum(axis=-2) / total
        weighted = w > 0
        lo = np.where(weighted, position, np.inf).min(axis=-2)
        hi = np.where(weighted, position, -np.inf).max(axis=-2)
        out = np.where(ok, np.minimum(np.maximum(val, lo), hi), out)
    return out


@register
class Compromise(Model[NoParams]):
    """Capability × salience weighted mean (Achen 2006)."""

    name = "compromise"
    capabilities = Capabilities()
    summary = "capability × salience weighted mean (Achen 2006; best performer in Thomson et al. 2006)"

    def _solve(self, arrays: ScenarioArrays, rng: np.random.Generator) -> Solution:
        out = weighted_mean(arrays.position, fallback_weights(arrays))
        status = np.where(np.isnan(out), "no_agreement", "static").astype(object)
        out = np.where(np.isnan(out), arrays.status_quo, out)
        return static_solution(arrays, out, status)
