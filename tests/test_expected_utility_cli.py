"""`detente perspective` and the expected-utility JSON document through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli import _load_commands
from detente.cli.app import app

DATA = Path(__file__).parent / "data" / "expected_utility"
CSV = str(DATA / "emission_standards.csv")

_load_commands()
runner = CliRunner()


def test_perspective_table_and_png(tmp_path):
    out = tmp_path / "p.png"
    res = runner.invoke(app, ["perspective", CSV, "--actor", "Belgium", "--preset", "scholz_compat", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "Luxembourg" in res.output and "0.6060" in res.output  # E^BE(U_BE,LU) = 0.6059931239 (jmckib)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_perspective_json_round_and_params():
    res = runner.invoke(
        app, ["perspective", CSV, "--actor", "France", "--format", "json", "--preset", "scholz_compat", "--round", "1"]
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["scales"] == {"issue": [0.0, 100.0]} or len(doc["scales"]) == 1
    rows = {r["other"]: r for r in doc["perspective"]}
    assert rows["Luxembourg"]["eu_i_challenges_j"] == pytest.approx(1.14602004, abs=1e-8)
    assert rows["Luxembourg"]["region"] == "compromise: j moves"
    res2 = runner.invoke(
        app, ["perspective", CSV, "--actor", "France", "--format", "csv", "--round", "3", "-p", "Q=0.5"]
    )
    assert res2.exit_code == 0, res2.output
    assert res2.output.splitlines()[0].startswith("actor,other,position")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--actor", "Atlantis"], "unknown actor 'Atlantis'"),
        (["--actor", "France", "--issue", "nope"], "unknown issue 'nope'"),
        (["--actor", "France", "-p", "Q=3"], "parameter Q=3"),
        (["--actor", "France", "--format", "xml"], "--format 'xml'"),
    ],
)
def test_perspective_errors_are_one_line(tmp_path, args, message):
    out = tmp_path / "never.png"
    res = runner.invoke(app, ["perspective", CSV, *args, "--out", str(out)])
    assert res.exit_code == 2
    assert message in res.output
    assert not out.exists()


def test_forecast_json_has_rounds_list():
    res = runner.invoke(
        app,
        [
            "forecast",
            CSV,
            "--model",
            "expected-utility",
            "--preset",
            "scholz_compat",
            "--rounds",
            "8",
            "--format",
            "json",
        ],
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["parameters"]["max_rounds"] == 8
    meds = [r["median"] for r in doc["rounds"]]
    assert [int(m * 10) / 10 for m in meds] == [7.0, 8.4, 9.6, 9.9, 9.9, 9.9, 7.4, 8.8, 9.6]
    assert {"round", "actor", "issue", "position"} <= set(doc["trajectory"][0])
