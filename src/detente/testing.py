"""Hypothesis generators for property tests of models (Axelrod-style: reusable by every model's tests).

>>> from hypothesis import given
>>> from detente.testing import scenario_arrays
>>> @given(scenario_arrays(max_actors=4))
... def check(a):
...     assert a.position.shape[1] == len(a.actors)
>>> check()
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from detente.scenario.arrays import ScenarioArrays


def _floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


@st.composite
def scenario_arrays(
    draw: st.DrawFn,
    min_actors: int = 2,
    max_actors: int = 8,
    min_issues: int = 1,
    max_issues: int = 3,
    batch: int = 1,
    status_quo: bool = True,
    absent: bool = True,
    zero_salience: bool = True,
    grid: bool = False,
) -> ScenarioArrays:
    """Random valid ScenarioArrays: scales with random bounds, positions on them, saliences in [0,1], capabilities > 0.

    ``grid=True`` draws positions from a few grid points (ties between actors, as real data have).
    """
    n = draw(st.integers(min_actors, max_actors))
    m = draw(st.integers(min_issues, max_issues))
    lower: np.ndarray = np.array(draw(st.lists(_floats(-100, 100), min_size=m, max_size=m)))
    width: np.ndarray = np.array(draw(st.lists(_floats(1, 200), min_size=m, max_size=m)))
    upper = lower + width
    if grid:
        u = draw(hnp.arrays(float, (batch, n, m), elements=st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0])))
    else:
        u = draw(hnp.arrays(float, (batch, n, m), elements=_floats(0, 1)))
    position = lower + u * width
    sal_el = _floats(0, 1) if zero_salience else _floats(0.01, 1)
    salience = draw(hnp.arrays(float, (batch, n, m), elements=sal_el))
    capability = draw(hnp.arrays(float, (batch, n, 1), elements=_floats(0.01, 100)))
    capability = np.broadcast_to(capability, (batch, n, m)).copy()
    mask = np.ones((batch, n, m), bool)
    if absent and n > 2:
        mask = draw(hnp.arrays(bool, (batch, n, m), elements=st.booleans()))
        mask[:, :2, :] = True  # at least two actors on every issue
    sq = None
    if status_quo:
        sq = lower + draw(hnp.arrays(float, (batch, m), elements=_floats(0, 1))) * width
    return ScenarioArrays.from_numpy(position, salience, capability, mask=mask, status_quo=sq, lower=lower, upper=upper)


def mirrored(a: ScenarioArrays) -> ScenarioArrays:
    """The same scenario with every scale reversed (x → lower + upper − x)."""
    flip = lambda x: a.lower + a.upper - x  # noqa: E731
    return replace(a, position=np.where(a.mask, flip(a.position), a.position), status_quo=flip(a.status_quo))


def permuted(a: ScenarioArrays, order: np.ndarray) -> ScenarioArrays:
    """The same scenario with actors listed in another order."""
    return a.select_actors(order)


def scaled_capability(a: ScenarioArrays, k: float) -> ScenarioArrays:
    return replace(a, capability=a.capability * k)
