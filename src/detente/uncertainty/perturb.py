"""Drawing a batch of perturbed scenarios from one scenario (vectorised over the batch axis).

Randomness comes in two steps so that comparisons can use common random numbers:

1. :func:`draw_uniforms` takes, for every draw, one block of uniforms per actor: one per cell and field (position,
   salience, capability), one for dropout, one for "is this actor shocked" and one per cell for the shock's size.
   Draws are taken row by row from the generator, so ``count`` draws in chunks of any size give the same numbers
   as one call (chunking does not change results).
2. :func:`perturb` turns those uniforms into values with the spec (inverse-CDF transforms), for any scenario whose
   actors are a subset of the uniforms' actors (:meth:`Uniforms.take` maps them by id). A variant that moves an
   actor therefore sees exactly the same noise as the baseline.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import ndtri

from detente.scenario.arrays import ScenarioArrays, to_arrays
from detente.scenario.schema import MAGNITUDE_MAX
from detente.uncertainty.spec import DISTS, PerturbationSpec, resolve_spec

if TYPE_CHECKING:
    from detente.scenario.schema import Scenario

__all__ = ["Uniforms", "draw", "draw_uniforms", "perturb"]

_HALF_ULP = 2.0**-54  # rng.random() is in [0, 1) on a 2^-53 grid; adding this keeps every value strictly inside (0, 1)


@dataclass(frozen=True)
class Uniforms:
    """Per-draw uniforms in (0, 1) for a list of actors: cells (B, n, m) and per-actor values (B, n)."""

    actors: tuple[str, ...]
    position: np.ndarray
    salience: np.ndarray
    capability: np.ndarray
    dropout: np.ndarray
    shock: np.ndarray
    shock_size: np.ndarray

    @property
    def count(self) -> int:
        return int(self.dropout.shape[0])

    def take(self, actors: tuple[str, ...]) -> Uniforms:
        """The uniforms of ``actors`` (by id, in that order)."""
        if actors == self.actors:
            return self
        index = {a: k for k, a in enumerate(self.actors)}
        missing = [a for a in actors if a not in index]
        if missing:
            raise KeyError(f"no random numbers drawn for actors {missing}")
        idx = np.array([index[a] for a in actors], dtype=int)
        return Uniforms(
            actors,
            self.position[:, idx],
            self.salience[:, idx],
            self.capability[:, idx],
            self.dropout[:, idx],
            self.shock[:, idx],
            self.shock_size[:, idx],
        )

    def join(self, other: Uniforms) -> Uniforms:
        """These actors followed by ``other``'s (same draws)."""
        cat = lambda a, b: np.concatenate([a, b], axis=1)  # noqa: E731
        return Uniforms(
            (*self.actors, *other.actors),
            cat(self.position, other.position),
            cat(self.salience, other.salience),
            cat(self.capability, other.capability),
            cat(self.dropout, other.dropout),
            cat(self.shock, other.shock),
            cat(self.shock_size, other.shock_size),
        )


def draw_uniforms(rng: np.random.Generator, count: int, actors: tuple[str, ...], n_issues: int) -> Uniforms:
    """``count`` draws of uniforms for ``actors`` × ``n_issues`` (one row of the generator per draw)."""
    n, m = len(actors), n_issues
    width = 4 * n * m + 2 * n
    u = rng.random((count, width)) + _HALF_ULP
    cells = u[:, : 4 * n * m].reshape(count, 4, n, m)
    per_actor = u[:, 4 * n * m :].reshape(count, 2, n)
    return Uniforms(actors, cells[:, 0], cells[:, 1], cells[:, 2], per_actor[:, 0], per_actor[:, 1], cells[:, 3])


def _noise(x: np.ndarray, u: np.ndarray, code: np.ndarray, scale: np.ndarray, origin: np.ndarray | float) -> np.ndarray:
    """x perturbed cell by cell: normal x + s·Φ⁻¹(u), uniform x + s·(2u − 1), lognormal origin + (x − origin)·exp(s·Φ⁻¹(u))."""
    out = x.copy()
    present = {int(c) for c in np.unique(code[scale > 0])}
    if DISTS.index("normal") in present or DISTS.index("lognormal") in present:
        z = ndtri(u)
    for c in present:  # the schema bounds every scale; numpy warnings never reach stderr
        sel = (code == c) & (scale > 0)
        with np.errstate(over="ignore", invalid="ignore"):
            if c == DISTS.index("normal"):
                val = x + scale * z
            elif c == DISTS.index("uniform"):
                val = x + scale * (2.0 * u - 1.0)
            else:
                val = origin + (x - origin) * np.exp(scale * z)
        out = np.where(sel, val, out)
    return out


def perturb(arrays: ScenarioArrays, spec: PerturbationSpec, u: Uniforms) -> ScenarioArrays:
    """A batch of ``u.count`` perturbed copies of the B = 1 ``arrays`` (noise, shocks, dropout; clipped to ranges)."""
    if arrays.batch != 1:
        raise ValueError(f"perturb() takes a scenario of batch 1, got batch {arrays.batch}")
    u = u.take(arrays.actors)
    B = u.count
    lo, hi = arrays.lower[None, None, :], arrays.upper[None, None, :]
    base = arrays.with_batch(B) if B != 1 else arrays
    mask0 = arrays.mask[0]

    code, scale = spec.cells("position", arrays.actors, arrays.issues, arrays.position[0], arrays.lower, arrays.upper)
    pos = np.clip(_noise(base.position, u.position, code, scale, lo), lo, hi)
    code, scale = spec.cells("salience", arrays.actors, arrays.issues, arrays.salience[0], arrays.lower, arrays.upper)
    sal = np.clip(_noise(base.salience, u.salience, code, scale, 0.0), 0.0, 1.0)
    code, scale = spec.cells(
        "capability", arrays.actors, arrays.issues, arrays.capability[0], arrays.lower, arrays.upper
    )
    # capped like a scenario's own capabilities: models multiply them, and beyond MAGNITUDE_MAX products overflow
    cap = np.clip(_noise(base.capability, u.capability, code, scale, 0.0), 0.0, MAGNITUDE_MAX)

    sh = spec.shocks
    if sh.probability > 0:
        eligible = _eligible(arrays.actors, sh.actors)
        hit = (u.shock < sh.probability) & eligible[None, :]
        if sh.mode == "shift":
            moved = sal + (sh.size / 100.0) * (2.0 * u.shock_size - 1.0)
        else:
            moved = u.shock_size
        sal = np.clip(np.where(hit[:, :, None], moved, sal), 0.0, 1.0)

    mask = np.broadcast_to(mask0, (B, *mask0.shape)).copy()
    dp = spec.dropout
    if dp.probability > 0:
        eligible = _eligible(arrays.actors, dp.actors)
        drop = (u.dropout < dp.probability) & eligible[None, :]
        trial = mask & ~drop[:, :, None]
        # keep every issue someone had: a draw that would empty an issue keeps all its actors
        emptied = ((trial.sum(axis=1) == 0) & (mask0.sum(axis=0) > 0)[None, :]).any(axis=1)
        mask = np.where(emptied[:, None, None], mask, trial)

    pos = np.where(mask, pos, lo)
    sal = np.where(mask, sal, 0.0)
    cap = np.where(mask, cap, 0.0)
    return replace(base, position=pos, salience=sal, capability=cap, mask=mask)


def _eligible(actors: tuple[str, ...], chosen: list[str] | None) -> np.ndarray:
    if chosen is None:
        return np.ones(len(actors), bool)
    pick = set(chosen)
    return np.array([a in pick for a in actors], bool)


def draw(
    scenario: Scenario | ScenarioArrays,
    spec: PerturbationSpec | dict | str | None = None,
    draws: int = 1000,
    *,
    seed: int | None = None,
    rng: np.random.Generator | None = None,
) -> ScenarioArrays:
    """``draws`` perturbed copies of a scenario as one batch (seeded: same seed, same arrays).

    ``spec`` defaults to the scenario's ``perturbation`` field, else :data:`detente.uncertainty.spec.DEFAULT`.
    """
    from detente.scenario.schema import Scenario

    if isinstance(scenario, Scenario):
        arrays = to_arrays(scenario)
        ps = resolve_spec(spec, scenario.perturbation, scenario.name)
    else:
        arrays = scenario
        ps = resolve_spec(spec, None)
    ps.check(arrays.actors, arrays.issues)
    if rng is None:
        rng = np.random.default_rng(seed)
    return perturb(arrays, ps, draw_uniforms(rng, draws, arrays.actors, arrays.n_issues))
