"""Never NaN with exit 0: magnitudes the models cannot compute with are refused by the schema with the reason, and
extreme but valid values (saliences near the smallest double) give finite forecasts in every model."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from detente.cli import _load_commands, app
from detente.errors import ScenarioError
from detente.models import available, get
from detente.scenario.arrays import to_arrays
from detente.scenario.io import from_dict

_load_commands()


def _doc(base, edit):
    d = copy.deepcopy(base)
    edit(d)
    return d


@pytest.mark.parametrize(
    "edit,where,reason",
    [
        (lambda d: d["actors"][0].update(capability=1e308), "actors[0].capability", "capabilities are relative"),
        (lambda d: d["stances"][0].update(capability=1e300), "stances[0].capability", "capabilities are relative"),
        (lambda d: d["issues"][1]["scale"].update(lower=-1e308), "issues[1].scale.lower", "square distances"),
        (lambda d: d["issues"][1]["scale"].update(upper=1e308), "issues[1].scale.upper", "square distances"),
        (
            lambda d: d["issues"][1]["scale"].update(lower=1e15 - 1, upper=1e15),
            "issues[1].scale",
            "too few significant digits",
        ),
    ],
)
def test_schema_refuses_magnitudes_the_models_cannot_compute_with(base, edit, where, reason):
    with pytest.raises(ScenarioError) as e:
        from_dict(_doc(base, edit), "s.json")
    msg = str(e.value)
    assert msg.startswith(f"s.json: {where}: ") and reason in msg


def test_schema_states_the_bounds(base):
    from detente.scenario.schema import Scenario

    schema = json.dumps(Scenario.model_json_schema())
    assert "capabilities are relative" in schema and "1e+15" in schema
    ok = _doc(base, lambda d: d["actors"][0].update(capability=1e15))  # the bound itself is valid
    assert from_dict(ok).actors[0].capability == 1e15


def test_cli_refuses_an_overflowing_capability_in_one_line(tmp_path, base):
    path = tmp_path / "s.json"
    path.write_text(json.dumps(_doc(base, lambda d: d["actors"][0].update(capability=1e308))))
    r = CliRunner().invoke(app, ["forecast", str(path), "--model", "all", "--format", "json"])
    assert r.exit_code == 2 and r.stdout == "" and "at most 1e+15" in r.stderr


def _tiny(d):
    for st in d["stances"]:
        st["salience"] = 1e-300


@pytest.mark.parametrize("model", sorted(available()))
def test_tiny_saliences_give_finite_forecasts(base, model):
    a = to_arrays(from_dict(_doc(base, _tiny)))
    m = get(model)
    if m.cannot_run(a) is not None:
        pytest.skip(f"{model} cannot run it: {m.cannot_run(a)}")
    fc = m.solve(a, seed=0)
    assert np.isfinite(fc.outcomes).all(), fc.outcomes
