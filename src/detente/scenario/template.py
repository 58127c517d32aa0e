"""A commented template scenario to start a new one from (``detente new NAME``).

The template is valid as written (``detente validate`` accepts it and every model can forecast it) so that an author
can run it at once and then replace its numbers one by one. Its comments explain each field, the scales, and how every
number cites its basis; the field reference is ``detente schema`` and docs/authoring.md walks through it.
"""

from __future__ import annotations

from collections.abc import Sequence

from detente.errors import ParameterError, _show

__all__ = ["DEFAULT_ACTORS", "DEFAULT_ISSUES", "template"]

DEFAULT_ACTORS = ("government", "opposition", "mediator")
DEFAULT_ISSUES = ("budget", "timeline")


def _ids(kind: str, ids: Sequence[str]) -> list[str]:
    out = [i.strip() for i in ids if i.strip()]
    if not out:
        raise ParameterError(f"--{kind}: no ids given; expected a comma-separated list such as a,b,c")
    for i in out:
        bad = [c for c in i if not (c.isalnum() or c in "-_")]
        if bad:
            raise ParameterError(
                f"--{kind} {_show(i)}: character {bad[0]!r}; expected ids of letters, digits, '-' and '_'"
            )
    if len(set(out)) != len(out):
        dup = next(i for i in out if out.count(i) > 1)
        raise ParameterError(f"--{kind} {_show(dup)}: given twice; expected each id once")
    return out


def _name(name: str) -> str:
    name = name.strip()
    if not name or any(not (c.isalnum() or c in "-_.") for c in name):
        raise ParameterError(f"NAME {_show(name)}: expected a short name of letters, digits, '-', '_' and '.'")
    return name


def template(name: str, actors: Sequence[str] = DEFAULT_ACTORS, issues: Sequence[str] = DEFAULT_ISSUES) -> str:
    """The YAML text of a new scenario ``name`` with these actors and issues, every field explained in a comment.

    Every actor holds a stance on every issue; positions are spread evenly over each issue's 0–100 scale, saliences
    are 50 and capabilities 1: placeholders, each marked as an estimate to replace.
    """
    name = _name(name)
    actors = _ids("actors", actors)
    issues = _ids("issues", issues)
    n = len(actors)
    lines = [
        f"# {name}: a detente scenario. Replace every number marked 'placeholder' with your own, and cite its basis.",
        "# Check it with `detente validate FILE`, forecast it with `detente forecast FILE`;",
        "# every field is described by `detente schema`, and docs/authoring.md walks through a first scenario.",
        f"name: {name}  # short name shown in titles (letters, digits, '-')",
        "title: a one-line title of the negotiation",
        "description: >-",
        "  What is being negotiated, by whom, over which period, and how the numbers below were chosen.",
        "date: 2020-01-01  # the date the scenario describes (YYYY-MM-DD)",
        "",
        "# Sources: every number below cites one by its id in a *_basis block (source: ID, and/or note: reasoning).",
        "# kind: quote (words from a document), fact (a dated public fact, with url), data (a published data set)",
        "# or estimate (your own judgement; the note of each basis then gives the reasoning in a sentence).",
        "sources:",
        "- id: analyst",
        "  kind: estimate",
        "  citation: the author's estimates (replace or add sources you can cite)",
        "",
        "# Issues: each is decided on one scale from `lower` to `upper` (0-100 here). Say what the ends mean in the",
        "# labelled points: a forecast reports the label nearest its outcome. status_quo is the outcome if nobody",
        "# agrees to anything (models that need a fallback use it).",
        "issues:",
    ]
    for iid in issues:
        lines += [
            f"- id: {iid}",
            f"  name: {iid.replace('-', ' ').replace('_', ' ')}",
            "  description: what is being decided, and what 0 and 100 stand for",
            "  scale:",
            "    lower: 0",
            "    upper: 100",
            "    points:                  # labelled points (any number of them, on the scale)",
            "    - {value: 0, label: least change}",
            "    - {value: 50, label: a middle way}",
            "    - {value: 100, label: most change}",
            "  status_quo: 0",
            "  status_quo_basis: {source: analyst, note: 'placeholder: where things stand today'}",
        ]
    lines += [
        "",
        "# Actors: capability is relative (only ratios between actors matter): what the actor can bring to bear on",
        "# the outcome (votes, money, force, veto). capability_basis says what it rests on; low/high give a plausible",
        "# range that uncertainty runs (`detente ensemble`) can draw from.",
        "actors:",
    ]
    for aid in actors:
        lines += [
            f"- id: {aid}",
            f"  name: {aid.replace('-', ' ').replace('_', ' ')}",
            "  capability: 1",
            "  capability_basis: {source: analyst, note: 'placeholder: equal capabilities', low: 0.5, high: 2}",
        ]
    lines += [
        "",
        "# Stances: one per actor and issue it takes part in. position: the outcome the actor wants, on the issue's",
        "# scale. salience: how much it cares about this issue, 0 (not at all) to 100 (above everything else).",
        "# Each number cites its basis (position_basis, salience_basis).",
        "stances:",
    ]
    for k, aid in enumerate(actors):
        pos = 50 if n == 1 else round(100 * k / (n - 1))
        for iid in issues:
            lines += [
                f"- actor: {aid}",
                f"  issue: {iid}",
                f"  position: {pos}",
                "  salience: 50",
                "  position_basis: {source: analyst, note: 'placeholder: spread evenly over the scale'}",
                "  salience_basis: {source: analyst, note: 'placeholder: equal attention'}",
            ]
    first, last = actors[0], actors[-1]
    lines += [
        "",
        "# Variants: named what-ifs, each a list of edits on this baseline; run one with `--variant ID`.",
        "# An edit sets, shifts (adds to) or scales (multiplies) an actor's position, salience or capability on an",
        "# issue (or on all its issues when `issue` is left out); add_actor, remove_actor and set_status_quo exist too.",
        "# One-off edits need no variant: `--set ACTOR.ISSUE.FIELD=VALUE` on the command line.",
        "variants:",
        f"- id: {first}-stronger",
        f"  title: what if {first} had twice the capability?",
        "  edits:",
        f"  - {{op: scale, actor: {first}, field: capability, value: 2}}",
        "",
        "# Events: dated changes to the scenario (`--as-of DATE` applies those up to that date). None yet:",
        f"# - {{id: ..., date: 2020-06-01, title: ..., edits: [{{op: shift, actor: {last}, issue: {issues[0]}, "
        "field: position, value: -10}]}",
        "events: []",
        "",
        "# Observed outcomes, once known (issue id: value on its scale); back-tests score forecasts against them.",
        "observed: {}",
        "",
    ]
    return "\n".join(lines)
