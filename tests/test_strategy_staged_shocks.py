"""Dated shocks nobody foresaw: North Korea's programme is solved without an unanticipated shock until its month,
then re-solved with the shock in force from the state reached; an anticipated shock is priced from month 0. The
forward equation and the Monte Carlo read the same spliced choice probabilities."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import detente
from detente.errors import ScenarioError
from detente.strategy.staged.engine import GAME, calendar_from_block
from detente.strategy.staged.forward import forward
from detente.strategy.staged.game import Calendar, Grid, make_game
from detente.strategy.staged.montecarlo import simulate
from detente.strategy.staged.rules import PRESETS

SMALL = Grid(n_v=4, n_tau=2, n_lam=4)
# a border closure that changes testing a lot, so that foreseeing it matters
STRONG = {"kappa_cov": 1.5, "c_cov": 0.8}
COVID = Calendar().covid


def _games(rule: str, **over: float) -> tuple:
    ov = {**STRONG, **over}
    surprise = make_game(PRESETS[rule], ov, grid=SMALL, calendar=Calendar(unanticipated=("covid",))).solve()
    without = make_game(PRESETS[rule], ov, grid=SMALL, calendar=Calendar(covid=None, unanticipated=())).solve()
    foreseen = make_game(PRESETS[rule], ov, grid=SMALL, calendar=Calendar(unanticipated=())).solve()
    return surprise, without, foreseen


@pytest.mark.parametrize("rule", ["hanoi", "sfs-freeze"])
def test_unanticipated_shock_leaves_every_earlier_choice_unchanged(rule):
    surprise, without, foreseen = _games(rule)
    assert COVID is not None
    for t in range(COVID):  # bit for bit the programme without the shock
        assert np.array_equal(surprise.policy(t), without.policy(t)), t
        assert np.array_equal(surprise.V_believed[t], without.V[t]), t
    for t in range(COVID, surprise.calendar.horizon):  # from the shock on: the game with the shock in force
        assert np.array_equal(surprise.policy(t), foreseen.policy(t)), t
        assert np.max(np.abs(surprise.policy(t) - without.policy(t))) > 0.05, t
    # an anticipated shock moves the choices before it
    assert np.max(np.abs(foreseen.policy(0) - without.policy(0))) > 1e-3
    assert np.max(np.abs(foreseen.policy(COVID - 1) - without.policy(COVID - 1))) > 1e-2


def test_surprise_moves_the_test_forecast_only_from_its_month():
    surprise, without, foreseen = _games("hanoi")
    a, b, c = (forward(g).test_month for g in (surprise, without, foreseen))
    assert np.array_equal(a[:COVID], b[:COVID])
    assert np.max(np.abs(c[:COVID] - b[:COVID])) > 1e-3  # anticipation changes the months before
    assert a[COVID] - b[COVID] > 0.05  # the closure raises the value of testing (kappa_cov > 0 here)


def test_monte_carlo_realises_the_spliced_value():
    """The Monte Carlo's mean discounted payoff (choice shocks and lumps included) matches the value realised under
    the spliced choices, V, not the value the North expected before the shock, V_believed."""
    surprise, _, _ = _games("hanoi")
    paths = simulate(surprise, 40_000, seed=5)
    n = paths.type_count
    mean = paths.value_N / n
    se = np.sqrt(np.maximum(paths.value_N2 / n - mean**2, 0) / n)
    w = surprise.types.weight
    realised = float(w @ mean)
    se_all = float(np.sqrt((w**2) @ se**2))
    V = float(w @ surprise.V[0, surprise.s0])
    V_b = float(w @ surprise.V_believed[0, surprise.s0])
    assert abs(realised - V) < 4 * se_all
    assert abs(V - V_b) > 8 * se_all  # the surprise is large enough for the check to tell them apart
    fw = forward(surprise)
    exact = fw.mu_last  # (states, types) at the horizon: the occupancy after the surprise matches the forward pass
    T = surprise.calendar.horizon
    end = paths.occupancy[T] / paths.n
    big = exact.sum(axis=1) > 0.02
    assert np.all(np.abs(end[big] - exact.sum(axis=1)[big]) < 4 * np.sqrt(exact.sum(axis=1)[big] / paths.n))


def test_korea_scenario_declares_the_border_closure_a_surprise():
    block = detente.load("korea-2019").strategy
    cal = calendar_from_block(block)
    assert "covid" in cal.unanticipated and "leak_switch" not in cal.unanticipated
    assert cal.surprises() == [cal.covid]
    closure = next(s for s in block["shocks"] if s["name"] == "border-closure")
    assert closure["anticipated"] is False and "31 Dec 2019" in closure["anticipation"]


def test_a_shock_must_say_whether_it_was_foreseeable():
    block = {"game": GAME, "calendar": {"start": "2019-03"}, "shocks": [{"name": "bolton", "month": "2019-09"}]}
    with pytest.raises(ScenarioError, match=r"strategy\.shocks\[0\]\.anticipated: .*must say whether it was foreseeable"):
        calendar_from_block(block)
    block["shocks"][0]["anticipated"] = "maybe"
    with pytest.raises(ScenarioError, match=r"strategy\.shocks\[0\]\.anticipated"):
        calendar_from_block(block)
    block["shocks"][0]["anticipated"] = True
    assert calendar_from_block(block).unanticipated == ()


def test_surprise_after_a_late_origin_is_already_known():
    """Solved from a state at a month after the shock (the time-consistency check), the shock is in force and
    nothing is spliced."""
    cal = Calendar(unanticipated=("covid",))
    assert cal.surprises(t0=COVID) == [] and cal.surprises(t0=0) == [COVID]
    assert cal.foreseen(COVID).covid == COVID and cal.foreseen(COVID - 1).covid is None
    assert dataclasses.replace(cal, covid=None).surprises() == []


def test_the_calendar_known_later_keeps_a_past_surprise_a_surprise():
    cal = Calendar(unanticipated=("covid",))
    later = cal.foreseen(COVID)
    assert later.unanticipated == ("covid",) and later.surprises() == [COVID]
    earlier = cal.foreseen(COVID - 1)
    assert earlier.covid is None and earlier.surprises() == []
    # the game on the calendar known before the shock makes the same choices before it, bit for bit
    g = make_game(PRESETS["hanoi"], STRONG, grid=SMALL, calendar=cal).solve()
    h = make_game(PRESETS["hanoi"], STRONG, grid=SMALL, calendar=earlier).solve()
    for t in range(COVID):
        assert np.array_equal(g.policy(t), h.policy(t))
