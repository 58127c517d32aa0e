"""Memory: estimates before heavy work, one-line refusals over --max-memory, bounded blocks."""

from __future__ import annotations

import re
import tracemalloc

import numpy as np
import pytest
from typer.testing import CliRunner

import detente
from detente.cli import _load_commands, app
from detente.execution import MemoryLimitError
from detente.execution.footprint import check_solve, model_bytes
from detente.models import get
from detente.scenario.arrays import to_arrays
from detente.scenario.schema import Scenario
from detente.uncertainty import ensemble, sensitivity
from detente.uncertainty.ensemble import kept_bytes
from detente.uncertainty.perturb import draw

_load_commands()


def big(n: int) -> Scenario:
    """``n`` actors on two issues."""
    rng = np.random.default_rng(0)
    return Scenario.model_validate(
        {
            "name": f"big-{n}",
            "issues": [
                {"id": "x", "scale": {"lower": 0, "upper": 100}},
                {"id": "y", "scale": {"lower": 0, "upper": 100}},
            ],
            "actors": [{"id": f"a{i}", "capability": float(1 + rng.integers(9))} for i in range(n)],
            "stances": [
                {"actor": f"a{i}", "issue": iss, "position": float(rng.integers(101)), "salience": 50.0}
                for i in range(n)
                for iss in ("x", "y")
            ],
        }
    )


def test_a_billion_draws_are_refused_with_the_estimate_and_the_limit():
    assert kept_bytes(8, 7) == 623  # outcomes, final positions, participation, status code, rounds: 17·m + 9·n·m
    arrays = to_arrays(detente.load("korea-2019"))
    gb = kept_bytes(arrays.n_actors, arrays.n_issues)  # bytes per draw = GB per 10⁹ draws
    with pytest.raises(MemoryLimitError) as e:
        ensemble("korea-2019", "compromise", draws=1_000_000_000, seed=1)
    msg = str(e.value)
    assert "ensemble of 1000000000 draws" in msg and f"{gb} GB kept" in msg and "over the limit of" in msg
    assert "use fewer draws" in msg and "\n" not in msg


def test_cli_refusal_is_one_line_exit_2_and_max_memory_is_honoured(tmp_path):
    runner = CliRunner()
    out = tmp_path / "e.json"
    r = runner.invoke(app, ["ensemble", "korea-2019", "--draws", "1000000000", "--seed", "1", "--out", str(out)])
    assert r.exit_code == 2 and r.stderr.count("\n") == 1 and "GB of memory, over the limit" in r.stderr
    assert not out.exists()
    r = runner.invoke(app, ["ensemble", "korea-2019", "--draws", "100", "--seed", "1", "--max-memory", "10MB"])
    assert r.exit_code == 2 and "over the limit of 10 MB" in r.stderr
    r = runner.invoke(app, ["ensemble", "korea-2019", "--draws", "100", "--seed", "1", "--max-memory", "lots"])
    assert r.exit_code == 2 and "--max-memory 'lots'" in r.stderr
    r = runner.invoke(app, ["ensemble", "korea-2019", "--draws", "100", "--seed", "1", "--max-memory", "2GB"])
    assert r.exit_code == 0, r.output


def test_a_spatial_problem_too_large_for_any_chunking_is_refused():
    with pytest.raises(MemoryLimitError, match=r"one spatial run of 2000 actors × 2 issues needs about .* reduce the"):
        ensemble(big(2000), "spatial", draws=10, seed=1)
    with pytest.raises(MemoryLimitError, match="one spatial run of 2000 actors"):
        check_solve("spatial", 2000, 2)
    check_solve("spatial", 50, 2)  # fits
    assert model_bytes("spatial", 2000, 2, 1) > 5e11  # ten actor³ float tensors


def test_sobol_memory_does_not_grow_with_the_base_samples():
    """The estimate (and the footprint: blocks reduced to sums) is the same for N = 1024 and N = 1048576."""
    msgs = []
    for n in (1024, 1_048_576):
        with pytest.raises(MemoryLimitError) as e:
            sensitivity("korea-2019", "compromise", draws=n, seed=1, max_memory="100MB")
        msgs.append(re.sub(r"\d+ base samples", "", str(e.value)))
    assert msgs[0] == msgs[1] and "Sobol analysis" in msgs[0]


@pytest.mark.parametrize(("name", "draws"), [("compromise", 500), ("expected-utility", 300), ("exchange", 60)])
def test_model_estimates_bound_the_measured_peak(name, draws):
    """model_bytes is an upper estimate of the traced peak of one lean call on korea-2019."""
    batch = draw(detente.load("korea-2019"), None, draws, seed=1)
    model = get(name)
    tracemalloc.start()
    try:
        model.solve(batch, rng=np.random.default_rng(1), keep="final")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    est = model_bytes(model, batch.n_actors, batch.n_issues, draws)
    assert peak <= est <= 20 * peak + 20e6, (peak, est)  # an upper bound, not far above


def test_forecast_of_a_spatial_scenario_too_large_is_one_line_exit_2(tmp_path):
    import yaml

    path = tmp_path / "big.yaml"
    path.write_text(yaml.safe_dump(big(2000).model_dump(mode="json", exclude_none=True), sort_keys=False))
    r = CliRunner().invoke(app, ["forecast", str(path), "--model", "spatial"])
    assert r.exit_code == 2 and r.stderr.count("\n") == 1, r.output
    assert "one spatial run of 2000 actors × 2 issues needs about" in r.stderr and "over the limit" in r.stderr
