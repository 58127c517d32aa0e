"""Authoring a scenario: `detente new`, the schema's descriptions, `show --format yaml` and `show --bases`."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from typer.testing import CliRunner

from detente.cli import _load_commands, app
from detente.scenario.io import load, to_dict
from detente.scenario.template import template

_load_commands()
runner = CliRunner()


def run(*args: str, **kw):
    return runner.invoke(app, list(args), **kw)


def test_new_writes_a_template_that_validates_without_warnings(tmp_path):
    out = tmp_path / "talks.yaml"
    r = run("new", "talks", "--actors", "us,dprk,rok", "--issues", "denuke,sanctions", "--out", str(out))
    assert r.exit_code == 0, r.output
    r = run("validate", str(out))
    assert r.exit_code == 0, r.output
    assert r.stdout.strip() == f"ok: {out}: 3 actors, 2 issues, 6 stances"
    s = load(str(out))
    assert [a.id for a in s.actors] == ["us", "dprk", "rok"] and [i.id for i in s.issues] == ["denuke", "sanctions"]
    assert [st.position for st in s.stances if st.issue == "denuke"] == [0.0, 50.0, 100.0]
    text = out.read_text()
    assert text.count("\n#") >= 15  # the fields are explained in comments
    # equal capabilities and saliences at 0, 50 and 100: the compromise is the middle
    r = run("forecast", str(out), "--model", "compromise", "--format", "json")
    assert json.loads(r.stdout)["outcomes"] == {"denuke": 50.0, "sanctions": 50.0}
    # its variant runs: the first actor twice as strong pulls the compromise towards 0 (weights 2, 1, 1)
    r = run("forecast", str(out), "--model", "compromise", "--variant", "us-stronger", "--format", "json")
    assert json.loads(r.stdout)["outcomes"]["denuke"] == pytest.approx(37.5)


def test_new_defaults_and_stdout():
    r = run("new", "example")
    assert r.exit_code == 0
    s = yaml.safe_load(r.stdout)
    assert s["name"] == "example" and len(s["stances"]) == 6


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["new", "x", "--actors", "a,a"], "given twice"),
        (["new", "x", "--actors", "a b"], "character ' '"),
        (["new", "x", "--issues", ","], "no ids given"),
        (["new", "x y"], "expected a short name"),
        (["new", "x", "--out", "x.json"], "expected a file ending in .yaml"),
    ],
)
def test_new_refuses_bad_input(args, needle):
    r = run(*args)
    assert r.exit_code == 2 and needle in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_new_keeps_an_existing_file(tmp_path):
    out = tmp_path / "s.yaml"
    out.write_text("mine\n")
    r = run("new", "s", "--out", str(out))
    assert r.exit_code == 2 and "exists already" in r.stderr and out.read_text() == "mine\n"
    assert run("new", "s", "--out", str(out), "--force").exit_code == 0
    assert load(str(out)).name == "s"


def test_template_for_one_actor_is_valid():
    s = yaml.safe_load(template("solo", ["a"], ["i"]))
    assert s["stances"][0]["position"] == 50


def _properties(schema: dict) -> list[tuple[str, str, dict]]:
    out = [("Scenario", k, v) for k, v in schema["properties"].items()]
    for name, d in schema.get("$defs", {}).items():
        out += [(name, k, v) for k, v in d.get("properties", {}).items()]
    return out


def test_every_schema_property_has_a_description():
    r = run("schema")
    schema = json.loads(r.stdout)
    props = _properties(schema)
    assert len(props) > 70
    missing = [f"{m}.{k}" for m, k, v in props if not str(v.get("description", "")).strip()]
    assert missing == []


def test_show_yaml_round_trips(tmp_path):
    for name in ("korea-2019", "emission-standards-1994"):
        r = run("show", name, "--format", "yaml")
        assert r.exit_code == 0
        path = tmp_path / f"{name}.yaml"
        path.write_text(r.stdout)
        assert to_dict(load(str(path))) == to_dict(load(name))


def test_show_prints_the_whole_description_and_bases():
    r = run("show", "korea-2019", "--bases", env={"COLUMNS": "120"})
    assert r.exit_code == 0
    flat = " ".join(r.stdout.split())
    desc = " ".join(load("korea-2019").description.split())
    last = desc.split(". ")[-1]
    assert last and last in flat  # the last sentence, not only the first line
    assert "what each number rests on" in flat
    dprk = next(st for st in load("korea-2019").stances if st.actor == "dprk" and st.issue == "denuclearization")
    assert re.search(rf"dprk · denuclearization position\s*│\s*{dprk.position:g}\s*│", r.stdout)


def test_show_bases_lists_notes_and_ranges(tmp_path):
    out = tmp_path / "t.yaml"
    out.write_text(template("t", ["a", "b"], ["i"]))
    r = run("show", str(out), "--bases", env={"COLUMNS": "150"})
    assert "a capability" in r.stdout and "plausible 0.5–2" in r.stdout
    assert "a · i position" in r.stdout and "placeholder: spread evenly" in r.stdout


def test_the_guides_figures(tmp_path):
    """docs/authoring.md quotes these numbers: 50 at baseline, 56.75 with the downstream states at 60."""
    out = tmp_path / "water-talks.yaml"
    out.write_text(
        template("water-talks", ["upstream", "downstream", "basin-authority", "donors"], ["allocation", "compensation"])
    )
    r = run(
        "forecast", str(out), "--set", "downstream.allocation.position=60", "--against", str(out), "--format", "json"
    )
    rows = {x["issue"]: x for x in json.loads(r.stdout)["side_by_side"]}
    assert rows["allocation"]["water-talks"] == pytest.approx(50.0)
    assert rows["allocation"]["difference"] == pytest.approx(6.75)
    assert rows["compensation"]["difference"] == pytest.approx(0.0)
    r = run("compare", str(out), "--variant", "upstream-stronger", "--draws", "200", "--seed", "1", "--format", "csv")
    assert r.exit_code == 0, r.output
    import io

    import pandas as pd

    df = pd.read_csv(io.StringIO(r.stdout))
    # "both issues down by about 9.4 points (95 % CI about ±0.2), in every draw"
    assert df["diff_mean"].round(1).tolist() == [-9.4, -9.4]
    assert ((df["ci_high"] - df["ci_low"]) / 2).between(0.15, 0.25).all()
    assert df["p_down"].tolist() == [1.0, 1.0]
