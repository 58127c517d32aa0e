"""What a model run costs in memory, estimated before the run.

:func:`model_bytes` is an upper estimate of the working memory of one model call on a batch of ``draws`` scenarios of
``n`` actors × ``m`` issues (the arrays the kernel holds at its peak), calibrated on korea-2019 and random scenarios
(``benchmarks/bench_memory.py`` measures the peaks). Its terms follow each kernel's largest arrays: pairwise
actor × actor × issue tables for expected-utility, issue-pair tables for exchange, actor³ perspective utilities for
spatial (run in chunks of ``CHUNK_CELLS`` cells, one draw at a time beyond). :func:`check_solve` refuses a single
model run that cannot fit, whatever the chunking.
"""

from __future__ import annotations

from typing import Any

from detente.execution.memory import check_memory, resolve_limit

__all__ = ["BASE_BYTES", "check_solve", "model_bytes"]

BASE_BYTES = 250 * 10**6
"""The interpreter with numpy, pandas, scipy and detente loaded (measured RSS about 150–200 MB)."""

_F = 8  # bytes per float64
_FIXED = 10 * 10**6  # per call, whatever the batch: caches, small tables


def model_bytes(model: Any, n: int, m: int, draws: int) -> float:
    """Estimated peak working memory (bytes) of one call of ``model`` on ``draws`` scenarios of ``n`` × ``m``."""
    name = model if isinstance(model, str) else model.name
    cells = n * m
    if name == "expected-utility":
        per = 4 * n * n * m * _F + 40 * cells * _F
    elif name == "exchange":
        per = 12 * n * n * m * m * _F + 200 * cells * _F
    elif name == "spatial":
        from detente.models.spatial import CHUNK_CELLS

        cube = n**3
        per_draw = 10 * cube * _F + 40 * n * n * _F + 400 * cells * _F
        if cube >= CHUNK_CELLS:  # one draw at a time
            return float(_FIXED + per_draw)
        step = max(1, CHUNK_CELLS // max(cube, 1))
        return float(_FIXED + min(draws, step) * 10 * cube * _F + draws * (40 * n * n + 400 * cells) * _F)
    else:  # static models and anything else: a few copies of the inputs
        per = 40 * cells * _F + 8 * n * n * _F
    return float(_FIXED + draws * per)


def check_solve(model: Any, n: int, m: int, draws: int = 1, max_memory: str | int | None = None) -> None:
    """Refuse (one line) a model run on ``draws`` scenarios of ``n`` × ``m`` whose estimate exceeds the limit."""
    name = model if isinstance(model, str) else model.name
    check_memory(
        BASE_BYTES + model_bytes(model, n, m, draws),
        resolve_limit(max_memory),
        f"one {name} run of {n} actors × {m} issues" + (f" on {draws} draws" if draws > 1 else ""),
        "the problem itself is too large for this machine: reduce the scenario or raise the limit",
    )
