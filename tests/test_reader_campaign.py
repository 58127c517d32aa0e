"""Reliability campaign: malformed inputs for every reader, through `detente validate` and a forecast.

Every reader (YAML, JSON, decide CSV, decide XLSX, the Actor,Capability,Position,Salience table, KTAB CSV, KTAB XML,
the perturbation spec) gets each mutation (truncation, wrong types, NaN/inf, huge numbers, deep nesting, duplicate
keys and records, bad encodings, empty, binary garbage, missing fields, extreme lengths, odd line ends). Each input
must give either exit 2 with exactly one line on stderr that names the file and nothing written, or exit 0 with a
finite result on the issues' scales — never a traceback, never another exit code.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from detente.cli import _load_commands, app
from detente.scenario.io import _decide_xlsx_bytes, dumps, load
from detente.scenario.ktab_io import write_ktab_csv

from .conftest import DATA

_load_commands()
runner = CliRunner()

SPATIAL = DATA / "spatial" / "inputs"


def _bases() -> dict[str, tuple[str, bytes]]:
    """reader → (file suffix, a valid file's bytes)."""
    emission = load("emission-standards-1994")
    decide = load(DATA / "foundation" / "sample_data.txt")
    spec = {"position": {"dist": "normal", "scale": 0.05, "relative": True}, "salience": {"dist": "normal", "scale": 5}}
    return {
        "yaml": (".yaml", dumps(load("korea-2019"), "yaml").encode()),
        "json": (".json", dumps(emission, "json").encode()),
        "decide-csv": (".csv", dumps(decide, "decide-csv").encode()),
        "decide-xlsx": (".xlsx", _decide_xlsx_bytes(decide)),
        "bdm-csv": (".csv", (DATA / "foundation" / "emission_standards.csv").read_bytes()),
        "ktab-csv": (".csv", write_ktab_csv(emission).encode()),
        "ktab-xml": (".xml", (SPATIAL / "dummyData_3Dim_NoCommit.xml").read_bytes()),
        "perturb": (".yaml", yaml.safe_dump(spec).encode()),
    }


# a number that is a value of the data (not a digit in a description): after a YAML/JSON key, inside a KTAB XML
# element, or a whole field of a delimited line
_NUMBER = re.compile(
    rb"(?:(?:position|salience|capability|lower|upper|value|status_quo|scale|probability)\"?:[ \t]*"
    rb"|<(?:dCoord|dSal|capability)>[ \t]*|(?<=[,;\t]))"
    rb"(-?\d+(?:\.\d+)?)(?=[ \t]*(?:[,;\t\r\n}<]|$))"
)


def _replace_number(k: int, new: bytes) -> Callable[[bytes], bytes]:
    def f(data: bytes) -> bytes:
        hits = list(_NUMBER.finditer(data))
        if not hits:
            return data + new
        m = hits[k % len(hits)]
        return data[: m.start(1)] + new + data[m.end(1) :]

    return f


def _replace_word(new: bytes) -> Callable[[bytes], bytes]:
    """The first identifier-like word after the first line replaced (an id, a key or a name)."""

    def f(data: bytes) -> bytes:
        first = data.find(b"\n") + 1
        m = re.compile(rb"[A-Za-z][\w-]{2,}").search(data, first)
        return data if m is None else data[: m.start()] + new + data[m.end() :]

    return f


def _drop_line(k: int) -> Callable[[bytes], bytes]:
    def f(data: bytes) -> bytes:
        lines = data.split(b"\n")
        del lines[k % len(lines)]
        return b"\n".join(lines)

    return f


def _dup_line(k: int) -> Callable[[bytes], bytes]:
    def f(data: bytes) -> bytes:
        lines = data.split(b"\n")
        j = k % len(lines)
        return b"\n".join(lines[: j + 1] + [lines[j]] + lines[j + 1 :])

    return f


def _drop_field(data: bytes) -> bytes:
    lines = data.split(b"\n")
    j = len(lines) // 2
    for sep in (b";", b",", b"\t", b": "):
        if sep in lines[j]:
            lines[j] = lines[j].rsplit(sep, 1)[0]
            break
    return b"\n".join(lines)


def _garbage(n: int, seed: int) -> Callable[[bytes], bytes]:
    return lambda data: random.Random(seed).randbytes(n)


MUTATIONS: dict[str, Callable[[bytes], bytes]] = {
    "valid": lambda d: d,
    "empty": lambda d: b"",
    "whitespace": lambda d: b" \n\t\n",
    "truncate-10": lambda d: d[: len(d) // 10],
    "truncate-50": lambda d: d[: len(d) // 2],
    "truncate-90": lambda d: d[: len(d) * 9 // 10],
    "truncate-1": lambda d: d[:-1],
    "garbage-small": _garbage(64, 1),
    "garbage-large": _garbage(200_000, 2),
    "nul-bytes": lambda d: d[: len(d) // 2] + b"\x00\x00" + d[len(d) // 2 :],
    "latin1-byte": lambda d: d[: len(d) // 2] + b"\xe9" + d[len(d) // 2 :],
    "utf16": lambda d: d.decode("utf-8", "replace").encode("utf-16"),
    "bom": lambda d: b"\xef\xbb\xbf" + d,
    "crlf": lambda d: d.replace(b"\n", b"\r\n"),
    "cr-only": lambda d: d.replace(b"\n", b"\r"),
    "nan-1": _replace_number(1, b"nan"),
    "nan-7": _replace_number(7, b".nan"),
    "inf": _replace_number(3, b"inf"),
    "minus-inf": _replace_number(5, b"-inf"),
    "huge-float": _replace_number(2, b"1e308"),
    "overflow-float": _replace_number(4, b"-1e999"),
    "huge-int": _replace_number(6, b"9" * 5001),
    "negative": _replace_number(8, b"-7"),
    "tiny": _replace_number(9, b"1e-300"),
    "word-for-number": _replace_number(2, b"abc"),
    "bool-for-number": _replace_number(3, b"true"),
    "list-for-number": _replace_number(4, b"[1, 2]"),
    "octal-like": _replace_number(5, b"010"),
    "sexagesimal": _replace_number(6, b"1:30"),
    "deep-brackets": lambda d: d + b"\n" + b"[" * 100_000 + b"]" * 100_000,
    "deep-braces": lambda d: b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    "dup-line-1": _dup_line(1),
    "dup-line-5": _dup_line(5),
    "dup-line-mid": _dup_line(40),
    "drop-line-0": _drop_line(0),
    "drop-line-2": _drop_line(2),
    "drop-line-mid": _drop_line(33),
    "drop-field": _drop_field,
    "long-id": _replace_word(b"x" * 1_000_000),
    "long-line": lambda d: d + b"\n" + b"y" * 300_000 + b"\n",
    "control-chars": _replace_word(b"a\x1b[31mb\x07"),
    "unicode-id": _replace_word("ä\u2028ß".encode()),
    "xml-entity": lambda d: (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;'
        b'&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><Scenario><name>&c;</name></Scenario>'
    ),
    "yaml-alias": lambda d: b"a: &x [1, 2]\nb: *x\n" + d,
    "yaml-tag": lambda d: b"!!python/object/apply:os.system ['true']\n",
}

BASES = _bases()
BYTE_LEVEL = {"empty", "truncate-10", "truncate-50", "truncate-90", "truncate-1", "garbage-small", "garbage-large"}
BYTE_LEVEL |= {"nul-bytes", "xml-entity", "yaml-tag"}


def _xlsx_of(text: bytes) -> bytes:
    """A workbook whose cells are the fields of a (mutated) decide file: numbers where they parse, else text."""
    import io

    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    wb = openpyxl.Workbook()
    ws = wb.active
    for line in text.decode("utf-8", "replace").splitlines():
        cells: list = []
        for c in line.split(";"):
            try:
                cells.append(float(c) if c.strip() else None)
            except ValueError:  # text; characters a worksheet cannot hold are dropped
                cells.append(ILLEGAL_CHARACTERS_RE.sub("", c[:32767]))
        ws.append(cells)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _mutated(reader: str, mutation: str) -> bytes:
    suffix, base = BASES[reader]
    if reader == "decide-xlsx" and mutation not in BYTE_LEVEL:
        return _xlsx_of(MUTATIONS[mutation](BASES["decide-csv"][1]))
    return MUTATIONS[mutation](base)


CASES = [(reader, mutation) for reader in BASES for mutation in MUTATIONS]


def _assert_clean(res, path: Path, out: Path | None) -> str:
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output
    assert res.exit_code in (0, 2), (res.exit_code, res.output[-500:])
    if res.exit_code == 2:
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1, res.stderr[-2000:]
        assert str(path) in lines[0] or path.name in lines[0], lines[0][:300]
        assert len(lines[0]) < 1200
        if out is not None:
            assert not out.exists()
        leftovers = [p.name for p in path.parent.iterdir() if p.name.startswith(".")]
        assert leftovers == []
        return "error"
    assert "Warning" not in res.stderr, res.stderr[-2000:]  # numpy warnings never reach stderr
    return "ok"


def _finite(doc) -> None:
    if isinstance(doc, float):
        assert math.isfinite(doc)
    elif isinstance(doc, dict):
        for v in doc.values():
            _finite(v)
    elif isinstance(doc, list):
        for v in doc:
            _finite(v)


def _on_scales(doc) -> None:
    """An ensemble document: finite, every statistic present (never null) and on the scale its provenance states."""
    _finite(doc)
    for issue, st in doc["issues"].items():
        lo, hi = doc["scales"][issue]
        for k in ("mean", "min", "max"):
            assert st[k] is not None and lo <= st[k] <= hi, (issue, k, st[k])
        assert all(v is not None for v in st["quantiles"].values())


@pytest.mark.parametrize("reader,mutation", CASES, ids=[f"{r}-{m}" for r, m in CASES])
def test_malformed_input(tmp_path, reader, mutation):
    suffix = BASES[reader][0]
    data = _mutated(reader, mutation)
    path = tmp_path / f"input{suffix}"
    path.write_bytes(data)
    out = tmp_path / "result.json"
    if reader == "perturb":
        res = runner.invoke(
            app,
            ["ensemble", "emission-standards-1994", "-m", "compromise", "--draws", "8", "--seed", "1"]
            + ["--perturb", str(path), "--out", str(out)],
        )
        if _assert_clean(res, path, out) == "ok":
            _on_scales(json.loads(out.read_text()))
        return
    res = runner.invoke(app, ["validate", str(path)])
    validated = _assert_clean(res, path, None)
    res = runner.invoke(app, ["forecast", str(path), "-m", "compromise", "--out", str(out)])
    forecast = _assert_clean(res, path, out)
    if validated == "ok":
        assert forecast == "ok", res.stderr
    if forecast == "ok":
        doc = json.loads(out.read_text())
        _finite(doc)
        for issue, x in doc["outcomes"].items():
            lo, hi = doc["scales"][issue]
            assert lo <= x <= hi
    if mutation == "valid":
        assert validated == forecast == "ok"


# ---- whole-scenario and spec mutations that the byte-level ones above do not reach ---------------------------------
def _orphan(reader: str) -> bytes:
    """A valid file of ``reader`` plus an issue nobody holds a stance on."""
    doc = load("korea-2019" if reader == "yaml" else "emission-standards-1994").model_dump(mode="json", exclude_none=True)
    doc["issues"].append({"id": "orphan", "name": "nobody's issue", "scale": {"lower": 0, "upper": 10}})
    text = json.dumps(doc) if reader == "json" else yaml.safe_dump(doc, sort_keys=False)
    return text.encode()


ORPHAN = [
    (reader, cmd)
    for reader in ("yaml", "json")
    for cmd in (["forecast"], ["ensemble", "-n", "8"], ["sensitivity", "-n", "4"], ["exchanges"], ["backtest"])
] + [("yaml", ["compare", "-v", "bolton-departure", "-n", "8"])]


@pytest.mark.filterwarnings("error")  # a numpy warning is an error here (it would reach a user's stderr)
@pytest.mark.parametrize("reader,cmd", ORPHAN, ids=[f"{r}-{c[0]}" for r, c in ORPHAN])
def test_an_issue_nobody_holds_a_stance_on_is_left_out_never_null(tmp_path, reader, cmd):
    path = tmp_path / f"orphan.{reader}"
    path.write_bytes(_orphan(reader))
    args = [cmd[0], *(["--scenario"] if cmd[0] == "backtest" else []), str(path), *cmd[1:], "--seed", "1"]
    res = runner.invoke(app, [*args, "--format", "json"])
    assert _assert_clean(res, path, None) == "ok", res.stderr
    doc = json.loads(res.stdout)
    _finite(doc)
    if cmd[0] == "backtest":  # korea-2019 and emission-standards-1994 carry observed outcomes; the orphan has none
        assert doc["provenance"]["scenarios"][0]["scales"]["orphan"] == [0.0, 10.0]
        return
    assert doc["scales"]["orphan"] == [0.0, 10.0]
    if cmd[0] == "ensemble":
        assert "orphan" not in doc["issues"] and "orphan" in doc["no_forecast"]
        _on_scales(doc)
    if cmd[0] == "compare":
        assert "orphan" in doc["no_forecast"] and "null" not in json.dumps(doc["baseline"])
        assert "orphan" not in doc["variants"]["bolton-departure"]["differences"]
    if cmd[0] == "sensitivity":
        assert "orphan" not in doc["issues"] and "orphan" in doc["no_forecast"] and doc["issues"]
        assert "null" not in json.dumps(doc["issues"])
    if cmd[0] == "forecast":
        assert "orphan" not in doc["outcomes"] and "orphan" in doc["no_forecast"]
    text = runner.invoke(app, args)
    assert text.exit_code == 0 and "nan" not in text.stdout.lower() and "scale" in text.stdout


SPECS = {
    "scale-1e308": {"position": {"dist": "normal", "scale": 1e308}},
    "scale-1e16": {"capability": {"dist": "uniform", "scale": 1e16}},
    "rule-scale-1e300": {"salience": {"rules": [{"actor": "UK", "scale": 1e300}]}},
    "lognormal-500": {"capability": {"dist": "lognormal", "scale": 500}},
    "lognormal-rule": {"capability": {"scale": 1, "rules": [{"dist": "lognormal", "scale": 90}]}},
    "largest-accepted": {
        "position": {"dist": "normal", "scale": 1e15, "relative": True},
        "salience": {"dist": "uniform", "scale": 1e15},
        "capability": {"dist": "lognormal", "scale": 50},
    },
    "largest-absolute": {"position": {"scale": 1e15}, "capability": {"dist": "normal", "scale": 1e15}},
}


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("name", SPECS)
def test_perturbation_scales_are_bounded_without_numpy_warnings(tmp_path, name):
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(SPECS[name]))
    out = tmp_path / "result.json"
    res = runner.invoke(
        app,
        ["ensemble", "emission-standards-1994", "-m", "expected-utility", "--draws", "8", "--seed", "1"]
        + ["--perturb", str(path), "--out", str(out)],
    )
    got = _assert_clean(res, path, out)
    assert got == ("ok" if name.startswith("largest") else "error"), res.stderr
    if got == "ok":
        _on_scales(json.loads(out.read_text()))
    else:
        assert "scale" in res.stderr and "at most" in res.stderr
