"""Scenario reading, writing and validation: every bad input gives one ScenarioError naming where and what."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import detente
from detente.errors import ScenarioError, UnknownNameError
from detente.scenario.io import dumps, load, loads, save

from .conftest import DATA


def error_of(path: Path, **kw) -> str:
    with pytest.raises(ScenarioError) as e:
        load(path, **kw)
    msg = str(e.value)
    assert "\n" not in msg, "errors are one line"
    assert str(path) in msg, "errors name the file"
    return msg


# ---- the bad-input cases of the foundation issue ------------------------------------------------------------------
def test_position_outside_scale(base, write_yaml):
    base["stances"][1]["position"] = 160
    msg = error_of(write_yaml(base))
    assert "stances[1].position" in msg and "160" in msg and "[0.0, 100.0]" in msg


def test_position_outside_scale_decide_csv(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("#A;x;X\n#P;i;I\n#M;i;0;low\n#M;i;100;high\n#D;x;i;160;0.5;1\n")
    msg = error_of(p)
    assert "line 5" in msg and "position" in msg and "160" in msg


def test_reference_file_with_errors_is_refused():
    msg = error_of(DATA / "foundation" / "copenhagen_with_errors.csv")
    assert "line" in msg and ("160" in msg or "-" in msg)


@pytest.mark.parametrize("value", [-1, 101, 250.5])
def test_salience_outside_range(base, write_yaml, value):
    base["stances"][0]["salience"] = value
    msg = error_of(write_yaml(base))
    assert "stances[0].salience" in msg and str(value) in msg and ("≥ 0" in msg or "≤ 100" in msg)


def test_negative_capability(base, write_yaml):
    base["actors"][2]["capability"] = -3
    msg = error_of(write_yaml(base))
    assert "actors[2].capability" in msg and "-3" in msg and "≥ 0" in msg


@pytest.mark.parametrize("text", [".nan", ".inf", "-.inf"])
def test_non_finite_capability_yaml(base, write_yaml, text):
    doc = dumps(detente.scenario.io.from_dict(base)).replace("capability: 20.0", f"capability: {text}")
    msg = error_of(write_yaml(doc))
    assert "actors[1].capability" in msg and "finite" in msg


def test_nan_position_json(base, tmp_path):
    p = tmp_path / "s.json"
    p.write_text(json.dumps(base).replace('"position": 60', '"position": NaN'))
    msg = error_of(p)
    assert "NaN" in msg and "finite" in msg


def test_nan_in_decide_csv(tmp_path):
    p = tmp_path / "nan.csv"
    p.write_text("#A;x;X\n#P;i;I\n#D;x;i;50;nan;1\n")
    msg = error_of(p)
    assert "line 3" in msg and "salience" in msg and "nan" in msg


def test_unknown_actor_in_stance(base, write_yaml):
    base["stances"][2]["actor"] = "zz"
    msg = error_of(write_yaml(base))
    assert "stances[2].actor" in msg and "'zz'" in msg and "actor ids" in msg


def test_unknown_issue_in_stance(base, write_yaml):
    base["stances"][3]["issue"] = "nope"
    msg = error_of(write_yaml(base))
    assert "stances[3].issue" in msg and "'nope'" in msg


def test_unknown_actor_in_decide_csv(tmp_path):
    p = tmp_path / "u.csv"
    p.write_text("#A;x;X\n#P;i;I\n#D;y;i;50;0.5;1\n")
    msg = error_of(p)
    assert "line 3, field actor" in msg and "'y'" in msg


def test_duplicate_actor_id(base, write_yaml):
    base["actors"].append({"id": "b", "capability": 1})
    msg = error_of(write_yaml(base))
    assert "actors[3].id" in msg and "'b'" in msg and "duplicate" in msg


def test_duplicate_stance(base, write_yaml):
    base["stances"].append(dict(base["stances"][0]))
    msg = error_of(write_yaml(base))
    assert "stances[5]" in msg and "a/tax" in msg and "duplicate" in msg


@pytest.mark.parametrize("text", ["", "   \n", "# only a comment\n"])
def test_empty_file(write_yaml, text):
    msg = error_of(write_yaml(text))
    assert "empty scenario" in msg


def test_empty_lists(base, write_yaml):
    base["stances"] = []
    msg = error_of(write_yaml(base))
    assert "stances" in msg and "at least one stance" in msg


def test_missing_required_field(base, write_yaml):
    del base["actors"][0]["capability"]
    msg = error_of(write_yaml(base))
    assert "actors[0].capability" in msg and "missing" in msg


def test_non_numeric_value(base, write_yaml):
    base["stances"][0]["position"] = "ten"
    msg = error_of(write_yaml(base))
    assert "stances[0].position" in msg and "'ten'" in msg and "a number" in msg


def test_non_numeric_in_bdm_csv(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("Actor,Capability,Position,Salience\nA,1,4,0.5\nB,x,7,0.5\n")
    msg = error_of(p)
    assert "line 3, field Capability" in msg and "'x'" in msg


def test_misdetected_delimiter(tmp_path):
    # first lines use ';' but a later data line uses ',': no delimiter splits every record
    p = tmp_path / "mixed.csv"
    p.write_text("#A;x;X\n#P;i;I\n#D,x,i,50,0.5,1\n")
    msg = error_of(p)
    assert "delimiter" in msg and "line 3" in msg


def test_truncated_csv(tmp_path):
    text = (DATA / "foundation" / "CoP21.csv").read_text()
    p = tmp_path / "trunc.csv"
    p.write_text(text[: text.rindex("#D") + 12])
    msg = error_of(p)
    assert "truncated" in msg and "line 283" in msg


def test_truncated_yaml(base, write_yaml):
    text = dumps(detente.scenario.io.from_dict(base))
    msg = error_of(write_yaml(text[: text.index("stances:") + 40] + "\n  - {actor: a, issue"))
    assert "line" in msg and "invalid YAML" in msg


def test_binary_file(tmp_path):
    p = tmp_path / "blob.yaml"
    p.write_bytes(bytes(range(256)) * 4)
    msg = error_of(p)
    assert "binary file" in msg


def test_yaml_alias_bomb(write_yaml):
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for k in "bcdefghi":
        prev = chr(ord(k) - 1)
        bomb += f"{k}: &{k} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
    msg = error_of(write_yaml(bomb))
    assert "aliases are not allowed" in msg and "line 2" in msg


def test_unknown_field(base, write_yaml):
    base["actors"][0]["power"] = 3
    msg = error_of(write_yaml(base))
    assert "actors[0].power" in msg and "unknown field" in msg


def test_unknown_name():
    with pytest.raises(UnknownNameError, match="korea-2019"):
        load("no-such-scenario")


# ---- valid edge cases -----------------------------------------------------------------------------------------------
def test_salience_zero_and_absent_actors_work(base, write_yaml):
    s = load(write_yaml(base))
    arr = detente.to_arrays(s)
    assert arr.position.shape == (1, 3, 2)
    assert not arr.mask[0, 2, 1] and arr.mask[0, 2, 0]
    assert arr.salience[0, 2, 0] == 0.0
    for model in ("compromise", "median", "nash"):
        fc = detente.forecast(s, model=model)
        assert np.all(np.isfinite(fc.outcomes))
    # the absent actor and the indifferent actor do not move the compromise
    assert detente.forecast(s, model="compromise").outcome["years"] == pytest.approx(
        (10 * 0.4 * 2 + 20 * 0.7 * 9) / (10 * 0.4 + 20 * 0.7)
    )


# ---- formats and round trips --------------------------------------------------------------------------------------------
def test_cop21_csv_and_xlsx_load_to_identical_scenarios():
    """The XLSX twin holds the same numbers; its ids lack underscores and `LDC` stands for `LDCs_BGD`."""
    csv_s = load(DATA / "foundation" / "CoP21.csv")
    xlsx_s = load(DATA / "foundation" / "CoP21.xlsx")
    alias = {"LDC": "LDCsBGD"}

    def key(x: str) -> str:
        x = x.replace("_", "")
        return alias.get(x, x)

    def table(s):
        caps = {a.id: a.capability for a in s.actors}
        return sorted(
            (
                key(st.actor),
                key(st.issue),
                st.position,
                st.salience,
                caps[st.actor] if st.capability is None else st.capability,
            )
            for st in s.stances
        )

    assert table(csv_s) == table(xlsx_s)

    def scales(s):
        return sorted(
            (key(i.id), i.scale.lower, i.scale.upper, tuple(p.value for p in i.scale.points)) for i in s.issues
        )  # noqa: E731

    assert scales(csv_s) == scales(xlsx_s)


def test_xlsx_written_by_detente_loads_identical(tmp_path):
    s = load(DATA / "foundation" / "CoP21.csv")
    p = save(s, tmp_path / "cop.xlsx")
    back = load(p)
    assert back.model_dump(exclude={"name"}) == s.model_dump(exclude={"name"})


@pytest.mark.parametrize("fmt,suffix", [("yaml", ".yaml"), ("json", ".json"), ("decide-csv", ".csv")])
@pytest.mark.parametrize("name", ["cop21-paris-2015", "road-toll", "emission-standards-1994"])
def test_round_trip(tmp_path, fmt, suffix, name):
    s = load(name)
    p = save(s, tmp_path / f"out{suffix}", fmt=fmt)
    back = load(p)
    if fmt == "decide-csv":
        # the decide format has no sources, bases, observed outcomes or dates: compare what it holds
        keep = {"issues", "actors", "stances"}
        strip = lambda d: json.loads(json.dumps(d).replace('"capability_basis"', '"x_cb"'))  # noqa: E731
        a = strip(s.model_dump(mode="json", include=keep))
        b = strip(back.model_dump(mode="json", include=keep))
        for doc in (a, b):
            for x in doc["actors"] + doc["stances"]:
                for k in ("x_cb", "position_basis", "salience_basis", "group"):
                    x.pop(k, None)
            for i in doc["issues"]:
                i.pop("units", None)
                i.pop("status_quo_basis", None)
                i["scale"]["points"] = [p for p in i["scale"]["points"] if p["label"]]
        assert a == b
        # and a second trip is exact
        assert load(save(back, tmp_path / "again.csv", fmt="decide-csv")).model_dump(exclude={"name"}) == back.model_dump(
            exclude={"name"}
        )
    else:
        assert back == s


def test_bdm_csv_reader_and_writer(tmp_path):
    s = load(DATA / "foundation" / "emission_standards.csv")
    assert [a.id for a in s.actors][:3] == ["Netherlands", "Belgium", "Luxembourg"]
    assert s.stances[0].salience == 80.0
    text = dumps(s, "bdm-csv")
    assert text.splitlines()[1] == "Netherlands,0.08,4,0.8"
    assert loads(text, "bdm-csv", "emission_standards.csv") == s


def test_decide_csv_tab_and_quotes():
    s = load(DATA / "foundation" / "sample_data.txt")
    assert len(s.actors) == 10 and len(s.issues) == 6
    assert s.issue("tol-hoogte").scale.lower == 0.5 and s.issue("tol-hoogte").scale.upper == 7


def test_library_lists_and_loads():
    from detente.scenario.io import library_names

    names = library_names()
    for required in ("emission-standards-1994", "cop21-paris-2015", "road-toll"):
        assert required in names
    s = load("emission-standards-1994")
    assert s.observed == {"emission-standards": 8.833}


def test_arrays_shapes_and_hash_stable():
    s = load("cop21-paris-2015")
    a, b = detente.to_arrays(s), detente.to_arrays(load("cop21-paris-2015"))
    assert a.position.shape == (1, 15, 13)
    assert a.scenario_hash == b.scenario_hash and len(a.scenario_hash) == 16
    assert np.all((a.salience >= 0) & (a.salience <= 1))
    big = a.with_batch(5)
    assert big.position.shape == (5, 15, 13) and big.take(slice(1, 3)).batch == 2
