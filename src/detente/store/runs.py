"""The run store's tables (SQLAlchemy 2 ORM) and :class:`RunStore`, the one place that reads and writes them.

A run is one solve the web app (or the library) recorded: what ran (kind, model, parameters, seed, detente's
version), on what (the scenario's name, hash and whole content in the file schema, and the what-if edits), when and
how long, and the result's JSON document. Uploaded scenario files are kept in a second table, as their canonical
JSON, so that a permalink to a run or to an upload works for everyone who shares the store.
"""

from __future__ import annotations

import json
import math
import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Float, Integer, String, Text, create_engine, delete, event, func, select
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from detente.errors import DetenteError, ParameterError, UnknownNameError, _show, cap

ENV = "DETENTE_STORE"
"""The environment variable naming the store when ``--store`` is not given."""

KINDS = ("forecast", "compare", "ensemble", "sensitivity", "strategy", "backtest", "claims")
"""What a run can be: the solve that produced its results."""


_List = list  # RunStore.list shadows the builtin inside the class


class StoreError(DetenteError):
    """The store cannot be opened or read (a bad URL, an unreachable server, a database of another layout)."""


class _Base(DeclarativeBase):
    pass


class Run(_Base):
    __tablename__ = "detente_runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    created: Mapped[str] = mapped_column(String(32), index=True)  # ISO 8601 UTC, sortable as text
    label: Mapped[str] = mapped_column(String(200), default="")
    scenario: Mapped[str] = mapped_column(String(300))
    scenario_hash: Mapped[str] = mapped_column(String(64), index=True)
    scenario_content: Mapped[str] = mapped_column(Text, default="null")  # the scenario in the file schema (JSON)
    edits: Mapped[str] = mapped_column(Text, default="[]")  # the what-if edits (JSON list)
    model: Mapped[str] = mapped_column(String(300), default="")
    parameters: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    seed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    version: Mapped[str] = mapped_column(String(40), default="")
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    results: Mapped[str] = mapped_column(Text, default="{}")  # the result's JSON document


class Upload(_Base):
    __tablename__ = "detente_uploads"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created: Mapped[str] = mapped_column(String(32), index=True)
    filename: Mapped[str] = mapped_column(String(300))
    input_format: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(300))
    content: Mapped[str] = mapped_column(Text)  # the scenario in the file schema (JSON)


def data_dir() -> Path:
    """detente's folder for user data: ``$XDG_DATA_HOME/detente`` (``~/.local/share/detente``) on Linux,
    ``~/Library/Application Support/detente`` on macOS, ``%LOCALAPPDATA%\\detente`` on Windows."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "detente"


def default_url() -> str:
    """The SQLite file in :func:`data_dir` (the folder is made when the store opens)."""
    return f"sqlite:///{data_dir() / 'runs.sqlite'}"


def resolve_url(store: str | None) -> str:
    """``--store`` (a SQLAlchemy URL, or a path taken as a SQLite file), else ``$DETENTE_STORE``, else the default."""
    value = store if store else os.environ.get(ENV) or None
    if value is None:
        return default_url()
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def _where(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return cap(url, 120)


def _json(value: Any) -> str:
    return json.dumps(_finite(value), allow_nan=False, ensure_ascii=False)


def _finite(value: Any) -> Any:
    """JSON-ready: NaN and infinities become null (a result never stores NaN), tuples lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def new_id() -> str:
    """A run or upload id: 12 hex digits, random (not guessable from another run's)."""
    return uuid.uuid4().hex[:12]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class RunStore:
    """The runs and uploads of one database.

    Parameters
    ----------
    url : str, optional
        A SQLAlchemy URL or a SQLite file path; default ``$DETENTE_STORE``, else :func:`default_url`.
    """

    def __init__(self, url: str | None = None) -> None:
        self.url = resolve_url(url)
        where = _where(self.url)
        try:
            if self.url.startswith("sqlite:///") and len(self.url) > len("sqlite:///"):
                path = Path(self.url[len("sqlite:///") :])
                path.parent.mkdir(parents=True, exist_ok=True)
            kwargs: dict[str, Any] = {}
            if self.url.startswith("sqlite"):
                kwargs["connect_args"] = {"check_same_thread": False}
                if self.url in ("sqlite://", "sqlite:///:memory:"):
                    from sqlalchemy.pool import StaticPool

                    kwargs["poolclass"] = StaticPool  # one in-memory database shared by every thread
            self.engine = create_engine(self.url, **kwargs)
            if self.url.startswith("sqlite"):
                event.listen(self.engine, "connect", _sqlite_pragmas)
            _Base.metadata.create_all(self.engine)
        except (ArgumentError, ValueError) as e:
            raise StoreError(f"`url` {_show(where)}: not a database URL ({cap(str(e), 160)}); expected a "
                             "SQLAlchemy URL such as sqlite:///runs.sqlite or postgresql+psycopg://host/db") from None
        except ModuleNotFoundError as e:
            raise StoreError(f"`url` {_show(where)}: the database driver {e.name!r} is not installed") from None
        except (SQLAlchemyError, OSError) as e:
            raise StoreError(f"`url` {_show(where)}: cannot open the store ({_first_line(e)})") from None
        self._session = sessionmaker(self.engine, expire_on_commit=False)

    def __repr__(self) -> str:
        return f"RunStore({_where(self.url)!r})"

    @contextmanager
    def _db(self) -> Iterator[Session]:
        try:
            with self._session() as session, session.begin():
                yield session
        except SQLAlchemyError as e:
            raise StoreError(f"store {_where(self.url)}: {_first_line(e)}") from None

    def close(self) -> None:
        self.engine.dispose()

    # ---- runs ------------------------------------------------------------------------------------------------
    def add(
        self,
        *,
        kind: str,
        scenario: str,
        scenario_hash: str,
        results: Any,
        scenario_content: Any = None,
        edits: Any = (),
        model: str = "",
        parameters: Any = None,
        seed: int | None = None,
        version: str | None = None,
        duration_s: float = 0.0,
        label: str = "",
    ) -> str:
        """Record a run; returns its id."""
        if kind not in KINDS:
            raise ParameterError(f"kind {kind!r}: expected one of {', '.join(KINDS)}")
        if version is None:
            from detente import __version__ as version
        run = Run(
            id=new_id(),
            kind=kind,
            created=_now(),
            label=cap(label, 200),
            scenario=cap(scenario, 300),
            scenario_hash=scenario_hash,
            scenario_content=_json(scenario_content),
            edits=_json(list(edits or [])),
            model=cap(model, 300),
            parameters=_json(parameters or {}),
            seed=None if seed is None else int(seed),
            version=version,
            duration_s=float(duration_s),
            results=_json(results),
        )
        with self._db() as db:
            db.add(run)
        return run.id

    def get(self, run_id: str) -> dict[str, Any]:
        """The whole run: metadata, scenario content, edits, parameters and results."""
        with self._db() as db:
            run = db.get(Run, str(run_id)[:32])
            if run is None:
                raise UnknownNameError(f"run {_show(run_id)}: no such run in {_where(self.url)}")
            return _doc(run, full=True)

    def list(self, *, limit: int = 100, offset: int = 0, kind: str | None = None) -> list[dict[str, Any]]:
        """The newest runs first, without their scenario content and results."""
        if kind is not None and kind not in KINDS:
            raise ParameterError(f"kind {kind!r}: expected one of {', '.join(KINDS)}")
        q = select(Run).order_by(Run.created.desc(), Run.id).offset(max(int(offset), 0)).limit(max(int(limit), 0))
        if kind is not None:
            q = q.where(Run.kind == kind)
        with self._db() as db:
            return [_doc(r, full=False) for r in db.scalars(q)]

    def count(self) -> int:
        with self._db() as db:
            return int(db.scalar(select(func.count()).select_from(Run)) or 0)

    def delete(self, run_id: str) -> None:
        """Delete one run (an unknown id is an error)."""
        with self._db() as db:
            gone = db.execute(delete(Run).where(Run.id == str(run_id)[:32])).rowcount  # type: ignore[attr-defined]
        if not gone:
            raise UnknownNameError(f"run {_show(run_id)}: no such run in {_where(self.url)}")

    def diff(self, a: str, b: str) -> dict[str, Any]:
        """What differs between two runs: their settings, and each outcome both give (second − first)."""
        ra, rb = self.get(a), self.get(b)
        return diff_runs(ra, rb)

    # ---- uploads ---------------------------------------------------------------------------------------------
    def add_upload(self, *, filename: str, input_format: str, name: str, content: Any) -> str:
        up = Upload(
            id=new_id(), created=_now(), filename=cap(filename, 300), input_format=input_format,
            name=cap(name, 300), content=_json(content),
        )
        with self._db() as db:
            db.add(up)
        return up.id

    def get_upload(self, upload_id: str) -> dict[str, Any]:
        with self._db() as db:
            up = db.get(Upload, str(upload_id)[:32])
            if up is None:
                raise UnknownNameError(f"upload {_show(upload_id)}: no such uploaded scenario")
            return {"id": up.id, "created": up.created, "filename": up.filename, "input_format": up.input_format,
                    "name": up.name, "content": json.loads(up.content)}

    def list_uploads(self, *, limit: int = 100) -> _List[dict[str, Any]]:
        q = select(Upload).order_by(Upload.created.desc(), Upload.id).limit(max(int(limit), 0))
        with self._db() as db:
            return [{"id": u.id, "created": u.created, "filename": u.filename, "input_format": u.input_format,
                     "name": u.name} for u in db.scalars(q)]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA busy_timeout = 5000")  # two processes writing (the CLI and a server) wait, not fail
    cur.close()


def _first_line(e: BaseException) -> str:
    text = str(getattr(e, "orig", None) or e).strip().splitlines()
    return cap(text[0] if text else type(e).__name__, 200)


def _doc(run: Run, *, full: bool) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": run.id,
        "kind": run.kind,
        "created": run.created,
        "label": run.label,
        "scenario": run.scenario,
        "scenario_hash": run.scenario_hash,
        "model": run.model,
        "seed": run.seed,
        "version": run.version,
        "duration_s": run.duration_s,
        "edits": json.loads(run.edits),
        "parameters": json.loads(run.parameters),
    }
    if full:
        doc["scenario_content"] = json.loads(run.scenario_content)
        doc["results"] = json.loads(run.results)
    return doc


# ---- diff ---------------------------------------------------------------------------------------------------------
_SETTINGS = ("kind", "scenario", "scenario_hash", "model", "parameters", "seed", "version", "edits")


def outcomes_of(results: Any) -> dict[tuple[str, str], float]:
    """(model, issue) → outcome of every forecast a run's results hold (a forecast document, or a list of them)."""
    out: dict[tuple[str, str], float] = {}
    docs: list[Any] = []
    if isinstance(results, dict):
        if isinstance(results.get("forecasts"), list):
            docs = results["forecasts"]
        elif isinstance(results.get("outcomes"), dict):
            docs = [results]
    for d in docs:
        if isinstance(d, dict) and isinstance(d.get("outcomes"), dict):
            for issue, x in d["outcomes"].items():
                if isinstance(x, (int, float)) and not isinstance(x, bool):
                    out[(str(d.get("model", "")), str(issue))] = float(x)
    return out


def _leaves(doc: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _leaves(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _leaves(v, f"{prefix}[{i}]")
    else:
        yield prefix, doc


def diff_runs(ra: dict[str, Any], rb: dict[str, Any], limit: int = 200) -> dict[str, Any]:
    """Settings that differ, each common outcome (model, issue) with second − first, and the other results that
    differ (at most ``limit`` of them, numbers with their difference)."""
    settings = [
        {"field": f, "first": ra.get(f), "second": rb.get(f)} for f in _SETTINGS if ra.get(f) != rb.get(f)
    ]
    oa, ob = outcomes_of(ra["results"]), outcomes_of(rb["results"])
    outcomes = [
        {"model": m, "issue": i, "first": oa[(m, i)], "second": ob[(m, i)], "difference": ob[(m, i)] - oa[(m, i)]}
        for (m, i) in oa
        if (m, i) in ob
    ]
    only = [{"model": m, "issue": i, "in": "first"} for (m, i) in oa if (m, i) not in ob]
    only += [{"model": m, "issue": i, "in": "second"} for (m, i) in ob if (m, i) not in oa]
    la, lb = dict(_leaves(ra["results"])), dict(_leaves(rb["results"]))
    other: list[dict[str, Any]] = []
    changed = 0
    for key in list(la) + [k for k in lb if k not in la]:
        x, y = la.get(key), lb.get(key)
        if x == y:
            continue
        changed += 1
        if len(other) < limit:
            row: dict[str, Any] = {"path": key, "first": x, "second": y}
            if isinstance(x, (int, float)) and isinstance(y, (int, float)) and not isinstance(x, bool) \
                    and not isinstance(y, bool):
                row["difference"] = y - x
            other.append(row)
    return {
        "first": ra["id"],
        "second": rb["id"],
        "settings": settings,
        "outcomes": outcomes,
        "only_in_one": only,
        "results_changed": changed,
        "results": other,
    }
