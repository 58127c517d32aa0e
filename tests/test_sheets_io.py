"""The detente workbook and the long CSV table: both ways, korea-2019 included; one sheet by name."""

from __future__ import annotations

import numpy as np
import openpyxl
import pytest

from detente.api import forecast
from detente.errors import ScenarioError
from detente.models.base import available
from detente.scenario.arrays import scenario_hash
from detente.scenario.io import detect_format, load, save


@pytest.fixture(scope="module")
def korea():
    return load("korea-2019")


def test_korea_workbook_round_trip_is_identical(korea, tmp_path):
    p = save(korea, tmp_path / "k.xlsx")
    wb = openpyxl.load_workbook(p, read_only=True)
    assert {"scenario", "issues", "actors", "stances", "sources"} <= set(wb.sheetnames)
    wb.close()
    assert detect_format(p, p.read_bytes()) == "detente-xlsx"
    back = load(p)
    assert back.model_dump() == korea.model_dump()
    assert scenario_hash(back) == scenario_hash(korea)
    # same scenario, same bytes
    assert save(back, tmp_path / "k2.xlsx").read_bytes() == p.read_bytes()


def test_workbook_stances_sheet_has_basis_columns(korea, tmp_path):
    p = save(korea, tmp_path / "k.xlsx")
    ws = openpyxl.load_workbook(p, read_only=True)["stances"]
    header = next(ws.iter_rows(values_only=True))
    assert header[:4] == ("actor", "issue", "position", "salience")
    assert "position_basis.source" in header


@pytest.mark.parametrize("name", ["cop21-paris-2015", "road-toll", "emission-standards-1994"])
def test_other_scenarios_workbook_round_trip(name, tmp_path):
    s = load(name)
    assert load(save(s, tmp_path / "s.xlsx")) == s


def test_decide_workbook_still_detected(tmp_path):
    s = load("cop21-paris-2015")
    p = save(s, tmp_path / "d.xlsx", fmt="decide-xlsx")
    assert detect_format(p, p.read_bytes()) == "decide-xlsx"
    assert len(load(p).stances) == len(s.stances)


def test_korea_long_csv_forecasts_identical(korea, tmp_path):
    p = save(korea, tmp_path / "k.csv")
    text = p.read_text()
    assert "# scale denuclearization 0 100" in text and "# status_quo" in text and "# source {" in text
    assert detect_format(p, p.read_bytes()) == "long-csv"
    back = load(p)
    assert [a.id for a in back.actors] == [a.id for a in korea.actors]
    assert [i.id for i in back.issues] == [i.id for i in korea.issues]
    models = sorted(available())
    assert len(models) >= 7
    for model in models:
        want = forecast(korea, model, seed=1)
        got = forecast(back, model, seed=1)
        assert np.array_equal(got.outcomes, want.outcomes, equal_nan=True), model
        assert np.array_equal(got.trajectory, want.trajectory, equal_nan=True), model


def test_long_csv_second_trip_exact(korea, tmp_path):
    once = load(save(korea, tmp_path / "a.csv"))
    twice = load(save(once, tmp_path / "b.csv"))
    assert twice == once
    assert once.sources == korea.sources and once.vetoes == korea.vetoes and once.delegations == korea.delegations


def test_long_csv_without_comments(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("actor,issue,position,salience,capability\na,x,10,50,2\nb,x,90,80,1\na,y,5,20,2\n")
    s = load(p)
    assert [a.capability for a in s.actors] == [2.0, 1.0]
    assert [(i.id, i.scale.lower, i.scale.upper) for i in s.issues] == [("x", 0, 100), ("y", 0, 100)]
    assert s.name == "t"


def test_long_csv_bad_number_names_line_and_field(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("# scale x 0 100\nactor,issue,position,salience,capability\na,x,10,50,2\nb,x,ten,80,1\n")
    with pytest.raises(ScenarioError) as e:
        load(p)
    msg = str(e.value)
    assert "bad.csv" in msg and "line 4" in msg and "position" in msg and "'ten'" in msg


def test_long_csv_unknown_column(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("actor,issue,position,salience,power\na,x,10,50,2\n")
    with pytest.raises(ScenarioError, match="unknown columns.*power"):
        load(p)


def test_workbook_bad_json_cell_names_sheet_row_column(korea, tmp_path):
    p = save(korea, tmp_path / "k.xlsx")
    wb = openpyxl.load_workbook(p)
    ws = wb["issues"]
    col = [c.value for c in ws[1]].index("points") + 1
    ws.cell(row=3, column=col, value="[{oops")
    wb.save(p)
    with pytest.raises(ScenarioError) as e:
        load(p)
    msg = str(e.value)
    assert "sheet 'issues', row 3, column 'points'" in msg and "[{oops" in msg


def test_sheet_by_name(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "notes"
    wb["notes"].append(["nothing here"])
    ws = wb.create_sheet("round2")
    ws.append(["# scale", "x", 0, 10])
    ws.append(["actor", "issue", "position", "salience", "capability"])
    ws.append(["a", "x", 2, 50, 1])
    ws.append(["b", "x", 8, 50, 3])
    p = tmp_path / "w.xlsx"
    wb.save(p)
    s = load(f"{p}#round2")
    assert s.issues[0].scale.upper == 10 and [st.position for st in s.stances] == [2, 8]
    with pytest.raises(ScenarioError) as e:
        load(f"{p}#round3")
    assert "round3" in str(e.value) and "notes, round2" in str(e.value)
    with pytest.raises(ScenarioError, match="neither decide records nor a long table"):
        load(f"{p}#notes")


def test_sheet_by_name_decide_records(tmp_path):
    s = load("cop21-paris-2015")
    p = save(s, tmp_path / "d.xlsx", fmt="decide-xlsx")
    sheet = openpyxl.load_workbook(p, read_only=True).sheetnames[0]
    assert len(load(f"{p}#{sheet}").stances) == len(s.stances)


def test_show_writes_files_that_load_back(korea, tmp_path):
    from typer.testing import CliRunner

    from detente.cli import _load_commands, app

    _load_commands()
    runner = CliRunner()
    for name in ("k.xlsx", "k.csv"):
        r = runner.invoke(app, ["show", "korea-2019", "--out", str(tmp_path / name)])
        assert r.exit_code == 0, r.output
    assert load(tmp_path / "k.xlsx") == korea
    want = forecast(korea, "compromise").outcomes
    assert np.array_equal(forecast(load(tmp_path / "k.csv"), "compromise").outcomes, want)
    r = runner.invoke(app, ["show", "korea-2019", "--format", "csv"])
    assert r.exit_code == 0 and r.output.splitlines()[1] == "# name korea-2019"


def test_workbook_invalid_value_names_sheet_and_row(korea, tmp_path):
    p = save(korea, tmp_path / "k.xlsx")
    wb = openpyxl.load_workbook(p)
    ws = wb["stances"]
    col = [c.value for c in ws[1]].index("salience") + 1
    ws.cell(row=5, column=col, value=250)
    wb.save(p)
    with pytest.raises(ScenarioError) as e:
        load(p)
    msg = str(e.value)
    assert "sheet 'stances', row 5, field salience" in msg and "250" in msg


def test_long_csv_invalid_value_names_line(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("# scale x 0 100\nactor,issue,position,salience,capability\na,x,10,50,2\nb,x,150,80,1\n")
    with pytest.raises(ScenarioError) as e:
        load(p)
    msg = str(e.value)
    assert "bad.csv" in msg and "line 4" in msg and "150" in msg
