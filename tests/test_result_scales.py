"""Every result states the scale of each issue it reports on (its provenance's ``scales``, and the text table's
caption), and an issue nobody holds a stance on has no statistics anywhere (listed under ``no_forecast``)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from detente.cli import _load_commands, app
from detente.display import scale_caption
from detente.models import get
from detente.scenario.arrays import ScenarioArrays

_load_commands()
KOREA = {i: [0.0, 100.0] for i in ("denuclearization", "sanctions-relief")}


def _run(*args: str):
    r = CliRunner().invoke(app, list(args))
    assert r.exit_code == 0, r.output
    return r


def test_forecast_provenance_states_each_issue_scale():
    a = ScenarioArrays.from_numpy(
        np.array([[10.0, 0.2], [40.0, 0.9]]), np.full((2, 2), 0.5), np.array([30.0, 70.0]), lower=[0, -1], upper=[100, 1]
    )
    fc = get("compromise").solve(a)
    assert fc.provenance()["scales"] == {"I00": [0.0, 100.0], "I01": [-1.0, 1.0]}
    assert fc.to_dict()["scales"] == fc.provenance()["scales"]
    assert scale_caption(fc.scales) == "scales: I00 0–100, I01 -1–1"
    assert scale_caption({"x": [0, 100], "y": [0, 100]}) == "scale 0–100 on every issue"


@pytest.mark.parametrize(
    "args",
    [
        ["ensemble", "korea-2019", "-n", "8", "--seed", "1"],
        ["compare", "korea-2019", "-v", "bolton-departure", "-n", "8", "--seed", "1"],
        ["sensitivity", "korea-2019", "-n", "8", "--seed", "1"],
        ["exchanges", "korea-2019", "--round", "1"],
        ["perspective", "korea-2019", "--actor", "us-president"],
        ["ensemble", "korea-2019", "-n", "8", "--seed", "1", "--model", "compromise,median"],
    ],
    ids=lambda a: " ".join(a[:1] + a[-2:]),
)
def test_every_result_states_the_scales(args):
    doc = json.loads(_run(*args, "--format", "json").stdout)
    scales = doc["runs"][0]["scales"] if "runs" in doc else doc["scales"]
    assert {k: scales[k] for k in KOREA if k in scales} == {k: v for k, v in KOREA.items() if k in scales}
    assert scales and all(v == [0.0, 100.0] for v in scales.values())
    text = _run(*args).stdout
    assert "scale 0–100" in text


def test_backtest_states_the_scales(tmp_path, base):
    doc = base
    doc["observed"] = {doc["issues"][0]["id"]: 40}
    path = tmp_path / "s.json"
    path.write_text(json.dumps(doc))
    out = json.loads(_run("backtest", str(path), "--model", "compromise", "--format", "json").stdout)
    iid = doc["issues"][0]["id"]
    sc = doc["issues"][0]["scale"]
    assert out["provenance"]["scenarios"][0]["scales"][iid] == [float(sc["lower"]), float(sc["upper"])]
    assert f"scale {sc['lower']:g}–{sc['upper']:g}" in _run("backtest", str(path), "--model", "compromise").stdout


def test_ensemble_leaves_out_an_issue_nobody_holds_a_stance_on(tmp_path, base):
    doc = base
    doc["issues"].append({"id": "orphan", "scale": {"lower": 0, "upper": 10}})
    path = tmp_path / "s.json"
    path.write_text(json.dumps(doc))
    r = _run("ensemble", str(path), "-n", "16", "--seed", "2", "--format", "json")
    out = json.loads(r.stdout, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    assert "orphan" not in out["issues"] and out["no_forecast"] == {"orphan": "no actor holds a stance on this issue"}
    assert out["scales"]["orphan"] == [0.0, 10.0]
    assert "null" not in json.dumps(out["issues"]) and out["issues"]
    assert all(v["n"] == 16 for v in out["issues"].values())
