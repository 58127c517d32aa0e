"""Readers refuse what would silently give wrong numbers, and turn every bad input into one bounded error line."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from detente.cli import _load_commands, app
from detente.errors import ScenarioError
from detente.scenario.arrays import to_arrays
from detente.scenario.io import dumps, load, loads, to_dict, with_scale
from detente.scenario.ktab_io import write_ktab_csv

from .conftest import DATA

_load_commands()
runner = CliRunner()


def cli(*args: str):
    res = runner.invoke(app, list(args))
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    return res


def one_error_line(res, name: str) -> str:
    """Exit 2, exactly one line on stderr, naming ``name``."""
    assert res.exit_code == 2, (res.exit_code, res.output)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert name in lines[0], lines[0]
    assert "Traceback" not in res.output
    return lines[0]


def error_of(path: Path | str, **kw) -> str:
    with pytest.raises(ScenarioError) as e:
        load(path, **kw)
    text = str(e.value)
    assert "\n" not in text
    return text


def korea_doc() -> dict:
    return to_dict(load("korea-2019"))


# ---- saliences on 0–1 ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_fraction_saliences_are_refused_unless_declared(tmp_path, suffix):
    doc = korea_doc()
    for st in doc["stances"]:
        st["salience"] = st["salience"] / 100.0
    f = tmp_path / f"k{suffix}"
    f.write_text(json.dumps(doc) if suffix == ".json" else yaml.safe_dump(doc))
    msg = error_of(f)
    assert "salience_scale: 1" in msg and "[0, 1]" in msg
    res = cli("forecast", str(f), "--model", "compromise")
    one_error_line(res, str(f))


def test_declared_fraction_saliences_read_as_points(tmp_path):
    base = load("korea-2019")
    doc = to_dict(base)
    doc["salience_scale"] = 1
    for st in doc["stances"]:
        st["salience"] = st["salience"] / 100.0
    for v in doc.get("variants", []):
        for e in v["edits"]:
            if e.get("field") == "salience" and e.get("op") in ("set", "shift"):
                e["value"] = e["value"] / 100.0
    f = tmp_path / "k.yaml"
    f.write_text(yaml.safe_dump(doc))
    s = load(f)
    np.testing.assert_allclose(to_arrays(s).salience, to_arrays(base).salience, rtol=1e-12)
    for v, w in zip(s.variants, base.variants):
        for e, g in zip(v.edits, w.edits):
            assert e.value == pytest.approx(g.value, rel=1e-12) if g.value is not None else e.value is None
    # the saved file says which unit its saliences are in, and loads again unchanged
    again = loads(dumps(s, "yaml"), "yaml")
    assert again.salience_scale == 100 and again.stances == s.stances


def test_declared_scale_100_accepts_small_saliences(tmp_path):
    doc = korea_doc()
    doc["salience_scale"] = 100
    for st in doc["stances"]:
        st["salience"] = st["salience"] / 100.0
    f = tmp_path / "k.yaml"
    f.write_text(yaml.safe_dump(doc))
    assert max(st.salience for st in load(f).stances) <= 1.0


def test_saving_tiny_saliences_declares_their_unit():
    s = loads(yaml.safe_dump({**korea_doc(), "salience_scale": 100}), "yaml")
    small = s.model_copy(update={"stances": [st.model_copy(update={"salience": 0.5}) for st in s.stances]})
    assert loads(dumps(small, "yaml"), "yaml").stances[0].salience == 0.5


def test_decide_salience_above_one_among_fractions_names_the_line(tmp_path):
    f = tmp_path / "d.csv"
    f.write_text("#A;a;A\n#A;b;B\n#P;x;X\n#M;x;0;low\n#M;x;100;high\n#D;a;x;10;0.5;0.4\n#D;b;x;90;2;0.6\n")
    msg = error_of(f)
    assert "line 7, field salience" in msg and "got 2.0" in msg and "line 6" in msg


def test_decide_percent_saliences_still_read(tmp_path):
    f = tmp_path / "d.csv"
    f.write_text("#A;a;A\n#A;b;B\n#P;x;X\n#M;x;0;low\n#M;x;100;high\n#D;a;x;10;50;0.4\n#D;b;x;90;20;0.6\n")
    assert [st.salience for st in load(f).stances] == [50.0, 20.0]


# ---- the Actor,Capability,Position,Salience table's scale ----------------------------------------------------------
BDM = "Actor,Capability,Position,Salience\nA,1,20,0.5\nB,1,60,0.5\nC,2,40,0.9\n"


def test_bdm_scale_default_is_stated_and_settable(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text(BDM)
    s = load(f)
    assert (s.issues[0].scale.lower, s.issues[0].scale.upper) == (20.0, 60.0)
    assert "positions' range" in (s.issues[0].description or "")
    s100 = load(f, scale=(0, 100))
    assert (s100.issues[0].scale.lower, s100.issues[0].scale.upper) == (0.0, 100.0)
    assert load(f, scale="0,100") == s100
    # saving keeps the scale: the table gets a '# scale:' line that the reader reads back
    text = dumps(s100, "bdm-csv")
    assert text.splitlines()[0] == "# scale: 0,100"
    assert loads(text, "bdm-csv", str(f)).issues[0].scale == s100.issues[0].scale
    g = tmp_path / "again.csv"
    g.write_text(text)
    assert load(g).issues[0].scale == s100.issues[0].scale
    assert loads(dumps(s100, "yaml"), "yaml").issues[0].scale == s100.issues[0].scale
    # CSV and YAML of the same numbers on the same scale forecast the same
    yml = tmp_path / "t.yaml"
    yml.write_text(dumps(s100, "yaml"))
    a = json.loads(cli("forecast", str(f), "--scale", "0,100", "-m", "nash", "--format", "json").stdout)
    b = json.loads(cli("forecast", str(yml), "-m", "nash", "--format", "json").stdout)
    assert a["outcomes"] == b["outcomes"] and a["scales"] == b["scales"] == {"t": [0.0, 100.0]}


def test_scale_option_is_stated_and_checked(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text(BDM)
    res = cli("show", str(f), "--scale", "0,100")
    assert res.exit_code == 0 and "0–100" in res.stdout
    res = cli("forecast", str(f), "-m", "compromise")
    assert res.exit_code == 0 and "scale 20–60" in res.stdout
    one_error_line(cli("show", str(f), "--scale", "30,100"), str(f))
    res = cli("show", str(f), "--scale", "9,x")
    assert res.exit_code == 2 and "--scale" in res.output
    with pytest.raises(ScenarioError, match="LO < HI"):
        with_scale(load(f), "5,5")


# ---- YAML 1.2 and strict numbers ----------------------------------------------------------------------------------
def yaml_with(tmp_path, old: str, new: str) -> Path:
    """The emission-standards scenario as YAML with the first line matching ``old`` (a regex) replaced by ``new``."""
    text = dumps(load("emission-standards-1994"), "yaml")
    f = tmp_path / "e.yaml"
    f.write_text(re.sub(old, new, text, count=1))
    return f


def test_yaml_12_numbers(tmp_path):
    old = r"position: [^\n]*"
    assert load(yaml_with(tmp_path, old, "position: 010")).stances[0].position == 10.0  # not octal 8
    assert "got '1:30'" in error_of(yaml_with(tmp_path, old, "position: 1:30"))  # not sexagesimal 90
    assert "got True" in error_of(yaml_with(tmp_path, old, "position: true"))  # not 1.0
    assert "got '5'" in error_of(yaml_with(tmp_path, old, "position: '5'"))


def test_duplicate_keys_refused(tmp_path):
    msg = error_of(yaml_with(tmp_path, r"(position: [^\n]*)", "\\1\n  position: 3"))
    assert "duplicate key" in msg and "'position'" in msg
    f = tmp_path / "e.json"
    f.write_text('{"name": "x", "name": "y", "issues": [], "actors": [], "stances": []}')
    assert "duplicate key" in error_of(f)


def test_observed_outcome_off_the_scale(tmp_path):
    doc = korea_doc()
    doc["observed"] = {"denuclearization": 140.0}
    doc["outcomes"] = []
    f = tmp_path / "k.yaml"
    f.write_text(yaml.safe_dump(doc))
    assert "observed.denuclearization" in error_of(f)


def test_big_yaml_loads(tmp_path):
    n, m = 300, 20
    doc = {
        "name": "big",
        "issues": [{"id": f"i{j}"} for j in range(m)],
        "actors": [{"id": f"a{i}", "capability": 1 + i % 7} for i in range(n)],
        "stances": [
            {"actor": f"a{i}", "issue": f"i{j}", "position": (i * 7 + j) % 101, "salience": 10 + (i + j) % 80}
            for i in range(n)
            for j in range(m)
        ],
    }
    f = tmp_path / "big.yaml"
    f.write_text(yaml.safe_dump(doc, sort_keys=False))
    s = load(f)
    assert len(s.stances) == n * m and s.stances[-1].position == ((n - 1) * 7 + m - 1) % 101


# ---- XLSX ---------------------------------------------------------------------------------------------------------
def _workbook(rows: list[list], notes_first: bool = False) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    if notes_first:
        ws.title = "notes"
        ws.append(["This workbook holds the road-toll case."])
        ws = wb.create_sheet("data")
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


ROWS = [
    ["#A", "a", "A"],
    ["#A", "b", "B"],
    ["#A", "c", "C"],
    ["#P", "x", "X"],
    ["#M", "x", 0.0, "low"],
    ["#M", "x", 100.0, "high"],
    ["#D", "a", "x", 10.0, 0.5, 0.4],
    ["#D", "b", "x", 60.0, 0.5, 0.6],
    ["#D", "c", "x", 90.0, 0.9, 1.0],
]


def _shrink_dimension(data: bytes, ref: str) -> bytes:
    """The workbook with its sheets' declared range rewritten to ``ref`` (as files written by other tools may say)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                body = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), body)
            dst.writestr(item, body)
    return out.getvalue()


def test_xlsx_rows_beyond_the_declared_range_are_read(tmp_path):
    f = tmp_path / "d.xlsx"
    f.write_bytes(_shrink_dimension(_workbook(ROWS), "A1:C3"))
    s = load(f)
    assert [a.id for a in s.actors] == ["a", "b", "c"] and len(s.stances) == 3


def test_xlsx_notes_sheet_first_and_sheet_named_in_errors(tmp_path):
    f = tmp_path / "d.xlsx"
    f.write_bytes(_workbook(ROWS, notes_first=True))
    assert len(load(f).stances) == 3
    bad = [*ROWS[:-1], ["#D", "c", "x", 90.0, "lots", 1.0]]
    f.write_bytes(_workbook(bad, notes_first=True))
    msg = error_of(f)
    assert "sheet 'data'" in msg and "line 9" in msg and "'lots'" in msg


def test_corrupt_xlsx_is_one_line(tmp_path):
    good = _workbook(ROWS)
    f = tmp_path / "d.xlsx"
    f.write_bytes(good[: len(good) // 2])
    one_error_line(cli("validate", str(f)), str(f))
    f.write_bytes(good.replace(b"worksheets/sheet1.xml", b"worksheets/sheetX.xml"))
    one_error_line(cli("validate", str(f)), str(f))


# ---- KTAB CSV -----------------------------------------------------------------------------------------------------
def _ktab_text() -> str:
    doc = {**korea_doc(), "events": [], "variants": [], "description": "Korea 2019"}
    return write_ktab_csv(loads(yaml.safe_dump(doc), "yaml"))


def test_ktab_csv_more_rows_than_announced(tmp_path):
    text = _ktab_text()
    lines = text.splitlines()
    head = lines[0].split(",")
    n = int(head[2])
    head[2] = str(n - 2)
    f = tmp_path / "k.csv"
    f.write_text("\n".join([",".join(head), *lines[1:]]) + "\n")
    msg = error_of(f)
    assert "more actor lines" in msg and f"line {2 + (n - 2) + 1}:" in msg  # the first actor line past N


def test_ktab_csv_cr_line_ends(tmp_path):
    text = _ktab_text()
    a, b = tmp_path / "lf.csv", tmp_path / "cr.csv"
    a.write_text(text)
    b.write_bytes(text.replace("\n", "\r").encode())
    assert load(b).stances == load(a).stances


# ---- one line instead of a traceback --------------------------------------------------------------------------------
def test_perturb_file_not_utf8(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_bytes(b"position: {dist: normal, scale: 0.05}\n# caf\xe9\n")
    res = cli("ensemble", "korea-2019", "--model", "compromise", "--draws", "4", "--perturb", str(f))
    assert "UTF-8" in one_error_line(res, str(f))


@pytest.mark.parametrize(
    "name,body",
    [
        ("deep.yaml", b"a: " + b"[" * 100_000 + b"]" * 100_000),
        ("deep.json", b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
        ("bigint.yaml", b"name: x\ndate: " + b"9" * 5001 + b"\n"),
        ("bigint.json", b'{"name": ' + b"9" * 5001 + b"}"),
    ],
)
def test_pathological_documents(tmp_path, name, body):
    f = tmp_path / name
    f.write_bytes(body)
    for cmd in (["validate", str(f)], ["forecast", str(f), "--model", "compromise"]):
        one_error_line(cli(*cmd), str(f))


def test_decide_field_over_the_csv_limit(tmp_path):
    f = tmp_path / "d.csv"
    f.write_text("#A;a;" + "x" * 200_000 + "\n#P;x;X\n#D;a;x;1;0.5;1\n")
    line = one_error_line(cli("validate", str(f)), str(f))
    assert "line 1" in line and len(line) < 1000


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero on this system")
def test_validate_dev_zero_is_bounded():
    line = one_error_line(cli("validate", "/dev/zero"), "/dev/zero")
    assert "too large" in line


def test_error_echo_is_capped(tmp_path):
    doc = korea_doc()
    doc["stances"][0]["actor"] = "x" * 1_000_000
    f = tmp_path / "k.json"
    f.write_text(json.dumps(doc))
    line = one_error_line(cli("validate", str(f)), str(f))
    assert len(line) < 1100
    doc = korea_doc()
    doc["actors"] += [{"id": f"extra-{k}", "capability": 1} for k in range(5003)]
    doc["stances"][0]["actor"] = "nobody"
    f.write_text(json.dumps(doc))
    line = one_error_line(cli("validate", str(f)), str(f))
    assert len(line) < 1100 and "characters cut" in line


def test_reference_files_still_read():
    assert len(load(DATA / "foundation" / "CoP21.xlsx").stances) == len(load(DATA / "foundation" / "CoP21.csv").stances)


@pytest.mark.parametrize(
    "declared,needle",
    [(True, "salience_scale: got True"), (2, "salience_scale: got 2"), (1, "stances[0].salience: got 80")],
)
def test_salience_scale_declarations_checked(declared, needle):
    doc = {**to_dict(load("emission-standards-1994")), "salience_scale": declared}
    with pytest.raises(ScenarioError, match=re.escape(needle)):
        loads(yaml.safe_dump(doc), "yaml")


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="no named pipes on this system")
def test_read_limited_counts_bytes_read_from_a_pipe(tmp_path):
    import os
    import threading

    from detente.scenario.io import read_limited

    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)

    def writer() -> None:
        with open(fifo, "wb") as fh:
            try:
                fh.write(b"x" * 5000)
            except BrokenPipeError:
                pass

    t = threading.Thread(target=writer)
    t.start()
    with pytest.raises(ScenarioError, match="more than 1000 bytes"):
        read_limited(fifo, limit=1000)
    t.join(timeout=10)
    assert not t.is_alive()
