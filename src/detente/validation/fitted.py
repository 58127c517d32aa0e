"""Which proposals a model was fitted on: in-sample and held-out errors kept apart.

A model whose form or defaults were chosen on data (``Model.fitted_on``, e.g. ``snap-compromise``, chosen by
cross-validation on the DEU III development subset) forecasts those proposals in sample: its error there flatters
it, however honest the cross-validation that chose it (docs/snap-compromise.md). The lists of proposals are shipped
as ids only, one per line, in ``detente/data/fits/NAME.txt``; a back-test marks each forecast in or out of sample and
scores every model again on the proposals that none of the back-tested models was fitted on — on the full DEU III
file, the 41 proposals held back from the development subset: the independent check.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from importlib.resources import files

from detente.errors import ParameterError
from detente.models.base import Model


@cache
def fit_proposals(name: str) -> frozenset[str]:
    """The proposal ids of the fit set ``name`` (``detente/data/fits/NAME.txt``; ``#`` lines are its source note)."""
    path = files("detente") / "data" / "fits" / f"{name}.txt"
    if not path.is_file():
        known = sorted(p.name.removesuffix(".txt") for p in (files("detente") / "data" / "fits").iterdir())
        raise ParameterError(f"fit set {name!r}: no list of its proposals; expected one of {known}")
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


def fitted_proposals(model: Model) -> frozenset[str]:
    """The proposals ``model`` was fitted on (empty where nothing was fitted to data)."""
    return frozenset() if model.fitted_on is None else fit_proposals(model.fitted_on)


def held_out(models: Sequence[Model], proposals: Iterable[str]) -> list[str]:
    """Those of ``proposals`` that none of ``models`` was fitted on, in the order given."""
    seen = frozenset().union(*(fitted_proposals(m) for m in models))
    return [p for p in proposals if p not in seen]
