"""One exception hierarchy whose messages a user can act on.

Every error names where the problem is (file, line or field path), the bad value and what was expected.
The CLI prints ``str(error)`` as one line on stderr and exits with code 2.
"""

from __future__ import annotations

from typing import Any


class DetenteError(ValueError):
    """Base class of every error detente raises on bad input."""


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


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
            parts.append(str(file))
        if where:
            parts.append(str(where))
        head = ": ".join(parts)
        body = message or ""
        show_value = has_value if has_value is not None else value is not None
        if show_value:
            body = (body + ", " if body else "") + f"got {_show(value)}"
        if expected:
            body = (body + "; " if body else "") + f"expected {expected}"
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
