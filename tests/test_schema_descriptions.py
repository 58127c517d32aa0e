"""`detente schema` describes every field: the docstring under a field, or its ``Field(description=...)``.

The docstrings are read when a schema is asked for (not at import, which every command pays), so these pin that the
schema still carries them, for the whole scenario and for each model on its own.
"""

from __future__ import annotations

import inspect
import json

from pydantic import BaseModel

import detente.scenario.schema as schema_module
from detente.cli import main
from detente.scenario.schema import Actor, Scenario


def _properties(schema: dict) -> list[tuple[str, str, dict]]:
    found = [("Scenario", k, v) for k, v in schema.get("properties", {}).items()]
    for name, sub in schema.get("$defs", {}).items():
        found += [(name, k, v) for k, v in sub.get("properties", {}).items()]
    return found


def test_every_field_of_the_scenario_schema_has_a_description(capsys):
    try:
        main(["schema"])
    except SystemExit as e:
        assert not e.code
    props = _properties(json.loads(capsys.readouterr().out))
    assert len(props) > 80
    assert [(m, k) for m, k, v in props if not v.get("description")] == []


def test_descriptions_are_the_docstrings_or_the_explicit_ones():
    props = {(m, k): v for m, k, v in _properties(Scenario.model_json_schema())}
    # a docstring under the field, cleaned as inspect.cleandoc does
    assert props[("Scenario", "name")]["description"] == (
        "The scenario's short name, shown in titles (an edited copy gets a derived name)."
    )
    # an explicit Field(description=...) wins over any docstring
    assert props[("Scenario", "salience_scale")]["description"].startswith("the number that stands for full attention")
    # a model asked on its own gets the same descriptions as inside the scenario
    own = Actor.model_json_schema()["properties"]
    assert {k: v.get("description") for k, v in own.items()} == {
        k: v.get("description") for (m, k), v in props.items() if m == "Actor"
    }


def test_every_model_describes_every_field_in_its_own_schema():
    source = inspect.getsource(schema_module)
    for name, model in vars(schema_module).items():
        if not (
            isinstance(model, type) and issubclass(model, BaseModel) and model.__module__ == schema_module.__name__
        ):
            continue
        described = {k: v.get("description") for k, v in model.model_json_schema().get("properties", {}).items()}
        for field, info in model.model_fields.items():
            assert info.description, (name, field)
            assert described[field] == info.description, (name, field)
    # the docstrings are the source's text (a sample that spans lines, cleaned)
    assert Scenario.model_fields["description"].description in source
