"""The dynamic strategy engine (see docs/strategy.md): US policies against North Korea's best response.

Parameters (:mod:`.params`), closed-form building blocks (:mod:`.closed_forms`), US policies (:mod:`.policies`),
North Korea's dynamic programme (:mod:`.dp`), the vectorised Monte Carlo (:mod:`.simulate`), results with
intervals (:mod:`.results`), the six claims of two 2019 op-eds as experiments (:mod:`.experiments`) and the historical replay
(:mod:`.replay`).
"""

from __future__ import annotations

from detente.strategy.engine import run_strategy
from detente.strategy.experiments import EXPERIMENTS, ExperimentResult, get_experiment, run_experiment
from detente.strategy.params import StrategyParams, from_scenario, from_strategy_block
from detente.strategy.policies import POLICIES, Policy, get_policy
from detente.strategy.replay import replay
from detente.strategy.results import StrategyResult

__all__ = [
    "EXPERIMENTS",
    "POLICIES",
    "ExperimentResult",
    "Policy",
    "StrategyParams",
    "StrategyResult",
    "from_scenario",
    "from_strategy_block",
    "get_experiment",
    "get_policy",
    "replay",
    "run_experiment",
    "run_strategy",
]
