"""Every docstring example in the package runs (Axelrod-style documentation that is also a test)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import detente

MODULES = sorted(m.name for m in pkgutil.walk_packages(detente.__path__, "detente.") if not m.name.endswith("__main__"))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} failing docstring example(s) in {name}"
