"""Reliability campaign: every command against malformed options and arguments, as a user types them.

Each case must give no traceback, exit code 2, exactly one line on stderr (``error: ...``) and write nothing: bad
seeds, negative and zero counts, non-numbers, bad scenario paths, unwritable or nonsensical ``--out``, unknown models,
presets, parameters, variants, policies and issues, and ``--param``/``--threshold`` values that are not finite.
Memory refusals for huge ``--draws``/``--paths`` are a separate check (the execution layer's memory estimate).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from detente.cli import main

# cheap, valid invocations; each case below breaks one thing
BASE: dict[str, list[str]] = {
    "forecast": ["forecast", "road-toll"],
    "plot": ["plot", "road-toll", "--model", "compromise"],
    "show": ["show", "road-toll"],
    "validate": ["validate"],
    "ensemble": ["ensemble", "road-toll", "--draws", "4", "--no-progress"],
    "compare": ["compare", "korea-2019", "--variant", "seoul-centred", "--draws", "4", "--no-progress"],
    "sensitivity": ["sensitivity", "emission-standards-1994", "--draws", "2", "--groups", "actor"],
    "exchanges": ["exchanges", "road-toll"],
    "backtest": ["backtest", "--scenario", "emission-standards-1994", "--model", "median"],
    "perspective": ["perspective", "emission-standards-1994", "--actor", "UK"],
    "strategy": ["strategy", "korea-2019", "--rule", "hanoi", "--paths", "4", "--grid", "2,1,3"],
    "experiment": ["experiment", "claim-a", "--paths", "2"],
    "experiments": ["experiments"],
    "strategy-replay": ["strategy-replay", "--policy", "aon", "--paths", "2"],
    "random-scenario": ["random-scenario", "--actors", "4", "--dims", "2", "--seed", "7"],
}
SEEDED = ["forecast", "plot", "ensemble", "compare", "sensitivity", "exchanges", "backtest", "strategy", "experiment",
          "strategy-replay", "random-scenario"]  # fmt: skip
COUNTS = [
    ("ensemble", "--draws"), ("compare", "--draws"), ("sensitivity", "--draws"), ("sensitivity", "--top"),
    ("ensemble", "--chunk"), ("strategy", "--paths"), ("experiment", "--paths"), ("strategy-replay", "--paths"),
    ("forecast", "--rounds"), ("plot", "--rounds"), ("exchanges", "--rounds"), ("exchanges", "--round"),
    ("perspective", "--round"), ("random-scenario", "--actors"), ("random-scenario", "--dims"),
]  # fmt: skip
REFS = ["forecast", "show", "validate", "ensemble", "sensitivity", "exchanges", "perspective", "plot"]
OUTS = ["forecast", "show", "ensemble", "compare", "sensitivity", "exchanges", "backtest", "perspective", "strategy",
        "experiment", "experiments", "strategy-replay", "random-scenario", "plot"]  # fmt: skip
PARAMS = ["forecast", "plot", "exchanges", "perspective", "ensemble", "strategy", "experiment", "strategy-replay"]


def _cases() -> list[tuple[str, list[str]]]:
    cases: list[tuple[str, list[str]]] = []

    def add(kind: str, args: list[str]) -> None:
        cases.append((kind, args))

    for c in SEEDED:
        for v in ["-1", "-99999999999999999999999", "abc", "1.5", ""]:
            add("seed", [*BASE[c], "--seed", v])
    add("seed", [*BASE["random-scenario"][:-2], "--seed", str(2**64)])
    for c, opt in COUNTS:
        for v in ["0", "-3", "abc", "2.5", "nan"]:
            add("count", [*BASE[c], opt, v])
    add("count", ["random-scenario", "--actors", "1000000", "--dims", "2"])
    add("count", ["random-scenario", "--actors", "5"])  # --dims missing: both or neither
    for c in REFS:
        rest = BASE[c][2:]
        for ref in ["nope.yaml", "{tmp}", "{tmp}/empty.yaml", "{tmp}/binary.yaml", "{tmp}/ragged.csv", "/dev/null"]:
            add("path", [c, ref, *rest])
    for c in OUTS:
        for out in ["{tmp}", "{tmp}/no/such/folder/x.csv", "{tmp}/x.weird", "{tmp}/x", "{tmp}/empty.yaml/x.csv",
                    "/proc/detente-cannot-write-here.csv"]:  # fmt: skip
            add("out", [*BASE[c], "--out", out])
    add("out", [*BASE["ensemble"], "--draws-out", "{tmp}"])
    add("out", [*BASE["forecast"], "--out", "{tmp}/r.csv", "--format", "json"])
    for c in ["forecast", "plot", "ensemble", "compare", "sensitivity", "backtest"]:
        add("name", [*BASE[c], "--model", "nope"])
    for c in ["forecast", "plot", "ensemble", "compare", "sensitivity", "exchanges", "perspective"]:
        add("name", [*BASE[c], "--preset", "nope"])
    for c in PARAMS:
        for p in ["nope=1", "x", "=1"]:
            add("param", [*BASE[c], "--param", p])
    for p in ["Q=inf", "Q=nan", "Q=-inf", "Q=1e999"]:
        add("param", ["forecast", "road-toll", "--model", "expected-utility", "--param", p])
    for p in ["p=inf", "p=nan"]:
        add("param", ["forecast", "road-toll", "--model", "nash", "--param", p])
        add("param", ["exchanges", "road-toll", "--param", p])
    for c in ["experiment", "strategy-replay"]:
        for p in ["delta=inf", "delta=nan", "delta=-1", "T=inf", "T=nan", "q=2"]:
            add("param", [*BASE[c], "--param", p])
    for p in ["D1=inf", "D1=nan", "D1=-1", "mu_W=inf", "mu_W=nan", "omega_u=2"]:
        add("param", [*BASE["strategy"], "--param", p])
    for g in ["0,1,3", "2,1", "a,b,c", "1000,1,3"]:
        add("value", [*BASE["strategy"][:-2], "--grid", g])
    add("name", [*BASE["strategy"][:2], "--rule", "nope"])
    add("name", [*BASE["strategy"], "--policy", "aon"])
    add("name", ["strategy-params", "--format", "nope"])
    add("path", ["strategy-fit", "--data", "{tmp}/no-such-folder"])
    add("name", [*BASE["forecast"], "--model", "spatial", "--mode", "nope"])
    add("name", ["forecast", "road-toll", "--model", "nash(p=inf)"])
    add("name", ["forecast", "road-toll", "--model", "median,nope"])
    add("name", ["forecast", "road-toll", "--model", ","])
    add("name", [*BASE["forecast"], "--input-format", "nope"])
    add("name", [*BASE["forecast"], "--format", "nope"])
    add("name", [*BASE["forecast"], "--as-of", "not-a-date"])
    add("name", [*BASE["forecast"], "--as-of", "2019-13-45"])
    add("name", [*BASE["ensemble"], "--variant", "nope"])
    add("name", ["compare", "korea-2019", "--variant", "nope", "--draws", "4", "--no-progress"])
    add("name", [*BASE["sensitivity"][:-2], "--groups", "nope"])
    add("name", ["experiment", "nope"])
    add("name", ["perspective", "emission-standards-1994", "--actor", "nope"])
    add("name", [*BASE["perspective"], "--issue", "nope"])
    add("name", [*BASE["plot"], "--issue", "nope"])
    add("name", ["backtest", "--scenario", "nope"])
    add("name", ["no-such-command"])
    add("name", ["forecast", "road-toll", "--no-such-option"])
    add("value", [*BASE["ensemble"], "--perturb", "{tmp}/missing.yaml"])
    add("value", [*BASE["ensemble"], "--perturb", "{tmp}"])
    add("value", [*BASE["ensemble"], "--perturb", "{tmp}/binary.yaml"])
    for t in ["abc", "nope=3", "inf", "nan", "denuclearization=nan"]:
        add("value", [*BASE["ensemble"], "--threshold", t])
    for level in ["2", "0", "nan", "inf", "abc"]:
        add("value", [*BASE["compare"], "--level", level])
    for name in PERTURB_SPECS:  # noise scales the spec schema bounds (one line, no numpy warning)
        add("value", [*BASE["ensemble"], "--perturb", f"{{tmp}}/{name}.yaml"])
    add("value", [*BASE["sensitivity"], "--perturb", "{tmp}/huge-scale.yaml"])
    add("value", [*BASE["compare"], "--perturb", "{tmp}/lognormal-sigma.yaml"])
    for name in CALENDARS:  # the staged game's calendar: real months only
        add("value", ["strategy", f"{{tmp}}/{name}.yaml", "--rule", "hanoi", "--paths", "4", "--grid", "2,1,3"])
    return cases


PERTURB_SPECS = {
    "huge-scale": "position:\n  dist: normal\n  scale: 1e308\n",
    "huge-rule-scale": "salience:\n  rules:\n    - {actor: A, scale: 1e300}\n",
    "lognormal-sigma": "capability:\n  dist: lognormal\n  scale: 500\n",
    "lognormal-rule-sigma": "capability:\n  dist: normal\n  scale: 1\n  rules:\n    - {dist: lognormal, scale: 1e10}\n",
}
CALENDARS = {
    "month-13": ("calendar", "election", "2020-13"),
    "month-00": ("calendar", "long_run", "2021-00"),
    "start-13": ("calendar", "start", "2019-13"),
    "before-start": ("calendar", "inauguration", "2018-01"),
    "horizon-word": ("calendar", "horizon", "thirty"),
    "horizon-zero": ("calendar", "horizon", 0),
    "shock-month-13": ("shocks", "month", "2020-13"),
}


def _calendar_files(folder: Path) -> None:
    import detente

    s = detente.load("korea-2019")
    for name, (part, key, value) in CALENDARS.items():
        block = dict(s.strategy)
        if part == "calendar":
            block["calendar"] = {**block["calendar"], key: value}
        else:
            block["shocks"] = [{**block["shocks"][0], key: value}, *block["shocks"][1:]]
        detente.save(s.model_copy(update={"strategy": block}), folder / f"{name}.yaml")


CASES = _cases()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Path:
    """An empty working folder (``plot`` writes positions.png there by default) with a few malformed files."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty.yaml").write_text("")
    (tmp_path / "binary.yaml").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "ragged.csv").write_bytes(b"Actor,Capability,Position,Salience\nA,1,2\n\xff\xfe,3\n")
    for name, text in PERTURB_SPECS.items():
        (tmp_path / f"{name}.yaml").write_text(text)
    args = " ".join(request.node.callspec.params.get("args", [])) if hasattr(request.node, "callspec") else ""
    if any(f"{{tmp}}/{name}.yaml" in args for name in CALENDARS):
        _calendar_files(tmp_path)
    return tmp_path


def test_the_campaign_covers_every_command_and_a_few_hundred_inputs():
    commands = {args[0] for _, args in CASES}
    assert commands >= set(BASE) and len(CASES) >= 300


@pytest.mark.parametrize("kind,args", CASES, ids=[f"{k}:{' '.join(a)[:80]}" for k, a in CASES])
def test_malformed_input_is_one_line_exit_2_nothing_written(workdir, capsys, kind, args):
    args = [a.replace("{tmp}", str(workdir)) for a in args]
    before = sorted(p.name for p in workdir.iterdir())
    saved = sys.argv
    sys.argv = ["detente", *args]
    try:
        main()
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    finally:
        sys.argv = saved
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    assert code == 2, f"exit {code}; stderr {err!r}"
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert sorted(p.name for p in workdir.iterdir()) == before, "a file was written"
    assert not any(n.startswith(".") and n.endswith(".tmp") for n in os.listdir(workdir))
