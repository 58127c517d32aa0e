"""Short text and HTML summaries of detente's objects for terminals and notebooks.

Every result class (and :class:`~detente.scenario.schema.Scenario`) describes itself as a :class:`Summary`: a title,
a few labelled facts and at most one small table. :func:`text` makes the one-line ``repr`` of it and :func:`html`
the ``_repr_html_`` that Jupyter shows: a compact table, every string escaped.

>>> s = Summary("Forecast", [("model", "compromise"), ("issues", "3")])
>>> text(s)
'<Forecast model=compromise issues=3>'
>>> "<b>Forecast</b>" in html(s)
True

A result class inherits both from :class:`SummaryRepr` and writes only its ``_summary()`` (a dataclass needs
``repr=False``, or the dataclass machinery writes its own ``__repr__`` over the inherited one).
"""

from __future__ import annotations

import html as _html
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Summary", "SummaryRepr", "fmt", "html", "text"]

TEXT_LIMIT = 400
"""The longest ``repr``: longer ones are cut at a fact boundary and end with ``…``."""
ROW_LIMIT = 12
"""The most table rows ``_repr_html_`` shows; the rest are counted in a line under the table."""


@dataclass
class Summary:
    """A title, labelled facts (label, value as text) and an optional table (header, rows of text)."""

    title: str
    facts: Sequence[tuple[str, str]] = field(default_factory=list)
    header: Sequence[str] = ()
    rows: Sequence[Sequence[str]] = field(default_factory=list)


def fmt(x: Any, digits: int = 3) -> str:
    """A number as text with ``digits`` significant digits (``nan`` and ``None`` as ``–``); other values via str."""
    if x is None:
        return "–"
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int):
        return str(x)
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if not math.isfinite(v):
        return "–"
    return f"{v:.{digits}g}" if abs(v) < 1e6 else f"{v:.3e}"


def _clip(s: str, n: int = 60) -> str:
    s = " ".join(str(s).split())
    return s if len(s) <= n else s[: n - 1] + "…"


def text(s: Summary) -> str:
    """One line ``<Title label=value …>`` of at most :data:`TEXT_LIMIT` characters."""
    out = f"<{s.title}"
    for label, value in s.facts:
        part = f" {label}={_clip(value)}"
        if len(out) + len(part) + 3 > TEXT_LIMIT:
            out += " …"
            break
        out += part
    return out + ">"


def _numeric(v: str) -> bool:
    try:
        float(v.replace("–", "nan"))
    except ValueError:
        return False
    return True


def _cells(tag: str, values: Iterable[str]) -> str:
    """Cells, text left-aligned and numbers right-aligned (as a reader scans them)."""
    return "".join(
        f"<{tag}>{_html.escape(str(v))}</{tag}>" if tag == "th" or _numeric(str(v))
        else f'<{tag} style="text-align:left">{_html.escape(str(v))}</{tag}>'
        for v in values
    )


def html(s: Summary) -> str:
    """A ``<div>`` with the title, the facts as a two-column table and the table (first :data:`ROW_LIMIT` rows)."""
    parts = [f'<div class="detente-summary"><p><b>{_html.escape(s.title)}</b></p>']
    if s.facts:
        parts.append('<table class="detente-facts">')
        for label, value in s.facts:
            parts.append(f'<tr><th style="text-align:left">{_html.escape(label)}</th>'
                         f'<td style="text-align:left">{_html.escape(_clip(value, 200))}</td></tr>')
        parts.append("</table>")
    if s.header:
        parts.append('<table class="detente-table"><thead><tr>' + _cells("th", s.header) + "</tr></thead><tbody>")
        for row in s.rows[:ROW_LIMIT]:
            parts.append("<tr>" + _cells("td", (_clip(c, 80) for c in row)) + "</tr>")
        parts.append("</tbody></table>")
        if len(s.rows) > ROW_LIMIT:
            parts.append(f"<p>… {len(s.rows) - ROW_LIMIT} more rows</p>")
    parts.append("</div>")
    return "".join(parts)


class SummaryRepr:
    """``repr`` and ``_repr_html_`` of a class from its ``_summary()`` (:func:`text` and :func:`html` of it).

    >>> class Point(SummaryRepr):
    ...     def _summary(self) -> Summary:
    ...         return Summary("Point", [("x", "1")])
    >>> Point()
    <Point x=1>
    """

    def _summary(self) -> Summary:
        raise NotImplementedError(f"{type(self).__name__} does not describe itself (no _summary)")

    def __repr__(self) -> str:
        return text(self._summary())

    def _repr_html_(self) -> str:
        return html(self._summary())


def frame_rows(df: Any, columns: Sequence[str] | None = None, digits: int = 3) -> tuple[list[str], list[list[str]]]:
    """Header and text rows of a DataFrame (``columns`` in that order where present)."""
    cols = [c for c in (columns or list(df.columns)) if c in df.columns]
    rows = [[fmt(v, digits) for v in rec] for rec in df[cols].itertuples(index=False, name=None)]
    return [str(c) for c in cols], rows


def listed(items: Sequence[Any], limit: int = 6) -> str:
    """``a, b, c`` (first ``limit`` items, then ``+N``)."""
    head = ", ".join(str(x) for x in items[:limit])
    return head + (f", +{len(items) - limit}" if len(items) > limit else "")


def scale_caption(scales: Mapping[str, Sequence[float]]) -> str:
    """The scales of a provenance's ``scales`` in one caption line: ``scale 0–100 on every issue`` or per issue."""
    spans = {(float(lo), float(hi)) for lo, hi in scales.values()}
    if len(spans) == 1:
        lo, hi = next(iter(spans))
        return f"scale {lo:g}–{hi:g}" + (" on every issue" if len(scales) > 1 else "")
    return "scales: " + ", ".join(f"{iid} {float(lo):g}–{float(hi):g}" for iid, (lo, hi) in scales.items())
