"""Start-up stays light: `import detente` and `detente --help` load no pandas, scipy, matplotlib, SALib or Dask.

Not timed (timings live in benchmarks/bench_startup.py): this checks which modules a fresh interpreter has loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("pandas", "scipy", "matplotlib", "SALib", "dask", "distributed", "openpyxl")
SRC = str(Path(__file__).resolve().parents[1] / "src")

_PROBE = """
import json, sys
{body}
print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r})), file=sys.stderr)
"""


def _loaded(body: str) -> list[str]:
    code = _PROBE.format(body=body, heavy=HEAVY)
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    return json.loads(r.stderr.strip().splitlines()[-1])


def test_import_detente_is_light():
    assert _loaded("import detente") == []


def test_help_is_light():
    body = (
        "sys.argv = ['detente', '--help']\n"
        "import detente.cli\n"
        "try:\n    detente.cli.main()\nexcept SystemExit:\n    pass"
    )
    assert _loaded(body) == []


@pytest.mark.parametrize("attr", ["load", "forecast", "Scenario", "models", "ensemble"])
def test_lazy_attributes_still_resolve(attr):
    import detente

    assert getattr(detente, attr) is not None
    with pytest.raises(AttributeError):
        detente.no_such_thing  # noqa: B018
