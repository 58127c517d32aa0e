"""The page in a real headless Chromium (Debian's chromium and chromium-driver, driven by Selenium), against
`detente serve` started on a free port of 127.0.0.1: open korea-2019, edit a salience and see the forecasts change,
run a comparison, open the claims scorecard, reopen a run by its permalink, download the report.

Skips, saying why, where chromium, chromedriver or selenium is missing (.ci/run installs them). With
``DETENTE_SHOTS=FOLDER`` each page's screenshot is saved there as web-NAME.png.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("sqlalchemy")

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = "/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").is_file() else shutil.which("chromedriver")

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium browser (apt-get install chromium)"),
    pytest.mark.skipif(DRIVER is None, reason="no chromedriver (apt-get install chromium-driver)"),
]

EDIT = ("us-president", "verification", 0)
"""The salience edited: the US president's on verification, to 0. With the veto players off it moves every model's
forecast (North Korea's on denuclearization moves all but snap-compromise, whose forecasts stay on the same voiced
positions); with them on (the scenario's default) no single salience of korea-2019 moves all the models (the vetoes
hold the median, Nash and core-compromise outcomes), so the test turns them off in the page first."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = _free_port()
    store = tmp_path_factory.mktemp("store") / "runs.sqlite"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "detente", "serve", "--port", str(port), "--host", "127.0.0.1", "--store", str(store)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            with urllib.request.urlopen(url + "/openapi.json", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                raise AssertionError(f"detente serve did not start: {proc.stderr.read().decode()[-2000:]}") from None
            time.sleep(0.3)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path_factory.mktemp("downloads")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1440,1000",
                "--disable-gpu", "--lang=en-US"):
        opts.add_argument(arg)
    opts.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                           "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    driver.downloads = downloads
    yield driver
    driver.quit()


def _wait(cond, timeout=90.0, what="condition"):
    t0 = time.time()
    last = None
    while time.time() - t0 < timeout:
        try:
            v = cond()
            if v:
                return v
        except Exception as e:  # the page is still drawing
            last = e
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what} ({last})")


def _shot(driver, name):
    folder = os.environ.get("DETENTE_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(folder) / f"web-{name}.png"))


def _table(driver, box="#forecast-table"):
    """model → {issue: the number shown}."""
    from selenium.webdriver.common.by import By

    out: dict[str, dict[str, str]] = {}
    for c in driver.find_elements(By.CSS_SELECTOR, f"{box} span[data-issue]"):
        out.setdefault(c.get_attribute("data-model"), {})[c.get_attribute("data-issue")] = c.text
    return out


def _shown(lib):
    return {m: {i: "—" if x != x else f"{x:.1f}" for i, x in v.items()} for m, v in lib.items()}


def _library(sets=(), vetoes=None):
    import detente
    from detente.models.base import available, get
    from detente.scenario.arrays import to_arrays
    from detente.whatif import what_if

    s = what_if(detente.load("korea-2019"), (), list(sets))
    a = to_arrays(s)
    out = {}
    for n in available():
        m = get(n)
        if m.cannot_run(a) is None:
            fc = m.solve(a, seed=1, vetoes=vetoes)
            out[n] = {i: float(fc.outcomes[0, j]) for j, i in enumerate(fc.issues)}
    return out


def test_the_page_end_to_end(server, browser):
    from selenium.webdriver.common.by import By

    d = browser
    d.get(server + "/")
    _wait(lambda: d.find_element(By.ID, "permalink").text, what="the first forecast")
    assert "korea-2019" in d.find_element(By.ID, "scenario-title").text
    actor, issue, value = EDIT
    base = _library()
    assert _table(d) == _shown(base)  # every model that can run it, side by side, as the library gives it
    first_run = d.find_element(By.ID, "permalink").text
    _shot(d, "scenario-forecast")

    # veto players off: the models' own outcomes, re-run in place
    from selenium.webdriver.support.ui import Select

    Select(d.find_element(By.ID, "vetoes")).select_by_value("off")
    _wait(lambda: d.find_element(By.ID, "permalink").text not in ("", first_run), what="the forecast without vetoes")
    no_vetoes = _shown(_library(vetoes="off"))
    _wait(lambda: _table(d) == no_vetoes, what="the vetoes-off forecasts")
    before = _table(d)
    second_run = d.find_element(By.ID, "permalink").text

    # edit one salience in the grid: every model re-runs on the edited scenario, and every model's forecast moves
    cell = d.find_element(By.CSS_SELECTOR, f'input[aria-label="{actor} {issue} salience"]')
    cell.clear()
    cell.send_keys(str(value))
    _wait(lambda: d.find_element(By.ID, "permalink").text not in ("", second_run), what="the re-run forecast")
    edited = _shown(_library([f"{actor}.{issue}.salience={value}"], vetoes="off"))
    _wait(lambda: _table(d) == edited, what="the edited forecasts")
    after = _table(d)
    from detente.models.base import available as registered

    assert set(after) == set(before) and len(after) == len(registered())
    for m in after:
        assert after[m] != before[m], f"{m}: no forecast changed on the page"
    # a value out of range is marked in place, with the schema's message
    cell.clear()
    cell.send_keys("250")
    bad = _wait(lambda: d.find_element(By.CSS_SELECTOR, "#grid input.bad"), what="the invalid cell marked")
    assert "100" in bad.get_attribute("title")
    _shot(d, "scenario-invalid")
    cell.clear()
    cell.send_keys(str(value))
    _wait(lambda: not d.find_elements(By.CSS_SELECTOR, "#grid input.bad") and d.find_element(By.ID, "permalink").text,
          what="the cell valid again")
    time.sleep(1.0)
    run_id = _wait(lambda: d.find_element(By.ID, "permalink").text, what="the permalink")
    # the basis of a cell shows when it is clicked
    d.find_element(By.CSS_SELECTOR, f'input[aria-label="{actor} {issue} position"]').click()
    _wait(lambda: "open" in d.find_element(By.ID, "basis-panel").get_attribute("class"), what="the sources panel")
    note = d.find_element(By.CSS_SELECTOR, '#basis-panel input[data-basis="position"][data-part="note"]')
    assert note.get_attribute("value")  # every number of korea-2019 states what it rests on
    d.execute_script("arguments[0].scrollIntoView({block: 'center'})", note)
    _shot(d, "scenario-sources")
    d.execute_script("document.getElementById('forecast-table').scrollIntoView()")
    _shot(d, "scenario-forecast-below")
    d.execute_script("document.getElementById('traj-chart').scrollIntoView()")
    _shot(d, "scenario-trajectories")

    # comparison with intervals
    d.find_element(By.CSS_SELECTOR, 'a[data-page="compare"]').click()
    _wait(lambda: d.find_elements(By.CSS_SELECTOR, "#compare-variants input"), what="the variants")
    draws = d.find_element(By.CSS_SELECTOR, '#compare-form input[name="draws"]')
    draws.clear()
    draws.send_keys("200")
    d.find_element(By.ID, "compare-run").click()
    rows = _wait(lambda: d.find_elements(By.CSS_SELECTOR, "#compare-table tbody tr"), what="the comparison")
    assert len(rows) == 8 and all(r.text.startswith("step-for-step") for r in rows)
    assert any(not r.text.split()[4].startswith(("0.00", "-0.00")) for r in rows)  # the variant moves something
    _wait(lambda: d.find_elements(By.CSS_SELECTOR, "#compare-chart .main-svg"), what="the comparison chart")
    _shot(d, "compare")

    # the claims scorecard (or the line saying this version has none)
    d.find_element(By.CSS_SELECTOR, 'a[data-page="claims"]').click()
    text = _wait(lambda: d.find_element(By.ID, "claims").text.strip() not in ("", "loading…")
                 and d.find_element(By.ID, "claims").text, what="the claims page")
    from detente.web.claims import NOT_AVAILABLE, available

    if available():
        assert d.find_elements(By.CSS_SELECTOR, "#claims table")
    else:
        assert text.strip() == NOT_AVAILABLE
    _shot(d, "claims")

    # back-test leaderboard and runs list
    d.find_element(By.CSS_SELECTOR, 'a[data-page="backtest"]').click()
    _wait(lambda: d.find_elements(By.CSS_SELECTOR, "#backtest tbody tr"), what="the leaderboard")
    _shot(d, "backtest")
    d.find_element(By.CSS_SELECTOR, 'a[data-page="runs"]').click()
    _wait(lambda: d.find_elements(By.CSS_SELECTOR, "#runs tbody tr"), what="the runs list")
    assert run_id in d.find_element(By.ID, "runs").text
    _shot(d, "runs")

    # reopen the run by its permalink, in a fresh page load
    d.get(f"{server}/runs/{run_id}")
    _wait(lambda: d.find_elements(By.CSS_SELECTOR, "#run-table span[data-issue]"), what="the run's forecasts")
    assert _table(d, "#run-table") == after
    assert f"{actor}.{issue}.salience={value}" in d.find_element(By.ID, "run-meta").text
    _shot(d, "run-permalink")
    d.get(f"{server}/#/runs/{run_id}")
    _wait(lambda: _table(d, "#run-table") == after, what="the hash permalink")

    # the report: one HTML file, downloaded
    d.get(server + "/")
    _wait(lambda: d.find_element(By.ID, "permalink").text, what="the forecast")
    d.find_element(By.ID, "report").click()
    report = _wait(lambda: next(iter(Path(d.downloads).glob("*report.html")), None), what="the report download")
    time.sleep(0.5)
    html = report.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html and "<script" not in html
    assert "korea-2019" in html


def test_ensemble_job_shows_progress_and_a_result(server, browser):
    from selenium.webdriver.common.by import By

    d = browser
    d.get(server + "/#/uncertainty")
    _wait(lambda: d.find_elements(By.ID, "permalink"), what="the scenario")  # its forecast ran (on a hidden page)
    d.find_element(By.CSS_SELECTOR, "#job-form button").click()
    _wait(lambda: "done" in d.find_element(By.ID, "jobs").text, what="the ensemble job")
    _wait(lambda: d.find_elements(By.CSS_SELECTOR, "#job-result tbody tr"), what="the ensemble table")
    assert "100%" in d.find_element(By.ID, "jobs").text
    _shot(d, "ensemble")


def test_strategy_rules_and_best_rule(server, browser):
    from selenium.webdriver.common.by import By

    d = browser
    d.get(server + "/#/strategy")
    _wait(lambda: d.find_elements(By.CSS_SELECTOR, "#strategy-rules input"), what="the rules")
    d.find_element(By.CSS_SELECTOR, "#strategy-form button").click()
    _wait(lambda: "done" in d.find_element(By.ID, "strategy-job").text, timeout=180, what="the strategy job")
    rows = _wait(lambda: d.find_elements(By.CSS_SELECTOR, "#strategy-result tbody tr"), what="the rules table")
    assert [r.text.split()[0] for r in rows] == ["hanoi", "sfs-freeze"]
    _shot(d, "strategy")


def test_the_report_opens_offline(server, browser, tmp_path):
    from selenium.webdriver.common.by import By

    report = tmp_path / "korea-2019-report.html"
    r = subprocess.run([sys.executable, "-m", "detente", "report", "korea-2019", "--seed", "1", "--out", str(report)],
                       env={**os.environ, "PYTHONPATH": str(ROOT / "src")}, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    d = browser
    d.get(report.as_uri())  # a file: URL, no server involved
    assert d.find_elements(By.CSS_SELECTOR, "svg") and "korea-2019" in d.title
    _shot(d, "report")
    d.execute_script("document.querySelector('h2').scrollIntoView()")
    _shot(d, "report-forecasts")
