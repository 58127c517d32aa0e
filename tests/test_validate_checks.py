"""`detente validate` checks what later commands need: edits (dry run), strategy and perturbation blocks, coverage."""

from __future__ import annotations

import yaml
from typer.testing import CliRunner

from detente.cli import _load_commands, app
from detente.scenario.checks import check
from detente.scenario.io import load, to_dict

_load_commands()
runner = CliRunner()


def korea_with(tmp_path, edit) -> str:
    d = to_dict(load("korea-2019"))
    edit(d)
    f = tmp_path / "k.yaml"
    f.write_text(yaml.safe_dump(d, sort_keys=False))
    return str(f)


def validate(path: str):
    return runner.invoke(app, ["validate", path])


def test_builtin_scenarios_are_clean():
    for name in ("korea-2019", "emission-standards-1994", "road-toll"):
        assert [f for f in check(load(name)) if f.level == "error"] == []


def test_broken_variant_edit(tmp_path):
    def edit(d):
        d["variants"][0]["edits"].append(
            {"op": "set", "actor": "nobody", "issue": "denuclearization", "field": "position", "value": 5}
        )

    res = validate(korea_with(tmp_path, edit))
    assert res.exit_code == 2
    assert "variants[0] (seoul-centred)" in res.stderr and "'nobody'" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_event_pushing_a_position_off_the_scale(tmp_path):
    def edit(d):
        d["events"][0]["edits"] = [
            {"op": "shift", "actor": "dprk", "issue": "denuclearization", "field": "position", "value": 500}
        ]

    res = validate(korea_with(tmp_path, edit))
    assert res.exit_code == 2 and "events[0] (hanoi" in res.stderr and "scale [0, 100]" in res.stderr


def test_strategy_and_perturbation_blocks(tmp_path):
    def edit(d):
        block = d["strategy"].get("v1", d["strategy"])
        block["params"]["no_such_param"] = 1
        d["perturbation"] = {"position": {"dist": "gauss", "scale": 1}}

    res = validate(korea_with(tmp_path, edit))
    assert res.exit_code == 2
    out = res.stdout
    assert "error: strategy:" in out and "'no_such_param'" in out
    assert "error: perturbation:" in out and "'gauss'" in out
    assert "(and 1 more error(s), listed on stdout)" in res.stderr


def test_issue_and_actor_without_stances_are_warnings(tmp_path):
    def edit(d):
        d["issues"].append({"id": "empty-issue"})
        d["actors"].append({"id": "bystander", "capability": 1})

    base = load("korea-2019")
    m, n = len(base.issues), len(base.actors)
    res = validate(korea_with(tmp_path, edit))
    assert res.exit_code == 0, res.output
    assert "2 warning(s)" in res.stdout
    assert f"warning: issues[{m}] (empty-issue): no actor holds a stance" in res.stdout
    assert f"warning: actors[{n}] (bystander): this actor holds no stance" in res.stdout


def test_model_hook(monkeypatch):
    from detente.models import base

    cls = next(iter(base.available().values()))
    monkeypatch.setattr(cls, "cannot_run", lambda self, arrays: "needs a status quo", raising=False)
    found = check(load("korea-2019"))
    # a warning: the file is valid and the other models run it (forecast --model all reports this one)
    assert any(f.level == "warning" and f.message == "cannot run this scenario: needs a status quo" for f in found)
