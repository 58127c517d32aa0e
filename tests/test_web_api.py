"""The web app's REST API through FastAPI's TestClient: the same results and the same one-line errors as the CLI."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("sqlalchemy")

from fastapi.testclient import TestClient  # noqa: E402

from detente.web.app import create_app  # noqa: E402


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    store = tmp_path_factory.mktemp("store") / "runs.sqlite"
    with TestClient(create_app(str(store))) as c:
        yield c


def test_openapi_and_page(client):
    r = client.get("/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert {"/api/forecast", "/api/compare", "/api/scenarios", "/api/runs", "/api/jobs/ensemble"} <= set(paths)
    assert client.get("/").text.startswith("<!DOCTYPE html>")
    assert client.get("/runs/abc").text.startswith("<!DOCTYPE html>")
    js = client.get("/static/plotly.min.js")
    assert js.status_code == 200 and len(js.content) > 1_000_000  # served from the plotly package, not a CDN


def test_forecast_matches_the_library_model_by_model_and_is_recorded(client):
    import detente

    r = client.post("/api/forecast", json={"scenario": "korea-2019", "models": ["all"], "seed": 1})
    assert r.status_code == 200
    doc = r.json()
    from detente.models.base import available

    assert {f["model"] for f in doc["forecasts"]} | {k["model"] for k in doc["cannot_run"]} == set(available())
    for f in doc["forecasts"]:
        lib = detente.forecast("korea-2019", model=f["model"], seed=1).to_dict()
        assert f["outcomes"] == pytest.approx(lib["outcomes"], abs=1e-12)
    run = client.get(f"/api/runs/{doc['run_id']}").json()
    assert run["kind"] == "forecast" and run["seed"] == 1
    assert run["results"]["forecasts"][0]["outcomes"] == doc["forecasts"][0]["outcomes"]
    assert run["scenario_content"]["name"] == "korea-2019"


def test_a_what_if_set_is_the_cli_set(client):
    import detente
    from detente.whatif import what_if

    edit = "dprk.denuclearization.position=60"
    r = client.post("/api/forecast", json={"scenario": "korea-2019", "models": ["median"], "sets": [edit]})
    assert r.status_code == 200
    lib = detente.forecast(what_if(detente.load("korea-2019"), (), [edit]), model="median").to_dict()
    assert r.json()["forecasts"][0]["outcomes"] == lib["outcomes"]
    assert r.json()["what_if"][0]["set"] == edit


def test_an_edited_document_forecasts_like_the_file(client):
    doc = client.get("/api/scenarios/korea-2019").json()
    a = client.post("/api/forecast", json={"document": doc, "models": ["compromise"]}).json()
    b = client.post("/api/forecast", json={"scenario": "korea-2019", "models": ["compromise"]}).json()
    assert a["forecasts"][0]["outcomes"] == b["forecasts"][0]["outcomes"]
    doc["stances"][0]["salience"] = 250
    r = client.post("/api/validate", json={"document": doc})
    assert r.status_code == 200 and r.json()["ok"] is False
    f = r.json()["findings"][0]
    assert f["where"].startswith("stances[0].salience")


@pytest.mark.parametrize(
    "body, status, start",
    [
        ({"scenario": "nope"}, 404, "scenario 'nope': unknown"),
        ({"scenario": "korea-2019", "sets": ["x.y=1"]}, 400, "--set 'x.y=1'"),
        ({"scenario": "korea-2019", "models": ["nosuch"]}, 404, None),
        ({"scenario": "korea-2019", "seed": -1}, 422, "seed"),
        ({"scenario": "korea-2019", "document": {}}, 400, "expected either"),
        ({"scenario": "korea-2019", "bogus": 1}, 422, "bogus"),
    ],
)
def test_errors_are_one_json_line_with_a_4xx(client, body, status, start):
    r = client.post("/api/forecast", json=body)
    assert r.status_code == status, r.text
    msg = r.json()["error"]
    assert "\n" not in msg and list(r.json()) == ["error"]
    if start:
        assert msg.startswith(start)


def test_the_same_message_as_the_cli(client, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    src = str(Path(__file__).resolve().parents[1] / "src")
    cli = subprocess.run([sys.executable, "-m", "detente", "forecast", "korea-2019", "--set", "dprk.nope.position=1"],
                         capture_output=True, text=True, env={"PYTHONPATH": src, "PATH": "/usr/bin:/bin"}, timeout=120)
    web = client.post("/api/forecast", json={"scenario": "korea-2019", "sets": ["dprk.nope.position=1"]}).json()
    assert cli.stderr.strip() == f"error: {web['error']}"


def test_body_too_large_is_413(client):
    r = client.post("/api/validate", content=b"{" + b" " * (5 * 1024 * 1024) + b"}",
                    headers={"content-type": "application/json"})
    assert r.status_code == 413 and "too large" in r.json()["error"]


def test_upload_is_parsed_by_the_cli_readers_and_named_as_sent(client):
    from detente.scenario.io import dumps, load

    text = dumps(load("emission-standards-1994"), "yaml")
    r = client.post("/api/scenarios", files={"file": ("../../etc/my scenario.yaml", text.encode())})
    assert r.status_code == 200, r.text
    up = r.json()
    assert up["name"] == "emission-standards-1994" and up["validation"]["ok"]
    f = client.post("/api/forecast", json={"scenario": up["ref"], "models": ["median"]}).json()
    assert f["forecasts"][0]["outcomes"] == {"emission-standards": 7.0}
    assert up["ref"] in [u["ref"] for u in client.get("/api/scenarios").json()["uploads"]]
    bad = client.post("/api/scenarios", files={"file": ("x.yaml", b"name: x\nissues: 3\n")})
    assert bad.status_code == 400 and bad.json()["error"].startswith("x.yaml")
    assert "/tmp" not in bad.json()["error"] and "upload-" not in bad.json()["error"]
    big = client.post("/api/scenarios", files={"file": ("x.yaml", b"#" * (3 * 1024 * 1024))})
    assert big.status_code == 400 and "too large" in big.json()["error"]
    odd = client.post("/api/scenarios", files={"file": ("x.exe", b"x")})
    assert odd.status_code == 400 and "unknown file type" in odd.json()["error"]


@pytest.mark.parametrize("fmt", ["yaml", "json", "xlsx"])
def test_download_loads_back_identically(client, fmt, tmp_path):
    from detente.scenario.arrays import scenario_hash
    from detente.scenario.io import load

    r = client.get(f"/api/scenarios/korea-2019/download?format={fmt}")
    assert r.status_code == 200
    path = tmp_path / f"k.{fmt}"
    path.write_bytes(r.content)
    assert scenario_hash(load(str(path))) == scenario_hash(load("korea-2019"))


def test_compare_gives_intervals_on_common_random_numbers(client):
    import detente

    body = {"scenario": "korea-2019", "variants": ["seoul-centred"], "draws": 200, "seed": 3}
    r = client.post("/api/compare", json=body)
    assert r.status_code == 200, r.text
    lib = detente.compare_variants("korea-2019", "compromise", ["seoul-centred"], draws=200, seed=3).to_dict()
    got = r.json()["variants"]["seoul-centred"]["differences"]
    assert got.keys() == lib["variants"]["seoul-centred"]["differences"].keys()
    for iid, d in got.items():
        assert d["ci_low"] <= d["diff_mean"] <= d["ci_high"]
        assert d["diff_mean"] == pytest.approx(lib["variants"]["seoul-centred"]["differences"][iid]["diff_mean"])
    assert client.post("/api/compare", json={**body, "variants": []}).status_code == 400


def _wait(client, job_id, timeout=120):
    t0 = time.time()
    while time.time() - t0 < timeout:
        j = client.get(f"/api/jobs/{job_id}").json()
        if j["status"] != "running":
            return j
        time.sleep(0.3)
    raise AssertionError("job did not end")


def test_ensemble_job_runs_in_the_background_with_progress_and_is_recorded(client):
    import detente

    r = client.post("/api/jobs/ensemble", json={"scenario": "korea-2019", "draws": 300, "seed": 5})
    assert r.status_code == 202 and r.json()["status"] == "running"
    j = _wait(client, r.json()["id"])
    assert j["status"] == "done" and j["progress"] == 1.0, j
    lib = detente.ensemble("korea-2019", "compromise", draws=300, seed=5).to_dict()
    assert j["result"]["issues"] == lib["issues"]
    assert client.get(f"/api/runs/{j['run_id']}").json()["kind"] == "ensemble"


def test_a_job_can_be_cancelled(client):
    r = client.post("/api/jobs/sensitivity", json={"scenario": "korea-2019", "model": "expected-utility",
                                                    "draws": 4096, "seed": 1})
    assert r.status_code == 202
    time.sleep(1.0)
    c = client.delete(f"/api/jobs/{r.json()['id']}")
    assert c.status_code == 200 and c.json()["status"] == "cancelled"
    time.sleep(0.5)
    assert client.get(f"/api/jobs/{r.json()['id']}").json()["status"] == "cancelled"
    assert client.get("/api/jobs/nope").status_code == 404


def test_runs_list_diff_delete(client):
    a = client.post("/api/forecast", json={"scenario": "korea-2019", "models": ["median"]}).json()["run_id"]
    b = client.post("/api/forecast", json={"scenario": "korea-2019", "models": ["median"],
                                           "sets": ["dprk.denuclearization.position=60"]}).json()["run_id"]
    ids = [r["id"] for r in client.get("/api/runs").json()]
    assert ids[:2] == [b, a]
    d = client.get(f"/api/runs/{a}/diff/{b}").json()
    assert any(s["field"] == "edits" for s in d["settings"])
    assert client.delete(f"/api/runs/{a}").status_code == 200
    assert client.get(f"/api/runs/{a}").status_code == 404


def test_backtest_strategy_rules_and_claims(client):
    lb = client.get("/api/backtest").json()["leaderboard"]
    assert {r["model"] for r in lb} >= {"baseline", "compromise"}
    rules = {r["name"] for r in client.get("/api/strategy/rules").json()}
    assert {"hanoi", "sfs-freeze"} <= rules
    c = client.get("/api/claims")
    assert c.status_code in (200, 404)
    if c.status_code == 404:
        assert c.json() == {"error": "the claims scorecard is not available in this version of detente"}


def test_report_is_one_self_contained_html_file(client):
    r = client.post("/api/report", json={"scenario": "emission-standards-1994", "models": ["median", "compromise"]})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    text = r.text
    assert text.startswith("<!DOCTYPE html>") and "<svg" in text and "@media print" in text
    assert "<script" not in text and 'src="http' not in text  # nothing to fetch: it opens offline
    assert "emission-standards-1994" in text and "7.0" in text


def test_claims_go_through_the_library_where_it_has_them(client, monkeypatch):
    """With a `detente.claims` that ships a scorecard (stood in for here), the API returns its document, the page
    its one-page HTML, and the report embeds that page; a scenario without one is a 404 that says how to compute it."""
    import types

    import detente
    from detente.report.html import report_html

    doc = {"scenario": "korea-2019", "claims": [{"id": "claim-a", "verdict": "holds", "share": 0.8}]}
    claims = types.ModuleType("detente.claims")
    claims.shipped = lambda s: doc if s.name == "korea-2019" else None
    page = types.ModuleType("detente.claims.page")
    page.html_page = lambda d: ("<!DOCTYPE html><html><head><style>body{font-family:serif}.badge{color:red}</style>"
                                f"</head><body><h2>{d['claims'][0]['id']}</h2><span class='badge'>holds</span></body></html>")
    monkeypatch.setitem(__import__("sys").modules, "detente.claims", claims)
    monkeypatch.setitem(__import__("sys").modules, "detente.claims.page", page)
    r = client.get("/api/claims?scenario=korea-2019")
    assert r.status_code == 200 and r.json() == doc
    p = client.get("/api/claims/page?scenario=korea-2019")
    assert p.status_code == 200 and "claim-a" in p.text
    missing = client.get("/api/claims?scenario=road-toll")
    assert missing.status_code == 404 and "--recompute" in missing.json()["error"]
    html = report_html(detente.load("korea-2019"), models=["median"])
    assert "<h2>claim-a</h2>" in html and ".badge{color:red}" in html and "font-family:serif" not in html


def test_a_request_past_the_time_limit_is_408(client, monkeypatch):
    import detente.web.app as web

    monkeypatch.setattr(web, "REQUEST_SECONDS", 0.001)
    r = client.post("/api/compare", json={"scenario": "korea-2019", "variants": ["step-for-step"], "draws": 50,
                                          "seed": 1})
    assert r.status_code == 408 and r.json()["error"].startswith("took longer than 0.001 s")


def test_a_failing_job_reports_the_cli_message(client):
    r = client.post("/api/jobs/ensemble", json={"scenario": "korea-2019", "model": "nosuch", "draws": 10})
    assert r.status_code == 202
    j = _wait(client, r.json()["id"])
    assert j["status"] == "failed" and "nosuch" in j["error"] and "\n" not in j["error"] and j["run_id"] is None


def _cli(*args, cwd=None):
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    return subprocess.run([sys.executable, "-m", "detente", *args], capture_output=True, text=True, env=env,
                          timeout=300, cwd=cwd)


def test_serve_on_a_port_in_use_is_one_error_line(tmp_path):
    import socket

    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]
        r = _cli("serve", "--port", str(port), "--store", str(tmp_path / "r.sqlite"))
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.strip() == (f"error: --host '127.0.0.1' --port {port}: cannot listen there (Address already in "
                                "use); expected a free port on an address of this machine")


def test_report_command_writes_one_html_file(tmp_path):
    r = _cli("report", "emission-standards-1994", "--model", "median,compromise", "--out", str(tmp_path / "e.html"))
    assert r.returncode == 0, r.stderr
    text = (tmp_path / "e.html").read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "<svg" in text and "median" in text and "compromise" in text
    r = _cli("report", "emission-standards-1994", "--out", str(tmp_path / "e.pdf"))
    assert r.returncode == 2 and "expected a file ending in .html" in r.stderr and not (tmp_path / "e.pdf").exists()
    r = _cli("report", "emission-standards-1994", cwd=tmp_path)  # default name, in the working folder
    assert r.returncode == 0 and (tmp_path / "emission-standards-1994-report.html").stat().st_size > 1000
