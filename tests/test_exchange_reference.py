"""The exchange model against reference numbers (CoP21 Paris 2015, road-toll teaching case).

Reference files in tests/data/exchange (see SOURCE.md there): the 2016 list of first-round exchanges of an earlier
implementation (`CoP21.compare.csv`) and one run of decide-exchange-model 2025.3.1 (round-1 exchanges and outcome per
issue). Tolerances: gains to 1e-5 where the spec gives five decimals and 1e-4 for the compare list (it has five
significant digits); positions to 1e-3 (the package prints Decimals; the files round them).

decide-exchange-model breaks ties between candidates of equal gain at random, detente by sorted ids, so one run of
the package is compared only up to detente's first tie (``info["ties"]``): beyond it the lists may part by chance.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import detente
from detente.models import get
from detente.scenario.arrays import ScenarioArrays, to_arrays

DATA = Path(__file__).parent / "data" / "exchange"


def _read_decide(path: Path) -> ScenarioArrays:
    """An independent minimal reader of the tagged #A/#P/#M/#D format (file values as given)."""
    text = path.read_text(encoding="utf-8")
    delim = "\t" if "\t" in text.splitlines()[0] else ";"
    actors: list[str] = []
    issues: list[str] = []
    points: dict[str, list[float]] = {}
    rows = []
    for rec in csv.reader(text.splitlines(), delimiter=delim, quotechar="'"):
        if not rec:
            continue
        tag = rec[0].strip()
        if tag == "#A":
            actors.append(rec[1].strip())
        elif tag == "#P":
            issues.append(rec[1].strip())
        elif tag == "#M":
            points.setdefault(rec[1].strip(), []).append(float(rec[2]))
        elif tag == "#D":
            rows.append((rec[1].strip(), rec[2].strip(), float(rec[3]), float(rec[4]), float(rec[5])))
    n, m = len(actors), len(issues)
    pos, sal, cap, mask = np.zeros((n, m)), np.zeros((n, m)), np.zeros((n, m)), np.zeros((n, m), bool)
    for a, i, x, s, c in rows:
        pos[actors.index(a), issues.index(i)] = x
        sal[actors.index(a), issues.index(i)] = s
        cap[actors.index(a), issues.index(i)] = c
        mask[actors.index(a), issues.index(i)] = True
    lower = np.array([min(points.get(i, [0.0])) for i in issues])
    upper = np.array([max(points.get(i, [100.0])) for i in issues])
    return ScenarioArrays.from_numpy(
        pos, sal, cap, mask=mask, lower=lower, upper=upper, actors=tuple(actors), issues=tuple(issues), name=path.stem
    )


@cache
def cop21() -> ScenarioArrays:
    return to_arrays(detente.load(str(DATA / "CoP21.csv")))


@cache
def cop21_round1() -> detente.models.Forecast:
    return get("exchange", max_rounds=1).solve(cop21())


def _package_list() -> list[tuple[frozenset, float]]:
    """The package's round-1 list as (frozenset of (actor, supply issue), gain); its output adds a stray 's'/'2'."""
    actors = set(cop21().actors)
    fix = lambda a: a if a in actors else a[:-1]  # noqa: E731
    ref = pd.read_csv(DATA / "decide_cop21_round1_exchanges.csv", sep=";", header=None, skiprows=1)
    return [
        (frozenset({(fix(r[0]), r[1].split(" [")[0]), (fix(r[22]), r[23].split(" [")[0])}), float(r[16]))
        for r in ref.itertuples(index=False)
    ]


def _compare_list() -> list[tuple[frozenset, float]]:
    """CoP21.compare.csv as (frozenset of (actor, supply issue), gain); its ids lack underscores or are shortened."""
    arr = cop21()
    norm = lambda s: s.replace("_", "").lower()  # noqa: E731
    acts = {norm(a): a for a in arr.actors}
    iss = {norm(i): i for i in arr.issues}

    def actor(a: str) -> str:
        a = norm(a)
        return acts.get(a) or next(v for k, v in acts.items() if k.startswith(a))

    df = pd.read_csv(DATA / "CoP21.compare.csv", sep=";", header=None)
    return [
        (frozenset({(actor(r[0]), iss[norm(r[1])]), (actor(r[2]), iss[norm(r[3])])}), float(r[4]))
        for r in df.itertuples(index=False)
    ]


def _mine(fc) -> list[tuple[frozenset, float]]:
    ex = fc.tables["exchanges"]
    ex = ex[(ex["draw"] == 0) & (ex["round"] == 1)]
    return [(frozenset({(r.actor_1, r.supply_1), (r.actor_2, r.supply_2)}), float(r.gain)) for r in ex.itertuples()]


def test_loaded_cop21_arrays_equal_the_file_values():
    loaded, own = cop21(), _read_decide(DATA / "CoP21.csv")
    assert loaded.actors == own.actors and loaded.issues == own.issues
    assert loaded.position.shape == (1, 15, 13)
    for name in ("position", "salience", "capability", "mask", "lower", "upper"):
        np.testing.assert_allclose(getattr(loaded, name), getattr(own, name), atol=1e-12, err_msg=name)


def test_cop21_round1_candidates_and_top_gains():
    fc = cop21_round1()
    assert fc.info["exchange_rounds"][0]["candidates"] == 2094
    ex = fc.tables["exchanges"]
    np.testing.assert_allclose(ex["gain"].to_numpy()[:4], [2.19072, 1.79560, 1.38726, 1.35579], atol=1e-5)
    first, second = ex.iloc[0], ex.iloc[1]
    # USA supplies eaa 100 → 0, China supplies finance_vol 100 → 10.786
    sides = {first.actor_1: first, first.actor_2: first}
    assert set(sides) == {"USA", "China"}
    usa = 1 if first.actor_1 == "USA" else 2
    chn = 3 - usa
    assert (first[f"supply_{usa}"], first[f"supply_{chn}"]) == ("eaa", "finance_vol")
    np.testing.assert_allclose([first[f"from_{usa}"], first[f"to_{usa}"]], [100, 0], atol=1e-9)
    np.testing.assert_allclose([first[f"from_{chn}"], first[f"to_{chn}"]], [100, 10.786], atol=1e-3)
    # USA finance_who 80 → 0 ⇄ China differentiation 80 → 29.515
    usa = 1 if second.actor_1 == "USA" else 2
    chn = 3 - usa
    assert second[f"actor_{chn}"] == "China"
    assert (second[f"supply_{usa}"], second[f"supply_{chn}"]) == ("finance_who", "differentiation")
    np.testing.assert_allclose([second[f"from_{usa}"], second[f"to_{usa}"]], [80, 0], atol=1e-9)
    np.testing.assert_allclose([second[f"from_{chn}"], second[f"to_{chn}"]], [80, 29.515], atol=1e-3)


def test_cop21_round1_matches_the_2016_compare_list():
    mine, ref = _mine(cop21_round1()), _compare_list()
    assert len(ref) == 128
    in_order = 0
    for (k1, g1), (k2, g2) in zip(ref, mine):
        if k1 != k2 or abs(g1 - g2) > 1e-4:
            break
        in_order += 1
    assert in_order >= 33  # measured: 56
    used = [False] * len(mine)
    matched = 0
    for k, g in ref:
        for t, (k2, g2) in enumerate(mine):
            if not used[t] and k2 == k and abs(g - g2) <= 1e-4:
                used[t] = True
                matched += 1
                break
    assert matched >= 97  # measured: 122 of 128


def _first_tie(fc) -> int:
    """Position (1-based, round 1) of the first exchange chosen among candidates of equal gain."""
    ties = [t for t in fc.info["ties"] if t["round"] == 1]
    assert ties and all(t["tied_with"] >= 1 for t in ties)
    return int(ties[0]["order"])


def _agree_to_first_tie(fc, ref: list[tuple[frozenset, float]]) -> int:
    """Assert that detente's list equals the package's, in order, before the first tie and has the package's gain at
    the tie (whichever of the tied candidates each picks, the gain is the same); return the tie's position."""
    mine, tie = _mine(fc), _first_tie(fc)
    for t in range(tie - 1):
        assert mine[t][0] == ref[t][0], t
        assert abs(mine[t][1] - ref[t][1]) < 1e-9, t
    assert abs(mine[tie - 1][1] - ref[tie - 1][1]) < 1e-9
    return tie


def test_cop21_round1_agrees_with_the_package_up_to_the_first_tie():
    """The package's own list (one run) equals detente's default one, in order, up to the first tie (exchange 34).
    (Measured beyond it: the first 36 agree; at 37 the package drops USA–India {adapt_finance, finance_vol}, which
    the default, like the 2016 list, realises and decide_compat's move budget rejects; docs/exchange.md.)"""
    assert _agree_to_first_tie(cop21_round1(), _package_list()) == 34
    assert "notes" not in cop21_round1().info  # the tie-breaking note is for decide_compat runs


@cache
def cop21_round1_compat() -> detente.models.Forecast:
    return get("exchange", preset="decide_compat", max_rounds=1).solve(cop21())


def _round1_diff(fc) -> pd.Series:
    ref = pd.read_csv(DATA / "decide_mds_by_issue_p0_single_run.csv").query("dataset == 'cop21'").set_index("issue")
    np.testing.assert_allclose(pd.Series(fc.info["initial_outcome"])[ref.index], ref["initial_mds"], atol=1e-3)
    return (pd.Series(fc.info["round1_outcome"])[ref.index] - ref["round1_voting_mds"]).abs()


def _package_moves() -> list[dict[tuple[str, str], tuple[float, float, float]]]:
    """Per exchange of the package's list: (actor, supply issue) → (start, move, voting position) of each side."""
    actors = set(cop21().actors)
    fix = lambda a: a if a in actors else a[:-1]  # noqa: E731
    ref = pd.read_csv(DATA / "decide_cop21_round1_exchanges.csv", sep=";", header=None, skiprows=1)
    return [
        {(fix(r[o]), r[o + 1].split(" [")[0]): (float(r[o + 6]), float(r[o + 7]), float(r[o + 8])) for o in (0, 22)}
        for r in ref.itertuples(index=False)
    ]


def test_cop21_round1_list_with_the_package_move_budget():
    """decide_compat realises the package's exchanges in order up to the first tie (exchange 34), with the package's
    gains (1e-9) and moves (start, move and new voting position of both sides, 1e-9), and the package's gain at the
    tie. (Measured beyond it, in this one run of the package: the first 115 agree in order and 126 of 127 by pair;
    the 116th is a tie that the package settled the other way; docs/exchange.md.)"""
    fc = cop21_round1_compat()
    tie = _agree_to_first_tie(fc, _package_list())
    assert tie == 34
    ex, ref = fc.tables["exchanges"], _package_moves()
    for t in range(tie - 1):
        row = ex.iloc[t]
        for s in (1, 2):
            want = ref[t][(row[f"actor_{s}"], row[f"supply_{s}"])]
            got = (row[f"from_{s}"], row[f"move_{s}"], row[f"to_{s}"])
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-9, err_msg=f"exchange {t + 1}, side {s}")


def test_decide_compat_runs_say_how_ties_are_broken():
    fc = cop21_round1_compat()
    (note,) = fc.info["notes"]
    assert "sorted actor-id order" in note and "at random" in note and "(round 1, exchange 34)" in note
    assert fc.info["ties"][0] == {"round": 1, "order": 34, "tied_with": 1}
    docs = fc.info["exchange_rounds"][0]["exchanges"]
    assert [d["order"] for d in docs if d["tied_with"]] == [t["order"] for t in fc.info["ties"]]
    # the initial outcome has no ties: it equals the package's to the files' precision
    _round1_diff(fc)


def test_cop21_round1_default_rules_differ_from_decide_compat_by_the_move_budget():
    """Both detente modes break ties alike, so they can be compared over the whole round: they agree up to exchange
    36; the 37th, USA–India {adapt_finance, finance_vol}, is one the package's move budget rejects. In all the
    default realises 129 exchanges, decide_compat 127 (18 of the default's not among them, 16 the other way)."""
    default, compat = _mine(cop21_round1()), _mine(cop21_round1_compat())
    assert default[:36] == compat[:36]
    assert default[36][0] == frozenset({("USA", "adapt_finance"), ("India", "finance_vol")}) != compat[36][0]
    assert (len(default), len(compat)) == (129, 127)
    kd, kc = {k for k, _ in default}, {k for k, _ in compat}
    assert (len(kd - kc), len(kc - kd)) == (18, 16)


def _probe(arab_m: float, japan_m: float, mirrored: bool) -> ScenarioArrays:
    pos = np.array([[100.0, arab_m], [40.0, 100.0], [25.0, japan_m]])
    pos = 100.0 - pos if mirrored else pos
    sal = np.array([[0.75, 0.55], [0.75, 0.80], [0.90, 0.70]])
    cap = np.array([[0.40, 0.40], [0.35, 0.35], [0.60, 0.60]])
    return ScenarioArrays.from_numpy(
        pos, sal, cap, lower=np.zeros(2), upper=np.full(2, 100.0), actors=("Arab", "EIG", "Japan"), issues=("d", "m")
    )


def test_second_concession_probe_matches_the_package():
    """The package's answers on a 3-actor probe (tests/data/exchange/decide_second_concession_probe.csv): whether
    Arab, having conceded m to EIG, may concede m again to Japan. decide_compat gives the package's count and last
    gain on every row (gains to 1e-9: the file keeps 9–12 decimals); the default realises the second exchange on
    every row, as the spec's rules allow, and is mirror-symmetric where the package is not."""
    probe = pd.read_csv(DATA / "decide_second_concession_probe.csv")
    assert len(probe) == 21
    for row in probe.itertuples():
        arr = _probe(row.arab_m, row.japan_m, row.mirrored == "yes")
        ex = get("exchange", preset="decide_compat", max_rounds=1).solve(arr).tables["exchanges"]
        assert len(ex) == row.decide_exchanges, row
        assert abs(float(ex["gain"].iloc[-1]) - row.decide_last_gain) < 1e-9, row
        default = get("exchange", max_rounds=1).solve(arr).tables["exchanges"]
        assert len(default) == 2, row
    rejected = probe[probe.decide_exchanges == 1]
    assert len(rejected) == 8 and (probe[probe.mirrored == "yes"].decide_exchanges == 2).all()


def test_data_short_and_road_toll_round1_outcomes():
    """Round-1 outcomes against one package run where detente's round has no tie (data_short); the road-toll round
    has a tie at exchange 7, so only its initial outcome is compared (measured after the round, in that one run:
    0.025 with decide_compat, 0.97 with the default)."""
    ref = pd.read_csv(DATA / "decide_mds_by_issue_p0_single_run.csv")
    for name, file, preset, bound in (
        ("data_short", "data_short.csv", "default", 0.4),  # measured 0.35
        ("data_short", "data_short.csv", "decide_compat", 0.35),  # measured 0.31
        ("sample_data", "sample_data.txt", "default", None),
        ("sample_data", "sample_data.txt", "decide_compat", None),
    ):
        arr = to_arrays(detente.load(str(DATA / file)))
        fc = get("exchange", preset=preset, max_rounds=1).solve(arr)
        r = ref[ref.dataset == name].set_index("issue")
        np.testing.assert_allclose(pd.Series(fc.info["initial_outcome"])[r.index], r["initial_mds"], atol=1e-3)
        if bound is None:
            assert _first_tie(fc) == 7
            continue
        assert fc.info["ties"] == []
        diff = (pd.Series(fc.info["round1_outcome"])[r.index] - r["round1_voting_mds"]).abs()
        assert diff.mean() < bound, (name, preset, diff.to_dict())


def test_road_toll_keeps_the_half_to_seven_scale():
    arr = to_arrays(detente.load(str(DATA / "sample_data.txt")))
    j = arr.issues.index("tol-hoogte")
    assert (arr.lower[j], arr.upper[j]) == (0.5, 7.0)
    fc = get("exchange", max_rounds=3).solve(arr)
    assert 0.5 <= fc.outcomes[0, j] <= 7.0
    ex = fc.tables["exchanges"]
    for s in (1, 2):
        on = ex[ex[f"supply_{s}"] == "tol-hoogte"]
        assert len(on) > 0 or s == 2
        assert ((on[f"to_{s}"] >= 0.5 - 1e-9) & (on[f"to_{s}"] <= 7 + 1e-9)).all()
        np.testing.assert_allclose(on[f"from_{s}"] + on[f"move_{s}"], on[f"to_{s}"], atol=1e-9)


@pytest.mark.parametrize("name", ["cop21-paris-2015", "road-toll"])
def test_builtin_scenarios_run(name):
    fc = detente.forecast(name, model="exchange", max_rounds=2)
    assert fc.trajectory.shape[1] == 3
    assert fc.info["exchange_rounds"][0]["candidates"] > 0
    if name == "cop21-paris-2015":
        assert fc.info["exchange_rounds"][0]["candidates"] == 2094
