"""KTAB readers (CSV, XML), KTAB's PRNG and random scenarios, and the `random-scenario` command."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from detente.errors import ParameterError, ScenarioError
from detente.scenario.arrays import to_arrays
from detente.scenario.ktab_io import (
    load_ktab,
    load_ktab_xml,
    looks_like_ktab_csv,
    read_ktab_csv,
    read_ktab_xml,
    write_ktab_csv,
)
from detente.scenario.ktab_random import KtabPRNG, eu_smp, random_smp
from detente.scenario.schema import Scenario

DATA = Path(__file__).parent / "data" / "spatial"
CSV = (DATA / "inputs" / "dummyData_3Dim.csv").read_text()


def test_read_csv() -> None:
    s = read_ktab_csv(DATA / "inputs" / "dummyData_3Dim.csv")
    assert s.name == "DummyData_3Dim" and [i.id for i in s.issues] == ["Pstn1", "Pstn2", "Pstn3"]
    assert len(s.actors) == 7 and s.actors[0].id == "SActor-00" and s.actors[0].capability == 102.543
    a = to_arrays(s)
    assert a.position[0, 2, 2] == 0.07 and a.salience[0, 0, 0] == 49.53 / 100
    assert looks_like_ktab_csv(CSV)
    assert not looks_like_ktab_csv("Actor,Capability,Position,Salience\nA,1,2,3\n")


def test_read_xml_parameters_and_accommodation() -> None:
    kf = load_ktab_xml(DATA / "inputs" / "smpExample_at_06542ee.xml")
    assert [a.id for a in kf.scenario.actors] == ["Alice", "Bob", "Carol", "David", "Ellie"]
    assert kf.seed == 3507583219545544127
    assert kf.params["voting_rule"] == "PropCbc" and kf.params["pce_model"] == "MarkovIncentive"
    A = np.asarray(kf.params["accommodation"])
    assert A[1, 0] == 0.07 and A[1, 1] == 0.75 and A[4, 4] == 1.0 and A[0, 1] == 0.0
    s = read_ktab_xml(DATA / "inputs" / "dummyData_3Dim_NoCommit.xml")
    assert s.issues[2].id == "Pstn3"
    nc = load_ktab(DATA / "inputs" / "dummyData_3Dim_NoCommit.xml")
    assert nc.params["voting_rule"] == "Proportional" and "accommodation" not in nc.params  # identity


def _csv(tmp_path: Path, row0: str) -> Path:
    lines = CSV.splitlines()
    lines[2] = row0
    p = tmp_path / "bad.csv"
    p.write_text("\n".join(lines) + "\n")
    return p


@pytest.mark.parametrize(
    ("row", "match"),
    [
        ("SActor-00, x,   0.0, 75.79, 49.53,  6.37,  5.91, 70.45, 28.15,", "capability"),
        ("SActor-00, x, 102.5, 75.79,  0.0,  6.37,  0.0, 70.45, 0.0,", "total salience is 0"),
        ("SActor-00, x, 102.5, 75.79, 60.0,  6.37, 30.0, 70.45, 20.0,", "sum over 100"),
        ("SActor-00, x, 102.5, 175.79, 49.53,  6.37,  5.91, 70.45, 28.15,", "position"),
        ("SActor-00, x, lots, 75.79, 49.53,  6.37,  5.91, 70.45, 28.15,", "not a number"),
        ("SActor-00, x, 102.5, 75.79, 49.53,", "too few columns"),
    ],
)
def test_csv_errors_name_line_and_value(tmp_path: Path, row: str, match: str) -> None:
    p = _csv(tmp_path, row)
    with pytest.raises(ScenarioError, match=match) as e:
        read_ktab_csv(p)
    assert "bad.csv" in str(e.value) and "line 3" in str(e.value)


def test_csv_counts_checked(tmp_path: Path) -> None:
    p = tmp_path / "short.csv"
    p.write_text(CSV.replace(",7,3,", ",9,3,", 1))
    with pytest.raises(ScenarioError, match="missing actor lines"):
        read_ktab_csv(p)


XML = (DATA / "inputs" / "smpExample_at_06542ee.xml").read_text(encoding="utf-8-sig")


@pytest.mark.parametrize(
    ("old", "new", "match"),
    [
        ("<capability>117.7</capability>", "<capability>0</capability>", "capability"),
        (
            "<dSal>32.3</dSal>\n        <dSal>22.4</dSal>",
            "<dSal>62.3</dSal>\n        <dSal>42.4</dSal>",
            "sum over 100",
        ),
        ("<adjust>0.75</adjust>", "<adjust>0.95</adjust>", "row sums over 1"),
        ("<referencePos>David</referencePos>", "<referencePos>Zed</referencePos>", "unknown actor"),
        ("<PCEModel>MarkovIncentive</PCEModel>", "<PCEModel>Markov</PCEModel>", "model parameter"),
        ("<dCoord>52.8</dCoord>", "<dCoord></dCoord>", "missing or empty"),
    ],
)
def test_xml_errors(tmp_path: Path, old: str, new: str, match: str) -> None:
    assert old in XML
    p = tmp_path / "bad.xml"
    p.write_text(XML.replace(old, new, 1))
    with pytest.raises(ScenarioError, match=match):
        load_ktab_xml(p)


def test_xml_ideal_adjustment_optional_unless_strict(tmp_path: Path) -> None:
    a, b = XML.index("<IdealAdjustment>"), XML.index("</IdealAdjustment>") + len("</IdealAdjustment>")
    p = tmp_path / "noia.xml"
    p.write_text(XML[:a] + XML[b:])
    kf = load_ktab_xml(p)
    assert "accommodation" not in kf.params
    with pytest.raises(ScenarioError, match="IdealAdjustment"):
        load_ktab_xml(p, strict=True)


def test_prng_vectors() -> None:
    vec = pd.read_csv(DATA / "prng_vectors.csv", dtype={"u64": str, "seed": str}, float_precision="round_trip")
    for seed, grp in vec.groupby("seed", sort=False):
        g = KtabPRNG(int(seed))
        for row in grp.sort_values("index").itertuples():
            u = g.raw()
            assert u == int(row.u64)
            assert float(u) / float(2**64 - 1) == row.uniform01
    assert KtabPRNG(1).uniform(10.0, 200.0) == 10.0 + 190.0 * float(9642606179416704433) / float(2**64 - 1)
    with pytest.raises(ParameterError):
        KtabPRNG(-1)


def test_random_scenarios_reproducible() -> None:
    a, b = random_smp(12, 3, seed=99), random_smp(12, 3, seed=99)
    assert np.array_equal(a.position, b.position) and np.array_equal(a.salience, b.salience)
    assert not np.array_equal(a.position, random_smp(12, 3, seed=100).position)
    assert np.all(a.salience.sum(1) <= 0.99 + 1e-12) and np.all(a.salience.sum(1) >= 0.75 - 1e-12)
    assert np.all((a.capability >= 10) & (a.capability <= 200))
    assert eu_smp(42).position.shape == (15, 3)  # KTAB: seed 42 -> 15 actors x 3 dimensions
    sc = a.to_scenario()
    assert isinstance(sc, Scenario) and len(sc.stances) == 36
    with pytest.raises(ParameterError):
        random_smp(2, 1)


def test_write_ktab_csv_round_trip(tmp_path: Path) -> None:
    sc = random_smp(6, 2, seed=5).to_scenario()
    p = tmp_path / "r.csv"
    p.write_text(write_ktab_csv(sc))
    back = read_ktab_csv(p)
    a, b = to_arrays(sc), to_arrays(back)
    assert np.array_equal(a.position, b.position) and np.array_equal(a.salience, b.salience)
    assert np.array_equal(a.capability, b.capability)


def _runner():
    from detente.cli import _load_commands, app

    _load_commands()
    return CliRunner(), app


def test_cli_random_scenario(tmp_path: Path) -> None:
    runner, app = _runner()
    out = tmp_path / "s.csv"
    r = runner.invoke(
        app, ["random-scenario", "--actors", "8", "--dims", "2", "--seed", "3", "--format", "csv", "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    s = read_ktab_csv(out)
    assert np.array_equal(to_arrays(s).position, to_arrays(random_smp(8, 2, 3).to_scenario()).position)
    r = runner.invoke(app, ["random-scenario", "--seed", "7"])
    assert r.exit_code == 0
    doc = yaml.safe_load(r.stdout)
    assert len(doc["actors"]) == 22 and len(doc["issues"]) == 1
    bad = tmp_path / "never.csv"
    r = runner.invoke(app, ["random-scenario", "--actors", "8", "--out", str(bad)])
    assert r.exit_code == 2 and not bad.exists()
    r = runner.invoke(app, ["random-scenario", "--actors", "1", "--dims", "1", "--out", str(bad)])
    assert r.exit_code == 2 and not bad.exists()
    r = runner.invoke(app, ["random-scenario", "--actors", "5", "--dims", "1", "--format", "xml"])
    assert r.exit_code == 2
