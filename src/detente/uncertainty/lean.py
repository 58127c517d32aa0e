"""A lean final-state run of the spatial model for ensembles (the numbers of its full solve)."""

from __future__ import annotations

from typing import Any

import numpy as np

from detente.models.base import Model
from detente.scenario.arrays import ScenarioArrays

__all__ = ["spatial_final"]


def spatial_final(
    model: Model, batch: ScenarioArrays, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(outcomes, final positions, status, rounds) of the spatial model, the numbers of ``model.solve``.

    It runs the same simulation in the same chunks with the same generator as the model's own solve, but keeps only
    the final state of each chunk: no per-turn move and proposal tables, no merged per-turn histories.
    """
    from detente.errors import ScenarioError
    from detente.models.spatial import CHUNK_CELLS, ktab_inputs, simulate

    p: Any = model.params
    if batch.n_actors < 2:
        raise ScenarioError("the spatial model needs at least two actors", file=batch.name, value=batch.n_actors)
    x0, s, c = ktab_inputs(batch, p.salience_mapping)
    B, N, D = x0.shape
    step = max(1, int(CHUNK_CELLS // max(N**3, 1)))
    outcome = np.empty((B, D))
    final = np.empty((B, N, D))
    turns = np.empty(B, np.int64)
    converged = np.empty(B, bool)
    for k in range(0, B, step if B > step else B):
        hi = min(B, k + step) if B > step else B
        res = simulate(x0[k:hi], s[k:hi], c[k:hi], p, rng)
        outcome[k:hi] = res["outcome"]
        final[k:hi] = res["positions"][:, -1]
        turns[k:hi] = res["turns"]
        converged[k:hi] = res["converged"]
        del res
    lo, span = batch.lower, batch.upper - batch.lower
    status = np.broadcast_to(np.where(converged, "converged", "max_rounds").astype(object)[:, None], (B, D))
    rounds = np.broadcast_to(turns[:, None], (B, D))
    return lo + outcome * span, lo + final * span, status, rounds
