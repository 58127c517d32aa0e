"""What the strategy engines need from a scenario, declared once and checked before anything runs.

Both engines model one dyad: a leader who commits to a policy rule (the US president) and a state asked to give up
its weapons in stages (North Korea), with an optional partner who can lead the talks or pay (South Korea). Their
parameters, calendar and rule presets are written for that dyad, so a scenario must say which of its actors play
these roles and which calendar it runs on; a scenario that does not (an EU emissions case, say) is refused with one
line naming the scenario and what is missing, never run on the defaults of another case.

>>> import detente
>>> from detente.strategy.needs import STAGED
>>> block = STAGED.check(detente.load("korea-2019"))
>>> block["roles"]["target"]
'dprk'
>>> STAGED.check(detente.load("emission-standards-1994"))
Traceback (most recent call last):
...
detente.errors.ScenarioError: emission-standards-1994: strategy: the staged-disarmament game cannot run this scenario: it has no strategy block; expected strategy.game: staged-disarmament-v2; strategy.roles naming the scenario's actors as leader (who commits to a rule) and target (who is asked to disarm in stages), optionally partner (an ally who can lead or pay); strategy.calendar with start, election, inauguration and horizon
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from detente.errors import ScenarioError

GAME = "staged-disarmament-v2"


@dataclass(frozen=True)
class Role:
    name: str
    meaning: str
    required: bool = True


ROLES = (
    Role("leader", "who commits to a rule"),
    Role("target", "who is asked to disarm in stages"),
    Role("partner", "an ally who can lead or pay", required=False),
)


@dataclass(frozen=True)
class Needs:
    """One engine's requirements: the strategy block's game, the roles its actors must fill, the calendar keys."""

    engine: str
    game: str | None
    roles: tuple[Role, ...]
    calendar: tuple[str, ...]

    def describe(self) -> str:
        req = [f"{r.name} ({r.meaning})" for r in self.roles if r.required]
        opt = [f"{r.name} ({r.meaning})" for r in self.roles if not r.required]
        parts = []
        if self.game:
            parts.append(f"strategy.game: {self.game}")
        roles = "strategy.roles naming the scenario's actors as " + " and ".join(req)
        if opt:
            roles += ", optionally " + ", ".join(opt)
        parts.append(roles)
        if self.calendar:
            parts.append("strategy.calendar with " + ", ".join(self.calendar[:-1]) + f" and {self.calendar[-1]}")
        return "; ".join(parts)

    def _refuse(self, name: str | None, where: str, why: str, value: Any = None) -> ScenarioError:
        return ScenarioError(
            f"the {self.engine} cannot run this scenario: {why}",
            file=name,
            where=where,
            value=value,
            expected=self.describe(),
        )

    def check(self, scenario: Any) -> dict[str, Any]:
        """The scenario's strategy block, if it has everything this engine needs; else one :class:`ScenarioError`
        naming the scenario and the first thing missing."""
        name = getattr(scenario, "name", None)
        block = getattr(scenario, "strategy", None)
        if block is None:
            raise self._refuse(name, "strategy", "it has no strategy block")
        if not isinstance(block, dict):
            raise self._refuse(name, "strategy", "the strategy block is not a mapping", block)
        if self.game is not None and block.get("game") != self.game:
            raise self._refuse(name, "strategy.game", "it declares another game", block.get("game"))
        roles = block.get("roles")
        if not isinstance(roles, dict):
            raise self._refuse(name, "strategy.roles", "it does not say which actors play the game's roles", roles)
        actors = {a.id for a in getattr(scenario, "actors", [])}
        for role in self.roles:
            who = roles.get(role.name)
            if who is None and not role.required:
                continue
            if who is None:
                raise self._refuse(name, f"strategy.roles.{role.name}", f"no actor plays the {role.name}")
            if str(who) not in actors:
                raise self._refuse(name, f"strategy.roles.{role.name}", "not an actor of the scenario", who)
        unknown = set(roles) - {r.name for r in self.roles}
        if unknown:
            bad = sorted(map(str, unknown))[0]
            raise self._refuse(name, f"strategy.roles.{bad}", "not a role of this game", bad)
        cal = block.get("calendar")
        missing = [k for k in self.calendar if not isinstance(cal, dict) or k not in cal]
        if missing:
            raise self._refuse(name, f"strategy.calendar.{missing[0]}", "its calendar lacks a date the game needs")
        return block


STAGED = Needs(
    engine="staged-disarmament game",
    game=GAME,
    roles=ROLES,
    calendar=("start", "election", "inauguration", "horizon"),
)
# The earlier two-type policy engine runs on the same dyad; its calendar (June 2018 to the 2020 election) is fixed in
# its parameters, so it needs the roles but no calendar of its own.
POLICY_ENGINE = Needs(engine="two-type policy engine", game=None, roles=ROLES, calendar=())

__all__ = ["GAME", "POLICY_ENGINE", "ROLES", "STAGED", "Needs", "Role"]
