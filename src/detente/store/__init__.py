"""The run store: every run of the web app recorded in a database, listed, shown, compared and deleted.

SQLite in the user's data folder by default (:func:`default_url`); ``--store URL`` or the ``DETENTE_STORE``
environment variable name another SQLite file or any SQLAlchemy URL (e.g. ``postgresql+psycopg://host/db`` for a
store shared by several people). SQLAlchemy loads only when a store is opened.

>>> from detente.store import RunStore
>>> store = RunStore("sqlite://")                      # in memory
>>> run_id = store.add(kind="forecast", scenario="s", scenario_hash="h", model="median", results={"x": 1})
>>> store.get(run_id)["results"]
{'x': 1}
"""

from __future__ import annotations

from detente.store.runs import RunStore, default_url, resolve_url

__all__ = ["RunStore", "default_url", "resolve_url"]
