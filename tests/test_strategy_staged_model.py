"""The staged-disarmament game's structure: calendar and baseline (E7), frozen is not stalled (E10), a pooling
unilateral step is no evidence (E12), war and a strike on a disarmed North are separate (E18), the parameter
registry (E15) and the one-line errors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import detente
from detente.errors import ParameterError, ScenarioError
from detente.strategy.staged import priors
from detente.strategy.staged.engine import calendar_from_block
from detente.strategy.staged.forward import STATUS, forward
from detente.strategy.staged.game import Grid, make_game
from detente.strategy.staged.rules import PRESETS, Phase, Rule
from detente.strategy.staged.space import CVID_STARTED

SMALL = Grid(n_v=4, n_tau=2, n_lam=4)


def test_e7_calendar_and_baseline():
    cal = calendar_from_block(detente.load("korea-2019").strategy)
    assert cal.label(0) == "2019-03"
    assert cal.label(cal.election) == "2020-11" and cal.label(cal.inauguration) == "2021-01"
    assert (cal.covid, cal.bolton, cal.leak_switch) == (11, 6, 10)
    g = make_game(PRESETS["hanoi"], grid=SMALL, calendar=cal)
    j, r, i, nx, a = (c[g.s0] for c in g.space.components)
    assert (j, r, i, nx, a) == (1, 0, 0, 0, 0)  # moratorium, no relief paid, baseline exposure, incumbent
    assert g.rule.phase1.k_min == 5 and g.rule.phase1.x == 0 and g.rule.phase1.B == 0
    # the dated shocks change the inputs exactly in their months
    assert g.c_R(5) > g.c_R(6) or g.params["varpi_B"] == 0
    assert g.bite(10) == g.bite(9) * 0 + g.bite(10) and g.bite(11) < g.bite(10)


def test_e10_frozen_is_not_stalled():
    """Under a rule that pays for a freeze, a North at the freeze is 'agreement in force'; with no value in testing
    (τ → −∞ for every type) it never tests."""
    g = make_game(PRESETS["sfs-freeze"], {"mu_tau": -4.0, "kappa_cov": 0.0}, grid=SMALL)
    g.params["mu_tau"] = -4.0
    fw = forward(g)
    assert fw.test_month.max() < 1e-4
    k = g.kernel(3)
    from detente.strategy.staged.forward import indicators

    ind = indicators(k)
    freeze_hold = (k.f["j"] == 2) & (k.f["jp"] == 2) & (k.f["r"] == 0) & (k.f["y"] == 0) & (k.f["a"] == 0)
    assert freeze_hold.any() and np.all(ind["agreement"][freeze_hold] == 1) and np.all(ind["stalled"][freeze_hold] == 0)
    assert fw.status[:, STATUS.index("agreement in force")].max() > 0.05


def test_e12_unilateral_step_is_no_evidence():
    """With no hands-tying and no direct value, 'grit' equals 'sfs-freeze' on every metric (to 1e-12)."""
    ov = {"omega_G": 0.0, "phi_G": 0.0, "c_G": 0.0}
    a = forward(make_game(PRESETS["grit"], ov, grid=SMALL), 40)
    b = forward(make_game(PRESETS["sfs-freeze"], ov, grid=SMALL), 40)
    for name in ("reached", "war", "regime_change", "crisis_ever", "test_month", "status", "arsenal_mean"):
        assert np.max(np.abs(getattr(a, name) - getattr(b, name))) < 1e-12, name
    assert abs(a.value_P - b.value_P) < 1e-9
    # and the step does not enter the belief: the kernels' belief moves are identical
    ka = make_game(PRESETS["grit"], ov, grid=SMALL).kernel(0)
    kb = make_game(PRESETS["sfs-freeze"], ov, grid=SMALL).kernel(0)
    assert (ka.P != kb.P).nnz == 0


def test_e18_war_and_strike_are_separate():
    tiny = {"p60": 1e-6}
    fw = forward(make_game(PRESETS["sfs-freeze"], tiny, grid=SMALL), 81)
    assert fw.regime_change[80] < 1e-6 and fw.war[80] > 1e-4  # war only through crises
    calm = {"p_cb": 0.002, "p_c0_1": 0.005, "p_c0_2": 0.05, "pi_ult": 0.05, "rho_U": 1.0}
    quiet = Rule("no-threats", dataclasses.replace(PRESETS["sfs-freeze"].phase1, theta_SR=0, theta_ST=0))
    g = make_game(quiet, calm, grid=SMALL)
    g.successor = Rule("no-threats", dataclasses.replace(g.successor.phase1, theta_ST=0))
    g.params.update({"p_cb": 0.0, "p_c0_1": 0.0, "p_c0_2": 0.0, "pi_ult": 0.0})
    fw2 = forward(g, 81)
    assert fw2.crisis_ever[80] < 1e-9
    assert fw2.war[80] > 0  # from strikes on a North that can still retaliate


def test_e15_registry():
    block = detente.load("korea-2019").strategy
    scen_ids = {s.id for s in detente.load("korea-2019").sources} | {r["id"] for r in block["references"]}
    for p in priors.REGISTRY:
        assert p.label and p.unit and p.prior and p.kind in priors.KINDS and p.supports, p.name
        lo, hi = p.bounds
        assert lo <= p.central <= hi, p.name
        if p.kind == "source":
            assert p.sources and set(p.sources) <= scen_ids, p.name
        for sid in p.sources:
            assert sid in scen_ids, (p.name, sid)


def test_beta_priors_match_their_stated_quantiles():
    d = priors.BY_NAME["q0"].dist
    assert abs(d.mean() - 0.45) < 1e-9
    assert abs(d.ppf(0.05) - 0.33) < 0.03 and abs(d.ppf(0.95) - 0.57) < 0.03


@pytest.mark.parametrize("bad", [{"p60": float("inf")}, {"p60": 1.5}, {"nope": 1}, {"q0": "x"}])
def test_bad_parameters_are_one_error(bad):
    with pytest.raises(ParameterError) as e:
        priors.check(bad)
    assert "\n" not in str(e.value)


def test_scenario_without_game_is_refused():
    from detente.strategy.staged.engine import run

    s = detente.load("emission-standards-1994")
    with pytest.raises(ScenarioError, match="staged-disarmament"):
        run(s, ["hanoi"], paths=10)


def test_rule_schedule():
    sfs = PRESETS["sfs-freeze"].phase1.schedule(0.5)
    assert sfs[0] == sfs[1] == 0 and abs(sfs[2] - 0.15) < 1e-12 and sfs[6] == 1
    assert np.all(np.diff(sfs[1:]) >= 0)
    aon = PRESETS["hanoi"].phase1.schedule(0.5)
    assert np.all(aon[:6] == 0) and aon[6] == 1
    two = Rule("two", PRESETS["hanoi"].phase1, t_w=12, phase2=dataclasses.replace(PRESETS["hanoi"].phase1, k_min=2))
    assert two.at(11).k_min == 5 and two.at(12).k_min == 2


def test_e9_no_type_is_barred():
    """For every point of the default type grid there are parameters inside the prior's support under which the
    North starts complete disarmament by November 2025 with probability above 0.5 under some rule: here one point
    favourable to a deal (little fear of exploitation or of regime change, cheap relief of a large bite, little
    value in testing, moderate choice noise) and two rules that pay mostly for complete disarmament."""
    fav = {"p60": 0.01, "X_RC": 60.0, "X_W": 60.0, "m_v": 0.2, "sigma_v": 0.3, "a_s": 4.0, "leak_2019": 0.05,
           "leak_inf": 0.2, "c_cov": 0.3, "c_cov_inf": 0.0, "L5": 12.0, "delta_N": 0.995, "sigma_N": 0.1,
           "mu_tau": -3.0, "sigma_tau": 0.1, "c_m": 0.3, "alpha_psi": 0.5, "p_ex": 0.01, "D4": 0.25,
           "sigma_UN": 0.9, "pi_C": 0.9, "eta": 0.9}
    assert priors.check(fav) == fav  # every value inside its prior's support
    gen = dict(g=1.0, theta_ST=0, m_G=1, P_K=0.15, k_K=1)
    rules = [Rule("back-loaded", Phase(k_min=4, R1=0.0, rho_R=3.0, pay_on_start=1, **gen)),
             Rule("all-or-nothing", Phase(k_min=5, pay_on_start=0, **gen))]
    best = None
    for rule in rules:
        g = make_game(rule, fav, grid=Grid())
        fw = forward(g, 81)
        j = np.concatenate([g.space.components[0], [-1, -1]])
        started = fw.mu_last[j >= CVID_STARTED].sum(axis=0) / g.types.weight  # per type
        best = started if best is None else np.maximum(best, started)
    assert best is not None and best.size == 72 and best.min() > 0.5
