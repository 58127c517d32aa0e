"""Scenarios for the web app: a built-in name, an upload's id (``upload:ID``) or a whole document, never a path.

Uploads are parsed by the CLI's own readers (:func:`detente.scenario.io.load`) from a temporary folder inside the
store's upload folder, under a file name detente makes (only the suffix of the sent name is kept), so that no name
from a request reaches the file system; an error names the file as it was sent.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from detente.errors import ParameterError, ScenarioError, UnknownNameError, _show, cap

MAX_UPLOAD = 2 * 1024 * 1024
"""Bytes an uploaded scenario file may have (the built-in scenarios are below 200 kB)."""

SUFFIXES = (".yaml", ".yml", ".json", ".csv", ".tsv", ".txt", ".xlsx", ".xml")
_UPLOAD_REF = re.compile(r"upload:([0-9a-f]{12})")


def library() -> list[dict[str, str]]:
    from detente.scenario.io import library_summaries

    return [{"ref": name, "name": name, "title": title} for name, title in library_summaries()]


def resolve(ref: str, store: Any) -> Any:
    """The Scenario a reference names: a built-in scenario or ``upload:ID``."""
    from detente.scenario.io import from_dict, library_names, load

    names = library_names()
    if ref in names:
        return load(ref)
    m = _UPLOAD_REF.fullmatch(ref)
    if m:
        up = store.get_upload(m.group(1))
        return from_dict(up["content"], up["filename"])
    raise UnknownNameError(
        f"scenario {_show(ref)}: unknown; expected a built-in scenario ({', '.join(names)}) or upload:ID"
    )


def from_document(doc: Any) -> Any:
    """A scenario sent whole, in the file schema (as ``detente show --format json`` writes it)."""
    from detente.scenario.io import from_dict

    if not isinstance(doc, dict):
        raise ScenarioError("expected a scenario object (the file schema)", file="<document>", value=type(doc).__name__)
    return from_dict(doc, "<document>", check_salience_scale=True)


def scenario_of(ref: str | None, document: Any, store: Any, variants: Sequence[str] = (), sets: Sequence[str] = (),
                as_of: str | None = None) -> Any:
    """The scenario of a request (``scenario`` or ``document``), its events up to ``as_of``, then variants and sets."""
    from detente.whatif import what_if

    if (ref is None) == (document is None):
        raise ParameterError("expected either 'scenario' (a name or upload:ID) or 'document' (a whole scenario)")
    s = resolve(ref, store) if ref is not None else from_document(document)
    if as_of is not None:
        from detente.interventions import as_of as after_events

        s = after_events(s, as_of)
    return what_if(s, list(variants), list(sets))


def parse_upload(data: bytes, filename: str, workdir: Path, input_format: str | None = None) -> Any:
    """The scenario in an uploaded file's bytes, read by :func:`detente.scenario.io.load` (format detection and
    every check as on the command line)."""
    from detente.errors import DetenteError
    from detente.scenario.io import load

    shown = cap(Path(filename or "upload").name, 120) or "upload"
    if len(data) > MAX_UPLOAD:
        raise ScenarioError("file too large", file=shown, value=f"{len(data)} bytes", expected=f"at most {MAX_UPLOAD} bytes")
    suffix = Path(shown).suffix.lower()
    if suffix not in SUFFIXES:
        raise ScenarioError("unknown file type", file=shown, value=suffix or "(no suffix)",
                            expected=f"a file ending in {', '.join(SUFFIXES)}")
    workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=workdir, prefix="upload-") as tmp:
        path = Path(tmp) / f"scenario{suffix}"
        path.write_bytes(data)
        try:
            return load(str(path), input_format)
        except DetenteError as e:
            raise type(e)(str(e).replace(str(path), shown)) from None
