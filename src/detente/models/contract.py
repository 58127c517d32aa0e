"""What a model declares about itself, and what algorithms may rely on.

Every registered model states its :class:`Capabilities` as a class attribute. Algorithms that need a capability
(dated edits need a round-based model; a Monte Carlo over seeds needs a stochastic one; a what-if that adds an
issue needs a model that couples issues to change anything else) ask for it with :func:`require`, which fails fast
with one line naming the model, the capability and what needed it — never by looking for a parameter's name.

    >>> from detente.models import get
    >>> get("expected-utility").capabilities.round_based
    True
    >>> get("compromise").capabilities.round_based
    False
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from detente.errors import ParameterError

if TYPE_CHECKING:
    from detente.models.base import Model


@dataclass(frozen=True)
class Capabilities:
    """What a model can do and needs; one line each in ``detente models NAME``."""

    round_based: bool = False
    """It runs in rounds, can stop after ``stop_after`` rounds and continue from the state it stopped in."""
    couples_issues: bool = False
    """An issue's outcome can depend on the other issues (exchanges, multi-dimensional votes)."""
    stochastic: bool = False
    """Its result can depend on ``seed``/``rng`` for some parameter values (:meth:`Model.uses_randomness` says
    whether it does for the parameters it has)."""
    needs_status_quo: bool = False
    """It needs a status quo on every issue that actors hold stances on (for some parameter values)."""

    def describe(self) -> list[tuple[str, bool, str]]:
        """``(name, value, one line)`` for each capability, in declaration order."""
        docs = {
            "round_based": "runs in rounds; can stop after a round and continue from there (dated edits)",
            "couples_issues": "an issue's outcome can depend on the other issues",
            "stochastic": "its result can depend on the seed for some parameter values",
            "needs_status_quo": "needs a status quo on the issues it forecasts (for some parameter values)",
        }
        return [(f.name, bool(getattr(self, f.name)), docs[f.name]) for f in fields(self)]


def require(model: Model, capability: str, purpose: str) -> None:
    """Raise :class:`~detente.errors.ParameterError` unless ``model`` declares ``capability``.

    ``purpose`` says what needed it, e.g. ``"a dated edit (round = 3)"``.

    >>> from detente.models import get
    >>> require(get("compromise"), "round_based", "a dated edit (round = 3)")
    Traceback (most recent call last):
    ...
    detente.errors.ParameterError: model 'compromise' is not round-based (it has no rounds to stop after), which a dated edit (round = 3) needs; use a round-based model: exchange, expected-utility, spatial
    """
    caps = type(model).capabilities
    if not hasattr(caps, capability):
        raise ValueError(f"unknown capability {capability!r}")
    if getattr(caps, capability):
        return
    from detente.models.base import available

    have = sorted(n for n, cls in available().items() if getattr(cls.capabilities, capability))
    what = {
        "round_based": "is not round-based (it has no rounds to stop after)",
        "couples_issues": "does not couple issues",
        "stochastic": "is deterministic",
        "needs_status_quo": "does not use a status quo",
    }[capability]
    label = capability.replace("_", "-")
    raise ParameterError(f"model {model.name!r} {what}, which {purpose} needs; use a {label} model: {', '.join(have)}")
