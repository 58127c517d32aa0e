"""The execution layer: seed-stable blocks, ordered merges, the same bytes in-process and on 1 or 2 Dask workers."""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import pytest

from detente.errors import DetenteError
from detente.execution import Blocks, MemoryLimitError, block_seed, check_memory, format_bytes, parse_size, run_blocks

distributed = pytest.importorskip("distributed", reason="the Dask tests need dask[distributed] (the parallel extra)")


def _square_sums(plan: Blocks, k: int) -> tuple[int, int]:
    lo, hi = plan.bounds(k)
    return k, sum(i * i for i in range(lo, hi))


def _block_randoms(seed: int, k: int) -> np.ndarray:
    return np.random.default_rng(block_seed(seed, k)).random(3)


def test_blocks_cover_the_items_once_in_order():
    plan = Blocks(total=10, size=4)
    assert plan.count == 3 and [plan.bounds(k) for k in range(3)] == [(0, 4), (4, 8), (8, 10)]
    assert plan.length(2) == 2 and Blocks(0, 5).count == 0
    with pytest.raises(IndexError):
        plan.bounds(3)
    with pytest.raises(ValueError):
        Blocks(3, 0)


def test_block_seed_is_the_spawned_child():
    children = np.random.SeedSequence(42).spawn(5)
    for k in range(5):
        a = np.random.default_rng(children[k]).random(4)
        np.testing.assert_array_equal(a, np.random.default_rng(block_seed(42, k)).random(4))
    assert not np.array_equal(_block_randoms(42, 0), _block_randoms(42, 1))


def test_in_process_results_come_in_key_order():
    plan = Blocks(total=25, size=4)
    out = list(run_blocks(_square_sums, plan, range(plan.count)))
    assert [k for k, _ in out] == list(range(7)) and sum(v for _, v in out) == sum(i * i for i in range(25))


def test_sizes_parse_and_refusals_are_one_line():
    assert parse_size("2GB") == 2 * 10**9 and parse_size("1.5GiB") == int(1.5 * 2**30) and parse_size("1e9") == 10**9
    assert parse_size("512 MiB") == 512 * 2**20 and parse_size(4096) == 4096
    for bad in ("lots", "-1GB", "0", "2 parsecs", ""):
        with pytest.raises(DetenteError, match="^`max_memory` "):
            parse_size(bad)
    assert format_bytes(1.5e9) == "1.5 GB" and format_bytes(999) == "999 B"
    check_memory(10, 100, "x", "y")
    with pytest.raises(MemoryLimitError, match=r"^work needs about 2 GB of memory, over the limit of 1 GB") as e:
        check_memory(2e9, 10**9, "work", "do less")
    assert "\n" not in str(e.value)


@pytest.fixture(scope="module")
def clusters():
    """Dask LocalClusters of 1 and 2 worker processes (started once for this module)."""
    import logging

    from distributed import LocalCluster

    made = {}
    try:
        for n in (1, 2):
            made[n] = LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=logging.ERROR
            )
        yield {n: c.scheduler_address for n, c in made.items()}
    finally:
        log = logging.getLogger("distributed")
        level = log.level
        log.setLevel(logging.ERROR)
        for c in made.values():
            c.close()
        log.setLevel(level)


def test_blocks_on_dask_come_back_in_order(clusters):
    plan = Blocks(total=25, size=4)
    here = list(run_blocks(_square_sums, plan, range(plan.count)))
    for address in clusters.values():
        assert list(run_blocks(_square_sums, plan, range(plan.count), scheduler=address)) == here


@pytest.mark.slow
def test_ensemble_compare_and_sensitivity_same_bytes_on_1_and_2_workers(clusters):
    from detente.uncertainty import compare, ensemble, sensitivity

    docs = {}
    for where, address in [("here", None), *clusters.items()]:
        e = ensemble("korea-2019", "expected-utility", draws=2100, seed=4, scheduler=address, progress=False)
        c = compare("korea-2019", "median", "bolton-departure", draws=1100, seed=4, scheduler=address)
        s = sensitivity("korea-2019", "compromise", draws=300, seed=4, groups="actor", scheduler=address)
        docs[where] = [json.dumps(x.to_dict()) for x in (e, c, s)]
    assert docs["here"] == docs[1] == docs[2]
    assert json.loads(docs["here"][0])["draws"] == 2100  # three blocks of 1000 draws


@pytest.mark.slow
def test_cli_json_is_the_same_bytes_in_process_on_workers_and_on_a_scheduler(clusters):
    from typer.testing import CliRunner

    from detente.cli import _load_commands, app

    _load_commands()
    runner = CliRunner()
    commands = [
        ["ensemble", "korea-2019", "--draws", "1500", "--seed", "2"],
        ["compare", "korea-2019", "--variant", "seoul-centred", "--draws", "1200", "--seed", "2"],
        ["sensitivity", "korea-2019", "--draws", "64", "--seed", "2", "--groups", "field"],
    ]
    for args in commands:
        here = runner.invoke(app, [*args, "--format", "json"])
        assert here.exit_code == 0, here.output
        for address in clusters.values():
            there = runner.invoke(app, [*args, "--format", "json", "--scheduler", address])
            assert there.exit_code == 0 and there.stdout == here.stdout, args
    local = runner.invoke(app, [*commands[0], "--format", "json", "--workers", "2"])
    assert local.exit_code == 0 and local.stdout == runner.invoke(app, [*commands[0], "--format", "json"]).stdout
    both = runner.invoke(app, [*commands[0], "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"])
    assert both.exit_code == 2 and "give one" in both.stderr


def _worker_state(_shared: object, _key: int) -> dict[str, object]:
    import resource
    import sys

    import dask

    def churn(times: int) -> None:  # what a kernel's temporaries do: allocate and free 2 MiB arrays
        for _ in range(times):
            a = np.ones(1 << 18)
            del a

    churn(3)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    churn(50)
    runner = sys.modules["detente.execution.runner"]
    return {
        "page faults": resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before,
        "threads": os.environ.get("OMP_NUM_THREADS"),
        "profiler": dask.config.get("distributed.worker.profile.enabled"),
        "ensemble loaded": "detente.uncertainty.ensemble" in sys.modules,
        "parent's bar": runner._active is not None,
    }


def test_local_workers_cost_what_the_blocks_cost_here():
    """A local Dask cluster's workers reuse freed memory as this process does (Dask's MALLOC_TRIM_THRESHOLD_=65536 made
    glibc map and fault in every temporary array afresh: 2-3x the CPU time of the same blocks in-process), run no
    profiler, are forked with this process's modules loaded on Linux, never draw into this process's progress bar,
    and leave this process's environment as it was."""
    import io
    import sys

    from rich.console import Console

    import detente.uncertainty.ensemble  # noqa: F401  (loaded here: a forked worker has it without importing it)
    from detente.execution.runner import progress, use_console

    before = dict(os.environ)
    use_console(Console(file=io.StringIO(), force_terminal=True))
    try:
        with progress(True, 1, "outer") as advance:
            (state,) = run_blocks(_worker_state, None, [0], workers=1, local="dask")
            advance()
    finally:
        use_console(None)
    assert dict(os.environ) == before
    assert state["profiler"] is False and state["parent's bar"] is False
    if sys.platform.startswith("linux"):  # glibc: 50 fresh maps of 2 MiB would be 50 × 512 page faults
        assert isinstance(state["page faults"], int) and state["page faults"] < 2000, state
        assert state["ensemble loaded"] is True
    else:
        assert state["threads"] == "1"


_FORK_WHILE_LOGGING = """
import logging, os, sys, tempfile, threading
from detente.execution.runner import DaskRunner

def one(shared, key):
    return key + shared

handler = logging.FileHandler(os.path.join(tempfile.mkdtemp(), "log"))  # as pytest's log file handler
logging.getLogger().addHandler(handler)
logging.getLogger().setLevel(logging.INFO)
stop = threading.Event()

def chatter():  # another thread of this process that logs all the time (another cluster's scheduler, say)
    log = logging.getLogger("elsewhere")
    while not stop.is_set():
        log.info("x" * 200)

thread = threading.Thread(target=chatter, daemon=True)
thread.start()
for _ in range({rounds}):
    with DaskRunner(workers=1) as run:
        assert list(run.map(one, 10, range(3))) == [10, 11, 12]
stop.set()
print("done")
"""


@pytest.mark.slow
def test_local_workers_start_while_another_thread_logs():
    # a worker forked while another thread holds a log stream's lock must not hang at its first log record
    import signal
    import subprocess
    import sys
    from pathlib import Path

    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(
        [sys.executable, "-c", _FORK_WHILE_LOGGING.format(rounds=3)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # the workers too are stopped if it hangs
    )
    try:
        out, err = proc.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("a local worker hung at start-up while another thread was logging")
    assert proc.returncode == 0 and out.strip() == "done", err[-2000:]


def _slow_first(shared: dict[str, float], key: int) -> tuple[int, int]:
    import time

    time.sleep(shared["sleep"] * (3 - key % 4))  # early keys finish last
    return key, os.getpid()


def _fail_at(shared: int, key: int) -> int:
    if key == shared:
        raise DetenteError(f"block {key} refused")
    return key


def _die_at(shared: int, key: int) -> int:
    if key == shared:
        os._exit(13)  # a worker killed mid-block (the OOM killer does this)
    return key


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forked workers are the Linux backend")
def test_forked_workers_return_blocks_in_key_order_from_several_processes():
    """``--workers N`` on Linux: N processes forked from this one; results in key order whatever order they finish
    in, the same values as in-process, from more than one process, none of them this one."""
    from detente.execution.runner import ForkedPool, runner

    assert isinstance(runner(2), ForkedPool) and runner(2).workers == 2
    keys = list(range(9))
    got = list(run_blocks(_slow_first, {"sleep": 0.02}, keys, workers=2))
    assert [k for k, _ in got] == keys
    pids = {p for _, p in got}
    assert len(pids) == 2 and os.getpid() not in pids
    plan = Blocks(total=25, size=4)
    assert list(run_blocks(_square_sums, plan, range(plan.count), workers=2)) == list(
        run_blocks(_square_sums, plan, range(plan.count))
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forked workers are the Linux backend")
def test_forked_workers_pass_errors_on_and_name_a_dead_worker():
    """A block's own error reaches the caller as itself; a worker that dies mid-block gives one DetenteError that
    says what happened; the pool leaves no state behind (a later run works)."""
    with pytest.raises(DetenteError, match="block 3 refused"):
        list(run_blocks(_fail_at, 3, range(6), workers=2))
    with pytest.raises(DetenteError, match="a worker process died") as e:
        list(run_blocks(_die_at, 2, range(6), workers=2))
    assert "\n" not in str(e.value)
    assert list(run_blocks(_fail_at, -1, range(4), workers=2)) == [0, 1, 2, 3]


def test_local_backend_is_checked_and_dask_can_be_asked_for():
    from detente.execution.runner import DaskRunner, runner

    with pytest.raises(DetenteError, match="expected 'fork' or 'dask'"):
        runner(2, local="threads")
    with runner(1, local="dask") as r:
        assert isinstance(r, DaskRunner) and r.workers == 1
