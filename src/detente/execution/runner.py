"""Backends that run blocks: in this process, or on Dask (a local cluster of worker processes or a scheduler).

Results come back in block order whatever order the workers finish in, with at most ``window`` blocks in flight
(default: twice the number of workers), so a caller that merges them as they arrive keeps a bounded footprint and
gets the same bytes for any number of workers.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol, TypeVar

from detente.errors import DetenteError

__all__ = ["DaskRunner", "InProcess", "Runner", "progress", "run_blocks", "runner"]

T = TypeVar("T")


class Runner(Protocol):
    """Something that maps ``fn(shared, key)`` over keys and yields the results in key order."""

    workers: int
    description: str

    def map(self, fn: Callable[[Any, Any], T], shared: Any, keys: Iterable[Any]) -> Iterator[T]: ...

    def close(self) -> None: ...


class InProcess:
    """Run every block here, one after the other."""

    workers = 1
    description = "in-process"

    def map(self, fn: Callable[[Any, Any], T], shared: Any, keys: Iterable[Any]) -> Iterator[T]:
        for key in keys:
            yield fn(shared, key)

    def close(self) -> None:
        pass

    def __enter__(self) -> InProcess:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class DaskRunner:
    """Run blocks on Dask: a ``LocalCluster`` of ``workers`` single-threaded processes, or the cluster at ``scheduler``."""

    def __init__(self, workers: int | None = None, scheduler: str | None = None, window: int | None = None) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - dask is an optional extra
            raise DetenteError(
                "--workers / --scheduler need Dask: pip install 'detente[parallel]' (dask[distributed])"
            ) from None
        self.cluster: Any = None
        try:
            if scheduler is not None:
                self.client = Client(scheduler, timeout="20s")
                self.description = f"Dask scheduler {scheduler}"
            else:
                n = int(workers or 1)
                self.cluster = LocalCluster(
                    n_workers=n,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",  # any free port: never clashes with another cluster's dashboard
                    silence_logs=logging.ERROR,
                )
                self.client = Client(self.cluster)
                self.description = f"Dask LocalCluster of {n} worker processes"
        except OSError as e:
            self.close()
            raise DetenteError(f"cannot start or reach the Dask cluster ({scheduler or 'local'}): {e}") from None
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})) or int(workers or 1))
        self.window = window or 2 * self.workers

    def map(self, fn: Callable[[Any, Any], T], shared: Any, keys: Iterable[Any]) -> Iterator[T]:
        pending: dict[int, Any] = {}
        data = self.client.scatter(shared, broadcast=True, hash=False)
        it = iter(enumerate(keys))
        submitted = yielded = 0
        exhausted = False
        try:
            while True:
                while not exhausted and submitted - yielded < self.window:
                    try:
                        i, key = next(it)
                    except StopIteration:
                        exhausted = True
                        break
                    pending[i] = self.client.submit(fn, data, key, pure=False)
                    submitted += 1
                if yielded == submitted:
                    return
                fut = pending.pop(yielded)
                result = fut.result()
                fut.release()
                yielded += 1
                yield result
        finally:
            for fut in pending.values():
                fut.cancel()
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

    def __enter__(self) -> DaskRunner:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def runner(workers: int | None = None, scheduler: str | None = None) -> InProcess | DaskRunner:
    """The backend for ``--workers N`` / ``--scheduler ADDRESS``; in-process when neither is given."""
    if workers is not None and (isinstance(workers, bool) or int(workers) < 1):
        raise DetenteError(f"--workers {workers!r}: expected a number of worker processes >= 1")
    if workers is not None and scheduler is not None:
        raise DetenteError("--workers and --scheduler: give one (a scheduler brings its own workers)")
    if workers is None and scheduler is None:
        return InProcess()
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
) -> Iterator[T]:
    """``fn(shared, key)`` for every key, results in key order, on the backend of ``workers`` / ``scheduler``.

    ``fn`` must be a module-level function (it is pickled for Dask workers); ``shared`` is sent to each worker once.
    A progress bar of blocks done shows on stderr when it is a terminal (``show_progress`` forces it on or off).
    """
    keys = list(keys)
    with runner(workers, scheduler) as run, progress(show_progress, len(keys), what) as advance:
        for result in run.map(fn, shared, keys):
            advance()
            yield result


class progress:
    """A rich progress bar of blocks done on stderr; silent when stderr is not a terminal (or ``show=False``)."""

    def __init__(self, show: bool | None, total: int, what: str) -> None:
        if show is None:
            show = total > 1 and sys.stderr.isatty()
        self.show, self.total, self.what = show, total, what
        self.bar: Any = None

    def __enter__(self) -> Callable[[], None]:
        if not self.show:
            return lambda: None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.bar.__enter__()
        task = self.bar.add_task(self.what, total=self.total)
        return lambda: self.bar.advance(task, 1)

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)
