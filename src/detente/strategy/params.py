"""The strategy engine's parameters: defaults, ranges and sources (docs/strategy.md, Parameters).

One validated pydantic object, :class:`StrategyParams`. Every field carries its meaning, its allowed range and the
source it comes from (``json_schema_extra={"source": ...}``); :meth:`StrategyParams.table` lists them.

Scenario format. The engine runs only on a scenario whose ``strategy`` block names the actors that play its roles
(:mod:`detente.strategy.needs`); the block holds overrides with their sources::

    strategy:
      roles: {leader: us-president, target: dprk}
      params:            # any field of StrategyParams; values are validated against its range
        rho0: 0.6
        D: [0, 0.02, 0.08, 0.18, 0.35, 1]
      sources:           # optional: field name -> source text (a quote from an article, a dated fact, or an analyst estimate)
        rho0: "analyst estimate: ..."

Unknown keys, unknown parameter names and out-of-range values raise :class:`detente.errors.ScenarioError` naming the
field path (``strategy.params.rho0``), the bad value and what was expected.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from detente.errors import ParameterError, ScenarioError


def _f(default: Any, meaning: str, source: str, **limits: Any) -> Any:
    return Field(default, description=meaning, json_schema_extra={"source": source}, **limits)


class StrategyParams(BaseModel):
    """Parameters of the dynamic strategy engine (docs/strategy.md). Monthly periods; utilities in units of ``s``."""

    model_config = ConfigDict(extra="forbid")

    # --- time ---------------------------------------------------------------------------------------------------
    T: int = _f(32, "horizon in months (June 2018 = month 0)", "calendar: June 2018 to the election month", ge=2, le=240)
    t_E: int = _f(29, "election month (Nov 2020 = 29)", "calendar: US election 2020-11-03", ge=1, le=239)
    window: int = _f(6, "length of the pre-election window in months", "analyst estimate (summit timing)", ge=0, le=60)
    # --- stages and relief ----------------------------------------------------------------------------------------
    D: list[float] = _f(
        [0.0, 0.02, 0.08, 0.18, 0.35, 1.0],
        "cumulative share of N's deterrent given up at stage k = 0..K",
        "analyst estimate from the arsenal data (SIPRI Yearbooks 2018-2020)",
    )
    R: list[float] = _f(
        [0.0, 0.1, 0.25, 0.45, 0.7, 1.0],
        "cumulative relief at stage k under step-for-step (the rising-stakes / screening schedule)",
        "Six-Party Initial Actions 2007 tranches; Hanoi offers 2019-02-28",
    )
    s: float = _f(1.0, "monthly cost of full sanctions to the regime (the unit)", "GSDB; Haggard & Noland 2017", gt=0)
    v_S: float = _f(0.4, "intrinsic monthly value of the arsenal, security-seeker", "elicitation; RAND 2021", ge=0)
    v_G: float = _f(2.0, "intrinsic monthly value of the arsenal, hold-out type", "elicitation; RAND 2021", ge=0)
    pi_S: float = _f(0.6, "prior that N is a security-seeker", "elicitation (Beta prior around 0.6)", ge=0, le=1)
    # --- US reliability -------------------------------------------------------------------------------------------
    rho0: float = _f(0.6, "N's prior that the US is reliable", "elicitation; Agreed Framework, JCPOA", ge=0, le=1)
    phi: float = _f(0.35, "reneging probability per exchange of an unreliable US", "history (2002, 2018)", ge=0, le=1)
    h: float = _f(
        0.02, "monthly strike/regime-change hazard per unit of disarmament", "Saddam/Gaddafi analogy", ge=0, le=1
    )
    X: float = _f(60.0, "loss from regime change (units of s)", "elicitation (Saddam/Gaddafi analogy)", ge=0)
    # --- monitoring and reciprocity -------------------------------------------------------------------------------
    eps: float = _f(0.05, "monitoring noise: chance an observation flips", "verification disputes", ge=0, le=0.5)
    g: float = _f(
        1 / 3, "forgiveness after a snap-back (generous TFT)", "GTFT bound g* = 1/3 (Molander 1985)", ge=0, le=1
    )
    d: float = _f(0.08, "monthly detection probability of covert work", "Bas & Coe 2016; 38 North record", ge=0, le=1)
    b_cheat: float = _f(0.3, "monthly value of covert production to the hold-out type", "Bas & Coe 2016", ge=0)
    # --- election ------------------------------------------------------------------------------------------------
    kappa: float = _f(
        0.3, "pre-election generosity (relief multiplier - 1)", "timing of the 2018-2019 summits (analyst estimate)", ge=0, le=5
    )
    pi_small: float = _f(0.5, "chance the US accepts a small deal in the window", "Hanoi counterfactual", ge=0, le=1)
    small_stage: int = _f(3, "stage of the Hanoi-type small deal (Yongbyon)", "DPRK offer at Hanoi, 2019-02-28 (Yongbyon)", ge=1)
    small_relief: float = _f(0.5, "relief of the small deal (5 of 11 resolutions)", "DPRK demand at Hanoi, 2019-02-28 (5 of 11 UN resolutions)", ge=0, le=1)
    q: float = _f(0.5, "re-election probability", "polls (analyst estimate)", ge=0, le=1)
    eta: float = _f(0.8, "a successor honours existing relief", "precedent (Buisseret & Bernhardt 2018)", ge=0, le=1)
    delta: float = _f(0.97, "monthly discount factor", "leader-horizon assumptions", gt=0, lt=1)
    # --- arsenal -------------------------------------------------------------------------------------------------
    W0_mean: float = _f(30.0, "initial arsenal, mean (warheads)", "Hecker; Kristensen & Norris 2018", ge=0)
    W0_sd: float = _f(5.0, "initial arsenal, standard deviation", "Hecker; Kristensen & Norris 2018", ge=0)
    prod_lo: float = _f(5.0, "production per year, lower bound", "Hecker et al. 2019", ge=0)
    prod_hi: float = _f(7.0, "production per year, upper bound", "Hecker et al. 2019", ge=0)
    dismantle: float = _f(2.0, "warheads removed per month once CVID is agreed", "analyst estimate", ge=0)
    # --- tension and crisis --------------------------------------------------------------------------------------
    E0: float = _f(1.0, "initial tension (June 2018, after Singapore)", "analyst estimate", ge=-50, le=50)
    lam: float = _f(0.8, "tension persistence per month", "to fit: ICEWS/GDELT Goldstein series", ge=0, lt=1)
    alpha: float = _f(1.0, "tension added by a test", "to fit: CNS tests", ge=0)
    beta: float = _f(0.5, "tension added by a US threat or exercise", "to fit: ICEWS", ge=0)
    gamma: float = _f(1.5, "tension added by a betrayal or snap-back", "to fit: ICEWS", ge=0)
    zeta: float = _f(0.5, "tension removed by a step taken", "to fit: ICEWS", ge=0)
    a0: float = _f(-6.0, "crisis logit intercept", "to fit: ICB/MID base rates", ge=-100, le=100)
    a1: float = _f(0.6, "crisis logit slope on tension", "to fit: ICB/MID", ge=0, le=10)
    test_S: float = _f(0.05, "monthly test probability of a stalled security-seeker", "CNS/NTI test record", ge=0, le=1)
    test_G: float = _f(0.25, "monthly test probability of a stalled hold-out", "CNS/NTI test record", ge=0, le=1)
    threat: float = _f(0.15, "monthly US threat/exercise probability while talks stall", "ICEWS", ge=0, le=1)
    rhetoric: float = _f(1.0, "war-of-words multiplier on threats and tests (0 = none)", "the 'What's Next' op-ed (Dec 2019); claim (f)", ge=0)
    c_bar: float = _f(1.0, "upper bound of N's war cost (Fearon risk-return)", "Fearon 1995, s.2", gt=0)
    c_U: float = _f(0.9, "US war cost (Fearon risk-return)", "CRS military options (elicitation)", ge=0)
    # --- variants ------------------------------------------------------------------------------------------------
    e_BMD: float = _f(0.3, "missile-defence discount on N's coercive value (aon-bmd)", "Powell 2003", ge=0, lt=1)
    bmd_press: float = _f(1.0, "extra US pressure per unit e_BMD (Powell 'pressing harder')", "Powell 2003", ge=0)
    grit_relief: float = _f(0.1, "unilateral relief under GRIT before any step", "Osgood 1962", ge=0, le=1)
    kydd_c: float = _f(
        0.5, "Kydd cost of being exploited (threshold 0.5 with kydd_t)", "Kydd 2000/2005; estimate", ge=0
    )
    kydd_t: float = _f(0.5, "Kydd payoff from exploiting for a trustworthy US", "Kydd 2000/2005", ge=0, lt=1)
    rok_side: float = _f(0.1, "ROK side payment added to relief at stages >= 1 (sfs-rok)", "Moon's 2018 offers", ge=0)
    tau_rok: float = _f(0.6, "precision of ROK's monthly signal about N's type", "Kydd 2003, 2006", ge=0, le=1)
    rok_bias: float = _f(
        0.0, "ROK's war-averse bias: extra chance it reports 'security-seeker'", "Kydd 2006", ge=0, le=1
    )
    # --- Powell single-shift check (claim a) -------------------------------------------------------------------
    p_armed: float = _f(0.6, "US chance of prevailing against an armed N", "analyst estimate (Powell 2006)", ge=0, le=1)
    p_disarmed: float = _f(0.99, "US chance of prevailing against a disarmed N", "analyst estimate", ge=0, le=1)
    c_N_war: float = _f(2.0, "N's lump war cost (Powell c_D)", "analyst estimate", ge=0)
    c_U_war: float = _f(2.0, "US lump war cost (Powell c_R)", "analyst estimate", ge=0)

    @model_validator(mode="before")
    @classmethod
    def _default_R_for_other_K(cls, data: Any) -> Any:
        """With a D of another length and no R, stretch the default schedule over the new stages."""
        if isinstance(data, dict) and "D" in data and "R" not in data:
            D = data["D"]
            if isinstance(D, list) and len(D) >= 2 and len(D) != 6:
                x = np.linspace(0, 1, len(D))
                R0 = [0.0, 0.1, 0.25, 0.45, 0.7, 1.0]
                data = {**data, "R": [round(float(v), 6) for v in np.interp(x, np.linspace(0, 1, 6), R0)]}
        return data

    @model_validator(mode="after")
    def _check(self) -> StrategyParams:
        D, R = np.asarray(self.D, float), np.asarray(self.R, float)
        if len(D) < 2 or D[0] != 0 or abs(D[-1] - 1) > 1e-12 or np.any(np.diff(D) < 0):
            raise ValueError(f"D must rise from 0 to 1 over at least two stages; got {self.D}")
        if len(R) != len(D) or np.any(R < 0) or np.any(R > 1) or np.any(np.diff(R) < 0):
            raise ValueError(f"R must have {len(D)} non-decreasing entries in [0, 1]; got {self.R}")
        if self.t_E >= self.T:
            raise ValueError(f"t_E must lie before the horizon T={self.T}; got {self.t_E}")
        if self.prod_hi < self.prod_lo:
            raise ValueError(f"prod_hi must be >= prod_lo; got {self.prod_hi} < {self.prod_lo}")
        if self.small_stage >= len(D) - 1:
            object.__setattr__(self, "small_stage", max(1, len(D) - 2))
        return self

    @property
    def K(self) -> int:
        return len(self.D) - 1

    def with_(self, **overrides: Any) -> StrategyParams:
        """A validated copy with ``overrides`` (unknown names raise ParameterError)."""
        return from_dict({**self.model_dump(), **overrides}, where="`params`")

    @classmethod
    def table(cls) -> list[dict[str, Any]]:
        """Rows (name, default, range, meaning, source) for docs and ``detente strategy --format json``."""
        rows = []
        for name, f in cls.model_fields.items():
            lim = {type(m).__name__: getattr(m, type(m).__name__.lower(), None) for m in f.metadata}
            extra = f.json_schema_extra if isinstance(f.json_schema_extra, dict) else {}
            rows.append(
                {
                    "name": name,
                    "default": f.default,
                    "range": ", ".join(f"{k.lower()} {v}" for k, v in lim.items()) or "-",
                    "meaning": f.description,
                    "source": extra.get("source", ""),
                }
            )
        return rows


def _format_validation(e: ValidationError, prefix: str, file: str | None) -> ScenarioError:
    err = e.errors()[0]
    loc = ".".join(str(x) for x in err.get("loc", ()))
    sep = " " if prefix.startswith("`") else "."
    where = f"{prefix}{sep}{loc}" if loc else prefix
    value = err.get("input")
    msg = err.get("msg", "invalid value")
    if err.get("type") == "extra_forbidden":
        return ScenarioError(
            "unknown strategy parameter",
            file=file,
            where=where,
            value=loc,
            expected="one of " + ", ".join(StrategyParams.model_fields),
        )
    if not loc:  # a cross-field check: the message names the fields and values
        return ScenarioError(msg, file=file, where=where, has_value=False)
    return ScenarioError(msg, file=file, where=where, value=value, expected="a value in the documented range")


def from_dict(values: dict[str, Any], *, where: str = "strategy.params", file: str | None = None) -> StrategyParams:
    """Validated parameters from a flat dict; errors name the field, the value and the allowed range."""
    try:
        return StrategyParams(**values)
    except ValidationError as e:
        err = _format_validation(e, where, file)
        if where == "`params`":
            raise ParameterError(str(err)) from None
        raise err from None


def from_strategy_block(
    block: dict[str, Any] | None, *, file: str | None = None
) -> tuple[StrategyParams, dict[str, str]]:
    """Parameters and their sources from a scenario's ``strategy`` block (format in the module docstring)."""
    if block is None:
        return StrategyParams(), {}
    if not isinstance(block, dict):
        raise ScenarioError("must be a mapping", file=file, where="strategy", value=block, expected="{params, sources}")
    if "game" in block:  # a staged-disarmament block: the policy engine's values live under 'v1'
        return from_strategy_block(block.get("v1"), file=file)
    unknown = set(block) - {"params", "sources", "roles"}
    if unknown:
        raise ScenarioError(
            "unknown key", file=file, where="strategy", value=sorted(unknown)[0], expected="'params', 'sources' or 'roles'"
        )
    values = block.get("params") or {}
    sources = block.get("sources") or {}
    if not isinstance(values, dict):
        raise ScenarioError(
            "must be a mapping", file=file, where="strategy.params", value=values, expected="name: value"
        )
    if not isinstance(sources, dict) or not all(isinstance(v, str) for v in sources.values()):
        raise ScenarioError("must map names to text", file=file, where="strategy.sources", value=sources)
    for name in sources:
        if name not in StrategyParams.model_fields:
            raise ScenarioError(
                "source for an unknown parameter", file=file, where=f"strategy.sources.{name}", value=name
            )
    params = from_dict(dict(values), where="strategy.params", file=file)
    return params, {str(k): str(v) for k, v in sources.items()}


def from_scenario(scenario: Any) -> tuple[StrategyParams, dict[str, str]]:
    """Parameters from a :class:`detente.scenario.schema.Scenario`'s strategy block. A scenario that does not declare
    what the engine needs (:data:`detente.strategy.needs.POLICY_ENGINE`: the block, and which actors are the leader
    and the target) is refused with one :class:`ScenarioError`, never run on the defaults."""
    from detente.strategy.needs import POLICY_ENGINE

    block = POLICY_ENGINE.check(scenario)
    return from_strategy_block(block, file=getattr(scenario, "name", None))


def parse_overrides(params: StrategyParams, overrides: dict[str, Any]) -> StrategyParams:
    """Apply ``--param k=v`` overrides (ParameterError on unknown names or bad values)."""
    for k in overrides:
        if k not in StrategyParams.model_fields:
            raise ParameterError(
                f"`params` {k}: unknown strategy parameter; expected one of {', '.join(StrategyParams.model_fields)}"
            )
    return params.with_(**overrides)


class ParamBatch:
    """B parameter points as arrays: every scalar field becomes shape (B,), ``D`` and ``R`` shape (B, K+1).

    All points must share T, t_E, window and K (they set array shapes and the time grid).
    """

    SHAPE_FIELDS = ("T", "t_E", "window", "small_stage")

    def __init__(self, points: list[StrategyParams]) -> None:
        if not points:
            raise ParameterError("a parameter batch needs at least one point")
        first = points[0]
        for p in points[1:]:
            for f in self.SHAPE_FIELDS:
                if getattr(p, f) != getattr(first, f):
                    raise ParameterError(
                        f"all points of a sweep must share {f}; got {getattr(p, f)} and {getattr(first, f)}"
                    )
            if p.K != first.K:
                raise ParameterError(f"all points of a sweep must share K; got {p.K} and {first.K}")
        self.points = points
        self.B = len(points)
        self.K = first.K
        self.T, self.t_E, self.window, self.small_stage = first.T, first.t_E, first.window, first.small_stage
        self._arr: dict[str, np.ndarray] = {}
        for name in StrategyParams.model_fields:
            if name in self.SHAPE_FIELDS:
                continue
            self._arr[name] = np.array([getattr(p, name) for p in points], dtype=float)

    def __getattr__(self, name: str) -> np.ndarray:
        arr = self.__dict__.get("_arr", {})
        if name in arr:
            return arr[name]
        raise AttributeError(name)

    def col(self, name: str) -> np.ndarray:
        """A scalar parameter as a (B, 1) column for broadcasting against (B, N) path arrays."""
        return self._arr[name][:, None]
