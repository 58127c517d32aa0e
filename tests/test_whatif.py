"""What-if from the command line: --variant and --set on every command that solves, --against, derived names."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from detente.cli import _load_commands, app
from detente.errors import ParameterError
from detente.scenario.io import load
from detente.whatif import edits_of, parse_set, what_if

_load_commands()
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture(scope="module")
def korea():
    return load("korea-2019")


def _outcome(*extra: str) -> dict[str, float]:
    r = run("forecast", "korea-2019", "--model", "compromise", "--format", "json", *extra)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_set_changes_that_issues_forecast_and_only_that_issue():
    base = _outcome()
    edited = _outcome("--set", "dprk.denuclearization.position=40")
    # baseline: no agreement on denuclearization (the status quo, 15). With the DPRK at 40 both veto players sit above
    # the status quo: the free compromise (61.2) stops at the nearer one's ideal point, the DPRK's 40
    assert base["outcomes"]["denuclearization"] == pytest.approx(15.0)
    assert edited["outcomes"]["denuclearization"] == pytest.approx(40.0)
    free = _outcome("--set", "dprk.denuclearization.position=40", "--vetoes", "off")
    assert free["outcomes"]["denuclearization"] > 40.0
    for iid, x in base["outcomes"].items():
        if iid != "denuclearization":
            assert edited["outcomes"][iid] == pytest.approx(x)
    assert edited["scenario"] == "korea-2019+set(dprk.denuclearization.position=40)"
    assert edited["what_if"] == [
        {
            "set": "dprk.denuclearization.position=40",
            "edit": {"op": "set", "actor": "dprk", "issue": "denuclearization", "field": "position", "value": 40.0},
        }
    ]
    assert "what_if" not in base


def test_variants_apply_in_order_then_sets(korea):
    s = what_if(korea, ["seoul-centred", "bolton-departure"], ["rok.sequencing.salience=10"])
    assert s.name == "korea-2019+seoul-centred+bolton-departure+set(rok.sequencing.salience=10)"
    assert "us-hawks" not in [a.id for a in s.actors]  # bolton-departure removes the hawks
    rok = next(st for st in s.stances if st.actor == "rok" and st.issue == "sequencing")
    assert rok.salience == 10.0  # seoul-centred sets 90, the later --set wins
    assert edits_of(s)[:2] == [{"variant": "seoul-centred"}, {"variant": "bolton-departure"}]
    assert edits_of(korea) == [] and what_if(korea) is korea


def test_variant_on_the_command_line_equals_the_library(korea):
    doc = _outcome("--variant", "seoul-centred")
    from detente.models.base import get
    from detente.scenario.arrays import to_arrays

    fc = get("compromise").solve(to_arrays(what_if(korea, ["seoul-centred"])))
    assert doc["scenario"] == "korea-2019+seoul-centred"
    for j, iid in enumerate(fc.issues):
        if iid in doc["outcomes"]:
            assert doc["outcomes"][iid] == pytest.approx(float(fc.outcomes[0, j]))


def test_set_paths(korea):
    e = parse_set("us-president.capability=50", korea)
    assert (e.op, e.actor, e.issue, e.field, e.value) == ("set", "us-president", None, "capability", 50.0)
    e = parse_set("denuclearization.status_quo=10", korea)
    assert (e.op, e.issue, e.value) == ("set_status_quo", "denuclearization", 10.0)
    s = what_if(korea, [], ["us-president.capability=50", "denuclearization.status_quo=10"])
    assert s.actor("us-president").capability == 50.0 and s.issue("denuclearization").status_quo == 10.0


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("dprk.denuclearization.position=400", "expected a position in [0, 100]"),
        ("dprk.denuclearization.salience=-1", "expected a salience in [0, 100]"),
        ("dprk.capability=-3", "expected a capability in [0"),
        ("nobody.capability=3", "unknown actor 'nobody'"),
        ("dprk.nothing.position=3", "unknown issue 'nothing'"),
        ("dprk.denuclearization.colour=3", "unknown field 'colour'"),
        ("dprk.capability=lots", "is not a number"),
        ("dprk.capability", "expected PATH=VALUE"),
        ("denuclearization.status_quo=101", "expected a value in [0, 100]"),
    ],
)
def test_bad_set_is_one_line_naming_path_value_and_expectation(text, needle):
    r = run("forecast", "korea-2019", "--set", text)
    assert r.exit_code == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: --set '{text}'"), r.stderr
    assert needle in lines[0]
    assert r.stdout == ""


def test_unknown_variant_is_one_error():
    r = run("forecast", "korea-2019", "--variant", "nope")
    assert r.exit_code == 2 and "--variant 'nope'" in r.stderr and "seoul-centred" in r.stderr


def test_against_shows_both_and_the_difference():
    r = run(
        "forecast",
        "korea-2019",
        "--set",
        "dprk.denuclearization.position=40",
        "--against",
        "korea-2019",
        "--format",
        "json",
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    row = next(x for x in doc["side_by_side"] if x["issue"] == "denuclearization")
    assert row["difference"] == pytest.approx(40.0 - 15.0)
    assert [f["scenario"] for f in doc["forecasts"]] == [
        "korea-2019+set(dprk.denuclearization.position=40)",
        "korea-2019",
    ]
    r = run("forecast", "korea-2019", "--against", "korea-2019")
    assert r.exit_code == 2 and "the same scenario twice" in r.stderr


def test_ensemble_and_sensitivity_carry_the_edits():
    r = run("ensemble", "korea-2019", "-n", "20", "--seed", "3", "--set", "dprk.capability=50", "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["scenario"] == "korea-2019+set(dprk.capability=50)"
    assert doc["what_if"][0]["set"] == "dprk.capability=50"
    r = run("compare", "korea-2019", "-v", "seoul-centred", "-n", "20", "--seed", "3", "--set", "dprk.capability=50")
    assert r.exit_code == 0 and "korea-2019+set(dprk.capability=50)" in r.stdout


def test_exchanges_and_plot_take_edits(tmp_path):
    r = run("exchanges", "korea-2019", "--set", "dprk.capability=50", "--format", "json")
    assert r.exit_code == 0 and json.loads(r.stdout)["scenario"] == "korea-2019+set(dprk.capability=50)"
    out = tmp_path / "p.png"
    r = run("plot", "korea-2019", "--set", "dprk.denuclearization.position=140", "--out", str(out))
    assert r.exit_code == 2 and not out.exists()


def test_library_error_is_parameter_error(korea):
    with pytest.raises(ParameterError, match="position 400"):
        what_if(korea, [], ["dprk.denuclearization.position=400"])


def test_show_writes_the_edited_scenario_and_it_forecasts_the_same(tmp_path):
    out = tmp_path / "edited.yaml"
    args = ["--variant", "seoul-centred", "--set", "dprk.denuclearization.position=40"]
    r = run("show", "korea-2019", *args, "--out", str(out))
    assert r.exit_code == 0, r.output
    saved = json.loads(run("forecast", str(out), "--format", "json").stdout)
    direct = json.loads(run("forecast", "korea-2019", *args, "--format", "json").stdout)
    assert saved["scenario"] == direct["scenario"] == "korea-2019+seoul-centred+set(dprk.denuclearization.position=40)"
    assert saved["scenario_hash"] == direct["scenario_hash"] and saved["outcomes"] == direct["outcomes"]


def test_perspective_takes_edits():
    args = ["perspective", "korea-2019", "--actor", "us-president", "--format", "json"]
    base = json.loads(run(*args).stdout)
    edited = json.loads(run(*args, "--set", "dprk.denuclearization.position=40").stdout)
    row = lambda doc: next(x for x in doc["perspective"] if x["other"] == "dprk")  # noqa: E731
    assert row(base)["position"] != 40.0 and row(edited)["position"] == 40.0
    assert row(edited)["eu_i_challenges_j"] != row(base)["eu_i_challenges_j"]


def test_a_variant_that_removes_an_actor_keeps_the_perturbation_valid(korea):
    s = what_if(korea, ["bolton-departure"])
    named = {r.get("actor") for block in s.perturbation.values() for r in block.get("rules", [])}
    assert "us-hawks" in {r.get("actor") for r in korea.perturbation["position"]["rules"]}
    assert "us-hawks" not in named
    r = run("sensitivity", "korea-2019", "-n", "8", "--seed", "1", "--variant", "bolton-departure", "--format", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["scenario"] == "korea-2019+bolton-departure"
    r = run("ensemble", "korea-2019", "-n", "20", "--seed", "1", "--variant", "bolton-departure", "--format", "json")
    assert r.exit_code == 0, r.output
    assert "us-hawks" not in json.loads(r.stdout)["actors"]
