"""Plausible ranges of a scenario's numbers, turned into the perturbation spec that draws from them.

A number whose source pins it (``supports: size``) is held fixed. A number the source only leans on (``direction``),
a seed's claim read as a number (``claim``) or an analyst estimate carries a plausible range ``low``..``high`` in its
basis. :func:`perturbation_from_ranges` gives every such cell uniform noise of half-width
``h = max(x − low, high − x)`` (the smallest centred interval that covers the range; draws are clipped to the issue's
scale, salience to 0–100 and capability to ≥ 0) and every other cell none, so an ensemble varies exactly what is
uncertain, as far as the scenario says it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from detente.scenario.schema import Basis, Scenario


def _half_width(x: float, b: Basis | None) -> float | None:
    if b is None or b.low is None or b.high is None:
        return None
    return round(max(x - b.low, b.high - x), 6)


def perturbation_from_ranges(scenario: Scenario) -> dict[str, Any]:
    """The perturbation spec (a dict for the scenario's ``perturbation`` field) drawn from the bases' ranges."""
    rules: dict[str, list[dict[str, Any]]] = {"position": [], "salience": [], "capability": []}
    for a in scenario.actors:  # actor-wide capability ranges first: per-cell rules below win over them
        h = _half_width(a.capability, a.capability_basis)
        if h is not None:
            rules["capability"].append({"actor": a.id, "scale": h})
    for st in scenario.stances:
        for field, x, b in (
            ("position", st.position, st.position_basis),
            ("salience", st.salience, st.salience_basis),
        ):
            h = _half_width(x, b)
            if h is not None:
                rules[field].append({"actor": st.actor, "issue": st.issue, "scale": h})
        if st.capability is not None:
            h = _half_width(st.capability, st.capability_basis)
            rules["capability"].append({"actor": st.actor, "issue": st.issue, "scale": 0.0 if h is None else h})
    return {f: {"dist": "uniform", "scale": 0.0, "rules": r} for f, r in rules.items()}
