"""Historical episodes: the coded file is registered by its hash, coded as dated facts with sources, and scored."""

from __future__ import annotations

import math
import os
import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml

from detente.errors import ParameterError
from detente.strategy.staged import episodes as E

# The hash of the coded file as committed before the first score was computed.
SHA = "8c80f62921154b4493d55233b3802c39528d51cd132692e23620f8326607011c"


@pytest.fixture(scope="module")
def scores() -> E.Scores:
    return E.score()


def test_coded_file_is_the_registered_one() -> None:
    assert E.REGISTERED_SHA256 == SHA
    assert E.sha256(E.default_path()) == SHA


def test_changed_file_is_refused_unless_unregistered(tmp_path: Path) -> None:
    p = tmp_path / "korea.yaml"
    shutil.copy(E.default_path(), p)
    p.write_text(p.read_text(encoding="utf-8").replace("floor: 0.01", "floor: 0.02"), encoding="utf-8")
    with pytest.raises(ParameterError, match="not the registered"):
        E.load(p)
    eps, floor, digest = E.load(p, unregistered=True)
    assert floor == 0.02 and digest != SHA and len(eps) == 4


def test_every_event_has_a_dated_source_and_what_it_supports() -> None:
    raw = yaml.safe_load(E.default_path().read_text(encoding="utf-8"))
    assert [e["id"] for e in raw["episodes"]] == ["af-1994", "6pt-2005", "leap-2012", "sing-2018"]
    for ep in raw["episodes"]:
        for ev in ep["events"]:
            assert len(str(ev["date"])) == 10 and ev["source"].strip() and ev["supports"].strip()
            assert "facts" not in ev["source"].lower() and ".md" not in ev["source"]


def test_monthly_path_follows_the_dated_events() -> None:
    eps = {e.id: e for e in E.load()[0]}
    assert [len(eps[k].months) for k in ("af-1994", "6pt-2005", "leap-2012", "sing-2018")] == [103, 45, 14, 14]
    moves = {k: [(m.label, m.category) for m in e.months if m.category != "hold-0"] for k, e in eps.items()}
    assert moves["af-1994"] == [("1994-11", "advance-0"), ("1998-08", "hold-2"), ("2002-12", "exit")]
    assert moves["6pt-2005"] == [("2006-07", "hold-2"), ("2006-10", "hold-2"), ("2007-07", "advance-0"),
                                 ("2007-11", "advance-0"), ("2009-04", "exit"), ("2009-05", "hold-2")]
    assert moves["leap-2012"] == [("2012-02", "advance-0"), ("2012-04", "exit"), ("2012-12", "hold-2"),
                                  ("2013-02", "hold-2")]
    assert moves["sing-2018"] == [("2018-04", "advance-0")]
    # relief suspended from the month after the snap-back; the exploitation act seen from the month after it
    leap = {m.label: m for m in eps["leap-2012"].months}
    assert leap["2012-03"].relief == 0 and leap["2012-04"].relief == 2
    six = {m.label: m for m in eps["6pt-2005"].months}
    assert six["2005-09"].act_seen == 0 and six["2005-10"].act_seen == 1


def test_coded_tests_match_the_cns_record() -> None:
    shared = Path(os.environ.get("DETENTE_SHARED", Path(__file__).resolve().parents[2] / "shared"))
    data = shared / "data" / "korea"
    if not (data / "nk_missile_tests_cns_via_nagix.json").exists():
        pytest.skip(f"CNS data not found under {data}")
    from detente.strategy.staged import cns

    launches = cns.load_launches(data)
    nuclear = {"2006-10", "2009-05", "2013-02"}  # nuclear tests (not in the missile database)
    for ep in E.load()[0]:
        _days, cat = cns.monthly(launches, ep.months[0].label, len(ep.months))
        for m, c in zip(ep.months, cat):
            coded = 2 if m.category in ("exit", "hold-2") else (1 if m.category.endswith("-1") else 0)
            if m.label in nuclear:
                assert coded == 2 and c == 0
            elif m.category == "exit" and c == 0:
                assert m.label == "2002-12"  # the 2002 exit came with no launch
            else:
                assert coded == c, (ep.id, m.label)


def test_forecasts_are_distributions_over_the_possible_categories(scores: E.Scores) -> None:
    eps = {e.id: e for e in E.load()[0]}
    for eid, rows in scores.forecasts.items():
        for m, r in zip(eps[eid].months, rows):
            f = E.engine_forecasts(eps[eid])[0] if r is rows[0] else None
            if f is not None:
                assert set(f) == set(E.universe(m.stage))
                assert math.isclose(sum(f.values()), 1.0, abs_tol=1e-9)
            assert 0 < r["p_engine"] <= 1 and 0 < r["p_climatology"] < 1 and 0 < r["p_persistence"] < 1


def test_uniform_score_is_the_closed_form(scores: E.Scores) -> None:
    eps = {e.id: e for e in E.load()[0]}
    for row in scores.table:
        want = sum(-math.log(len(E.universe(m.stage))) for m in eps[row["id"]].months)
        assert row["uniform"] == pytest.approx(want, abs=1e-12)


def test_scores_are_pinned(scores: E.Scores) -> None:
    # Central parameters, default type grid; deterministic (no sampling), so pinned to 1e-6 nats.
    got = {r["id"]: (r["engine"], r["climatology"], r["persistence"], r["engine_zero_probability_months"])
           for r in scores.table}
    want = {"af-1994": (-30.625873, -25.849687, -28.219359, 1), "6pt-2005": (-40.915536, -25.431397, -26.985372, 1),
            "leap-2012": (-24.607576, -15.377706, -18.730277, 0), "sing-2018": (-7.503466, -4.994463, -5.619623, 0)}
    for k, (a, b, c, z) in want.items():
        assert got[k][:3] == pytest.approx((a, b, c), abs=1e-6)
        assert got[k][3] == z
    assert Counter(r["observed"] for r in scores.forecasts["af-1994"])["hold-0"] == 100
    assert scores.to_dict()["total"]["engine"] == pytest.approx(-103.652451, abs=1e-5)
    assert "note" not in scores.to_dict()


def test_leave_one_out_refits_on_the_other_episodes_only() -> None:
    """Each held-out episode is scored at the mean test value that maximises the other episodes' likelihood (small
    grid, coarse tolerance): the refit is a maximum of the others' likelihood, and the held-out score is the engine's
    log score there at the refitted value."""
    from detente.strategy.staged.game import Grid

    grid = Grid(4, 1, 4)
    out = E.leave_one_out(grid=grid, xatol=0.05)
    eps, floor, _ = E.load()
    by_id = {e.id: e for e in eps}
    assert [r["id"] for r in out["episodes"]] == [e.id for e in eps] and "note" not in out
    for row in out["episodes"]:
        others = [e for e in eps if e.id != row["id"]]
        mu = row["mu_tau_fitted_on_others"]
        assert E.LOO_BOUNDS[0] <= mu <= E.LOO_BOUNDS[1]

        def others_ll(m: float, others: list[E.Episode] = others) -> float:
            return sum(E._episode_loglik(e, floor, grid, m) for e in others)

        best = others_ll(mu)
        for step in (-0.5, 0.5):
            if E.LOO_BOUNDS[0] <= mu + step <= E.LOO_BOUNDS[1]:
                assert best >= others_ll(mu + step) - 1e-9
        held = E._episode_loglik(by_id[row["id"]], floor, grid, mu)
        assert row["engine, mu_tau refitted on the others"] == pytest.approx(held, abs=1e-12)
        assert held < 0
    tot = out["total"]["engine, mu_tau refitted on the others"]
    assert tot == pytest.approx(sum(r["engine, mu_tau refitted on the others"] for r in out["episodes"]), abs=1e-9)
