"""Charts fit for a report: stable actor colours, a legend entry for every line, sensible axes, readable shapes."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_hex

import detente
from detente.models import get
from detente.models.expected_utility import perspective
from detente.report.colors import PALETTE, actor_styles
from detente.report.perspective import perspective_figure, spread_labels
from detente.report.trajectory import positions_figure


@pytest.fixture(scope="module")
def korea():
    return detente.load("korea-2019")


def _line_colors(fig) -> dict[str, str]:
    return {ln.get_label(): to_hex(ln.get_color()) for ax in fig.axes for ln in ax.get_lines()}


def test_palette_has_no_light_dark_pairs_and_colours_follow_the_actor_order():
    assert len(set(PALETTE)) == len(PALETTE) == 9
    styles = actor_styles([f"a{i}" for i in range(12)])
    pairs = {(s["color"], s["linestyle"]) for s in styles.values()}
    assert len(pairs) == 12  # no two actors share colour and line style
    assert styles["a9"]["color"] == styles["a0"]["color"] and styles["a9"]["linestyle"] != "-"


def test_an_actor_keeps_its_colour_across_models_and_charts(korea):
    dyn = positions_figure(detente.forecast(korea, model="expected-utility"), korea)
    static = positions_figure(detente.forecast(korea, model="compromise"), korea)
    c_dyn, c_static = _line_colors(dyn), _line_colors(static)
    expected = actor_styles([a.id for a in korea.actors])
    for aid in ("dprk", "rok", "china"):
        assert c_dyn[aid] == c_static[aid] == expected[aid]["color"].lower()
    tab = perspective(detente.to_arrays(korea), "us-president", issue="denuclearization",
                      model=get("expected-utility"))
    fig = perspective_figure(tab, actors=[a.id for a in korea.actors])
    colors = [to_hex(c) for c in fig.axes[0].collections[0].get_facecolors()]
    assert colors[list(tab["other"]).index("dprk")] == expected["dprk"]["color"].lower()


def test_every_line_has_a_legend_entry_including_the_forecast(korea):
    fc = detente.forecast(korea, model="expected-utility")
    fig = positions_figure(fc, korea)
    legend = {t.get_text() for t in fig.legends[0].get_texts()}
    assert {"forecast (expected-utility)", "observed", "median (model)", "mean (model)"} <= legend
    drawn = {ln.get_label() for ax in fig.axes for ln in ax.get_lines()}
    assert drawn <= legend


def test_static_models_draw_a_dot_chart_on_the_issue_scale(korea):
    fc = detente.forecast(korea, model="compromise")
    fig = positions_figure(fc, korea)
    ax = fig.axes[0]
    issue = korea.issues[0]
    lo, hi = ax.get_xlim()
    assert lo < issue.scale.lower and hi > issue.scale.upper and hi - lo < 1.1 * (issue.scale.upper - lo)
    assert "round" not in ax.get_xlabel()  # there are no rounds: the old chart's axis ran −0.04…0.04
    rows = fc.trajectory_frame()
    held = set(rows[rows.issue == issue.id].actor)
    assert {t.get_text() for t in ax.get_yticklabels()} == held
    legend = {t.get_text() for t in fig.legends[0].get_texts()}
    assert "forecast (compromise)" in legend


def test_spread_labels_keep_the_gap_and_the_order():
    rng = np.random.default_rng(3)
    for _ in range(50):
        y = rng.normal(size=rng.integers(1, 12))
        out = spread_labels(y, 0.2)
        o = np.argsort(y, kind="stable")
        assert np.all(np.diff(out[o]) >= 0.2 - 1e-12)
        assert abs((out - y).mean()) < 0.2 * y.size  # stays near the points


def test_perspective_labels_do_not_overlap():
    eu = detente.load("emission-standards-1994")
    tab = perspective(detente.to_arrays(eu), "UK", model=get("expected-utility"))
    fig = perspective_figure(tab)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    ax = fig.axes[0]
    r = canvas.get_renderer()
    boxes = [t.get_window_extent(r) for t in ax.texts if t.get_text() and t.get_color() != "0.45"]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b)


def test_tornado_is_small_multiples_of_a_readable_aspect(korea):
    res = detente.sensitivity(korea, "compromise", draws=8, seed=1, groups="actor")
    fig = res.figure()
    w, h = fig.get_size_inches()
    assert h / w < 1.2  # the old chart was a 913×3025 strip (h/w 3.3)
    assert len([ax for ax in fig.axes if ax.axison]) == len(korea.issues)
