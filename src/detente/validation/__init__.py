"""Validation: back-test every model on real negotiations with known outcomes and rank them.

``backtest()`` runs the registered models on the built-in scenarios that record observed outcomes and returns a
:class:`Leaderboard` (per-issue errors, the ranking, failures, provenance). See ``docs/validation.md``.
"""

from __future__ import annotations

from detente.validation.backtest import backtest
from detente.validation.leaderboard import Leaderboard
from detente.validation.outcomes import ObservedOutcome, baseline, observed_outcomes

__all__ = ["Leaderboard", "ObservedOutcome", "backtest", "baseline", "observed_outcomes"]
