"""A perturbation spec's noise scales are bounded in the schema, with the reason, so no draw overflows: an
unbounded scale is one error line naming the field, and the largest accepted scales run without a numpy warning."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from typer.testing import CliRunner

import detente
from detente.cli import _load_commands, app
from detente.errors import ScenarioError
from detente.uncertainty.spec import load_spec

_load_commands()


@pytest.mark.parametrize(
    "spec, where, expected",
    [
        ({"position": {"scale": 1e308}}, "position.scale", "at most 1e+15"),
        ({"salience": {"rules": [{"actor": "dprk", "scale": 1e300}]}}, "salience.rules[0].scale", "at most 1e+15"),
        ({"capability": {"dist": "lognormal", "scale": 51}}, "capability.scale", "at most 50"),
        (
            {"capability": {"scale": 1, "rules": [{"actor": "dprk", "dist": "lognormal", "scale": 500}]}},
            "capability.rules[0].scale",
            "at most 50",
        ),
    ],
)
def test_an_unbounded_noise_scale_is_refused_with_the_reason(spec, where, expected):
    with pytest.raises(ScenarioError) as e:
        load_spec(spec)
    msg = str(e.value)
    assert f"{where}:" in msg and expected in msg and "\n" not in msg


def test_cli_refuses_a_huge_scale_in_one_line_without_a_warning(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("position:\n  dist: normal\n  scale: 1e308\n")
    r = CliRunner().invoke(app, ["ensemble", "korea-2019", "-n", "8", "--seed", "1", "--perturb", str(p)])
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "position.scale" in r.stderr and "Warning" not in r.stderr


@pytest.mark.parametrize("model", ["compromise", "expected-utility", "nash"])
@pytest.mark.parametrize("capability", [{"dist": "lognormal", "scale": 50.0}, {"dist": "normal", "scale": 1e15}])
def test_the_largest_accepted_scales_run_without_numpy_warnings(model, capability):
    spec = {
        "position": {"dist": "normal", "scale": 1e15, "relative": True},
        "salience": {"dist": "uniform", "scale": 1e15},
        "capability": capability,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        e = detente.ensemble("korea-2019", model, draws=16, seed=3, perturb=spec, progress=False)
    assert np.isfinite(e.outcomes).all()
    assert ((e.outcomes >= e.lower) & (e.outcomes <= e.upper)).all()
    json.dumps(e.to_dict(), allow_nan=False)
