"""The six claims as experiments, and the historical replay."""

from __future__ import annotations

import numpy as np
import pytest

from detente.strategy.experiments import EXPERIMENTS, figure, run_experiment
from detente.strategy.replay import jaccard_bits, load_events, observed_sets, replay
from detente.strategy.results import month_labels


@pytest.mark.parametrize("name", sorted(EXPERIMENTS))
def test_every_experiment_runs_and_its_summary_follows_the_verdicts(name):
    res = run_experiment(name, paths=300, seed=1)
    exp = res.experiment
    for p in exp.points:
        for pol in exp.policies:
            for m in ("p_deal", "arsenal_E", "p_crisis"):
                v = res.metrics[p.label][pol][m]
                assert v["lo"] <= v["value"] <= v["hi"]
    # the generated sentence for each comparison counts exactly the verdicts of that comparison
    for cmp in exp.comparisons:
        vs = [v for v in res.verdicts if v["comparison"] == cmp.text]
        line = next(s for s in res.summary if s.startswith(f"'{cmp.text}'"))
        n_hold = sum(v["verdict"] == "holds" for v in vs)
        n_fail = sum(v["verdict"] == "fails" for v in vs)
        assert f"holds at {n_hold} of {len(vs)} points" in line
        assert f"fails at {n_fail} " in line
    doc = res.to_dict()
    assert doc["seed"] == 1 and doc["version"] and doc["paths"] == 300


def test_claim_c_reaches_both_verdicts_on_p_deal():
    res = run_experiment("claim-c", paths=1500, seed=0)
    got = {v["verdict"] for v in res.verdicts if v["metric"] == "p_deal"}
    assert {"holds", "fails"} <= got


def test_claim_a_reports_powell_check():
    res = run_experiment("claim-a", paths=200, seed=0)
    pc = res.extra["powell_check"]
    assert all(v["all_at_once_commitment_problem"] for v in pc.values())  # the 0 -> 1 shift is large by default
    assert all(0 not in v["sfs_steps_with_commitment_problem"] for v in pc.values())  # the first step is small


def test_experiment_figure_has_three_panels():
    fig = figure(run_experiment("claim-f", paths=200, seed=0))
    assert len(fig.axes) == 3


def test_jaccard_of_bit_sets():
    a = np.array([0b011, 0, 0b100, 0b001], np.uint8)
    b = np.array([0b001, 0, 0b010, 0b001], np.uint8)
    assert np.allclose(jaccard_bits(a, b), [0.5, 1.0, 0.0, 1.0])


def test_observed_months_from_the_shipped_events():
    rows = load_events()
    assert all(r["source"].startswith("http") for r in rows)
    months = month_labels(31)
    bits, es, tests = observed_sets(months)
    assert months[0] == "2018-06" and months[-1] == "2020-12"
    i = months.index("2019-12")
    assert tests[i] == 2  # Sohae engine tests, 7 and 13 December 2019
    assert bits[months.index("2019-02")] != 0  # Hanoi


def test_replay_scores_are_similarities_with_references():
    res = replay(["aon", "sfs-screen"], paths=300, seed=0)
    for s in res.scores.values():
        assert 0 <= s["jaccard_mean"] <= 1 and len(s["jaccard_by_month"]) == 31
    assert 0 <= res.references["nothing_happens"] <= 1
