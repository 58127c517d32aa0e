"""Embarrassingly parallel work in seed-stable blocks: run in-process or on Dask, merged exactly.

A workload (an ensemble's draws, a Sobol design's base samples, a list of scenarios) is cut into blocks of a fixed
size that does not depend on how many workers run them. Block ``k`` draws its random numbers from
``SeedSequence(seed).spawn(...)[k]`` (:func:`block_seed`), so its results are a function of the seed, the block index
and the inputs only; the blocks' results are consumed in block order, so a merge (a concatenation or a sum) is the
same bytes for any number of workers, in-process or on a cluster.

>>> from detente.execution import Blocks, run_blocks
>>> def square_sum(data, k):
...     lo, hi = data.bounds(k)
...     return sum(i * i for i in range(lo, hi))
>>> plan = Blocks(total=10, size=4)
>>> plan.count, plan.bounds(2)
(3, (8, 10))
>>> sum(run_blocks(square_sum, plan, range(plan.count)))
285

Backends (:func:`runner`): in-process (the default), ``workers`` processes forked from this one (on Linux; a Dask
``LocalCluster`` of single-threaded workers elsewhere, or where a caller asks for one with ``local="dask"``), or an
existing Dask scheduler at ``scheduler`` (its workers must have detente installed). At most a few
blocks per worker are in flight, so memory stays bounded however many blocks there are. Memory estimates and the
``--max-memory`` limit are in :mod:`detente.execution.memory`.
"""

from __future__ import annotations

from detente.execution.blocks import Blocks, block_seed
from detente.execution.memory import MemoryLimitError, check_memory, default_limit, format_bytes, parse_size
from detente.execution.runner import InProcess, Runner, run_blocks, runner

__all__ = [
    "Blocks",
    "InProcess",
    "MemoryLimitError",
    "Runner",
    "block_seed",
    "check_memory",
    "default_limit",
    "format_bytes",
    "parse_size",
    "run_blocks",
    "runner",
]
