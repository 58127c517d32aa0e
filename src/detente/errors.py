"""One exception hierarchy whose messages a user can act on.

Every error names where the problem is (file, line or field path), the bad value and what was expected.
The CLI prints ``str(error)`` as one line on stderr and exits with code 2.

Whatever an error echoes of the input is capped here, in the one place errors are formatted: a value to
:data:`VALUE_CHARS` characters, every other part (file, place, message, expectation) to :data:`PART_CHARS`, the whole
line to :data:`LINE_CHARS`; line breaks and other control characters are escaped so that an error is one line.
"""

from __future__ import annotations

import re
from typing import Any

VALUE_CHARS = 80
PART_CHARS = 300
LINE_CHARS = 1000

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def cap(text: str, limit: int = PART_CHARS) -> str:
    """``text`` on one line (control characters escaped) and at most ``limit`` characters (the cut is marked)."""
    text = _CONTROL.sub(lambda m: repr(m.group())[1:-1], str(text))
    if len(text) <= limit:
        return text
    keep = max(limit - 40, 1)
    return text[:keep] + f"… [{len(text) - keep} characters cut]"


class DetenteError(ValueError):
    """Base class of every error detente raises on bad input. ``str()`` is one line of bounded length."""

    def __str__(self) -> str:
        return cap(super().__str__(), LINE_CHARS)


def field_path(loc: tuple[Any, ...]) -> str:
    """A pydantic error location as the field path messages name: ``("stances", 3, "salience")`` →
    ``stances[3].salience``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _show(value: Any) -> str:
    if isinstance(value, (str, bytes)) and len(value) > VALUE_CHARS:  # never repr a huge string whole
        return cap(repr(value[: VALUE_CHARS - 40]), VALUE_CHARS - 30) + f"… [{len(value)} characters]"
    if isinstance(value, (list, tuple, set, dict)) and len(value) > 20:
        items = list(value)[:20]
        return cap(repr(items)[:-1] + f", … {len(value) - 20} more]", VALUE_CHARS)
    return cap(repr(value), VALUE_CHARS)


class ScenarioError(DetenteError):
    """An invalid scenario file or scenario value.

    ``file`` is the path (or ``<name>`` for in-memory data), ``where`` a field path such as
    ``stances[3].position`` or ``line 12``, ``value`` the offending value and ``expected`` what would be valid.
    """

    def __init__(
        self,
        message: str | None = None,
        *,
        file: str | None = None,
        where: str | None = None,
        value: Any = None,
        expected: str | None = None,
        has_value: bool | None = None,
    ) -> None:
        self.file = file
        self.where = where
        self.value = value
        self.expected = expected
        parts: list[str] = []
        if file:
            parts.append(cap(file))
        if where:
            parts.append(cap(where))
        head = ": ".join(parts)
        body = cap(message) if message else ""
        show_value = has_value if has_value is not None else value is not None
        if show_value:
            body = (body + ", " if body else "") + f"got {_show(value)}"
        if expected:
            body = (body + "; " if body else "") + f"expected {cap(expected)}"
        self.message = body
        super().__init__(f"{head}: {body}" if head else body)

    def located(self, file: str) -> ScenarioError:
        """The same error with ``file`` filled in (used when an in-memory check learns the file name)."""
        if self.file:
            return self
        return ScenarioError(self.message, file=file, where=self.where, value=None, expected=None, has_value=False)


class ParameterError(DetenteError):
    """An unknown or invalid model / experiment parameter."""


class UnknownNameError(DetenteError):
    """A model, scenario, preset, variant or experiment name that does not exist."""
