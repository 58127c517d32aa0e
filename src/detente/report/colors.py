"""One colour per actor, the same in every chart of a scenario.

The palette is Paul Tol's qualitative "muted" scheme (Tol 2021, *Colour schemes*, SRON/EPS/TN/09-002) with its
grey left out: nine hues of similar lightness, told apart by readers with colour-vision deficiencies, and without the
light/dark pairs of matplotlib's ``tab20`` that suggest groupings the data do not have. Actor *k* in the scenario's
actor order gets hue *k* mod 9; past nine actors the line style changes (solid, dashed, dotted, dash-dot) so that
no two actors share both.

>>> style = actor_styles(["us", "dprk", "rok"])
>>> style["dprk"]["color"]
'#88CCEE'
>>> actor_styles(["us", "dprk", "rok"])["dprk"] == actor_styles(["us", "dprk", "rok", "china"])["dprk"]
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

PALETTE = ("#CC6677", "#88CCEE", "#DDCC77", "#117733", "#332288", "#AA4499", "#44AA99", "#999933", "#882255")
"""Tol's muted qualitative palette without its grey (kept for 'no data')."""
LINESTYLES = ("-", "--", ":", "-.")
FORECAST_COLOR = "black"
OBSERVED_COLOR = "#555555"


def actor_styles(actors: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``{actor id: {"color": hex, "linestyle": str}}`` by position in ``actors`` (the scenario's actor order)."""
    n = len(PALETTE)
    return {
        str(a): {"color": PALETTE[k % n], "linestyle": LINESTYLES[(k // n) % len(LINESTYLES)]}
        for k, a in enumerate(actors)
    }
