"""Shared fixtures: a small valid scenario as a dict, helpers to write scenario files."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

DATA = Path(__file__).parent / "data"

BASE: dict[str, Any] = {
    "name": "mini",
    "title": "a three-actor test scenario",
    "sources": [{"id": "est", "kind": "estimate", "citation": "test estimate"}],
    "issues": [
        {
            "id": "tax",
            "scale": {
                "lower": 0,
                "upper": 100,
                "points": [{"value": 0, "label": "none"}, {"value": 100, "label": "all"}],
            },
            "status_quo": 50,
        },
        {"id": "years", "scale": {"lower": 1, "upper": 10}},
    ],
    "actors": [
        {"id": "a", "capability": 10},
        {"id": "b", "capability": 20},
        {"id": "c", "capability": 5},
    ],
    "stances": [
        {"actor": "a", "issue": "tax", "position": 10, "salience": 80},
        {"actor": "b", "issue": "tax", "position": 60, "salience": 50},
        {"actor": "c", "issue": "tax", "position": 90, "salience": 0},
        {"actor": "a", "issue": "years", "position": 2, "salience": 40},
        {"actor": "b", "issue": "years", "position": 9, "salience": 70},
    ],
}


@pytest.fixture
def base() -> dict[str, Any]:
    return copy.deepcopy(BASE)


@pytest.fixture
def write_yaml(tmp_path: Path):
    def _write(doc: Any, name: str = "s.yaml") -> Path:
        p = tmp_path / name
        p.write_text(yaml.safe_dump(doc, sort_keys=False) if not isinstance(doc, str) else doc)
        return p

    return _write


# The embedded korea-2019 scenario and its shipped claims result, loaded once per test module. The imports stay inside
# the fixtures so that tests which do not ask for them start without loading the scenario or the claims package.
# A test module that defines its own `korea` fixture overrides this one.
@pytest.fixture(scope="module")
def korea():
    from detente.scenario.io import load

    return load("korea-2019")


@pytest.fixture(scope="module")
def shipped_doc(korea):
    from detente.claims.run import shipped

    doc = shipped(korea)
    assert doc is not None
    return doc


@pytest.fixture(scope="module")
def shipped_claim_f(korea, shipped_doc):
    """Claim f as the shipped result computed it: (its configuration, the claim, its index among the scenario's
    claims, the names of the parameters it varies, its evaluation plan)."""
    from detente.claims import claims_of
    from detente.claims.evaluate import Plan, months_needed, varied
    from detente.claims.verdict import Config
    from detente.strategy.staged.engine import calendar_from_block
    from detente.strategy.staged.game import Grid

    cfg = Config(**{k: tuple(v) if isinstance(v, list) else v for k, v in shipped_doc["config"].items()})
    cl = claims_of(korea)
    ci = [c.id for c in cl].index("f")
    c = cl[ci]
    cal = calendar_from_block(korea.strategy)
    names = tuple(varied(c))
    return cfg, c, ci, names, Plan(c, cal, Grid(*cfg.grid), names, months_needed(c, cal))


# Hypothesis: randomised everywhere, the same number of examples everywhere, no deadline (the machines vary). CI
# passes --hypothesis-seed=N and prints N (.ci/run), so a red build reproduces with the same seed; print_blob shows
# the failing example's reproduction blob.
from hypothesis import settings as _settings  # noqa: E402

_settings.register_profile("ci", deadline=None, print_blob=True)
_settings.register_profile("dev", deadline=None)
import os as _os  # noqa: E402

_settings.load_profile("ci" if _os.environ.get("CI") else "dev")


def pytest_report_header(config: pytest.Config) -> str:
    seed = config.getoption("hypothesis_seed", default=None)
    how = f"--hypothesis-seed={seed}" if seed is not None else "a fresh random seed per test (pass --hypothesis-seed=N)"
    return f"hypothesis: randomised, {how}"
