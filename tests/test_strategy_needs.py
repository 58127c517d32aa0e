"""The strategy engines declare what they need from a scenario (a strategy block naming the actors that play the
leader and the target, and for the staged game its calendar) and refuse a scenario without it: one line naming the
scenario and what is missing, exit code 2, nothing on stdout — never a run on another case's defaults."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import detente
from detente.cli import _load_commands, app
from detente.errors import ScenarioError
from detente.strategy.needs import POLICY_ENGINE, STAGED
from detente.strategy.params import from_scenario

_load_commands()


@pytest.mark.parametrize(
    "args",
    [
        ["strategy", "emission-standards-1994", "--paths", "10", "--grid", "3,1,3"],
        ["experiment", "claim-a", "--scenario", "emission-standards-1994", "--paths", "10"],
    ],
)
def test_cli_refuses_a_scenario_the_engine_cannot_play(args):
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("error: emission-standards-1994: strategy:")
    assert "no strategy block" in r.stderr and "leader" in r.stderr and "target" in r.stderr
    assert "arsenal" not in r.stderr and "Traceback" not in r.stderr


def _korea_with(**changes):
    s = detente.load("korea-2019")
    block = {**s.strategy, **changes}
    return s.model_copy(update={"strategy": {k: v for k, v in block.items() if v is not None}})


@pytest.mark.parametrize(
    "changes, where, why",
    [
        ({"roles": None}, "strategy.roles", "does not say which actors"),
        ({"roles": {"leader": "us-president"}}, "strategy.roles.target", "no actor plays the target"),
        ({"roles": {"leader": "us-president", "target": "iran"}}, "strategy.roles.target", "not an actor"),
        ({"roles": {"leader": "us-president", "target": "dprk", "mediator": "china"}}, "strategy.roles.mediator",
         "not a role"),
        ({"calendar": {"start": "2019-03", "election": "2020-11", "horizon": 30}}, "strategy.calendar.inauguration",
         "lacks a date"),
        ({"game": "chicken"}, "strategy.game", "another game"),
    ],
)
def test_staged_game_names_what_is_missing(changes, where, why):
    with pytest.raises(ScenarioError) as e:
        STAGED.check(_korea_with(**changes))
    msg = str(e.value)
    assert msg.startswith(f"korea-2019: {where}: ") and why in msg and "\n" not in msg


def test_korea_declares_its_roles_and_both_engines_accept_it():
    s = detente.load("korea-2019")
    assert STAGED.check(s)["roles"] == {"leader": "us-president", "target": "dprk", "partner": "rok"}
    assert POLICY_ENGINE.check(s) is s.strategy
    params, _ = from_scenario(s)
    assert params.t_E == 29


def test_policy_engine_refuses_a_block_without_roles():
    s = detente.load("korea-2019").model_copy(update={"strategy": {"params": {"rho0": 0.9}}})
    with pytest.raises(ScenarioError, match=r"^korea-2019: strategy\.roles: the two-type policy engine cannot run"):
        from_scenario(s)


def test_validate_reports_what_the_engines_need(tmp_path):
    path = detente.save(_korea_with(roles={"leader": "us-president"}), tmp_path / "k.yaml")
    r = CliRunner().invoke(app, ["validate", str(path)])
    assert r.exit_code == 2 and "strategy.roles.target" in r.output
