"""The command line's own surface: --version, shell completion, choices in help, `models NAME`, one name per command."""

from __future__ import annotations

from typer.testing import CliRunner

import detente
from detente.cli import _load_commands, app
from detente.models.base import available


def _run(*args: str, columns: int = 100):
    _load_commands()
    return CliRunner().invoke(app, list(args), env={"COLUMNS": str(columns)})


def test_version():
    r = _run("--version")
    assert r.exit_code == 0 and r.output.strip() == f"detente {detente.__version__}"


def test_shell_completion_is_offered():
    r = _run("--help")
    assert "--install-completion" in r.output and "--show-completion" in r.output
    r = _run("--show-completion", "bash")
    assert r.exit_code == 0 and "_detente_completion" in r.output


def test_choices_shown_in_help_and_enforced():
    r = _run("forecast", "--help", columns=160)
    assert "table|csv|json|xlsx" in r.output
    assert "collapse|separate" in r.output and "on|off" in r.output
    r = _run("forecast", "korea-2019", "--format", "xml")
    assert r.exit_code == 2


def test_models_name_explains_every_parameter():
    for name, cls in available().items():
        r = _run("models", name, columns=200)
        assert r.exit_code == 0, r.output
        for key, field in cls.Params.model_fields.items():
            assert key in r.output
            assert field.description, f"{name}.{key} has no description"
        for preset in cls.presets:
            assert preset in r.output
        # a model fitted on data says on which proposals; the others say nothing of the kind
        assert ("chosen on 100 DEU proposals (detente/data/fits/deu3-dev.txt)" in " ".join(r.output.split())) == (
            cls.fitted_on == "deu3-dev"
        )
    assert {n for n, c in available().items() if c.fitted_on} == {"core-compromise", "snap-compromise"}
    r = _run("models", "spatial", columns=200)
    assert "Binary | PropBin | Proportional" in r.output  # a Literal's choices
    assert "float > 0" in r.output  # stop_ratio: a bound (gt=0)
    # the numeric constraints a parameter is checked against: closed and open intervals, one-sided bounds
    assert "float in [0.5, 1]" in _run("models", "snap-compromise", columns=200).output  # theta
    assert "float ≥ 0" in _run("models", "nash", columns=200).output  # cost
    assert "int in [2, 1000]" in _run("models", "expected-utility", columns=200).output  # cycle_window


def test_models_unknown_name_is_one_error():
    r = _run("models", "nope")
    assert r.exit_code == 2
    assert "unknown" in r.output and "compromise" in r.output


def test_one_name_per_command():
    r = _run("--help", columns=200)
    assert "random-scenario" not in r.output  # `scenarios random` is the listed name; the old one is a hidden alias
    assert _run("random-scenario", "--actors", "3", "--dims", "1", "--seed", "1", "--format", "csv").exit_code == 0
    a = _run("random-scenario", "--actors", "4", "--dims", "2", "--seed", "7", "--format", "csv").output
    b = _run("scenarios", "random", "--actors", "4", "--dims", "2", "--seed", "7", "--format", "csv").output
    assert a == b


def test_bad_choice_is_one_line_exit_2(capsys, monkeypatch):
    import pytest

    from detente.cli import main

    monkeypatch.setenv("COLUMNS", "100")
    with pytest.raises(SystemExit) as e:
        main(["forecast", "road-toll", "--format", "xml"])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("error: ") and "'xml'" in err and "json" in err
