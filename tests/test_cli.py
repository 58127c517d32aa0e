"""The command line as a user runs it: outputs, and errors as one line with exit code 2 and nothing written."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from detente.cli import _load_commands, app

from .conftest import DATA

_load_commands()
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def test_forecast_json_emission_standards_median_and_compromise():
    r = run("forecast", "emission-standards-1994", "--model", "median", "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["outcomes"] == {"emission-standards": 7.0}
    for key in ("scenario", "model", "parameters", "seed", "outcomes", "trajectory", "converged", "version"):
        assert key in doc
    assert doc["trajectory"][0] == {"round": 0, "actor": "Netherlands", "issue": "emission-standards", "position": 4.0}
    r = run("forecast", "emission-standards-1994", "--model", "compromise", "--format", "json")
    assert f"{json.loads(r.stdout)['outcomes']['emission-standards']:.6f}" == "7.389956"


def test_forecast_table_names_nearest_point():
    r = run("forecast", "emission-standards-1994", "--model", "median")
    assert r.exit_code == 0 and "7 years" in r.stdout


def test_forecast_csv_to_file(tmp_path):
    out = tmp_path / "f.csv"
    r = run("forecast", "road-toll", "--model", "nash", "--format", "csv", "--out", str(out))
    assert r.exit_code == 0
    lines = out.read_text().splitlines()
    assert lines[0] == "issue,outcome,nearest_point,status,rounds,observed" and len(lines) == 7


@pytest.mark.parametrize(
    "args,needle",
    [
        (["forecast", "no-such-thing"], "no such file or built-in scenario"),
        (["forecast", "road-toll", "--model", "nope"], "unknown model 'nope'"),
        (["forecast", "road-toll", "--param", "tie"], "expected key=value"),
        (["forecast", "road-toll", "--model", "median", "--param", "tie=sideways"], "tie='sideways'"),
        (["forecast", "road-toll", "--format", "xml"], "--format 'xml'"),
        (["forecast", "road-toll", "--rounds", "3"], "--rounds"),
        (["forecast", str(DATA / "foundation" / "copenhagen_with_errors.csv")], "line 87, field power"),
    ],
)
def test_errors_are_one_line_exit_2_and_write_nothing(tmp_path, args, needle):
    out = tmp_path / "out.json"
    r = run(*args, "--out", str(out))
    assert r.exit_code == 2, r.output
    err = r.stderr.strip()
    assert err.count("\n") == 0 and err.startswith("error: ") and needle in err
    assert "Traceback" not in r.output
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_validate_ok_and_bad(tmp_path):
    r = run("validate", str(DATA / "foundation" / "CoP21.csv"))
    assert r.exit_code == 0 and "15 actors, 13 issues, 181 stances" in r.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nissues: []\n")
    r = run("validate", str(bad))
    assert r.exit_code == 2 and "missing required field" in r.stderr and str(bad) in r.stderr


def test_show_json_is_the_file_schema(tmp_path):
    r = run("show", "road-toll", "--format", "json")
    doc = json.loads(r.stdout)
    p = tmp_path / "copy.json"
    p.write_text(r.stdout)
    import detente

    assert detente.load(p) == detente.load("road-toll") and doc["name"] == "road-toll"


def test_show_table_and_scenarios_and_schema():
    assert "tol-hoogte" in run("show", "road-toll").stdout
    listing = run("scenarios").stdout
    assert "emission-standards-1994" in listing and "cop21-paris-2015" in listing
    schema = json.loads(run("schema").stdout)
    assert schema["title"] == "Scenario" and "stances" in schema["properties"]


def test_plot_writes_png(tmp_path):
    out = tmp_path / "p.png"
    r = run("plot", "road-toll", "--model", "compromise", "--out", str(out))
    assert r.exit_code == 0, r.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_console_script_exit_code(tmp_path):
    """The installed entry point, as a user runs it."""
    p = subprocess.run(
        [sys.executable, "-m", "detente", "forecast", "nope.yaml"], capture_output=True, text=True, cwd=tmp_path
    )
    assert p.returncode == 2 and p.stderr.startswith("error: nope.yaml") and p.stdout == ""


@pytest.mark.parametrize(
    "args,needle",
    [
        (["forecast"], "Missing argument 'scenario'"),
        (["no-such-command"], "No such command"),
        (["forecast", "road-toll", "--rounds", "x"], "Invalid value for '--rounds'"),
    ],
)
def test_usage_errors_are_one_line_exit_2(tmp_path, args, needle):
    p = subprocess.run([sys.executable, "-m", "detente", *args], capture_output=True, text=True, cwd=tmp_path)
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.startswith("error: ") and p.stderr.count("\n") == 1 and needle.lower() in p.stderr.lower()
