"""`detente show` displays a scenario's delegations and veto rules, and keeps them in JSON and YAML."""

from __future__ import annotations

import json

import yaml
from typer.testing import CliRunner

from detente.cli import _load_commands, app
from detente.scenario.io import load

runner = CliRunner()
_load_commands()


def _show(*args: str) -> str:
    r = runner.invoke(app, ["show", *args], env={"COLUMNS": "250"})
    assert r.exit_code == 0, r.output
    return r.stdout


def _row(text: str, first: str) -> list[str]:
    """The cells of the table row that starts with ``first`` (its first line)."""
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip("│┃ ").split("│")]
        if cells and cells[0] == first:
            return cells
    raise AssertionError(f"no row {first!r}")


def test_text_lists_delegations_and_veto_rules():
    out = _show("korea-2019")
    assert "delegations (docs/two-level.md)" in out and "veto players (docs/two-level.md)" in out
    us = _row(out.split("delegations (docs/two-level.md)")[1], "us")
    assert us[:5] == [
        "us",
        "United States",
        "us-president, us-hawks, us-congress, us-candidates",
        "leader",
        "us-president",
    ]
    assert us[5].startswith("analyst: the president conducts the talks")
    vetoes = out.split("veto players (docs/two-level.md)")[1]
    relief = _row(vetoes, "sanctions-relief")
    assert relief[1:3] == ["us, dprk, us-congress, china, russia", "ideal"]
    assert relief[3].startswith("law-nkspea: relief of US statutory sanctions needs Congress")
    assert _row(vetoes, "missile-restraint")[1] == "dprk"


def test_a_scenario_without_structure_shows_no_such_tables():
    out = _show("emission-standards-1994")
    assert "delegations" not in out and "veto players" not in out


def test_json_and_yaml_keep_the_structure():
    s = load("korea-2019")
    want_d = [d.model_dump(mode="json", exclude_none=True) for d in s.delegations]
    want_v = [v.model_dump(mode="json", exclude_none=True) for v in s.vetoes]
    for fmt, parse in (("json", json.loads), ("yaml", yaml.safe_load)):
        doc = parse(_show("korea-2019", "-f", fmt))
        assert doc["delegations"] == want_d and doc["vetoes"] == want_v, fmt
        assert len(doc["vetoes"]) == 8 and doc["delegations"][0]["leader"] == "us-president"
