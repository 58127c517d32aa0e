"""The array API kernel (``--device``): standard-only code that agrees with the numpy kernel.

The expected-utility round of :mod:`detente.models._eu_xp` runs here on array-api-strict, the standard's reference
implementation, which refuses any function, method or implicit conversion outside the standard: code that passes
runs unchanged on CuPy and PyTorch, whose namespaces :mod:`detente.execution.device` picks for ``--device cuda``.

Tolerances: the numpy kernel sums support over sorted voters by prefix sums, this kernel over voters directly, so
the expected utilities differ by rounding (measured relative differences up to 3e-13 on positions after a round);
we allow 1e-10 relative. The discrete choices (offer kind, proposer) must be the same. Over whole runs the default
reading stays within 1e-9 per draw on korea-2019; the ``global`` probability reading (and so ``scholz_compat``),
with exact-equality rules, can take the other branch at a tie to rounding in about 1 % of draws, so there only
the summaries are compared, within their Monte Carlo error.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from detente.errors import ParameterError
from detente.execution.device import Backend, resolve, use
from detente.models import _eu_kernel as K
from detente.models import _eu_xp as X

xps = pytest.importorskip("array_api_strict", reason="the array API tests need array-api-strict (the test extra)")
pytest.importorskip("array_api_compat", reason="the array API tests need array-api-compat (the gpu extra)")

STRICT = Backend(xps, name="array-api-strict")


def _problems(P: int = 200, n: int = 7, seed: int = 3) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 100, (P, n))
    x[::5, 1] = x[::5, 0]  # actors sharing a position
    w, s = rng.uniform(0.1, 1, (P, n)), rng.uniform(0.1, 1, (P, n))
    mask = rng.random((P, n)) > 0.15
    mask[0] = True
    R = np.ptp(x, axis=1) + 1.0
    return x, w, s, mask, R, K.weighted_median(x, w, mask)


@pytest.mark.parametrize("p_success", ["eq31", "net", "global"])
def test_one_round_agrees_with_the_numpy_kernel_for_every_reading(p_success):
    args = _problems()
    for rs, rp, sel, cf, cap, Q in itertools.product(
        ["target", "printed"],
        ["own", "mover"],
        ["least_move", "most_enforceable", "scholz_code"],
        ["full_move", "no_move"],
        ["full_move", "no_move"],
        [1.0, 0.7],
    ):
        opts = dict(
            p_success=p_success, reverse_salience=rs, risk_perspective=rp, Q=Q, offer_selection=sel,
            conflict=cf, capitulation=cap, zero=1e-12, same=1e-9,
        )  # fmt: skip
        want = K.play_round(*args, **opts)
        got = X.play_round_on(STRICT, *args, **opts)
        for name, u, v in zip(("positions", "kind", "proposer", "r"), want, got, strict=True):
            assert u.shape == v.shape and u.dtype == v.dtype, (name, opts)
            if name in ("kind", "proposer"):
                np.testing.assert_array_equal(v, u, err_msg=f"{name} {opts}")
            else:
                np.testing.assert_allclose(v, u, rtol=1e-10, atol=1e-10 * 100, err_msg=f"{name} {opts}")


def test_probabilities_are_the_kernels_and_chunks_do_not_change_them(monkeypatch):
    x, w, s, mask, R, _ = _problems(P=50, n=9)
    for kind in ("eq31", "net", "global"):
        r = np.random.default_rng(1).uniform(0.5, 2.0, x.shape) if kind == "global" else 1.0
        want = np.where(mask[:, :, None] & mask[:, None, :], K.success_probability(x, w, r, R, mask, kind), 0.0)
        dev = [STRICT.asarray(v) for v in (x, w, r if kind == "global" else x, R, mask)]
        monkeypatch.setattr(X, "TENSOR_ELEMENTS", 9**3 * 7)  # chunks of 7 problems
        got = X._probability(xps, dev[0], dev[1], dev[2] if kind == "global" else 1.0, dev[3], dev[4], kind)
        got = np.where(mask[:, :, None] & mask[:, None, :], STRICT.to_numpy(got), 0.0)
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12, err_msg=kind)


def test_ensemble_on_the_array_api_kernel_agrees_with_numpy():
    from detente.uncertainty import ensemble

    here = ensemble("korea-2019", "expected-utility", draws=200, seed=5, progress=False)
    with use(STRICT):
        there = ensemble("korea-2019", "expected-utility", draws=200, seed=5, progress=False)
    assert there.provenance["device"] == "array-api-strict" and "device" not in here.provenance
    np.testing.assert_allclose(there.outcomes, here.outcomes, rtol=0, atol=1e-9)
    np.testing.assert_allclose(there.positions, here.positions, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(there.rounds, here.rounds)
    scholz = {"preset": "scholz_compat"}
    a = ensemble("korea-2019", "expected-utility", params=scholz, draws=200, seed=5, progress=False)
    with use(STRICT):
        b = ensemble("korea-2019", "expected-utility", params=scholz, draws=200, seed=5, progress=False)
    differ = np.abs(a.outcomes - b.outcomes).max(axis=1) > 1e-9
    assert differ.mean() <= 0.05  # ties to rounding taken the other way
    se = a.outcomes.std(axis=0) / np.sqrt(200)
    assert (np.abs(a.outcomes.mean(axis=0) - b.outcomes.mean(axis=0)) <= 2 * se + 1e-9).all()


def _gpu_usable() -> bool:
    try:
        return resolve("cuda") is not None
    except ParameterError:
        return False


def test_devices_are_named_and_a_missing_gpu_is_one_clear_error():
    assert resolve(None) is None and resolve("cpu") is None
    for bad in ("tpu", "cuda:x", "CPU", 3):
        with pytest.raises(ParameterError, match=r"^`device` .*: expected 'cpu' or 'cuda'"):
            resolve(bad)  # type: ignore[arg-type]
    if _gpu_usable():
        pytest.skip("a CUDA device is usable here")
    with pytest.raises(ParameterError, match=r"^`device` 'cuda': no usable CUDA device \(.*\); install ") as e:
        resolve("cuda")
    assert "\n" not in str(e.value)


def test_cli_device_option():
    from typer.testing import CliRunner

    from detente.cli import _load_commands, app

    _load_commands()
    runner = CliRunner()
    base = ["ensemble", "korea-2019", "--model", "expected-utility", "--draws", "20", "--seed", "3", "--format", "json"]
    plain = runner.invoke(app, base)
    cpu = runner.invoke(app, [*base, "--device", "cpu"])
    assert plain.exit_code == cpu.exit_code == 0 and plain.stdout == cpu.stdout  # cpu: the same bytes as ever
    bad = runner.invoke(app, [*base, "--device", "tpu"])
    assert bad.exit_code == 2 and bad.stderr.startswith("error: --device 'tpu': expected") and bad.stdout == ""
    if not _gpu_usable():
        gpu = runner.invoke(app, [*base, "--device", "cuda"])
        assert gpu.exit_code == 2 and "no usable CUDA device" in gpu.stderr and len(gpu.stderr.splitlines()) == 1


def test_sobol_indices_on_the_array_api_kernel_agree_with_numpy():
    from detente.uncertainty import sensitivity

    kw = dict(draws=32, seed=2, groups="actor", progress=False)
    here = sensitivity("korea-2019", "expected-utility", **kw)
    with use(STRICT):
        there = sensitivity("korea-2019", "expected-utility", **kw)
    assert there.provenance["device"] == "array-api-strict" and "device" not in here.provenance
    for name in ("S1", "ST", "S1_conf", "ST_conf"):
        np.testing.assert_allclose(getattr(there, name), getattr(here, name), rtol=1e-6, atol=1e-9, err_msg=name)


def test_a_gpu_run_stays_in_this_process():
    from detente.uncertainty import ensemble

    with use(STRICT), pytest.raises(ParameterError, match="runs the kernels in this process"):
        ensemble("korea-2019", "expected-utility", draws=10, seed=1, workers=1)
