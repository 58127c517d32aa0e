"""The README and docs are executable: their Python examples run as doctests and their shell examples run."""

from __future__ import annotations

import doctest
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli import _load_commands, app

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# commands that need files a reader would have made first
SKIP = ("my-scenario", "--perturb my", "Dataset_DEU_III")  # the last: the DEU file users bring


def shell_commands(path: Path) -> list[str]:
    cmds = []
    for block in re.findall(r"```bash\n(.*?)```", path.read_text(), re.S):
        for line in block.splitlines():
            line = line.split("  #")[0].strip()
            if line.startswith("detente ") and not any(s in line for s in SKIP):
                cmds.append(line)
    return cmds


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_python_examples(path):
    parser = doctest.DocTestParser()
    test = parser.get_doctest(path.read_text(), {}, path.name, str(path), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0, f"{runner.failures} failing example(s) in {path.name}"


# a walk-through's commands build on each other: they run in order, in one folder that starts empty
WALK_THROUGH = "<!-- walk-through"
WALKS = [p for p in DOCS if WALK_THROUGH in p.read_text()]
CASES = [(p.name, c) for p in DOCS if p not in WALKS for c in shell_commands(p)]


@pytest.mark.parametrize("doc,command", CASES, ids=[f"{d}:{c[:60]}" for d, c in CASES])
def test_shell_examples(tmp_path, monkeypatch, doc, command):
    _load_commands()
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(app, shlex.split(command)[1:])
    assert r.exit_code == 0, f"{doc}: `{command}` exited {r.exit_code}: {r.output[-2000:]}"


@pytest.mark.parametrize("path", WALKS, ids=lambda p: p.name)
def test_walk_throughs(tmp_path, monkeypatch, path):
    _load_commands()
    monkeypatch.chdir(tmp_path)
    commands = shell_commands(path)
    assert commands and not any(tmp_path.iterdir())
    for command in commands:
        r = CliRunner().invoke(app, shlex.split(command)[1:])
        assert r.exit_code == 0, f"{path.name}: `{command}` exited {r.exit_code}: {r.output[-2000:]}"
        args = shlex.split(command)
        for k, a in enumerate(args[:-1]):  # every file a command says it writes is there, and not empty
            if a in ("--out", "-o"):
                assert (tmp_path / args[k + 1]).stat().st_size > 0, f"{path.name}: `{command}` wrote no {args[k + 1]}"
