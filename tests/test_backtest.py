"""Validation: the back-test leaderboard, its baseline, failures reported, the CLI, and the China 2014 data."""

from __future__ import annotations

import copy
import csv
import json
import math
from collections.abc import Iterator

import numpy as np
import pytest
from typer.testing import CliRunner

import detente
from detente.cli import _load_commands, app
from detente.errors import ParameterError, ScenarioError, UnknownNameError
from detente.models.base import _REGISTRY, Model, Solution, get, register, static_solution
from detente.scenario.arrays import ScenarioArrays
from detente.scenario.io import from_dict
from detente.validation import backtest, baseline, observed_outcomes

from .conftest import BASE, DATA

_load_commands()
runner = CliRunner()
CHINA = {"KTAB-CHINA-2014-POLICY": "china-soe-policy-2014", "KTAB-CHINA-2014-CNPC": "china-cnpc-2014"}
FOUR = ("china-cnpc-2014", "china-soe-policy-2014", "emission-standards-1994", "korea-2019")


@pytest.fixture(scope="module")
def full():
    """One back-test of every registered model on every built-in scenario with outcomes (shared: runs once)."""
    return backtest()


# ---- test models, registered only inside a test ------------------------------------------------------------------
class _Fails(Model):
    """Raises on scenarios with more than one issue; forecasts the lower bound otherwise."""

    name = "bt-test-fails"
    summary = "test model"

    def _solve(self, arrays: ScenarioArrays, rng: np.random.Generator) -> Solution:
        if arrays.n_issues > 1:
            raise RuntimeError("cannot handle several issues")
        return static_solution(arrays, np.broadcast_to(arrays.lower, (arrays.batch, arrays.n_issues)).copy())


class _TwinMedian(Model):
    """The weighted median, under another name (so that it ties with `median` on every issue)."""

    name = "bt-test-twin"
    summary = "test model"

    def _solve(self, arrays: ScenarioArrays, rng: np.random.Generator) -> Solution:
        return get("median")._solve(arrays, rng)


class _NaN(Model):
    name = "bt-test-nan"
    summary = "test model"

    def _solve(self, arrays: ScenarioArrays, rng: np.random.Generator) -> Solution:
        return static_solution(arrays, np.full((arrays.batch, arrays.n_issues), np.nan))


@pytest.fixture
def test_models() -> Iterator[None]:
    for cls in (_Fails, _TwinMedian, _NaN):
        register(cls)
    try:
        yield
    finally:
        for cls in (_Fails, _TwinMedian, _NaN):
            _REGISTRY.pop(cls.name, None)


# ---- the China 2014 scenarios equal the reference CSVs ----------------------------------------------------------
def _csv(name: str) -> list[dict[str, str]]:
    with open(DATA / "backtest" / name, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("case_id", sorted(CHINA))
def test_china_yaml_numbers_equal_the_reference_csv(case_id):
    s = detente.load(CHINA[case_id])
    rows = [r for r in _csv("actors.csv") if r["case_id"] == case_id]
    assert len(rows) == len(s.actors) == len(s.stances) == {"KTAB-CHINA-2014-POLICY": 26}.get(case_id, 34)
    (issue,) = s.issues
    assert (issue.scale.lower, issue.scale.upper) == (0, 100)
    stance = {st.actor: st for st in s.stances}
    for r, a in zip(rows, s.actors):  # same order, same ids
        assert a.id == r["actor_id"] and a.name == r["name"]
        assert a.capability == float(r["capability"])  # exact: integers as printed in the paper
        assert stance[a.id].position == float(r["position"]) and stance[a.id].salience == float(r["salience"])
        assert stance[a.id].capability is None and stance[a.id].issue == issue.id
    outs = {o["horizon"]: o for o in _csv("outcomes.csv") if o["case_id"] == case_id}
    prim = outs["near_term_by_2017"]
    assert prim["primary"] == "yes" and s.observed == {issue.id: float(prim["outcome"])}
    (p,) = observed_outcomes(s)
    assert (p.value, p.low, p.high, p.horizon) == (
        25.0,
        float(prim["range_lo"]),
        float(prim["range_hi"]),
        "near-term-2017",
    )
    (sec,) = observed_outcomes(s, primary=False)
    lr = outs["long_run_by_2020"]
    assert lr["primary"] == "no" and not sec.primary
    assert (sec.value, sec.low, sec.high) == (float(lr["outcome"]), float(lr["range_lo"]), float(lr["range_hi"]))
    assert {src.kind for src in s.sources} == {"data"} and any("10.1017/jea.2015.4" in (x.url or "") for x in s.sources)
    assert "third-party" in (s.description or "")


def test_china_compromise_equals_the_weighted_mean_of_the_csv(full):
    """Compromise = Σ c·s·x / Σ c·s, computed here straight from the CSV (float tolerance 1e-9)."""
    for case_id, name in CHINA.items():
        rows = [r for r in _csv("actors.csv") if r["case_id"] == case_id]
        w = np.array([float(r["capability"]) * float(r["salience"]) for r in rows])
        x = np.array([float(r["position"]) for r in rows])
        d = full.issues
        row = d[(d["scenario"] == name) & (d["model"] == "compromise")].iloc[0]
        assert row["forecast"] == pytest.approx(float(w @ x / w.sum()), abs=1e-9)
        assert row["error_pct"] == pytest.approx(abs(float(w @ x / w.sum()) - 25.0), abs=1e-9)  # width 100


# ---- exact numbers ------------------------------------------------------------------------------------------------
def test_emission_standards_compromise_and_median_by_hand():
    """Compromise 7.389956 (published to 6 decimals: tolerance 5e-7) and median 7 vs 8.833 on a 4–10 scale."""
    lb = backtest(scenarios=["emission-standards-1994"], models=["compromise", "median"])
    d = lb.issues.set_index("model")
    assert d.loc["compromise", "forecast"] == pytest.approx(7.389956, abs=5e-7)
    assert d.loc["compromise", "abs_error"] == pytest.approx(1.443044, abs=5e-7)
    assert d.loc["compromise", "error_pct"] == pytest.approx(1.443044 / 6 * 100, abs=1e-5)  # 24.05 %
    assert d.loc["median", "forecast"] == 7.0
    assert d.loc["median", "abs_error"] == pytest.approx(1.833, abs=1e-12)
    assert d.loc["median", "error_pct"] == pytest.approx(30.55, abs=1e-10)
    assert d.loc["compromise", "error"] < 0 and d.loc["median", "scale_width"] == 6.0
    t = lb.table.set_index("model")
    assert list(lb.table["model"]) == ["compromise", "baseline", "median"]  # the tie at 30.55 % is ordered by name
    assert list(lb.table["rank"]) == [1, 2, 3]
    assert (
        t.loc["compromise", "wins"] == 1.0 and t.loc["median", "wins"] == 0.0 and math.isnan(t.loc["baseline", "wins"])
    )
    assert t.loc["compromise", "beats_baseline"] == 1 and t.loc["median", "beats_baseline"] == 0  # a tie does not beat
    assert t.loc["median", "mae_pct"] == t.loc["median", "median_ae_pct"] == pytest.approx(30.55, abs=1e-10)
    assert (t.loc["compromise", "issues"], t.loc["compromise", "scenarios"]) == (1, 1)
    assert lb.issues["in_range"].isna().all()  # no range known for this case


def test_baseline_is_the_status_quo_else_the_midpoint(full):
    s = detente.load("emission-standards-1994")
    assert baseline(s, "emission-standards") == (7.0, "scale midpoint (no status quo given)")
    assert baseline(detente.load("china-cnpc-2014"), "cnpc-reform") == (0.0, "status quo")
    b = full.issues[full.issues["kind"] == "baseline"].set_index(["scenario", "issue"])
    assert b.loc[("china-cnpc-2014", "cnpc-reform"), "error_pct"] == 25.0
    assert b.loc[("china-soe-policy-2014", "private-participation"), "forecast"] == 15.0
    assert b.loc[("china-soe-policy-2014", "private-participation"), "in_range"]  # 15 ∈ [15, 30], ends included
    assert not b.loc[("china-cnpc-2014", "cnpc-reform"), "in_range"]  # 0 ∉ [15, 35]
    assert b.loc[("emission-standards-1994", "emission-standards"), "status"].startswith("scale midpoint")
    korea = b.loc["korea-2019"]["error_pct"].to_dict()  # korea-2019 is the lead's file: expected values from it
    k = detente.load("korea-2019")
    assert korea == {i: abs(k.issue(i).status_quo - v) for i, v in k.observed.items()}  # all on 0-100 scales
    # today: 0 on denuclearization, sanctions relief, peace regime and verification; exercises 5, inter-Korean 40,
    # missile restraint 20
    mine = [25.0, 10.0, 30.55]  # cnpc 0 vs 25; policy 15 vs 25; emission 7 vs 8.833 on a width of 6
    errs = np.array(mine + list(korea.values()))
    assert sorted(b.loc[list(FOUR), "error_pct"]) == pytest.approx(sorted(errs), abs=1e-10)
    if set(full.issues["scenario"]) == set(FOUR):
        row = full.table.set_index("model").loc["baseline"]
        assert row["mae_pct"] == pytest.approx(errs.mean(), abs=1e-10) and row["issues"] == len(errs)
        assert row["median_ae_pct"] == pytest.approx(np.median(errs), abs=1e-10)
        per_scenario = (sum(mine) + np.mean(list(korea.values()))) / 4
        assert row["scenario_mae_pct"] == pytest.approx(per_scenario, abs=1e-10)
        ranged = [o for o in k.outcomes if o.primary and o.low is not None]  # korea's coded plausible ranges
        k_in = sum(o.low <= k.issue(o.issue).status_quo <= o.high for o in ranged)
        assert (row["in_range"], row["with_range"]) == (1 + k_in, 2 + len(ranged))
    sec = full.secondary.query("model == 'baseline'").set_index("scenario")["error_pct"].to_dict()
    assert sec == {"china-cnpc-2014": 60.0, "china-soe-policy-2014": 40.0}


def test_every_registered_model_is_scored_or_reported(full):
    table = full.table.set_index("model")
    names = list(detente.models.available())
    assert set(names) >= {"compromise", "median", "nash"}
    assert set(table.index) == {*names, "baseline"}
    n_issues = len(full.issues[full.issues["kind"] == "baseline"])
    for n in names:
        failed = full.failures[full.failures["model"] == n]
        assert table.loc[n, "issues"] + len(failed) >= n_issues or table.loc[n, "failed"] > 0, n
    scen = [s["name"] for s in full.provenance["scenarios"]]
    assert set(scen) >= set(FOUR) and scen == sorted(scen)
    assert {x["name"] for x in full.provenance["skipped_scenarios"]} >= {"cop21-paris-2015", "road-toll"}
    mod = full.table[full.table["kind"] == "model"]
    ok_issues = full.issues[full.issues["kind"] == "model"].groupby(["scenario", "issue"]).ngroups
    assert mod["wins"].sum() == pytest.approx(ok_issues)  # every issue's win is handed out exactly once
    assert full.issues["error_pct"].between(0, 100).all()
    assert list(full.table["mae_pct"].fillna(np.inf)) == sorted(full.table["mae_pct"].fillna(np.inf))


def test_a_failing_model_is_reported_not_hidden(test_models, tmp_path):
    lb = backtest(scenarios=FOUR, seed=0)  # picks the test models up from the registry
    f = lb.failures[lb.failures["model"] == "bt-test-fails"]
    assert list(f["scenario"]) == ["korea-2019"]
    assert f.iloc[0]["reason"] == "RuntimeError: cannot handle several issues" and f.iloc[0]["issue"] is None
    t = lb.table.set_index("model")
    assert t.loc["bt-test-fails", "failed"] == 1 and t.loc["bt-test-fails", "issues"] == 3
    assert t.loc["bt-test-fails", "scenarios"] == 3
    # the lower bound: 25 % off on both China cases, 4.833 years on 6 = 80.55 %
    assert t.loc["bt-test-fails", "mae_pct"] == pytest.approx((25 + 25 + 80.55) / 3, abs=1e-10)
    nan = lb.failures[lb.failures["model"] == "bt-test-nan"]
    assert (
        len(nan) == 3 + len(detente.load("korea-2019").observed)
        and nan["issue"].notna().all()
        and nan["reason"].str.startswith("no finite forecast").all()
    )
    assert t.loc["bt-test-nan", "issues"] == 0 and math.isnan(t.loc["bt-test-nan", "mae_pct"])
    # twin of the median: every issue tied with median, wins shared
    assert t.loc["bt-test-twin", "wins"] == t.loc["median", "wins"]
    assert t.loc["bt-test-twin", "mae_pct"] == t.loc["median", "mae_pct"]
    r = runner.invoke(app, ["backtest", "-m", "bt-test-fails", "-m", "median", "--format", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert {(x["model"], x["scenario"]) for x in doc["failures"]} >= {("bt-test-fails", "korea-2019")}
    out = tmp_path / "lb.txt"
    r = runner.invoke(app, ["backtest", "-m", "bt-test-fails", "-m", "median", "-o", str(out)])
    text = out.read_text()
    assert r.exit_code == 0 and "failures (not scored)" in text and "cannot handle several issues" in text


def test_test_models_are_gone_afterwards():
    assert not any(n.startswith("bt-test-") for n in detente.models.available())


def test_ties_share_the_win(test_models):
    lb = backtest(scenarios=["emission-standards-1994"], models=["median", "bt-test-twin", "compromise"])
    t = lb.table.set_index("model")
    assert (t.loc["median", "wins"], t.loc["bt-test-twin", "wins"], t.loc["compromise", "wins"]) == (0, 0, 1)
    lb = backtest(scenarios=["emission-standards-1994"], models=["median", "bt-test-twin"])
    t = lb.table.set_index("model")
    assert t.loc["median", "wins"] == t.loc["bt-test-twin", "wins"] == 0.5


def test_determinism_same_seed_same_bytes(full):
    again = backtest(seed=0)
    assert again.to_dict() == full.to_dict()
    assert again.to_json() == full.to_json()
    p = full.provenance
    assert p["seed"] == 0 and p["version"] == detente.__version__
    assert all(len(s["hash"]) == 16 for s in p["scenarios"])
    assert {m["label"] for m in p["models"]} == set(detente.models.available())
    assert next(m for m in p["models"] if m["label"] == "median")["parameters"] == get("median").parameters()


# ---- inputs --------------------------------------------------------------------------------------------------------
def _scenario(outcomes: list[dict], observed: dict[str, float]):
    doc = copy.deepcopy(BASE)
    doc["outcomes"] = outcomes
    doc["observed"] = observed
    return from_dict(doc, "mini.yaml")


LATER = {"issue": "tax", "value": 40, "low": 30, "high": 55, "horizon": "later"}


def test_outcome_ranges_and_horizons_in_memory_scenario():
    s = _scenario(
        [LATER, {"issue": "tax", "value": 70, "low": 60, "high": 80, "horizon": "much-later", "primary": False}],
        {"tax": 40},
    )
    lb = backtest(scenarios=[s], models=["median"])
    row = lb.issues.query("model == 'median'").iloc[0]
    assert (row["forecast"], row["range_low"], row["range_high"], row["horizon"]) == (60.0, 30.0, 55.0, "later")
    assert not row["in_range"] and row["error_pct"] == 20.0
    base = lb.issues.query("model == 'baseline'").iloc[0]
    assert base["forecast"] == 50 and base["in_range"]  # status quo 50 lies in [30, 55]
    assert lb.secondary.query("model == 'median'")["error_pct"].item() == 10.0


@pytest.mark.parametrize(
    "outcomes,observed,needle",
    [
        ([LATER], {"tax": 41}, "observed.tax"),
        ([{**LATER, "low": 50}], {"tax": 40}, "outcomes[0]"),
        ([{**LATER, "issue": "tariff"}], {"tax": 40}, "'tariff'"),
        ([LATER, LATER], {"tax": 40}, "one primary outcome per issue"),
    ],
)
def test_bad_outcome_data_is_an_error(outcomes, observed, needle):
    with pytest.raises(ScenarioError, match=needle.replace("[", r"\[")):
        _scenario(outcomes, observed)


def test_nothing_to_backtest_is_an_error():
    with pytest.raises(ScenarioError, match="nothing to back-test"):
        backtest(scenarios=[_scenario([], {})], models=["median"])


def test_bad_model_names_are_errors_not_failures():
    with pytest.raises(UnknownNameError, match="nope"):
        backtest(scenarios=["emission-standards-1994"], models=["nope"])
    with pytest.raises(ParameterError, match="twice|once"):
        backtest(scenarios=["emission-standards-1994"], models=["median", "median"])
    with pytest.raises(ParameterError, match="tie"):
        backtest(scenarios=["emission-standards-1994"], models=["median(tie='sideways')"])


# ---- CLI ------------------------------------------------------------------------------------------------------------
def test_cli_json_shape():
    r = runner.invoke(
        app, ["backtest", "-m", "compromise", "-m", "median", "-s", "emission-standards-1994", "-f", "json"]
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert list(doc) == ["provenance", "leaderboard", "issues", "secondary", "failures"]
    assert [x["model"] for x in doc["leaderboard"]] == ["compromise", "baseline", "median"]
    assert set(doc["leaderboard"][0]) == {
        "rank", "model", "kind", "mae_pct", "median_ae_pct", "scenario_mae_pct", "issues", "scenarios", "wins",
        "beats_baseline", "in_range", "with_range", "failed",
    }  # fmt: skip
    assert doc["leaderboard"][1]["wins"] is None  # the baseline does not compete for wins
    assert len(doc["issues"]) == 3 and doc["issues"][0]["in_range"] is None and doc["failures"] == []
    assert round(doc["leaderboard"][0]["mae_pct"], 2) == 24.05
    assert doc["provenance"]["models"][1] == {"label": "median", "model": "median", "parameters": {"tie": "midpoint"}}


def test_cli_table_csv_detail_and_out(tmp_path):
    r = runner.invoke(app, ["backtest", "-m", "median", "-s", "china-cnpc-2014", "--detail"])
    assert r.exit_code == 0, r.output
    assert "leaderboard" in r.stdout and "baseline" in r.stdout and "15–35" in r.stdout
    out = tmp_path / "lb.csv"
    r = runner.invoke(app, ["backtest", "-m", "median", "-s", "china-cnpc-2014", "-f", "csv", "-o", str(out)])
    assert r.exit_code == 0 and r.stdout == ""
    lines = out.read_text().splitlines()
    assert lines[0].startswith("rank,model,kind,mae_pct") and len(lines) == 3
    r = runner.invoke(app, ["backtest", "-m", "median", "-s", "china-cnpc-2014", "-f", "csv", "--detail"])
    assert r.stdout.splitlines()[0].startswith("scenario,issue,model,kind,forecast,observed")


@pytest.mark.parametrize(
    "args,needle",
    [
        (["-m", "nope"], "unknown model 'nope'"),
        (["-s", "road-toll"], "nothing to back-test"),
        (["-s", "no-such-thing"], "no such file or built-in scenario"),
        (["-f", "xml"], "--format 'xml'"),
    ],
)
def test_cli_errors_exit_2_and_write_nothing(tmp_path, args, needle):
    out = tmp_path / "x.json"
    r = runner.invoke(app, ["backtest", *args, "-o", str(out)])
    assert r.exit_code == 2 and needle in r.output and not out.exists()


def test_errors_are_scale_free():
    """Mapping an issue's scale, positions and outcome by x → 10·x + 3 leaves every error in % of the width unchanged."""
    s = detente.load("emission-standards-1994")
    doc = s.model_dump(mode="json", exclude_none=True)
    sc = doc["issues"][0]["scale"]
    sc["lower"], sc["upper"] = 10 * sc["lower"] + 3, 10 * sc["upper"] + 3
    for p in sc["points"]:
        p["value"] = 10 * p["value"] + 3
    for st in doc["stances"]:
        st["position"] = 10 * st["position"] + 3
    doc["observed"] = {"emission-standards": 10 * 8.833 + 3}
    doc["name"] = "emission-standards-x10"
    scaled = from_dict(doc, "scaled.yaml")
    a = backtest(scenarios=[s], models=["compromise", "median"]).issues
    b = backtest(scenarios=[scaled], models=["compromise", "median"]).issues
    assert np.allclose(a["error_pct"], b["error_pct"], rtol=0, atol=1e-9)
    assert np.allclose(10 * a["abs_error"], b["abs_error"], rtol=0, atol=1e-9)
