"""What a model declares about itself, and what algorithms may rely on.

A model is a class ``Model[P]`` typed by its pydantic parameters ``P`` (:mod:`detente.models.base`). Besides its
equations it declares:

- :class:`Capabilities` (a class attribute ``capabilities``). Algorithms that need a capability (dated edits need a
  round-based model; a Monte Carlo over seeds needs a stochastic one; a what-if that adds an issue needs a model that
  couples issues to change anything else) ask for it with :func:`require`, which fails fast with one line naming the
  model, the capability and what needed it — never by looking for a parameter's or a method's name.
- Its **outputs** (a class attribute ``outputs``: name → :class:`Output`): every table, array and info entry its
  forecasts carry, with columns or shape and one line of meaning. ``detente models NAME`` prints them; callers read
  them by declared name only, with :meth:`~detente.models.base.Forecast.output`.

Every model has one entry point, ``solve(arrays, *, seed|rng, keep="full"|"final", stop_after=None, start=None)``,
which returns a frozen :class:`~detente.models.base.Forecast` with provenance. ``keep="final"`` keeps only what an
ensemble needs (outcomes, status, rounds and the final positions, no tables); a round-based model stops after
``stop_after`` rounds and hands back its own :class:`RunState` (``forecast.state``), from which ``start=`` continues
exactly as if it had never stopped.

**Adding a model.** Write the class (one module citing its paper, ``@register``), declare ``capabilities`` and
``outputs`` truthfully, and run ``tests/test_model_contract.py``: it runs every registered model and checks that the
capabilities are honoured (``require`` refuses what a model lacks, a deterministic model ignores the seed, a model
that needs a status quo refuses an issue without one), that ``keep="final"`` equals ``"full"`` on outcomes, status,
rounds and final positions, that ``stop_after`` then ``start`` equals one run, that the same seed gives the same
bytes, that reordering the actors changes no outcome (unless the model declares ``order_dependent``), that a batch
equals its draws run one by one, and that every output produced is declared and every declared one produced. A new
model is done when it passes.

    >>> from detente.models import get
    >>> get("expected-utility").capabilities.round_based
    True
    >>> get("compromise").capabilities.round_based
    False
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from dataclasses import replace as _replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

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
    order_dependent: str = ""
    """Why reordering the actors can change an outcome (ties broken by the actors' order, say); empty when it cannot.
    Not a capability :func:`require` asks for: the contract test checks actor-permutation invariance unless set."""

    def describe(self) -> list[tuple[str, bool, str]]:
        """``(name, value, one line)`` for each capability, in declaration order."""
        docs = {
            "round_based": "runs in rounds; can stop after a round and continue from there (dated edits)",
            "couples_issues": "an issue's outcome can depend on the other issues",
            "stochastic": "its result can depend on the seed for some parameter values",
            "needs_status_quo": "needs a status quo on the issues it forecasts (for some parameter values)",
        }
        return [(f.name, bool(getattr(self, f.name)), docs[f.name]) for f in fields(self) if f.name in docs]


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


OutputKind = Literal["table", "array", "info"]


@dataclass(frozen=True)
class Output:
    """One declared output of a model: its ``name`` in ``forecast.tables``, ``.arrays`` or ``.info`` (``kind``),
    its columns or shape, one line of meaning.

    ``when`` is empty for an output every full run carries; otherwise it says when the output is there (a
    condition in words), e.g. ``"one issue, or move_budget='decide'"``."""

    name: str
    kind: OutputKind
    shape: str
    meaning: str
    when: str = ""


def table(name: str, columns: str, meaning: str, when: str = "") -> Output:
    """A declared table (a pandas DataFrame in ``forecast.tables``) with its columns."""
    return Output(name, "table", columns, meaning, when)


def array(name: str, shape: str, meaning: str, when: str = "") -> Output:
    """A declared array (numpy, in ``forecast.arrays``) with its shape in the letters B, R, n, m."""
    return Output(name, "array", shape, meaning, when)


def info(name: str, shape: str, meaning: str, when: str = "") -> Output:
    """A declared info entry (``forecast.info``, written into the JSON document as it is) with its type."""
    return Output(name, "info", shape, meaning, when)


COMMON_OUTPUTS: tuple[Output, ...] = (
    info(
        "structure",
        "dict",
        "the two-level structure in force: delegation and veto modes, delegations, veto players",
        "the scenario declares delegations or veto players",
    ),
    array("unconstrained", "(B, m)", "the outcome before the veto players' bounds", "veto players bind (vetoes on)"),
    array("veto_lower", "(B, m)", "the lowest outcome every veto player accepts", "veto players bind (vetoes on)"),
    array("veto_upper", "(B, m)", "the highest outcome every veto player accepts", "veto players bind (vetoes on)"),
    array("vetoed", "(B, m) bool", "the veto players moved the outcome", "veto players bind (vetoes on)"),
    info("what_if", "list", "the what-if edits that made the scenario", "the scenario was edited (--set, --variant)"),
    info("dated_edits", "list", "the dated edits applied, with their rounds", "edits dated at a round"),
    info("notes", "list[str]", "caveats of this run, one line each", "the model has a caveat for this run"),
)
"""Outputs any model's forecast can carry, added around the model (two-level structure, what-if edits)."""


def find_output(outputs: tuple[Output, ...], name: str, kind: OutputKind | None = None) -> Output | None:
    """The declared output ``name`` (of ``kind``, which a name declared as two kinds needs), or None."""
    hits = [o for o in outputs if o.name == name and (kind is None or o.kind == kind)]
    if len(hits) > 1:
        raise ValueError(f"output {name!r} is declared as {' and '.join(o.kind for o in hits)}; pass kind=")
    return hits[0] if hits else None


@dataclass(frozen=True, eq=False)
class RunState:
    """Where a round-based model's run stopped: enough to continue it exactly (``solve(arrays, start=state)``).

    ``positions`` (B, n, m) are the actors' positions on the issues' scales after round ``round`` (NaN where an actor
    holds no stance); ``rounds`` (B, m) the rounds each issue ran (fewer than ``round`` where the model stopped it by
    its own rule, which ``stopped`` marks: continuing leaves those issues where they are). ``internal`` is the
    model's own (exact internal positions, histories its stopping rules look back on, the random generator's state),
    read only by the model that made it.
    """

    model: str
    actors: tuple[str, ...]
    issues: tuple[str, ...]
    round: int
    positions: np.ndarray
    rounds: np.ndarray
    stopped: np.ndarray
    internal: dict[str, Any] = field(default_factory=dict)
    restarted: bool = False
    """True after :meth:`restart`: the positions may differ from where the run left them."""

    def restart(self, positions: np.ndarray, actors: tuple[str, ...], round: int | None = None) -> RunState:
        """This state with new ``positions`` (B, n, m) of ``actors`` after an edit at round ``round`` (default: where
        the run stopped; a later round when every issue had stopped before it, the actors staying put meanwhile):
        every issue runs again from there (an edit may move a stopped issue off its fixed point). The model keeps
        what of its own state still applies (see each model's ``_solve_rounds``)."""
        at = self.round if round is None else int(round)
        if at < self.round:
            raise ParameterError(f"restart at round {at}: the run is already at round {self.round}")
        if at > self.round and not self.stopped.all():
            raise ParameterError(
                f"restart at round {at}: the run stopped at round {self.round} with issues still moving (its round "
                f"limit); expected a round ≤ {self.round}, or a higher round limit"
            )
        B, m = self.rounds.shape
        return _replace(
            self,
            actors=tuple(actors),
            round=at,
            positions=np.asarray(positions, float),
            rounds=np.full((B, m), at),
            stopped=np.zeros((B, m), bool),
            restarted=True,
        )

    def check(self, model: Model, actors: tuple[str, ...], issues: tuple[str, ...], batch: int) -> None:
        """Raise :class:`~detente.errors.ParameterError` unless this state can start ``model`` on these arrays."""
        if self.model != model.name:
            raise ParameterError(f"start: a state of model {self.model!r} cannot start model {model.name!r}")
        if tuple(actors) != self.actors or tuple(issues) != self.issues or self.positions.shape[0] != batch:
            raise ParameterError(
                f"start: the state is of {len(self.actors)} actors × {len(self.issues)} issues × "
                f"{self.positions.shape[0]} draws ({', '.join(self.actors)}); the arrays have {len(actors)} × "
                f"{len(issues)} × {batch} ({', '.join(actors)}); expected the same actors, issues and draws "
                "(use state.restart(positions, actors) after an edit)"
            )


def check_stop(model: Model, stop_after: int | None, start: RunState | None) -> None:
    """Refuse ``stop_after``/``start`` for a model that is not round-based, and a ``stop_after`` before the start."""
    if stop_after is not None:
        require(model, "round_based", f"stop_after={stop_after}")
        if stop_after < 0:
            raise ParameterError(f"stop_after={stop_after}: expected a number of rounds ≥ 0")
        if start is not None and stop_after < start.round:
            raise ParameterError(
                f"stop_after={stop_after}: the start state is already at round {start.round}; expected ≥ {start.round}"
            )
    if start is not None:
        require(model, "round_based", "start (continuing a run)")
