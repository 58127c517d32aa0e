"""Plain data and :class:`~detente.scenario.schema.Scenario`, both ways: :func:`from_dict` validates a mapping and
turns pydantic's first problem into one :class:`~detente.errors.ScenarioError` naming the file, the field path, the
value and what was expected; :func:`to_dict` gives the mapping every writer starts from."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from detente.errors import ScenarioError, field_path
from detente.scenario.schema import Scenario, _FieldProblem


def from_dict(doc: Any, file: str = "<dict>", *, check_salience_scale: bool = False) -> Scenario:
    """Validate a plain mapping as a Scenario, turning the first problem into a ScenarioError.

    ``check_salience_scale``: refuse a document that does not declare ``salience_scale`` although every salience lies
    in [0, 1] (the 0–1 convention of decide and BDM data read as points of 100 would change every forecast).
    """
    if doc is None:
        raise ScenarioError("empty scenario", file=file, expected="a mapping with name, issues, actors and stances")
    if not isinstance(doc, dict):
        raise ScenarioError(
            "not a scenario",
            file=file,
            value=type(doc).__name__,
            expected="a mapping with name, issues, actors and stances",
        )
    try:
        s = Scenario.model_validate(doc)
    except ValidationError as e:
        raise _from_validation(e, file, doc) from None
    if check_salience_scale and s.salience_scale is None:
        sal = [st.salience for st in s.stances]
        if max(sal) <= 1.0 and max(sal) > 0.0:
            raise ScenarioError(
                "every salience lies in [0, 1], but saliences are read as points of 100",
                file=file,
                where="stances[].salience",
                value=sorted(set(sal))[:5],
                expected="`salience_scale: 1` at the top level if they are fractions of 1, "
                "or `salience_scale: 100` if they are points of 100",
            )
    return s


def _from_validation(e: ValidationError, file: str, doc: Any) -> ScenarioError:
    err = e.errors(include_url=False)[0]
    loc = err["loc"]
    where = field_path(loc)
    ctx_err = (err.get("ctx") or {}).get("error")
    if isinstance(ctx_err, _FieldProblem):
        sub = ctx_err.where
        return ScenarioError(
            None, file=file, where=f"{where}.{sub}" if where else sub, value=ctx_err.value, expected=ctx_err.expected
        )
    typ = err["type"]
    value = err.get("input")
    if typ == "missing":
        return ScenarioError("missing required field", file=file, where=where, has_value=False)
    if typ == "extra_forbidden":
        return ScenarioError(
            "unknown field",
            file=file,
            where=where,
            value=value,
            expected="only the fields of the schema (see `detente schema`)",
        )
    if typ in ("finite_number",):
        return ScenarioError(None, file=file, where=where, value=value, expected="a finite number", has_value=True)
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    expected = _expected(typ, err, msg)
    return ScenarioError(
        None if expected else msg, file=file, where=where, value=value, expected=expected, has_value=True
    )


def _expected(typ: str, err: Any, msg: str) -> str | None:
    ctx = err.get("ctx") or {}
    if typ in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        sym = {"greater_than_equal": "≥", "greater_than": ">", "less_than_equal": "≤", "less_than": "<"}[typ]
        bound = next(iter(ctx.values()))
        return f"a number {sym} {bound}"
    if typ in ("float_parsing", "float_type", "int_parsing", "int_type"):
        return "a number"
    if typ in ("string_type",):
        return "a string"
    if typ in ("list_type",):
        return "a list"
    if typ in ("dict_type", "model_type", "model_attributes_type"):
        return "a mapping"
    if typ in ("literal_error", "enum"):
        return msg.replace("Input should be ", "")
    if typ.startswith("date"):
        return "a date YYYY-MM-DD"
    return None


def to_dict(scenario: Scenario) -> dict[str, Any]:
    """The scenario as plain data in the file schema (fields left at None are omitted)."""
    doc = scenario.model_dump(mode="json", exclude_none=True)
    if "salience_scale" not in doc and max(st.salience for st in scenario.stances) <= 1.0:
        # saved saliences that all lie in [0, 1] would be refused as ambiguous on loading: declare their unit
        doc = {
            **{k: v for k, v in doc.items() if k in ("name", "title", "description", "date")},
            "salience_scale": 100,
            **doc,
        }
    return doc


_ITEM = re.compile(r"^([a-z_]+)\[(\d+)\]\.?(.*)$")


def located(e: ScenarioError, where: Any) -> ScenarioError:
    """The error with its ``records[k].field`` place told as the sheet row or file line it came from."""
    m = _ITEM.match(e.where or "")
    place = where(m.group(1), int(m.group(2))) if m else None
    if not m or place is None:
        return e
    field = m.group(3)
    new = ScenarioError(
        e.message, file=e.file, where=f"{place}, field {field}" if field else place, value=None, has_value=False
    )
    new.value, new.expected = e.value, e.expected
    return new
