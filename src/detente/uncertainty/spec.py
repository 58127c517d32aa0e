"""The perturbation spec: which inputs are uncertain, and how (data, validated like a scenario).

A spec lives in a scenario file's ``perturbation`` field, in its own YAML/JSON file (``--perturb FILE``) or is passed
as a dict / :class:`PerturbationSpec`. Example::

    position:   {dist: normal, scale: 0.05, relative: true}   # sd = 5 % of each issue's scale width
    salience:   {dist: normal, scale: 10}                     # sd = 10 salience points (of 0–100)
    capability: {dist: lognormal, scale: 0.2,                 # capability × exp(N(0, 0.2²))
                 rules: [{actor: china, scale: 0.4}]}         # per actor / per issue / per cell overrides
    dropout:    {probability: 0.05, actors: [japan, russia]}  # an actor sits out a draw with this probability
    shocks:     {probability: 0.1, size: 20, mode: shift}     # Bueno de Mesquita's random salience "shocks"

Noise per field (applied to each actor × issue cell where the actor takes part):

- ``normal``: x + scale·Z;  ``uniform``: x + scale·U(−1, 1);  ``lognormal``: x · exp(scale·Z) (median-preserving;
  for positions the distance from the scale's lower bound is multiplied).
- ``relative: true`` makes ``scale`` a fraction: of the issue's scale width (position), of 100 points (salience),
  of the cell's own capability (capability). Otherwise it is in the field's units (salience in points 0–100).
- ``rules``: overrides for some cells, each with optional ``actor`` and ``issue`` selectors (both given = one cell);
  later rules win over earlier ones; ``scale: 0`` exempts cells.
- Results are clipped to the valid ranges (position to the issue's scale, salience to [0, 100], capability ≥ 0).

``dropout``: each eligible actor independently sits out a draw with ``probability`` (as if it had no stances). A draw
in which some issue would lose every actor keeps all its actors instead.

``shocks`` (Bueno de Mesquita, *The Predictioneer's Game*, 2009, and the 2011 model, CMPS 28(1):65–87: confidence
intervals from random salience "shocks"): each actor is shocked in a draw with ``probability``; a shocked actor's
salience on each of its issues moves by U(−size, size) points (``mode: shift``) or is redrawn from U(0, 100)
(``mode: redraw``), clipped to [0, 100].

:data:`DEFAULT` (used when neither the caller nor the scenario gives a spec): position normal sd 5 % of the scale
width, salience normal sd 10 points, capability lognormal sigma 0.2; no dropout, no shocks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from detente.errors import ScenarioError
from detente.scenario.schema import MAGNITUDE_MAX, SALIENCE_MAX

__all__ = [
    "DEFAULT",
    "NONE",
    "Dropout",
    "FieldNoise",
    "NoiseRule",
    "PerturbationSpec",
    "Shocks",
    "load_spec",
    "resolve_spec",
]

Dist = Literal["normal", "uniform", "lognormal"]
DISTS: tuple[str, ...] = ("normal", "uniform", "lognormal")
FIELDS: tuple[str, ...] = ("position", "salience", "capability")


SCALE_NOTE = (
    f"at most {MAGNITUDE_MAX:g}, the largest magnitude a scenario accepts (wider noise only overflows: models square "
    "and multiply the perturbed numbers)"
)
LOGNORMAL_SIGMA_MAX = 50.0
"""The largest sigma of log of lognormal noise: exp(50 · 8.3) ≈ 1e180 already spans every number a scenario
accepts (8.3 is the largest |z| a draw takes; drawn capabilities are clipped to the largest magnitude), and past
about 85 exp() overflows to infinity."""
LOGNORMAL_NOTE = (
    f"at most {LOGNORMAL_SIGMA_MAX:g}: exp(50 · 8.3) ≈ 1e180 already spans every number a scenario accepts, and "
    "beyond about 85 a draw overflows to infinity"
)


class _Strict(BaseModel):
    # strict: numbers are numbers and flags are true/false (never "yes" or "5")
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)


class NoiseRule(_Strict):
    """An override of the noise on some cells: ``actor`` and/or ``issue`` select them (neither = all)."""

    actor: str | None = None
    issue: str | None = None
    dist: Dist | None = None
    scale: float | None = Field(default=None, ge=0, le=MAGNITUDE_MAX, description=SCALE_NOTE)
    relative: bool | None = None


class FieldNoise(_Strict):
    """Noise on one input field (position, salience or capability)."""

    dist: Dist = "normal"
    scale: float = Field(
        default=0.0,
        ge=0,
        le=MAGNITUDE_MAX,
        description="sd (normal), half-width (uniform) or sigma of log (lognormal); " + SCALE_NOTE,
    )
    relative: bool = False
    rules: list[NoiseRule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _lognormal_sigma(self) -> FieldNoise:
        cells = [("scale", self.dist, self.scale)] + [
            (f"rules[{k}].scale", r.dist or self.dist, self.scale if r.scale is None else r.scale)
            for k, r in enumerate(self.rules)
        ]
        for where, dist, s in cells:
            if dist == "lognormal" and s > LOGNORMAL_SIGMA_MAX:
                raise PydanticCustomError(
                    "lognormal_sigma",
                    "the sigma of log of lognormal noise is too large",
                    {"where": where, "value": s},
                )
        return self


class Dropout(_Strict):
    """Each eligible actor sits out a draw with ``probability``."""

    probability: float = Field(default=0.0, ge=0, le=1)
    actors: list[str] | None = Field(default=None, description="who may drop out (default: every actor)")


class Shocks(_Strict):
    """Bueno de Mesquita's shocks: random salience changes of randomly chosen actors."""

    probability: float = Field(default=0.0, ge=0, le=1, description="chance that an actor is shocked in a draw")
    size: float = Field(default=20.0, ge=0, le=SALIENCE_MAX, description="half-width of a shift, salience points")
    mode: Literal["shift", "redraw"] = "shift"
    actors: list[str] | None = Field(default=None, description="who may be shocked (default: every actor)")


class PerturbationSpec(_Strict):
    """Which inputs are uncertain and how. Omitted fields are not perturbed."""

    position: FieldNoise | None = None
    salience: FieldNoise | None = None
    capability: FieldNoise | None = None
    dropout: Dropout = Field(default_factory=Dropout)
    shocks: Shocks = Field(default_factory=Shocks)

    @field_validator("dropout", mode="before")
    @classmethod
    def _dropout_number(cls, v: Any) -> Any:
        return {"probability": v} if isinstance(v, (int, float)) and not isinstance(v, bool) else v

    # ---- checks and cell arrays ---------------------------------------------------------------------------------
    def check(
        self, actors: tuple[str, ...] | list[str], issues: tuple[str, ...] | list[str], file: str | None = None
    ) -> None:
        """Refuse actor / issue ids the scenario does not have (ScenarioError naming the field and the value)."""
        known_a, known_i = set(actors), set(issues)
        for fname in FIELDS:
            fn = getattr(self, fname)
            if fn is None:
                continue
            for k, r in enumerate(fn.rules):
                if r.actor is not None and r.actor not in known_a:
                    raise ScenarioError(
                        "unknown actor",
                        file=file,
                        where=f"{fname}.rules[{k}].actor",
                        value=r.actor,
                        expected=f"one of the actor ids {list(actors)}",
                    )
                if r.issue is not None and r.issue not in known_i:
                    raise ScenarioError(
                        "unknown issue",
                        file=file,
                        where=f"{fname}.rules[{k}].issue",
                        value=r.issue,
                        expected=f"one of the issue ids {list(issues)}",
                    )
        for part in ("dropout", "shocks"):
            for k, a in enumerate(getattr(self, part).actors or []):
                if a not in known_a:
                    raise ScenarioError(
                        "unknown actor",
                        file=file,
                        where=f"{part}.actors[{k}]",
                        value=a,
                        expected=f"one of the actor ids {list(actors)}",
                    )

    def cells(
        self,
        field: str,
        actors: tuple[str, ...],
        issues: tuple[str, ...],
        nominal: np.ndarray,
        lower: np.ndarray,
        upper: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(dist code (n, m) int index into DISTS, absolute scale (n, m))`` of ``field``'s noise.

        ``nominal`` (n, m) is the unperturbed value (capability with ``relative`` scales by it); the absolute scale of
        salience is in [0, 1] units like :class:`ScenarioArrays`.
        """
        n, m = len(actors), len(issues)
        code = np.zeros((n, m), dtype=np.int8)
        scale = np.zeros((n, m))
        fn = getattr(self, field)
        if fn is None:
            return code, scale
        rel = np.zeros((n, m), bool)
        code[:] = DISTS.index(fn.dist)
        scale[:] = fn.scale
        rel[:] = fn.relative
        a_idx = {a: k for k, a in enumerate(actors)}
        i_idx = {i: k for k, i in enumerate(issues)}
        for r in fn.rules:
            rows: Any = slice(None) if r.actor is None else a_idx.get(r.actor)
            cols: Any = slice(None) if r.issue is None else i_idx.get(r.issue)
            if rows is None or cols is None:  # an actor only some variants have
                continue
            if r.dist is not None:
                code[rows, cols] = DISTS.index(r.dist)
            if r.scale is not None:
                scale[rows, cols] = r.scale
            if r.relative is not None:
                rel[rows, cols] = r.relative
        lognormal = code == DISTS.index("lognormal")
        # the schema bounds every scale (SCALE_NOTE), so nothing here overflows; numpy warnings never reach stderr
        with np.errstate(over="ignore", invalid="ignore"):
            additive = self._additive(field, scale, rel, nominal, lower, upper)
        scale = np.where(lognormal, scale, additive)
        return code, np.asarray(scale, float)

    @staticmethod
    def _additive(
        field: str, scale: np.ndarray, rel: np.ndarray, nominal: Any, lower: np.ndarray, upper: np.ndarray
    ) -> np.ndarray:
        """The additive noise scale per cell: relative scales are turned into the field's units."""
        if field == "position":
            additive = np.where(rel, scale * (upper - lower)[None, :], scale)
        elif field == "salience":  # relative: a fraction of the 0–100 range, i.e. already in [0, 1] units
            additive = np.where(rel, scale, scale / SALIENCE_MAX)
        else:
            additive = np.where(rel, scale * np.asarray(nominal, float), scale)
        return np.asarray(additive, float)

    @property
    def is_null(self) -> bool:
        """True when the spec perturbs nothing."""
        noisy = any(
            fn is not None and (fn.scale > 0 or any((r.scale or 0) > 0 for r in fn.rules))
            for fn in (self.position, self.salience, self.capability)
        )
        return not noisy and self.dropout.probability == 0 and self.shocks.probability == 0


DEFAULT = PerturbationSpec(
    position=FieldNoise(dist="normal", scale=0.05, relative=True),
    salience=FieldNoise(dist="normal", scale=10.0),
    capability=FieldNoise(dist="lognormal", scale=0.2),
)
"""The spec used when none is given: position sd 5 % of scale width, salience sd 10 points, capability lognormal 0.2."""

NONE = PerturbationSpec()
"""The spec that perturbs nothing."""


def _located(err: ValidationError, file: str | None, prefix: str = "") -> ScenarioError:
    first = err.errors()[0]
    loc = "".join(f"[{x}]" if isinstance(x, int) else f".{x}" for x in first["loc"]).lstrip(".")
    where = ".".join(p for p in (prefix, loc) if p) or "(perturbation)"
    if first["type"] == "lognormal_sigma":  # raised on a whole FieldNoise: name the scale inside it
        ctx = first["ctx"]
        return ScenarioError(
            first["msg"],
            file=file,
            where=f"{where}.{ctx['where']}",
            value=ctx["value"],
            expected=LOGNORMAL_NOTE,
        )
    if first["type"] == "extra_forbidden":
        return ScenarioError(
            "unknown field",
            file=file,
            where=where,
            value=first.get("input"),
            expected=f"one of the fields of {where.rsplit('.', 1)[0] or 'the spec'}",
            has_value=False,
        )
    return ScenarioError(
        first["msg"], file=file, where=where, value=first.get("input"), has_value=True, expected=_expected(first)
    )


def _expected(first: Any) -> str:
    t = first["type"]
    ctx = first.get("ctx") or {}
    if t == "less_than_equal" and ctx.get("le") == MAGNITUDE_MAX:
        return "a number " + SCALE_NOTE
    if t in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return "a number " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in ctx.items())
    if t == "literal_error":
        return f"one of {ctx.get('expected', '')}"
    return "a valid perturbation spec value"


def load_spec(
    source: PerturbationSpec | dict[str, Any] | str | Path | None, *, file: str | None = None
) -> PerturbationSpec:
    """A validated spec from a spec object, a dict, or a YAML/JSON file (a bare spec or a file with ``perturbation:``).

    Errors are :class:`ScenarioError` naming the file, the field path (``salience.rules[2].scale``) and the value.
    """
    if isinstance(source, PerturbationSpec):
        return source
    if source is None:
        return DEFAULT
    if isinstance(source, (str, Path)):
        from detente.scenario.io import decode_text, parse_yaml, read_limited

        path = Path(source)
        file = str(path)
        if not path.exists():
            raise ScenarioError("perturbation spec file not found", file=file)
        # the scenario files' reader: bounded read, UTF-8 checked, YAML 1.2 (JSON is YAML), no duplicate keys
        data = parse_yaml(decode_text(read_limited(path, file), file), file)
        if isinstance(data, dict) and "perturbation" in data:
            data = data["perturbation"]
            prefix = "perturbation"
        else:
            prefix = ""
        if not isinstance(data, dict):
            raise ScenarioError(
                "a perturbation spec must be a mapping",
                file=file,
                where=prefix or None,
                value=data,
                expected="a mapping with position/salience/capability/dropout/shocks",
            )
        return _validate(data, file, prefix)
    return _validate(dict(source), file, "")


def _validate(data: dict[str, Any], file: str | None, prefix: str) -> PerturbationSpec:
    try:
        return PerturbationSpec.model_validate(data)
    except ValidationError as err:
        raise _located(err, file, prefix) from None


def resolve_spec(perturb: Any, scenario_spec: dict[str, Any] | None, scenario_name: str = "") -> PerturbationSpec:
    """The spec to use: the caller's (``False``/``"none"`` = no perturbation), else the scenario's, else DEFAULT."""
    if perturb is False or (isinstance(perturb, str) and perturb.lower() == "none"):
        return NONE
    if perturb is not None:
        return load_spec(perturb)
    if scenario_spec:
        return _validate(dict(scenario_spec), f"<{scenario_name}>" if scenario_name else None, "perturbation")
    return DEFAULT
