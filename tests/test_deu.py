"""The DEU reader (both variants), the decision-date recovery, the Council voting game and the capability rules."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import detente
from detente.errors import ParameterError, ScenarioError
from detente.scenario.council import REGIMES, power_indices, regime_at
from detente.scenario.deu import DeuDate, parse_deu_date, read_deu
from detente.scenario.deu_capability import RULES, check_weights, get_rule

REPO = Path(__file__).resolve().parents[1]
SAMPLE = Path(__file__).parent / "data" / "deu" / "dataverse_sample.csv"
SHARED = Path(os.environ.get("DETENTE_SHARED", REPO.parent / "shared"))  # third-party data, never in the repository
DEU_DIR = SHARED / "data" / "deu"
DEU_DEV = DEU_DIR / "deu3_dev.csv"
REFERENCE = SHARED / "reference" / "outcomes" / "deu3-per-issue-outcomes" / "deu-paired-differences.csv"
needs_deu = pytest.mark.skipif(not DEU_DEV.exists(), reason=f"DEU data not present at {DEU_DEV}")


def _tab_variant(tmp_path: Path) -> Path:
    """The sample as the TAB variant: quoted header, blank cells for missing values."""
    lines = SAMPLE.read_text().splitlines()
    head = "\t".join(f'"{c}"' for c in lines[0].split(";"))
    body = ["\t".join("" if c == "999" else c for c in ln.split(";")) for ln in lines[1:]]
    p = tmp_path / "deu.tab"
    p.write_text("\n".join([head, *body]) + "\n")
    return p


def _stances(s: detente.Scenario) -> dict[tuple[str, str], tuple[float, float]]:
    return {(x.actor, x.issue): (x.position, x.salience) for x in s.stances}


def test_dataverse_sample_read_cell_by_cell() -> None:
    a, b = read_deu(SAMPLE)
    assert (a.proposal, a.procedure, a.voting_rule, b.procedure, b.voting_rule) == (
        "t98001", "COD", "QMV", "CNS", "unanimity"
    )  # fmt: skip
    s = a.scenario
    # lu has a salience but no position on i1, a position but salience 999 on i2: absent (dropped); pl salience only
    assert [x.id for x in s.actors] == ["com", "ep", "de", "fr", "uk"]
    st_ = _stances(s)
    assert st_[("com", "t98001i1")] == (80.0, 60.0)
    assert st_[("de", "t98001i2")] == (100.0, 0.0)  # salience 0 with a position: kept
    assert ("lu", "t98001i2") not in st_
    assert a.zero_salience == 1 and a.dropped_stances == 1 and a.imputed_salience == 0
    assert [i.status_quo for i in s.issues] == [0.0, None]  # rp 999 = none
    assert s.observed == {"t98001i1": 60.0, "t98001i2": 75.0}
    assert a.n_actors == {"t98001i1": 5, "t98001i2": 5}
    assert b.scenario.observed == {}  # out 999
    assert [x.id for x in b.scenario.actors] == ["com", "de", "fr", "lu", "pl", "uk"]  # ep: salience 999, dropped
    assert (a.decision_date, a.year_basis) == (dt.date(1999, 12, 20), "final act")
    assert (b.decision_date, b.year_basis) == (dt.date(2005, 9, 21), "proposal")  # finact 999


def test_vote_weights_rule_on_the_sample() -> None:
    a, b = read_deu(SAMPLE)
    caps = {x.id: x.capability for x in a.scenario.actors}  # EU-15 weights / 87; institutions = the largest (10)
    assert caps == pytest.approx({"com": 10 / 87, "ep": 10 / 87, "de": 10 / 87, "fr": 10 / 87, "uk": 10 / 87})
    caps = {x.id: x.capability for x in b.scenario.actors}  # Nice EU-25 (2005): 321 votes
    assert caps == pytest.approx({"com": 29 / 321, "de": 29 / 321, "fr": 29 / 321, "lu": 4 / 321, "pl": 27 / 321,
                                  "uk": 29 / 321})  # fmt: skip
    fc = detente.forecast(a.scenario, model="compromise")
    # equal capabilities: the salience-weighted mean (80·60 + 100·90 + 20·50 + 40·70 + 0·80) / 350
    assert fc.outcome["t98001i1"] == pytest.approx(17600 / 350, abs=1e-12)


def test_procedure_rule_institutions() -> None:
    a, b = read_deu(SAMPLE, capability="vote-weights-procedure")
    caps = {x.id: x.capability for x in a.scenario.actors}
    assert caps["ep"] == pytest.approx(1.0) and caps["com"] == pytest.approx(10 / 87)  # COD: EP = whole Council
    caps = {x.id: x.capability for x in b.scenario.actors}
    assert caps["com"] == pytest.approx(2 * 29 / 321)  # CNS: Commission 2L
    eq = read_deu(SAMPLE, capability="equal")[0]
    assert {x.capability for x in eq.scenario.actors} == {1.0}


def test_power_index_rules_under_unanimity_are_equal() -> None:
    b = read_deu(SAMPLE, capability="shapley-shubik")[1]  # unanimity: every member 1/25
    caps = {x.id: x.capability for x in b.scenario.actors if x.id != "com"}
    assert set(np.round(list(caps.values()), 12)) == {round(1 / 25, 12)}


def test_tab_variant_reads_the_same(tmp_path: Path) -> None:
    tab = read_deu(_tab_variant(tmp_path))
    dv = read_deu(SAMPLE)
    for x, y in zip(tab, dv):
        assert _stances(x.scenario) == _stances(y.scenario)
        assert x.scenario.observed == y.scenario.observed
        assert [i.status_quo for i in x.scenario.issues] == [i.status_quo for i in y.scenario.issues]
        assert [a.capability for a in x.scenario.actors] == [a.capability for a in y.scenario.actors]


def test_load_detects_deu_and_picks_a_proposal(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"a DEU file with 2 proposals .*#t98001"):
        detente.load(SAMPLE)
    s = detente.load(f"{SAMPLE}#t05002")
    assert s.name == "t05002" and len(s.issues) == 1
    with pytest.raises(ScenarioError, match="no such proposal"):
        detente.load(f"{SAMPLE}#nope")


def test_missing_salience_mean_imputes() -> None:
    a = read_deu(SAMPLE, missing_salience="mean")[0]
    st_ = _stances(a.scenario)
    assert st_[("lu", "t98001i2")] == (50.0, pytest.approx((40 + 20 + 0 + 60 + 30) / 5))
    assert a.imputed_salience == 1 and a.dropped_stances == 0


@pytest.mark.parametrize(
    ("cell", "match"),
    [("150", r"line 2, field pcom: got '150'; expected a number 0–100"), ("abc", r"line 2, field pcom: got 'abc'")],
)
def test_bad_cells_are_one_clear_error(tmp_path: Path, cell: str, match: str) -> None:
    lines = SAMPLE.read_text().splitlines()
    f = lines[1].split(";")
    f[13] = cell
    p = tmp_path / "bad.csv"
    p.write_text("\n".join([lines[0], ";".join(f), *lines[2:]]) + "\n")
    with pytest.raises(ScenarioError, match=match):
        read_deu(p)


@pytest.mark.parametrize(("drop", "named"), [(("out",), "column out"), (("rp", "out"), "columns rp, out")])
def test_a_deu_header_without_required_columns_names_them(tmp_path: Path, drop: tuple[str, ...], named: str) -> None:
    """Without ``out`` the file is no longer recognised as DEU; the error still says what it lacks, whether it is read
    as DEU, loaded as a scenario or back-tested (exit code 2, nothing written)."""
    from typer.testing import CliRunner

    from detente.cli import _load_commands, app

    _load_commands()
    lines = SAMPLE.read_text().splitlines()
    header = ";".join(f"{c}x" if c.strip('"').lower() in drop else c for c in lines[0].split(";"))
    p = tmp_path / "almost.csv"
    p.write_text("\n".join([header, *lines[1:]]) + "\n")
    message = f"almost.csv: line 1: a DEU header without the {named}; expected a header with prnr, isnr, proc, rp, out"
    for read in (read_deu, detente.load):
        with pytest.raises(ScenarioError, match=message):
            read(p)
    res = CliRunner().invoke(app, ["backtest", str(p), "--format", "json", "--out", str(tmp_path / "lb.json")])
    assert res.exit_code == 2 and message in res.output and not (tmp_path / "lb.json").exists()


def test_not_a_deu_file(tmp_path: Path) -> None:
    p = tmp_path / "x.csv"
    p.write_text("a;b;c\n1;2;3\n")
    with pytest.raises(ScenarioError, match="not a DEU file"):
        read_deu(p)
    with pytest.raises(ParameterError, match="capability rule 'nope'"):
        read_deu(SAMPLE, capability="nope")


@pytest.mark.parametrize(
    ("text", "date", "mangled"),
    [
        ("2023-07-01", dt.date(2001, 7, 23), True),  # 23-07-01 read as yy-mm-dd
        ("1930-05-05", dt.date(2005, 5, 30), True),  # 30-05-05: year 30 → 1930
        ("1931-01-09", dt.date(2009, 1, 31), True),
        ("14-03-00", dt.date(2000, 3, 14), False),
        ("13-03-96", dt.date(1996, 3, 13), False),
        ("14-12-1999", dt.date(1999, 12, 14), False),
        ("21/09/2005", dt.date(2005, 9, 21), False),
        ("1998-05-13", dt.date(1998, 5, 13), False),  # year 98 is no day: a real ISO date
    ],
)
def test_parse_deu_date(text: str, date: dt.date, mangled: bool) -> None:
    d = parse_deu_date(text)
    assert d is not None and (d.date, d.mangled) == (date, mangled)


@pytest.mark.parametrize("text", ["999", "", "NA", "2023-13-01", "not a date"])
def test_parse_deu_date_missing(text: str) -> None:
    assert parse_deu_date(text) is None


@needs_deu
def test_decision_years_recovered_on_the_data() -> None:
    """Every proposal's dates are recovered and consistent: the proposal year is the year in its COM number
    (prnr ``d97264`` → 1997), the final act comes after the proposal, and decisions fall in DEU's period."""
    props = read_deu(DEU_DEV)
    assert len(props) == 100
    mangled = 0
    for p in props:
        assert p.intro is not None
        assert p.intro.date.year % 100 == int(p.proposal[1:3]), p.proposal
        if p.final_act is not None:
            assert p.intro.date <= p.final_act.date <= dt.date(2012, 12, 31), p.proposal
            mangled += p.final_act.mangled
        assert p.decision_year is not None and 1996 <= p.decision_year <= 2012
    assert mangled > 30  # the quirk is real: many final-act dates came back from the mangled form
    assert sum(p.year_basis == "proposal" for p in props) == 7  # finact 999


@needs_deu
def test_weights_agree_with_the_data_folder_table() -> None:
    assert check_weights(DEU_DIR) > 60
    get_rule("vote-weights", council_data=DEU_DIR)


@needs_deu
def test_vote_weights_reproduce_the_published_per_issue_compromise_forecasts() -> None:
    """The published compromise forecasts (DEU III, 351 issues) on the 250 issues this file shares with them: the
    vote-weights rule gives the same weighted mean (to 0.01, the reference's rounding is 3 decimals) on every issue
    whose proposal has a final-act date, but for 4 whose cells differ between the two copies."""
    import pandas as pd

    if not REFERENCE.exists():
        pytest.skip(f"reference forecasts not present at {REFERENCE}")
    ref = pd.read_csv(REFERENCE).set_index("issue_id")["compromise_forecast"]
    same = diff = 0
    odd = []
    for p in read_deu(DEU_DEV):
        if p.year_basis != "final act":
            continue
        fc = detente.forecast(p.scenario, model="compromise")
        for iid, x in fc.outcome.items():
            if iid in ref.index:
                if abs(x - ref[iid]) < 0.01:
                    same += 1
                else:
                    diff += 1
                    odd.append(iid)
    assert same == 234 and sorted(odd) == ["d06130i1", "d06206i1", "d07028i2", "n99255i2"]


def test_regimes_by_date() -> None:
    assert regime_at(dt.date(2004, 4, 30)).name == "EU-15"
    assert regime_at(dt.date(2004, 5, 1)).total == 124
    assert regime_at(dt.date(2004, 11, 1)).total == 321
    assert regime_at(dt.date(2007, 1, 1)).total == 345
    assert regime_at(dt.date(2013, 7, 1)).total == 352
    with pytest.raises(ParameterError, match="double majority"):
        regime_at(dt.date(2015, 1, 1))
    for r in REGIMES:  # the quotas of the treaties: about 71–74% of the votes
        assert 0.7 < r.quota / r.total < 0.75


def test_eu15_shapley_shubik_known_values() -> None:
    """EU-15 under QMV (62 of 87): the large four 0.1167, Luxembourg 0.0207 (as widely reported,
    e.g. Felsenthal & Machover 2001)."""
    ss, bz = power_indices(REGIMES[0].weights, REGIMES[0].quota)
    codes = list(REGIMES[0].weights)
    assert ss[codes.index("de")] == pytest.approx(0.1167, abs=5e-5)
    assert ss[codes.index("lu")] == pytest.approx(0.0207, abs=5e-5)
    assert ss.sum() == pytest.approx(1.0) and bz.sum() == pytest.approx(1.0)


def _brute(w: list[int], q: int) -> tuple[np.ndarray, np.ndarray]:
    n = len(w)
    ss = np.zeros(n)
    for perm in itertools.permutations(range(n)):
        s = 0
        for i in perm:
            if s < q <= s + w[i]:
                ss[i] += 1
                break
            s += w[i]
    ss /= math.factorial(n)
    sw = np.zeros(n)
    for i in range(n):
        others = [j for j in range(n) if j != i]
        for r in range(n):
            for c in itertools.combinations(others, r):
                t = sum(w[j] for j in c)
                sw[i] += t < q <= t + w[i]
    return ss, sw / sw.sum()


@given(st.lists(st.integers(0, 9), min_size=1, max_size=6), st.floats(0.01, 1.0))
def test_power_indices_equal_brute_force(w: list[int], frac: float) -> None:
    if sum(w) == 0:
        return
    q = max(1, math.ceil(frac * sum(w)))
    ss, bz = power_indices(w, q)
    ss0, bz0 = _brute(w, q)
    np.testing.assert_allclose(ss, ss0, atol=1e-12)
    np.testing.assert_allclose(bz, bz0, atol=1e-12)


def test_rules_are_listed() -> None:
    assert RULES == ("vote-weights", "vote-weights-procedure", "shapley-shubik", "banzhaf", "equal")
    for r in RULES:
        assert get_rule(r).describe().startswith(r)


def test_lisbon_era_decision_carries_the_nice_weights(tmp_path: Path) -> None:
    text = SAMPLE.read_text().replace("13-05-1998;20-12-1999", "13-05-2013;01-06-2016")
    p = tmp_path / "late.csv"
    p.write_text(text)
    a = read_deu(p)[0]
    assert a.decision_date == dt.date(2016, 6, 1)
    assert {x.id: x.capability for x in a.scenario.actors}["de"] == pytest.approx(29 / 352)  # Nice EU-28
    assert any("Protocol 36" in n for n in a.capability_notes)


@given(st.dates(dt.date(1996, 1, 1), dt.date(2029, 12, 31)))
def test_mangled_dates_read_back(d: dt.date) -> None:
    """Any DEU-era date written dd-mm-yy and mangled by the spreadsheet (yy-mm-dd, two-digit years 30–99 → 19xx)
    comes back as itself; so does its dd-mm-yyyy form."""
    yy = d.day  # the day, read as a two-digit year
    mangled = f"{(1900 if yy >= 30 else 2000) + yy:04d}-{d.month:02d}-{d.year % 100:02d}"
    got = parse_deu_date(mangled)
    assert got is not None and got.date == d and got.mangled
    plain = parse_deu_date(f"{d.day:02d}-{d.month:02d}-{d.year}")
    assert plain is not None and plain.date == d and not plain.mangled


def test_real_iso_dates_are_not_unmangled(tmp_path: Path) -> None:
    """A copy with real ISO dates: 2001-07-23 is the 23 July 2001, not the mangled 01-07-23."""
    text = SAMPLE.read_text().replace("13-05-1998;20-12-1999", "1998-05-13;2001-07-23")
    text = text.replace("21-09-2005;999", "2005-09-21;2008-02-13")
    p = tmp_path / "iso.csv"
    p.write_text(text)
    a, b = read_deu(p)
    assert (a.intro, a.final_act) == (DeuDate(dt.date(1998, 5, 13), False), DeuDate(dt.date(2001, 7, 23), False))
    assert b.intro == DeuDate(dt.date(2005, 9, 21), False) and b.final_act == DeuDate(dt.date(2008, 2, 13), False)


def test_ambiguous_dates_settled_by_the_proposal() -> None:
    """In the mangled copy, 2005-12-15 as a proposal date of a 2005 COM number is real; 2013-02-08 as its final act
    reads 13-02-08 (two years on), not 8 February 2013."""
    from detente.scenario.deu import _choose, date_readings

    intro = _choose(date_readings("2015-12-05"), year=2005)
    assert intro is not None and intro.date == dt.date(2005, 12, 15)
    final = _choose(date_readings("2013-02-08"), after=intro.date)
    assert final is not None and final.date == dt.date(2008, 2, 13)
