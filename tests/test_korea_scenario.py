"""The embedded default scenario ``korea-2019``: completeness, sourcing and consistency of the data.

The quotes were checked once against the seed articles while the scenario was written (the repository must not read
``/work/shared``); here every quote is checked for form (length, document named) and every number for a basis.
"""

from __future__ import annotations

import datetime as dt
from importlib import resources

import numpy as np
import pytest
import yaml

import detente
from detente.scenario.arrays import to_arrays
from detente.scenario.schema import Basis, Edit, Scenario

ACTORS = ("us-president", "us-hawks", "us-opposition", "dprk", "rok", "china", "japan", "russia")
ISSUES = (
    "denuclearization",
    "sanctions-relief",
    "peace-regime",
    "exercises",
    "inter-korean",
    "missile-restraint",
    "sequencing",
)
VARIANTS = {
    "seoul-centred": "b",
    "bolton-departure": "c",
    "election-approaching": "e",
    "sohae-tests": "f",
    "us-deterrence": "d",
    "step-for-step": "c",
    "all-or-nothing": "c",
}
EVENTS = {
    "hanoi": dt.date(2019, 2, 28),
    "dmz-meeting": dt.date(2019, 6, 30),
    "bolton-departure": dt.date(2019, 9, 10),
    "stockholm": dt.date(2019, 10, 5),
    "sohae-test-1": dt.date(2019, 12, 7),
    "sohae-test-2": dt.date(2019, 12, 13),
    "year-end-plenum": dt.date(2019, 12, 31),
    "kaesong-liaison-office": dt.date(2020, 6, 16),
    "us-election": dt.date(2020, 11, 3),
}
#: stances left out on purpose (documented in docs/korea-2019.md)
ABSENT = {("us-opposition", "inter-korean")}


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return detente.load("korea-2019")


def _bases(s: Scenario) -> list[tuple[str, Basis]]:
    out: list[tuple[str, Basis]] = []
    for i in s.issues:
        if i.status_quo_basis is not None:
            out.append((f"issues.{i.id}.status_quo_basis", i.status_quo_basis))
    for a in s.actors:
        if a.capability_basis is not None:
            out.append((f"actors.{a.id}.capability_basis", a.capability_basis))
    for st in s.stances:
        for name in ("position_basis", "salience_basis", "capability_basis"):
            b = getattr(st, name)
            if b is not None:
                out.append((f"stances.{st.actor}/{st.issue}.{name}", b))
    return out


def test_raw_yaml_validates_against_the_schema() -> None:
    text = resources.files("detente.scenario.library").joinpath("korea-2019.yaml").read_text(encoding="utf-8")
    s = Scenario.model_validate(yaml.safe_load(text))
    assert s.name == "korea-2019"
    assert s.date == dt.date(2019, 2, 28)
    assert s.title and s.description and len(s.description) > 500
    # the staged-disarmament game's block; the claims experiments' parameters (under 'v1') validate too
    from detente.strategy.params import from_scenario

    assert s.strategy["game"] == "staged-disarmament-v2"
    params, sources = from_scenario(s)
    assert params.t_E == 29 and set(sources) == set(s.strategy["v1"]["params"])


def test_issues_have_scales_labelled_points_and_a_sourced_status_quo(scenario: Scenario) -> None:
    assert len(scenario.issues) >= 7
    assert set(ISSUES) <= {i.id for i in scenario.issues}
    for i in scenario.issues:
        assert (i.scale.lower, i.scale.upper) == (0.0, 100.0), i.id
        values = [p.value for p in i.scale.points]
        assert len(values) >= 4, i.id
        assert values == sorted(values) and len(set(values)) == len(values), i.id
        assert values[0] == i.scale.lower and values[-1] == i.scale.upper, i.id
        assert all(p.label for p in i.scale.points)
        assert i.status_quo is not None and i.status_quo_basis is not None, i.id
    den = scenario.issue("denuclearization").scale
    assert den.nearest_label(45).startswith("Yongbyon dismantled")
    assert "big deal" in den.nearest_label(100)
    assert "Hanoi ask" in scenario.issue("sanctions-relief").scale.nearest_label(55)


def test_actors_have_capability_bases(scenario: Scenario) -> None:
    assert len(scenario.actors) >= 8
    assert set(ACTORS) <= {a.id for a in scenario.actors}
    for a in scenario.actors:
        assert a.capability > 0 and a.capability_basis is not None, a.id
        assert a.group and a.description, a.id
    assert scenario.actor("us-president").capability == max(a.capability for a in scenario.actors)


def test_every_actor_issue_pair_has_a_stance_except_the_documented_absences(scenario: Scenario) -> None:
    pairs = {(st.actor, st.issue) for st in scenario.stances}
    everything = {(a.id, i.id) for a in scenario.actors for i in scenario.issues}
    assert everything - pairs == ABSENT
    for st in scenario.stances:
        assert st.position_basis is not None and st.salience_basis is not None, (st.actor, st.issue)
        if st.capability is not None:
            assert st.capability_basis is not None, (st.actor, st.issue)


def test_every_basis_cites_an_existing_source_and_estimates_give_reasons(scenario: Scenario) -> None:
    kinds = {s.id: s.kind for s in scenario.sources}
    for where, b in _bases(scenario):
        assert b.source in kinds, where
        if kinds[b.source] == "estimate":
            assert b.note and len(b.note.strip()) > 10, where
    for item in [*scenario.events, *scenario.variants]:
        assert item.source in kinds, item.id
    # a real mixture: seeds, dated facts and estimates all carry numbers
    used = {kinds[b.source] for _, b in _bases(scenario) if b.source}
    assert used == {"quote", "fact", "estimate"}


def test_quote_and_fact_sources_are_well_formed(scenario: Scenario) -> None:
    quotes = [s for s in scenario.sources if s.kind == "quote"]
    facts = [s for s in scenario.sources if s.kind == "fact"]
    assert len(quotes) >= 10 and len(facts) >= 10
    for q in quotes:
        assert q.quote and len(q.quote) <= 300, q.id
        assert len(q.quote.split()) < 25, q.id
        assert q.document and ("Kristian" in q.document or "Trump and North Korea" in q.document), q.id
    assert {("Kristian" in q.document) for q in quotes if q.document} == {True, False}  # both seed articles quoted
    for f in facts:
        assert f.date is not None and dt.date(2017, 1, 1) <= f.date <= dt.date(2020, 12, 31), f.id
        assert f.url and f.url.startswith(("http://", "https://")), f.id


def test_dated_events_of_the_period(scenario: Scenario) -> None:
    events = {e.id: e for e in scenario.events}
    for eid, date in EVENTS.items():
        assert eid in events and events[eid].date == date, eid
    dates = [e.date for e in scenario.events]
    assert dates == sorted(dates)
    bolton = events["bolton-departure"].edits
    assert any(
        e.actor == "us-hawks" and (e.op == "remove_actor" or e.field in ("capability", "salience")) for e in bolton
    )


def _check_edits(s: Scenario, edits: list[Edit], state: dict, sq: dict, removed: set[str], where: str) -> None:
    """Apply edits to plain dicts and check that ids exist and every value stays on its scale."""
    actors, issues = {a.id for a in s.actors}, {i.id: i for i in s.issues}
    for k, e in enumerate(edits):
        tag = f"{where}.edits[{k}]"
        if e.op == "set_status_quo":
            assert e.issue in issues and e.value is not None, tag
            sc = issues[e.issue].scale
            assert sc.lower <= e.value <= sc.upper, tag
            sq[e.issue] = e.value
            continue
        assert e.actor in actors and e.actor not in removed, tag
        if e.op == "remove_actor":
            removed.add(e.actor)
            continue
        assert e.op in ("set", "shift", "scale") and e.field is not None and e.value is not None, tag
        assert e.issue in issues and (e.actor, e.issue) in state, tag
        cur = state[(e.actor, e.issue)][e.field]
        new = {"set": e.value, "shift": cur + e.value, "scale": cur * e.value}[e.op]
        if e.op == "scale":
            assert e.value > 0, tag
        lo, hi = (issues[e.issue].scale.lower, issues[e.issue].scale.upper) if e.field == "position" else (0.0, 100.0)
        if e.field == "capability":
            hi = np.inf
        assert lo <= new <= hi, (tag, new)
        state[(e.actor, e.issue)][e.field] = new


def _baseline_state(s: Scenario) -> dict:
    cap = {a.id: a.capability for a in s.actors}
    return {
        (st.actor, st.issue): {
            "position": st.position,
            "salience": st.salience,
            "capability": cap[st.actor] if st.capability is None else st.capability,
        }
        for st in s.stances
    }


def test_variants_exist_with_claims_and_valid_edits(scenario: Scenario) -> None:
    for vid, claim in VARIANTS.items():
        v = scenario.variant(vid)
        assert v.title and v.description and v.source and v.edits, vid
        assert v.claim == claim, vid
        _check_edits(scenario, v.edits, _baseline_state(scenario), {}, set(), f"variants.{vid}")
    assert all(v.claim in tuple("abcdef") for v in scenario.variants)
    # the step-for-step and all-or-nothing variants pull the president's sequencing to opposite ends
    sfs = [e for e in scenario.variant("step-for-step").edits if (e.actor, e.issue) == ("us-president", "sequencing")]
    aon = [
        e
        for e in scenario.variant("all-or-nothing").edits
        if (e.actor, e.issue, e.field) == ("us-president", "sequencing", "position")
    ]
    assert sfs[0].value > 50 > aon[0].value


def test_events_applied_in_date_order_stay_on_scale(scenario: Scenario) -> None:
    state, sq, removed = _baseline_state(scenario), {}, set()
    for e in sorted(scenario.events, key=lambda e: e.date):
        _check_edits(scenario, e.edits, state, sq, removed, f"events.{e.id}")
    assert removed == {"us-hawks"}
    assert sq["inter-korean"] == 0 and sq["missile-restraint"] < scenario.issue("missile-restraint").status_quo


def test_observed_outcomes_are_on_their_scales(scenario: Scenario) -> None:
    assert set(scenario.observed) == {"denuclearization", "sanctions-relief", "inter-korean", "missile-restraint"}
    for iid, x in scenario.observed.items():
        sc = scenario.issue(iid).scale
        assert sc.lower <= x <= sc.upper
    assert "test moratorium" in scenario.issue("denuclearization").scale.nearest_label(
        scenario.observed["denuclearization"]
    )


def test_arrays_shapes_and_mask(scenario: Scenario) -> None:
    arr = to_arrays(scenario)
    n, m = len(scenario.actors), len(scenario.issues)
    for name in ("position", "salience", "capability", "mask"):
        assert getattr(arr, name).shape == (1, n, m), name
    assert arr.status_quo.shape == (1, m) and not np.isnan(arr.status_quo).any()
    absent = {(arr.actors[a], arr.issues[j]) for a, j in zip(*np.nonzero(~arr.mask[0]))}
    assert absent == ABSENT
    assert np.all((arr.salience >= 0) & (arr.salience <= 1))
    j = arr.issues.index("inter-korean")
    assert arr.capability[0, arr.actors.index("rok"), j] == 70.0  # per-issue override


def test_compromise_forecast_matches_the_stances_by_hand(scenario: Scenario) -> None:
    """The capability × salience weighted mean, computed straight from the YAML stances (tolerance: rounding 1e-9)."""
    out = detente.forecast(scenario, model="compromise").outcome
    cap = {a.id: a.capability for a in scenario.actors}
    for iid in ISSUES:
        rows = [st for st in scenario.stances if st.issue == iid]
        w = np.array([(cap[st.actor] if st.capability is None else st.capability) * st.salience for st in rows])
        x = np.array([st.position for st in rows])
        assert out[iid] == pytest.approx(float(w @ x / w.sum()), abs=1e-9)
