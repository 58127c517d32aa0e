"""`detente exchanges` and `detente forecast --model exchange`."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from detente.cli import _load_commands, app

DATA = Path(__file__).parent / "data" / "exchange"


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    _load_commands()
    return CliRunner()


def test_exchanges_json_per_round(runner):
    r = runner.invoke(app, ["exchanges", str(DATA / "CoP21.csv"), "--rounds", "2", "--format", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["model"] == "exchange" and doc["parameters"]["max_rounds"] == 2
    assert [d["round"] for d in doc["rounds"]] == [1, 2]
    first = doc["rounds"][0]
    assert first["candidates"] == 2094
    top = first["exchanges"][0]
    assert {top["actor_1"], top["actor_2"]} == {"USA", "China"}
    assert {top["supply_1"], top["supply_2"]} == {"eaa", "finance_vol"}
    assert top["gain"] == pytest.approx(2.19072, abs=1e-5)
    assert set(top["move_1"]) == {"from", "to", "move", "toward"}


def test_exchanges_one_round_csv_to_file(runner, tmp_path):
    out = tmp_path / "ex.csv"
    r = runner.invoke(app, ["exchanges", "road-toll", "--round", "2", "--format", "csv", "--out", str(out)])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out)
    assert set(df["round"]) == {2} and list(df["order"]) == list(range(1, len(df) + 1))
    assert {"actor_1", "supply_1", "move_1", "actor_2", "supply_2", "move_2", "gain"} <= set(df.columns)


def test_exchanges_rex_seeded_and_table(runner):
    args = ["exchanges", "cop21-paris-2015", "--round", "1", "--param", "p=0.3", "--seed", "4", "--format", "json"]
    a, b = runner.invoke(app, args), runner.invoke(app, args)
    assert a.exit_code == 0, a.output
    assert a.stdout == b.stdout
    assert json.loads(a.stdout)["parameters"]["p"] == 0.3
    t = runner.invoke(app, ["exchanges", "cop21-paris-2015", "--round", "1"])
    assert t.exit_code == 0 and "2094 candidates" in t.stdout


def test_forecast_with_the_exchange_model(runner):
    r = runner.invoke(app, ["forecast", "cop21-paris-2015", "--model", "exchange", "--rounds", "2", "--format", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["parameters"]["max_rounds"] == 2
    assert len(doc["exchange_rounds"]) == 2 and doc["exchange_rounds"][0]["candidates"] == 2094
    assert set(doc["round1_outcome"]) == set(doc["outcomes"])


def test_errors_are_one_line(runner, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("#A;a;a\n#A;b;b\n#P;x;x\n#D;a;x;160;0.5;1\n#D;b;x;20;0.5;1\n")
    r = runner.invoke(app, ["exchanges", str(bad)])
    assert r.exit_code == 2
    assert "bad.csv" in r.output
    r = runner.invoke(app, ["exchanges", "road-toll", "--param", "p=2"])
    assert r.exit_code == 2 and "p" in r.output
    r = runner.invoke(app, ["exchanges", "road-toll", "--format", "xml"])
    assert r.exit_code == 2 and "--format" in r.output
    r = runner.invoke(app, ["exchanges", "road-toll", "--round", "3", "--rounds", "2"])
    assert r.exit_code == 2


def test_compat_runs_note_how_ties_are_broken(runner):
    """decide_compat output says that ties go by sorted ids here and at random in decide-exchange-model, and where
    the first one is (road-toll round 1: exchange 7); default runs carry the ties but no note."""
    args = ["exchanges", "road-toll", "--rounds", "1", "--preset", "decide_compat"]
    r = runner.invoke(app, [*args, "--format", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["ties"][0] == {"round": 1, "order": 7, "tied_with": 1}
    assert doc["rounds"][0]["exchanges"][6]["tied_with"] == 1
    (note,) = doc["notes"]
    assert "at random" in note and "first tie (round 1, exchange 7)" in note
    text = runner.invoke(app, args).stdout
    assert "note: decide_compat" in text and "(tie)" in text
    fc = runner.invoke(app, ["forecast", "road-toll", "--model", "exchange", "--preset", "decide_compat"]).stdout
    assert "note: decide_compat" in fc
    plain = runner.invoke(app, ["exchanges", "road-toll", "--rounds", "1", "--format", "json"])
    assert "notes" not in json.loads(plain.stdout) and json.loads(plain.stdout)["ties"]
    assert "note:" not in runner.invoke(app, ["forecast", "road-toll", "--model", "exchange"]).stdout
