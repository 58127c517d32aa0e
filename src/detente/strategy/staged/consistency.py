"""Is the president's committed rule time-consistent (Kydland & Prescott 1977)?

At a month t, start from the exact distribution over North Korea's types and states under the committed rule
(conditioned on no war), and ask whether the president would now prefer another rule, adopted as an unexpected and
permanent change to which North Korea best-responds from t on. North Korea does not anticipate such re-optimisation:
this is a diagnostic of the commitment, not an equilibrium.
"""

from __future__ import annotations

from typing import Any

from detente.strategy.staged.forward import forward, state_at
from detente.strategy.staged.game import SWEEP_GRID, Calendar, Grid, make_game
from detente.strategy.staged.rules import Rule


def check(rule: Rule, candidates: list[Rule], months: tuple[int, ...] = (6, 12, 18), *,
          overrides: dict[str, float] | None = None, grid: Grid | None = None,
          calendar: Calendar | None = None) -> list[dict[str, Any]]:
    grid = grid or SWEEP_GRID
    committed = make_game(rule, overrides, grid=grid, calendar=calendar)
    out = []
    for t in months:
        mu_t = state_at(committed, t)
        values = {}
        for cand in [rule, *candidates]:
            g = make_game(cand, overrides, grid=grid, calendar=calendar)
            values[cand.name] = forward(g, start=t, mu_start=mu_t, light=True).value_P
        best = max(values, key=lambda n: (values[n], n == rule.name))
        out.append({"month": committed.calendar.label(t), "committed_value": values[rule.name],
                    "best_switch": best, "gain": values[best] - values[rule.name],
                    "would_switch": best != rule.name and values[best] > values[rule.name] + 1e-9,
                    "values": values})
    return out
