"""`detente ensemble`, `detente compare`, `detente sensitivity` as a user runs them."""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from detente.cli import _load_commands, app

from ._uncertainty_scenarios import toy_dict

_load_commands()
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture
def toy_file(tmp_path):
    p = tmp_path / "toy.yaml"
    p.write_text(yaml.safe_dump(toy_dict(), sort_keys=False))
    return p


@pytest.mark.parametrize("model", ["compromise", "median", "nash", "expected-utility"])
def test_ensemble_json_on_korea_is_byte_identical_across_runs(model):
    args = ("ensemble", "korea-2019", "--model", model, "--draws", "60", "--seed", "1", "--format", "json")
    a, b = run(*args), run(*args)
    assert a.exit_code == 0, a.output
    assert a.stdout == b.stdout
    doc = json.loads(a.stdout)
    assert doc["model"] == model and doc["draws"] == 60 and doc["seed"] == 1
    assert set(doc["issues"]) == {
        "denuclearization",
        "sanctions-relief",
        "peace-regime",
        "exercises",
        "inter-korean",
        "missile-restraint",
        "sequencing",
        "verification",
    }
    assert sum(doc["issues"]["denuclearization"]["histogram"]["counts"]) == doc["issues"]["denuclearization"]["n"]
    assert "dprk" in doc["actors"]


def test_ensemble_table_csv_and_draws_out(toy_file, tmp_path):
    r = run("ensemble", str(toy_file), "--draws", "40", "--seed", "2")
    assert r.exit_code == 0 and "i1" in r.stdout and "static 100%" in r.stdout
    out, draws = tmp_path / "s.csv", tmp_path / "d.csv"
    r = run(
        "ensemble",
        str(toy_file),
        "--draws",
        "40",
        "--seed",
        "2",
        "--format",
        "csv",
        "--out",
        str(out),
        "--draws-out",
        str(draws),
        "--threshold",
        "i1=55",
        "--variant",
        "no-c",
    )
    assert r.exit_code == 0, r.output
    assert out.read_text().splitlines()[0].startswith("issue,n,mean,sd,se,q5,q25,q50")
    assert len(draws.read_text().splitlines()) == 1 + 40 * 2


def test_ensemble_with_a_perturbation_file(toy_file, tmp_path):
    spec = tmp_path / "p.yaml"
    spec.write_text("position: {dist: uniform, scale: 2}\n")
    r = run("ensemble", str(toy_file), "--draws", "30", "--seed", "1", "--perturb", str(spec), "--format", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["perturbation"]["position"]["dist"] == "uniform"


def test_compare_prints_differences_with_intervals(toy_file, tmp_path):
    r = run(
        "compare",
        str(toy_file),
        "--model",
        "compromise",
        "--variant",
        "no-c",
        "--variant",
        "shift-a",
        "--draws",
        "100",
        "--seed",
        "1",
    )
    assert r.exit_code == 0, r.output
    assert "[95% CI]" in r.stdout and "no-c" in r.stdout and "shift-a" in r.stdout
    png = tmp_path / "c.png"
    assert run("compare", str(toy_file), "-v", "no-c", "--draws", "20", "--seed", "1", "--out", str(png)).exit_code == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    js = tmp_path / "c.json"
    assert (
        run(
            "compare", str(toy_file), "-v", "no-c", "--draws", "20", "--seed", "1", "--format", "json", "--out", str(js)
        ).exit_code
        == 0
    )
    assert json.loads(js.read_text())["variants"]["no-c"]["differences"]["i1"]["n"] == 20


def test_compare_korea_seoul_centred_with_expected_utility():
    r = run(
        "compare",
        "korea-2019",
        "--model",
        "expected-utility",
        "--variant",
        "seoul-centred",
        "--draws",
        "50",
        "--seed",
        "1",
    )
    assert r.exit_code == 0, r.output
    assert "seoul-centred" in r.stdout and "[95% CI]" in r.stdout and "inter-korean" in r.stdout


def test_sensitivity_table_and_tornado(toy_file, tmp_path):
    r = run("sensitivity", str(toy_file), "--draws", "32", "--seed", "1")
    assert r.exit_code == 0, r.output
    assert "S1" in r.stdout and "a:position" in r.stdout
    png = tmp_path / "t.png"
    r = run("sensitivity", str(toy_file), "--draws", "32", "--seed", "1", "--groups", "actor", "--out", str(png))
    assert r.exit_code == 0 and png.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["ensemble", "TOY", "--format", "xml"], "--format 'xml'"),
        (["ensemble", "TOY", "--model", "nope"], "unknown model 'nope'"),
        (["ensemble", "TOY", "--variant", "nope"], "no variant 'nope'"),
        (["ensemble", "TOY", "--perturb", "MISSING"], "not found"),
        (["ensemble", "TOY", "--threshold", "zz=3"], "unknown issue"),
        (["compare", "TOY", "--variant", "too-far"], "variant 'too-far' edits[1]"),
        (["sensitivity", "TOY", "--groups", "nonsense"], "--groups 'nonsense'"),
    ],
)
def test_errors_are_one_line_exit_2_and_write_nothing(toy_file, tmp_path, args, needle):
    out = tmp_path / "o" / "out.json"
    out.parent.mkdir()
    args = [str(toy_file) if a == "TOY" else (str(tmp_path / "missing.yaml") if a == "MISSING" else a) for a in args]
    r = run(*args, "--draws", "5", "--seed", "1", "--out", str(out))
    assert r.exit_code == 2, r.output
    err = r.stderr.strip()
    assert err.count("\n") == 0 and err.startswith("error: ") and needle in err
    assert not out.exists()
