"""Run the staged-disarmament game for a scenario: the requested rules and, optionally, the president's best rule;
exact metrics from the forward equation, arsenal quantiles from the Monte Carlo, and the calendar in dates.

>>> from detente.strategy.staged.engine import run
>>> from detente.strategy.staged.game import Grid
>>> out = run(rules=["hanoi"], paths=200, seed=1, grid=Grid(4, 1, 4))
>>> out["calendar"]["first_month"], out["rules"][0]["name"]
('2019-03', 'hanoi')
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import numpy as np

from detente.errors import ParameterError, ScenarioError
from detente.execution.device import current as current_device
from detente.execution.device import resolve as resolve_device
from detente.execution.device import use as use_device
from detente.execution.runner import progress
from detente.strategy.needs import GAME, STAGED
from detente.strategy.staged import priors
from detente.strategy.staged.forward import STATUS, Forward, forward
from detente.strategy.staged.game import SWEEP_GRID, Calendar, Game, Grid, make_game
from detente.strategy.staged.misperception import Truth, prior_mean
from detente.strategy.staged.montecarlo import simulate
from detente.strategy.staged.rules import PRESETS, Rule, get_rule

UNCALIBRATED = (
    "Crisis and war probabilities rest on crisis, escalation and war parameters that are assumptions "
    "with wide ranges, not fitted to data: they are exact consequences of the central values, not "
    "calibrated forecasts, and carry no sampling interval."
)
MISPERCEPTION_NOTE = (
    "Misperception: the US exploitation rate is drawn from the distribution above, not from North Korea's prior. "
    "North Korea chooses by its prior and updates it by Bayes' rule, so its belief is miscalibrated and its "
    "predicted chances of a strike or a renege do not equal their frequencies. Metrics follow the true rate; "
    "'if_calibrated' gives the same rule when the rate is drawn from North Korea's prior. The president's best "
    "rule, when asked for, is searched under the common prior."
)
SEOUL_NOTE = (
    "Seoul-led: South Korea chooses the first stage paid, the tranches, forgiveness, threats, exercises and its own "
    "payments by its payoff; Washington keeps interceptors, a unilateral step, payment once disarmament is agreed and "
    "whether short-range tests breach (at the president's best rule) and accepts only a rule worth at least the "
    "Hanoi offer to him minus his deference. South Korea's payoff weights are the premises of Kristian (2019), "
    "not estimates. Its payoff is in the president's units (months of complete disarmament)."
)
STAGE_WORDS = (
    "moratorium or more",
    "Yongbyon freeze or more",
    "Yongbyon dismantled or more",
    "declaration or more",
    "disarmament under way or done",
    "disarmament done",
)


_MONTH = re.compile(r"(\d{4})-(\d{2})")


def _month(label: Any, where: str) -> int:
    """A calendar month ``YYYY-MM`` (month 01–12) as a count of months since year 0."""
    m = _MONTH.fullmatch(str(label))
    if m is None or not 1 <= int(m.group(2)) <= 12:
        raise ScenarioError("not a calendar month", where=where, value=label, expected="a month YYYY-MM, MM 01–12")
    return int(m.group(1)) * 12 + int(m.group(2)) - 1


def _month_index(start: str, label: Any, where: str) -> int:
    """Months from ``start`` to ``label``; a month before the start is refused."""
    k = _month(label, where) - _month(start, "strategy.calendar.start")
    if k < 0:
        raise ScenarioError(
            "a dated month before the calendar's start", where=where, value=label, expected=f"a month from {start} on"
        )
    return k


def calendar_from_block(block: dict[str, Any] | None) -> Calendar:
    """The calendar and dated shocks of a scenario's ``strategy`` block (staged-disarmament-v2)."""
    if not block:
        return Calendar()
    if block.get("game") != GAME:
        raise ScenarioError(
            "the strategy block is not a staged-disarmament game",
            where="strategy.game",
            value=block.get("game"),
            expected=GAME,
        )
    cal = block.get("calendar") or {}
    start = str(cal.get("start", "2019-03"))
    kw: dict[str, Any] = {"start": start}
    for key in ("election", "inauguration", "long_run"):
        if key in cal:
            kw[key] = _month_index(start, cal[key], f"strategy.calendar.{key}")
    _month(start, "strategy.calendar.start")
    if "horizon" in cal:
        h = cal["horizon"]
        if isinstance(h, bool) or not isinstance(h, int) or h < 1:
            raise ScenarioError(
                "not a number of months", where="strategy.calendar.horizon", value=h, expected="an integer >= 1"
            )
        kw["horizon"] = h
    names = {"bolton": "bolton", "border-closure": "covid", "leakage-2020": "leak_switch"}
    surprise = []
    for i, sh in enumerate(block.get("shocks") or []):
        name = sh.get("name")
        if name not in names:
            raise ScenarioError(
                "unknown dated shock", where=f"strategy.shocks[{i}].name", value=name, expected=", ".join(names)
            )
        kw[names[name]] = _month_index(start, sh.get("month"), f"strategy.shocks[{i}].month")
        seen = sh.get("anticipated")
        if not isinstance(seen, bool):
            raise ScenarioError(
                "a dated shock must say whether it was foreseeable",
                where=f"strategy.shocks[{i}].anticipated",
                value=seen,
                expected="true (known in advance to the target's plans) or false (a surprise from its month on)",
            )
        if not seen:
            surprise.append(names[name])
    if block.get("shocks") is not None:
        kw["unanticipated"] = tuple(surprise)
    c = Calendar(**kw)
    if c.horizon < c.long_run:
        raise ScenarioError(
            "the horizon must reach the long-run month",
            where="strategy.calendar.horizon",
            value=c.horizon,
            expected=f">= {c.long_run}",
        )
    return c


def _metrics(g: Game, fw: Forward) -> dict[str, Any]:
    cal = g.calendar
    hz = {"election": cal.election, "inauguration": cal.inauguration, "2025-11": 80}
    out: dict[str, Any] = {}
    for hname, h in hz.items():
        m = {STAGE_WORDS[k - 1]: float(fw.reached[h, k]) for k in range(1, 7)}
        m["crisis at least once"] = float(fw.crisis_ever[h])
        m["war"] = float(fw.war[h])
        m["strike on a disarmed North"] = float(fw.regime_change[h])
        m["expected test months"] = float(fw.test_month[:h].sum())
        m["expected test days"] = float(fw.test_month[:h].sum() * (1 + g.params["lambda_d"]))
        m["expected strategic-test months"] = float(fw.strategic_month[:h].sum())
        m["arsenal mean (warheads)"] = float(fw.arsenal_mean[h])
        m["agreement in force (share of the month)"] = float(fw.status[h - 1, STATUS.index("agreement in force")])
        out[f"by {cal.label(h)} ({hname})"] = m
    return out


def run(
    scenario: Any = None,
    rules: list[str] | None = None,
    *,
    best: bool = False,
    paths: int = 20000,
    seed: int = 0,
    overrides: dict[str, Any] | None = None,
    grid: Grid | None = None,
    search_grid: Grid | None = None,
    truth: Truth | None = None,
    seoul: bool = False,
    deference: float | None = None,
    device: str | None = None,
) -> dict[str, Any]:
    """Exact metrics for each rule (and the president's best rule), monthly status shares, arsenal quantiles.

    With ``truth`` (misperception, :mod:`.misperception`) the US exploitation rate is drawn from that distribution
    instead of North Korea's prior: each rule's metrics are then those of the true process, and the same rule's
    common-prior metrics are given beside them (``if_calibrated``).

    With ``seoul`` South Korea's best rule under the US veto (:mod:`.seoul`; ``deference`` is the president's ν,
    None for the parameter ``nu_K``) is searched after the president's best rule and reported beside it, with South
    Korea's payoff under every rule.

    ``device`` (``"cpu"`` or ``"cuda"``; None: where :func:`detente.execution.device.use` put the caller, by
    default numpy) is where the Monte Carlo's paths run; any other than numpy is named in the output's ``device``."""
    if paths < 1:
        raise ParameterError(f"`paths` {paths}: expected a positive number of paths")
    backend = current_device() if device is None else resolve_device(device)
    block = STAGED.check(scenario) if scenario is not None else None
    cal = calendar_from_block(block)
    ov = priors.check(overrides or {})
    grid = grid or Grid()
    chosen: list[Rule] = [get_rule(r) for r in (rules or ["hanoi", "sfs-freeze"])]
    doc: dict[str, Any] = {
        "engine": GAME,
        "scenario": getattr(scenario, "name", None),
        "calendar": {
            "first_month": cal.label(0),
            "election": cal.label(cal.election),
            "inauguration": cal.label(cal.inauguration),
            "long_run_from": cal.label(cal.long_run),
        },
        "baseline": "moratorium in force, no relief, exercises scaled back, no exploitation act seen, incumbent",
        "warning": UNCALIBRATED,
        "parameters_changed": ov,
        "seed": seed,
        "paths": paths,
        "grid": dataclasses.asdict(grid),
        **({"device": backend.name} if backend is not None else {}),
    }
    if truth is not None:
        truth.check()
        base = {**priors.central(), **ov}
        doc["misperception"] = {
            **truth.to_dict(base),
            "north_prior_p60": base["p60"],
            "north_prior_mean_rate_per_month": prior_mean(base),
            "note": MISPERCEPTION_NOTE,
        }
    out_rules = []
    if best or seoul:
        from detente.strategy.staged.search import best_rule

        s = best_rule(ov, grid=search_grid or SWEEP_GRID, calendar=cal)
        chosen.append(s.best)
        ranked = s.ranked()
        doc["best_rule_search"] = {
            "searched_on_grid": dataclasses.asdict(search_grid or SWEEP_GRID),
            "rules_evaluated": len(s.evaluated),
            "best": s.best.code(),
            "president_value": s.value,
            "gap_to_second_best": s.value - ranked[1][1] if len(ranked) > 1 else None,
            "rules_within_half_a_CVID_month": s.flat_set()[:20],
            "best_within": s.within(s.phases),  # type: ignore[attr-defined]
            "pass_values": s.passes,
        }
    if seoul:
        from detente.strategy.staged.seoul import seoul_best

        sk = seoul_best(ov, president=s.best.phase1, deference=deference, grid=search_grid or SWEEP_GRID,
                        calendar=cal)
        chosen.append(sk.best)
        doc["seoul_led_search"] = {
            "searched_on_grid": dataclasses.asdict(search_grid or SWEEP_GRID),
            **sk.to_dict(),
            "note": SEOUL_NOTE,
        }
    with progress(None, len(chosen), "rules") as advance:
        for i, rule in enumerate(chosen):
            g = make_game(rule, ov, grid=grid, calendar=cal, truth=truth)
            g.with_K = seoul
            fw = forward(g, 81)
            with use_device(backend):
                ps = simulate(g, paths, seed, rule_id=i)
            entry = {
                "name": rule.name,
                "meaning": rule.meaning,
                "code": rule.code(),
                "metrics": _metrics(g, fw),
                "president_value": fw.value_P,
                "president_value_by_component": fw.value_P_parts,
                "north_value_mean": float(g.types.weight @ fw.value_N),
                **({"south_korea_value": fw.value_K, "south_korea_value_by_component": fw.value_K_parts}
                   if fw.value_K is not None else {}),
                "arsenal_quantiles_at_horizon (Monte Carlo, 10/50/90 %)": [
                    float(x) for x in np.quantile(ps.arsenal_final, [0.1, 0.5, 0.9])
                ],
                "monthly_status": {
                    cal.label(t): {STATUS[c]: round(float(fw.status[t, c]), 6) for c in range(7)}
                    for t in range(cal.horizon)
                },
            }
            if truth is not None:
                g0 = make_game(rule, ov, grid=grid, calendar=cal)
                fw0 = forward(g0, 81)
                entry["north_belief_mean_rate"] = {cal.label(t): float(fw.belief_mean[t]) for t in (0, cal.election,
                                                                                                   80)}
                entry["if_calibrated"] = {
                    "metrics": _metrics(g0, fw0),
                    "president_value": fw0.value_P,
                    "north_belief_mean_rate": {cal.label(t): float(fw0.belief_mean[t]) for t in (0, cal.election,
                                                                                                 80)},
                }
            if rule.phase1.k_min == 5:
                entry["zeros_by_definition"] = (
                    "nothing is paid below complete disarmament, so 'agreement in force' "
                    "above the moratorium is zero by construction"
                )
            out_rules.append(entry)
            advance()
    doc["rules"] = out_rules
    return doc


def params_table() -> list[dict[str, Any]]:
    rows = []
    central = priors.central()
    for p in priors.REGISTRY:
        rows.append(
            {
                "name": p.name,
                "meaning": p.label,
                "unit": p.unit,
                "prior": p.prior,
                "central": central[p.name],
                "kind": p.kind,
                "supports": p.supports,
                "sources": list(p.sources),
            }
        )
    return rows


__all__ = ["GAME", "PRESETS", "UNCALIBRATED", "calendar_from_block", "params_table", "run"]
