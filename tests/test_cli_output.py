"""What the commands write: ``--out``'s suffix decides the format, files are data, the writer is atomic and polite.

Every command that writes data writes CSV, JSON and Excel as data (tidy tables a spreadsheet or pandas reads back),
never the box-drawn text table; ``--format`` and the suffix must agree; a suffix no command knows is one error line.
"""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from detente.cli import main

from .conftest import DATA

BOX = set("┏┃━│─┡╇└┘")


def cli(capsys, *args: str) -> tuple[int, str, str]:
    """Run the installed entry point in this process, as ``detente ARGS``: (exit code, stdout, stderr)."""
    saved = sys.argv
    sys.argv = ["detente", *args]
    try:
        main()
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 0 if e.code is None else 1
    finally:
        sys.argv = saved
    cap = capsys.readouterr()
    return code, cap.out, cap.err


# one fast invocation of every command that writes data
COMMANDS: dict[str, list[str]] = {
    "forecast": ["forecast", "road-toll", "--model", "nash"],
    "forecast-many": ["forecast", "road-toll", "--model", "compromise,median"],
    "show": ["show", "road-toll"],
    "ensemble": ["ensemble", "road-toll", "--draws", "16", "--seed", "1", "--no-progress"],
    "compare": ["compare", "korea-2019", "--variant", "seoul-centred", "--draws", "16", "--seed", "1", "--no-progress"],
    "sensitivity": ["sensitivity", "emission-standards-1994", "--draws", "8", "--seed", "1", "--groups", "actor"],
    "exchanges": ["exchanges", str(DATA / "foundation" / "CoP21.csv"), "--round", "1"],
    "backtest": ["backtest", "--scenario", "emission-standards-1994", "--model", "median"],
    "perspective": ["perspective", "emission-standards-1994", "--actor", "UK"],
    "strategy": ["strategy", "korea-2019", "--rule", "hanoi", "--paths", "8", "--grid", "2,1,3", "--seed", "1"],
    "experiment": ["experiment", "claim-a", "--paths", "20", "--seed", "1"],
    "experiments": ["experiments"],
    "strategy-replay": ["strategy-replay", "--policy", "aon", "--paths", "20", "--seed", "1"],
}


def _no_box(text: str) -> None:
    assert not BOX & set(text), "a data file holds the box-drawn text table"


@pytest.mark.parametrize("name", list(COMMANDS))
def test_out_suffix_decides_the_format_for_every_command(capsys, tmp_path, name):
    args = COMMANDS[name]
    # csv: a tidy table pandas reads back, with rows
    code, _, err = cli(capsys, *args, "--out", str(tmp_path / "r.csv"))
    assert code == 0, err
    text = (tmp_path / "r.csv").read_text()
    _no_box(text)
    # show writes scenario files detente loads back: the long table after its '#' block (tests/test_sheets_io.py)
    frame = pd.read_csv(io.StringIO(text), comment="#" if name == "show" else None)
    assert len(frame) > 0 and len(frame.columns) >= 2
    # json: one document
    code, _, err = cli(capsys, *args, "--out", str(tmp_path / "r.json"))
    assert code == 0, err
    assert isinstance(json.loads((tmp_path / "r.json").read_text()), dict | list)
    # xlsx: a workbook whose first sheet is the CSV's table
    code, _, err = cli(capsys, *args, "--out", str(tmp_path / "r.xlsx"))
    assert code == 0, err
    sheets = pd.read_excel(tmp_path / "r.xlsx", sheet_name=None)
    first = sheets["stances"] if name == "show" else next(iter(sheets.values()))
    assert list(first.columns)[:4] == list(frame.columns)[:4] and len(first) == len(frame)
    if name != "show":
        assert list(first.columns) == list(frame.columns)
    # txt: the text table
    code, _, err = cli(capsys, *args, "--out", str(tmp_path / "r.txt"))
    assert code == 0, err
    assert (tmp_path / "r.txt").read_text().strip()


def test_forecast_csv_by_suffix_matches_format_csv(capsys, tmp_path):
    code, by_flag, _ = cli(capsys, "forecast", "road-toll", "--model", "nash", "--format", "csv")
    assert code == 0
    code, _, _ = cli(capsys, "forecast", "road-toll", "--model", "nash", "--out", str(tmp_path / "f.csv"))
    assert code == 0 and (tmp_path / "f.csv").read_text() == by_flag
    assert by_flag.splitlines()[0] == "issue,outcome,nearest_point,status,rounds,observed"


def test_xlsx_is_reproducible_and_holds_every_table(capsys, tmp_path):
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    for p in (a, b):
        assert cli(capsys, "forecast", "korea-2019", "--model", "median", "--out", str(p))[0] == 0
    assert a.read_bytes() == b.read_bytes()
    sheets = pd.read_excel(a, sheet_name=None)
    assert list(sheets) == ["outcomes", "trajectory"]
    import detente

    issues = [i.id for i in detente.load("korea-2019").issues]
    assert list(sheets["outcomes"]["issue"]) == issues
    assert set(sheets["trajectory"].columns) >= {"round", "actor", "issue", "position"}


@pytest.mark.parametrize(
    "args,needle",
    [
        (["forecast", "road-toll", "--format", "json", "--out", "{tmp}/r.csv"], "--format json contradicts --out"),
        (
            ["forecast", "road-toll", "--out", "{tmp}/r.html"],
            "expected a file ending in .csv, .json, .xlsx, .parquet, .txt",
        ),
        (["forecast", "road-toll", "--out", "{tmp}/results"], "unknown file type '(no suffix)'"),
        (["forecast", "road-toll", "--out", "{tmp}/r.png"], "draws no chart"),
        (["forecast", "road-toll", "--format", "xlsx"], "expected --out FILE.xlsx"),
        (["show", "road-toll", "--out", "{tmp}/r.xlsx", "--format", "csv"], "contradicts"),
        (["strategy", "korea-2019", "--out", "{tmp}/r.yaml"], "cannot write YAML"),
        (["plot", "road-toll", "--out", "{tmp}/x.xyz"], "expected a file ending in .png, .svg, .pdf"),
        (["plot", "road-toll", "--out", "{tmp}/p.html"], "expected a file ending in .png, .svg, .pdf"),
        (["plot", "road-toll", "--out", "{tmp}/p.csv"], "expected a file ending in .png, .svg, .pdf"),
        (["forecast", "road-toll", "--out", "{tmp}"], "is a directory"),
        (["forecast", "road-toll", "--out", "{tmp}/no/such/r.csv"], "does not exist"),
        (["forecast", "korea-2019", "--model", "spatial", "--seed", "-1"], "--seed"),
        (["ensemble", "road-toll", "--seed", "-1"], "--seed"),
        (["backtest", "--seed", "-1"], "--seed"),
        (["exchanges", "road-toll", "--seed", "-5"], "--seed"),
        (["plot", "road-toll", "--seed", "-1"], "--seed"),
        (["random-scenario", "--seed", "-1"], "--seed"),
        (["random-scenario", "--seed", str(2**64)], "--seed"),
    ],
)
def test_output_errors_are_one_line_exit_2_and_write_nothing(capsys, tmp_path, args, needle):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    code, out, err = cli(capsys, *args)
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1 and needle in err, err
    assert "Traceback" not in err and list(tmp_path.iterdir()) == []


def test_new_files_honour_the_umask_and_replaced_files_keep_their_mode(capsys, tmp_path):
    old = os.umask(0o027)
    try:
        assert cli(capsys, "forecast", "road-toll", "--out", str(tmp_path / "a.csv"))[0] == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.csv").stat().st_mode) == 0o640
    old = os.umask(0o022)
    try:
        assert cli(capsys, "forecast", "road-toll", "--out", str(tmp_path / "b.csv"))[0] == 0
        (tmp_path / "b.csv").chmod(0o604)
        assert cli(capsys, "forecast", "road-toll", "--model", "median", "--out", str(tmp_path / "b.csv"))[0] == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "b.csv").stat().st_mode) == 0o604
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.csv"]  # no temporary file left


def test_a_symlinked_out_is_written_through(capsys, tmp_path):
    real = tmp_path / "data" / "results.csv"
    real.parent.mkdir()
    real.write_text("old\n")
    link = tmp_path / "results.csv"
    link.symlink_to(real)
    assert cli(capsys, "forecast", "road-toll", "--out", str(link))[0] == 0
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text().startswith("issue,outcome")
    # a dangling link is written through too: the file appears where the link points
    dangling = tmp_path / "later.csv"
    dangling.symlink_to(tmp_path / "data" / "later-target.csv")
    assert cli(capsys, "forecast", "road-toll", "--out", str(dangling))[0] == 0
    assert dangling.is_symlink() and (tmp_path / "data" / "later-target.csv").read_text().startswith("issue,")


def test_write_errors_name_the_users_path_never_a_temporary_file(capsys, tmp_path, monkeypatch):
    import tempfile

    def refuse(*a, dir=None, prefix="", suffix="", **k):
        raise PermissionError(13, "Permission denied", os.path.join(str(dir), f"{prefix}x1y2{suffix}"))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    out = tmp_path / "r.csv"
    code, _, err = cli(capsys, "forecast", "road-toll", "--out", str(out))
    assert code == 2 and err.count("\n") == 1
    assert str(out) in err and ".tmp" not in err and "Permission denied" in err
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_the_old_file_whole(capsys, tmp_path, monkeypatch):
    out = tmp_path / "r.csv"
    out.write_text("precious\n")

    def broken(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    code, _, err = cli(capsys, "forecast", "road-toll", "--out", str(out))
    assert code == 2 and "No space left" in err and str(out) in err
    assert out.read_text() == "precious\n" and [p.name for p in tmp_path.iterdir()] == ["r.csv"]


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_charts_in_every_supported_format_are_reproducible(capsys, tmp_path, suffix):
    a, b = tmp_path / f"a{suffix}", tmp_path / f"b{suffix}"
    for p in (a, b):
        code, _, err = cli(capsys, "plot", "road-toll", "--model", "compromise", "--out", str(p))
        assert code == 0, err
    head = {".png": b"\x89PNG", ".svg": b"<?xml", ".pdf": b"%PDF"}[suffix]
    assert a.read_bytes().startswith(head) and a.read_bytes() == b.read_bytes()


def test_plotting_never_switches_the_matplotlib_backend(tmp_path):
    """Library figures use the object API: a notebook's backend (here: pdf, chosen first) stays what it was."""
    code = """
import matplotlib, sys
matplotlib.use("pdf")
import detente
from detente.cli.main_commands import run_forecast
from detente.report.trajectory import positions_figure
from detente.report.perspective import perspective_figure
from detente.models.expected_utility import perspective
from detente.models import get
from detente.uncertainty.compare import compare
from detente.uncertainty.sensitivity import sensitivity
from detente.strategy.experiments import figure, run_experiment
s, fc = run_forecast("road-toll", "compromise", None, None, None, None, None)
figs = [positions_figure(fc, s)]
eu = detente.load("emission-standards-1994")
figs.append(perspective_figure(perspective(detente.to_arrays(eu), "UK", model=get("expected-utility"))))
k = detente.load("korea-2019")
figs.append(compare(k, "compromise", "seoul-centred", draws=8, seed=1, progress=False).figure())
figs.append(sensitivity(eu, "compromise", draws=4, seed=1, groups="actor").figure())
figs.append(figure(run_experiment("claim-a", paths=10, seed=1)))
for f in figs:
    f.savefig(sys.argv[1] + "/x.png")
print(matplotlib.get_backend(), "matplotlib.pyplot" in sys.modules, len(figs))
"""
    p = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["pdf", "False", "5"]


def test_the_cli_uses_only_public_typer_and_click_names():
    """Private modules (typer._click exists only from typer 0.26) would break the versions pyproject.toml allows."""
    src = Path(__file__).resolve().parents[1] / "src" / "detente"
    offenders = [
        f"{p.relative_to(src)}:{n}"
        for p in src.rglob("*.py")
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if "typer._" in line or "click._" in line or "from typer.main import _" in line
    ]
    assert offenders == []
