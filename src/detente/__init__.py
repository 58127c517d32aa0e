"""detente: model, forecast and stress-test multi-party negotiations.

>>> import detente
>>> s = detente.load("emission-standards-1994")
>>> round(detente.forecast(s, model="compromise").outcome["emission-standards"], 6)
7.389956
"""

from __future__ import annotations

__version__ = "0.1.0"

from detente.api import forecast
from detente.errors import DetenteError, ParameterError, ScenarioError, UnknownNameError
from detente.models.base import Forecast
from detente.scenario.arrays import ScenarioArrays, to_arrays
from detente.scenario.io import load, save
from detente.scenario.schema import Scenario

__all__ = [
    "DetenteError",
    "Forecast",
    "ParameterError",
    "Scenario",
    "ScenarioArrays",
    "ScenarioError",
    "UnknownNameError",
    "__version__",
    "forecast",
    "load",
    "save",
    "to_arrays",
]
