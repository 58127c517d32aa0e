"""Text tables that fit the terminal without cutting a number.

A rich :class:`~rich.table.Table` wider than the terminal is shown, in this order of preference:

1. as it is, with its text columns wrapped at word boundaries (numbers never wrap);
2. split into several tables over its columns, each repeating the first (key) column — like a printed wide data frame;
3. vertical: one ``column: value`` row per cell, a block per record (when even the key and one column are too wide).

Files written with ``--out FILE.txt`` keep whole tables at their natural width.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

__all__ = ["column", "fit", "terminal_width", "text_of"]

_NUMERIC = re.compile(r"^[\s\d.,:;%()\[\]+\-−–—✗~‡×±/<>=≥≤*e|]*$")
"""A cell that is a number (with signs, marks, brackets or units): never wrapped, never cut."""


def column(values: Sequence[Any], digits: int = 3, missing: str = "—") -> list[str]:
    """A column of numbers with one number of decimals, enough for ``digits`` significant digits of its largest value.

    >>> column([68.70989, 15.0, 9.1])
    ['68.7', '15.0', '9.1']
    >>> column([0.05321, 0.5, None])
    ['0.053', '0.500', '—']
    """
    import math

    finite = [abs(float(v)) for v in values if v is not None and math.isfinite(float(v))]
    top = max(finite, default=0.0)
    decimals = 0 if top == 0 else min(6, max(0, digits - 1 - math.floor(math.log10(top))))
    def one(v: Any) -> str:
        if v is None or not math.isfinite(float(v)):
            return missing
        text = f"{float(v):.{decimals}f}"
        return f"{0.0:.{decimals}f}" if float(text) == 0 else text  # no "-0.00"

    return [one(v) for v in values]


def terminal_width() -> int:
    """The terminal's width now (``COLUMNS`` wins; 80 when stdout is not a terminal)."""
    return Console().width


def _plain(cell: Any) -> str:
    if isinstance(cell, Text):
        return cell.plain
    if isinstance(cell, str):
        try:
            return Text.from_markup(cell).plain
        except Exception:  # noqa: BLE001 - not markup: the text as it is
            return cell
    return str(cell)


def _numeric(column: Any) -> bool:
    cells = [_plain(c) for c in column.cells]
    return bool(cells) and all(_NUMERIC.match(c) for c in cells)


def _copy(t: Table, columns: Sequence[int], *, title: Any = None, caption: Any = None) -> Table:
    new = Table(
        title=title, caption=caption, box=t.box, show_header=t.show_header, header_style=t.header_style,
        pad_edge=t.pad_edge, show_lines=t.show_lines, padding=t.padding, collapse_padding=t.collapse_padding,
        show_edge=t.show_edge, leading=t.leading, title_style=t.title_style, caption_style=t.caption_style,
        title_justify=t.title_justify, caption_justify=t.caption_justify, show_footer=t.show_footer,
    )
    cells = []
    for k in columns:
        c = t.columns[k]
        new.add_column(c.header, c.footer, justify=c.justify, style=c.style, header_style=c.header_style,
                       no_wrap=c.no_wrap, overflow=c.overflow, min_width=c.min_width, vertical=c.vertical)
        cells.append(list(c.cells))
    for r, row in enumerate(t.rows):
        new.add_row(*[col[r] for col in cells], style=row.style, end_section=row.end_section)
    return new


def _measure(console: Console, t: Table) -> Measurement:
    return Measurement.get(console, console.options.update(width=100_000), t)


_EMOJI = re.compile(r":\S+:")
"""What rich may replace by an emoji (``:smile:``), changing a cell's width: such tables are measured by rich."""


def _widths(t: Table) -> tuple[int, int]:
    """``(natural, least)``: the sum of the columns' widths unwrapped, and with prose wrapped at words."""
    from rich.cells import cell_len

    natural, least = 0, 0
    for c in t.columns:
        texts = [_plain(c.header), *(_plain(x) for x in c.cells)]
        full = max((cell_len(line) for x in texts for line in x.splitlines() or [""]), default=0)
        natural += full
        if c.no_wrap:
            least += full
        else:
            least += min(full, max((cell_len(w) for x in texts for w in x.split()), default=0))
    return natural, least


def _plain_text(t: Table) -> bool:
    """Whether ``t``'s widths are its cells' text widths plus borders and padding (what :func:`_overhead` measures):
    text cells only, headers shown (their widths count), no footers, no column or table widths, no emoji codes."""
    if t.width is not None or t.min_width is not None or t.show_footer or not t.show_header:
        return False
    for c in t.columns:
        if c.width is not None or c.min_width is not None or c.max_width is not None or c.ratio is not None:
            return False
        for x in (c.header, *c.cells):
            if not isinstance(x, (str, Text)) or _EMOJI.search(x if isinstance(x, str) else x.plain):
                return False
    return True


def _overhead(console: Console, t: Table) -> int:
    """Borders and padding of ``t``: the width rich gives a table of its columns whose cells are all empty."""
    skeleton = Table(
        box=t.box, show_header=t.show_header, pad_edge=t.pad_edge, show_lines=t.show_lines, padding=t.padding,
        collapse_padding=t.collapse_padding, show_edge=t.show_edge, leading=t.leading,
    )
    for _ in t.columns:
        skeleton.add_column("")
    skeleton.add_row(*["" for _ in t.columns])
    return _measure(console, skeleton).maximum


def _maximum(console: Console, t: Table) -> int:
    """``t``'s natural width (as rich measures it; summed from its cells' widths for a plain text table, which
    measuring every cell again through rich for each trial split made about a quarter of a small forecast's time)."""
    if _plain_text(t):
        return _widths(t)[0] + _overhead(console, t)
    return _measure(console, t).maximum


def _need(console: Console, t: Table) -> int:
    """The narrowest width ``t`` takes with names and numbers whole and prose wrapped at words."""
    natural, least = _widths(t)
    if _plain_text(t):
        return _overhead(console, t) + least
    return _measure(console, t).maximum - natural + least


def _vertical(t: Table) -> Table:
    v = Table("column", "value", title=t.title, caption=t.caption, box=t.box, show_header=False, pad_edge=t.pad_edge)
    v.columns[1].overflow = "fold"
    cols = [list(c.cells) for c in t.columns]
    heads = [_plain(c.header) for c in t.columns]
    for r in range(t.row_count):
        for k, col in enumerate(cols):
            v.add_row(heads[k], col[r], end_section=k == len(cols) - 1)
    return v


def fit(t: Any, width: int, console: Console | None = None) -> list[Any]:
    """``t`` as tables no wider than ``width`` whose number cells are whole (anything not a Table is returned as is)."""
    if not isinstance(t, Table) or not t.columns:
        return [t]
    console = console or Console(width=width, file=io.StringIO())
    if _maximum(console, t) <= width:
        return [t]
    numeric = [_numeric(c) for c in t.columns]
    for c, num in zip(t.columns, numeric, strict=True):
        # numbers and names stay whole; prose (cells with spaces) wraps at words, folding a word longer than the column
        prose = not num and any(" " in _plain(x).strip() for x in c.cells)
        c.no_wrap, c.overflow = (False, "fold") if prose else (True, "ignore")
    if _need(console, t) <= width:
        return [t]
    # the key: the leading columns of names (at least the first), repeated in every part
    key = [0]
    while len(key) < len(t.columns) - 1 and not numeric[len(key)]:
        if _need(console, _copy(t, [*key, len(key)])) > width // 2:
            break
        key.append(len(key))
    groups: list[list[int]] = []
    group: list[int] = []
    for k in range(len(key), len(t.columns)):
        if _need(console, _copy(t, [*key, *group, k])) <= width:
            group.append(k)
        elif group and _need(console, _copy(t, [*key, k])) <= width:
            groups.append(group)
            group = [k]
        else:
            return [_vertical(t)]
    if group:
        groups.append(group)
    out = []
    for g, cols in enumerate(groups):
        title = t.title if g == 0 else (f"{_plain(t.title)} (continued)" if t.title else None)
        out.append(_copy(t, [*key, *cols], title=title, caption=t.caption if g == len(groups) - 1 else None))
    return out


def text_of(items: Sequence[Any], width: int | None) -> str:
    """Plain text of tables and strings: fitted to ``width``, or whole tables at their natural width when None."""
    items = [it for it in items if it is not None]
    if width is None:
        probe = Console(file=io.StringIO(), width=160)
        whole = [t for t in items if isinstance(t, Table) and all(c.no_wrap for c in t.columns)]
        need = max((_measure(probe, t).maximum for t in whole), default=0)
        width = max(160, need)
        fitted = items
    else:
        probe = Console(file=io.StringIO(), width=width)
        fitted = [f for it in items for f in fit(it, width, probe)]
    buf = io.StringIO()
    c = Console(file=buf, width=width, force_terminal=False, color_system=None, no_color=True)
    for it in fitted:
        c.print(it)
    return buf.getvalue()
