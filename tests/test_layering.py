"""The package's layering, read from its source with ``ast``: the command line sits on top and nothing below it
imports it; imports made when a module loads form no cycle, neither between modules nor between packages.

Every ``import`` counts — at module level, inside functions, and under ``if TYPE_CHECKING:`` — for the arrows into
``detente.cli``; only imports that run when a module loads (module level, not under ``TYPE_CHECKING``) count for
cycles, since an import inside a function runs after every module has loaded.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import textwrap
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "detente"

MAY_IMPORT_CLI = ("detente.cli", "detente.__main__")
"""The modules allowed to import ``detente.cli``: the CLI itself and ``python -m detente``."""

DATA_LAYER = (
    "detente.scenario",
    "detente.models",
    "detente.uncertainty",
    "detente.validation",
    "detente.strategy",
    "detente.execution",
    "detente.interventions",
    "detente.report",
    "detente.display",
    "detente.errors",
    "detente.files",
    "detente.workbook",
)

HOW_TO_FIX_CLI = (
    "the library must not import the command line (detente.cli loads typer and rich, and names CLI options). "
    "Move what it needs below the CLI — files are written by detente.files.write_atomic, workbooks by "
    "detente.workbook.workbook_bytes, library arguments named as options by detente.options.with_options — and let "
    "errors name the function's argument; the CLI catches them and adds its option's name"
)


@dataclass(frozen=True)
class Arrow:
    source: str  # importing module
    target: str  # imported module (the deepest module of detente the name resolves to)
    line: int
    when: str  # "load" (module level), "call" (inside a function) or "typing" (under TYPE_CHECKING)

    def show(self) -> str:
        return f"{self.source} -> {self.target} ({_file(self.source)}:{self.line}, {self.when})"


def _modules() -> dict[str, Path]:
    out = {}
    for p in sorted(PACKAGE.rglob("*.py")):
        parts = list(p.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = p
    return out


MODULES = _modules()


def _file(module: str) -> str:
    return str(MODULES[module].relative_to(SRC.parent))


def _resolve(name: str) -> str:
    """The deepest module (or package) of detente that ``name`` lies in."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name


def _is_type_checking(test: ast.expr) -> bool:
    return any(isinstance(n, (ast.Name, ast.Attribute)) and "TYPE_CHECKING" in ast.unparse(n) for n in ast.walk(test))


def arrows_of(module: str, source: str | None = None) -> list[Arrow]:
    """Every import of a detente module in ``module``'s source, with where and when it runs."""
    path = MODULES.get(module)
    tree = ast.parse(source if source is not None else path.read_text(encoding="utf-8"))  # type: ignore[union-attr]
    package = module if path is not None and path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[Arrow] = []

    def imported(node: ast.Import | ast.ImportFrom) -> list[str]:
        if isinstance(node, ast.Import):
            return [a.name for a in node.names]
        if node.level:
            base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
            mod = ".".join(base + ([node.module] if node.module else []))
        else:
            mod = node.module or ""
        # `from detente.scenario import io` imports the module detente.scenario.io
        return [f"{mod}.{a.name}" if f"{mod}.{a.name}" in MODULES else mod for a in node.names]

    def visit(node: ast.AST, when: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = when
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                inner = "call" if when == "load" else when
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.body:
                    visit_stmt(stmt, "typing")
                for stmt in child.orelse:
                    visit_stmt(stmt, when)
                continue
            visit_stmt(child, inner)

    def visit_stmt(node: ast.AST, when: str) -> None:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for name in imported(node):
                if name == "detente" or name.startswith("detente."):
                    found.append(Arrow(module, _resolve(name), node.lineno, when))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) and when == "load":
            when = "call"
        visit(node, when)

    visit(tree, "load")
    return found


def all_arrows() -> list[Arrow]:
    return [a for m in MODULES for a in arrows_of(m)]


def _layer(module: str) -> str:
    """The top-level package or module of detente a module belongs to (``detente.scenario.io`` → ``detente.scenario``)."""
    return ".".join(module.split(".")[:2])


def cycles(edges: dict[str, dict[str, Arrow]]) -> list[list[str]]:
    """One cycle through each strongly connected part of the graph (as a path that ends where it starts)."""
    found: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(u: str) -> None:
        state[u] = 1
        stack.append(u)
        for v in sorted(edges.get(u, {})):
            if state.get(v) == 1:
                found.append([*stack[stack.index(v) :], v])
            elif v not in state:
                walk(v)
        stack.pop()
        state[u] = 2

    for u in sorted(edges):
        if u not in state:
            walk(u)
    return found


def _show_cycle(path: list[str], edges: dict[str, dict[str, Arrow]]) -> str:
    steps = [edges[a][b].show() for a, b in zip(path, path[1:])]
    return " -> ".join(path) + ":\n    " + "\n    ".join(steps)


def load_time_graph(arrows: list[Arrow], by: str) -> dict[str, dict[str, Arrow]]:
    """Module-level imports as a graph of modules (``by="module"``) or of top-level packages (``by="package"``), each
    edge with one import statement that makes it."""
    graph: dict[str, dict[str, Arrow]] = defaultdict(dict)
    for a in arrows:
        if a.when != "load":
            continue
        u, v = (a.source, a.target) if by == "module" else (_layer(a.source), _layer(a.target))
        if u != v and v != "detente":
            graph[u].setdefault(v, a)
    return graph


# ---- the checker checks what it should ----------------------------------------------------------------------------
def test_the_parser_sees_module_function_and_type_checking_imports():
    src = textwrap.dedent(
        """
        from typing import TYPE_CHECKING
        import detente.errors
        from detente.scenario import io
        from ..models import base
        if TYPE_CHECKING:
            from detente.cli.app import app
        def f():
            from detente.cli.app import write_output
            class C:
                import detente.display
        """
    )
    got = {(a.target, a.when) for a in arrows_of("detente.scenario.sheets", src)}
    assert got == {
        ("detente.errors", "load"),
        ("detente.scenario.io", "load"),
        ("detente.models.base", "load"),
        ("detente.cli.app", "typing"),
        ("detente.cli.app", "call"),
        ("detente.display", "call"),
    }


def test_the_cycle_finder_reports_the_path():
    a = {
        "x": {"y": Arrow("x", "y", 1, "load")},
        "y": {"z": Arrow("y", "z", 2, "load")},
        "z": {"x": Arrow("z", "x", 3, "load")},
        "w": {"x": Arrow("w", "x", 4, "load")},
    }
    assert cycles(a) == [["x", "y", "z", "x"]]
    assert cycles({"x": {"y": Arrow("x", "y", 1, "load")}}) == []


def test_every_module_of_the_data_layer_is_found():
    layers = {_layer(m) for m in MODULES}
    for name in ("detente.scenario", "detente.models", "detente.cli", "detente.errors", "detente.files"):
        assert name in layers
    assert len(MODULES) > 50


# ---- the package's layering -----------------------------------------------------------------------------------------
def test_nothing_below_the_cli_imports_the_cli():
    bad = [a for a in all_arrows() if _layer(a.target) == "detente.cli" and not a.source.startswith(MAY_IMPORT_CLI)]
    data = [a for a in bad if a.source.startswith(DATA_LAYER)]
    assert not bad, (
        f"{len(bad)} import(s) of detente.cli from below it ({len(data)} from the data layer):\n  "
        + "\n  ".join(a.show() for a in bad)
        + f"\n{HOW_TO_FIX_CLI}"
    )


@pytest.mark.parametrize("by", ["module", "package"])
def test_module_level_imports_form_no_cycle(by):
    graph = load_time_graph(all_arrows(), by)
    found = cycles(graph)
    assert not found, (
        f"import cycle(s) between {by}s at module level (each step: importer -> imported (file:line)):\n  "
        + "\n  ".join(_show_cycle(c, graph) for c in found)
        + "\nbreak each by moving the shared code into the lower layer, or import inside the function that needs it"
    )


def test_saving_and_loading_leave_the_command_line_unloaded(tmp_path):
    """``detente.load`` / ``detente.save`` in every format import neither typer nor rich (nor detente.cli)."""
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        import detente
        s = detente.load("korea-2019")
        out = Path({str(tmp_path)!r})
        for name in ("k.yaml", "k.json", "k.csv", "k.xlsx"):
            back = detente.load(detente.save(s, out / name))
            assert back.stances == s.stances and [a.id for a in back.actors] == [a.id for a in s.actors], name
            if name != "k.csv":  # the long table keeps the stances, scales and sources; the others keep everything
                assert back.model_dump() == s.model_dump(), name
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("typer", "rich", "click") or m.startswith("detente.cli"))
        print(loaded)
        """
    )
    res = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]", f"loaded by detente.load/save: {res.stdout.strip()}"
    assert {p.name for p in tmp_path.iterdir()} == {"k.yaml", "k.json", "k.csv", "k.xlsx"}  # no temporary file left


# ---- library errors name arguments, the command line its options ------------------------------------------------
OPTION = re.compile(r"(?<![\w-])--[a-z][a-z-]*")
NAMES_NO_OPTIONS = (
    "detente.scenario",
    "detente.files",
    "detente.workbook",
    "detente.execution",
    "detente.uncertainty",
    "detente.validation",
    "detente.whatif",
    "detente.api",
    "detente.errors",
    "detente.display",
    "detente.interventions",
    "detente.report",
    "detente.models",
    "detente.store",
    "detente.strategy",
)
"""Packages whose errors are checked to name no command-line option."""


def options_in_raises(module: str) -> list[str]:
    """``file:line: --option`` for every command-line option named by the text of a ``raise`` in ``module``."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            for const in ast.walk(node.exc):
                if isinstance(const, ast.Constant) and isinstance(const.value, str):
                    found += [f"{_file(module)}:{node.lineno}: {m}" for m in OPTION.findall(const.value)]
    return found


def test_library_errors_name_no_command_line_option():
    found = [hit for m in MODULES if m.startswith(NAMES_NO_OPTIONS) for hit in options_in_raises(m)]
    assert not found, (
        "errors of the library name command-line options (name the function's argument instead, and let the CLI "
        "add its option: detente.cli.app.options_named):\n  " + "\n  ".join(found)
    )


def test_library_names_the_argument_and_the_cli_the_option(tmp_path):
    from typer.testing import CliRunner

    from detente.cli import _load_commands, app
    from detente.errors import ParameterError, ScenarioError
    from detente.scenario.io import load
    from detente.scenario.ktab_random import random_smp

    f = tmp_path / "t.csv"
    f.write_text("a,b\n1,2\n")
    with pytest.raises(ScenarioError, match=r"^.*t\.csv: input_format: unknown input format, got 'nope'"):
        load(f, "nope")
    with pytest.raises(ScenarioError, match=r"or name it with `input_format`$"):
        load(f)
    with pytest.raises(ParameterError, match=r"^n_actors 1: expected 3 … 250"):
        random_smp(1, 2)
    _load_commands()
    runner = CliRunner()
    for args, line in [
        (["show", str(f), "--input-format", "nope"], f"error: {f}: --input-format: unknown input format, got 'nope'"),
        (["show", str(f)], "or name it with --input-format"),
        (["random-scenario", "--actors", "1", "--dims", "2"], "error: --actors 1: expected 3 … 250 (KTAB's limits)"),
    ]:
        res = runner.invoke(app, args)
        assert res.exit_code == 2 and line in res.stderr and "`" not in res.stderr, (args, res.stderr)
