"""The staged game's calendar reads real months only: ``YYYY-MM`` with a month 01–12, none before the start, and a
horizon that is a whole number of months; anything else is one error line naming the field and the value."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import detente
from detente.cli import _load_commands, app
from detente.errors import ScenarioError
from detente.strategy.staged.engine import GAME, calendar_from_block

_load_commands()
KOREA = {"start": "2019-03", "election": "2020-11", "inauguration": "2021-01", "horizon": 30, "long_run": "2021-09"}


def test_korea_calendar_reads_as_before():
    c = calendar_from_block({"game": GAME, "calendar": KOREA})
    assert (c.election, c.inauguration, c.horizon, c.long_run) == (20, 22, 30, 30)


@pytest.mark.parametrize(
    "edit, where, value",
    [
        ({"election": "2020-13"}, "strategy.calendar.election", "'2020-13'"),
        ({"long_run": "2021-00"}, "strategy.calendar.long_run", "'2021-00'"),
        ({"start": "2019-13"}, "strategy.calendar.start", "'2019-13'"),
        ({"inauguration": "2021-1x"}, "strategy.calendar.inauguration", "'2021-1x'"),
        ({"election": "2018-11"}, "strategy.calendar.election", "'2018-11'"),
        ({"horizon": "thirty"}, "strategy.calendar.horizon", "'thirty'"),
        ({"horizon": 0}, "strategy.calendar.horizon", "0"),
    ],
)
def test_a_bad_calendar_month_is_refused(edit, where, value):
    with pytest.raises(ScenarioError) as e:
        calendar_from_block({"game": GAME, "calendar": {**KOREA, **edit}})
    msg = str(e.value)
    assert msg.startswith(f"{where}:") and f"got {value}" in msg and "\n" not in msg


def test_a_shock_in_month_13_is_refused():
    with pytest.raises(ScenarioError, match=r"strategy\.shocks\[0\]\.month: .*got '2020-13'"):
        calendar_from_block({"game": GAME, "calendar": KOREA, "shocks": [{"name": "bolton", "month": "2020-13"}]})


def test_cli_refuses_month_13(tmp_path):
    s = detente.load("korea-2019")
    block = {**s.strategy, "calendar": {**s.strategy["calendar"], "election": "2020-13"}}
    path = detente.save(s.model_copy(update={"strategy": block}), tmp_path / "k.yaml")
    r = CliRunner().invoke(app, ["strategy", str(path), "--paths", "20"])
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "strategy.calendar.election" in r.stderr and "'2020-13'" in r.stderr
    r = CliRunner().invoke(app, ["validate", str(path)])  # validate checks what strategy will need
    assert r.exit_code == 2 and "1 error(s)" in r.output
    assert "strategy.calendar.election: not a calendar month, got '2020-13'" in r.output
