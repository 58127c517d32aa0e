"""The run store (SQLite in a temporary folder; PostgreSQL where a server is reachable) and `detente runs`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy")

from detente.errors import ParameterError, UnknownNameError  # noqa: E402
from detente.store import RunStore, resolve_url  # noqa: E402
from detente.store.runs import StoreError, diff_runs  # noqa: E402

SRC = str(Path(__file__).resolve().parents[1] / "src")


def _forecast_doc(model: str, sets: list[str] | None = None) -> dict:
    import detente
    from detente.whatif import what_if

    s = what_if(detente.load("korea-2019"), (), sets or ())
    return detente.forecast(s, model=model).to_dict()


def _fill(store: RunStore) -> tuple[str, str]:
    a = _forecast_doc("median")
    b = _forecast_doc("median", ["dprk.denuclearization.position=60"])
    ra = store.add(kind="forecast", scenario="korea-2019", scenario_hash=a["scenario_hash"], model="median",
                   results={"forecasts": [a]}, seed=1, edits=[], scenario_content={"name": "korea-2019"})
    rb = store.add(kind="forecast", scenario="korea-2019+set", scenario_hash=b["scenario_hash"], model="median",
                   results={"forecasts": [b]}, seed=2, edits=[{"set": "dprk.denuclearization.position=60"}])
    return ra, rb


def test_a_run_is_stored_whole_and_read_back(tmp_path):
    store = RunStore(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    doc = _forecast_doc("compromise")
    rid = store.add(kind="forecast", scenario="korea-2019", scenario_hash=doc["scenario_hash"], model="compromise",
                    parameters={"x": 1}, seed=7, results={"forecasts": [doc]}, duration_s=0.25,
                    scenario_content={"name": "korea-2019"}, edits=[{"variant": "seoul-centred"}])
    got = store.get(rid)
    assert got["results"] == {"forecasts": [doc]}
    assert (got["seed"], got["model"], got["parameters"], got["duration_s"]) == (7, "compromise", {"x": 1}, 0.25)
    assert got["edits"] == [{"variant": "seoul-centred"}] and got["scenario_content"] == {"name": "korea-2019"}
    from detente import __version__

    assert got["version"] == __version__ and len(rid) == 12
    # a second store on the same file sees it (the store is the database, not the process)
    assert RunStore(str(tmp_path / "runs.sqlite")).get(rid)["results"] == got["results"]


def test_nan_is_stored_as_null_never_as_nan(tmp_path):
    store = RunStore(f"sqlite:///{tmp_path / 'r.sqlite'}")
    rid = store.add(kind="forecast", scenario="s", scenario_hash="h", results={"x": float("nan"), "y": [float("inf")]})
    assert store.get(rid)["results"] == {"x": None, "y": [None]}


def test_list_is_newest_first_and_filters_by_kind_and_delete_removes(tmp_path):
    store = RunStore(f"sqlite:///{tmp_path / 'r.sqlite'}")
    ids = [store.add(kind=k, scenario="s", scenario_hash="h", results={}) for k in ("forecast", "compare", "forecast")]
    listed = store.list()
    assert [r["id"] for r in listed] == ids[::-1]
    assert "results" not in listed[0] and "scenario_content" not in listed[0]
    assert [r["id"] for r in store.list(kind="compare")] == [ids[1]]
    assert len(store.list(limit=2)) == 2
    store.delete(ids[0])
    assert store.count() == 2
    with pytest.raises(UnknownNameError, match="no such run"):
        store.get(ids[0])
    with pytest.raises(UnknownNameError):
        store.delete(ids[0])
    with pytest.raises(ParameterError, match="kind 'nope'"):
        store.list(kind="nope")


def test_diff_gives_settings_and_outcome_differences(tmp_path):
    store = RunStore(f"sqlite:///{tmp_path / 'r.sqlite'}")
    ra, rb = _fill(store)
    d = store.diff(ra, rb)
    fields = {s["field"] for s in d["settings"]}
    assert {"seed", "scenario", "scenario_hash", "edits"} <= fields and "model" not in fields
    by_issue = {o["issue"]: o for o in d["outcomes"]}
    assert set(by_issue) == set(_forecast_doc("median")["outcomes"])
    for o in d["outcomes"]:
        assert o["difference"] == pytest.approx(o["second"] - o["first"])
    # moving North Korea's position moves at least the weighted median of that issue or leaves it; the diff says so
    assert d["results_changed"] >= 1
    same = diff_runs(store.get(ra), store.get(ra))
    assert same["settings"] == [] and same["results_changed"] == 0
    assert all(o["difference"] == 0 for o in same["outcomes"])


def test_store_url_resolution(tmp_path, monkeypatch):
    monkeypatch.delenv("DETENTE_STORE", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert resolve_url(None) == f"sqlite:///{tmp_path / 'xdg' / 'detente' / 'runs.sqlite'}"
    monkeypatch.setenv("DETENTE_STORE", "sqlite:///elsewhere.sqlite")
    assert resolve_url(None) == "sqlite:///elsewhere.sqlite"
    assert resolve_url(str(tmp_path / "a.sqlite")) == f"sqlite:///{tmp_path / 'a.sqlite'}"


@pytest.mark.parametrize("url", ["foo://x", "not a url://"])
def test_a_bad_store_url_is_one_error(url):
    with pytest.raises(StoreError, match="`url`"):
        RunStore(url)


def _runs_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    e = {**os.environ, "PYTHONPATH": SRC, **(env or {})}
    return subprocess.run([sys.executable, "-m", "detente", "runs", *args], capture_output=True, text=True, env=e,
                          timeout=120)


def test_runs_cli_list_show_diff_delete(tmp_path):
    path = tmp_path / "runs.sqlite"
    ra, rb = _fill(RunStore(str(path)))
    r = _runs_cli("list", "--store", str(path), "--format", "json")
    assert r.returncode == 0, r.stderr
    assert [x["id"] for x in json.loads(r.stdout)] == [rb, ra]
    r = _runs_cli("show", ra, "--format", "json", env={"DETENTE_STORE": str(path)})  # the environment names it
    assert r.returncode == 0 and json.loads(r.stdout)["results"]["forecasts"][0]["model"] == "median"
    r = _runs_cli("show", ra, "--store", str(path))
    assert r.returncode == 0 and "denuclearization" in r.stdout and "median" in r.stdout
    r = _runs_cli("diff", ra, rb, "--store", str(path), "--format", "json")
    assert r.returncode == 0 and len(json.loads(r.stdout)["outcomes"]) == 8
    r = _runs_cli("diff", ra, rb, "--store", str(path))
    assert r.returncode == 0 and "second − first" in r.stdout
    r = _runs_cli("delete", ra, "nope", "--store", str(path))
    assert r.returncode == 2 and r.stderr.startswith("error: run 'nope': no such run") and r.stdout == ""
    assert len(RunStore(str(path)).list()) == 2  # nothing deleted when one id is unknown
    r = _runs_cli("delete", ra, "--store", str(path))
    assert r.returncode == 0 and [x["id"] for x in RunStore(str(path)).list()] == [rb]
    r = _runs_cli("list", "--store", "foo://x")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "not a database URL" in r.stderr
    assert r.stderr.startswith("error: --store 'foo://x'"), r.stderr


def _postgres_url() -> str | None:
    url = os.environ.get("DETENTE_TEST_POSTGRES")
    if not url:
        return None
    try:
        RunStore(url).close()
    except StoreError:
        return None
    return url


def test_the_store_on_postgresql():
    url = _postgres_url()
    if url is None:
        pytest.skip("no PostgreSQL server reachable: set DETENTE_TEST_POSTGRES=postgresql+psycopg://USER@HOST/DB")
    store = RunStore(url)
    ra, rb = _fill(store)
    assert store.get(ra)["results"]["forecasts"][0]["model"] == "median"
    assert {r["id"] for r in store.list(limit=1000)} >= {ra, rb}
    assert len(store.diff(ra, rb)["outcomes"]) == 8
    store.delete(ra)
    store.delete(rb)
