"""detente: model, forecast and stress-test multi-party negotiations.

>>> import detente
>>> s = detente.load("emission-standards-1994")
>>> round(detente.forecast(s, model="compromise").outcome["emission-standards"], 6)
7.389956
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from detente.errors import DetenteError, ParameterError, ScenarioError, UnknownNameError

if TYPE_CHECKING:
    from detente.api import forecast
    from detente.models.base import Forecast
    from detente.scenario.arrays import ScenarioArrays, to_arrays
    from detente.scenario.io import load, save
    from detente.scenario.schema import Scenario

__version__ = "0.1.0"

# everything but the errors loads on first use (numpy, pydantic, the models), so that `import detente` and
# `detente --help` start fast: ``detente.load``, ``detente.ensemble`` etc. still work as attributes
_LAZY = {
    "forecast": ("detente.api", "forecast"),
    "Forecast": ("detente.models.base", "Forecast"),
    "ScenarioArrays": ("detente.scenario.arrays", "ScenarioArrays"),
    "to_arrays": ("detente.scenario.arrays", "to_arrays"),
    "load": ("detente.scenario.io", "load"),
    "save": ("detente.scenario.io", "save"),
    "Scenario": ("detente.scenario.schema", "Scenario"),
    "apply_edits": ("detente.interventions", "apply"),
    "backtest": ("detente.validation", "backtest"),
    "compare_variants": ("detente.uncertainty", "compare"),
    "ensemble": ("detente.uncertainty", "ensemble"),
    "sensitivity": ("detente.uncertainty", "sensitivity"),
}


def __getattr__(name: str) -> object:
    import importlib.util

    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    if not name.startswith("_") and importlib.util.find_spec(f"detente.{name}") is not None:  # a subpackage
        return importlib.import_module(f"detente.{name}")
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
