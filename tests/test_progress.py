"""Progress bars: drawn on a terminal's stderr for long commands, never on a pipe or with --quiet; stdout unchanged."""

from __future__ import annotations

import importlib
import io

import pytest
from rich.console import Console
from typer.testing import CliRunner

from detente.cli import _load_commands, app

rn = importlib.import_module("detente.execution.runner")  # the module (the package exports a function of that name)

_load_commands()
cli = CliRunner()

# small but real runs of every long command: each has steps within a block (rounds, months, rules, models)
COMMANDS = {
    "ensemble": ["ensemble", "korea-2019", "--model", "exchange", "--draws", "8", "--seed", "1"],
    "sensitivity": ["sensitivity", "road-toll", "--draws", "8", "--seed", "1"],
    "backtest": ["backtest", "--scenario", "emission-standards-1994", "--model", "compromise", "--model", "median"],
    "strategy": ["strategy", "korea-2019", "--paths", "50", "--grid", "3,2,4"],
    "experiment": ["experiment", "claim-a", "--paths", "50"],
}


@pytest.fixture
def tty(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """Bars go to a fake terminal (a rich Console writing to a buffer), at once and at every update."""
    buf = io.StringIO()
    monkeypatch.setattr(rn, "_console", Console(file=buf, force_terminal=True, width=100))
    monkeypatch.setattr(rn, "_DELAY", 0.0)
    monkeypatch.setattr(rn, "_MIN_INTERVAL", 0.0)
    return buf


def _run(args: list[str]) -> tuple[str, str]:
    r = cli.invoke(app, args)
    assert r.exit_code == 0, r.output
    return r.stdout, r.stderr


@pytest.mark.parametrize("name", list(COMMANDS))
def test_bar_on_a_terminal_and_stdout_unchanged(name: str, tty: io.StringIO, monkeypatch: pytest.MonkeyPatch) -> None:
    out_tty, _ = _run(COMMANDS[name])
    drawn = tty.getvalue()
    assert "\x1b[" in drawn and "%" in drawn, drawn[:300]  # a rich bar with its percentage was drawn
    tty.seek(0)
    tty.truncate()
    out_quiet, err_quiet = _run(["--quiet", *COMMANDS[name]])
    assert tty.getvalue() == "" and err_quiet == ""  # --quiet: nothing, even on a terminal
    monkeypatch.setattr(rn, "_console", None)  # CliRunner's stderr is not a terminal
    out_pipe, err_pipe = _run(COMMANDS[name])
    assert err_pipe == ""
    assert out_tty == out_quiet == out_pipe and out_tty.strip()


def test_bar_moves_within_one_block(tty: io.StringIO, monkeypatch: pytest.MonkeyPatch) -> None:
    """A one-block exchange ensemble reports its rounds: the bar is set to values between 0 and 1 block."""
    from rich.progress import Progress

    from detente.uncertainty.ensemble import ensemble

    seen: list[float] = []
    update = Progress.update

    def record(self: Progress, task: object, **kw: object) -> None:
        seen.append(float(kw["completed"]))  # type: ignore[arg-type]
        update(self, task, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(Progress, "update", record)
    ensemble("korea-2019", "exchange", draws=8, seed=1)
    assert any(0 < p < 1 for p in seen) and seen == sorted(seen) and seen[-1] == 1.0, seen
    assert "%" in tty.getvalue()


def test_nested_work_fills_the_outer_bar() -> None:
    """Inner progress moves the outer bar within its current unit; no second bar; positions only grow."""
    seen: list[float] = []
    outer = rn.progress(False, 2, "outer")
    outer._report = lambda within, force=False: seen.append(outer.done + within)  # type: ignore[method-assign]
    with outer as advance:
        for _ in range(2):
            with rn.progress(None, 4, "inner") as inner:
                assert rn._active is not None and rn._active.bar is None
                for k in range(4):
                    rn.step(1, 2)
                    inner()
                    assert k >= 0
            advance()
    assert rn._active is None
    assert seen == sorted(seen) and seen[-1] == 2.0
    assert seen[0] == pytest.approx(0.125)  # half of the first of 4 inner units of the first of 2 outer units


def test_quiet_and_pipe_start_no_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rn, "_DELAY", 0.0)
    rn.set_quiet(True)
    try:
        with rn.progress(True, 3, "x"):
            assert rn._active is not None and rn._active.bar is None
    finally:
        rn.set_quiet(False)
    with rn.progress(None, 3, "x"):  # pytest's stderr is captured: not a terminal
        assert rn._active is not None and rn._active.bar is None
