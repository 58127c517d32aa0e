"""User-visible text cites what users have: papers, dated facts, files in the repository.

Code, docs, the README and the scenario library must not point at documents that ship with no copy of detente
(internal design specs and their section numbers, fact sheets, numbered source articles, tracker items). This check
reads every text file in src/, docs/ and the README, and fails on the first such reference with its file and line.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted(
    p
    for p in [ROOT / "README.md", *(ROOT / "docs").rglob("*"), *(ROOT / "src").rglob("*")]
    if p.is_file() and p.suffix in {".py", ".md", ".yaml", ".yml", ".csv", ".json", ".txt", ".toml", ".rst"}
)

FORBIDDEN: dict[str, re.Pattern[str]] = {
    "an internal spec file": re.compile(r"\bspecs?/[\w-]+\.md|\b(?:strategy-engine(?:-v2)?|spatial-politics)\.md"),
    "the claims sheet": re.compile(r"\bclaims\.md"),
    "the fact sheet": re.compile(r"\bkorea-facts(?:\.md)?\b|\breference/[\w-]+\.md|\bstrategy-literature(?:\.md)?\b"),
    "a design document": re.compile(r"\bDESIGN\.md\b|/work/shared\b"),
    "a spec section": re.compile(r"\bspec(?:'s)?\s+(?:table\s+|section\s+|s\.\s*)?§?\s*\d|\bspec\s+§|\bthe spec\s+`"),
    "a section of an unshipped note": re.compile(r"\b(?:literature|claims|facts)\s+(?:s\.|§)\s*\d"),
    "a numbered engine section": re.compile(r"(?:\(|\bof |\bin |\btable )15\.\d+\b|\bs\.\s?15\b|§\s?15\b"),
    "a numbered source article": re.compile(r"\bseed\s+0\d\d\b|\bthe seeds\b"),
    "the design spec": re.compile(r"\bthe spec's\b|\bspec defaults\b|\bin the spec\b|\bthe spec (?:names|leaves|says)\b"),
    "a tracker item": re.compile(r"\(issue\s+#?\d+\)|\bissue\s+#\d+\b|\bGH-\d+\b"),
    "the team's process": re.compile(r"\bteam spec\b|\bthe team's\b"),
}


def _hits() -> list[str]:
    out = []
    for p in FILES:
        try:
            text = p.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for n, line in enumerate(text.splitlines(), 1):
            for what, pat in FORBIDDEN.items():
                m = pat.search(line)
                if m:
                    out.append(f"{p.relative_to(ROOT)}:{n}: {what}: {m.group(0)!r}")
    return out


def test_the_check_reads_the_library_and_docs():
    names = {p.relative_to(ROOT).as_posix() for p in FILES}
    assert "README.md" in names and "src/detente/scenario/library/korea-2019.yaml" in names
    assert any(n.startswith("docs/") for n in names) and "src/detente/cli/app.py" in names


@pytest.mark.parametrize(
    "line",
    [
        "source = 'spec 15.4; korea-facts.md s.3'",
        "Closed forms (strategy-engine.md, literature s.2-8)",
        "quote='... (seed 004)'",
        "Crisis hazard link of 15.6",
        "see claims.md § 3",
        "Formats as documented in ``specs/spatial-politics.md`` §4.1",
        "the team spec says so (issue 6)",
    ],
)
def test_the_patterns_catch_known_offenders(line):
    assert any(p.search(line) for p in FORBIDDEN.values())


@pytest.mark.parametrize(
    "line",
    [
        "Powell 2006; Kydd 2000; docs/strategy.md",
        "the perturbation spec makes no input uncertain",
        "Scholz, Calbert & Smith 2011 §3.1",
        "CRS R46349 (2020-05-14)",
        "detente ensemble korea-2019 --seed 1",
        "position: 15.0",
    ],
)
def test_the_patterns_leave_real_citations_alone(line):
    assert not any(p.search(line) for p in FORBIDDEN.values())


def test_no_user_visible_text_cites_documents_users_do_not_have():
    hits = _hits()
    assert not hits, f"{len(hits)} references to documents users do not have:\n" + "\n".join(hits[:60])
