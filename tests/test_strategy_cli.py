"""`detente strategy`, `detente experiment`, `detente experiments`, `detente strategy-replay` as a user runs them."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from detente.cli import _load_commands, app

_load_commands()
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def test_strategy_json_has_every_output_and_provenance():
    r = run(
        "strategy",
        "korea-2019",
        "--policy",
        "aon",
        "--policy",
        "sfs-screen",
        "--paths",
        "500",
        "--seed",
        "3",
        "--format",
        "json",
        "--param",
        "rho0=0.9",
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    for key in ("policies", "paths", "seed", "scenario", "scenario_hash", "version", "parameters", "results"):
        assert key in doc
    assert doc["scenario"] == "korea-2019" and doc["parameters"]["rho0"] == 0.9 and doc["seed"] == 3
    res = doc["results"]["sfs-screen"]
    assert set(res["p_deal_by_level"]) == {f"k>={k}" for k in range(1, 6)}
    assert len(res["arsenal"]["q90"]) == 32 and len(res["months"]) == 32
    assert {"type S", "type G", "US reliable", "US unreliable"} <= set(res["by_group"])
    for m in ("p_deal", "p_crisis", "p_war", "arsenal_E"):
        assert {"value", "lo", "hi"} == set(res["headline"][m])


def test_strategy_same_seed_same_bytes():
    a = run("strategy", "korea-2019", "--paths", "300", "--format", "json")
    b = run("strategy", "korea-2019", "--paths", "300", "--format", "json")
    assert a.exit_code == 0 and a.stdout == b.stdout


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
        ("strategy", "korea-2019", "--param", "rho0=2", "--out", str(out)),
        ("strategy", "korea-2019", "--param", "nope=1"),
        ("strategy", "korea-2019", "--policy", "bolton"),
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


def test_strategy_reads_the_scenario_files_strategy_block(tmp_path):
    import detente

    s = detente.load("korea-2019")
    block = {"params": {"rho0": 0.9, "kappa": 0.5}, "sources": {"rho0": "test: analyst estimate"}}
    path = detente.save(s.model_copy(update={"strategy": block}), tmp_path / "k.yaml")
    r = run("strategy", str(path), "--paths", "200", "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["parameters"]["rho0"] == 0.9 and doc["parameters"]["kappa"] == 0.5
    assert doc["parameter_sources"]["rho0"] == "test: analyst estimate"
    bad = detente.save(s.model_copy(update={"strategy": {"params": {"rho0": 7}}}), tmp_path / "bad.yaml")
    r = run("strategy", str(bad), "--paths", "200")
    assert r.exit_code == 2 and "strategy.params.rho0" in r.output and "7" in r.output
