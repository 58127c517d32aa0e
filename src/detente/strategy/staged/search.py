"""The president's best rule: a Stackelberg leader (von Stackelberg 1934) who commits to a rule from the family and
anticipates North Korea's quantal best response; his payoff U_P is an exact functional of the forward distribution.

Search: a factorial screen (first stage paid × first tranche × threat postures) plus the named presets, then
coordinate ascent from the best screened rules over every searchable dimension, each enumerated on its grid, until a
pass improves U_P by less than 1e-4 CVID-months. Deterministic: ties go to the lexicographically smallest code.
Reported: the best rule, U_P and its decomposition, the gap to the runner-up, the rules within 0.5 CVID-months of
the best (how flat the optimum is), and the best within named sub-families.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from detente.execution.runner import progress
from detente.strategy.staged.forward import Forward, forward
from detente.strategy.staged.game import SWEEP_GRID, Calendar, Grid, make_game
from detente.strategy.staged.rules import PRESETS, Phase, Rule

SEARCH_GRID: dict[str, tuple[Any, ...]] = {
    "k_min": (2, 3, 4, 5),
    "R1": (0.05, 0.15, 0.25, 0.35, 0.5),
    "rho_R": (0.5, 1.0, 2.0),
    "pay_on_start": (0, 1),
    "g": (0.0, 1 / 3, 1.0),
    "cover_SR": (0, 1),
    "theta_SR": (0, 1, 2),
    "theta_ST": (0, 1, 2),
    "x": (0, 1),
    "B": (0, 1),
    "m_G": (0, 1),
    "P_K": (0.0, 0.05, 0.1),
}
FLAT_EPS = 0.5
WITHIN: dict[str, Callable[[Phase], bool]] = {
    "all-or-nothing": lambda ph: ph.k_min == 5,
    "step-for-step": lambda ph: ph.k_min <= 4,
    "with added interceptors": lambda ph: ph.B == 1,
    "without added interceptors": lambda ph: ph.B == 0,
}


@dataclass
class Search:
    best: Rule
    value: float
    evaluated: dict[str, float]
    forwards: dict[str, Forward] = field(repr=False, default_factory=dict)
    passes: list[float] = field(default_factory=list)

    def ranked(self) -> list[tuple[str, float]]:
        return sorted(self.evaluated.items(), key=lambda kv: (-kv[1], kv[0]))

    def flat_set(self) -> list[str]:
        return [c for c, v in self.ranked() if v >= self.value - FLAT_EPS]

    def within(self, rules: dict[str, Phase]) -> dict[str, dict[str, Any]]:
        out = {}
        for name, pred in WITHIN.items():
            cands = [(c, v) for c, v in self.ranked() if pred(rules[c])]
            if cands:
                out[name] = {"rule": cands[0][0], "president_value": cands[0][1]}
        return out


def best_rule(
    overrides: dict[str, float] | None = None,
    *,
    grid: Grid | None = None,
    calendar: Calendar | None = None,
    dims: tuple[str, ...] | None = None,
    max_passes: int = 3,
    screen: list[Phase] | None = None,
    objective: Callable[[Forward], float] | None = None,
    values: dict[str, tuple[Any, ...]] | None = None,
    name: str = "president-best",
    meaning: str = "the president's best rule in the family",
) -> Search:
    """The rule that maximises ``objective`` (default the president's payoff): the screen, then coordinate ascent
    over ``dims``, each enumerated on ``values`` (default :data:`SEARCH_GRID`)."""
    grid = grid or SWEEP_GRID
    values = values or SEARCH_GRID
    dims = dims or tuple(values)
    obj = objective or (lambda fw: fw.value_P)
    cache: dict[str, float] = {}
    phases: dict[str, Phase] = {}
    fws: dict[str, Forward] = {}

    def value(ph: Phase) -> float:
        code = ph.code()
        if code not in cache:
            g = make_game(Rule("candidate", ph), overrides, grid=grid, calendar=calendar)
            fw = forward(g, light=True)
            cache[code] = obj(fw)
            phases[code] = ph
            fws[code] = fw
        return cache[code]

    if screen is None:
        screen = [
            dataclasses.replace(PRESETS["hanoi"].phase1, k_min=k, R1=r1, theta_SR=a, theta_ST=b, cover_SR=int(k < 5))
            for k in (2, 3, 5)
            for r1 in (0.15, 0.35)
            for a in (0, 2)
            for b in (0, 2)
        ]
        screen += [r.phase1 for r in PRESETS.values()]
    # the bar counts rules looked at against the most the search can look at (it stops early when a pass gains
    # nothing)
    most = len(screen) + (3 + 2 * len({ph.k_min for ph in screen})) * (1 + max_passes * sum(len(values[d]) for d in dims))
    passes: list[float] = []
    with progress(None, most, "rules searched") as advance:
        for ph in screen:
            value(ph)
            advance()
        # coordinate ascent from the three best screened rules and from the best screened rule of each other first
        # stage paid, each first with the first stage paid held (to convergence), then free: one coordinate move
        # cannot go from a first stage paid with its tranche and posture tuned to it to another whose best tranche
        # differs
        ranked = [c for c, _ in sorted(cache.items(), key=lambda kv: (-kv[1], kv[0]))]
        held = tuple(d for d in dims if d != "k_min")
        stages = (held, tuple(dims)) if held != tuple(dims) else (tuple(dims),)
        start_codes = ranked[:3]
        for k in sorted({phases[c].k_min for c in ranked}):
            top = next(c for c in ranked if phases[c].k_min == k)
            if top not in start_codes:
                start_codes.append(top)
        starts = [(phases[c], stages) for c in start_codes]
        for ph, stages in starts:
            cur, cur_v = ph, value(ph)
            advance()
            for order in stages:
                for _ in range(max_passes):
                    before = cur_v
                    for d in order:
                        for val in values[d]:
                            cand = dataclasses.replace(cur, **{d: val})
                            v = value(cand)
                            advance()
                            if v > cur_v + 1e-12 or (abs(v - cur_v) <= 1e-12 and cand.code() < cur.code()):
                                cur, cur_v = cand, v
                    passes.append(cur_v)
                    if cur_v - before < 1e-4:
                        break
    best_code = sorted(cache.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    s = Search(
        best=Rule(name, phases[best_code], meaning=meaning),
        value=cache[best_code],
        evaluated=dict(cache),
        forwards=fws,
        passes=passes,
    )
    s.phases = phases  # type: ignore[attr-defined]
    return s
