"""Background jobs of the web app: ensembles, sensitivity, comparisons and strategy runs, each in its own process.

A job runs in a child process (``spawn``: nothing of the server's threads is copied), so that cancelling it stops it
at once (the process is terminated) and two jobs never share detente's progress state. The child opens the outermost
:class:`detente.execution.runner.progress` itself, a subclass that writes the fraction done into shared memory: every
block, round and month the work reports (:func:`detente.execution.runner.step`) moves it.
"""

from __future__ import annotations

import multiprocessing as mp
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

from detente.errors import DetenteError, _show

MAX_RUNNING = 2
"""Jobs running at once; more are refused (429) until one ends."""
MAX_KEPT = 50
"""Finished jobs kept in memory (their results are in the run store too)."""
JOB_SECONDS = 600.0
"""A job still running after this is stopped."""


class TooManyJobs(DetenteError):
    """Every job slot is taken."""


@dataclass
class Job:
    id: str
    kind: str
    request: dict[str, Any]
    started: float = field(default_factory=time.time)
    status: str = "running"  # running, done, failed, cancelled
    result: Any = None
    error: str | None = None
    run_id: str | None = None
    duration_s: float = 0.0
    process: Any = None
    fraction: Any = None
    conn: Any = None

    def view(self) -> dict[str, Any]:
        done = 1.0 if self.status == "done" else float(self.fraction.value) if self.fraction is not None else 0.0
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "progress": round(min(max(done, 0.0), 1.0), 4),
            "elapsed_s": round((self.duration_s if self.status != "running" else time.time() - self.started), 3),
            "error": self.error,
            "run_id": self.run_id,
            "result": self.result if self.status == "done" else None,
        }


def _child(kind: str, request: dict[str, Any], fraction: Any, conn: Any) -> None:
    """The job's process: run ``kind`` with the shared progress; send ``("ok", result)`` or ``("error", line)``."""
    import importlib

    runner = importlib.import_module("detente.execution.runner")  # the module (the package exports a function)

    class _Shared(runner.progress):  # type: ignore[name-defined,misc]
        def __init__(self) -> None:
            super().__init__(False, 1, kind)

        def _report(self, within: float, force: bool = False) -> None:
            fraction.value = min(self.done + within, self.total) / self.total

    try:
        with _Shared():
            from detente.web.work import run_job

            result = run_job(kind, request)
        conn.send(("ok", result))
    except DetenteError as e:
        conn.send(("error", str(e)))
    except MemoryError:
        conn.send(("error", "out of memory; expected fewer draws or a smaller grid"))
    except Exception as e:  # a bug: one line for the page, the traceback on the server's stderr
        traceback.print_exc()
        conn.send(("error", f"internal error: {type(e).__name__}: {e}"))
    finally:
        conn.close()


class Jobs:
    """The jobs of one server. ``on_done(job)`` is called (in a watcher thread) when a job ends well."""

    def __init__(self, on_done: Any = None) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._ctx = mp.get_context("spawn")
        self._on_done = on_done

    def start(self, kind: str, request: dict[str, Any]) -> Job:
        from detente.store.runs import new_id

        with self._lock:
            running = sum(1 for j in self._jobs.values() if j.status == "running")
            if running >= MAX_RUNNING:
                raise TooManyJobs(f"{running} jobs are running; expected at most {MAX_RUNNING} at once (cancel one, "
                                  "or wait until one ends)")
            fraction = self._ctx.Value("d", 0.0, lock=False)
            parent, child = self._ctx.Pipe(duplex=False)
            job = Job(id=new_id(), kind=kind, request=request, fraction=fraction, conn=parent)
            job.process = self._ctx.Process(target=_child, args=(kind, request, fraction, child), daemon=True)
            job.process.start()
            child.close()
            self._jobs[job.id] = job
            self._prune()
        threading.Thread(target=self._watch, args=(job,), daemon=True).start()
        return job

    def _watch(self, job: Job) -> None:
        outcome: tuple[str, Any] | None = None
        deadline = job.started + JOB_SECONDS
        while outcome is None and job.status == "running":
            try:
                if job.conn.poll(0.2):
                    outcome = job.conn.recv()
                elif not job.process.is_alive() and not job.conn.poll(0.05):
                    outcome = ("error", f"the job's process ended (exit code {job.process.exitcode})")
                elif time.time() > deadline:
                    job.process.terminate()
                    outcome = ("error", f"took longer than {JOB_SECONDS:g} s; expected fewer draws or paths")
            except (EOFError, OSError):
                outcome = ("error", f"the job's process ended (exit code {job.process.exitcode})")
        job.process.join(timeout=5)
        job.duration_s = time.time() - job.started
        if job.status != "running" or outcome is None:  # cancelled meanwhile
            return
        kind, value = outcome
        if kind == "ok":
            job.result = value
            if self._on_done is not None:
                try:
                    job.run_id = self._on_done(job)
                except Exception as e:  # the result stands; the page says why it has no permalink
                    job.error = f"not recorded in the run store: {type(e).__name__}: {e}"
            job.status = "done"
        else:
            job.error = str(value)
            job.status = "failed"

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(str(job_id))
        if job is None:
            from detente.errors import UnknownNameError

            raise UnknownNameError(f"job {_show(job_id)}: no such job (jobs are kept while the server runs)")
        return job

    def cancel(self, job_id: str) -> Job:
        job = self.get(job_id)
        if job.status == "running":
            job.status = "cancelled"
            job.process.terminate()
            job.duration_s = time.time() - job.started
        return job

    def list(self) -> list[Job]:
        with self._lock:
            return list(self._jobs.values())

    def _prune(self) -> None:
        done = [j for j in self._jobs.values() if j.status != "running"]
        for j in done[: max(len(done) - MAX_KEPT, 0)]:
            del self._jobs[j.id]

    def shutdown(self) -> None:
        for j in self.list():
            if j.status == "running":
                self.cancel(j.id)
