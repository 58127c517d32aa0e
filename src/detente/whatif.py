"""What-if from the command line: named variants and ``PATH=VALUE`` edits applied to a scenario.

Every command that solves takes ``--variant NAME`` (repeatable: the scenario's named variants, applied in order) and
``--set PATH=VALUE`` (repeatable, applied after the variants). A ``PATH`` names one number of the scenario:

- ``ACTOR.ISSUE.FIELD`` with FIELD ``position``, ``salience`` (0–100) or ``capability``: one stance,
  e.g. ``dprk.denuclearization.position=40``;
- ``ACTOR.FIELD``: the actor on every issue it holds a stance on; ``ACTOR.capability`` is the actor's capability
  (its per-issue overrides are cleared), e.g. ``us-president.capability=50``;
- ``ISSUE.status_quo``: the issue's status quo, e.g. ``denuclearization.status_quo=10``.

Each ``--set`` becomes an :class:`~detente.scenario.schema.Edit` (``op: set``) applied by
:func:`detente.interventions.apply`, so it is validated as the file is: a value off its range is one
:class:`~detente.errors.ParameterError` naming the argument (the command line: the option), the path, the value and what was expected.

The edited scenario carries a derived name (``korea-2019+seoul-centred+set(dprk.denuclearization.position=40)``) and
the list of what was applied (:func:`edits_of`), which commands put in their titles and JSON output.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from detente.errors import DetenteError, ParameterError, _show, cap
from detente.scenario.schema import MAGNITUDE_MAX, SALIENCE_MAX, Edit, Scenario, Variant

__all__ = ["FIELDS", "as_variant", "edits_of", "parse_set", "variant_edits", "what_if"]

FIELDS = ("position", "salience", "capability")
"""The stance fields a ``--set`` path can end in (besides an issue's ``status_quo``)."""

_FORMS = "ACTOR.ISSUE.FIELD, ACTOR.FIELD (FIELD: position, salience or capability) or ISSUE.status_quo, then =NUMBER"


def _ids(ids: Sequence[str], limit: int = 12) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f", … ({len(ids)} in all)" if len(ids) > limit else "")


def parse_set(text: str, scenario: Scenario) -> Edit:
    """One ``PATH=VALUE`` text as a validated ``set`` edit of ``scenario`` (see the module docstring for PATH)."""
    opt = f"`sets` {_show(text)}"
    if "=" not in text:
        raise ParameterError(f"{opt}: expected PATH=VALUE with PATH one of {_FORMS}")
    path, raw = (x.strip() for x in text.split("=", 1))
    try:
        value = float(raw)
    except ValueError:
        raise ParameterError(f"{opt}: value {_show(raw)} is not a number; expected a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ParameterError(f"{opt}: value {_show(raw)} is not finite; expected a finite number")
    parts = path.split(".")
    if len(parts) < 2 or not all(parts):
        raise ParameterError(f"{opt}: path {_show(path)} has no field; expected {_FORMS}")
    actors = [a.id for a in scenario.actors]
    issues = [i.id for i in scenario.issues]
    field, head = parts[-1], parts[:-1]
    if field == "status_quo":
        sq_issue = ".".join(head)
        if sq_issue not in issues:
            raise ParameterError(f"{opt}: unknown issue {_show(sq_issue)}; expected one of {_ids(issues)}")
        sc = scenario.issue(sq_issue).scale
        if not sc.lower <= value <= sc.upper:
            raise ParameterError(
                f"{opt}: status quo {value:g} is off the scale of {sq_issue!r}; expected a value in "
                f"[{sc.lower:g}, {sc.upper:g}]"
            )
        return Edit(op="set_status_quo", issue=sq_issue, value=value)
    if field not in FIELDS:
        raise ParameterError(
            f"{opt}: unknown field {_show(field)}; expected position, salience, capability or status_quo"
        )
    actor, issue = _split(opt, head, actors, issues)
    held = [st for st in scenario.stances if st.actor == actor and (issue is None or st.issue == issue)]
    if not held and not (field == "capability" and issue is None):
        on = f"issue {issue!r}" if issue else "any issue"
        raise ParameterError(f"{opt}: actor {actor!r} has no stance on {on}; expected an issue the actor holds")
    if field == "position":
        for st in held:
            sc = scenario.issue(st.issue).scale
            if not sc.lower <= value <= sc.upper:
                raise ParameterError(
                    f"{opt}: position {value:g} is off the scale of {st.issue!r}; expected a position in "
                    f"[{sc.lower:g}, {sc.upper:g}]"
                )
    elif field == "salience" and not 0.0 <= value <= SALIENCE_MAX:
        raise ParameterError(f"{opt}: salience {value:g}; expected a salience in [0, {SALIENCE_MAX:g}] (points)")
    elif field == "capability" and not 0.0 <= value <= MAGNITUDE_MAX:
        raise ParameterError(f"{opt}: capability {value:g}; expected a capability in [0, {MAGNITUDE_MAX:g}]")
    return Edit(op="set", actor=actor, issue=issue, field=field, value=value)  # type: ignore[arg-type]


def _split(opt: str, head: list[str], actors: list[str], issues: list[str]) -> tuple[str, str | None]:
    """``(actor, issue or None)`` from the path's parts before the field (ids may themselves hold dots)."""
    whole = ".".join(head)
    if whole in actors:
        return whole, None
    for k in range(1, len(head)):
        a, i = ".".join(head[:k]), ".".join(head[k:])
        if a in actors and i in issues:
            return a, i
    first = head[0]
    if first not in actors and not any(whole.startswith(a + ".") for a in actors):
        raise ParameterError(f"{opt}: unknown actor {_show(first)}; expected one of {_ids(actors)}")
    actor = next(a for a in sorted(actors, key=len, reverse=True) if whole == a or whole.startswith(a + "."))
    rest = whole[len(actor) + 1 :]
    raise ParameterError(f"{opt}: unknown issue {_show(rest)}; expected one of {_ids(issues)}")


def variant_edits(scenario: Scenario, variants: Sequence[str]) -> Variant | None:
    """The named variants joined into one (their edits in order), or None for none; unknown names are one error."""
    if not variants:
        return None
    found = []
    for v in variants:
        try:
            found.append(scenario.variant(v))
        except DetenteError as e:
            raise ParameterError(f"`variants` {_show(v)}: {e}") from None
    if len(found) == 1:
        return found[0]
    return Variant(
        id="+".join(v.id for v in found),
        title=" + ".join(v.title for v in found),
        edits=[e for v in found for e in v.edits],
    )


def what_if(
    scenario: Scenario,
    variants: Sequence[str] = (),
    sets: Sequence[str] = (),
    *,
    dated: str = "error",
) -> Scenario:
    """``scenario`` with its named ``variants`` (in order), then the ``PATH=VALUE`` ``sets``, applied and validated.

    The result is named ``"<name>+<variant>…+set(<path>=<value>)…"`` and records what was applied (:func:`edits_of`).
    ``dated`` is what to do with variant edits dated at a round (scenario data has no rounds): ``"error"`` refuses
    them (the default, for commands that solve once), ``"skip"`` leaves them to the caller (ensembles apply them at
    their round). With neither variants nor sets the scenario is returned unchanged.
    """
    if not variants and not sets:
        return scenario
    from detente.interventions import apply

    var = variant_edits(scenario, variants)
    s = scenario
    record: list[dict[str, Any]] = list(edits_of(scenario))
    name = scenario.name
    if var is not None:
        try:
            s = apply(s, var, dated=dated, name=f"{name}+{var.id}")  # type: ignore[arg-type]
        except DetenteError as e:
            raise ParameterError(f"`variants` {_show(var.id)}: {e}") from None
        name = s.name
        record += [{"variant": v} for v in variants]
    edits = [parse_set(t, s) for t in sets]
    if edits:
        label = "".join(f"+set({t.replace(' ', '')})" for t in sets)
        try:
            s = apply(s, edits, name=cap(f"{name}{label}", 200))
        except DetenteError as e:
            raise ParameterError(f"`sets`: {e}") from None
        record += [
            {"set": t.replace(" ", ""), "edit": e.model_dump(mode="json", exclude_none=True)}
            for t, e in zip(sets, edits)
        ]
    _prune_perturbation(s)
    s._what_if = record  # provenance, not scenario data: a private attribute, never written to the file
    return s


def edits_of(scenario: Scenario) -> list[dict[str, Any]]:
    """What :func:`what_if` applied to make ``scenario`` (``[{"variant": …}, {"set": …, "edit": …}]``; [] if nothing)."""
    return list(scenario._what_if)


def as_variant(scenario: Scenario, variants: Sequence[str] = (), sets: Sequence[str] = ()) -> Variant | None:
    """The named ``variants`` and the ``PATH=VALUE`` ``sets`` as one variant of ``scenario`` (None for neither).

    Its id is the derived name's suffix (``seoul-centred+set(dprk.denuclearization.position=40)``): an ensemble applies
    it as it applies a variant of the file (dated edits at their round, on the baseline's draws). The sets are
    checked against the scenario with the variants applied (:func:`what_if`).
    """
    if not variants and not sets:
        return None
    what_if(scenario, variants, sets, dated="skip")  # validates: one clear error per bad name or path
    var = variant_edits(scenario, variants)
    after = what_if(scenario, variants, (), dated="skip") if variants else scenario
    edits = [*(var.edits if var is not None else []), *(parse_set(t, after) for t in sets)]
    label = "+".join([*([var.id] if var is not None else []), *(f"set({t.replace(' ', '')})" for t in sets)])
    return Variant(id=label, title=var.title if var is not None else label, edits=edits)


def _prune_perturbation(s: Scenario) -> None:
    """Drop the perturbation rules that name an actor or issue the edits removed (they have nothing left to perturb)."""
    if not s.perturbation:
        return
    actors = {a.id for a in s.actors}
    issues = {i.id for i in s.issues}
    for block in s.perturbation.values():
        if isinstance(block, dict) and isinstance(block.get("rules"), list):
            block["rules"] = [
                r
                for r in block["rules"]
                if not isinstance(r, dict) or (r.get("actor") in (None, *actors) and r.get("issue") in (None, *issues))
            ]
