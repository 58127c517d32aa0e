"""Rule references of a claim resolved to the staged engine's rules: a preset, changed dimensions, candidate sets
for the president's best rule (a Stackelberg leader choosing among the candidates, von Stackelberg 1934) or for the
rule that maximises a metric."""

from __future__ import annotations

import dataclasses
import itertools

from detente.claims.schema import RuleRef
from detente.errors import ScenarioError
from detente.strategy.staged.rules import PRESETS, Phase, Rule, check_phase


def known_rules() -> list[str]:
    return list(PRESETS)


def expand(ref: RuleRef, local: dict[str, RuleRef], depth: int = 0) -> RuleRef:
    """A reference to a claim's named rule merged with that rule's definition (the reference's fields win)."""
    if ref.rule not in local or depth > 8:
        return ref
    base = expand(local[ref.rule], local, depth + 1)
    set_ = ref.model_fields_set
    return RuleRef.model_validate(
        {
            "rule": base.rule,
            "with": {**base.with_, **ref.with_},
            "params": {**base.params, **ref.params},
            "best": ref.best if "best" in set_ else base.best,
            "extreme": ref.extreme if "extreme" in set_ else base.extreme,
            "search": ref.search if "search" in set_ else base.search,
            "objective": ref.objective if "objective" in set_ else base.objective,
            "plain": ref.plain or base.plain,
        }
    )


def _phase(ref: RuleRef, local: dict[str, RuleRef], depth: int = 0) -> Phase:
    if ref.rule in PRESETS:
        base = PRESETS[ref.rule].phase1
    elif ref.rule in local and depth < 8:
        base = _phase(local[ref.rule], local, depth + 1)
    else:
        raise ScenarioError("unknown rule", where="rule", value=ref.rule, expected=", ".join(PRESETS))
    if ref.with_:
        base = dataclasses.replace(base, **ref.with_)
    return check_phase(base)


def candidates(ref: RuleRef, local: dict[str, RuleRef]) -> list[Rule]:
    """The rules a reference spans: one rule, or every combination of its ``search`` values."""
    ref = expand(ref, local)
    base = _phase(ref, local)
    if ref.best == "seoul":  # every candidate of a Seoul-led choice is led by Seoul
        base = dataclasses.replace(base, lead=1)
    if not ref.search:
        return [Rule(ref.rule, base)]
    dims = list(ref.search)
    out = []
    for combo in itertools.product(*(ref.search[d] for d in dims)):
        ph = check_phase(dataclasses.replace(base, **dict(zip(dims, combo))))
        out.append(Rule(ref.rule, ph))
    # one rule per distinct code, in code order (ties go to the smallest code)
    seen: dict[str, Rule] = {}
    for r in out:
        seen.setdefault(r.code(), r)
    return [seen[c] for c in sorted(seen)]


def describe(ref: RuleRef) -> str:
    """Plain words for a reference (its ``plain`` field, else its construction)."""
    if ref.plain:
        return ref.plain
    words = ref.rule
    if ref.with_:
        words += " with " + ", ".join(f"{k}={v}" for k, v in ref.with_.items())
    if ref.best == "seoul":
        words = f"South Korea's best rule among {words} variants, under the US veto"
    elif ref.best:
        words = f"the president's best rule among {words} variants"
    return words


__all__ = ["candidates", "describe", "expand", "known_rules"]
