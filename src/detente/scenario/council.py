"""The Council of the EU as a weighted voting game: vote weights by treaty period and exact power indices.

Vote weights and qualified-majority thresholds of the treaty in force on a date (public facts; the sources):

============================  =========================================================  =======  =========
period                        source                                                     total    QMV quota
============================  =========================================================  =======  =========
1995-01-01 – 2004-04-30       Art. 148(2) EC / 205(2) TEC as amended by the 1994 Act of    87       62
                              Accession (Austria, Finland, Sweden), OJ C 241, 29.8.1994
2004-05-01 – 2004-10-31       2003 Act of Accession, Art. 26 (transitional weights),      124       88
                              OJ L 236, 23.9.2003
2004-11-01 – 2006-12-31       Treaty of Nice, Protocol on enlargement Art. 3 as amended   321      232
                              by the 2003 Act of Accession, Art. 12
2007-01-01 – 2013-06-30       2005 Act of Accession (Bulgaria, Romania), Art. 22,         345      255
                              OJ L 157, 21.6.2005
2013-07-01 – 2014-10-31       2012 Act of Accession (Croatia), Art. 20, OJ L 112,         352      260
                              24.4.2012
============================  =========================================================  =======  =========

From 2014-11-01 the Treaty of Lisbon's double majority applies (Art. 16(4) TEU, Art. 238(3) TFEU: 55% of the members
representing 65% of the population, a blocking minority needs four members); it has no vote weights, so it needs
population figures (:func:`lisbon_game`). The Nice rules' extra criteria (a majority of members; 62% of the
population on request) are left out of the weighted game, as in most power-index studies of the period (Felsenthal &
Machover 2001, "The Treaty of Nice and qualified majority voting", *Social Choice and Welfare* 18).

Power indices are computed exactly by dynamic programming over the vote weights (the generating-function method of
Brams & Affuso 1976 and Mann & Shapley 1962): the number of coalitions of the other members by size and total weight,
from which a member's swings follow. Shapley & Shubik (1954), "A method for evaluating the distribution of power in
a committee system", *APSR* 48; Banzhaf (1965), "Weighted voting doesn't work", *Rutgers Law Review* 19 (the
normalised index). Under unanimity every member is pivotal in exactly the same coalitions, so both indices are equal
shares.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from detente.errors import ParameterError

MEMBER_NAMES: dict[str, str] = {
    "at": "Austria", "be": "Belgium", "bu": "Bulgaria", "cr": "Croatia", "cy": "Cyprus", "cz": "Czech Republic",
    "dk": "Denmark", "ee": "Estonia", "fi": "Finland", "fr": "France", "de": "Germany", "el": "Greece",
    "hu": "Hungary", "ie": "Ireland", "it": "Italy", "lv": "Latvia", "lt": "Lithuania", "lu": "Luxembourg",
    "mt": "Malta", "nl": "Netherlands", "pl": "Poland", "pt": "Portugal", "ro": "Romania", "si": "Slovenia",
    "sk": "Slovakia", "es": "Spain", "se": "Sweden", "uk": "United Kingdom",
}  # fmt: skip

_EU15 = {"de": 10, "fr": 10, "it": 10, "uk": 10, "es": 8, "be": 5, "el": 5, "nl": 5, "pt": 5, "at": 4, "se": 4,
         "dk": 3, "ie": 3, "fi": 3, "lu": 2}  # fmt: skip
_EU25_TRANSITIONAL = {**_EU15, "pl": 8, "cz": 5, "hu": 5, "sk": 3, "lt": 3, "lv": 3, "si": 3, "ee": 3, "cy": 2,
                      "mt": 2}  # fmt: skip
_NICE25 = {"de": 29, "fr": 29, "it": 29, "uk": 29, "es": 27, "pl": 27, "nl": 13, "be": 12, "cz": 12, "el": 12,
           "hu": 12, "pt": 12, "at": 10, "se": 10, "dk": 7, "ie": 7, "lt": 7, "sk": 7, "fi": 7, "cy": 4, "ee": 4,
           "lv": 4, "lu": 4, "si": 4, "mt": 3}  # fmt: skip
_NICE27 = {**_NICE25, "ro": 14, "bu": 10}
_NICE28 = {**_NICE27, "cr": 7}


@dataclass(frozen=True)
class Regime:
    """The Council's voting rules in one treaty period: vote weights per member and the QMV quota."""

    name: str
    start: dt.date
    end: dt.date  # inclusive
    weights: dict[str, int]
    quota: int
    source: str

    @property
    def total(self) -> int:
        return sum(self.weights.values())


REGIMES: tuple[Regime, ...] = (
    Regime("EU-15", dt.date(1995, 1, 1), dt.date(2004, 4, 30), _EU15, 62,
           "Art. 205(2) TEC as amended by the 1994 Act of Accession"),
    Regime("EU-25 transitional", dt.date(2004, 5, 1), dt.date(2004, 10, 31), _EU25_TRANSITIONAL, 88,
           "2003 Act of Accession, Art. 26"),
    Regime("Nice EU-25", dt.date(2004, 11, 1), dt.date(2006, 12, 31), _NICE25, 232,
           "Treaty of Nice enlargement protocol as amended by the 2003 Act of Accession, Art. 12"),
    Regime("Nice EU-27", dt.date(2007, 1, 1), dt.date(2013, 6, 30), _NICE27, 255,
           "2005 Act of Accession, Art. 22"),
    Regime("Nice EU-28", dt.date(2013, 7, 1), dt.date(2014, 10, 31), _NICE28, 260,
           "2012 Act of Accession, Art. 20"),
)  # fmt: skip

LISBON_START = dt.date(2014, 11, 1)


def regime_at(date: dt.date) -> Regime:
    """The weighted-voting regime in force on ``date`` (1995-01-01 to 2014-10-31)."""
    for r in REGIMES:
        if r.start <= date <= r.end:
            return r
    if date >= LISBON_START:
        raise ParameterError(
            f"decision date {date.isoformat()}: the Council votes by the Treaty of Lisbon's double majority from "
            f"{LISBON_START.isoformat()}, which has no vote weights; expected a decision before that date, or the "
            "population figures the double majority needs (capability rule 'lisbon' with a population table)"
        )
    raise ParameterError(
        f"decision date {date.isoformat()}: no Council vote weights known before {REGIMES[0].start.isoformat()}; "
        f"expected a date from {REGIMES[0].start.isoformat()}"
    )


def _counts_by_size_weight(weights: np.ndarray, total: int) -> np.ndarray:
    """c[k, w] = number of coalitions of k members with total weight w (exact int64; n ≤ 60 keeps it exact)."""
    n = len(weights)
    c = np.zeros((n + 1, total + 1), dtype=np.int64)
    c[0, 0] = 1
    for wi in weights:
        wi = int(wi)
        c[1:, wi:] += c[:-1, : total + 1 - wi].copy()
    return c


def _without(c: np.ndarray, wi: int) -> np.ndarray:
    """Remove one member of weight ``wi`` from the counts (exact deconvolution, ascending in size and weight)."""
    out = c.copy()
    for k in range(1, c.shape[0]):
        out[k, wi:] -= out[k - 1, : c.shape[1] - wi]
    return out[:-1]


def power_indices(weights: dict[str, int] | list[int], quota: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Shapley–Shubik, normalised Banzhaf) indices of the weighted game [quota; w_1, …, w_n].

    A coalition wins when its weight is at least ``quota``. Member i swings in a coalition S of others when
    w(S) < quota ≤ w(S) + w_i. Shapley–Shubik weighs a swing in an S of size k by k!(n−k−1)!/n!; Banzhaf counts
    the swings and normalises them to sum to 1.

    >>> ss, bz = power_indices([3, 2, 1, 1], 4)
    >>> [round(float(x), 4) for x in ss], [round(float(x), 4) for x in bz]
    ([0.5, 0.1667, 0.1667, 0.1667], [0.5, 0.1667, 0.1667, 0.1667])
    """
    w = np.asarray(list(weights.values()) if isinstance(weights, dict) else weights, dtype=np.int64)
    n = len(w)
    if n == 0 or np.any(w < 0):
        raise ParameterError(f"power indices: weights {w.tolist()!r}; expected at least one non-negative weight")
    total = int(w.sum())
    if not 0 < quota <= total:
        raise ParameterError(f"power indices: quota {quota}; expected 0 < quota <= the total weight {total}")
    c = _counts_by_size_weight(w, total)
    coef = np.array([math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n) for k in range(n)])
    ss = np.zeros(n)
    swings = np.zeros(n)
    cache: dict[int, tuple[float, float]] = {}
    for i, wi in enumerate(w.tolist()):
        if wi not in cache:
            ci = _without(c, wi)  # (n, total+1): coalitions of the others
            lo = max(quota - wi, 0)
            band = ci[:, lo:quota] if wi > 0 else ci[:, :0]
            cache[wi] = (float(coef @ band.sum(axis=1)), float(band.sum()))
        ss[i], swings[i] = cache[wi]
    bz = swings / swings.sum() if swings.sum() > 0 else np.full(n, 1.0 / n)
    return ss, bz


def unanimity_indices(n: int) -> np.ndarray:
    """Both indices under unanimity: every member is pivotal only for the grand coalition, so 1/n each."""
    return np.full(n, 1.0 / n)
