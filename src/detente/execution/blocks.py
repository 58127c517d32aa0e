"""Blocks of work and their random streams.

The block size is part of a run's definition (recorded in provenance), never derived from the number of workers:
block ``k`` covers items ``[k·size, min((k+1)·size, total))`` and owns the random stream :func:`block_seed` ``(seed,
k)``, so the same seed gives the same numbers whether one process or a cluster runs the blocks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Blocks", "block_seed"]


@dataclass(frozen=True)
class Blocks:
    """``total`` items in blocks of ``size`` (the last one may be shorter)."""

    total: int
    size: int

    def __post_init__(self) -> None:
        if self.total < 0 or self.size < 1:
            raise ValueError(f"Blocks(total={self.total}, size={self.size}): expected total >= 0 and size >= 1")

    @property
    def count(self) -> int:
        return -(-self.total // self.size)

    def bounds(self, k: int) -> tuple[int, int]:
        """``(start, stop)`` of block ``k``."""
        if not 0 <= k < self.count:
            raise IndexError(f"block {k} of {self.count}")
        start = k * self.size
        return start, min(start + self.size, self.total)

    def length(self, k: int) -> int:
        lo, hi = self.bounds(k)
        return hi - lo


def block_seed(seed: int, k: int) -> np.random.SeedSequence:
    """The seed sequence of block ``k``: child ``k`` of ``SeedSequence(seed)`` (what ``.spawn()`` would give it).

    ``block_seed(seed, k).spawn(s)`` gives the block ``s`` independent streams (e.g. perturbations, a model's own
    randomness).
    """
    return np.random.SeedSequence(seed, spawn_key=(k,))
