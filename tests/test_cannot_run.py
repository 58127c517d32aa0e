"""What each model needs from a scenario: ``Model.cannot_run`` gives the reason (or None), ``solve`` refuses with
it, ``detente validate`` lists the models that cannot run a file and ``forecast --model all`` runs the others."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from detente.cli import _load_commands, app
from detente.errors import ScenarioError
from detente.models import available, get
from detente.scenario.arrays import ScenarioArrays

_load_commands()
runner = CliRunner()


def _arrays(**kw):
    x = np.array([[10.0, 40.0], [60.0, 70.0], [90.0, 20.0]])
    return ScenarioArrays.from_numpy(x, kw.pop("salience", 0.5), kw.pop("capability", np.ones(3)), **kw)


def test_every_model_declares_what_it_needs():
    a = _arrays(status_quo=np.array([50.0, 50.0]))
    for name, cls in available().items():
        assert cls().cannot_run(a) is None, name  # an ordinary scenario: every model runs


def test_nash_needs_a_status_quo_or_participants():
    sal = np.array([[0.5, 0.0], [0.5, 0.0], [0.5, 0.0]])  # nobody cares about I01
    nash = get("nash")
    reason = nash.cannot_run(_arrays(salience=sal))
    assert reason is not None and "issue 'I01' has no status quo" in reason and "salience and capability" in reason
    with pytest.raises(ScenarioError, match="model 'nash' cannot run it: issue 'I01'"):
        nash.solve(_arrays(salience=sal))
    # with a status quo there is a defined answer: nobody bargains, the status quo stands
    fc = nash.solve(_arrays(salience=sal, status_quo=np.array([np.nan, 30.0])))
    assert fc.outcomes[0, 1] == 30.0 and fc.status[0, 1] == "no_agreement" and np.isfinite(fc.outcomes).all()


def test_exchange_runs_one_issue_as_its_voting_outcome():
    # nothing can be traded with one issue: a defined forecast (the voting outcome before any exchange), with a note
    one_issue = ScenarioArrays.from_numpy(
        np.array([[10.0], [50.0], [90.0]]), np.array([[0.2], [0.5], [0.9]]), np.ones(3)
    )
    ex = get("exchange")
    assert ex.cannot_run(one_issue) is None
    fc = ex.solve(one_issue)
    assert fc.outcomes[0, 0] == pytest.approx(get("compromise").solve(one_issue).outcomes[0, 0], abs=1e-12)
    assert fc.tables["exchanges"].empty and fc.status[0, 0] == "converged"
    assert any("no exchange is possible" in n for n in fc.info["notes"])
    assert ex.solve(one_issue, keep="final").outcomes[0, 0] == fc.outcomes[0, 0]


def test_spatial_limits():
    one_actor = ScenarioArrays.from_numpy(np.array([[10.0, 20.0]]), 0.5, np.ones(1))
    need = "the spatial model needs at least two actors who care about some issue (salience > 0), got 1"
    assert get("spatial").cannot_run(one_actor) == need
    careless = np.array([[0.5, 0.5], [0.0, 0.0], [0.0, 0.0]])
    assert get("spatial").cannot_run(_arrays(salience=careless)) == need
    # one actor with no salience anywhere is left out of the coalition arithmetic: the model runs
    assert get("spatial").cannot_run(_arrays(salience=np.array([[0.5, 0.5], [0.0, 0.0], [0.5, 0.5]]))) is None
    powerless = get("spatial").cannot_run(_arrays(capability=np.array([1.0, 0.0, 2.0])))
    assert powerless is not None and "actor 'A01' has capability 0" in powerless
    assert get("compromise").cannot_run(_arrays(salience=careless)) is None


def test_validate_lists_the_models_that_cannot_run():
    r = runner.invoke(app, ["validate", "emission-standards-1994"])
    assert r.exit_code == 0 and "model " not in r.stdout  # every model runs the one-issue case
    r = runner.invoke(app, ["validate", "korea-2019"])
    assert r.exit_code == 0 and "model " not in r.stdout


def test_forecast_all_runs_every_model_that_can(tmp_path, base):
    r = runner.invoke(app, ["forecast", "emission-standards-1994", "--model", "all", "--format", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert {f["model"] for f in doc["forecasts"]} == set(available()) and doc["cannot_run"] == []
    for st in base["stances"]:
        if st["issue"] == "years":
            st["salience"] = 0  # nobody cares about 'years', which has no status quo: nash cannot run it
    path = tmp_path / "s.json"
    path.write_text(json.dumps(base))
    r = runner.invoke(app, ["forecast", str(path), "--model", "all", "--format", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    ran = [f["model"] for f in doc["forecasts"]]
    assert "nash" not in ran and set(ran) == set(available()) - {"nash"}
    assert [k["model"] for k in doc["cannot_run"]] == ["nash"]
    assert "issue 'years' has no status quo" in doc["cannot_run"][0]["reason"]
    r = runner.invoke(app, ["forecast", str(path), "--model", "all"])
    assert r.exit_code == 0 and "models not run" in r.stdout and "nash" in r.stdout
    r = runner.invoke(app, ["forecast", str(path), "--model", "all", "--format", "csv"])
    assert r.exit_code == 0 and ",nash," not in r.stdout
    assert "note: model 'nash' cannot run" in r.stderr
    r = runner.invoke(app, ["forecast", "korea-2019", "--model", "all", "--format", "json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["cannot_run"] == []


def test_forecast_of_a_model_that_cannot_run_is_one_error_line(tmp_path, base):
    for st in base["stances"]:
        if st["issue"] == "years":
            st["salience"] = 0  # nobody cares about 'years', which has no status quo
    path = tmp_path / "s.json"
    path.write_text(json.dumps(base))
    r = runner.invoke(app, ["forecast", str(path), "--model", "nash", "--format", "json"])
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr.strip().count("\n") == 0 and "issue 'years' has no status quo" in r.stderr
    r = runner.invoke(app, ["validate", str(path)])
    assert r.exit_code == 0 and "warning: model nash: cannot run this scenario: issue 'years'" in r.stdout
