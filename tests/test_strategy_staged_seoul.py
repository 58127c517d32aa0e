"""The Seoul-led rule: South Korea chooses the delegated dimensions of the offer by its own payoff, under a US veto
(docs/strategy.md, "Let Seoul lead")."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from detente.strategy.staged.forward import forward
from detente.strategy.staged.game import Grid, make_game
from detente.strategy.staged.rules import PRESETS, Rule, phase_from_code
from detente.strategy.staged.search import best_rule
from detente.strategy.staged.seoul import DELEGATED, SEOUL_VALUES, default_screen, seoul_best, seoul_phase

GRID = Grid(4, 1, 4)
US = PRESETS["sfs-freeze"].phase1
DIMS = ("k_min", "R1", "x", "P_K")  # a reduced search keeps the tests quick
NEUTRAL = {"omega_K": 0.0, "theta_K": 1.0}  # leading changes nothing but who chooses


def _fw(phase, overrides=None, with_K=False):
    g = make_game(Rule("r", phase), overrides, grid=GRID)
    g.with_K = with_K
    return g, forward(g, 81)


def test_code_round_trips_with_the_lead():
    ph = seoul_phase(US, P_K=0.05, k_K=1)
    assert ph.code().endswith(" LK") and phase_from_code(ph.code()) == ph
    assert phase_from_code(US.code()) == US and not US.code().endswith("LK")


def test_leading_acts_only_through_consent_to_force_and_the_north_discount():
    """With no consent effect and no discount, a Seoul-led rule is the same game as the US-led one."""
    ph = dataclasses.replace(US, P_K=0.1, k_K=1)
    _, f0 = _fw(ph, NEUTRAL)
    _, f1 = _fw(dataclasses.replace(ph, lead=1), NEUTRAL)
    for name in ("reached", "war", "regime_change", "crisis_ever", "status", "value_N"):
        assert np.array_equal(getattr(f0, name), getattr(f1, name)), name
    assert f0.value_P == f1.value_P
    assert f0.value_K is None and f1.value_K is not None and math.isfinite(f1.value_K)


def test_a_full_discount_makes_south_korean_payments_worthless_to_the_north():
    lead = dataclasses.replace(US, lead=1, k_K=1)
    g0, f0 = _fw(dataclasses.replace(lead, P_K=0.0), {"theta_K": 0.0})
    g1, f1 = _fw(dataclasses.replace(lead, P_K=0.15), {"theta_K": 0.0})
    assert np.allclose(g0.V, g1.V, atol=1e-12, rtol=0)
    assert np.allclose(f0.reached, f1.reached, atol=1e-12, rtol=0)
    # ... but South Korea still pays for them
    assert f1.value_K < f0.value_K - 1e-6
    # while a US-led process's payments are worth something to the North and move its choices
    _, u0 = _fw(dataclasses.replace(US, P_K=0.0, k_K=1))
    _, u1 = _fw(dataclasses.replace(US, P_K=0.15, k_K=1))
    assert np.all(u1.value_N > u0.value_N + 0.1)
    assert np.abs(u1.reached - u0.reached).max() > 1e-4


def test_seouls_consent_lowers_only_the_strike_hazard():
    g0, _ = _fw(US)
    g1, _ = _fw(dataclasses.replace(US, lead=1), {"omega_K": 0.5})
    k0, k1 = g0.kernel(5), g1.kernel(5)
    assert np.all(k1.f["p_strike_war"] <= k0.f["p_strike_war"] + 1e-15)
    assert np.any(k1.f["p_strike_war"] < 0.9 * k0.f["p_strike_war"])


@pytest.fixture(scope="module")
def president_choice():
    scr = [dataclasses.replace(ph, lead=0) for ph in default_screen(US)]
    return best_rule(None, grid=GRID, dims=DIMS, values=SEOUL_VALUES, screen=scr, max_passes=1)


def test_seoul_chooses_differently_where_its_payoff_differs(president_choice):
    sk = seoul_best(president=US, deference=math.inf, grid=GRID, dims=DIMS, max_passes=1)
    p_best, k_best = president_choice.best.phase1, sk.best.phase1
    assert sk.led and k_best.lead == 1
    assert any(getattr(p_best, d) != getattr(k_best, d) for d in DELEGATED)
    # each chooses what is better for itself
    _, fp = _fw(p_best, with_K=True)
    assert sk.value_K > fp.value_K + 0.1
    assert president_choice.value > sk.value_P + 0.1
    # Washington's dimensions stay the president's
    assert (k_best.B, k_best.m_G, k_best.cover_SR, k_best.pay_on_start) == (US.B, US.m_G, US.cover_SR,
                                                                            US.pay_on_start)


def test_with_the_presidents_payoff_seoul_chooses_as_he_does(president_choice):
    """u_K = U_P, leading changes nothing else, full delegation: the same search returns the president's rule."""
    sk = seoul_best(NEUTRAL, president=US, deference=math.inf, grid=GRID, dims=DIMS, max_passes=1,
                    objective_K=lambda fw: fw.value_P)
    pc = best_rule(NEUTRAL, grid=GRID, dims=DIMS, values=SEOUL_VALUES,
                   screen=[dataclasses.replace(ph, lead=0) for ph in default_screen(US)], max_passes=1)
    assert dataclasses.replace(sk.best.phase1, lead=0) == pc.best.phase1
    assert sk.value_P == pytest.approx(pc.value, abs=1e-9)


def test_the_veto_binds_and_deference_brackets_the_result():
    """A Seoul that wants what hurts the president: its favourite is vetoed at no deference and never returned;
    full delegation returns it; the choice at a middle deference lies between the two."""
    hostile = lambda fw: -fw.value_P  # noqa: E731
    kw = dict(president=US, grid=GRID, dims=DIMS, max_passes=1, objective_K=hostile)
    s0 = seoul_best(deference=0.0, **kw)
    sinf = seoul_best(deference=math.inf, **kw)
    smid = seoul_best(deference=3.0, **kw)
    assert s0.favourite_vetoed and s0.favourite != s0.best.code()
    assert s0.value_P >= s0.hanoi_P - 1e-12
    for uk, up in s0.evaluated.values():  # every rule Seoul prefers to its choice was vetoed
        if uk > s0.value_K:
            assert up < s0.floor
    assert not sinf.favourite_vetoed and sinf.best.code() == sinf.favourite
    assert s0.value_K <= smid.value_K <= sinf.value_K
    assert s0.value_P >= smid.value_P >= sinf.value_P
    assert smid.value_P >= smid.hanoi_P - 3.0 - 1e-12


def test_if_washington_vetoes_everything_the_us_leads():
    """All-or-nothing with explicit threats (worth far less to the president than the Hanoi offer) is the only
    offer Seoul may vary, and only in its payments: every variant is vetoed at no deference."""
    sk = seoul_best(president=US, deference=0.0, grid=GRID, dims=("P_K",), max_passes=1,
                    screen=[seoul_phase(US, k_min=5, theta_SR=2, theta_ST=2)])
    assert not sk.led and all(up < sk.floor for _, up in sk.evaluated.values())
    assert sk.best.phase1.lead == 0 and sk.best.phase1 == US
    _, fw = _fw(US, with_K=True)
    assert sk.value_P == pytest.approx(fw.value_P, abs=1e-9) and sk.value_K == pytest.approx(fw.value_K, abs=1e-9)


# ---------------------------------------------------------------------------------------------------- command line
def _cli(*args):
    from typer.testing import CliRunner

    import detente.cli.strategy  # noqa: F401 - registers the commands
    from detente.cli.app import app

    return CliRunner().invoke(app, ["strategy", "korea-2019", "--grid", "4,1,4", "--paths", "50", *args])


@pytest.mark.parametrize("args, says", [(["--deference", "2"], "--seoul-led"),
                                        (["--seoul-led", "--deference", "-1"], "--deference"),
                                        (["--seoul-led", "--deference", "lots"], "--deference")])
def test_bad_deference_is_one_line_exit_2(args, says):
    r = _cli(*args)
    assert r.exit_code == 2 and says in r.output and "Traceback" not in r.output


@pytest.mark.slow
def test_cli_seoul_led_beside_the_presidents_best_same_bytes():
    import json

    args = ("--rule", "hanoi", "--seoul-led", "--deference", "inf", "--format", "json")
    r1, r2 = _cli(*args), _cli(*args)
    assert r1.exit_code == 0, r1.output
    assert r1.stdout == r2.stdout
    doc = json.loads(r1.stdout)
    names = [r["name"] for r in doc["rules"]]
    assert names == ["hanoi", "president-best", "seoul-led"]
    k = doc["seoul_led_search"]
    assert k["us_deference"] == "unlimited" and k["veto_floor"] == "none"
    by = {r["name"]: r for r in doc["rules"]}
    assert by["seoul-led"]["code"] == k["rule"] and by["seoul-led"]["code"].endswith(" LK")
    assert all("south_korea_value" in r for r in doc["rules"])
    assert by["seoul-led"]["south_korea_value"] >= by["president-best"]["south_korea_value"] - 1e-9


# ---------------------------------------------------------------------------------------------------- claims
def test_claims_seoul_choice_respects_the_veto_and_only_seoul_claims_draw_its_parameters():
    from detente.claims import claims_of
    from detente.claims.evaluate import Evaluator, Plan, base_params, varied
    from detente.claims.rules import candidates, expand
    from detente.scenario.io import load
    from detente.strategy.staged.engine import calendar_from_block
    from detente.strategy.staged.priors import BY_NAME, SEOUL

    korea = load("korea-2019")
    cl = {c.id: c for c in claims_of(korea)}
    seoul_names = {p for p, v in BY_NAME.items() if v.scope == SEOUL}
    assert seoul_names <= set(varied(cl["b"]))
    for cid in "acdef":
        assert not seoul_names & set(varied(cl[cid])), cid
    c = cl["b"]
    cal = calendar_from_block(korea.strategy)
    plan = Plan(c, cal, GRID, tuple(varied(c)), 81)
    for nu in (0.0, 1e9):
        p = {**base_params(c), "nu_K": nu, "c_XP": 0.2, "c_R": 1.0}
        ev = Evaluator(plan, p)
        ref = expand(c.rules["seoul-led"], c.rules)
        cands = candidates(ref, c.rules)
        assert all(r.phase1.lead == 1 for r in cands)
        chosen = ev.seoul_choice(ref, cands)
        hanoi = ev.solve(PRESETS["hanoi"], {})[0].value_P
        sols = {r.code(): ev.solve(r, {})[0] for r in cands}
        ok = {k: fw for k, fw in sols.items() if fw.value_P >= hanoi - nu}
        if ok:
            assert chosen.code() in ok
            assert sols[chosen.code()].value_K == max(fw.value_K for fw in ok.values())
        else:
            assert chosen.phase1.lead == 0
