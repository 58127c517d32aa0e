"""The common result type, the model base class and the registry of models by name.

A model is a small class ``Model[P]`` with a docstring that cites its paper, a pydantic ``Params`` class ``P``
(every parameter with its default and documentation), optional ``presets``, its declared ``capabilities`` and
``outputs`` (:mod:`detente.models.contract`), and one method ``_solve(arrays, rng) -> Solution`` that is vectorised
over the leading batch axis (a round-based model's ``_solve`` also takes ``keep``, ``stop_after`` and ``start``).
``Model.solve`` adds provenance and returns a frozen :class:`Forecast`.

Models are loadable by name with parameters, OpenSpiel-style::

    >>> from detente import models
    >>> models.get("compromise").name
    'compromise'
    >>> models.get("expected-utility(Q=0.5)").params.Q   # doctest: +SKIP
    0.5
"""

from __future__ import annotations

import ast
import dataclasses
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar, cast

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from detente import display
from detente.errors import ParameterError, ScenarioError, UnknownNameError
from detente.models.contract import COMMON_OUTPUTS, Capabilities, Output, OutputKind, RunState, check_stop, find_output
from detente.scenario.arrays import ScenarioArrays

if TYPE_CHECKING:  # pandas loads on first use: `import detente` and `detente --help` stay light
    import pandas as pd

STATUSES = ("static", "converged", "cycling", "max_rounds", "no_agreement", "no_stances")
"""Per issue: ``no_stances`` means no actor holds a stance on the issue, so no model forecasts it (outcome NaN in
the arrays, absent from JSON outcomes, empty in tables)."""

SETTLED = ("static", "converged", "no_stances")
"""Statuses that count as converged (an issue nobody holds a stance on has nothing to converge)."""

NO_FORECAST = {"no_stances": "no actor holds a stance on this issue"}
"""Why an issue has no forecast, by status."""


def no_forecast(status: dict[str, str]) -> dict[str, str]:
    """The issues of ``{issue: status}`` that have no forecast, with the reason (the ``no_forecast`` of a JSON
    document); their outcome and statistics are left out, never written as null."""
    return {iid: NO_FORECAST[s] for iid, s in status.items() if s in NO_FORECAST}


def issue_scales(issues: Sequence[str], lower: Any, upper: Any) -> dict[str, list[float]]:
    """Each issue's scale ``[lower, upper]``: outcomes are only meaningful on it, so every result's provenance
    states it (``scales``)."""
    lo = np.asarray(lower, float).reshape(-1)
    hi = np.asarray(upper, float).reshape(-1)
    return {iid: [float(lo[j]), float(hi[j])] for j, iid in enumerate(issues)}


def version() -> str:
    from detente import __version__

    return __version__


@dataclass(eq=False)
class Solution:
    """What a model kernel returns (no provenance).

    - ``outcomes`` (B, m): the forecast per issue.
    - ``trajectory`` (B, R, n, m): actor positions by round, round 0 = the input positions. Static models: R = 1.
      NaN where the actor holds no stance on the issue (``arrays.mask`` False): it has no position there.
    - ``status`` (B, m): one of :data:`STATUSES` per issue.
    - ``rounds`` (B, m) int: rounds run per issue (0 for static models).
    - ``tables``: model-specific tidy DataFrames (offers, exchanges, rounds, …).
    - ``arrays``: model-specific arrays (e.g. the median and mean by round, (B, R, m)).
    - ``info``: model-specific scalars/lists that go into JSON output as they are.
    - ``state``: a round-based model's :class:`~detente.models.contract.RunState` at the stop (None for others).
    """

    outcomes: np.ndarray
    trajectory: np.ndarray
    status: np.ndarray
    rounds: np.ndarray
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    state: RunState | None = None


Keep = Literal["full", "final"]
"""What a run keeps: ``"full"`` everything; ``"final"`` outcomes, status, rounds and the final positions only."""


@dataclass(frozen=True, eq=False, repr=False)
class Forecast(display.SummaryRepr):
    """One result type for every model: outcomes, trajectory, convergence and provenance (a
    :class:`~detente.results.Result`).

    Frozen: a caller that adds to a forecast makes a new one (``dataclasses.replace``). With ``keep="final"`` the
    trajectory holds only the final positions (B, 1, n, m) and there are no tables, arrays or info. A continued run
    (``start=``) has the trajectory from its start (row 0 = the start state's positions) and counts ``rounds`` from
    the beginning of the whole run."""

    model: str
    parameters: dict[str, Any]
    seed: int | None
    scenario: str
    scenario_hash: str
    version: str
    actors: tuple[str, ...]
    issues: tuple[str, ...]
    outcomes: np.ndarray
    trajectory: np.ndarray
    status: np.ndarray
    rounds: np.ndarray
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    scales: dict[str, list[float]] = field(default_factory=dict)
    """Each issue's scale ``[lower, upper]`` (see :func:`issue_scales`)."""
    outputs: tuple[Output, ...] = ()
    """The model's declared outputs (:mod:`detente.models.contract`), read with :meth:`output`."""
    state: RunState | None = None
    """Where a round-based model stopped (pass it as ``start=`` to continue); None for other models."""

    def output(self, name: str, default: Any = None, *, kind: OutputKind | None = None) -> Any:
        """The declared output ``name`` (from ``tables``, ``arrays`` or ``info`` by its declared kind; ``kind``
        picks one where a name is declared as two), or ``default`` when this run has none (a conditional output,
        or ``keep="final"``).

        Raises :class:`~detente.errors.UnknownNameError` for a name the model does not declare."""
        out = find_output(self.outputs or COMMON_OUTPUTS, name, kind)
        if out is None:
            names = ", ".join(sorted({o.name for o in self.outputs}))
            raise UnknownNameError(f"model {self.model!r} declares no output {name!r}; expected one of {names}")
        if out.kind == "table":
            return self.tables.get(name, default)
        if out.kind == "array":
            return self.arrays.get(name, default)
        return self.info.get(name, default)

    def declares(self, name: str) -> bool:
        """Whether the model declares an output ``name`` (of any kind)."""
        return any(o.name == name for o in (*self.outputs, *COMMON_OUTPUTS))

    def _summary(self) -> display.Summary:
        out = ", ".join(f"{i}={display.fmt(v)}" for i, v in list(self.outcome.items())[:6])
        conv = self.converged
        facts = [
            ("scenario", self.scenario),
            ("model", self.model),
            ("actors", str(len(self.actors))),
            ("issues", str(len(self.issues))),
            *([("draws", str(self.batch))] if self.batch > 1 else []),
            ("outcome", out + (", …" if len(self.issues) > 6 else "")),
            ("converged", "yes" if conv is True else "no"),
        ]
        rows = [
            [iid, display.fmt(self.outcomes[0, j]), str(self.status[0, j]), str(int(self.rounds[0, j]))]
            for j, iid in enumerate(self.issues)
        ]
        return display.Summary("Forecast", facts, ["issue", "outcome", "status", "rounds"], rows)

    @property
    def batch(self) -> int:
        return int(self.outcomes.shape[0])

    @property
    def outcome(self) -> dict[str, float]:
        """Outcome per issue id for draw 0."""
        return {iid: float(self.outcomes[0, j]) for j, iid in enumerate(self.issues)}

    @property
    def converged(self) -> bool | dict[str, str]:
        """True when every issue of draw 0 converged (or the model is static); else the status per issue."""
        st = self.status[0]
        if all(s in SETTLED for s in st):
            return True
        return {iid: str(s) for iid, s in zip(self.issues, st)}

    def trajectory_frame(self, draw: int | None = 0) -> pd.DataFrame:
        """Tidy table of positions: columns (draw,) round, actor, issue, position.

        One row per position an actor holds: an actor with no stance on an issue (NaN in ``trajectory``) has no
        row there."""
        import pandas as pd

        traj = self.trajectory if draw is None else self.trajectory[draw : draw + 1]
        B, R, n, m = traj.shape
        d, r, a, i = np.meshgrid(np.arange(B), np.arange(R), np.arange(n), np.arange(m), indexing="ij")
        keep = ~np.isnan(traj.ravel())
        df = pd.DataFrame(
            {
                "draw": d.ravel()[keep] + (0 if draw is None else draw),
                "round": r.ravel()[keep],
                "actor": np.asarray(self.actors, dtype=object)[a.ravel()[keep]],
                "issue": np.asarray(self.issues, dtype=object)[i.ravel()[keep]],
                "position": traj.ravel()[keep],
            }
        )
        return df if draw is None else df.drop(columns="draw")

    def outcome_frame(self) -> pd.DataFrame:
        """Tidy table: draw, issue, outcome, status, rounds."""
        return outcome_table(self.issues, self.outcomes, self.status, self.rounds)

    def provenance(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "scenario_hash": self.scenario_hash,
            "model": self.model,
            "parameters": _jsonable(self.parameters),
            "seed": self.seed,
            "version": self.version,
            "scales": self.scales,
            **({"structure": _jsonable(self.info["structure"])} if "structure" in self.info else {}),
        }

    def to_dict(self, draw: int = 0) -> dict[str, Any]:
        """The JSON document of ``detente forecast --format json`` (draw ``draw``)."""
        traj = self.trajectory_frame(draw)
        status = {iid: str(s) for iid, s in zip(self.issues, self.status[draw])}
        doc: dict[str, Any] = {
            "scenario": self.scenario,
            "scenario_hash": self.scenario_hash,
            "model": self.model,
            "parameters": _jsonable(self.parameters),
            "seed": self.seed,
            "version": self.version,
            "scales": self.scales,
            "outcomes": {
                iid: float(self.outcomes[draw, j])
                for j, iid in enumerate(self.issues)
                if status[iid] not in NO_FORECAST
            },
            "status": status,
            "converged": all(s in SETTLED for s in status.values()),
            "rounds_run": {iid: int(self.rounds[draw, j]) for j, iid in enumerate(self.issues)},
            "trajectory": [
                {"round": int(r), "actor": a, "issue": i, "position": _num(p)}
                for r, a, i, p in traj[["round", "actor", "issue", "position"]].itertuples(index=False)
            ],
        }
        missing = no_forecast(status)
        if missing:
            doc["no_forecast"] = missing
        for k, v in self.info.items():
            doc[k] = _jsonable(v)
        return doc

    frame_columns: ClassVar[tuple[str, ...]] = ("draw", "issue", "outcome", "status", "rounds")
    """The columns of :meth:`frame` (the result protocol, :mod:`detente.results`)."""

    def frame(self) -> pd.DataFrame:
        """The outcome per draw and issue (:attr:`frame_columns`); positions by round: :meth:`trajectory_frame`."""
        return self.outcome_frame()

    def figure(self, scenario: Any = None, issues: list[str] | None = None) -> Any:
        """Positions by round, one panel per issue (:func:`detente.report.trajectory.positions_figure`); the
        ``scenario`` adds issue names, scales and observed outcomes (``detente plot`` draws this figure)."""
        from detente.report.trajectory import positions_figure

        return positions_figure(self, scenario, issues=issues)


def outcome_table(
    issues: tuple[str, ...], outcomes: np.ndarray, status: np.ndarray, rounds: np.ndarray
) -> pd.DataFrame:
    """Per draw and issue: draw, issue, outcome, status, rounds (one row each, draws outer)."""
    import pandas as pd

    B, m = outcomes.shape
    d, i = np.meshgrid(np.arange(B), np.arange(m), indexing="ij")
    return pd.DataFrame(
        {
            "draw": d.ravel(),
            "issue": np.asarray(issues, dtype=object)[i.ravel()],
            "outcome": outcomes.ravel(),
            "status": np.asarray(status, dtype=object).ravel(),
            "rounds": np.asarray(rounds).ravel(),
        }
    )


def _num(x: Any) -> float | None:
    x = float(x)
    return None if not np.isfinite(x) else x


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.ndarray):
        return _jsonable(v.tolist())
    if isinstance(v, (np.floating, float)):
        return _num(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    pd = sys.modules.get("pandas")  # a DataFrame exists only once pandas is loaded
    if pd is not None and isinstance(v, pd.DataFrame):
        return _jsonable(v.to_dict(orient="records"))
    return v


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


P = TypeVar("P", bound=BaseModel)


class Model(Generic[P]):
    """Base class of every model, generic in its parameters' type ``P``: ``class M(Model[MParams])`` with
    ``Params = MParams`` makes ``self.params`` an ``MParams``. Subclasses set ``name``, ``Params``, ``capabilities``,
    ``outputs``, optionally ``presets``, and ``_solve``."""

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    Params: ClassVar[type[BaseModel]] = NoParams
    presets: ClassVar[dict[str, dict[str, Any]]] = {}
    default_preset: ClassVar[str | None] = None
    capabilities: ClassVar[Capabilities] = Capabilities()
    """What the model can do and needs (:mod:`detente.models.contract`); every model declares its own."""
    outputs: ClassVar[tuple[Output, ...]] = ()
    """Every table, array and info entry the model's forecasts carry (:mod:`detente.models.contract`)."""
    fitted_on: ClassVar[str | None] = None
    """The data the model's form and defaults were chosen on, as the name of a list of their proposals
    (``detente/data/fits/NAME.txt``; :mod:`detente.validation.fitted`), or None where nothing was fitted to data.
    Back-tests count the model's errors on those proposals as in sample."""
    params: P

    def __init__(self, preset: str | None = None, **params: Any) -> None:
        preset = preset if preset is not None else self.default_preset
        base: dict[str, Any] = {}
        if preset is not None:
            if preset not in self.presets:
                raise UnknownNameError(
                    f"model {self.name!r} has no preset {preset!r}; expected one of {sorted(self.presets)}"
                )
            base = dict(self.presets[preset])
        self.preset = preset
        try:
            self.params = cast(P, self.Params(**{**base, **params}))
        except ValidationError as e:
            raise ParameterError(_param_message(self.name, e)) from None

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.params.model_dump().items())
        return f"{self.name}({shown})"

    def parameters(self) -> dict[str, Any]:
        d = self.params.model_dump(mode="json")
        if self.preset is not None:
            d = {"preset": self.preset, **d}
        return d

    def cannot_run(self, arrays: ScenarioArrays) -> str | None:
        """Why this model (with its parameters) cannot run on ``arrays``, in one line; None when it can.

        What a model needs from a scenario beyond the schema (e.g. a status quo, two issues, two actors).
        :meth:`solve` checks it first; ``detente validate`` lists it for every model, and ``forecast --model all``
        skips and reports the models that cannot run. Issues nobody holds a stance on never stop a model (they get
        no forecast, status ``no_stances``)."""
        return None

    def check_runnable(self, arrays: ScenarioArrays) -> None:
        """Raise :class:`~detente.errors.ScenarioError` with :meth:`cannot_run`'s reason, if there is one."""
        reason = self.cannot_run(arrays)
        if reason is not None:
            raise ScenarioError(f"model {self.name!r} cannot run it: {reason}", file=arrays.name)

    def uses_randomness(self) -> bool:
        """Whether this model's result depends on ``seed``/``rng`` with the parameters it has (never, unless its
        capabilities say ``stochastic``)."""
        return self.capabilities.stochastic

    @classmethod
    def declared_outputs(cls) -> tuple[Output, ...]:
        """The outputs a forecast of this model can carry: its own and those added around every model."""
        return (*cls.outputs, *COMMON_OUTPUTS)

    def solve(
        self,
        arrays: ScenarioArrays,
        *,
        seed: int | None = None,
        rng: np.random.Generator | None = None,
        keep: Keep = "full",
        stop_after: int | None = None,
        start: RunState | None = None,
        delegations: str | None = None,
        vetoes: str | None = None,
    ) -> Forecast:
        """Run the model on a batch of scenarios; ``seed``/``rng`` drive any randomness (same seed, same bytes).

        ``keep="final"`` keeps outcomes, status, rounds and the final positions (trajectory (B, 1, n, m)), no tables,
        arrays or info beyond the provenance's (``structure``): what an ensemble needs, faster for large batches; the
        numbers are those of ``"full"``.
        ``stop_after=r`` (round-based models) stops after round ``r`` of the run; ``start=state`` continues from a
        forecast's ``state`` (rounds count from the beginning of the whole run, so ``stop_after`` is a round number,
        not a count of further rounds). Without ``seed``/``rng`` a continued run draws from the generator's state
        at the stop, so that stopping and continuing gives the numbers of one run.

        ``delegations`` (``"collapse"`` or ``"separate"``) and ``vetoes`` (``"on"`` or ``"off"``) set the two-level
        structure (:mod:`detente.scenario.twolevel`); by default a scenario's declared delegations are collapsed and
        its veto players bound the outcome. The modes in force are recorded in ``info["structure"]``.
        A run whose estimated memory exceeds half the machine's (:mod:`detente.execution.footprint`) is refused.
        """
        from detente.execution.footprint import check_solve
        from detente.scenario.twolevel import plan

        if keep not in ("full", "final"):
            raise ParameterError(f"keep={keep!r}: expected 'full' or 'final'")
        check_stop(self, stop_after, start)
        check_solve(self, arrays.n_actors, arrays.n_issues, arrays.batch)
        if rng is None:
            if seed is None and start is not None and "rng" in start.internal:
                rng = np.random.default_rng()
                rng.bit_generator.state = start.internal["rng"]
            else:
                rng = np.random.default_rng(seed)
        pl = plan(arrays, delegations, vetoes)
        run, kept = pl.prepare(arrays)
        self.check_runnable(run)
        if start is not None:  # the run continues from the state's positions
            start.check(self, run.actors, run.issues, run.batch)
            run = dataclasses.replace(run, position=np.where(run.mask, start.positions, run.position))
        if self.capabilities.round_based:
            sol = self._solve_rounds(run, rng, keep, stop_after, start)
        else:
            sol = self._solve(run, rng)
        sol = settle(run, sol)
        outcomes, status, extra = pl.constrain(arrays, sol.outcomes, sol.status)
        nobody = no_stances(arrays)
        if nobody.any():  # an issue nobody holds a stance on has no forecast, vetoes or not
            outcomes = np.where(nobody, np.nan, outcomes)
            status = np.where(nobody, "no_stances", np.asarray(status, dtype=object)).astype(object)
        info = dict(sol.info)
        trajectory = sol.trajectory
        if keep == "final":  # the final positions, and of the info only the provenance's part
            trajectory = final_positions(trajectory, sol.rounds)[:, None]
            info = {}
        if pl.struct:
            info["structure"] = pl.describe()
            if not kept.all():  # members seated in their delegation keep their own (input) positions, unmoved
                trajectory = np.where(kept[None, None, :, None], trajectory, arrays.position[:, None, :, :])
        return Forecast(
            model=self.name,
            parameters=self.parameters(),
            seed=seed,
            scenario=arrays.name,
            scenario_hash=arrays.scenario_hash,
            version=version(),
            actors=run.actors,
            issues=arrays.issues,
            outcomes=outcomes,
            trajectory=trajectory,
            status=status,
            rounds=sol.rounds,
            tables=sol.tables if keep == "full" else {},
            arrays={**sol.arrays, **extra} if keep == "full" else {},
            info=info,
            scales=issue_scales(arrays.issues, arrays.lower, arrays.upper),
            outputs=self.declared_outputs(),
            state=sol.state,
        )

    def _solve_rounds(
        self,
        arrays: ScenarioArrays,
        rng: np.random.Generator,
        keep: Keep,
        stop_after: int | None,
        start: RunState | None,
    ) -> Solution:  # pragma: no cover
        """A round-based model's kernel: honours ``keep`` (it may skip histories for ``"final"``), stops after round
        ``stop_after`` and continues from ``start``, and returns its :class:`RunState` in ``Solution.state``."""
        raise NotImplementedError(f"model {self.name!r} declares round_based but does not implement _solve_rounds")

    def _solve(self, arrays: ScenarioArrays, rng: np.random.Generator) -> Solution:  # pragma: no cover
        raise NotImplementedError


def static_solution(arrays: ScenarioArrays, outcomes: np.ndarray, status: np.ndarray | None = None) -> Solution:
    """A Solution for a one-shot model: trajectory = the input positions (NaN where an actor holds no stance),
    status 'static' ('no_stances', outcome NaN, on an issue where no actor holds a stance)."""
    B, m = outcomes.shape
    if status is None:
        status = np.full((B, m), "static", dtype=object)
    return settle(
        arrays,
        Solution(
            outcomes=outcomes,
            trajectory=arrays.position[:, None, :, :],
            status=status,
            rounds=np.zeros((B, m), dtype=int),
        ),
    )


def final_positions(trajectory: np.ndarray, rounds: np.ndarray) -> np.ndarray:
    """The actors' last positions (B, n, m): the last trajectory row, or row ``rounds`` where a model pads with NaN."""
    traj = np.asarray(trajectory)
    last = traj[:, -1]
    if traj.shape[1] == 1 or np.isfinite(last).all():
        return last
    B, R, n, m = traj.shape
    idx = np.clip(np.asarray(rounds, int), 0, R - 1)
    picked = np.take_along_axis(traj, np.broadcast_to(idx[:, None, None, :], (B, 1, n, m)), axis=1)[:, 0]
    return np.where(np.isfinite(last), last, picked)


def no_stances(arrays: ScenarioArrays) -> np.ndarray:
    """(B, m) True where no actor holds a stance on the issue: no model forecasts it."""
    return np.logical_not(np.asarray(arrays.mask, bool).any(axis=1))


def settle(arrays: ScenarioArrays, sol: Solution) -> Solution:
    """Absence is absence, whatever the model: NaN positions where an actor holds no stance (every round), and on
    an issue where no actor holds one, outcome NaN and status ``no_stances``. Returns ``sol``, edited in place."""
    mask = np.asarray(arrays.mask, bool)
    if not mask.all():
        sol.trajectory = np.where(mask[:, None], sol.trajectory, np.nan)
        nobody = no_stances(arrays)
        if nobody.any():
            sol.outcomes = np.where(nobody, np.nan, sol.outcomes)
            sol.status = np.where(nobody, "no_stances", np.asarray(sol.status, dtype=object)).astype(object)
    return sol


def first_where(bad: np.ndarray, names: tuple[str, ...], what: str) -> str | None:
    """``what`` formatted with the name of the first True entry along the last axis of any draw, or None."""
    hit = np.asarray(bad, bool).reshape(-1, len(names)).any(axis=0)
    if not hit.any():
        return None
    return what.format(repr(names[int(np.argmax(hit))]))


def _param_message(model: str, e: ValidationError) -> str:
    parts = []
    for err in e.errors():
        loc = ".".join(str(x) for x in err["loc"]) or "(parameters)"
        if err["type"] == "extra_forbidden":
            parts.append(f"unknown parameter {loc!r}")
        else:
            parts.append(f"parameter {loc}={err.get('input')!r}: {err['msg']}")
    return f"model {model!r}: " + "; ".join(parts)


# ---- registry -------------------------------------------------------------------------------------------------
_REGISTRY: dict[str, type[Model]] = {}


def register(cls: type[Model]) -> type[Model]:
    """Class decorator: make a model available by its ``name``."""
    if not cls.name:
        raise TypeError(f"{cls.__qualname__} has no name")
    _REGISTRY[cls.name] = cls
    return cls


def available() -> dict[str, type[Model]]:
    from detente import models as _pkg

    _pkg._import_all()
    return dict(sorted(_REGISTRY.items()))


_SPEC = re.compile(r"^\s*([A-Za-z0-9_\-]+)\s*(?:\((.*)\))?\s*$", re.S)


def parse_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """Split ``"name(a=1, b='x')"`` into ``("name", {"a": 1, "b": "x"})`` (values are Python literals)."""
    m = _SPEC.match(spec)
    if not m:
        raise UnknownNameError(f"model spec {spec!r}: expected NAME or NAME(key=value, ...)")
    name, args = m.group(1), m.group(2)
    params: dict[str, Any] = {}
    if args and args.strip():
        try:
            call = ast.parse(f"f({args})", mode="eval").body
        except SyntaxError:
            raise ParameterError(f"model spec {spec!r}: expected key=value pairs inside the parentheses") from None
        assert isinstance(call, ast.Call)
        if call.args:
            raise ParameterError(f"model spec {spec!r}: positional arguments are not allowed; use key=value")
        for kw in call.keywords:
            try:
                params[str(kw.arg)] = ast.literal_eval(kw.value)
            except ValueError:
                params[str(kw.arg)] = ast.unparse(kw.value)
    return name, params


def parse_value(text: str) -> Any:
    """A CLI ``--param key=value`` value: a Python literal if it parses as one, else the string."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        low = text.strip().lower()
        if low in ("true", "false"):
            return low == "true"
        if low in ("none", "null"):
            return None
        return text


def get(spec: str, **params: Any) -> Model:
    """A configured model by name.

    Parameters
    ----------
    spec : str
        A registered name, optionally with parameters: ``"expected-utility"`` or ``"expected-utility(Q=0.5)"``.
    **params
        Parameters, merged over those in ``spec``.

    Returns
    -------
    Model
        The model; ``solve(arrays)`` forecasts.

    Raises
    ------
    UnknownNameError
        An unknown model name.
    ParameterError
        An unknown parameter or a bad value.

    Examples
    --------
    >>> from detente.models import get
    >>> get("expected-utility(Q=0.5)").params.Q
    0.5
    """
    name, from_spec = parse_spec(spec)
    merged = {**from_spec, **params}
    return lookup(name)(**merged)


def runnable(
    arrays: ScenarioArrays, specs: Sequence[str], *, need_one: bool = True
) -> tuple[list[tuple[str, Model]], list[dict[str, str]]]:
    """The models named by ``specs`` that can run ``arrays``, as ``(spec, model)``, and the others as
    ``{"model", "reason"}`` (:meth:`Model.cannot_run`): what ``forecast --model all``, the web app and the report
    run side by side. With ``need_one``, none that can run is a :class:`~detente.errors.ScenarioError` that lists
    every model's reason."""
    ok: list[tuple[str, Model]] = []
    skipped: list[dict[str, str]] = []
    for spec in specs:
        m = get(spec)
        reason = m.cannot_run(arrays)
        if reason is None:
            ok.append((spec, m))
        else:
            skipped.append({"model": m.name, "reason": reason})
    if need_one and not ok:
        raise ScenarioError(
            "no model can run it: " + "; ".join(f"{k['model']}: {k['reason']}" for k in skipped), file=arrays.name
        )
    return ok, skipped


def lookup(name: str) -> type[Model]:
    """The model class registered as ``name``; imports only its module when the module is named after it."""
    import importlib.util

    if name not in _REGISTRY:
        module = f"detente.models.{name.replace('-', '_')}"
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)
    if name not in _REGISTRY:
        models = available()
        if name not in models:
            raise UnknownNameError(f"unknown model {name!r}; expected one of {sorted(models)}")
    return _REGISTRY[name]
