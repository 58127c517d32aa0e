"""The embedded default scenario ``korea-2019``: completeness, two-level structure and consistency of the data.

The quotes were checked once against the seed articles while the scenario was written (the repository does not ship
the articles); here every quote is checked for form (length, document named) and every number for a basis. The
sourcing rules (ids resolve, facts have addresses, ranges) are in ``tests/test_sources.py``.
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

ACTORS = ("us-president", "us-hawks", "us-congress", "us-candidates", "dprk", "rok", "china", "japan", "russia")
US = ("us-president", "us-hawks", "us-congress", "us-candidates")
ISSUES = (
    "denuclearization",
    "sanctions-relief",
    "peace-regime",
    "exercises",
    "inter-korean",
    "missile-restraint",
    "sequencing",
    "verification",
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
    "year-end-deadline": dt.date(2019, 4, 12),
    "launch-series": dt.date(2019, 5, 4),
    "dmz-meeting": dt.date(2019, 6, 30),
    "bolton-departure": dt.date(2019, 9, 10),
    "stockholm": dt.date(2019, 10, 5),
    "sohae-test-1": dt.date(2019, 12, 7),
    "sohae-test-2": dt.date(2019, 12, 13),
    "china-russia-draft": dt.date(2019, 12, 16),
    "year-end-plenum": dt.date(2019, 12, 31),
    "covid-border-closure": dt.date(2020, 1, 30),
    "kaesong-liaison-office": dt.date(2020, 6, 16),
    "us-election": dt.date(2020, 11, 3),
}
#: stances left out on purpose (documented in docs/korea-2019.md)
ABSENT = {("us-congress", "inter-korean"), ("us-candidates", "inter-korean")}


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return detente.load("korea-2019")


def _bases(s: Scenario) -> list[tuple[str, Basis]]:
    from tests.test_sources import all_bases

    return [(w, b) for w, b in all_bases(s) if w.startswith(("issues.", "actors.", "stances."))]


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
    assert len(scenario.issues) >= 8
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
    assert "as Ri Yong Ho stated it" in scenario.issue("sanctions-relief").scale.nearest_label(55)
    assert "US experts" in scenario.issue("verification").scale.nearest_label(30)


def test_actors_have_capability_bases(scenario: Scenario) -> None:
    assert len(scenario.actors) >= 9
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
        assert f.date is not None and dt.date(2015, 1, 1) <= f.date <= dt.date(2020, 12, 31), f.id
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


def test_observed_outcomes_are_coded_with_dated_sources(scenario: Scenario) -> None:
    coded = set(ISSUES) - {"sequencing"}  # no agreement was reached whose sequencing could be observed
    assert set(scenario.observed) == coded
    kinds = {x.id: x for x in scenario.sources}
    for o in scenario.outcomes:
        assert o.primary and o.horizon == "2020-11-03" and o.basis is not None, o.issue
        src = kinds[o.basis.source]
        assert src.kind == "fact" and src.date is not None and src.date <= dt.date(2020, 12, 31), o.issue
        assert o.low is not None and o.high is not None and o.low <= o.value <= o.high, o.issue
    judged = {o.issue for o in scenario.outcomes if "udgement" in (o.basis.note or "")}
    assert {"peace-regime", "exercises", "verification"} <= judged
    assert "test moratorium" in scenario.issue("denuclearization").scale.nearest_label(
        scenario.observed["denuclearization"]
    )
    assert scenario.observed["inter-korean"] == 0 and scenario.observed["peace-regime"] == 20


def test_the_us_is_one_delegation_and_congress_vetoes_relief(scenario: Scenario) -> None:
    (us,) = scenario.delegations
    assert us.id == "us" and tuple(us.members) == US and us.rule == "leader" and us.leader == "us-president"
    vetoes = {v.issue: set(v.players) for v in scenario.vetoes}
    assert set(vetoes) == set(ISSUES)
    assert {"us", "dprk", "us-congress"} <= vetoes["sanctions-relief"]
    assert "us-congress" not in vetoes["denuclearization"] and "us-candidates" not in set().union(*vetoes.values())
    assert vetoes["missile-restraint"] == {"dprk"} and vetoes["exercises"] == {"us", "rok"}


@pytest.mark.parametrize("model", ["compromise", "median", "nash"])
def test_no_double_counting_the_hawks_count_only_through_the_president(scenario: Scenario, model: str) -> None:
    """With the US collapsed, removing the hawks changes nothing (their influence runs through the president);
    with actors separate it moves the forecast (the hawks were counted as a second US vote)."""
    from detente.interventions import apply

    no_hawks = apply(scenario, [{"op": "remove_actor", "actor": "us-hawks"}])
    a = detente.forecast(scenario, model, delegations="collapse", vetoes="off").outcomes
    b = detente.forecast(no_hawks, model, delegations="collapse", vetoes="off").outcomes
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)
    if model != "nash":
        sep = detente.forecast(scenario, model, delegations="separate", vetoes="off").outcome
        sep_no = detente.forecast(no_hawks, model, delegations="separate", vetoes="off").outcome
        assert sep["denuclearization"] != sep_no["denuclearization"]


def test_vetoes_lock_in_the_status_quo_where_the_us_and_the_north_sit_either_side(scenario: Scenario) -> None:
    for model in ("compromise", "median"):
        fc = detente.forecast(scenario, model)
        assert fc.info["structure"]["delegations"] == "collapse" and fc.info["structure"]["vetoes"] == "on"
        out = fc.outcome
        assert out["denuclearization"] == 15.0 and out["sequencing"] == 30.0  # gridlock: US above q, DPRK below
        st = dict(zip(fc.issues, fc.status[0]))
        assert st["denuclearization"] == "no_agreement"
        # Congress (10, q = 0) accepts at most 20 on sanctions relief, whatever the model's weighted vote says
        assert out["sanctions-relief"] <= 20.0 + 1e-9
        free = detente.forecast(scenario, model, vetoes="off").outcome
        assert free["sanctions-relief"] > 20.0


def test_ensembles_draw_from_the_plausible_ranges(scenario: Scenario) -> None:
    """The scenario's perturbation spec varies ranged numbers inside their ranges and leaves pinned ones alone."""
    from detente.uncertainty import ensemble

    ens = ensemble(scenario, "compromise", draws=200, seed=3)
    a, j = list(ens.actors), list(ens.issues).index("denuclearization")
    hawks = ens.positions[:, a.index("us-hawks"), j]
    pres = ens.positions[:, a.index("us-president"), j]
    assert np.all(hawks == 100.0)  # pinned by the big-deal paper: never perturbed
    assert pres.std() > 1 and pres.min() >= 70.0 and pres.max() <= 100.0  # range 70-100, half-width 15, clipped
    k = list(ens.issues).index("sanctions-relief")
    assert np.all(ens.outcomes[:, k] <= 40.0 + 1e-9)  # Congress (at most 20, q = 0) accepts at most 40


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
    assert arr.meta["structure"].delegations[0].members == US


def test_compromise_forecast_matches_the_stances_by_hand(scenario: Scenario) -> None:
    """The capability × salience weighted mean, straight from the YAML stances (tolerance: rounding 1e-9): every actor
    separately; and with the US delegation collapsed onto the president (the other US actors leave)."""
    cap = {a.id: a.capability for a in scenario.actors}
    for mode, drop in (("separate", ()), ("collapse", US[1:])):
        out = detente.forecast(scenario, model="compromise", delegations=mode, vetoes="off").outcome
        for iid in ISSUES:
            rows = [st for st in scenario.stances if st.issue == iid and st.actor not in drop]
            w = np.array([(cap[st.actor] if st.capability is None else st.capability) * st.salience for st in rows])
            x = np.array([st.position for st in rows])
            assert out[iid] == pytest.approx(float(w @ x / w.sum()), abs=1e-9), (mode, iid)


def test_backtest_with_and_without_the_two_levels(scenario: Scenario) -> None:
    """The back-test records the structure it ran with; its MAE equals the forecasts' mean |error| on the coded issues
    (all on 0-100 scales), with the vetoes lowering the compromise model's error (figures in docs/korea-2019.md)."""
    from detente.validation import backtest

    maes = {}
    for d, v in (("collapse", "on"), ("separate", "off")):
        lb = backtest(["korea-2019"], ["compromise"], delegations=d, vetoes=v)
        assert lb.provenance["structure"] == {"delegations": d, "vetoes": v}
        mae = float(lb.table.set_index("model").loc["compromise", "mae_pct"])
        out = detente.forecast(scenario, "compromise", delegations=d, vetoes=v).outcome
        by_hand = np.mean([abs(out[i] - x) for i, x in scenario.observed.items()])
        assert mae == pytest.approx(by_hand, abs=1e-9)
        maes[(d, v)] = mae
    assert maes[("collapse", "on")] == pytest.approx(15.35, abs=0.005)
    assert maes[("separate", "off")] == pytest.approx(39.15, abs=0.005)
