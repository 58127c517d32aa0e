"""The one protocol every detente result follows, whatever made it.

A forecast, an ensemble, a comparison of variants, a sensitivity analysis, a strategy or experiment run, a replay and
a back-test each answer the same five questions:

- ``provenance()`` — what produced it (scenario and its hash, model or engine, parameters, seed, version), a dict;
- ``frame()`` — its main table as a tidy :class:`pandas.DataFrame` (one row per observation; the columns are the
  class's ``frame_columns``);
- ``to_dict()`` — the JSON document the command line prints with ``--format json`` (plain JSON types, no NaN);
- ``figure()`` — its chart, a :class:`matplotlib.figure.Figure` made with the object API (never pyplot state: the
  caller's backend stays what it was), drawn by a function in :mod:`detente.report`;
- ``_repr_html_()`` — its summary in a notebook (:mod:`detente.display`).

Code that takes any result types it as :class:`Result`; ``isinstance(obj, Result)`` checks that the five methods are
there.

>>> import detente
>>> fc = detente.forecast("korea-2019", model="compromise")
>>> isinstance(fc, Result)
True
>>> list(fc.frame().columns) == list(fc.frame_columns)
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["Provenance", "Result"]


@runtime_checkable
class Result(Protocol):
    """What every result class offers (see the module docstring)."""

    frame_columns: ClassVar[tuple[str, ...]]
    """The columns of :meth:`frame`, in order."""

    def provenance(self) -> dict[str, Any]:
        """What produced the result: scenario, hash, model or engine, parameters, seed, version."""
        ...

    def frame(self) -> pd.DataFrame:
        """The main table, tidy, with the columns :attr:`frame_columns`."""
        ...

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of the command's ``--format json``."""
        ...

    def figure(self) -> Figure:
        """The result's chart (object API)."""
        ...

    def _repr_html_(self) -> str:
        """The notebook summary."""
        ...


class Provenance(dict[str, Any]):
    """A result's provenance as a dict that is also the ``provenance()`` method of :class:`Result`.

    Results that keep their provenance as a field (an ensemble, a comparison, a back-test) hold it as this class:
    ``result.provenance["seed"]`` reads a field and ``result.provenance()`` returns a plain copy, like every
    other result's method.

    >>> p = Provenance({"seed": 1})
    >>> p["seed"], p(), type(p()).__name__
    (1, {'seed': 1}, 'dict')
    """

    def __call__(self) -> dict[str, Any]:
        return dict(self)
