"""``yaml`` and ``json``: the scenario schema (:mod:`detente.scenario.schema`) as a YAML or JSON document.

YAML is read as YAML 1.2 from libyaml's event stream (see :func:`parse_yaml`): aliases, duplicate keys and non-plain
tags are refused. JSON is read without NaN/Infinity, duplicate keys or integers of unbounded length. Saliences are
points 0–100 unless the file declares ``salience_scale: 1``; a file whose saliences all lie in [0, 1] and that
declares nothing is refused as ambiguous.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

import yaml

from detente.errors import ScenarioError
from detente.scenario.formats.document import from_dict, to_dict
from detente.scenario.formats.text import decode_text, gc_paused
from detente.scenario.schema import Scenario

MAX_DIGITS = 400
"""Longest integer literal read (a float holds at most 309 integer digits; longer literals are refused)."""


_YamlBase: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's C parser where PyYAML was built with it


_STR, _INT, _FLOAT, _BOOL, _NULL = (f"tag:yaml.org,2002:{k}" for k in ("str", "int", "float", "bool", "null"))


_SEQ, _MAP = "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"


_PLAIN = re.compile(
    r"(?P<null>~|null|Null|NULL|)"
    r"|(?P<bool>true|True|TRUE|false|False|FALSE)"
    r"|(?P<int>[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)"
    r"|(?P<float>[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))"
)


def _line(event: Any) -> str:
    return f"line {event.start_mark.line + 1}"


def _yaml_scalar(ev: Any, tags: dict[str, str]) -> Any:
    text, tag = ev.value, ev.tag
    if tag is None or tag == "!":
        if not ev.implicit[0]:
            return text  # quoted and block scalars are strings
        tag = tags.get(text)
        if tag is None:
            m = _PLAIN.fullmatch(text)
            tag = f"tag:yaml.org,2002:{m.lastgroup}" if m and m.lastgroup else _STR
            if len(tags) < 65536:
                tags[text] = tag
    if tag == _STR:
        return text
    if tag == _INT:
        digits = text.lstrip("+-")
        if len(digits) > MAX_DIGITS:
            raise ScenarioError(
                f"integer of {len(digits)} digits",
                where=_line(ev),
                value=text,
                expected=f"a number of at most {MAX_DIGITS} digits",
            )
        if digits.startswith(("0o", "0x")):
            return int(digits[2:], 8 if digits[1] == "o" else 16)
        return int(text, 10)
    if tag == _FLOAT:
        low = text.lower()
        if low.endswith(".inf"):
            return -math.inf if low.startswith("-") else math.inf
        return math.nan if low == ".nan" else float(text)
    if tag == _BOOL:
        return text.lower() == "true"
    if tag == _NULL:
        return None
    raise _unsupported_tag(ev, tag)


def _unsupported_tag(ev: Any, tag: str) -> ScenarioError:
    return ScenarioError(
        "unsupported YAML tag", where=_line(ev), value=tag, expected="plain values: strings, numbers, true/false, null"
    )


_NO_KEY: Any = object()


def _yaml_data(events: Iterator[Any]) -> Any:
    """Plain data from libyaml's event stream (no node tree is kept): aliases and duplicate keys refused."""
    tags: dict[str, str] = {}
    root: list[Any] = []
    stack: list[Any] = []  # open collections
    keys: list[Any] = []  # per open collection: the mapping key waiting for its value (_NO_KEY: none)
    documents = 0

    def add(value: Any, ev: Any) -> None:
        if not stack:
            root.append(value)
            return
        top = stack[-1]
        if top.__class__ is list:
            top.append(value)
        elif keys[-1] is _NO_KEY:
            if isinstance(value, (list, dict)):
                raise ScenarioError(
                    "a collection as a mapping key", where=_line(ev), expected="a plain key (a string or number)"
                )
            if value in top:
                raise ScenarioError(
                    "duplicate key", where=_line(ev), value=value, expected="each key once in a mapping (YAML 1.2)"
                )
            keys[-1] = value
        else:
            top[keys[-1]] = value
            keys[-1] = _NO_KEY

    for ev in events:
        cls = ev.__class__
        if cls is yaml.ScalarEvent:
            add(_yaml_scalar(ev, tags), ev)
        elif cls is yaml.MappingStartEvent or cls is yaml.SequenceStartEvent:
            if ev.tag not in (None, "!", _MAP if cls is yaml.MappingStartEvent else _SEQ):
                raise _unsupported_tag(ev, ev.tag)
            new: Any = {} if cls is yaml.MappingStartEvent else []
            add(new, ev)
            stack.append(new)
            keys.append(_NO_KEY)
        elif cls is yaml.MappingEndEvent or cls is yaml.SequenceEndEvent:
            stack.pop()
            keys.pop()
        elif cls is yaml.AliasEvent:
            raise ScenarioError(
                "YAML aliases are not allowed",
                where=_line(ev),
                value=f"*{ev.anchor}",
                expected="plain values (anchors and aliases are refused)",
            )
        elif cls is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise ScenarioError("a second YAML document", where=_line(ev), expected="one document per file")
    return root[0] if root else None


def parse_yaml(text: str, file: str) -> Any:
    """A YAML document as plain data; errors name ``file``.

    YAML 1.2 core schema (not PyYAML's 1.1): ``010`` is 10, ``1:30`` and ``2019-02-28`` are strings, only
    ``true``/``false`` are booleans, ``0o``/``0x`` prefix octal and hexadecimal. A key given twice in a mapping is an
    error (YAML 1.2 forbids it; PyYAML keeps the last). Aliases are refused (no "billion laughs" alias bombs); only
    plain tags are read (no object construction). libyaml's C parser reads the document and bounds its nesting.
    """
    try:
        with gc_paused():
            return _yaml_data(yaml.parse(text, Loader=_YamlBase))
    except ScenarioError as e:
        raise ScenarioError(e.message, file=file, where=e.where, has_value=False) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        raise ScenarioError(
            f"invalid YAML ({e.problem or e.context})", file=file, where=where, expected="a complete YAML document"
        ) from None
    except yaml.YAMLError as e:
        raise ScenarioError(f"invalid YAML ({e})", file=file) from None
    except RecursionError:
        raise ScenarioError("YAML nested too deeply", file=file, expected="a scenario document") from None


def parse_json(text: str, file: str) -> Any:
    """A JSON document as plain data (no NaN/Infinity, no duplicate keys, integers of bounded length)."""

    def bad_constant(c: str) -> Any:
        raise ScenarioError("non-finite number", file=file, value=c, expected="a finite number")

    def parse_int(s: str) -> int:
        if len(s.lstrip("-")) > MAX_DIGITS:
            raise ScenarioError(
                f"integer of {len(s)} digits", file=file, value=s, expected=f"a number of at most {MAX_DIGITS} digits"
            )
        return int(s)

    def no_dupes(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(pairs)
        if len(out) != len(pairs):
            seen: set[str] = set()
            for k, _ in pairs:
                if k in seen:
                    raise ScenarioError("duplicate key", file=file, value=k, expected="each key once in an object")
                seen.add(k)
        return out

    try:
        return json.loads(text, parse_constant=bad_constant, parse_int=parse_int, object_pairs_hook=no_dupes)
    except json.JSONDecodeError as e:
        raise ScenarioError(
            f"invalid JSON ({e.msg})",
            file=file,
            where=f"line {e.lineno}, column {e.colno}",
            expected="a complete JSON document",
        ) from None
    except RecursionError:
        raise ScenarioError("JSON nested too deeply", file=file, expected="a scenario document") from None


def read_yaml(data: bytes, file: str) -> Scenario:
    return from_dict(parse_yaml(decode_text(data, file), file), file, check_salience_scale=True)


def read_json(data: bytes, file: str) -> Scenario:
    return from_dict(parse_json(decode_text(data, file), file), file, check_salience_scale=True)


def write_yaml(scenario: Scenario) -> str:
    return yaml.safe_dump(to_dict(scenario), sort_keys=False, allow_unicode=True, width=120)


def write_json(scenario: Scenario) -> str:
    return json.dumps(to_dict(scenario), indent=2, ensure_ascii=False)
