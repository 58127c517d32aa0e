"""Let Seoul lead: South Korea chooses the offer, under a US veto.

Kristian (2019) asks Washington to "leverage Seoul even more as negotiations proceed, letting them take the lead in
important areas", because Seoul, which "faces total devastation should open conflict resume", would pursue "a
patient, pragmatic diplomacy, which accepts gradual improvement, avoids unnecessary confrontation and seeks the
attainable goal of peace over the unlikely achievement of denuclearization". Here that is a rule in the family
(``lead = 1``) chosen by South Korea's payoff, not written in by hand:

* **What Seoul chooses** (the delegated dimensions): the first stage paid and the first tranche, the shape of later
  tranches, forgiveness, the threat levels against short-range and strategic tests, the exercises, and South
  Korea's own payments and the stage they start from. **What Washington keeps**: added interceptors, a unilateral
  US step, whether disarmament once agreed is paid, whether short-range tests breach — all held at the president's
  best rule — and a veto: the president accepts a Seoul-led rule r only if U_P(r) ≥ U_P(hanoi) − ν, ν ≥ 0 his
  deference (``nu_K``). If he vetoes every rule tried, the US keeps the lead.
* **What leading changes** (in :mod:`.kernel`): US force needs Seoul's consent (Moon Jae-in, 15 Aug 2017: "no one
  can decide on military action without the consent of South Korea"), so the strike part of the US exploitation
  hazard is scaled by 1 − ω_K (reneging on relief stays Washington's); and the North, which wants dialogue
  "strictly between the DPRK and the [United States], not between the North and the South" (its statement quoted by
  Kristian 2019), counts South Korean payments made through a Seoul-led process at a share ϑ_K of their value.
* **South Korea's payoff** per month (the president's units, months of complete disarmament):
  u_K = ρ_K·d(stage) + e_K·1[agreement in force] − k_P·P_K·1[paid] − w_CK·1[crisis] − w_TK·1[test month], and
  −W_K at war, discounted like the president's. Its weights are the article's premises (``priors``, scope
  ``seoul-led``): a lower weight on denuclearisation than the president's, a value of partial agreements, a loss
  from war far above his.

The search is the president's Stackelberg search (:mod:`.search`: a screen, then coordinate ascent) with South
Korea's payoff as the objective over the delegated dimensions, every candidate led by Seoul, and the veto as a
constraint: a vetoed rule scores below every accepted one, whatever its value to Seoul.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from detente.strategy.staged.rules import PRESETS, Phase, Rule

if TYPE_CHECKING:
    from detente.strategy.staged.forward import Forward
    from detente.strategy.staged.game import Calendar, Game, Grid
    from detente.strategy.staged.kernel import Kernel
    from detente.strategy.staged.search import Search

DELEGATED = ("k_min", "R1", "rho_R", "g", "theta_SR", "theta_ST", "x", "P_K", "k_K")
KEPT_BY_US = ("pay_on_start", "cover_SR", "B", "m_G")
SEOUL_VALUES: dict[str, tuple[Any, ...]] = {
    "k_min": (2, 3, 4, 5),
    "R1": (0.05, 0.15, 0.25, 0.35, 0.5),
    "rho_R": (0.5, 1.0, 2.0),
    "g": (0.0, 1 / 3, 1.0),
    "theta_SR": (0, 1, 2),
    "theta_ST": (0, 1, 2),
    "x": (0, 1),
    "P_K": (0.0, 0.05, 0.1),
    "k_K": (1, 2),
}
VETOED = -1e9  # a vetoed rule's score sits below every accepted one (plus its U_P, to steer toward acceptance)


def flow_K(k: Kernel, p: dict[str, float]) -> dict[str, np.ndarray]:
    """South Korea's expected flow payoff of each kernel row, by component (the war lump included)."""
    from detente.strategy.staged.forward import indicators

    f = k.f
    ind = indicators(k)
    return {
        "disarmament reached": p["rho_K"] * f["d"],
        "agreement in force": p["e_K"] * ind["agreement"],
        "payments": -p["k_P"] * f["P_K"] * f["k_pay"],
        "crises": -p["w_CK"] * f["p_crisis"],
        "tests": -p["w_TK"] * (f["y"] >= 1),
        "war": -p["W_K"] * f["p_war"],
    }


def wants_K(game: Game) -> bool:
    """Whether the forward equation computes South Korea's payoff: when it leads, or when asked."""
    r = game.rule
    return bool(game.with_K or r.phase1.lead or (r.phase2 is not None and r.phase2.lead))


def seoul_phase(president: Phase, **delegated: Any) -> Phase:
    """A Seoul-led phase: the president's phase with South Korea leading and the given delegated dimensions."""
    bad = set(delegated) - set(DELEGATED)
    if bad:
        raise ValueError(f"not delegated to Seoul: {sorted(bad)}")
    return dataclasses.replace(president, lead=1, **delegated)


def default_screen(president: Phase) -> list[Phase]:
    """First stage paid x first tranche x threat postures, the president's own offer and every named rule's
    delegated dimensions, all led by Seoul with Washington's dimensions at the president's."""
    out = [
        seoul_phase(president, k_min=k, R1=r1, theta_SR=a, theta_ST=b)
        for k in (2, 3, 5)
        for r1 in (0.15, 0.35)
        for a in (0, 2)
        for b in (0, 2)
    ]
    out.append(seoul_phase(president))
    for r in PRESETS.values():
        out.append(seoul_phase(president, **{d: getattr(r.phase1, d) for d in DELEGATED}))
    return out


@dataclass
class SeoulSearch:
    best: Rule
    led: bool  # False when Washington vetoed every Seoul-led rule tried (the president's rule stays)
    value_K: float
    value_P: float
    hanoi_P: float
    deference: float
    floor: float
    favourite: str  # the rule Seoul likes best among those evaluated, veto ignored
    favourite_vetoed: bool
    evaluated: dict[str, tuple[float, float]]  # code -> (U_K, U_P)
    search: Search = field(repr=False)

    def accepted(self, code: str) -> bool:
        return self.evaluated[code][1] >= self.floor

    def to_dict(self) -> dict[str, Any]:
        fav_K, fav_P = self.evaluated[self.favourite]
        return {
            "rule": self.best.code(),
            "seoul_leads": self.led,
            "south_korea_value": self.value_K,
            "president_value": self.value_P,
            "president_value_of_hanoi": self.hanoi_P,
            "us_deference": "unlimited" if math.isinf(self.deference) else self.deference,
            "veto_floor": "none" if math.isinf(self.floor) else self.floor,
            "rules_evaluated": len(self.evaluated),
            "rules_vetoed": sum(not self.accepted(c) for c in self.evaluated),
            "seoul_favourite_ignoring_the_veto": {
                "rule": self.favourite, "south_korea_value": fav_K, "president_value": fav_P,
                "vetoed": self.favourite_vetoed,
            },
            "delegated_to_seoul": list(DELEGATED),
            "kept_by_washington": list(KEPT_BY_US),
        }


def seoul_best(
    overrides: dict[str, float] | None = None,
    *,
    president: Phase,
    deference: float | None = None,
    grid: Grid | None = None,
    calendar: Calendar | None = None,
    dims: tuple[str, ...] | None = None,
    screen: list[Phase] | None = None,
    max_passes: int = 3,
    objective_K: Callable[[Forward], float] | None = None,
) -> SeoulSearch:
    """South Korea's best rule under the US veto, with Washington's dimensions at ``president`` (his best phase).

    ``deference`` is ν (None: the parameter ``nu_K``; ``math.inf``: full delegation). ``objective_K`` replaces South
    Korea's payoff (a test hook: with the president's payoff Seoul chooses as he would)."""
    from detente.strategy.staged.forward import forward
    from detente.strategy.staged.game import SWEEP_GRID, make_game
    from detente.strategy.staged.priors import central
    from detente.strategy.staged.search import best_rule

    grid = grid or SWEEP_GRID
    p = {**central(), **(overrides or {})}
    nu = float(p["nu_K"] if deference is None else deference)
    if not nu >= 0:
        raise ValueError(f"US deference {nu!r}: expected a number >= 0 (or inf)")
    president = dataclasses.replace(president, lead=0)
    hanoi_P = forward(make_game(PRESETS["hanoi"], overrides, grid=grid, calendar=calendar), light=True).value_P
    floor = hanoi_P - nu
    seen: dict[str, tuple[float, float]] = {}

    def score(fw: Forward) -> float:
        uk = float(objective_K(fw) if objective_K is not None else fw.value_K)  # type: ignore[arg-type]
        return uk if fw.value_P >= floor else VETOED + fw.value_P

    s = best_rule(
        overrides,
        grid=grid,
        calendar=calendar,
        dims=dims or DELEGATED,
        max_passes=max_passes,
        screen=screen or default_screen(president),
        objective=score,
        values=SEOUL_VALUES,
        name="seoul-led",
        meaning="South Korea's best rule under the US veto",
    )
    for code, fw in s.forwards.items():
        uk = float(objective_K(fw) if objective_K is not None else fw.value_K)  # type: ignore[arg-type]
        seen[code] = (uk, fw.value_P)
    fav = sorted(seen.items(), key=lambda kv: (-kv[1][0], kv[0]))[0][0]
    code = s.best.code()
    led = seen[code][1] >= floor
    if led:
        best = s.best
    else:
        best = Rule("seoul-led", president, meaning="Washington vetoed every Seoul-led rule tried; the US leads")
    out = SeoulSearch(
        best=best,
        led=led,
        value_K=seen[code][0] if led else math.nan,
        value_P=seen[code][1] if led else math.nan,
        hanoi_P=hanoi_P,
        deference=nu,
        floor=floor,
        favourite=fav,
        favourite_vetoed=seen[fav][1] < floor,
        evaluated=seen,
        search=s,
    )
    if not led:  # Seoul's and the president's payoffs under the president's rule
        g = make_game(Rule("seoul-led", president), overrides, grid=grid, calendar=calendar)
        g.with_K = True
        fw = forward(g, light=True)
        out.value_K = float(objective_K(fw) if objective_K is not None else fw.value_K)  # type: ignore[arg-type]
        out.value_P = fw.value_P
    return out


__all__ = ["DELEGATED", "KEPT_BY_US", "SEOUL_VALUES", "SeoulSearch", "default_screen", "flow_K", "seoul_best",
           "seoul_phase", "wants_K"]
