"""The sources of the built-in scenarios: every id resolves, every fact has an address, no basis cites a document
users do not have, and every number not pinned by its source carries a plausible range.

Checked on every built-in scenario for resolution; the stricter sourcing rules (what a source supports, ranges,
primary addresses) on ``korea-2019``, the embedded default.
"""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urlparse

import pytest

import detente
from detente.scenario.io import library_names
from detente.scenario.schema import Basis, Scenario

#: names of documents a user of detente does not have (internal notes, working files, tracker items)
INTERNAL = re.compile(
    r"korea-facts|reference/|seeds?/|\bseed \d|\bspec \d|strategy-engine|claims\.md|DESIGN\.md|\bissue \d|\(issue",
    re.I,
)
#: hosts that are aggregators, wiki mirrors or blogs, not primary or authoritative sources
NOT_AUTHORITATIVE = ("blogspot.", "wordpress.", "wiki", "preceden.", "mapsofworld.", "inquisitr.", "pigeonexpress.")


def all_bases(s: Scenario) -> list[tuple[str, Basis]]:
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
    for d in s.delegations:
        if d.basis is not None:
            out.append((f"delegations.{d.id}.basis", d.basis))
    for v in s.vetoes:
        if v.basis is not None:
            out.append((f"vetoes.{v.issue}.basis", v.basis))
    for o in s.outcomes:
        if o.basis is not None:
            out.append((f"outcomes.{o.issue}.basis", o.basis))
    return out


def cited_ids(s: Scenario) -> list[tuple[str, str]]:
    ids = [(where, b.source) for where, b in all_bases(s) if b.source is not None]
    ids += [(f"events.{e.id}", e.source) for e in s.events if e.source is not None]
    ids += [(f"variants.{v.id}", v.source) for v in s.variants if v.source is not None]
    return ids


@pytest.mark.parametrize("name", library_names())
def test_every_source_id_resolves_and_facts_have_addresses(name: str) -> None:
    s = detente.load(name)
    known = {src.id for src in s.sources}
    for where, sid in cited_ids(s):
        assert sid in known, f"{name}: {where} cites unknown source {sid!r}"
    for src in s.sources:
        if src.kind == "fact":
            assert src.url and urlparse(src.url).scheme in ("http", "https") and urlparse(src.url).netloc, src.id
            assert src.date is not None, src.id


@pytest.fixture(scope="module")
def korea() -> Scenario:
    return detente.load("korea-2019")


def test_korea_no_basis_cites_a_document_users_do_not_have(korea: Scenario) -> None:
    texts = [(where, b.note or "") for where, b in all_bases(korea)]
    texts += [(f"sources.{x.id}", " ".join(filter(None, (x.citation, x.document)))) for x in korea.sources]
    texts += [(f"events.{e.id}", e.description or "") for e in korea.events]
    texts += [(f"variants.{v.id}", v.description or "") for v in korea.variants]
    texts.append(("description", korea.description or ""))
    for where, text in texts:
        m = INTERNAL.search(text)
        assert m is None, f"{where} names {m.group(0)!r}, a document users do not have"


def test_korea_facts_are_dated_primary_or_authoritative_sources(korea: Scenario) -> None:
    facts = [x for x in korea.sources if x.kind == "fact"]
    assert len(facts) >= 30
    for f in facts:
        host = urlparse(f.url or "").netloc.lower()
        assert not any(bad in host for bad in NOT_AUTHORITATIVE), (f.id, host)
        assert f.citation and len(f.citation) > 30, f.id  # says what it reports, not just a title
    hosts = Counter(urlparse(f.url or "").netloc.lower() for f in facts)
    # the primary chronology, UN documents and US statutes carry most of the record
    assert hosts["crsreports.congress.gov"] >= 10 and hosts["undocs.org"] >= 4 and hosts["www.congress.gov"] == 2
    ids = {f.id for f in facts}
    for needed in (
        "f-poe-2019-mar",
        "f-poe-2019-aug",
        "f-poe-2020",
        "f-china-russia-draft",
        "f-covid-border",
        "f-kim-deadline",
        "f-launch-series-2019",
        "law-nkspea",
        "f-japan-abductions",
    ):
        assert needed in ids, needed
    un = {f.id: f.url for f in facts if "undocs.org" in (f.url or "")}
    assert {"https://undocs.org/S/2019/171", "https://undocs.org/S/2019/691", "https://undocs.org/S/2020/151"} <= set(
        un.values()
    )


def test_korea_every_basis_says_what_it_supports_and_unpinned_numbers_have_ranges(korea: Scenario) -> None:
    kinds = {x.id: x.kind for x in korea.sources}
    for where, b in all_bases(korea):
        if where.startswith(("delegations.", "vetoes.")):
            continue  # structural choices, argued in their notes
        kind = kinds[b.source] if b.source else None
        assert b.note and len(b.note) > 10, where
        if kind == "quote":  # a seed's claim, read as a number: never a measurement
            assert b.supports == "claim", where
        elif kind == "fact":
            assert b.supports in ("size", "direction"), where
        else:
            assert kind == "estimate" and b.supports is None, where
        if where.startswith("outcomes."):
            continue
        if b.supports != "size":
            assert b.low is not None and b.high is not None, f"{where}: no plausible range"


def test_korea_perturbation_draws_from_the_ranges(korea: Scenario) -> None:
    from detente.scenario.ranges import perturbation_from_ranges
    from detente.uncertainty.spec import PerturbationSpec

    assert korea.perturbation == perturbation_from_ranges(korea)
    spec = PerturbationSpec.model_validate(korea.perturbation)
    spec.check([a.id for a in korea.actors], [i.id for i in korea.issues])
    # a pinned number is not perturbed; a ranged one is, by the range's half-width
    rules = {(r.actor, r.issue): r.scale for r in spec.position.rules}
    st = {(x.actor, x.issue): x for x in korea.stances}
    assert ("us-hawks", "denuclearization") not in rules  # pinned by the big-deal paper
    pres = st[("us-president", "denuclearization")].position_basis
    assert rules[("us-president", "denuclearization")] == max(85 - pres.low, pres.high - 85) == 15


def basis_counts(s: Scenario) -> Counter[str]:
    kinds = {x.id: x.kind for x in s.sources}
    return Counter(kinds[b.source] for _, b in all_bases(s) if b.source is not None)


def test_korea_basis_counts(korea: Scenario) -> None:
    """The mix reported in docs/korea-2019.md (quote / fact / estimate bases)."""
    c = basis_counts(korea)
    assert set(c) == {"quote", "fact", "estimate"}
    assert sum(c.values()) == len(all_bases(korea))
    text = detente.scenario.io.library_path("korea-2019").parents[3].parent / "docs" / "korea-2019.md"
    if text.exists():
        doc = text.read_text(encoding="utf-8")
        assert f"{c['quote']} quote, {c['fact']} fact and {c['estimate']} estimate bases" in doc


def test_korea_ranges_hold_their_values(korea: Scenario) -> None:
    cap = {a.id: a.capability for a in korea.actors}
    cells: list[tuple[str, float, Basis | None]] = []
    cells += [(f"actors.{a.id}", a.capability, a.capability_basis) for a in korea.actors]
    cells += [(f"issues.{i.id}", i.status_quo, i.status_quo_basis) for i in korea.issues if i.status_quo is not None]
    for st in korea.stances:
        cells += [(f"{st.actor}/{st.issue}.position", st.position, st.position_basis)]
        cells += [(f"{st.actor}/{st.issue}.salience", st.salience, st.salience_basis)]
        if st.capability is not None:
            cells += [(f"{st.actor}/{st.issue}.capability", st.capability, st.capability_basis)]
    assert cap  # every actor has a capability
    for where, x, b in cells:
        if b is not None and b.low is not None and b.high is not None:
            assert b.low <= x <= b.high, (where, b.low, x, b.high)
