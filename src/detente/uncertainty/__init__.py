"""Uncertainty and what-if: perturbation specs, ensembles, comparisons on common random numbers, Sobol sensitivity.

>>> from detente.uncertainty import ensemble
>>> ens = ensemble("korea-2019", "compromise", draws=200, seed=1)
>>> ens.draws, ens.summary().loc[0, "issue"]
(200, 'denuclearization')
"""

from __future__ import annotations

from detente.uncertainty.compare import Comparison, compare
from detente.uncertainty.ensemble import Ensemble, ensemble
from detente.uncertainty.perturb import draw
from detente.uncertainty.sensitivity import Sensitivity, sensitivity
from detente.uncertainty.spec import DEFAULT, PerturbationSpec, load_spec

__all__ = [
    "DEFAULT",
    "Comparison",
    "Ensemble",
    "PerturbationSpec",
    "Sensitivity",
    "compare",
    "draw",
    "ensemble",
    "load_spec",
    "sensitivity",
]
