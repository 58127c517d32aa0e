"""Absence is absence: an actor with no stance on an issue has no position there in any model or output.

It takes no part (whatever numbers sit in the arrays' absent cells, every outcome is the same), it never moves (its
trajectory there is NaN in every round), it is no row of the tidy trajectory or the JSON document, and no line of
the chart. An issue nobody holds a stance on has no forecast, and every output says so instead of printing NaN.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from typer.testing import CliRunner

import detente
from detente.cli import _load_commands, app
from detente.models import get
from detente.scenario.arrays import ScenarioArrays, to_arrays

_load_commands()
MODELS = ["compromise", "core-compromise", "snap-compromise", "median", "nash", "expected-utility", "spatial", "exchange"]


def _arrays(seed: int = 3, n: int = 6, m: int = 3) -> ScenarioArrays:
    r = np.random.default_rng(seed)
    mask = np.ones((n, m), bool)
    mask[1, 0] = mask[4, 2] = mask[2, 1] = False
    return ScenarioArrays.from_numpy(
        r.uniform(0, 100, (n, m)).round(1),
        r.uniform(0.2, 0.9, (n, m)).round(2),
        r.uniform(10, 90, n).round(0),
        mask=mask,
        status_quo=np.array([50.0, 20.0, 80.0]),
    )


def _junk(a: ScenarioArrays) -> ScenarioArrays:
    """The same scenario with arbitrary numbers in the absent cells (position, salience, capability)."""
    r = np.random.default_rng(99)
    off = ~a.mask
    return replace(
        a,
        position=np.where(off, r.uniform(0, 100, a.position.shape), a.position),
        salience=np.where(off, r.uniform(0, 1, a.position.shape), a.salience),
        capability=np.where(off, r.uniform(1, 100, a.position.shape), a.capability),
    )


@pytest.mark.parametrize("model", MODELS)
def test_absent_cells_take_no_part_and_have_no_position(model):
    a = _arrays()
    clean = get(model).solve(a, seed=0)
    junk = get(model).solve(_junk(a), seed=0)
    # exact: nothing of an absent cell enters any computation
    assert np.array_equal(clean.outcomes, junk.outcomes)
    assert np.array_equal(clean.trajectory, junk.trajectory, equal_nan=True)
    off = ~a.mask[0]
    assert np.isnan(clean.trajectory[0][:, off]).all()  # never a number, in any round
    assert np.isfinite(clean.trajectory[0][:, ~off]).all()
    rows = clean.trajectory_frame()
    held = {(x, y) for x, y in zip(rows.actor, rows.issue)}
    assert held == {(a.actors[i], a.issues[j]) for i, j in zip(*np.nonzero(a.mask[0]))}
    assert rows.position.notna().all()
    doc = clean.to_dict()
    assert {(t["actor"], t["issue"]) for t in doc["trajectory"]} == held
    json.dumps(doc, allow_nan=False)


@pytest.fixture(scope="module")
def korea():
    s = detente.load("korea-2019")
    return s, to_arrays(s)


@pytest.mark.parametrize("model", MODELS)
def test_korea_us_congress_has_no_inter_korean_position(korea, model):
    """The scenario gives Congress no stance on inter-Korean engagement: no model moves it there (delegations kept
    separate, so that every actor is in the trajectory)."""
    s, a = korea
    i, j = a.actors.index("us-congress"), a.issues.index("inter-korean")
    assert not a.mask[0, i, j]
    fc = get(model).solve(a, seed=0, delegations="separate")
    assert fc.actors == a.actors
    assert np.isnan(fc.trajectory[0, :, i, j]).all()
    assert np.isfinite(fc.trajectory[0, 0, i, np.arange(a.n_issues) != j]).all()
    rows = fc.trajectory_frame()
    assert rows[(rows.actor == "us-congress") & (rows.issue == "inter-korean")].empty
    assert not rows[(rows.actor == "us-congress") & (rows.issue == "denuclearization")].empty


def test_chart_draws_no_line_for_an_absent_actor(korea):
    from detente.report.trajectory import positions_figure

    s, a = korea
    fc = get("spatial").solve(a, seed=0, delegations="separate")
    fig = positions_figure(fc, s, issues=["inter-korean", "denuclearization"])
    inter, denuc = fig.axes[:2]
    assert "us-congress" not in [ln.get_label() for ln in inter.get_lines()]
    assert "us-congress" in [ln.get_label() for ln in denuc.get_lines()]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert set(a.actors) <= set(legend)


def _no_stance_arrays() -> ScenarioArrays:
    a = _arrays(m=3)
    mask = a.mask.copy()
    mask[:, :, 1] = False  # nobody holds a stance on I01
    return ScenarioArrays.from_numpy(
        a.position[0], a.salience[0], a.capability[0], mask=mask[0], status_quo=np.array([50.0, np.nan, 80.0])
    )


@pytest.mark.parametrize("model", MODELS)
def test_issue_without_stances_has_no_forecast_and_says_so(model):
    fc = get(model).solve(_no_stance_arrays(), seed=0)
    assert fc.status[0, 1] == "no_stances" and np.isnan(fc.outcomes[0, 1])
    assert np.isfinite(fc.outcomes[0, [0, 2]]).all()
    doc = fc.to_dict()
    assert "I01" not in doc["outcomes"] and set(doc["outcomes"]) == {"I00", "I02"}
    assert doc["no_forecast"] == {"I01": "no actor holds a stance on this issue"}
    json.dumps(doc["outcomes"], allow_nan=False)
    assert fc.outcome_frame().set_index("issue").loc["I01", "status"] == "no_stances"


def test_cli_issue_without_stances(tmp_path, base):
    doc = base
    doc["issues"].append({"id": "orphan", "scale": {"lower": 0, "upper": 10}})
    path = tmp_path / "s.json"
    path.write_text(json.dumps(doc))
    r = CliRunner().invoke(app, ["forecast", str(path), "--format", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert "orphan" not in out["outcomes"] and out["status"]["orphan"] == "no_stances"
    assert "NaN" not in r.stdout and "null" not in json.dumps(out["outcomes"])
    r = CliRunner().invoke(app, ["forecast", str(path)])
    assert r.exit_code == 0 and "no_stances" in r.stdout and "nan" not in r.stdout.lower()


def test_exported_trajectory_has_no_row_for_an_absent_actor(tmp_path):
    import pandas as pd

    out = tmp_path / "spatial.xlsx"
    args = ["forecast", "korea-2019", "--model", "spatial", "--delegations", "separate"]
    r = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert r.exit_code == 0, r.output
    traj = pd.read_excel(out, sheet_name="trajectory")
    assert traj.position.notna().all()
    assert traj[(traj.actor == "us-congress") & (traj.issue == "inter-korean")].empty
    assert not traj[(traj.actor == "us-congress") & (traj.issue == "sanctions-relief")].empty
    r = CliRunner().invoke(app, [*args, "--format", "json"])
    doc = json.loads(r.stdout)
    assert not [t for t in doc["trajectory"] if (t["actor"], t["issue"]) == ("us-congress", "inter-korean")]
    assert [t for t in doc["trajectory"] if (t["actor"], t["issue"]) == ("us-congress", "sanctions-relief")]
