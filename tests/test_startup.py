"""Start-up stays light: `import detente` and `detente --help` load no pandas, scipy, matplotlib, SALib or Dask
(`--help` not even numpy, pydantic or YAML), and a small forecast loads only what it uses.

Not timed (timings live in benchmarks/bench_startup.py): this checks which modules a fresh interpreter has loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = (
    "pandas",
    "scipy",
    "matplotlib",
    "SALib",
    "dask",
    "distributed",
    "openpyxl",
    "fastapi",
    "starlette",
    "uvicorn",
    "sqlalchemy",
    "plotly",
)
# what a command that reads no scenario does not need either
HELP_HEAVY = (*HEAVY, "numpy", "pydantic", "yaml")
# detente's own packages a forecast on the built-in scenario has no use for
FORECAST_UNUSED = ("detente.uncertainty", "detente.validation", "detente.strategy", "detente.report")
# nor the other commands' modules: running a command builds only its own module's commands
OTHER_COMMANDS = ("detente.cli.uncertainty", "detente.cli.backtest", "detente.cli.strategy", "detente.cli.exchange")
SRC = str(Path(__file__).resolve().parents[1] / "src")

_PROBE = """
import json, sys
{body}
print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r}
                       or any(m == h or m.startswith(h + '.') for h in {heavy!r}))), file=sys.stderr)
"""


def _loaded(body: str, heavy: tuple[str, ...] = HEAVY) -> list[str]:
    code = _PROBE.format(body=body, heavy=heavy)
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    return json.loads(r.stderr.strip().splitlines()[-1])


def test_import_detente_is_light():
    assert _loaded("import detente") == []


def _cli(*argv: str) -> str:
    return (
        f"sys.argv = ['detente', *{list(argv)!r}]\n"
        "import io, contextlib\n"
        "import detente.cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n        detente.cli.main()\n    except SystemExit as e:\n        assert not e.code, e.code"
    )


def test_help_is_light():
    assert _loaded(_cli("--help"), HELP_HEAVY) == []


@pytest.mark.parametrize("model", ["compromise", "median", "nash"])
def test_small_forecast_loads_no_tables_library_nor_unused_parts(model):
    loaded = _loaded(_cli("forecast", "korea-2019", "--model", model), (*HEAVY, *FORECAST_UNUSED, *OTHER_COMMANDS))
    assert loaded == []


def test_model_list_loads_no_pandas():
    # every model registers itself on import; tidy tables import pandas only when a model builds them
    assert _loaded(_cli("models")) == []


@pytest.mark.parametrize("attr", ["load", "forecast", "Scenario", "models", "ensemble"])
def test_lazy_attributes_still_resolve(attr):
    import detente

    assert getattr(detente, attr) is not None
    with pytest.raises(AttributeError):
        detente.no_such_thing  # noqa: B018


def test_each_command_is_looked_for_in_the_module_that_defines_it():
    from detente.cli import _HOME, _load_commands, app

    _load_commands()
    defined = {
        c.name or c.callback.__name__.replace("_", "-"): c.callback.__module__.rsplit(".", 1)[-1]
        for c in app.registered_commands
        if c.callback is not None
    }
    assert {name: defined.get(name) for name in _HOME} == _HOME


def test_sensitivity_to_json_loads_neither_scipy_stats_nor_pandas(tmp_path):
    # the Sobol' points are computed without scipy.stats (0.3 s of imports before the first block could start) and
    # the JSON document needs no tables
    out = tmp_path / "s.json"
    argv = ("sensitivity", "korea-2019", "--model", "expected-utility", "--draws", "8", "--seed", "1")
    loaded = _loaded(_cli(*argv, "--format", "json", "--out", str(out)), ("scipy.stats", "pandas"))
    assert loaded == []
    assert json.loads(out.read_text())["base_samples"] == 8


def test_the_program_freezes_the_collector_before_the_interpreter_exits():
    # python -m detente and the console script run detente.cli.run: main, then gc.freeze (a quicker exit)
    code = (
        "import gc, io, contextlib, sys\n"
        "sys.argv = ['detente', '--version']\n"
        "import detente.cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n        detente.cli.run()\n    except SystemExit as e:\n        assert not e.code, e.code\n"
        "print(gc.get_freeze_count() > 0, file=sys.stderr)"
    )
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert r.stderr.strip().splitlines()[-1] == "True"
    entry = Path(SRC).parent / "pyproject.toml"
    assert 'detente = "detente.cli:run"' in entry.read_text()
    assert "run()" in (Path(SRC) / "detente" / "__main__.py").read_text()


def test_ensemble_to_json_loads_no_pandas(tmp_path):
    out = tmp_path / "e.json"
    argv = ("ensemble", "korea-2019", "--model", "compromise", "--draws", "20", "--seed", "1")
    assert _loaded(_cli(*argv, "--format", "json", "--out", str(out)), ("pandas",)) == []
    assert json.loads(out.read_text())["draws"] == 20


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_the_program_keeps_freed_memory_for_the_kernels_unless_the_user_chose():
    """The program sets glibc's mmap and trim thresholds (freed temporaries are reused, not faulted in afresh), and
    leaves them alone when the user set MALLOC_MMAP_THRESHOLD_ or MALLOC_TRIM_THRESHOLD_ (the CLI only: importing
    detente changes nothing)."""
    code = "import detente.cli as c; print(c.keep_freed_memory())"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "True"
    env["MALLOC_TRIM_THRESHOLD_"] = "131072"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "False"
    import detente.cli

    assert "keep_freed_memory" in detente.cli.run.__code__.co_names
