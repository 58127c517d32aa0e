"""The claims scorecard in the web app, through the library's ``detente.claims.scorecard`` where this version has it.

Without it the endpoint answers 404 with one line saying so, and the page shows that line.
"""

from __future__ import annotations

import importlib
from typing import Any

from detente.errors import UnknownNameError

NOT_AVAILABLE = "the claims scorecard is not available in this version of detente"


def available() -> bool:
    try:
        module = importlib.import_module("detente.claims")
    except ImportError:
        return False
    return callable(getattr(module, "scorecard", None))


def scorecard(ref: str) -> dict[str, Any]:
    """The scorecard of a built-in scenario's claims, as a JSON document."""
    if not available():
        raise UnknownNameError(NOT_AVAILABLE)
    from detente.claims import scorecard as run  # type: ignore[attr-defined]
    from detente.scenario.io import library_names, load

    if ref not in library_names():
        raise UnknownNameError(f"scenario {ref[:80]!r}: unknown; expected one of {', '.join(library_names())}")
    result = run(load(ref))
    doc = result.to_dict() if hasattr(result, "to_dict") else result
    return dict(doc)
