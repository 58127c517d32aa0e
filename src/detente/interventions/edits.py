"""What the edits are: parsing a variant id, a Variant, one edit or a list into labelled edits, and the one error
an edit raises (naming the variant, the edit's index, the field and the value)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from detente.errors import ParameterError, ScenarioError
from detente.scenario.schema import Edit, Scenario, Variant

__all__ = ["EditsLike", "LabelledEdit", "edit_error", "first_error", "resolve"]

EditsLike = str | Variant | Edit | Mapping[str, Any] | Sequence["Edit | Mapping[str, Any] | LabelledEdit"]


class LabelledEdit:
    """An edit with the label errors use (``variant 'x' edits[2]``) and its index in the list."""

    __slots__ = ("edit", "index", "variant")

    def __init__(self, edit: Edit, index: int, variant: str | None) -> None:
        self.edit, self.index, self.variant = edit, index, variant

    @property
    def label(self) -> str:
        head = f"variant {self.variant!r} " if self.variant else ""
        return f"{head}edits[{self.index}]"

    @property
    def round(self) -> int:
        return int(self.edit.round or 0)

    def describe(self) -> str:
        e = self.edit
        if e.op in ("set", "shift", "scale"):
            on = f" on {e.issue!r}" if e.issue else ""
            return f"{e.op} {e.field} of {e.actor!r}{on} ({e.value:g})" if e.value is not None else e.op
        if e.op == "set_status_quo":
            return f"set_status_quo of {e.issue!r}"
        return f"{e.op} {e.actor or (e.new_actor or {}).get('id')!r}"


def edit_error(name: str, le: LabelledEdit, what: str, message: str, value: Any, expected: str) -> ScenarioError:
    """The error of edit ``le`` on scenario (or arrays) ``name``: ``<name>: <label>.<what>: <edit>: <message>``."""
    return ScenarioError(
        f"{le.describe()}: {message}", file=f"<{name}>", where=f"{le.label}.{what}", value=value, expected=expected
    )


def first_error(err: ValidationError) -> tuple[str, str, Any]:
    """``(dotted location, message, input)`` of a pydantic error's first complaint."""
    first = err.errors()[0]
    return ".".join(str(x) for x in first["loc"]), first["msg"], first.get("input")


def resolve(
    scenario: Scenario | None, edits: EditsLike, *, file: str | None = None
) -> tuple[str | None, list[LabelledEdit]]:
    """``(variant id or None, labelled edits)`` from a variant id, a Variant, one Edit or a list of edits/dicts."""
    where_file = file or (f"<{scenario.name}>" if scenario is not None else None)
    if isinstance(edits, str):
        if scenario is None:
            raise ParameterError(f"variant {edits!r}: a variant id needs a scenario to look it up in")
        v = scenario.variant(edits)
        return v.id, [LabelledEdit(e, k, v.id) for k, e in enumerate(v.edits)]
    if isinstance(edits, Variant):
        return edits.id, [LabelledEdit(e, k, edits.id) for k, e in enumerate(edits.edits)]
    if isinstance(edits, (Edit, Mapping)):
        edits = [edits]
    if isinstance(edits, Sequence) and edits and all(isinstance(e, LabelledEdit) for e in edits):
        return None, list(edits)  # type: ignore[arg-type]
    out: list[LabelledEdit] = []
    for k, e in enumerate(edits):
        if not isinstance(e, Edit):
            try:
                e = Edit.model_validate(e)
            except ValidationError as err:
                loc, msg, value = first_error(err)
                raise ScenarioError(
                    msg,
                    file=where_file,
                    where=f"edits[{k}]" + (f".{loc}" if loc else ""),
                    value=value,
                    expected="a valid edit (op, actor, issue, field, value, round, ...)",
                ) from None
        out.append(LabelledEdit(e, k, None))
    return None, out
