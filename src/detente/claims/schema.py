"""The claims schema: an op-ed's argument as data in the scenario file (``claims:``), validated with pydantic.

A claim carries the verbatim quote it comes from, a plain statement, one or more hypotheses (a metric, the rules or
variants compared, a direction and the minimum effect that matters), the parameters varied with any prior overrides,
static-model evidence and what the experiment cannot test. Every name (metric, rule, rule dimension, parameter,
stage, horizon, variant, model, issue, source) is resolved when the claims are read, and a bad one gives one
:class:`~detente.errors.ScenarioError` naming the file, the field path (``claims[2].hypotheses[0].metric.name``), the
bad value and what was expected. ``docs/scorecard.md`` is the reference and the authoring guide.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from detente.errors import ScenarioError, field_path

ROLES = ("primary", "supporting", "reason", "safety", "report", "record")
KINDS = ("compare", "effect", "level", "record")

# metric name -> (needs a stage, unit phrase)
METRICS: dict[str, tuple[bool, str]] = {
    "reached": (True, "probability"),
    "cvid_started": (False, "probability"),
    "cvid_done": (False, "probability"),
    "agreement": (False, "probability"),
    "crisis": (False, "probability"),
    "war": (False, "probability"),
    "strike_disarmed": (False, "probability"),
    "test_months": (False, "expected count"),
    "test_days": (False, "expected count"),
    "arsenal_mean": (False, "warheads"),
    "value_P": (False, "CVID-months"),
    "value_N": (False, "bite-months"),
    "first_step_in": (False, "probability"),
}
STAGES = ("moratorium", "freeze", "yongbyon-dismantled", "declaration", "cvid-started", "cvid-done")
HORIZONS = ("election", "inauguration", "2025-11")
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Metric(_Strict):
    """A model output: ``{name, stage?, at?, window?}``."""

    name: str
    stage: str | None = None
    at: str = "election"
    window: tuple[str, str] | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if v not in METRICS:
            raise ValueError(f"{v!r} is not a metric; expected one of {', '.join(METRICS)}")
        return v

    @field_validator("stage")
    @classmethod
    def _stage(cls, v: str | None) -> str | None:
        if v is not None and v not in STAGES:
            raise ValueError(f"{v!r} is not a stage; expected one of {', '.join(STAGES)}")
        return v

    @field_validator("at")
    @classmethod
    def _at(cls, v: str) -> str:
        if v not in HORIZONS and not _MONTH.fullmatch(str(v)):
            raise ValueError(f"{v!r} is not a horizon; expected one of {', '.join(HORIZONS)} or a month YYYY-MM")
        return v

    @model_validator(mode="after")
    def _needs(self) -> Metric:
        if METRICS[self.name][0] and self.stage is None:
            raise ValueError(f"metric {self.name!r} needs a stage (one of {', '.join(STAGES)})")
        if self.name == "first_step_in" and self.window is None:
            raise ValueError("metric 'first_step_in' needs a window [YYYY-MM, YYYY-MM]")
        return self


class RuleRef(_Strict):
    """A rule: a preset (``rule``), changed in some dimensions (``with``), at changed parameters (``params``); with
    ``best: president`` the rule the president prefers among the candidates ``search`` spans (``objective_params``
    changes only his payoff); with ``best: seoul`` the candidate South Korea prefers, led by Seoul, among those the
    president accepts (worth at least the Hanoi offer to him minus his deference, the parameter ``nu_K``, which
    ``params`` may set); with ``extreme: max|min`` the candidate that maximises or minimises the metric."""

    rule: str
    with_: dict[str, Any] = Field(default_factory=dict, alias="with")
    params: dict[str, float] = Field(default_factory=dict)
    best: Literal["president", "seoul"] | None = None
    extreme: Literal["max", "min"] | None = None
    search: dict[str, list[Any]] = Field(default_factory=dict)
    objective: Literal["value_P", "value_P_no_election"] = "value_P"
    plain: str | None = None

    @model_validator(mode="after")
    def _search(self) -> RuleRef:
        if self.search and not (self.best or self.extreme):
            raise ValueError("'search' needs 'best: president' or 'extreme: max|min'")
        if self.best and self.extreme:
            raise ValueError("give 'best' or 'extreme', not both")
        return self


class Hypothesis(_Strict):
    id: str
    role: Literal["primary", "supporting", "reason", "safety", "report", "record"]
    kind: Literal["compare", "effect", "level", "record"]
    metric: Metric | None = None
    a: RuleRef | None = None
    b: RuleRef | None = None
    direction: Literal["higher", "lower"] | None = None
    op: Literal["<", ">"] | None = None
    threshold: float | None = None
    min_effect: float | None = Field(default=None, ge=0)
    tolerance: float | None = Field(default=None, ge=0)
    plain: str
    # record hypotheses: a rate ratio of counts in two windows of the shipped record
    window_a: tuple[str, str] | None = None
    window_b: tuple[str, str] | None = None

    @model_validator(mode="after")
    def _fields(self) -> Hypothesis:
        if self.kind == "record":
            if self.window_a is None or self.window_b is None or self.direction is None:
                raise ValueError("a record hypothesis needs window_a, window_b and direction")
            return self
        if self.metric is None or self.a is None:
            raise ValueError(f"a {self.kind} hypothesis needs 'metric' and 'a'")
        if self.kind == "level":
            if self.threshold is None or self.op is None:
                raise ValueError("a level hypothesis needs 'op' ('<' or '>') and 'threshold'")
        else:
            if self.b is None:
                raise ValueError(f"a {self.kind} hypothesis needs 'b' (the rule or baseline compared with)")
            if self.role == "safety":
                if self.tolerance is None:
                    raise ValueError("a safety hypothesis needs 'tolerance' (the largest acceptable rise)")
            elif self.direction is None:
                raise ValueError("needs 'direction' ('higher' or 'lower')")
        if self.role not in ("report", "safety") and self.kind != "level" and self.min_effect is None:
            raise ValueError("needs 'min_effect' (the smallest difference that matters, in the metric's unit)")
        return self


class StaticEntry(_Strict):
    """Static-model evidence: ``variant`` against ``baseline`` (``baseline`` or another variant) on ``issue``."""

    models: list[str] = Field(min_length=1)
    variant: str
    baseline: str = "baseline"
    issue: str
    direction: Literal["higher", "lower"]
    min_effect: float = Field(ge=0)


class FactCheck(_Strict):
    text: str
    correction: str
    source: str


class Claim(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    source: str
    quote: str
    also_quotes: list[str] = Field(default_factory=list)
    statement: str
    hypotheses: list[Hypothesis] = Field(default_factory=list)
    combine: Literal["all", "any", "primary"] = "all"
    vary: Literal["all"] | list[str] = "all"
    priors: dict[str, str] = Field(default_factory=dict)
    fix: dict[str, float] = Field(default_factory=dict)
    tipping: list[str] = Field(default_factory=list)
    static: list[StaticEntry] = Field(default_factory=list)
    cannot_test: list[str] = Field(min_length=1)
    premise_note: str | None = None
    fact_checks: list[FactCheck] = Field(default_factory=list)
    glossary: list[str] = Field(default_factory=list)
    rules: dict[str, RuleRef] = Field(default_factory=dict)
    """Named rules local to the claim (a hypothesis's ``rule`` may name one)."""

    @model_validator(mode="after")
    def _primary(self) -> Claim:
        ids = [h.id for h in self.hypotheses]
        if len(set(ids)) != len(ids):
            raise ValueError(f"hypothesis ids {ids}: each id once")
        prim = [h for h in self.hypotheses if h.role == "primary"]
        if not prim and not any(h.role == "record" for h in self.hypotheses) and not self.static:
            raise ValueError("needs at least one primary hypothesis, a record hypothesis or static evidence")
        if self.combine == "primary" and len(prim) != 1:
            raise ValueError("combine: primary needs exactly one primary hypothesis")
        return self

    def primaries(self) -> list[Hypothesis]:
        return [h for h in self.hypotheses if h.role == "primary"]


class ClaimsFile(_Strict):
    claims: list[Claim]


def _value_at(data: Any, loc: tuple[Any, ...]) -> Any:
    cur = data
    for part in loc:
        try:
            cur = cur[part]
        except (KeyError, IndexError, TypeError):
            return None
    return cur


def parse(raw: Any, *, file: str = "<claims>") -> list[Claim]:
    """Claims from the scenario's ``claims:`` list, structurally validated (names are checked by :func:`resolve`)."""
    if not isinstance(raw, list):
        raise ScenarioError("'claims' must be a list of claims", file=file, where="claims", value=type(raw).__name__)
    try:
        return ClaimsFile.model_validate({"claims": raw}).claims
    except ValidationError as e:
        err = e.errors()[0]
        loc = tuple(x for x in err["loc"] if not (isinstance(x, str) and x.startswith(("function-", "tagged"))))
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        where = field_path(loc)
        field = loc[-1] if loc else None
        val = _value_at({"claims": raw}, loc)
        if err.get("type") == "missing":
            raise ScenarioError(f"missing field {field!r}", file=file, where=where) from None
        if err.get("type") == "extra_forbidden":
            raise ScenarioError("unknown field", file=file, where=where, value=field,
                                expected="a field of docs/scorecard.md") from None
        raise ScenarioError(msg, file=file, where=where, value=val if isinstance(val, (str, int, float)) else None
                            ) from None


def resolve(claims: list[Claim], scenario: Any, *, file: str) -> None:
    """Check every name against the scenario and the engine registry (raises one ScenarioError)."""
    from detente.claims.rules import known_rules
    from detente.strategy.staged import priors
    from detente.strategy.staged.rules import DIMS

    sources = {s.id: s for s in getattr(scenario, "sources", [])}
    variants = {v.id for v in getattr(scenario, "variants", [])}
    issues = {i.id for i in getattr(scenario, "issues", [])}
    dynamic = isinstance(getattr(scenario, "strategy", None), dict)
    from detente.models import available

    models = set(available())
    for ci, c in enumerate(claims):
        at = f"claims[{ci}]"
        for key, sid in [("source", c.source)] + [(f"also_quotes[{k}]", s) for k, s in enumerate(c.also_quotes)]:
            if sid not in sources:
                raise ScenarioError("unknown source id", file=file, where=f"{at}.{key}", value=sid,
                                    expected="a source id listed under 'sources'")
        for key, names in (("priors", c.priors), ("fix", c.fix)):
            for name in names:
                if name not in priors.BY_NAME:
                    raise ScenarioError("unknown parameter", file=file, where=f"{at}.{key}.{name}", value=name,
                                        expected="a parameter of `detente strategy-params`")
        for name, text in c.priors.items():
            try:
                lo, hi = priors.BY_NAME[name].bounds
                d = priors._dist(text)
                qlo, qhi = (float(x) for x in d.ppf([0.0005, 0.9995]))
            except Exception:  # noqa: BLE001 - any unparsable prior is one error
                raise ScenarioError("not a prior", file=file, where=f"{at}.priors.{name}", value=text,
                                    expected="U(a, b), LogU(a, b), Beta(m; a, b), TN(m, s; a, b) or fixed(x)"
                                    ) from None
            if qlo < lo - 1e-9 or qhi > hi + 1e-9:
                raise ScenarioError("prior outside the parameter's range", file=file, where=f"{at}.priors.{name}",
                                    value=text, expected=f"a prior inside [{lo:g}, {hi:g}]")
        for name, x in c.fix.items():
            lo, hi = priors.BY_NAME[name].bounds
            if not lo - 1e-12 <= x <= hi + 1e-12:
                raise ScenarioError("value outside the parameter's range", file=file, where=f"{at}.fix.{name}",
                                    value=x, expected=f"a value in [{lo:g}, {hi:g}]")
        if c.vary != "all":
            for k, name in enumerate(c.vary):
                if name not in priors.BY_NAME:
                    raise ScenarioError("unknown parameter", file=file, where=f"{at}.vary[{k}]", value=name,
                                        expected="a parameter of `detente strategy-params`")
        for k, name in enumerate(c.tipping):
            if name not in priors.BY_NAME:
                raise ScenarioError("unknown parameter", file=file, where=f"{at}.tipping[{k}]", value=name,
                                    expected="a parameter of `detente strategy-params`")
        rule_names = set(known_rules()) | set(c.rules)
        refs = [(f"{at}.rules.{n}", r) for n, r in c.rules.items()]
        for hi_, h in enumerate(c.hypotheses):
            refs += [(f"{at}.hypotheses[{hi_}].{side}", r) for side, r in (("a", h.a), ("b", h.b)) if r is not None]
            if h.kind != "record" and not dynamic:
                raise ScenarioError("a model hypothesis needs the scenario's dynamic part", file=file,
                                    where=f"{at}.hypotheses[{hi_}].kind", value=h.kind,
                                    expected="'record', or a scenario with a 'strategy' block")
        for where, r in refs:
            if r.rule not in rule_names:
                raise ScenarioError("unknown rule", file=file, where=f"{where}.rule", value=r.rule,
                                    expected="one of " + ", ".join(sorted(rule_names)))
            for dim in list(r.with_) + list(r.search):
                if dim not in DIMS:
                    raise ScenarioError("unknown rule dimension", file=file, where=f"{where}.with/search",
                                        value=dim, expected="one of " + ", ".join(DIMS))
            for name in r.params:
                if name not in priors.BY_NAME:
                    raise ScenarioError("unknown parameter", file=file, where=f"{where}.params.{name}", value=name,
                                        expected="a parameter of `detente strategy-params`")
        for si, s in enumerate(c.static):
            w = f"{at}.static[{si}]"
            for v, key in ((s.variant, "variant"), (s.baseline, "baseline")):
                if v != "baseline" and v not in variants:
                    raise ScenarioError("unknown variant", file=file, where=f"{w}.{key}", value=v,
                                        expected="a variant id of the scenario")
            if s.issue not in issues:
                raise ScenarioError("unknown issue", file=file, where=f"{w}.issue", value=s.issue,
                                    expected="an issue id of the scenario")
            for k, m in enumerate(s.models):
                if m not in models:
                    raise ScenarioError("unknown model", file=file, where=f"{w}.models[{k}]", value=m,
                                        expected="one of " + ", ".join(sorted(models)))
        for k, fc in enumerate(c.fact_checks):
            if fc.source not in sources:
                raise ScenarioError("unknown source id", file=file, where=f"{at}.fact_checks[{k}].source",
                                    value=fc.source, expected="a source id listed under 'sources'")
    ids = [c.id for c in claims]
    if len(set(ids)) != len(ids):
        raise ScenarioError("claim ids must be unique", file=file, where="claims", value=ids)


def claims_of(scenario: Any, *, file: str | None = None) -> list[Claim]:
    """The scenario's validated claims (an empty list when it has none)."""
    raw = getattr(scenario, "claims", None)
    file = file or f"{getattr(scenario, 'name', 'scenario')}.yaml"
    if raw is None:
        return []
    out = parse(raw, file=file)
    resolve(out, scenario, file=file)
    return out


__all__ = ["HORIZONS", "METRICS", "STAGES", "Claim", "Hypothesis", "Metric", "RuleRef", "StaticEntry", "claims_of",
           "parse", "resolve"]
