"""The scenario file schema (pydantic v2).

A scenario is data: issues with scales, actors with capabilities, stances (actor × issue: position on the issue's
scale and salience 0–100), the sources every number cites, dated events, named what-if variants and observed
outcomes. Model code never reads this: it reads :class:`detente.scenario.arrays.ScenarioArrays`.

``Scenario.model_json_schema()`` is what ``detente schema`` prints.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from detente import display

SALIENCE_MAX = 100.0
MAGNITUDE_MAX = 1e15
"""Largest capability and scale bound. Models multiply capabilities by capabilities and saliences, and square
distances on the scale, summed over actors: beyond 1e15 these overflow double precision (1e308) or lose the
differences they are about. Capabilities are relative (only ratios matter), so rescale larger numbers."""
SCALE_MIN_WIDTH = 1e-6
"""A scale's width must be at least this share of its largest bound, so that positions on it keep about ten
significant digits in double precision (a scale [1e15 - 1, 1e15] can hold only a few distinct positions)."""


class _Strict(BaseModel):
    # strict: a number field takes a number, never a boolean or a string ("5", true); dates alone are parsed from text
    model_config = ConfigDict(
        extra="forbid",
        frozen=False,
        allow_inf_nan=False,
        str_strip_whitespace=True,
        strict=True,
    )

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The JSON schema (what ``detente schema`` prints), each field's docstring its description."""
        _describe_fields()
        return super().model_json_schema(*args, **kwargs)


@functools.cache
def _describe_fields() -> None:
    """Give every field of this module's models its docstring as description, as pydantic's
    ``use_attribute_docstrings`` does, but only when a schema is asked for: reading the docstrings from the source
    at import took about a third of this module's import time, which every command pays.

    A field without ``Field(description=...)`` takes the docstring below its annotation in the nearest class of its
    model's bases that annotates it; the models are then rebuilt in the order they are defined, so that a model
    holding another one sees its descriptions."""
    import ast
    import inspect
    import sys

    module = sys.modules[__name__]
    classes = [n for n in ast.parse(inspect.getsource(module)).body if isinstance(n, ast.ClassDef)]
    docs: dict[str, dict[str, str | None]] = {}
    for node in classes:
        own: dict[str, str | None] = {}
        for stmt, after in zip(node.body, [*node.body[1:], None], strict=True):
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                doc = after.value if isinstance(after, ast.Expr) else None
                text = doc.value if isinstance(doc, ast.Constant) else None
                own[stmt.target.id] = inspect.cleandoc(text) if isinstance(text, str) else None
        docs[node.name] = own
    for node in classes:
        model = getattr(module, node.name)
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            continue
        for name, field in model.model_fields.items():
            if field.description is None:
                owner = next((c for c in model.__mro__ if name in docs.get(c.__name__, {})), None)
                field.description = docs[owner.__name__][name] if owner is not None else None
        model.model_rebuild(force=True)


Id = str


def _check_id(v: str) -> str:
    if not v or any(c in v for c in "\t\n\r"):
        raise ValueError(f"an id must be a non-empty string without tabs or newlines, got {v!r}")
    return v


class Source(_Strict):
    """A citable source. ``kind`` says what sort of evidence it is.

    - ``quote``: a short quote from a document (``document`` names it, ``quote`` holds the words);
    - ``fact``: a dated public fact with its ``url``;
    - ``data``: a published data set (``citation``);
    - ``estimate``: an analyst estimate; the citing note carries the one-line reasoning.
    """

    id: Id
    """The id stances, bases, events and variants cite this source by (unique within 'sources')."""
    kind: Literal["quote", "fact", "data", "estimate"] = "data"
    """What sort of evidence: quote (words from a document), fact (a dated public fact with a url), data (a published data set) or estimate (an analyst's estimate; the citing note gives the reasoning)."""
    citation: str
    """The reference as a reader would cite it: author or body, title, date."""
    url: str | None = None
    """Where the source can be read (for a fact: the page that reports it)."""
    document: str | None = None
    """For a quote: the document the words come from."""
    date: dt.date | None = Field(default=None, strict=False)
    """The source's date, YYYY-MM-DD."""
    quote: str | None = None
    """For a quote: the words themselves, short."""

    _v_id = field_validator("id")(classmethod(lambda cls, v: _check_id(v)))


class Basis(_Strict):
    """What one number rests on: a source id and/or a note (for estimates: the reasoning).

    ``supports`` says what the source shows about the number: ``size`` (the source pins the value itself),
    ``direction`` (the source shows which way the number leans, not how far) or ``claim`` (a seed article argues
    it; the number is the analyst's reading of the claim). ``low``/``high`` give the plausible range of a number
    that is not pinned by its source; a scenario's perturbation spec can draw from them
    (:func:`detente.scenario.ranges.perturbation_from_ranges`).
    """

    source: Id | None = None
    """The id of the source (listed under 'sources') this number rests on."""
    note: str | None = None
    """The reasoning behind the number in one or two sentences (required for an estimate without a source)."""
    supports: Literal["size", "direction", "claim"] | None = None
    """What the source shows about the number: size (it pins the value), direction (which way it leans, not how far) or claim (an article argues it; the number is the analyst's reading)."""
    low: float | None = None
    """Lower end of the number's plausible range (with 'high'); uncertainty runs can draw from it."""
    high: float | None = None
    """Upper end of the number's plausible range (with 'low')."""

    @model_validator(mode="after")
    def _something(self) -> Basis:
        if self.source is None and not self.note:
            raise ValueError("a basis needs a 'source' id or a 'note'")
        if (self.low is None) != (self.high is None):
            raise ValueError(f"a plausible range needs both 'low' and 'high', got low={self.low}, high={self.high}")
        if self.low is not None and self.high is not None and not self.low <= self.high:
            raise ValueError(f"a plausible range needs low <= high, got low={self.low}, high={self.high}")
        return self


class ScalePoint(_Strict):
    value: float
    """Where the labelled point lies on the issue's scale (between its lower and upper bound)."""
    label: str
    """What an outcome at this value means in words, e.g. 'test moratorium'."""


_SCALE_BOUND = (
    f"between -{MAGNITUDE_MAX:g} and {MAGNITUDE_MAX:g}: models square distances on the scale and would overflow "
    "double precision beyond (rescale the issue's units)"
)
_CAPABILITY_BOUND = (
    f"at most {MAGNITUDE_MAX:g}: capabilities are relative (only ratios matter) and models multiply them, which "
    "overflows double precision beyond (rescale all capabilities)"
)


def _bounded(text: str, v: float | None) -> float | None:
    if v is not None and abs(v) > MAGNITUDE_MAX:
        raise ValueError(f"expected a number {text}")
    return v


class Scale(_Strict):
    lower: float = Field(
        default=0.0,
        description=f"scale bound, {_SCALE_BOUND}",
        json_schema_extra={"minimum": -MAGNITUDE_MAX, "maximum": MAGNITUDE_MAX},
    )
    upper: float = Field(
        default=100.0,
        description=f"scale bound, {_SCALE_BOUND}",
        json_schema_extra={"minimum": -MAGNITUDE_MAX, "maximum": MAGNITUDE_MAX},
    )
    points: list[ScalePoint] = Field(default_factory=list)
    """Labelled points on the scale: forecasts report the label nearest the outcome."""

    _v_bounds = field_validator("lower", "upper")(classmethod(lambda cls, v: _bounded(_SCALE_BOUND, v)))

    @model_validator(mode="after")
    def _bounds(self) -> Scale:
        if not self.lower < self.upper:
            raise ValueError(f"scale lower bound {self.lower} must be below upper bound {self.upper}")
        if self.upper - self.lower < SCALE_MIN_WIDTH * max(abs(self.lower), abs(self.upper)):
            raise ValueError(
                f"scale [{self.lower:g}, {self.upper:g}] is narrower than {SCALE_MIN_WIDTH:g} of its largest bound: "
                "positions on it would keep too few significant digits; shift the scale (e.g. measure from its lower "
                "bound)"
            )
        for p in self.points:
            if not self.lower <= p.value <= self.upper:
                raise ValueError(
                    f"labelled point {p.value} ({p.label!r}) lies outside the scale [{self.lower}, {self.upper}]"
                )
        return self

    def nearest_label(self, x: float) -> str | None:
        """The label of the labelled point nearest ``x`` (ties go to the lower point), or None."""
        if not self.points or not math.isfinite(x):
            return None
        best = min(self.points, key=lambda p: (abs(p.value - x), p.value))
        return best.label


class Issue(_Strict):
    id: Id
    """Short id of the issue, used by stances, edits and '--set ACTOR.ISSUE.FIELD=VALUE' (unique)."""
    name: str | None = None
    """The issue's name as a reader would say it."""
    description: str | None = None
    """What is being decided, and what the two ends of the scale mean."""
    units: str | None = None
    """The scale's units, if it measures something (years, percent, ...)."""
    scale: Scale = Field(default_factory=Scale)
    """The issue's one-dimensional scale of outcomes: its bounds and labelled points (default 0 to 100)."""
    status_quo: float | None = None
    """The outcome if nobody agrees to anything, on the issue's scale (models that need it fall back on it)."""
    status_quo_basis: Basis | None = None
    """What the status quo rests on: a source id and/or a note."""

    _v_id = field_validator("id")(classmethod(lambda cls, v: _check_id(v)))

    @model_validator(mode="after")
    def _sq_on_scale(self) -> Issue:
        if self.status_quo is not None and not self.scale.lower <= self.status_quo <= self.scale.upper:
            raise ValueError(
                f"status_quo {self.status_quo} lies outside the scale [{self.scale.lower}, {self.scale.upper}]"
            )
        return self


class Actor(_Strict):
    id: Id
    """Short id of the actor, used by stances, edits and '--set ACTOR...' (unique)."""
    name: str | None = None
    """The actor's full name."""
    group: str | None = None
    """A group the actor belongs to (e.g. a country for a ministry); shown, not modelled."""
    description: str | None = None
    """Who the actor is and why it matters to the negotiation."""
    capability: float = Field(
        ge=0.0,
        description=f"relative capability, ≥ 0 and {_CAPABILITY_BOUND}",
        json_schema_extra={"maximum": MAGNITUDE_MAX},
    )
    capability_basis: Basis | None = None
    """What the capability rests on: a source id and/or a note, with a plausible range."""

    _v_cap = field_validator("capability")(classmethod(lambda cls, v: _bounded(_CAPABILITY_BOUND, v)))

    _v_id = field_validator("id")(classmethod(lambda cls, v: _check_id(v)))


class Stance(_Strict):
    """Actor × issue: position on the issue's scale, salience 0–100, optional per-issue capability."""

    actor: Id
    """The actor's id."""
    issue: Id
    """The issue's id."""
    position: float
    """The outcome the actor wants, on the issue's scale."""
    salience: float = Field(ge=0.0, le=SALIENCE_MAX)
    """How much the actor cares about this issue, 0 (not at all) to 100 (above everything else)."""
    capability: float | None = Field(
        default=None,
        ge=0.0,
        description=f"per-issue capability, ≥ 0 and {_CAPABILITY_BOUND}",
        json_schema_extra={"maximum": MAGNITUDE_MAX},
    )
    position_basis: Basis | None = None
    """What the position rests on: a source id and/or a note, with a plausible range."""
    salience_basis: Basis | None = None
    """What the salience rests on: a source id and/or a note, with a plausible range."""
    capability_basis: Basis | None = None
    """What the per-issue capability rests on: a source id and/or a note."""
    note: str | None = None
    """A free-text remark on this stance."""

    _v_cap = field_validator("capability")(classmethod(lambda cls, v: _bounded(_CAPABILITY_BOUND, v)))


class Edit(_Strict):
    """One declarative what-if edit (used by events and variants; interpreted by :mod:`detente.interventions`)."""

    op: Literal["set", "shift", "scale", "add_actor", "remove_actor", "set_status_quo"]
    """What the edit does: set, shift (add) or scale (multiply) a field; add_actor; remove_actor; set_status_quo."""
    actor: Id | None = None
    """The actor edited, removed or added."""
    issue: Id | None = None
    """The issue edited (omit to edit the actor on every issue it holds)."""
    field: Literal["position", "salience", "capability"] | None = None
    """For set, shift and scale: position, salience (0-100) or capability."""
    value: float | None = None
    """The new value (set, set_status_quo), the amount added (shift) or the factor (scale)."""
    round: int | None = Field(default=None, ge=0)
    """For round-based models: the round at which the edit happens (0 or omitted: at the start)."""
    new_actor: dict[str, Any] | None = None
    """For add_actor: the new actor's fields (id, name, capability, ...)."""
    stances: list[dict[str, Any]] | None = None
    """For add_actor: the new actor's stances (issue, position, salience)."""

    @field_validator("value")
    @classmethod
    def _representable(cls, v: float | None) -> float | None:
        # a salience edit is divided by 100 for the models: a value this small would round to (signless) 0 there and
        # pass a range check that the same edit fails on the scenario
        if v is not None and v != 0 and abs(v) < 1e-300:
            raise ValueError(f"value {v!r} is too small to represent; expected 0 or a magnitude of at least 1e-300")
        return v


class Event(_Strict):
    """A dated event or intervention of the period the scenario covers."""

    id: Id
    """Short id of the event (unique)."""
    date: dt.date = Field(strict=False)
    """When it happened, YYYY-MM-DD ('--as-of DATE' applies the events up to that date)."""
    title: str
    """What happened, in one line."""
    description: str | None = None
    """What happened and why it matters, at more length."""
    source: Id | None = None
    """The id of the source that reports the event."""
    edits: list[Edit] = Field(default_factory=list)
    """How the event changes the scenario, as edits applied on its date."""


class Variant(_Strict):
    """A named what-if variant: a list of edits on the baseline."""

    id: Id
    """Short id of the variant, used by '--variant ID' (unique)."""
    title: str
    """The what-if question in one line."""
    description: str | None = None
    """What the variant assumes and why."""
    source: Id | None = None
    """The id of the source the variant draws on."""
    claim: str | None = None
    """The published claim the variant tests, in words."""
    edits: list[Edit] = Field(default_factory=list)
    """The edits that make the variant from the baseline, applied in order."""


class Delegation(_Strict):
    """Actors that negotiate as one side (a two-level game, Putnam 1988), and the rule that forms the side's stance.

    ``rule`` (see docs/two-level.md):

    - ``leader``: the delegation takes its ``leader``'s position, salience and capability; the other members count
      only through the leader (no member's capability is added, so a state is counted once);
    - ``weighted-median``: the capability × salience weighted median of the members' positions (the position no
      weighted majority of members would move away from, Black 1948); salience = the capability-weighted mean of
      the members' saliences; capability = the strongest member's;
    - ``weighted-mean``: as ``weighted-median`` but the weighted mean of the positions.
    """

    id: Id
    """The side's id (not also an actor id)."""
    name: str | None = None
    """The side's name."""
    members: list[Id] = Field(min_length=1)
    """The ids of the actors who negotiate as this side."""
    rule: Literal["leader", "weighted-median", "weighted-mean"] = "leader"
    """How the side's stance forms from its members': leader, weighted-median or weighted-mean (docs/two-level.md)."""
    leader: Id | None = Field(
        default=None, description="the member whose stance the 'leader' rule takes (default: the first)"
    )
    basis: Basis | None = None
    """What the grouping rests on: a source id and/or a note."""

    _v_id = field_validator("id")(classmethod(lambda cls, v: _check_id(v)))


class VetoRule(_Strict):
    """The named veto players of one issue (Tsebelis 2002): actor or delegation ids whose acceptance an outcome needs.

    With vetoes on, a model's outcome is projected onto the points every veto player weakly prefers to the status
    quo (see :mod:`detente.scenario.twolevel`).
    """

    issue: Id
    """The issue the veto players hold a veto on."""
    players: list[Id] = Field(min_length=1)
    """Actor or delegation ids whose acceptance an outcome on this issue needs."""
    acceptance: Literal["ideal", "win-set"] = "ideal"
    """Which outcomes a veto player accepts. ``ideal`` (the default): the points between the status quo and its
    ideal point, never past it (it can block anything further and offer its ideal, which every actor beyond it also
    prefers to the status quo). ``win-set``: every point it weakly prefers to the status quo (Tsebelis 2002), which
    reaches past its ideal by its distance from the status quo."""
    basis: Basis | None = None
    """What the veto rests on: a source id and/or a note."""


class Outcome(_Strict):
    """An observed outcome of one issue: its value, plausible range, horizon and whether it is the scored one.

    The primary outcome of an issue must equal ``observed[issue]`` (the flat map every model's back-test scores).
    """

    issue: Id
    """The issue's id."""
    value: float
    """The observed outcome on the issue's scale."""
    low: float | None = None
    """Lower end of the plausible range of the observed outcome."""
    high: float | None = None
    """Upper end of the plausible range of the observed outcome."""
    horizon: str | None = None
    """When the outcome was observed, in words (e.g. 'by the end of 2020')."""
    primary: bool = True
    """Whether this is the issue's scored outcome (it must equal observed[issue])."""
    basis: Basis | None = None
    """What the observed value rests on: a source id and/or a note."""


class Scenario(display.SummaryRepr, _Strict):
    """A negotiation: who wants what (position), how much they care (salience), how much they can do (capability)."""

    name: Id
    """The scenario's short name, shown in titles (an edited copy gets a derived name)."""
    title: str | None = None
    """A one-line title."""
    description: str | None = None
    """What the negotiation is about, the period it covers and how its numbers were chosen."""
    date: dt.date | None = Field(default=None, strict=False)
    """The date the scenario describes, YYYY-MM-DD."""
    salience_scale: Literal[1, 100] | None = Field(
        default=None,
        description="the number that stands for full attention in this file's saliences: 100 (saliences are points "
        "0-100, the schema's unit) or 1 (saliences are fractions 0-1, the convention of decide and BDM data; they are "
        "read as points ×100, and so are salience values in events' and variants' set/shift edits; a perturbation "
        "block's salience noise stays in points). Undeclared, "
        "saliences are points 0-100 and a file whose saliences all lie in [0, 1] is refused as ambiguous.",
    )
    sources: list[Source] = Field(default_factory=list)
    """The sources the numbers cite, each with an id."""
    issues: list[Issue]
    """The issues being decided, each on a one-dimensional scale."""
    actors: list[Actor]
    """The actors, each with a relative capability (only ratios matter)."""
    stances: list[Stance]
    """One row per actor and issue it takes part in: position on the issue's scale and salience 0-100."""
    events: list[Event] = Field(default_factory=list)
    """Dated events that change the scenario ('--as-of DATE')."""
    variants: list[Variant] = Field(default_factory=list)
    """Named what-if variants ('--variant ID'), each a list of edits."""
    observed: dict[Id, float] = Field(default_factory=dict, description="observed real outcome per issue id")
    outcomes: list[Outcome] = Field(
        default_factory=list, description="observed outcomes with ranges and horizons (primary ones equal 'observed')"
    )
    strategy: dict[str, Any] | None = Field(default=None, description="strategy-engine parameters (detente.strategy)")
    perturbation: dict[str, Any] | None = Field(default=None, description="default uncertainty spec")
    claims: list[dict[str, Any]] | None = Field(
        default=None, description="claims tested by `detente claims` (schema in docs/scorecard.md; detente.claims)"
    )
    delegations: list[Delegation] = Field(
        default_factory=list, description="actors grouped into sides, each with the rule that forms its stance"
    )
    vetoes: list[VetoRule] = Field(default_factory=list, description="per issue, the veto players an outcome needs")
    _what_if: list[dict[str, Any]] = PrivateAttr(default_factory=list)
    """What :func:`detente.whatif.what_if` applied to make this scenario (provenance; never part of the file)."""

    # ---- cross-field validation -------------------------------------------------------------------------------
    @model_validator(mode="before")
    @classmethod
    def _salience_points(cls, data: Any) -> Any:
        """Saliences declared as fractions (``salience_scale: 1``) become points 0–100; the scale then reads 100."""
        if not isinstance(data, dict):
            return data
        if isinstance(data.get("salience_scale"), bool):
            raise _FieldProblem("salience_scale", data["salience_scale"], "1 or 100")
        if data.get("salience_scale") != 1:
            return data
        for k, st in enumerate(data.get("stances") or []):
            v = st.get("salience") if isinstance(st, dict) else None
            if isinstance(v, (int, float)) and not isinstance(v, bool) and v > 1:
                raise _FieldProblem(
                    f"stances[{k}].salience", v, "a fraction in [0, 1] (the file declares salience_scale: 1)"
                )
        data = {**data, "salience_scale": 100}
        data["stances"] = [_times_100(st, "salience") for st in data.get("stances") or []]
        for key in ("events", "variants"):
            if isinstance(data.get(key), list):
                data[key] = [_edits_times_100(x) for x in data[key]]
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        _no_dupes("issues", [i.id for i in self.issues])
        _no_dupes("actors", [a.id for a in self.actors])
        _no_dupes("sources", [s.id for s in self.sources])
        _no_dupes("events", [e.id for e in self.events])
        _no_dupes("variants", [v.id for v in self.variants])
        if not self.issues:
            raise _FieldProblem("issues", [], "at least one issue")
        if not self.actors:
            raise _FieldProblem("actors", [], "at least one actor")
        if not self.stances:
            raise _FieldProblem("stances", [], "at least one stance")
        issues = {i.id: i for i in self.issues}
        actors = {a.id for a in self.actors}
        sources = {s.id for s in self.sources}
        seen: set[tuple[str, str]] = set()
        for k, st in enumerate(self.stances):
            if st.actor not in actors:
                raise _FieldProblem(f"stances[{k}].actor", st.actor, f"one of the actor ids {sorted(actors)}")
            if st.issue not in issues:
                raise _FieldProblem(f"stances[{k}].issue", st.issue, f"one of the issue ids {sorted(issues)}")
            if (st.actor, st.issue) in seen:
                raise _FieldProblem(
                    f"stances[{k}]", f"{st.actor}/{st.issue}", "one stance per actor and issue (duplicate)"
                )
            seen.add((st.actor, st.issue))
            sc = issues[st.issue].scale
            if not sc.lower <= st.position <= sc.upper:
                raise _FieldProblem(
                    f"stances[{k}].position",
                    st.position,
                    f"a position on issue {st.issue!r}'s scale [{sc.lower}, {sc.upper}]",
                )
            for name in ("position_basis", "salience_basis", "capability_basis"):
                b = getattr(st, name)
                if b is not None and b.source is not None and b.source not in sources:
                    raise _FieldProblem(f"stances[{k}].{name}.source", b.source, "a source id listed under 'sources'")
        for k, a in enumerate(self.actors):
            b = a.capability_basis
            if b is not None and b.source is not None and b.source not in sources:
                raise _FieldProblem(
                    f"actors[{k}].capability_basis.source", b.source, "a source id listed under 'sources'"
                )
        for iid in self.observed:
            if iid not in issues:
                raise _FieldProblem(f"observed.{iid}", iid, f"one of the issue ids {sorted(issues)}")
            sc = issues[iid].scale
            if not sc.lower <= self.observed[iid] <= sc.upper:
                raise _FieldProblem(
                    f"observed.{iid}",
                    self.observed[iid],
                    f"a value on issue {iid!r}'s scale [{sc.lower:g}, {sc.upper:g}]",
                )
        primaries: set[str] = set()
        for k, o in enumerate(self.outcomes):
            if o.issue not in issues:
                raise _FieldProblem(f"outcomes[{k}].issue", o.issue, f"one of the issue ids {sorted(issues)}")
            sc = issues[o.issue].scale
            lo = sc.lower if o.low is None else o.low
            hi = sc.upper if o.high is None else o.high
            if not sc.lower <= lo <= o.value <= hi <= sc.upper:
                raise _FieldProblem(
                    f"outcomes[{k}]",
                    [o.low, o.value, o.high],
                    f"{sc.lower:g} <= low <= value <= high <= {sc.upper:g} (issue {o.issue!r}'s scale)",
                )
            if o.primary:
                if o.issue in primaries:
                    raise _FieldProblem(f"outcomes[{k}].primary", o.issue, "one primary outcome per issue")
                primaries.add(o.issue)
                if self.observed.get(o.issue) != o.value:
                    raise _FieldProblem(
                        f"observed.{o.issue}",
                        self.observed.get(o.issue),
                        f"{o.value:g}, the primary outcomes[{k}].value",
                    )
        return self

    @model_validator(mode="after")
    def _two_level(self) -> Scenario:
        """Delegations name existing actors (each in at most one delegation); vetoes name issues and players."""
        actors = {a.id for a in self.actors}
        issues = {i.id for i in self.issues}
        sources = {s.id for s in self.sources}
        _no_dupes("delegations", [d.id for d in self.delegations])
        owner: dict[str, str] = {}
        for k, d in enumerate(self.delegations):
            if d.id in actors:
                raise _FieldProblem(f"delegations[{k}].id", d.id, "a delegation id that is not also an actor id")
            for q, a in enumerate(d.members):
                if a not in actors:
                    raise _FieldProblem(f"delegations[{k}].members[{q}]", a, f"one of the actor ids {sorted(actors)}")
                if a in owner:
                    raise _FieldProblem(
                        f"delegations[{k}].members[{q}]",
                        a,
                        f"an actor in one delegation only (already in {owner[a]!r})",
                    )
                owner[a] = d.id
            if d.leader is not None and d.leader not in d.members:
                raise _FieldProblem(f"delegations[{k}].leader", d.leader, f"one of the members {d.members}")
            if d.basis is not None and d.basis.source is not None and d.basis.source not in sources:
                raise _FieldProblem(
                    f"delegations[{k}].basis.source", d.basis.source, "a source id listed under 'sources'"
                )
        players = actors | {d.id for d in self.delegations}
        seen: set[str] = set()
        for k, v in enumerate(self.vetoes):
            if v.issue not in issues:
                raise _FieldProblem(f"vetoes[{k}].issue", v.issue, f"one of the issue ids {sorted(issues)}")
            if v.issue in seen:
                raise _FieldProblem(f"vetoes[{k}].issue", v.issue, "one veto rule per issue (duplicate)")
            seen.add(v.issue)
            for q, p in enumerate(v.players):
                if p not in players:
                    raise _FieldProblem(
                        f"vetoes[{k}].players[{q}]", p, f"an actor or delegation id, one of {sorted(players)}"
                    )
            if v.basis is not None and v.basis.source is not None and v.basis.source not in sources:
                raise _FieldProblem(f"vetoes[{k}].basis.source", v.basis.source, "a source id listed under 'sources'")
        return self

    # ---- helpers ----------------------------------------------------------------------------------------------
    def __str__(self) -> str:  # pydantic's own __str__ lists every field
        return self.__repr__()

    def _summary(self) -> display.Summary:
        facts = [("name", self.name)]
        if self.title:
            facts.append(("title", self.title))
        facts += [
            ("actors", f"{len(self.actors)} ({display.listed([a.id for a in self.actors])})"),
            ("issues", f"{len(self.issues)} ({display.listed([i.id for i in self.issues])})"),
            ("stances", str(len(self.stances))),
        ]
        facts += [(k, str(len(v))) for k, v in (("events", self.events), ("variants", self.variants)) if v]
        held: dict[str, int] = {}
        for st in self.stances:
            held[st.issue] = held.get(st.issue, 0) + 1
        rows = [
            [i.id, i.name or "", f"{display.fmt(i.scale.lower)}–{display.fmt(i.scale.upper)}",
             display.fmt(i.status_quo), str(held.get(i.id, 0))]
            for i in self.issues
        ]
        return display.Summary("Scenario", facts, ["issue", "name", "scale", "status quo", "stances"], rows)

    def issue(self, issue_id: str) -> Issue:
        for i in self.issues:
            if i.id == issue_id:
                return i
        raise KeyError(issue_id)

    def actor(self, actor_id: str) -> Actor:
        for a in self.actors:
            if a.id == actor_id:
                return a
        raise KeyError(actor_id)

    def source(self, source_id: str) -> Source:
        for s in self.sources:
            if s.id == source_id:
                return s
        raise KeyError(source_id)

    def variant(self, variant_id: str) -> Variant:
        for v in self.variants:
            if v.id == variant_id:
                return v
        from detente.errors import UnknownNameError

        raise UnknownNameError(
            f"scenario {self.name!r} has no variant {variant_id!r}; expected one of {[v.id for v in self.variants]}"
        )


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _times_100(d: Any, key: str) -> Any:
    if isinstance(d, dict) and _is_number(d.get(key)):
        return {**d, key: d[key] * 100.0}
    return d


def _edits_times_100(holder: Any) -> Any:
    """An event or variant whose salience set/shift edits (and added actors' stances) are scaled from 0–1 to 0–100."""
    if not isinstance(holder, dict) or not isinstance(holder.get("edits"), list):
        return holder
    edits = []
    for e in holder["edits"]:
        if isinstance(e, dict) and e.get("field") == "salience" and e.get("op") in ("set", "shift"):
            e = _times_100(e, "value")
        if isinstance(e, dict) and isinstance(e.get("stances"), list):
            e = {**e, "stances": [_times_100(st, "salience") for st in e["stances"]]}
        edits.append(e)
    return {**holder, "edits": edits}


class _FieldProblem(ValueError):
    """Raised inside validators so that the loader can report an exact field path."""

    def __init__(self, where: str, value: Any, expected: str) -> None:
        self.where, self.value, self.expected = where, value, expected
        super().__init__(f"{where}: got {value!r}; expected {expected}")


def _no_dupes(field: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for k, i in enumerate(ids):
        if i in seen:
            raise _FieldProblem(f"{field}[{k}].id", i, f"ids unique within '{field}' (duplicate)")
        seen.add(i)
