"""--model all (or a list) on ensemble, compare and sensitivity: one run per model on the same draws."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from detente.cli import _load_commands, app

_load_commands()
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, [*args, "--no-progress"])


def test_ensemble_several_models_equal_the_single_runs():
    r = run("ensemble", "korea-2019", "--model", "median,nash", "-n", "40", "--seed", "5", "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert [x["model"] for x in doc["runs"]] == ["median", "nash"] and doc["cannot_run"] == []
    for x in doc["runs"]:
        one = json.loads(
            run("ensemble", "korea-2019", "--model", x["model"], "-n", "40", "--seed", "5", "--format", "json").stdout
        )
        assert x["issues"] == one["issues"]


def test_compare_all_models_csv_has_a_model_column():
    r = run(
        "compare", "korea-2019", "-v", "seoul-centred", "--model", "all", "-n", "20", "--seed", "1", "--format", "csv"
    )
    assert r.exit_code == 0, r.output
    df = pd.read_csv(io.StringIO(r.stdout))
    from detente.models.base import available

    assert list(df.columns[:3]) == ["model", "variant", "issue"]
    assert set(df["model"]) <= set(available()) and {"compromise", "median", "nash"} <= set(df["model"])
    assert len(df) == 8 * df["model"].nunique()  # eight issues each


def test_sensitivity_several_models_table():
    r = run("sensitivity", "korea-2019", "--model", "median,compromise", "-n", "8", "--seed", "1", "--top", "1")
    assert r.exit_code == 0, r.output
    assert "2 models" in r.stdout
    assert r.stdout.count("median ") >= 8 and r.stdout.count("compromise ") >= 8


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["ensemble", "korea-2019", "--model", "all", "--param", "p=1"], "expected a single --model"),
        (
            ["compare", "korea-2019", "-v", "seoul-centred", "--model", "all", "--out", "c.png"],
            "a chart draws one model",
        ),
        (["ensemble", "korea-2019", "--model", "all", "--draws-out", "d.csv"], "--draws-out"),
    ],
)
def test_several_models_refusals(args, needle, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = run(*args)
    assert r.exit_code == 2 and needle in r.stderr
    assert not any(tmp_path.iterdir())
