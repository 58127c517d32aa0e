"""`detente strategy`, `detente experiment`, `detente experiments`, `detente strategy-replay` as a user runs them."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from detente.cli import _load_commands, app

_load_commands()
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def test_strategy_json_reports_rules_from_march_2019_with_exact_metrics():
    r = run("strategy", "korea-2019", "--rule", "hanoi", "--rule", "sfs-freeze", "--paths", "300", "--seed", "3",
            "--grid", "4,2,4", "--format", "json", "--param", "p60=0.4")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["calendar"]["first_month"] == "2019-03" and doc["calendar"]["election"] == "2020-11"
    assert doc["parameters_changed"] == {"p60": 0.4} and doc["seed"] == 3
    assert [x["name"] for x in doc["rules"]] == ["hanoi", "sfs-freeze"]
    assert "not fitted" in doc["warning"]
    first = doc["rules"][0]
    assert next(iter(first["monthly_status"])) == "2019-03"
    m = first["metrics"]["by 2020-11 (election)"]
    assert 0 <= m["war"] <= m["crisis at least once"] <= 1
    assert "zeros_by_definition" in first and "zeros_by_definition" not in doc["rules"][1]


def test_strategy_same_seed_same_bytes():
    args = ("strategy", "korea-2019", "--rule", "sfs-freeze", "--paths", "300", "--grid", "4,1,4", "--format", "json")
    a, b = run(*args), run(*args)
    assert a.exit_code == 0 and a.stdout == b.stdout


def test_strategy_best_rule_beside_the_requested_rules():
    r = run("strategy", "korea-2019", "--rule", "hanoi", "--best-rule", "--paths", "100", "--grid", "3,1,3",
            "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    names = [x["name"] for x in doc["rules"]]
    assert names == ["hanoi", "president-best"]
    best = doc["best_rule_search"]
    values = {x["name"]: x["president_value"] for x in doc["rules"]}
    assert best["president_value"] >= best["president_value"] - best["gap_to_second_best"]
    assert values["president-best"] >= values["hanoi"] - 1e-9


def test_experiment_claim_c_json_reports_each_point_and_policy_with_intervals():
    r = run("experiment", "claim-c", "--paths", "300", "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert len(doc["points"]) == 12
    for p in doc["points"]:
        assert set(p["policies"]) == set(doc["policies"])
        for pol in p["policies"].values():
            for m in ("p_deal", "arsenal_E", "p_crisis"):
                assert pol[m]["lo"] <= pol[m]["value"] <= pol[m]["hi"]
    assert doc["summary"] and doc["comparisons"]


def test_experiment_table_and_png(tmp_path):
    out = tmp_path / "c.png"
    r = run("experiment", "claim-f", "--paths", "200", "--out", str(out))
    assert r.exit_code == 0, r.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "claim-f" in r.stdout and "holds at" in r.stdout


def test_experiments_lists_six_claims_and_policies():
    r = run("experiments", "--format", "json")
    doc = json.loads(r.stdout)
    assert [e["name"] for e in doc["experiments"]] == [f"claim-{c}" for c in "abcdef"]
    assert {"aon", "sfs-screen", "grit", "sfs-trust", "sfs-rok", "aon-bmd"} <= {p["name"] for p in doc["policies"]}


def test_errors_are_one_line_exit_2_and_write_nothing(tmp_path):
    out = tmp_path / "x.png"
    for args in (
        ("strategy", "korea-2019", "--param", "p60=inf", "--out", str(out)),
        ("strategy", "korea-2019", "--param", "p60=2", "--out", str(out)),
        ("strategy", "korea-2019", "--param", "nope=1"),
        ("strategy", "korea-2019", "--policy", "aon"),
        ("strategy", "korea-2019", "--rule", "bolton"),
        ("strategy", "emission-standards-1994"),
        ("strategy", "korea-2019", "--grid", "x"),
        ("experiment", "claim-z", "--out", str(out)),
        ("strategy", "korea-2019", "--format", "xml"),
    ):
        r = run(*args)
        assert r.exit_code == 2, (args, r.output)
        assert r.output.strip().startswith("error:") and len(r.output.strip().splitlines()) == 1
        assert not out.exists()


def test_replay_command():
    r = run("strategy-replay", "--paths", "200", "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["months"][0] == "2018-06" and "nothing_happens" in doc["references"]
    ref = doc["references"]["nothing_happens"]
    beaten = [n for n, s in doc["policies"].items() if s["jaccard_mean"] < ref]
    assert ("beats " + ", ".join(beaten)) in doc["verdict"] if beaten else "every policy" in doc["verdict"]


def test_strategy_reads_the_scenario_files_calendar(tmp_path):
    import detente

    s = detente.load("korea-2019")
    block = dict(s.strategy)
    block["calendar"] = {**block["calendar"], "start": "2019-04", "election": "2020-11"}
    path = detente.save(s.model_copy(update={"strategy": block}), tmp_path / "k.yaml")
    r = run("strategy", str(path), "--rule", "hanoi", "--paths", "50", "--grid", "3,1,3", "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["calendar"]["first_month"] == "2019-04" and doc["calendar"]["election"] == "2020-11"
    bad = detente.save(s.model_copy(update={"strategy": {**block, "shocks": [{"month": "2020-02", "name": "x"}]}}),
                       tmp_path / "bad.yaml")
    r = run("strategy", str(bad), "--paths", "20")
    assert r.exit_code == 2 and "strategy.shocks[0].name" in r.output


def test_strategy_params_lists_every_parameter_with_its_support():
    r = run("strategy-params", "--format", "json")
    rows = json.loads(r.stdout)
    assert {"p60", "mu_tau", "q0", "c_m"} <= {x["name"] for x in rows}
    assert all(x["supports"] and x["kind"] for x in rows)
