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

from detente.models.base import Model, Solution, register, static_solution
from detente.scenario.arrays import ScenarioArrays


def weighted_mean(position: np.ndarray, weight: np.ndarray, mask: np.ndarray, capability: np.ndarray) -> np.ndarray:
    """Σ w x / Σ w over the actor axis (axis -2) with the documented fallbacks; shapes (B, n, m) → (B, m)."""
    out = np.full(position.shape[:-2] + position.shape[-1:], np.nan)
    for w in (weight, capability * mask, mask.astype(float)):
        total = w.sum(axis=-2)
        ok = np.isnan(out) & (total > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            val = (w * position).sum(axis=-2) / total
        out = np.where(ok, val, out)
    return out


@register
class Compromise(Model):
    """Capability × salience weighted mean (Achen 2006)."""

    name = "compromise"
    summary = "capability × salience weighted mean (Achen 2006; best performer in Thomson et al. 2006)"

    def _solve(self, arrays: ScenarioArrays, rng: np.random.Generator) -> Solution:
        out = weighted_mean(arrays.position, arrays.weight, arrays.mask, arrays.capability)
        status = np.where(np.isnan(out), "no_agreement", "static").astype(object)
        out = np.where(np.isnan(out), arrays.status_quo, out)
        return static_solution(arrays, out, status)
