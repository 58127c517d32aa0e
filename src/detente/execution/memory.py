"""Memory limits: parse ``--max-memory``, the default limit, and the one-line refusal when an estimate exceeds it.

Heavy commands estimate their peak memory before they start (what they keep for the whole run plus what the blocks
in flight need) and refuse with :class:`MemoryLimitError` — the estimate, the limit and what would help — instead of
growing until the machine swaps or numpy raises ``MemoryError``. The default limit is half the machine's physical
memory; ``--max-memory 4GB`` (or ``max_memory=``) sets another.
"""

from __future__ import annotations

import os
import re

from detente.errors import DetenteError

__all__ = ["MemoryLimitError", "check_memory", "default_limit", "format_bytes", "parse_size", "resolve_limit"]

_UNITS = {
    "": 1,
    "b": 1,
    "k": 10**3,
    "kb": 10**3,
    "m": 10**6,
    "mb": 10**6,
    "g": 10**9,
    "gb": 10**9,
    "t": 10**12,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}
_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)\s*([A-Za-z]*)\s*$")


class MemoryLimitError(DetenteError):
    """A run whose estimated memory exceeds the limit (refused before it starts)."""


def parse_size(text: str | int | float) -> int:
    """``"2GB"`` → 2·10⁹ bytes; also ``"1.5GiB"``, ``"500M"``, ``"1e9"``, a plain number of bytes."""
    if isinstance(text, bool):
        raise DetenteError(f"`max_memory` {text!r}: expected a size such as 2GB, 512MiB or 1e9")
    if isinstance(text, (int, float)):
        value, unit = float(text), ""
    else:
        m = _SIZE.match(str(text))
        if not m or m.group(2).lower() not in _UNITS:
            shown = str(text) if len(str(text)) <= 40 else str(text)[:37] + "..."
            raise DetenteError(f"`max_memory` {shown!r}: expected a size such as 2GB, 512MiB or 1e9 (bytes)")
        value, unit = float(m.group(1)), m.group(2).lower()
    size = value * _UNITS[unit]
    if not size >= 1 or size != size or size == float("inf"):
        raise DetenteError(f"`max_memory` {text!r}: expected a positive size such as 2GB")
    return int(size)


def machine_memory() -> int:
    """Physical memory of this machine in bytes (8 GB when the OS does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 8 * 10**9


def default_limit() -> int:
    """Half the machine's physical memory."""
    return machine_memory() // 2


def resolve_limit(max_memory: str | int | float | None) -> int:
    return default_limit() if max_memory is None else parse_size(max_memory)


def format_bytes(n: float) -> str:
    """``1234567`` → ``'1.2 MB'`` (decimal units)."""
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{int(n)} B"


def check_memory(need: float, limit: int, what: str, hint: str) -> None:
    """Refuse (one line) when ``need`` bytes exceed ``limit``: names the work, the estimate, the limit, and a remedy."""
    if need > limit:
        raise MemoryLimitError(
            f"{what} needs about {format_bytes(need)} of memory, over the limit of {format_bytes(limit)} "
            f"(`max_memory`); {hint}"
        )
