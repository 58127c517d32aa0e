"""Claims as testable hypotheses: an op-ed's arguments written as data in the scenario file, tested on the staged
engine's exact aggregates under the plausible range of every assumption, with static stakeholder-model evidence and
the shipped record beside them, and a one-page scorecard (``detente claims``). Reference: ``docs/scorecard.md``.
"""

from __future__ import annotations

from detente.claims.run import compute, dumps, shipped
from detente.claims.schema import Claim, claims_of
from detente.claims.verdict import QUICK, Config

__all__ = ["QUICK", "Claim", "Config", "claims_of", "compute", "dumps", "shipped"]
