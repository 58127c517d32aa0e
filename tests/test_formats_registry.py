"""The scenario format registry: every format it lists is what load detects, reads and (where it can) writes."""

from __future__ import annotations

import pytest

from detente.errors import ScenarioError
from detente.scenario import formats
from detente.scenario.formats import FORMATS, REGISTRY, WRITABLE, Format
from detente.scenario.io import detect_format, dumps, from_dict, load, save

ONE_ISSUE = {
    "name": "toll",
    "salience_scale": 100,
    "issues": [{"id": "toll", "scale": {"lower": 0, "upper": 10}}],
    "actors": [{"id": "a", "capability": 0.5}, {"id": "b", "capability": 0.25}, {"id": "c", "capability": 1}],
    "stances": [
        {"actor": "a", "issue": "toll", "position": 2.5, "salience": 60},
        {"actor": "b", "issue": "toll", "position": 7, "salience": 40},
        {"actor": "c", "issue": "toll", "position": 10, "salience": 100},
    ],
}


def test_the_registry_lists_every_format_once_with_a_reader_and_a_detection():
    assert FORMATS == (
        "yaml",
        "json",
        "long-csv",
        "detente-xlsx",
        "decide-csv",
        "decide-xlsx",
        "bdm-csv",
        "ktab-csv",
        "ktab-xml",
        "deu",
    )
    assert WRITABLE == ("yaml", "json", "long-csv", "detente-xlsx", "decide-csv", "decide-xlsx", "bdm-csv")
    assert sorted(f.priority for f in REGISTRY.values()) == list(range(len(REGISTRY)))  # one detection order
    assert all(f.sniff is not None and f.read is not None for f in REGISTRY.values())
    claimed = [s for f in REGISTRY.values() for s in f.suffixes]
    assert len(claimed) == len(set(claimed))  # save() has one format per suffix


@pytest.mark.parametrize(
    ("fmt", "name"),
    [
        ("yaml", "t.yaml"),
        ("json", "t.json"),
        ("long-csv", "t.csv"),
        ("detente-xlsx", "t.xlsx"),
        ("decide-csv", "t.txt"),
        ("decide-xlsx", "d.xlsx"),
        ("bdm-csv", "b.csv"),
    ],
)
def test_every_writer_writes_what_detection_recognises_and_its_reader_reads_back(tmp_path, fmt, name):
    s = from_dict(ONE_ISSUE)
    path = save(s, tmp_path / name, fmt)
    assert detect_format(path, path.read_bytes()) == fmt
    back = load(path)
    assert [(t.actor, t.position, t.salience) for t in back.stances] == [
        (t.actor, t.position, t.salience) for t in s.stances
    ]
    assert {a.id: a.capability for a in back.actors} == {"a": 0.5, "b": 0.25, "c": 1.0}
    if not REGISTRY[fmt].binary:
        assert path.read_text(encoding="utf-8").rstrip("\n") == dumps(s, fmt).rstrip("\n")


def test_save_picks_the_format_of_the_suffix_and_yaml_otherwise(tmp_path):
    assert [formats.for_suffix(tmp_path / n) for n in ("a.json", "a.CSV", "a.txt", "a.xlsx", "a.yml", "a.dat")] == [
        "json",
        "long-csv",
        "decide-csv",
        "detente-xlsx",
        "yaml",
        "yaml",
    ]


def test_text_only_and_unknown_formats_are_one_error_listing_the_writable_ones():
    s = from_dict(ONE_ISSUE)
    expected = "expected yaml, json, long-csv, detente-xlsx, decide-csv, decide-xlsx or bdm-csv$"
    for bad in ("detente-xlsx", "ktab-xml", "nope"):
        with pytest.raises(ScenarioError, match=f"^unknown output format, got '{bad}'; {expected}"):
            dumps(s, bad)


def test_a_registered_format_is_read_by_load(tmp_path, monkeypatch):
    """Adding a format is one entry: load detects it by its sniffer and reads it with its reader."""

    def read(data: bytes, file: str):
        stance = data.decode().split()
        doc = {**ONE_ISSUE, "name": "plain", "stances": ONE_ISSUE["stances"][:2]}
        doc["stances"] = [{**doc["stances"][0], "position": float(stance[1])}, doc["stances"][1]]
        return from_dict(doc, file)

    plain = Format("plain", "a test format", 0, lambda p: p.data.startswith(b"PLAIN "), read)
    monkeypatch.setitem(REGISTRY, "plain", plain)
    f = tmp_path / "x.dat"
    f.write_bytes(b"PLAIN 4.5\n")
    assert detect_format(f, f.read_bytes()) == "plain"
    assert load(f).stances[0].position == 4.5
    assert load(f, "plain").name == "plain"


def test_the_cli_lists_the_registry_formats():
    from detente.cli.app import InputFormat

    help_text = InputFormat.__metadata__[0].help
    assert help_text == f"override format detection: {', '.join(FORMATS)}"
