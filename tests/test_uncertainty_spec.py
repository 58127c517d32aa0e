"""The perturbation spec is data, validated like a scenario: file, field path and value in every error."""

from __future__ import annotations

import json

import numpy as np
import pytest

from detente.errors import ScenarioError
from detente.scenario.arrays import to_arrays
from detente.uncertainty.spec import DEFAULT, NONE, PerturbationSpec, load_spec, resolve_spec

from ._uncertainty_scenarios import toy, toy_dict


def test_default_spec_is_the_documented_one():
    assert DEFAULT.position is not None and (DEFAULT.position.dist, DEFAULT.position.scale) == ("normal", 0.05)
    assert DEFAULT.position.relative
    assert DEFAULT.salience is not None and (DEFAULT.salience.dist, DEFAULT.salience.scale) == ("normal", 10.0)
    assert DEFAULT.capability is not None and (DEFAULT.capability.dist, DEFAULT.capability.scale) == ("lognormal", 0.2)
    assert DEFAULT.dropout.probability == 0 and DEFAULT.shocks.probability == 0
    assert NONE.is_null and not DEFAULT.is_null


def test_load_from_yaml_and_json_files(tmp_path):
    doc = {
        "position": {"dist": "uniform", "scale": 3},
        "dropout": 0.1,
        "shocks": {"probability": 0.2, "mode": "redraw"},
    }
    (tmp_path / "p.json").write_text(json.dumps(doc))
    (tmp_path / "p.yaml").write_text(
        "perturbation:\n  position: {dist: uniform, scale: 3}\n  dropout: 0.1\n"
        "  shocks: {probability: 0.2, mode: redraw}\n"
    )
    a, b = load_spec(tmp_path / "p.json"), load_spec(str(tmp_path / "p.yaml"))
    assert a == b
    assert a.dropout.probability == 0.1 and a.shocks.mode == "redraw" and a.salience is None


@pytest.mark.parametrize(
    ("text", "where", "fragment"),
    [
        ("salience: {scale: -2}\n", "salience.scale", "-2"),
        ("position: {dist: cauchy, scale: 1}\n", "position.dist", "cauchy"),
        (
            "capability: {scale: 1, rules: [{actor: a, scale: 1}, {issue: i1, scale: -1}]}\n",
            "capability.rules[1].scale",
            "-1",
        ),
        ("dropout: 1.5\n", "dropout.probability", "1.5"),
        ("noise: {scale: 1}\n", "noise", "unknown field"),
        ("- just a list\n", None, "mapping"),
    ],
)
def test_errors_name_file_field_and_value(tmp_path, text, where, fragment):
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    with pytest.raises(ScenarioError) as ei:
        load_spec(p)
    err = ei.value
    assert err.file == str(p)
    if where:
        assert err.where == where
    assert fragment in str(err)


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ScenarioError, match="not found"):
        load_spec(tmp_path / "nope.yaml")
    (tmp_path / "b.yaml").write_text("position: [1,\n")
    with pytest.raises(ScenarioError, match="line"):
        load_spec(tmp_path / "b.yaml")


def test_unknown_ids_in_rules_are_refused():
    spec = PerturbationSpec.model_validate({"position": {"scale": 1, "rules": [{"actor": "zz", "scale": 2}]}})
    with pytest.raises(ScenarioError) as ei:
        spec.check(("a", "b"), ("i1",), file="p.yaml")
    assert ei.value.where == "position.rules[0].actor" and "'zz'" in str(ei.value)
    with pytest.raises(ScenarioError, match="dropout.actors\\[1\\]"):
        PerturbationSpec.model_validate({"dropout": {"probability": 0.1, "actors": ["a", "q"]}}).check(("a",), ("i1",))


def test_scenario_perturbation_field_is_used_and_validated():
    d = toy_dict()
    d["perturbation"] = {"salience": {"scale": 5}}
    from detente.scenario.schema import Scenario

    s = Scenario.model_validate(d)
    assert resolve_spec(None, s.perturbation, s.name).salience.scale == 5  # type: ignore[union-attr]
    assert resolve_spec(False, s.perturbation) is NONE
    assert resolve_spec(None, None) is DEFAULT
    with pytest.raises(ScenarioError) as ei:
        resolve_spec(None, {"salience": {"scale": -5}}, "toy")
    assert ei.value.where == "perturbation.salience.scale" and ei.value.file == "<toy>"


def test_cells_apply_rules_in_order_and_units():
    arr = to_arrays(toy())
    spec = PerturbationSpec.model_validate(
        {
            "position": {
                "scale": 0.1,
                "relative": True,
                "rules": [
                    {"actor": "a", "scale": 0.2},
                    {"actor": "a", "issue": "i2", "dist": "uniform", "scale": 0.3, "relative": False},
                ],
            },
            "salience": {"scale": 10},
            "capability": {"scale": 0.5, "relative": True},
        }
    )
    code, scale = spec.cells("position", arr.actors, arr.issues, arr.position[0], arr.lower, arr.upper)
    # i1 is 0..100 wide, i2 is −1..1 (width 2); rule 2 makes a/i2 absolute
    np.testing.assert_allclose(scale, [[20, 0.3], [10, 0.2], [10, 0.2], [10, 0.2]])
    assert code.tolist() == [[0, 1], [0, 0], [0, 0], [0, 0]]
    _, sal = spec.cells("salience", arr.actors, arr.issues, arr.salience[0], arr.lower, arr.upper)
    np.testing.assert_allclose(sal, 0.1)  # 10 points of 100, in the arrays' [0, 1] units
    _, cap = spec.cells("capability", arr.actors, arr.issues, arr.capability[0], arr.lower, arr.upper)
    np.testing.assert_allclose(cap, 0.5 * arr.capability[0])
