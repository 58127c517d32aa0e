"""In-memory scenarios for the interventions and uncertainty tests."""

from __future__ import annotations

from typing import Any

from detente.scenario.schema import Scenario


def toy_dict() -> dict[str, Any]:
    """Four actors, two issues (one on a −1..1 scale), a per-issue capability override, a missing stance, variants."""
    return {
        "name": "toy",
        "issues": [
            {
                "id": "i1",
                "status_quo": 20,
                "scale": {
                    "lower": 0,
                    "upper": 100,
                    "points": [{"value": 30, "label": "low"}, {"value": 70, "label": "high"}],
                },
            },
            {"id": "i2", "scale": {"lower": -1, "upper": 1}, "status_quo": 0},
        ],
        "actors": [
            {"id": "a", "capability": 3},
            {"id": "b", "capability": 2},
            {"id": "c", "capability": 1},
            {"id": "d", "capability": 2},
        ],
        "stances": [
            {"actor": "a", "issue": "i1", "position": 10, "salience": 80},
            {"actor": "b", "issue": "i1", "position": 60, "salience": 50},
            {"actor": "c", "issue": "i1", "position": 90, "salience": 70},
            {"actor": "d", "issue": "i1", "position": 40, "salience": 30},
            {"actor": "a", "issue": "i2", "position": -0.5, "salience": 40},
            {"actor": "b", "issue": "i2", "position": 0.5, "salience": 60, "capability": 5},
            {"actor": "d", "issue": "i2", "position": 0.8, "salience": 60},
        ],
        "variants": [
            {"id": "no-c", "title": "c leaves", "edits": [{"op": "remove_actor", "actor": "c"}]},
            {
                "id": "shift-a",
                "title": "a moves up",
                "edits": [{"op": "shift", "actor": "a", "field": "position", "issue": "i1", "value": 10}],
            },
            {"id": "same", "title": "no change", "edits": []},
            {
                "id": "newcomer",
                "title": "e joins",
                "edits": [
                    {
                        "op": "add_actor",
                        "new_actor": {"id": "e", "capability": 4},
                        "stances": [{"issue": "i1", "position": 50, "salience": 60}],
                    }
                ],
            },
            {
                "id": "too-far",
                "title": "off the scale",
                "edits": [
                    {"op": "shift", "actor": "a", "field": "salience", "issue": "i1", "value": 10},
                    {"op": "shift", "actor": "c", "field": "position", "issue": "i1", "value": 30},
                ],
            },
        ],
    }


def toy() -> Scenario:
    return Scenario.model_validate(toy_dict())


def line(positions: list[float], capability: list[float], salience: list[float], **extra: Any) -> Scenario:
    """One issue on 0..100, one actor per position (ids a0, a1, ...), status quo 50."""
    n = len(positions)
    return Scenario.model_validate(
        {
            "name": "line",
            "issues": [{"id": "x", "status_quo": 50}],
            "actors": [{"id": f"a{k}", "capability": capability[k]} for k in range(n)],
            "stances": [
                {"actor": f"a{k}", "issue": "x", "position": positions[k], "salience": salience[k]} for k in range(n)
            ],
            **extra,
        }
    )
