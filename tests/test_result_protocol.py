"""Every result class follows one protocol (detente.results.Result): provenance(), frame(), to_dict(), figure(),
_repr_html_().

One small instance of each class is built through the library and, where a command prints it, through the command
line with the same arguments: the command's ``--format json`` output must be exactly ``to_dict()`` written by the
command's JSON writer (same bytes), the frame must have the class's documented ``frame_columns``, the figure must be
an object-API Figure with labelled axes and a title, and the notebook HTML must show the result's key numbers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from matplotlib.figure import Figure

import detente
from detente import display
from detente.cli.app import dumps, write_figure
from detente.results import Provenance, Result

from .test_cli_output import cli

DEU_SAMPLE = Path(__file__).parent / "data" / "deu" / "dataverse_sample.csv"


def _forecast() -> Any:
    return detente.forecast("korea-2019", model="compromise", seed=0)


def _ensemble() -> Any:
    from detente.uncertainty import ensemble

    return ensemble("korea-2019", "compromise", draws=40, seed=3, progress=False)


def _comparison() -> Any:
    from detente.uncertainty import compare

    return compare("korea-2019", "compromise", "seoul-centred", draws=16, seed=1, progress=False)


def _sensitivity() -> Any:
    from detente.uncertainty import sensitivity

    return sensitivity("korea-2019", "compromise", draws=16, seed=1, progress=False)


def _leaderboard() -> Any:
    from detente.validation import backtest

    return backtest(scenarios=["emission-standards-1994"], models=["compromise", "median"], seed=0)


def _deu() -> Any:
    from detente.validation.deu import deu_backtest

    return deu_backtest(DEU_SAMPLE, models=["compromise", "median"], bootstrap=50, draws=10, seed=0)


def _strategy() -> Any:
    from detente.strategy import run_strategy

    return run_strategy(policies=["aon", "sfs-screen"], paths=200, seed=1)


def _experiment() -> Any:
    from detente.strategy.experiments import run_experiment

    return run_experiment("claim-f", paths=100, seed=0)


def _replay() -> Any:
    from detente.strategy.replay import replay

    return replay(["aon"], paths=100, seed=0)


def _first(df: pd.DataFrame, col: str) -> str:
    return display.fmt(df[col].dropna().iloc[0])


# name -> (build, command line printing its JSON (None: no command prints it), key numbers in the HTML)
CASES: dict[str, tuple[Callable[[], Any], list[str] | None, Callable[[Any], list[str]]]] = {
    "Forecast": (
        _forecast,
        ["forecast", "korea-2019", "--model", "compromise", "--seed", "0"],
        lambda r: [display.fmt(v) for v in r.outcome.values()],
    ),
    "Ensemble": (
        _ensemble,
        ["ensemble", "korea-2019", "--draws", "40", "--seed", "3", "--no-progress"],
        lambda r: [_first(r.summary(), "mean"), _first(r.summary(), "sd"), str(r.draws)],
    ),
    "Comparison": (
        _comparison,
        ["compare", "korea-2019", "--variant", "seoul-centred", "--draws", "16", "--seed", "1", "--no-progress"],
        lambda r: [_first(r.frame(), "diff_mean"), _first(r.frame(), "ci_low"), _first(r.frame(), "ci_high")],
    ),
    "Sensitivity": (
        _sensitivity,
        ["sensitivity", "korea-2019", "--draws", "16", "--seed", "1", "--no-progress"],
        lambda r: [_first(r.frame(), "S1"), _first(r.frame(), "ST")],
    ),
    "Leaderboard": (
        _leaderboard,
        ["backtest", "--scenario", "emission-standards-1994", "--model", "compromise", "--model", "median"],
        lambda r: [_first(r.frame(), "mae_pct"), _first(r.frame(), "median_ae_pct")],
    ),
    "DeuBacktest": (
        _deu,
        ["backtest", str(DEU_SAMPLE), "--model", "compromise", "--model", "median", "--bootstrap", "50", "--draws",
         "10"],
        lambda r: [_first(r.frame(), "mae"), _first(r.frame(), "rmse")],
    ),
    "StrategyResult": (
        _strategy,
        None,
        lambda r: [_first(r.frame(), "p_deal"), _first(r.frame(), "p_crisis"), str(r.paths)],
    ),
    "ExperimentResult": (
        _experiment,
        ["experiment", "claim-f", "--paths", "100"],
        lambda r: [str(r.paths), *(str(v["verdict"]) for v in r.verdicts)],
    ),
    "ReplayResult": (
        _replay,
        ["strategy-replay", "--policy", "aon", "--paths", "100"],
        lambda r: [display.fmt(r.scores["aon"]["jaccard_mean"]), *(display.fmt(v) for v in r.references.values())],
    ),
}

_built: dict[str, Any] = {}


def build(name: str) -> Any:
    if name not in _built:
        _built[name] = CASES[name][0]()
    return _built[name]


@pytest.fixture(params=list(CASES))
def case(request: pytest.FixtureRequest) -> tuple[str, Any]:
    return request.param, build(request.param)


def test_every_result_class_is_a_result(case):
    name, res = case
    assert type(res).__name__ == name
    assert isinstance(res, Result)


def test_provenance_is_a_plain_json_dict_with_seed_and_version(case):
    _, res = case
    prov = res.provenance()
    assert type(prov) is dict and {"seed", "version"} <= set(prov)
    json.dumps(prov, allow_nan=False)


def test_frame_is_tidy_with_the_documented_columns(case):
    _, res = case
    df = res.frame()
    assert isinstance(df, pd.DataFrame) and len(df) > 0
    assert list(df.columns) == list(type(res).frame_columns)
    assert not df.columns.duplicated().any()


def test_to_dict_is_json_and_exactly_what_the_command_prints(case, capsys):
    name, res = case
    doc = res.to_dict()
    assert isinstance(doc, dict)
    text = dumps(doc)  # JSON types only, no NaN (allow_nan=False)
    args = CASES[name][1]
    if args is None:
        return
    code, out, err = cli(capsys, *args, "--format", "json")
    assert code == 0, err
    assert out.rstrip("\n") == text


def test_figure_is_an_object_api_figure_with_labels_and_a_title(case):
    _, res = case
    fig = res.figure()
    assert isinstance(fig, Figure)
    assert fig.canvas.manager is None  # not registered with pyplot
    axes = [ax for ax in fig.axes if ax.axison]
    assert axes
    assert any(ax.get_xlabel() for ax in axes) and any(ax.get_ylabel() for ax in axes)
    assert fig.get_suptitle() or any(ax.get_title() for ax in axes)


# the commands that draw a result's figure with --out FILE.png: their arguments, and the figure's
CHARTS: dict[str, tuple[list[str], Callable[[], dict[str, Any]]]] = {
    "Forecast": (["plot", "korea-2019", "--model", "compromise", "--seed", "0"],
                 lambda: {"scenario": detente.load("korea-2019")}),
    **{name: (CASES[name][1] or [], dict) for name in ("Ensemble", "Comparison", "Leaderboard", "DeuBacktest",
                                                       "ExperimentResult")},
    "Sensitivity": ([*(CASES["Sensitivity"][1] or []), "--top", "8"], dict),
}


@pytest.mark.parametrize("name", list(CHARTS))
def test_the_command_draws_the_same_figure(name, capsys, tmp_path):
    res = build(name)
    args, figure_args = CHARTS[name]
    mine = tmp_path / "library.png"
    write_figure(res.figure(**figure_args()), mine)
    drawn = tmp_path / "command.png"
    code, _, err = cli(capsys, *args, "--out", str(drawn))
    assert code == 0, err
    assert drawn.read_bytes() == mine.read_bytes()


def test_html_shows_the_key_numbers(case):
    name, res = case
    html = res._repr_html_()
    assert html.startswith('<div class="detente-summary">') and f"<b>{name}</b>" in html
    for key in CASES[name][2](res):
        assert key in html, (name, key)
    assert repr(res).startswith(f"<{name} ")


def test_provenance_reads_as_a_field_and_answers_as_the_method():
    ens = build("Ensemble")
    assert isinstance(ens.provenance, Provenance)
    assert ens.provenance["seed"] == 3 == ens.provenance()["seed"]
    assert json.loads(json.dumps(ens.provenance)) == ens.provenance()
