"""detente: model, forecast and stress-test multi-party negotiations.

>>> import detente
>>> s = detente.load("emission-standards-1994")
>>> round(detente.forecast(s, model="compromise").outcome["emission-standards"], 6)
7.389956
"""

from __future__ import annotations

from detente.api import forecast
from detente.errors import DetenteError, ParameterError, ScenarioError, UnknownNameError
from detente.models.base import Forecast
from detente.scenario.arrays import ScenarioArrays, to_arrays
from detente.scenario.io import load, save
from detente.scenario.schema import Scenario

__version__ = "0.1.0"

# heavier parts load on first use (scipy.stats, SALib): ``detente.ensemble`` etc. still work as attributes
_LAZY = {
    "apply_edits": ("detente.interventions", "apply"),
    "backtest": ("detente.validation", "backtest"),
    "compare_variants": ("detente.uncertainty", "compare"),
    "ensemble": ("detente.uncertainty", "ensemble"),
    "sensitivity": ("detente.uncertainty", "sensitivity"),
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'detente' has no attribute {name!r}")


__all__ = [
    "DetenteError",
    "Forecast",
    "ParameterError",
    "Scenario",
    "ScenarioArrays",
    "ScenarioError",
    "UnknownNameError",
    "__version__",
    "apply_edits",
    "backtest",
    "compare_variants",
    "ensemble",
    "forecast",
    "load",
    "save",
    "sensitivity",
    "to_arrays",
]
