"""The claims scorecard in the web app and the report, through the library's :mod:`detente.claims` where this version
has it: the scenario's precomputed result (``detente.claims.shipped``) and its one-page HTML
(``detente.claims.page.html_page``), the same ``detente claims`` prints.

Without that package the endpoint answers 404 with one line saying so, and the page shows that line.
"""

from __future__ import annotations

import importlib
from typing import Any

from detente.errors import UnknownNameError, _show

NOT_AVAILABLE = "the claims scorecard is not available in this version of detente"


def _claims() -> Any:
    try:
        module = importlib.import_module("detente.claims")
    except ImportError:
        return None
    return module if callable(getattr(module, "shipped", None)) else None


def available() -> bool:
    return _claims() is not None


def document(scenario: Any) -> dict[str, Any]:
    """The scorecard of a scenario (a Scenario) as ``detente claims --format json`` writes it."""
    claims = _claims()
    if claims is None:
        raise UnknownNameError(NOT_AVAILABLE)
    doc = claims.shipped(scenario)
    if doc is None:
        raise UnknownNameError(
            f"scenario {_show(scenario.name)}: no precomputed claims scorecard; `detente claims {scenario.name} "
            "--recompute` computes one"
        )
    return dict(doc)


def scorecard(ref: str) -> dict[str, Any]:
    """The scorecard of a built-in scenario, as a JSON document."""
    from detente.scenario.io import library_names, load

    if not available():
        raise UnknownNameError(NOT_AVAILABLE)
    if ref not in library_names():
        raise UnknownNameError(f"scenario {_show(ref)}: unknown; expected one of {', '.join(library_names())}")
    return document(load(ref))


def page(doc: dict[str, Any]) -> str | None:
    """The scorecard's one-page HTML (its charts inline), where this version draws one."""
    try:
        module = importlib.import_module("detente.claims.page")
    except ImportError:
        return None
    html_page = getattr(module, "html_page", None)
    return html_page(doc) if callable(html_page) else None
