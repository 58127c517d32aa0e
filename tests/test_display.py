"""Short reprs and notebook HTML for the scenario and every result class (detente.display)."""

from __future__ import annotations

from html.parser import HTMLParser

import pandas as pd
import pytest

import detente
from detente import display
from detente.scenario.schema import Scenario

VOID = {"br", "hr", "img", "meta", "input", "col"}


class _Checker(HTMLParser):
    """Fails on a closing tag that does not match the open one; records the text."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:] or 'nothing'}"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def well_formed(html: str) -> str:
    c = _Checker()
    c.feed(html)
    c.close()
    assert c.stack == [], f"unclosed tags {c.stack}"
    return "".join(c.text)


def check(obj: object, title: str, limit: int = display.TEXT_LIMIT) -> str:
    r = repr(obj)
    assert r.startswith(f"<{title} ") and r.endswith(">") and "\n" not in r
    assert len(r) <= limit, len(r)
    h = obj._repr_html_()  # type: ignore[attr-defined]
    assert h.startswith('<div class="detente-summary">') and len(h) < 20_000
    text = well_formed(h)
    assert title in text
    return text


@pytest.fixture(scope="module")
def korea() -> Scenario:
    return detente.load("korea-2019")


def test_scenario_repr_is_one_short_line_and_html_lists_every_issue(korea):
    assert len(repr(korea)) <= display.TEXT_LIMIT  # was 68,456 characters: pydantic's field dump
    assert str(korea) == repr(korea)
    text = check(korea, "Scenario")
    for issue in korea.issues:
        assert issue.id in text
    assert "stances" in text and str(len(korea.stances)) in text


def test_html_escapes_names_and_descriptions(korea):
    doc = korea.model_dump()
    doc["title"] = "<script>alert('x')</script> & co"
    doc["issues"][0]["name"] = "<b>bold</b>"
    s = Scenario.model_validate(doc)
    h = s._repr_html_()
    assert "<script>" not in h and "&lt;script&gt;" in h and "&amp; co" in h
    assert "<b>bold</b>" not in h and "&lt;b&gt;bold&lt;/b&gt;" in h
    well_formed(h)


def test_forecast_repr_names_model_and_outcomes(korea):
    f = detente.forecast(korea, model="compromise")
    text = check(f, "Forecast")
    assert "model=compromise" in repr(f) and "scenario=korea-2019" in repr(f)
    for iid in f.issues:
        assert iid in text
    assert display.fmt(f.outcomes[0, 0]) in text


def test_ensemble_comparison_sensitivity_summaries(korea):
    ens = detente.ensemble(korea, "compromise", draws=16, seed=1, progress=False)
    text = check(ens, "Ensemble")
    assert "draws=16" in repr(ens) and all(i in text for i in ens.issues)
    cmp = detente.compare_variants(korea, "compromise", "seoul-centred", draws=8, seed=1, progress=False)
    assert "seoul-centred" in check(cmp, "Comparison")
    eu = detente.load("emission-standards-1994")
    sens = detente.sensitivity(eu, "compromise", draws=4, seed=1, groups="actor")
    text = check(sens, "Sensitivity")
    assert "ST" in text


def test_leaderboard_summary():
    lb = detente.backtest(["emission-standards-1994"], ["compromise"], seed=0)
    text = check(lb, "Leaderboard")
    assert "compromise" in text


def test_deu_backtest_summary():
    from detente.validation.deu import DeuBacktest

    table = pd.DataFrame({"model": ["compromise", "<baseline>"], "mae": [20.5, float("nan")]})
    empty = pd.DataFrame()
    res = DeuBacktest(table, empty, empty, empty, empty, empty, empty)
    text = check(res, "DeuBacktest")
    assert "<baseline>" in text and "&lt;baseline&gt;" in res._repr_html_() and "nan" not in text


def test_strategy_experiment_replay_summaries(korea):
    from detente.strategy import run_strategy
    from detente.strategy.experiments import run_experiment
    from detente.strategy.replay import replay

    res = run_strategy(korea, ["aon", "sfs-screen"], paths=20, seed=1)
    text = check(res, "StrategyResult")
    assert "aon" in text and "sfs-screen" in text
    exp = run_experiment("claim-a", paths=10, seed=1)
    text = check(exp, "ExperimentResult")
    assert any(v in text for v in ("holds", "fails", "undecided"))
    rp = replay(["aon"], paths=20, seed=1)
    assert "nothing_happens" in check(rp, "ReplayResult")


def test_long_facts_are_cut_to_the_limit():
    s = display.Summary("X", [(f"k{i}", "v" * 100) for i in range(50)], ["a"], [[str(i)] for i in range(40)])
    r = display.text(s)
    assert len(r) <= display.TEXT_LIMIT and r.endswith(" …>")
    h = display.html(s)
    well_formed(h)
    assert h.split("detente-table")[1].count("<tr>") == display.ROW_LIMIT + 1 and "28 more rows" in h
