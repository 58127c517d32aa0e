"""Text tables fit the terminal: every README command at COLUMNS=80 and 100, no line wider, no number cut."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from rich.console import Console
from rich.table import Table
from typer.testing import CliRunner

from detente.cli import _load_commands, app
from detente.cli._tables import fit, text_of

ROOT = Path(__file__).resolve().parents[1]
SKIP = ("my-scenario", "--perturb my", "Dataset_DEU_III")
# data, not tables: JSON/YAML lines are as long as their strings
DATA = ("--format json", "detente schema", "scenarios random", "--out ")
CUT = re.compile(r"\d…|…\d|\(…|…\)")


def _readme_commands() -> list[str]:
    cmds = []
    for block in re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S):
        for line in block.splitlines():
            line = line.split("  #")[0].strip()
            if line.startswith("detente ") and not any(s in line for s in SKIP) and not any(d in line for d in DATA):
                # the same tables from fewer draws and paths: the layout is what is tested here, not the numbers
                line = re.sub(r"--workers \d+", "", line)
                line = re.sub(r"--(draws|paths) \d+", r"--\1 64", line)
                cmds.append(line)
    return cmds


COMMANDS = _readme_commands()


def _run(args: list[str], columns: int) -> str:
    _load_commands()
    r = CliRunner().invoke(app, args, env={"COLUMNS": str(columns)})
    assert r.exit_code == 0, r.output[-2000:]
    return r.output


@pytest.mark.parametrize("columns", [80, 100])
@pytest.mark.parametrize("command", COMMANDS, ids=[c[8:60] for c in COMMANDS])
def test_readme_tables_fit(tmp_path, monkeypatch, command, columns):
    monkeypatch.chdir(tmp_path)
    out = _run(shlex.split(command)[1:], columns)
    wide = [line for line in out.splitlines() if len(line) > columns]
    assert not wide, f"{len(wide)} line(s) wider than {columns}: {wide[0]!r}"
    cut = [line for line in out.splitlines() if CUT.search(line)]
    assert not cut, f"a number cut: {cut[0]!r}"


@pytest.mark.parametrize("columns", [80, 100])
def test_side_by_side_forecast_shows_every_json_number(columns):
    """Every model's forecast of every issue in the JSON output is in the 80-column table, whole (to 0.1)."""
    args = ["forecast", "korea-2019", "--model", "all", "--as-of", "2019-09-10"]
    text = _run(args, columns)
    doc = json.loads(_run([*args, "--format", "json"], columns))
    shown = set(re.findall(r"-?\d+\.\d", text))
    values = _forecast_numbers(doc)
    assert len(values) >= 40
    missing = {v for v in values if f"{v:.1f}" not in shown}
    assert not missing, f"not shown whole: {sorted(missing)[:5]}"


def _forecast_numbers(doc) -> list[float]:
    return [float(v) for fc in doc["forecasts"] for v in fc["outcomes"].values() if v is not None]


def _wide_table(ncols: int) -> Table:
    t = Table("issue", *[f"model-{k}" for k in range(ncols)], title="wide")
    for r in range(3):
        t.add_row(f"issue-{r}", *[f"{1000 * r + k + 0.125:.3f}" for k in range(ncols)])
    return t


def test_fit_splits_columns_and_keeps_every_number():
    t = _wide_table(14)
    parts = fit(t, 60, Console(width=60))
    assert len(parts) > 1
    text = text_of([_wide_table(14)], 60)
    assert max(len(line) for line in text.splitlines()) <= 60
    for r in range(3):
        for k in range(14):
            assert f"{1000 * r + k + 0.125:.3f}" in text
    assert text.count("issue-2") == len(parts)  # the key column repeats in every part


def test_fit_goes_vertical_when_one_column_is_too_wide():
    t = Table("key", "value")
    t.add_row("x" * 30, "12345678901234567890.5")
    text = text_of([t], 40)
    assert max(len(line) for line in text.splitlines()) <= 40
    assert "12345678901234567890.5" in text


def test_files_keep_whole_tables():
    text = text_of([_wide_table(14)], None)
    assert len(text.splitlines()[2]) > 100  # one table, natural width


def test_column_formats_share_decimals():
    from detente.cli._tables import column

    assert column([68.70989, 15.0, 9.1]) == ["68.7", "15.0", "9.1"]
    assert column([0.05321, 0.5, None, float("nan")]) == ["0.053", "0.500", "—", "—"]
    assert column([0, 0]) == ["0", "0"]


def test_threshold_in_text_output_matches_json():
    args = ["ensemble", "korea-2019", "--model", "compromise", "--draws", "100", "--seed", "1",
            "--threshold", "50", "--threshold", "sequencing=30"]
    text = _run(args, 100)
    doc = json.loads(_run([*args, "--format", "json"], 100))
    assert "P(outcome ≥ T)" in text
    rows = [line for line in text.splitlines() if line.strip("│ ").startswith("sequencing") and "│ 30 " in line]
    assert len(rows) == 1
    p_ge = doc["issues"]["sequencing"]["p_ge"]
    assert f"{p_ge[next(k for k in p_ge if float(k) == 30)]:.3f}" in rows[0]


def test_compare_numbers_share_decimals_per_column():
    args = ["compare", "korea-2019", "--model", "expected-utility", "--variant", "seoul-centred", "--draws", "50",
            "--seed", "1"]
    text = _run(args, 200)
    diffs = re.findall(r"│ (-?\d+(?:\.\d+)?) \[(-?\d+(?:\.\d+)?), (-?\d+(?:\.\d+)?)\]", text)
    assert len(diffs) == 8
    decimals = {len(x.partition(".")[2]) for row in diffs for x in row}
    assert len(decimals) == 1, decimals  # not ragged .4g
    assert not re.search(r"-0\.0+(?![0-9])", text)  # no negative zero


def test_widths_summed_from_the_cells_are_what_rich_measures():
    """fit() sums a plain text table's width from its cells' widths and its borders instead of measuring every cell
    through rich for each trial split; the sums must be rich's own measurements, for every box, padding and edge."""
    from rich import box
    from rich.text import Text

    from detente.cli import _tables

    console = Console(width=80, file=None)
    for kw in (
        {},
        {"box": box.SIMPLE, "pad_edge": False},
        {"box": None, "padding": (0, 2), "collapse_padding": True},
        {"show_edge": False, "show_lines": True},
        {"box": box.HEAVY_HEAD, "padding": (0, 0, 0, 3)},
    ):
        t = Table(**kw)
        t.add_column("actor", no_wrap=True)
        t.add_column(Text("position now and later"))
        t.add_column("a note in words", overflow="fold")
        t.add_row("north-korea", "12.5", "a long [b]prose[/b] cell that wraps\nover two lines")
        t.add_row(Text("시민 社会"), "−3", "")
        assert _tables._plain_text(t)
        rich_max = _tables._measure(console, t).maximum
        natural, least = _tables._widths(t)
        assert _tables._maximum(console, t) == rich_max
        assert _tables._need(console, t) == rich_max - natural + least
    emoji = Table()
    emoji.add_column("mood")
    emoji.add_row(":smile:")
    headless = Table(show_header=False)
    headless.add_column("a header wider than the cells")
    headless.add_row("1")
    for t in (emoji, headless):  # an emoji may replace the code; a hidden header does not count: measured by rich
        assert not _tables._plain_text(t)
        assert _tables._maximum(console, t) == _tables._measure(console, t).maximum
