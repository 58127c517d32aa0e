"""The staged game's Monte Carlo on the array API (``--device``): array-api-strict, the standard's reference
implementation, against the numpy code.

The random streams stay on the host (the standard has no random numbers), so both draw the same uniforms in the same
order and do the same element-wise arithmetic: the paths, and so the state counts, test days, arsenals and their
quantiles and the transition counts, must be identical. Only the sums of realised payoffs by type are added in
another order (numpy path by path, the array code by a masked sum per type): measured relative differences up to
2e-15; we allow 1e-12 relative.
"""

from __future__ import annotations

import numpy as np
import pytest

from detente.errors import ParameterError
from detente.execution.device import Backend, resolve, use
from detente.strategy.staged import montecarlo as mc
from detente.strategy.staged import montecarlo_xp as mx
from detente.strategy.staged.game import Grid, make_game
from detente.strategy.staged.rules import PRESETS

xps = pytest.importorskip("array_api_strict", reason="the array API tests need array-api-strict (the test extra)")

STRICT = Backend(xps, name="array-api-strict")
EXACT = ("occupancy", "test_days", "arsenal_final", "arsenal_q", "type_count", "transitions")


@pytest.fixture(scope="module")
def game():
    return make_game(PRESETS["sfs-freeze"], {"mu_tau": -0.2, "c_m": 0.5}, grid=Grid(4, 2, 4)).solve()


def _agree(want: mc.Paths, got: mc.Paths) -> None:
    for name in EXACT:
        u, v = getattr(want, name), getattr(got, name)
        assert (u is None) == (v is None), name
        if u is not None:
            assert u.shape == v.shape and u.dtype == v.dtype, name
            np.testing.assert_array_equal(v, u, err_msg=name)
    for name in ("value_N", "value_N2"):
        np.testing.assert_allclose(getattr(got, name), getattr(want, name), rtol=1e-12, atol=0, err_msg=name)


def test_paths_on_the_array_api_are_numpys(game, monkeypatch):
    """Two blocks, the stationary months past the horizon, another rule's stream, and the recorded transitions."""
    monkeypatch.setattr(mc, "BLOCK", 1500)
    for kw in ({"record_months": (0, 20)}, {"months": game.calendar.horizon + 7, "rule_id": 2}):
        want = mc.simulate(game, 2500, seed=5, **kw)
        with use(STRICT):
            got = mc.simulate(game, 2500, seed=5, **kw)
        assert got.arsenal_final.size == 2500 and want.occupancy[0].sum() == 2500
        assert want.test_days.sum() > 0 and (want.occupancy[-1] != want.occupancy[0]).any()  # paths move and test
        _agree(want, got)


@pytest.mark.parametrize("n", [1, 2, 3, 10, 11, 1001])
def test_quantiles_and_counts_are_numpys(n):
    rng = np.random.default_rng(n)
    W = np.round(rng.gamma(2.0, 10.0, n + 5), 1)  # ties
    live = np.ones(n + 5, bool)
    live[rng.choice(n + 5, 5, replace=False)] = False
    got = mx._quantiles(STRICT, STRICT.asarray(W), STRICT.asarray(live), n)
    np.testing.assert_array_equal(got, np.quantile(W[live], mx.QUANTILES))
    s = rng.integers(0, 7, n)
    np.testing.assert_array_equal(STRICT.to_numpy(mx._counts(xps, STRICT.asarray(s), 9)), np.bincount(s, minlength=9))


def test_the_strategy_run_names_its_device():
    from detente.strategy.staged.engine import run

    kw = dict(rules=["hanoi"], paths=400, seed=2, grid=Grid(4, 1, 4))
    here = run(**kw)
    assert "device" not in here and run(**kw, device="cpu") == here
    with use(STRICT):
        there = run(**kw)
    assert there.pop("device") == "array-api-strict"
    assert there == here  # the arsenal quantiles come from identical paths; the rest is the exact forward equation


def _gpu_usable() -> bool:
    try:
        return resolve("cuda") is not None
    except ParameterError:
        return False


def test_cli_strategy_device():
    from typer.testing import CliRunner

    from detente.cli import _load_commands, app

    _load_commands()
    runner = CliRunner()
    base = ["strategy", "korea-2019", "--rule", "hanoi", "--grid", "4,1,4", "--paths", "300", "--format", "json"]
    plain = runner.invoke(app, base)
    cpu = runner.invoke(app, [*base, "--device", "cpu"])
    assert plain.exit_code == cpu.exit_code == 0 and plain.stdout == cpu.stdout
    bad = runner.invoke(app, [*base, "--device", "tpu"])
    assert bad.exit_code == 2 and bad.stderr.startswith("error: --device 'tpu': expected") and bad.stdout == ""
    if _gpu_usable():
        pytest.skip("a CUDA device is usable here")
    gpu = runner.invoke(app, [*base, "--device", "cuda"])
    assert gpu.exit_code == 2 and gpu.stdout == ""
    assert gpu.stderr.startswith("error: --device 'cuda': no usable CUDA device") and len(gpu.stderr.splitlines()) == 1
