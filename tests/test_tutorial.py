"""docs/tutorial.ipynb runs top to bottom in a fresh kernel (nbclient, from the ``docs`` extra)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "tutorial.ipynb"


def test_tutorial_notebook_runs_without_errors(tmp_path):
    nbformat = pytest.importorskip("nbformat", reason="needs the docs extra: pip install -e '.[docs]'")
    nbclient = pytest.importorskip("nbclient", reason="needs the docs extra: pip install -e '.[docs]'")
    pytest.importorskip("ipykernel", reason="needs the docs extra: pip install -e '.[docs]'")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    src = str(Path(__file__).resolve().parents[1] / "src")
    env_path = os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])
    os.environ["PYTHONPATH"] = env_path  # the kernel imports this checkout's detente
    # ipykernel's built-in python3 kernel runs this interpreter (sys.executable)
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": tmp_path}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert "<Scenario name=korea-2019" in text and "<Ensemble scenario=korea-2019" in text
    assert "denuclearization: 15.0 -> " in text
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the chart
