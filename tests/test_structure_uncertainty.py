"""ensemble, compare and sensitivity run with delegations collapsed or separate and vetoes on or off.

The flags are checked against an equivalent scenario: running with ``delegations="separate", vetoes="off"`` must
give the same bytes as running the scenario with its delegations and veto rules deleted; without the flags the
provenance is what it was before they existed (no structure keys).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import detente
from detente.cli import _load_commands, app
from detente.errors import ParameterError
from detente.scenario.io import load
from detente.uncertainty import compare, ensemble, sensitivity

runner = CliRunner()
_load_commands()


@pytest.fixture(scope="module")
def korea():
    return load("korea-2019")


@pytest.fixture(scope="module")
def flat(korea):
    """korea-2019 with its delegations and veto rules deleted."""
    s = korea.model_copy(deep=True)
    s.delegations = []
    s.vetoes = []
    return s


def test_ensemble_separate_off_equals_the_scenario_without_structure(korea, flat):
    a = ensemble(korea, "compromise", draws=40, seed=5, progress=False, delegations="separate", vetoes="off")
    b = ensemble(flat, "compromise", draws=40, seed=5, progress=False)
    np.testing.assert_array_equal(a.outcomes, b.outcomes)
    assert (a.provenance["delegations"], a.provenance["vetoes"]) == ("separate", "off")
    assert "delegations" not in b.provenance and "vetoes" not in b.provenance
    d = ensemble(korea, "compromise", draws=40, seed=5, progress=False)
    assert not np.array_equal(d.outcomes, a.outcomes)  # korea-2019's defaults (collapse, on) change the outcomes


def test_ensemble_flags_equal_to_the_defaults_change_only_the_provenance(korea):
    d = ensemble(korea, "compromise", draws=40, seed=5, progress=False)
    e = ensemble(korea, "compromise", draws=40, seed=5, progress=False, vetoes="on")
    np.testing.assert_array_equal(d.outcomes, e.outcomes)
    assert "vetoes" not in d.provenance
    assert (e.provenance["delegations"], e.provenance["vetoes"]) == ("collapse", "on")  # the mode in force


def test_ensemble_unperturbed_draws_equal_the_forecast_in_every_mode(korea):
    for dl in ("collapse", "separate"):
        for vt in ("on", "off"):
            e = ensemble(
                korea, "compromise", draws=3, seed=1, perturb="none", progress=False, delegations=dl, vetoes=vt
            )
            fc = detente.forecast(korea, "compromise", delegations=dl, vetoes=vt)
            want = np.array([fc.outcome[i] for i in e.issues])
            np.testing.assert_allclose(e.outcomes, np.broadcast_to(want, e.outcomes.shape), atol=1e-9)


def test_compare_and_sensitivity_take_the_modes(korea, flat):
    a = compare(
        korea, "compromise", "seoul-centred", draws=32, seed=2, progress=False, vetoes="off", delegations="separate"
    )
    b = compare(flat, "compromise", "seoul-centred", draws=32, seed=2, progress=False)
    np.testing.assert_array_equal(a.baseline.outcomes, b.baseline.outcomes)
    np.testing.assert_array_equal(a.variants["seoul-centred"].outcomes, b.variants["seoul-centred"].outcomes)
    assert a.provenance["vetoes"] == "off" and "vetoes" not in b.provenance
    s1 = sensitivity(korea, "compromise", draws=8, seed=2, progress=False, vetoes="off", delegations="separate")
    s2 = sensitivity(flat, "compromise", draws=8, seed=2, progress=False)
    np.testing.assert_array_equal(s1.ST, s2.ST)
    assert s1.provenance["delegations"] == "separate" and "delegations" not in s2.provenance


def test_a_bad_mode_is_refused_before_any_draw(korea):
    with pytest.raises(ParameterError, match="vetoes='maybe'"):
        ensemble(korea, "compromise", draws=4, seed=1, progress=False, vetoes="maybe")
    with pytest.raises(ParameterError, match="delegations='merge'"):
        sensitivity(korea, "compromise", draws=4, seed=1, progress=False, delegations="merge")


@pytest.mark.parametrize(
    "args",
    [
        ["ensemble", "korea-2019", "-n", "16"],
        ["compare", "korea-2019", "-v", "seoul-centred", "-n", "16"],
        ["sensitivity", "korea-2019", "-n", "4"],
    ],
)
def test_cli_records_the_modes_and_refuses_a_bad_one(args):
    common = ["--seed", "4", "-f", "json", "--no-progress"]
    plain = runner.invoke(app, [*args, *common])
    flagged = runner.invoke(app, [*args, *common, "--delegations", "separate", "--vetoes", "off"])
    assert plain.exit_code == 0 and flagged.exit_code == 0, plain.output + flagged.output
    p, f = json.loads(plain.stdout), json.loads(flagged.stdout)
    assert "delegations" not in p and "vetoes" not in p
    assert (f["delegations"], f["vetoes"]) == ("separate", "off")
    bad = runner.invoke(app, [*args, *common, "--vetoes", "maybe"])
    assert bad.exit_code == 2
    assert "--vetoes 'maybe': expected one of on, off" in bad.output and "Traceback" not in bad.output
