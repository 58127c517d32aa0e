"""Library arguments and the command line's options: errors of the library name a function's argument; the command
line (and the web app, which shows the command line's messages) names its option instead.

Library errors name an argument in backticks (```max_memory` 'lots': …``), or begin with its name, or (a scenario
error) give it as their ``where``; :func:`with_options` rewrites them with the option: ``--max-memory 'lots': …``.
"""

from __future__ import annotations

from collections.abc import Mapping

from detente.errors import DetenteError, ScenarioError

__all__ = ["COMMON_OPTIONS", "LOAD_OPTIONS", "with_options"]

LOAD_OPTIONS = {"input_format": "--input-format", "scale": "--scale"}
"""The options that give :func:`detente.load`'s arguments."""

COMMON_OPTIONS = {
    "max_memory": "--max-memory",
    "workers": "--workers",
    "scheduler": "--scheduler",
    "chunk": "--chunk",
    "sets": "--set",
    "variants": "--variant",
    "params": "--param",
    "paths": "--paths",
    "rule": "--rule",
    "device": "--device",
}
"""Library arguments that many commands give as these options: the CLI's ``guarded()`` names the option wherever an error
names the argument in backticks (```max_memory` 'lots': …`` → ``--max-memory 'lots': …``)."""


def with_options(e: DetenteError, options: Mapping[str, str], *, quoted_only: bool = False) -> DetenteError:
    """A library error with the function arguments it names given as the command line's options
    (``input_format`` → ``--input-format``): an argument named in backticks in the text, and unless ``quoted_only``
    an error that begins with the argument's name or a scenario error whose ``where`` is the argument."""
    if isinstance(e, ScenarioError) and not quoted_only:
        where = options.get(e.where or "", e.where)
        message = e.message
        for argument, option in options.items():
            message = message.replace(f"`{argument}`", option)
        if where == e.where and message == e.message:
            return e
        new = ScenarioError(message, file=e.file, where=where, has_value=False)
        new.value, new.expected = e.value, e.expected
        return new
    text = new_text = str(e)
    for argument, option in options.items():
        if not quoted_only and new_text.startswith((f"{argument} ", f"{argument}:")):
            new_text = option + new_text[len(argument) :]
        new_text = new_text.replace(f"`{argument}`", option)
    if new_text == text:
        return e
    try:
        return type(e)(new_text)
    except TypeError:  # a subclass built from other arguments
        return DetenteError(new_text)
