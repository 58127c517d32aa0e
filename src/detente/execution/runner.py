"""Backends that run blocks: in this process, on worker processes forked from it, or on Dask (a local cluster of
worker processes or a scheduler).

Results come back in block order whatever order the workers finish in, with at most ``window`` blocks in flight
(default: twice the number of workers), so a caller that merges them as they arrive keeps a bounded footprint and
gets the same bytes for any number of workers.
"""

from __future__ import annotations

import logging
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol, Self, TypeVar

from detente.errors import DetenteError

__all__ = [
    "DaskRunner",
    "ForkedPool",
    "InProcess",
    "Runner",
    "progress",
    "run_blocks",
    "runner",
    "set_quiet",
    "step",
    "use_console",
]

T = TypeVar("T")


class Runner(Protocol):
    """Something that maps ``fn(shared, key)`` over keys and yields the results in key order."""

    workers: int
    description: str

    def map(self, fn: Callable[[Any, Any], T], shared: Any, keys: Iterable[Any]) -> Iterator[T]: ...

    def close(self) -> None: ...


class _Backend:
    """What every backend shares: a context manager whose exit closes it (nothing to close unless it says so)."""

    def close(self) -> None:
        pass

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class InProcess(_Backend):
    """Run every block here, one after the other."""

    workers = 1
    description = "in-process"

    def map(self, fn: Callable[[Any, Any], T], shared: Any, keys: Iterable[Any]) -> Iterator[T]:
        for key in keys:
            yield fn(shared, key)


def local_worker_config() -> dict[str, Any]:
    """Dask settings for the worker processes of a local cluster: they should cost what the same blocks cost here.

    - ``MALLOC_TRIM_THRESHOLD_`` is not set (Dask sets it to 64 KiB so that an idle worker hands memory back to the
      OS). glibc then stops adapting its mmap threshold, every temporary array over 128 KiB becomes a fresh mmap
      and is faulted in page by page and unmapped again: the numpy kernels' temporaries made a worker's system time
      3–4× and its CPU time 1.8–2.8× that of the same blocks in-process. The blocks' memory is bounded anyway.
    - No statistical profiler (a thread sampling the task's stack every 10 ms), no work stealing (one thread per
      worker and a bounded window of blocks: nothing to steal), and the scheduler's, nannies' and workers' periodic
      checks (event-loop ticks every 20 ms, memory every 100 ms, system monitor every 0.5 s) at 1–5 s: an idle
      cluster of two workers used 7% of a core, now about 1%.
    - On Linux, worker processes are forked from this one, which has numpy, detente and the workload's modules
      loaded already, instead of being spawned to import them again (about 1.2 s of CPU per worker, paid again by
      every worker). A forked worker keeps this process's BLAS thread pool (a spawned one gets Dask's
      ``OMP_NUM_THREADS=1`` and the like); the blocks' kernels are elementwise numpy and do not call BLAS.
    - No dashboard (nothing shows its address, and it would load bokeh where that is installed).
    """
    cfg: dict[str, Any] = {
        "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
        "distributed.worker.profile.enabled": False,
        "distributed.scheduler.work-stealing": False,
        "distributed.admin.tick.interval": "1s",
        "distributed.admin.system-monitor.interval": "5s",
        "distributed.worker.memory.monitor-interval": "1s",
    }
    if sys.platform.startswith("linux"):
        cfg["distributed.worker.multiprocessing-method"] = "fork"
    return cfg


def _in_worker(fn: Callable[[Any, Any], T], shared: Any, key: Any) -> T:
    """``fn(shared, key)`` on a worker: no progress bar of the parent process (a forked worker inherits its state)."""
    global _active
    _active = None
    return fn(shared, key)


def _in_order(
    submit: Callable[[Any], Any], collect: Callable[[Any], T], keys: Iterable[Any], window: int
) -> Iterator[T]:
    """``collect(submit(key))`` for every key, in key order, with at most ``window`` submitted and not yet collected
    (a bounded footprint however many keys); what is still pending when the caller stops is cancelled."""
    pending: dict[int, Any] = {}
    it = iter(enumerate(keys))
    submitted = yielded = 0
    exhausted = False
    try:
        while True:
            while not exhausted and submitted - yielded < window:
                try:
                    i, key = next(it)
                except StopIteration:
                    exhausted = True
                    break
                pending[i] = submit(key)
                submitted += 1
            if yielded == submitted:
                return
            result = collect(pending.pop(yielded))
            yielded += 1
            yield result
    finally:
        for fut in pending.values():
            fut.cancel()


_pool_task: tuple[Callable[[Any, Any], Any], Any] | None = None  # (fn, shared) a forked pool's workers inherit


def _pool_call(key: Any) -> Any:
    """One block on a worker of :class:`ForkedPool`: the function and shared data came with the fork."""
    assert _pool_task is not None
    fn, shared = _pool_task
    return _in_worker(fn, shared, key)


class ForkedPool(_Backend):
    """Run blocks on ``workers`` processes forked from this one (``--workers N`` on Linux).

    The workers are forked when the first block is submitted, with the function, the shared data and every module
    already loaded here: nothing is pickled to them but the block keys, and nothing is imported again, so a worker
    starts in milliseconds (a Dask ``LocalCluster`` spends most of a second on importing ``distributed``, starting a
    scheduler and its workers and connecting them). Results come back pickled, in block order, with at most
    ``window`` blocks in flight. Dask remains the backend for a scheduler address, for platforms without ``fork``,
    and wherever a caller asks for it (``local="dask"``).
    """

    def __init__(self, workers: int, window: int | None = None) -> None:
        self.workers = max(1, int(workers))
        self.window = window or 2 * self.workers
        self.description = f"{self.workers} worker processes forked from this one"

    def map(self, fn: Callable[[Any, Any], T], shared: Any, keys: Iterable[Any]) -> Iterator[T]:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        global _pool_task
        previous = _pool_task
        _pool_task = (fn, shared)
        pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("fork"))

        def submit(key: Any) -> Any:
            with warnings.catch_warnings():
                # Python >= 3.12 warns on any fork of a process with threads; the workers run nothing of this
                # process but the blocks
                warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
                return pool.submit(_pool_call, key)

        def collect(fut: Any) -> Any:
            try:
                return fut.result()
            except BrokenProcessPool:
                raise DetenteError(
                    "a worker process died while running a block (out of memory?): run with fewer `workers` or a "
                    "lower `max_memory`"
                ) from None

        try:
            yield from _in_order(submit, collect, keys, self.window)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            _pool_task = previous


class DaskRunner(_Backend):
    """Run blocks on Dask: a ``LocalCluster`` of ``workers`` single-threaded processes, or the cluster at ``scheduler``."""

    def __init__(self, workers: int | None = None, scheduler: str | None = None, window: int | None = None) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - dask is an optional extra
            raise DetenteError(
                "`workers` / `scheduler` need Dask: pip install 'detente[parallel]' (dask[distributed])"
            ) from None
        self.cluster: Any = None
        try:
            if scheduler is not None:
                self.client = Client(scheduler, timeout="20s")
                self.description = f"Dask scheduler {scheduler}"
            else:
                n = int(workers or 1)
                import dask

                environ = dict(os.environ)
                # No INFO records from Dask while the workers are forked, here or in them: a worker forked while
                # another thread of this process writes a log record (another cluster's scheduler, say) inherits
                # that stream's lock held, and hangs at its first record ("Start worker at ..."). The workers keep
                # this level; this process gets its own back once they run.
                log = logging.getLogger("distributed")
                level = log.level
                log.setLevel(logging.ERROR)
                try:
                    with dask.config.set(local_worker_config()), warnings.catch_warnings():
                        # Python >= 3.12 warns on any fork of a process with threads; the workers start from the
                        # event-loop thread while this one waits, and run nothing of this process but the blocks
                        warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
                        self.cluster = LocalCluster(
                            n_workers=n,
                            threads_per_worker=1,
                            processes=True,
                            dashboard_address=None,
                            # the scheduler's HTTP routes (health, metrics) on a free port: another cluster on
                            # this machine (Dask's default 8787) is no reason for a warning on stderr
                            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                            silence_logs=logging.ERROR,
                        )
                finally:  # Dask sets the workers' variables (OMP_NUM_THREADS=1, ...) in this process too: undo that
                    log.setLevel(level)
                    for name in set(os.environ) - set(environ):
                        del os.environ[name]
                    os.environ.update(environ)
                self.client = Client(self.cluster)
                self.description = f"Dask LocalCluster of {n} worker processes"
        except OSError as e:
            self.close()
            raise DetenteError(f"cannot start or reach the Dask cluster ({scheduler or 'local'}): {e}") from None
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})) or int(workers or 1))
        self.window = window or 2 * self.workers

    def map(self, fn: Callable[[Any, Any], T], shared: Any, keys: Iterable[Any]) -> Iterator[T]:
        data = self.client.scatter(shared, broadcast=True, hash=False)

        def collect(fut: Any) -> Any:
            result = fut.result()
            fut.release()
            return result

        try:
            yield from _in_order(lambda key: self.client.submit(_in_worker, fn, data, key, pure=False), collect, keys,
                                 self.window)
        finally:
            data.release()

    def close(self) -> None:
        log = logging.getLogger("distributed")
        level = log.level
        log.setLevel(logging.ERROR)  # shutting down is routine: no INFO lines on stderr
        try:
            client = getattr(self, "client", None)
            if client is not None:
                client.close()
            if self.cluster is not None:
                self.cluster.close()
        finally:
            log.setLevel(level)


def runner(
    workers: int | None = None, scheduler: str | None = None, local: str = "fork"
) -> InProcess | ForkedPool | DaskRunner:
    """The backend for ``--workers N`` / ``--scheduler ADDRESS``; in-process when neither is given.

    ``local`` picks the backend of ``--workers N``: ``"fork"`` (worker processes forked from this one, where the
    platform forks; a Dask ``LocalCluster`` elsewhere) or ``"dask"`` (always a ``LocalCluster``).
    """
    if workers is not None and (isinstance(workers, bool) or int(workers) < 1):
        raise DetenteError(f"`workers` {workers!r}: expected a number of worker processes >= 1")
    if workers is not None and scheduler is not None:
        raise DetenteError("`workers` and `scheduler`: give one (a scheduler brings its own workers)")
    if local not in ("fork", "dask"):
        raise DetenteError(f"`local` {local!r}: expected 'fork' or 'dask'")
    if workers is None and scheduler is None:
        return InProcess()
    if scheduler is None and local == "fork" and sys.platform.startswith("linux"):
        return ForkedPool(int(workers or 1))
    return DaskRunner(workers=workers, scheduler=scheduler)


def run_blocks(
    fn: Callable[[Any, Any], T],
    shared: Any,
    keys: Iterable[Any],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    show_progress: bool | None = None,
    what: str = "blocks",
    local: str = "fork",
) -> Iterator[T]:
    """``fn(shared, key)`` for every key, results in key order, on the backend of ``workers`` / ``scheduler``.

    ``fn`` must be a module-level function (it is pickled for Dask workers); ``shared`` is sent to each worker once
    (forked workers inherit both). ``local`` picks the backend of ``workers`` (:func:`runner`).
    A progress bar of blocks done shows on stderr when it is a terminal (``show_progress`` forces it on or off).
    """
    keys = list(keys)
    with runner(workers, scheduler, local) as run, progress(show_progress, len(keys), what) as advance:
        for result in run.map(fn, shared, keys):
            advance()
            yield result


_active: progress | None = None  # the innermost open progress of this process (work reports into it)
_quiet = False  # ``detente --quiet``: no bar at all
_console: Any = None  # where bars draw; None: a rich Console on stderr
_MIN_INTERVAL = 0.1  # seconds between two redraws of a bar (at most ~10 a second)
_DELAY = 0.5  # seconds of work before a bar appears (quick work never flashes one)


def set_quiet(quiet: bool) -> None:
    """Silence every progress bar of this process (``detente --quiet``), or let them show again."""
    global _quiet
    _quiet = bool(quiet)


def use_console(console: Any) -> None:
    """Draw progress bars on this rich ``Console`` (default, ``None``: a Console on stderr)."""
    global _console
    _console = console


def step(done: float, total: float) -> None:
    """Report that ``done`` of ``total`` steps of the current unit of work (one block) are finished.

    Long loops (rounds of a model, months of a strategy, proposals of a back-test) call this; it moves the bar of
    the innermost open :class:`progress` within its current block and costs a few attribute reads when no bar is
    open (as on a Dask worker, or when stderr is not a terminal).
    """
    bar = _active
    if bar is not None and total > 0:
        bar._report(min(max(done / total, 0.0), 1.0))


class progress:
    """A rich progress bar of work done on stderr; silent when stderr is not a terminal, with ``show=False`` or quiet.

    ``with progress(None, total, what) as advance`` counts ``total`` units (blocks, models, proposals); ``advance()``
    marks one done and :func:`step` moves the bar within the current one. Opened inside another open progress, it
    draws no bar of its own: it fills the outer bar's current unit, so nested work (an ensemble inside a back-test)
    moves one bar. The bar appears after half a second of work (``show=True``: at once) and is redrawn at most
    about ten times a second.
    """

    def __init__(self, show: bool | None, total: int, what: str) -> None:
        self.total = max(int(total), 1)
        self.what = what
        self.done = 0
        self.requested = show
        self.parent: progress | None = None
        self.bar: Any = None
        self.task: Any = None
        self.console: Any = None  # set when a bar may be drawn; the bar starts once _DELAY has passed
        self.t0 = self.last = 0.0

    @property
    def show(self) -> bool:
        """Whether this progress draws a bar of its own."""
        return self.bar is not None

    def __enter__(self) -> Callable[[], None]:
        global _active
        self.parent = _active
        _active = self
        if self.parent is None and not _quiet and self.requested is not False:
            console = _console
            if console is None:
                from rich.console import Console

                console = Console(stderr=True)
            if self.requested or console.is_terminal:
                self.console, self.t0 = console, time.monotonic()
                if self.requested or _DELAY <= 0:
                    self._start()
        return self.advance

    def _start(self) -> None:
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeRemainingColumn(),
            console=self.console,
            transient=True,
            refresh_per_second=10,
        )
        self.bar.__enter__()
        self.task = self.bar.add_task(self.what, total=self.total)

    def advance(self) -> None:
        """One unit done."""
        self.done += 1
        self._report(0.0, force=self.done >= self.total)

    def _report(self, within: float, force: bool = False) -> None:
        pos = min(self.done + within, self.total)
        if self.parent is not None:
            self.parent._report(pos / self.total)
        elif self.console is not None:
            now = time.monotonic()
            if force or now - self.last >= _MIN_INTERVAL:
                self.last = now
                if self.bar is None and now - self.t0 >= _DELAY:
                    self._start()
                if self.bar is not None:
                    self.bar.update(self.task, completed=pos)

    def __exit__(self, *exc: Any) -> None:
        global _active
        _active = self.parent
        self.console = None
        if self.bar is not None:
            self.bar.__exit__(*exc)
            self.bar = None
